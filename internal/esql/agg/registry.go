package agg

import (
	"errors"
	"strconv"

	"vigil/internal/doc"
	"vigil/internal/esql/fn"
	"vigil/internal/esql/registry"
)

// aggs holds every aggregate by upper-case name; filled by init functions in
// this package and never changed afterwards.
var aggs = registry.New[*Func]("aggregate")

func register(f *Func) { aggs.Add(f.Name, f) }

// Lookup finds an aggregate by name, case-insensitively.
func Lookup(name string) (*Func, bool) { return aggs.Lookup(name) }

// Names lists the registered aggregates, sorted.
func Names() []string { return aggs.Names() }

// TypeError reports an argument of an unsupported type; it is fn's, so the
// analyzer words both alike.
type TypeError = fn.TypeError

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
