// Package agg owns ES|QL's aggregate functions (COUNT, COUNT_DISTINCT with
// HyperLogLog++, MIN, MAX, SUM, AVG, VALUES, TOP, …) as mergeable states, so
// that parallel workers and partitions combine partial results exactly.
package agg

import (
	"errors"

	"vigil/internal/doc"
)

// State accumulates one group's values for one aggregate.
type State interface {
	// Add folds in one row's argument value (null, single or multi-valued).
	// v may alias memory that is reused once Add returns (a decoded
	// line): a state keeps only copies (doc.Value.Clone).
	Add(v doc.Value)
	// Merge folds in another state of the same aggregate and parameters.
	Merge(other State)
	// Result returns the aggregate's value for the group.
	Result() doc.Value
}

// Factory makes a fresh state for a new group.
type Factory func() State

// Func is an aggregate function.
type Func struct {
	Name             string // upper case
	MinArgs, MaxArgs int    // MaxArgs < 0: variadic
	// RowArgs is how many leading arguments are evaluated per row (0 means
	// 1; the rest must be constants). With 2 (FIRST, LAST), Add receives
	// Pair(first, second) for every row, even when both are null.
	RowArgs int
	// Resolve type-checks the arguments once: args[0] is the aggregated
	// expression's type (Null for COUNT(*)), and consts holds the values of
	// constant parameters (TOP's limit and order, COUNT_DISTINCT's precision),
	// nil where an argument is not constant.
	Resolve func(args []doc.Type, consts []*doc.Value) (doc.Type, Factory, error)
}

// NewStates fills dst with fresh states from f. The common aggregates'
// states come from one allocation for the lot instead of one each: a STATS
// whose groups mostly see a single row spends its time making states.
func NewStates(f Factory, dst []State) {
	if len(dst) == 0 {
		return
	}
	dst[0] = f()
	if b, ok := dst[0].(batchable); ok {
		b.fresh(dst[1:])
		return
	}
	for i := 1; i < len(dst); i++ {
		dst[i] = f()
	}
}

// Reset empties a state whose group closed so that it can serve a new
// group, reporting whether it could (states from NewStates can); a state
// that cannot is to be dropped. States from NewStates share their
// allocation, so one kept full would keep its neighbours' values alive.
func Reset(s State) bool {
	b, ok := s.(batchable)
	if ok {
		b.reset()
	}
	return ok
}

// batchable states make fresh states of their own parameters in bulk, and
// can be emptied in place.
type batchable interface {
	fresh(dst []State)
	reset()
}

// freshBatch fills dst with empty states, all in one array; set gives each
// its parameters (setting fields is cheaper than copying a prototype).
func freshBatch[T any, P interface {
	*T
	State
}](dst []State, set func(P)) {
	arr := make([]T, len(dst))
	for i := range arr {
		p := P(&arr[i])
		set(p)
		dst[i] = p
	}
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
