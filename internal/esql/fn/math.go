package fn

import (
	"math"

	"vigil/internal/doc"
)

// Domain-error lines of Elasticsearch's math evaluators.
var (
	errLogNonPositive = EvalError("java.lang.ArithmeticException: Log of non-positive number")
	errLogBase1       = EvalError("java.lang.ArithmeticException: Log of base 1")
	errSqrtNegative   = EvalError("java.lang.ArithmeticException: Square root of negative")
	errAsinRange      = EvalError("java.lang.ArithmeticException: Asin input out of range")
	errAcosRange      = EvalError("java.lang.ArithmeticException: Acos input out of range")
)

// mathDouble registers a numeric → double function of one argument.
func mathDouble(name string, f func(x float64) (float64, error)) {
	register(&Func{Name: name, MinArgs: 1, MaxArgs: 1, Resolve: func(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
		if !numericOrNull(args[0]) {
			return doc.Null, nil, &TypeError{Arg: 0, Expected: "numeric", Found: args[0]}
		}
		if args[0] == doc.Null {
			return doc.Double, nullEval, nil
		}
		return doc.Double, strict1(func(a doc.Value) (doc.Value, error) {
			r, err := f(a.AsFloat())
			if err != nil {
				return doc.Value{}, err
			}
			return doc.Float(r), nil
		}), nil
	}})
}

// mathDouble2 registers a (numeric, numeric) → double function.
func mathDouble2(name string, f func(x, y float64) (float64, error)) {
	register(&Func{Name: name, MinArgs: 2, MaxArgs: 2, Resolve: func(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
		for i, t := range args {
			if !numericOrNull(t) {
				return doc.Null, nil, &TypeError{Arg: i, Expected: "numeric", Found: t}
			}
		}
		if args[0] == doc.Null || args[1] == doc.Null {
			return doc.Double, nullEval, nil
		}
		return doc.Double, strict2(func(a, b doc.Value) (doc.Value, error) {
			r, err := f(a.AsFloat(), b.AsFloat())
			if err != nil {
				return doc.Value{}, err
			}
			return doc.Float(r), nil
		}), nil
	}})
}

// mathConst registers a zero-argument constant.
func mathConst(name string, v float64) {
	register(&Func{Name: name, MinArgs: 0, MaxArgs: 0, Resolve: func([]doc.Type, []*doc.Value) (doc.Type, Eval, error) {
		c := doc.Float(v)
		return doc.Double, func([]doc.Value) (doc.Value, error) { return c, nil }, nil
	}})
}

// mathSameType registers a numeric → same numeric type function.
func mathSameType(name string, intF func(i int64, t doc.Type) doc.Value, dblF func(f float64) float64) {
	register(&Func{Name: name, MinArgs: 1, MaxArgs: 1, Resolve: func(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
		t := args[0]
		if !numericOrNull(t) {
			return doc.Null, nil, &TypeError{Arg: 0, Expected: "numeric", Found: t}
		}
		if t == doc.Null {
			return doc.Null, nullEval, nil
		}
		if t == doc.Double {
			return t, strict1(func(a doc.Value) (doc.Value, error) { return doc.Float(dblF(a.F)), nil }), nil
		}
		return t, strict1(func(a doc.Value) (doc.Value, error) { return intF(a.I, t), nil }), nil
	}})
}

func finiteOr(f float64) (float64, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errNotFinite(f)
	}
	return f, nil
}

func mathPlain(f func(float64) float64) func(float64) (float64, error) {
	return func(x float64) (float64, error) { return f(x), nil }
}

func identityInt(i int64, t doc.Type) doc.Value { return doc.Value{T: t, I: i} }

