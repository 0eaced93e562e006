package fn

// Conditional functions that are ordinary calls: COALESCE, GREATEST, LEAST
// and the CLAMP family. Arguments share one type family; numeric types mix
// and widen (integer < long < unsigned_long < double) as the
// mixed_numeric_types_in_coalesce / _in_case_greatest_least capabilities do;
// text joins keyword and yields keyword.

import "vigil/internal/doc"

func init() {
	register(&Func{Name: "COALESCE", MinArgs: 1, MaxArgs: -1, Resolve: resolveCoalesce})
	register(&Func{Name: "GREATEST", MinArgs: 1, MaxArgs: -1, Resolve: condResolveExtreme(1)})
	register(&Func{Name: "LEAST", MinArgs: 1, MaxArgs: -1, Resolve: condResolveExtreme(-1)})
	register(&Func{Name: "CLAMP", MinArgs: 3, MaxArgs: 3, Resolve: condResolveClamp(true, true)})
	register(&Func{Name: "CLAMP_MIN", MinArgs: 2, MaxArgs: 2, Resolve: condResolveClamp(true, false)})
	register(&Func{Name: "CLAMP_MAX", MinArgs: 2, MaxArgs: 2, Resolve: condResolveClamp(false, true)})
}

// condUnify finds the common type of the non-null arguments; ok(t) limits the
// accepted types. It returns doc.Null when every argument is a literal null.
func condUnify(args []doc.Type, ok func(doc.Type) bool, expected string) (doc.Type, error) {
	out := doc.Null
	for i, t := range args {
		if t == doc.Null {
			continue
		}
		if !ok(t) {
			return 0, &TypeError{Arg: i, Expected: expected, Found: t}
		}
		t = mvOutType(t)
		switch {
		case out == doc.Null:
			out = t
		case out == t:
		case numRank(out) > 0 && numRank(t) > 0:
			if numRank(t) > numRank(out) {
				out = t
			}
		default:
			return 0, &TypeError{Arg: i, Expected: out.String(), Found: t}
		}
	}
	return out, nil
}

func condAny(t doc.Type) bool { return t != doc.Unsupported }

func resolveCoalesce(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	out, err := condUnify(args, condAny, "any type except counter types")
	if err != nil {
		return 0, nil, err
	}
	return out, func(a []doc.Value) (doc.Value, error) {
		for _, v := range a {
			if v.T != doc.Null {
				return mvRetype(widen(v, out), out), nil
			}
		}
		return doc.Value{}, nil
	}, nil
}

func condOrderable(t doc.Type) bool {
	switch t {
	case doc.Boolean, doc.Date, doc.DateNanos, doc.Double, doc.Integer, doc.IP,
		doc.Long, doc.UnsignedLong, doc.Version, doc.Keyword, doc.Text:
		return true
	}
	return false
}

// condResolveExtreme builds GREATEST (sign 1) and LEAST (sign -1): a null
// argument gives null; a multi-valued one contributes its own extreme.
func condResolveExtreme(sign int) func([]doc.Type, []*doc.Value) (doc.Type, Eval, error) {
	return func(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
		out, err := condUnify(args, condOrderable, "any type except counter and spatial types")
		if err != nil {
			return 0, nil, err
		}
		if out == doc.Null {
			return doc.Null, nullEval, nil
		}
		return out, func(a []doc.Value) (doc.Value, error) {
			var best doc.Value
			for i, v := range a {
				if v.T == doc.Null {
					return doc.Value{}, nil
				}
				e := widen(mvExtreme(v, sign), out)
				if i == 0 || Compare(e, best)*sign > 0 {
					best = e
				}
			}
			return mvRetype(best, out), nil
		}, nil
	}
}

// condResolveClamp builds CLAMP (both bounds), CLAMP_MIN and CLAMP_MAX.
func condResolveClamp(lower, upper bool) func([]doc.Type, []*doc.Value) (doc.Type, Eval, error) {
	return func(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
		out, err := condUnify(args, condOrderable, "any type except counter and spatial types")
		if err != nil {
			return 0, nil, err
		}
		if out == doc.Null {
			return doc.Null, nullEval, nil
		}
		return out, strictN(func(a []doc.Value) (doc.Value, error) {
			v := widen(a[0], out)
			k := 1
			if lower {
				if m := widen(a[k], out); Compare(v, m) < 0 {
					v = m
				}
				k++
			}
			if upper {
				if m := widen(a[k], out); Compare(v, m) > 0 {
					v = m
				}
			}
			return mvRetype(v, out), nil
		}), nil
	}
}

// numRank orders the numeric types for widening: integer < long <
// unsigned_long < double. Zero means not numeric.
func numRank(t doc.Type) int {
	switch t {
	case doc.Integer:
		return 1
	case doc.Long:
		return 2
	case doc.UnsignedLong:
		return 3
	case doc.Double:
		return 4
	}
	return 0
}

// widen converts a numeric value (single or multi) to type to; other values
// are returned unchanged.
func widen(v doc.Value, to doc.Type) doc.Value {
	if v.T == to || v.T == doc.Null || numRank(v.T) == 0 {
		return v
	}
	if v.M != nil {
		out := make([]doc.Value, len(v.M))
		for i, e := range v.M {
			out[i] = widen(e, to)
		}
		return doc.Value{T: to, M: out}
	}
	switch to {
	case doc.Double:
		return doc.Float(v.AsFloat())
	case doc.Long, doc.UnsignedLong:
		return doc.Value{T: to, I: v.I}
	}
	return v
}
