package fn

import (
	"math"

	"vigil/internal/doc"
)

// Functions added from Elasticsearch's reference pages (their examples are
// in csvspec/testdata/docs-examples.csv-spec).
func init() {
	register(&Func{Name: "COPY_SIGN", MinArgs: 2, MaxArgs: 2, Resolve: resolveCopySign})
	register(&Func{Name: "MV_CONTAINS", MinArgs: 2, MaxArgs: 2, Resolve: resolveMvContains})
}

// COPY_SIGN(magnitude, sign): the magnitude with the sign of the second
// argument, in the magnitude's type (math-functions#esql-copy_sign). A
// double sign of -0.0 counts as negative, as Math.copySign has it.
func resolveCopySign(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	for i, t := range args {
		if !numericOrNull(t) || t == doc.UnsignedLong {
			return 0, nil, &TypeError{Arg: i, Expected: "double or integer or long", Found: t}
		}
	}
	out := args[0]
	if out == doc.Null {
		return doc.Double, nullEval, nil
	}
	if args[1] == doc.Null {
		return out, nullEval, nil
	}
	negative := func(v doc.Value) bool {
		if v.T == doc.Double {
			return math.Signbit(v.F)
		}
		return v.I < 0
	}
	return out, opEval2(func(m, s doc.Value) (doc.Value, error) {
		if m.T == doc.Double {
			f := math.Abs(m.F)
			if negative(s) {
				f = -f
			}
			return doc.Float(f), nil
		}
		i := m.I
		if (i < 0) != negative(s) {
			i = -i // wraps for the minimum value, as Java's negation does
		}
		if out == doc.Integer {
			return doc.Int(int32(i)), nil
		}
		return doc.Long64(i), nil
	}), nil
}

// MV_CONTAINS(superset, subset): whether every value of the second argument
// is among the first's; a null argument is an empty set, so a null subset is
// always contained (mv-functions#esql-mv_contains).
func resolveMvContains(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	for i, t := range args {
		if !mvAnyType(t) {
			return 0, nil, &TypeError{Arg: i, Expected: "any type except counter types", Found: t}
		}
	}
	if _, err := mvPairType(args[0], args[1]); err != nil {
		return 0, nil, err
	}
	return doc.Boolean, func(a []doc.Value) (doc.Value, error) {
		set := newMvSet(bElems(a[0]))
		for _, e := range bElems(a[1]) {
			if !set.has(e) {
				return doc.Bool(false), nil
			}
		}
		return doc.Bool(true), nil
	}, nil
}
