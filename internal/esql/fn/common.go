package fn

import "vigil/internal/doc"

// Shared helpers for engineer A's files (operators, conversions, dates,
// math). Names carry an "op"/"a" flavour so they do not collide with the
// string/mv helpers defined elsewhere in this package.

// opEval1 wraps a single-value unary computation: a null argument gives null,
// a multi-valued one gives null and ErrMultiValue.
func opEval1(f func(a doc.Value) (doc.Value, error)) Eval {
	return func(args []doc.Value) (doc.Value, error) {
		a := args[0]
		if a.T == doc.Null {
			return doc.Value{}, nil
		}
		if a.M != nil {
			return doc.Value{}, ErrMultiValue
		}
		return f(a)
	}
}

// opEval2 is opEval1 for two arguments.
func opEval2(f func(a, b doc.Value) (doc.Value, error)) Eval {
	return func(args []doc.Value) (doc.Value, error) {
		a, b := args[0], args[1]
		if a.T == doc.Null || b.T == doc.Null {
			return doc.Value{}, nil
		}
		if a.M != nil || b.M != nil {
			return doc.Value{}, ErrMultiValue
		}
		return f(a, b)
	}
}

// opEvalN is opEval1 for any number of arguments; absent optional
// arguments are simply not in args.
func opEvalN(f func(args []doc.Value) (doc.Value, error)) Eval {
	return func(args []doc.Value) (doc.Value, error) {
		for _, a := range args {
			if a.T == doc.Null {
				return doc.Value{}, nil
			}
		}
		for _, a := range args {
			if a.M != nil {
				return doc.Value{}, ErrMultiValue
			}
		}
		return f(args)
	}
}

// nullEval always yields null (a literal null argument).
func nullEval([]doc.Value) (doc.Value, error) { return doc.Value{}, nil }

// numericOrNull reports whether t is numeric or a literal null.
func numericOrNull(t doc.Type) bool { return t == doc.Null || t.IsNumeric() }

// stringOrNull reports whether t is keyword, text or a literal null.
func stringOrNull(t doc.Type) bool { return t == doc.Null || t.IsString() }

// temporalOrNull reports whether t is datetime, date_nanos or a literal null.
func temporalOrNull(t doc.Type) bool { return t == doc.Null || t.IsTemporal() }

// asciiUpper upper-cases ASCII letters (unit and field names are ASCII).
func asciiUpper(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'a' <= c && c <= 'z' {
			return upper(s)
		}
	}
	return s
}

// javaDouble renders a float as Java's Double.toString does, for messages.
func javaDouble(f float64) string { return doc.FormatDouble(f) }