func init() {
	register(&Func{Name: "COPY_SIGN", MinArgs: 2, MaxArgs: 2, Resolve: resolveCopySign})
	mathSameType("ABS", func(i int64, t doc.Type) doc.Value {
		switch {
		case t == doc.UnsignedLong || i >= 0:
			return doc.Value{T: t, I: i}
		case t == doc.Integer && i == math.MinInt32, i == math.MinInt64:
			return doc.Value{T: t, I: i} // Math.abs(MIN_VALUE) is MIN_VALUE
		}
		return doc.Value{T: t, I: -i}
	}, math.Abs)
	mathSameType("CEIL", identityInt, math.Ceil)
	mathSameType("FLOOR", identityInt, math.Floor)

	mathDouble("SIGNUM", func(x float64) (float64, error) {
		switch {
		case x > 0:
			return 1, nil
		case x < 0:
			return -1, nil
		}
		return x, nil // 0.0, -0.0 and NaN map to themselves
	})
	mathDouble("SQRT", func(x float64) (float64, error) {
		if x < 0 {
			return 0, errSqrtNegative
		}
		return math.Sqrt(x), nil
	})
	mathDouble("CBRT", mathPlain(math.Cbrt))
	mathDouble("EXP", mathPlain(math.Exp))
	mathDouble("LOG10", func(x float64) (float64, error) {
		if x <= 0 {
			return 0, errLogNonPositive
		}
		return math.Log10(x), nil
	})
	mathDouble("SIN", mathPlain(math.Sin))
	mathDouble("COS", mathPlain(math.Cos))
	mathDouble("TAN", mathPlain(math.Tan))
	mathDouble("ASIN", func(x float64) (float64, error) {
		if x < -1 || x > 1 {
			return 0, errAsinRange
		}
		return fdAsin(x), nil // Java's Math.asin is StrictMath's (fdlibm); Go's can be 3 ulps off
	})
	mathDouble("ACOS", func(x float64) (float64, error) {
		if x < -1 || x > 1 {
			return 0, errAcosRange
		}
		return math.Acos(x), nil
	})
	mathDouble("ATAN", mathPlain(fdAtan))
	mathDouble("SINH", func(x float64) (float64, error) { return finiteOr(math.Sinh(x)) })
	mathDouble("COSH", func(x float64) (float64, error) { return finiteOr(math.Cosh(x)) })
	mathDouble("TANH", mathPlain(math.Tanh))
	mathDouble2("ATAN2", func(y, x float64) (float64, error) { return fdAtan2(y, x), nil })
	mathDouble2("HYPOT", func(x, y float64) (float64, error) { return finiteOr(math.Hypot(x, y)) })
	mathDouble2("POW", func(b, e float64) (float64, error) { return finiteOr(math.Pow(b, e)) })
	mathConst("PI", math.Pi)
	mathConst("E", math.E)
	mathConst("TAU", 2*math.Pi)

	register(&Func{Name: "LOG", MinArgs: 1, MaxArgs: 2, Resolve: resolveLog})
	register(&Func{Name: "ROUND", MinArgs: 1, MaxArgs: 2, Resolve: resolveRound})
}

func logOf(base, x float64) (float64, error) {
	if base <= 0 || x <= 0 {
		return 0, errLogNonPositive
	}
	if base == 1 {
		return 0, errLogBase1
	}
	return math.Log(x) / math.Log(base), nil
}

func resolveLog(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	for i, t := range args {
		if !numericOrNull(t) {
			return doc.Null, nil, &TypeError{Arg: i, Expected: "numeric", Found: t}
		}
		if t == doc.Null {
			return doc.Double, nullEval, nil
		}
	}
	if len(args) == 1 {
		return doc.Double, strict1(func(a doc.Value) (doc.Value, error) {
			x := a.AsFloat()
			if x <= 0 {
				return doc.Value{}, errLogNonPositive
			}
			return doc.Float(math.Log(x)), nil
		}), nil
	}
	return doc.Double, strict2(func(b, a doc.Value) (doc.Value, error) {
		r, err := logOf(b.AsFloat(), a.AsFloat())
		if err != nil {
			return doc.Value{}, err
		}
		return doc.Float(r), nil
	}), nil
}

