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
		case bNumRank(out) > 0 && bNumRank(t) > 0:
			if bNumRank(t) > bNumRank(out) {
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
				return mvRetype(bWiden(v, out), out), nil
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
			return doc.Null, bNullEval, nil
		}
		return out, func(a []doc.Value) (doc.Value, error) {
			var best doc.Value
			for i, v := range a {
				if v.T == doc.Null {
					return doc.Value{}, nil
				}
				e := bWiden(mvExtreme(v, sign), out)
				if i == 0 || bCompare(e, best)*sign > 0 {
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
			return doc.Null, bNullEval, nil
		}
		return out, bStrict(func(a []doc.Value) (doc.Value, error) {
			v := bWiden(a[0], out)
			k := 1
			if lower {
				if m := bWiden(a[k], out); bCompare(v, m) < 0 {
					v = m
				}
				k++
			}
			if upper {
				if m := bWiden(a[k], out); bCompare(v, m) > 0 {
					v = m
				}
			}
			return mvRetype(v, out), nil
		}), nil
	}
}
