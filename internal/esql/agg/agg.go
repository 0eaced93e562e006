// Package agg owns ES|QL's aggregate functions (COUNT, COUNT_DISTINCT with
// HyperLogLog++, MIN, MAX, SUM, AVG, VALUES, TOP, …) as mergeable states, so
// that parallel workers and partitions combine partial results exactly.
package agg

import "vigil/internal/doc"

// State accumulates one group's values for one aggregate.
type State interface {
	// Add folds in one row's argument value (null, single or multi-valued).
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
	// Resolve type-checks the arguments once: args[0] is the aggregated
	// expression's type (Null for COUNT(*)), and consts holds the values of
	// constant parameters (TOP's limit and order, COUNT_DISTINCT's precision),
	// nil where an argument is not constant.
	Resolve func(args []doc.Type, consts []*doc.Value) (doc.Type, Factory, error)
}
