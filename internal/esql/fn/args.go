package fn

import "vigil/internal/doc"

// Argument checking shared by every function family.
//
// A single-value function looks at its arguments position by position, left
// to right, as Elasticsearch's generated evaluators do (e.g.
// AddIntsEvaluator, EqualsKeywordsEvaluator, DateDiffMillisEvaluator,
// ConcatEvaluator in x-pack/plugin/esql/src/main/generated): a null argument
// makes the result null silently, a multi-valued one makes it null with the
// warning "single-value function encountered multi-value", and the first
// argument that is either decides. So `mv + null` warns and `null + mv` does
// not.

// singleArgs checks args in that order: ok is false when the function must
// not run, with err ErrMultiValue when a multi-value stopped it.
func singleArgs(args []doc.Value) (ok bool, err error) {
	for _, a := range args {
		if a.T == doc.Null {
			return false, nil
		}
		if a.M != nil {
			return false, ErrMultiValue
		}
	}
	return true, nil
}

// strictN wraps a computation over single values; absent optional arguments
// are simply not in args.
func strictN(f func(args []doc.Value) (doc.Value, error)) Eval {
	return func(args []doc.Value) (doc.Value, error) {
		if ok, err := singleArgs(args); !ok {
			return doc.Value{}, err
		}
		return f(args)
	}
}

// strict1 is strictN for one argument.
func strict1(f func(a doc.Value) (doc.Value, error)) Eval {
	return func(args []doc.Value) (doc.Value, error) {
		if ok, err := singleArgs(args[:1]); !ok {
			return doc.Value{}, err
		}
		return f(args[0])
	}
}

// strict2 is strictN for two arguments.
func strict2(f func(a, b doc.Value) (doc.Value, error)) Eval {
	return func(args []doc.Value) (doc.Value, error) {
		if ok, err := singleArgs(args[:2]); !ok {
			return doc.Value{}, err
		}
		return f(args[0], args[1])
	}
}

// strictAfterFirst evaluates a two-argument function whose first argument is
// a whole multi-value (null gives null) and whose second must be single.
func strictAfterFirst(f func(v, x doc.Value) (doc.Value, error)) Eval {
	return func(a []doc.Value) (doc.Value, error) {
		if a[0].T == doc.Null {
			return doc.Value{}, nil
		}
		if ok, err := singleArgs(a[1:2]); !ok {
			return doc.Value{}, err
		}
		return f(a[0], a[1])
	}
}

// nullEval always yields null (a literal null argument).
func nullEval([]doc.Value) (doc.Value, error) { return doc.Value{}, nil }

// numericOrNull reports whether t is numeric or a literal null.
func numericOrNull(t doc.Type) bool { return t == doc.Null || t.IsNumeric() }

// stringOrNull reports whether t is keyword, text or a literal null.
func stringOrNull(t doc.Type) bool { return t == doc.Null || t.IsString() }

// integerOrNull reports whether t is integer or a literal null.
func integerOrNull(t doc.Type) bool { return t == doc.Null || t == doc.Integer }

// temporalOrNull reports whether t is datetime, date_nanos or a literal null.
func temporalOrNull(t doc.Type) bool { return t == doc.Null || t.IsTemporal() }

// checkStrings returns a TypeError for the first argument not a string.
func checkStrings(args []doc.Type) error {
	for i, t := range args {
		if !stringOrNull(t) {
			return &TypeError{Arg: i, Expected: "string", Found: t}
		}
	}
	return nil
}