// resolveRound: ROUND(x[, decimals]) keeps x's type and rounds half away
// from zero the way esql-core's Maths.round does: doubles via
// Math.round(|x·10^d|)/10^d (so binary representation error shows, as in
// Elasticsearch), whole numbers exactly with "long overflow" /
// "integer overflow" when the result does not fit.
func resolveRound(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	t := args[0]
	if !numericOrNull(t) {
		return doc.Null, nil, &TypeError{Arg: 0, Expected: "numeric", Found: t}
	}
	if len(args) == 2 && !(args[1] == doc.Null || args[1] == doc.Integer || args[1] == doc.Long) {
		return doc.Null, nil, &TypeError{Arg: 1, Expected: "whole number except unsigned_long or counter types", Found: args[1]}
	}
	if t == doc.Null || (len(args) == 2 && args[1] == doc.Null) {
		return t, nullEval, nil
	}
	return t, strictN(func(a []doc.Value) (doc.Value, error) {
		var dec int64
		if len(a) == 2 {
			dec = a[1].I
		}
		v := a[0]
		switch v.T {
		case doc.Double:
			return doc.Float(roundDouble(v.F, dec)), nil
		case doc.UnsignedLong:
			return roundULong(uint64(v.I), dec)
		}
		r, err := roundLong(v.I, dec)
		if err != nil {
			return doc.Value{}, err
		}
		if v.T == doc.Integer {
			if r != int64(int32(r)) {
				return doc.Value{}, errOpIntOverflow
			}
			return doc.Value{T: doc.Integer, I: r}, nil
		}
		return doc.Long64(r), nil
	}), nil
}

func roundDouble(n float64, dec int64) float64 {
	if math.IsNaN(n) {
		return 0
	}
	ten := math.Pow(10, float64(dec))
	if ten == 0 || n == 0 {
		return 0
	}
	m := n * ten
	sign := 1.0
	if m < 0 {
		sign = -1
	}
	if math.IsInf(m, 0) {
		return n
	}
	abs := math.Abs(m)
	if abs < 9.223372036854775807e18 {
		return float64(javaRound(abs)) / ten * sign
	}
	return abs / ten * sign
}

// roundLong rounds to a negative number of decimals, half away from zero.
func roundLong(n, dec int64) (int64, error) {
	if n == 0 || dec >= 0 {
		return n, nil
	}
	if dec <= -20 {
		return 0, nil
	}
	digits := -dec
	if digits == 19 {
		const half = 5_000_000_000_000_000_000
		if n >= half || n <= -half {
			return 0, errOpLongOverflow
		}
		return 0, nil
	}
	ten := int64(1)
	for i := int64(0); i < digits; i++ {
		ten *= 10
	}
	mid, rem := n/ten, n%ten
	if rem >= ten/2 {
		mid++
	} else if rem <= -ten/2 {
		mid--
	}
	r, ok := mulInt64(mid, ten)
	if !ok {
		return 0, errOpLongOverflow
	}
	return r, nil
}

// roundULong: values below 2^63 round as longs, larger ones exactly.
func roundULong(u uint64, dec int64) (doc.Value, error) {
	if u < 1<<63 {
		r, err := roundLong(int64(u), dec)
		if err != nil {
			return doc.Value{}, err
		}
		return doc.ULong(uint64(r)), nil
	}
	if dec >= 0 {
		return doc.ULong(u), nil
	}
	if dec < -19 {
		return doc.ULong(0), nil
	}
	ten := uint64(1)
	for i := int64(0); i < -dec; i++ {
		ten *= 10
	}
	q := u / ten * ten
	if u-q >= ten/2 {
		if q+ten < q {
			return doc.Value{}, errOpULongOverflow
		}
		q += ten
	}
	return doc.ULong(q), nil
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
	return out, strict2(func(m, s doc.Value) (doc.Value, error) {
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
