// Package fn owns ES|QL's value-level semantics: scalar functions, operators
// (arithmetic with Elasticsearch's overflow rules, comparisons, equality),
// type conversions and casts, and the total order SORT uses. It knows nothing
// of syntax: the analyzer resolves a call once by argument types and gets
// back a specialised evaluator.
//
// Files hold one function family each (string, math, date, ip, mv, convert,
// conditional, compare, ops, hash, json, bucket); args.go holds the argument
// checks every family shares, in Elasticsearch's order (a multi-value before
// a null warns, a null before a multi-value does not).
package fn

import (
	"vigil/internal/doc"
	"vigil/internal/esql/registry"
)

// Eval computes a result from argument values (each null, single or
// multi-valued). A failed evaluation returns a null Value and an error whose
// text is the exception line Elasticsearch puts in its second warning, e.g.
// "java.lang.IllegalArgumentException: single-value function encountered multi-value"
// or "java.lang.ArithmeticException: integer overflow".
type Eval func(args []doc.Value) (doc.Value, error)

// Func is a scalar function.
type Func struct {
	Name string // upper case, e.g. "TO_LOWER"
	// MinArgs and MaxArgs bound the argument count; MaxArgs < 0 means variadic.
	MinArgs, MaxArgs int
	// Resolve type-checks the arguments once and returns the result type and a
	// specialised evaluator. consts holds each argument's value when it is a
	// constant (foldable) expression and nil otherwise (patterns, formats).
	// Errors are messages without position, worded like Elasticsearch's
	// ("first argument of [%s] must be [string], found value [%s] type [%s]"
	// is produced by the caller from a *TypeError).
	Resolve func(args []doc.Type, consts []*doc.Value) (doc.Type, Eval, error)
}

// TypeError reports an argument of the wrong type.
type TypeError struct {
	Arg      int    // 0-based argument index
	Expected string // e.g. "keyword or text", "numeric", "datetime"
	Found    doc.Type
}

func (e *TypeError) Error() string {
	return "argument " + ordinal(e.Arg) + " must be [" + e.Expected + "], found type [" + e.Found.String() + "]"
}

func ordinal(i int) string {
	names := []string{"first", "second", "third", "fourth", "fifth"}
	if i < len(names) {
		return names[i]
	}
	return "later"
}

// ErrMultiValue is the failure of a single-value function or operator given a multi-value.
var ErrMultiValue = evalError("java.lang.IllegalArgumentException: single-value function encountered multi-value")

type evalError string

func (e evalError) Error() string { return string(e) }

// EvalError makes an evaluation failure carrying Elasticsearch's exception line.
func EvalError(javaLine string) error { return evalError(javaLine) }

// funcs holds every scalar function by upper-case name. It is filled by init
// functions in this package's files and never changed afterwards.
var funcs = registry.New[*Func]("function")

func register(f *Func) { funcs.Add(f.Name, f) }

// Lookup finds a scalar function by name, case-insensitively.
func Lookup(name string) (*Func, bool) { return funcs.Lookup(name) }

// Names lists the registered functions, sorted (for docs and error suggestions).
func Names() []string { return funcs.Names() }
