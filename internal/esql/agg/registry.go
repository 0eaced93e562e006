package agg

import (
	"encoding"
	"errors"
	"sort"
	"strconv"

	"vigil/internal/doc"
)

// registry holds every aggregate by upper-case name; filled by init
// functions in this package and never changed afterwards.
var registry = map[string]*Func{}

func register(f *Func) {
	if _, dup := registry[f.Name]; dup {
		panic("agg: duplicate aggregate " + f.Name)
	}
	registry[f.Name] = f
}

// Lookup finds an aggregate by name, case-insensitively.
func Lookup(name string) (*Func, bool) {
	f, ok := registry[upper(name)]
	return f, ok
}

// Names lists the registered aggregates, sorted.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

// Serializable is what every state in this package implements, so that a
// checkpoint can persist partial aggregations and resume them.
// UnmarshalBinary must be called on a fresh state from the same Factory
// (same aggregate and parameters); it rejects encodings of another kind.
type Serializable interface {
	State
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// Marshal encodes a state made by this package.
func Marshal(s State) ([]byte, error) {
	m, ok := s.(encoding.BinaryMarshaler)
	if !ok {
		return nil, errors.New("agg: state is not serializable")
	}
	return m.MarshalBinary()
}

// Restore rebuilds a state from Marshal's bytes using the factory that made
// the original (Resolve is deterministic, so re-resolving the query gives it).
func Restore(f Factory, data []byte) (State, error) {
	s := f()
	u, ok := s.(encoding.BinaryUnmarshaler)
	if !ok {
		return nil, errors.New("agg: state is not serializable")
	}
	if err := u.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	return s, nil
}

// Failer is implemented by states whose result can fail at run time (SUM
// and AVG on long overflow). When Err is non-nil, Result is null and the
// engine should emit Elasticsearch's two warnings for the group, the second
// being Err's text ("java.lang.ArithmeticException: long overflow").
type Failer interface {
	Err() error
}

// ErrLongOverflow is the failure of a long SUM that leaves the 64-bit range
// (Elasticsearch adds with Math.addExact and nulls the group).
var ErrLongOverflow = errors.New("java.lang.ArithmeticException: long overflow")

// TypeError reports an argument of an unsupported type; fields match
// fn.TypeError so the analyzer can word both alike.
type TypeError struct {
	Arg      int    // 0-based argument index
	Expected string // e.g. "numeric except unsigned_long or counter types"
	Found    doc.Type
}

func (e *TypeError) Error() string {
	names := []string{"first", "second", "third"}
	ord := "later"
	if e.Arg < len(names) {
		ord = names[e.Arg]
	}
	return "argument " + ord + " must be [" + e.Expected + "], found type [" + e.Found.String() + "]"
}

// constInt reads an integral constant parameter.
func constInt(consts []*doc.Value, i int, what string) (int64, error) {
	if i >= len(consts) || consts[i] == nil {
		return 0, errors.New(what + " must be a constant")
	}
	v := *consts[i]
	switch {
	case v.IsNull():
		return 0, errors.New(what + " must not be null")
	case v.IsMulti():
		return 0, errors.New(what + " must be a single value")
	case v.T == doc.Integer || v.T == doc.Long:
		return v.I, nil
	}
	return 0, errors.New(what + " must be an integer, found type [" + v.T.String() + "]")
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// each calls f for every value of v (none for null, each element of a multi-value).
func each(v doc.Value, f func(doc.Value)) {
	if v.M != nil {
		for _, e := range v.M {
			f(e)
		}
		return
	}
	if v.T != doc.Null {
		f(v)
	}
}

// nullState is the state of an aggregate over a literal null (or an
// expression of null type): it always yields null.
type nullState struct{}

func (nullState) Add(doc.Value)                  {}
func (nullState) Merge(State)                    {}
func (nullState) Result() doc.Value              { return doc.Value{} }
func (nullState) MarshalBinary() ([]byte, error) { return []byte{tagNull}, nil }
func (nullState) UnmarshalBinary(b []byte) error { return expectOnly(b, tagNull) }

func nullFactory() State { return nullState{} }
