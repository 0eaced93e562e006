package fn

import (
	"errors"
	"math"
	"math/bits"
	"time"

	"vigil/internal/doc"
)

// Op is a binary operator.
type Op int

const (
	Add Op = iota
	Sub
	Mul
	Div
	Mod
	Eq
	Neq
	Lt
	Lte
	Gt
	Gte
)

var opSymbols = [...]string{Add: "+", Sub: "-", Mul: "*", Div: "/", Mod: "%", Eq: "==", Neq: "!=", Lt: "<", Lte: "<=", Gt: ">", Gte: ">="}

// String returns the operator as written in ES|QL.
func (o Op) String() string {
	if o >= 0 && int(o) < len(opSymbols) {
		return opSymbols[o]
	}
	return "?"
}

// Exception lines Elasticsearch reports for arithmetic failures (Math.*Exact,
// NumericUtils.asFiniteNumber, the Div/Mod evaluators' zero checks).
var (
	errOpIntOverflow   = EvalError("java.lang.ArithmeticException: integer overflow")
	errOpLongOverflow  = EvalError("java.lang.ArithmeticException: long overflow")
	errOpULongOverflow = EvalError("java.lang.ArithmeticException: unsigned_long overflow")
	errDivZero         = EvalError("java.lang.ArithmeticException: / by zero")
)

func errNotFinite(f float64) error {
	return EvalError("java.lang.ArithmeticException: not a finite double number: " + javaDouble(f))
}

// OperandError is an operator given operand types it refuses together.
// Message words it as Elasticsearch's verifier does, given the operation's
// source text.
type OperandError struct {
	Left, Right doc.Type
	// ULong marks unsigned_long mixed with another numeric type, which
	// Elasticsearch forbids for arithmetic and comparisons alike.
	ULong bool
}

// Message renders the error for the expression source text src (e.g. "a > b").
func (e *OperandError) Message(src string) string {
	if e.ULong {
		return "first argument of [" + src + "] is [" + e.Left.String() + "] and second is [" + e.Right.String() +
			"]. [unsigned_long] can only be operated on together with another [unsigned_long]"
	}
	l := e.Left.String()
	if e.Left.IsNumeric() {
		l = "numeric"
	}
	return "first argument of [" + src + "] is [" + l + "] so second argument must also be [" + l + "] but was [" + e.Right.String() + "]"
}

func (e *OperandError) Error() string { return e.Message("") }

func uLongMix(l, r doc.Type) error { return &OperandError{Left: l, Right: r, ULong: true} }

// Binary resolves an operator for operand types once and returns the result
// type and an evaluator taking exactly two arguments. A null operand gives
// null; a multi-valued one gives null and ErrMultiValue.
func Binary(op Op, l, r doc.Type) (doc.Type, Eval, error) {
	switch op {
	case Add, Sub, Mul, Div, Mod:
		return arithmetic(op, l, r)
	case Eq, Neq, Lt, Lte, Gt, Gte:
		return comparison(op, l, r)
	}
	return doc.Null, nil, errors.New("unknown operator")
}

func isSpan(t doc.Type) bool { return t == doc.TimeDuration || t == doc.DatePeriod }

func arithOperand(op Op, t doc.Type) bool {
	if t == doc.Null || t.IsNumeric() {
		return true
	}
	return (op == Add || op == Sub) && (t.IsTemporal() || isSpan(t))
}

func arithmetic(op Op, l, r doc.Type) (doc.Type, Eval, error) {
	expected := "numeric"
	if op == Add || op == Sub {
		expected = "datetime or numeric"
	}
	if !arithOperand(op, l) {
		return doc.Null, nil, &TypeError{Arg: 0, Expected: expected, Found: l}
	}
	if !arithOperand(op, r) {
		return doc.Null, nil, &TypeError{Arg: 1, Expected: expected, Found: r}
	}
	if l == doc.Null || r == doc.Null {
		// `1 + null` keeps the other side's type and is always null.
		if l == doc.Null {
			return r, nullEval, nil
		}
		return l, nullEval, nil
	}
	if l.IsNumeric() && r.IsNumeric() {
		return numericArith(op, l, r)
	}
	return temporalArith(op, l, r)
}

func numericArith(op Op, l, r doc.Type) (doc.Type, Eval, error) {
	switch {
	case (l == doc.UnsignedLong) != (r == doc.UnsignedLong):
		return doc.Null, nil, uLongMix(l, r)
	case l == doc.Double || r == doc.Double:
		return doc.Double, strict2(doubleArith[op]), nil
	case l == doc.UnsignedLong:
		return doc.UnsignedLong, strict2(ulongArith[op]), nil
	case l == doc.Long || r == doc.Long:
		return doc.Long, strict2(longArith[op]), nil
	}
	return doc.Integer, strict2(intArith[op]), nil
}

var intArith = [...]func(a, b doc.Value) (doc.Value, error){
	Add: func(a, b doc.Value) (doc.Value, error) { return intResult(a.I + b.I) },
	Sub: func(a, b doc.Value) (doc.Value, error) { return intResult(a.I - b.I) },
	Mul: func(a, b doc.Value) (doc.Value, error) { return intResult(a.I * b.I) },
	Div: func(a, b doc.Value) (doc.Value, error) {
		if b.I == 0 {
			return doc.Value{}, errDivZero
		}
		// Java's MIN_VALUE / -1 wraps silently; int32() reproduces it.
		return doc.Int(int32(a.I / b.I)), nil
	},
	Mod: func(a, b doc.Value) (doc.Value, error) {
		if b.I == 0 {
			return doc.Value{}, errDivZero
		}
		return doc.Int(int32(a.I % b.I)), nil
	},
}

func intResult(x int64) (doc.Value, error) {
	if x < math.MinInt32 || x > math.MaxInt32 {
		return doc.Value{}, errOpIntOverflow
	}
	return doc.Value{T: doc.Integer, I: x}, nil
}

var longArith = [...]func(a, b doc.Value) (doc.Value, error){
	Add: func(a, b doc.Value) (doc.Value, error) {
		s := a.I + b.I
		if (a.I >= 0) == (b.I >= 0) && (s >= 0) != (a.I >= 0) {
			return doc.Value{}, errOpLongOverflow
		}
		return doc.Long64(s), nil
	},
	Sub: func(a, b doc.Value) (doc.Value, error) {
		s := a.I - b.I
		if (a.I >= 0) != (b.I >= 0) && (s >= 0) != (a.I >= 0) {
			return doc.Value{}, errOpLongOverflow
		}
		return doc.Long64(s), nil
	},
	Mul: func(a, b doc.Value) (doc.Value, error) {
		p, ok := mulInt64(a.I, b.I)
		if !ok {
			return doc.Value{}, errOpLongOverflow
		}
		return doc.Long64(p), nil
	},
	Div: func(a, b doc.Value) (doc.Value, error) {
		if b.I == 0 {
			return doc.Value{}, errDivZero
		}
		return doc.Long64(a.I / b.I), nil
	},
	Mod: func(a, b doc.Value) (doc.Value, error) {
		if b.I == 0 {
			return doc.Value{}, errDivZero
		}
		return doc.Long64(a.I % b.I), nil
	},
}

func mulInt64(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	p := a * b
	if (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) || p/b != a {
		return 0, false
	}
	return p, true
}

var ulongArith = [...]func(a, b doc.Value) (doc.Value, error){
	Add: func(a, b doc.Value) (doc.Value, error) {
		s, c := bits.Add64(uint64(a.I), uint64(b.I), 0)
		if c != 0 {
			return doc.Value{}, errOpULongOverflow
		}
		return doc.ULong(s), nil
	},
	Sub: func(a, b doc.Value) (doc.Value, error) {
		s, c := bits.Sub64(uint64(a.I), uint64(b.I), 0)
		if c != 0 {
			return doc.Value{}, errOpULongOverflow
		}
		return doc.ULong(s), nil
	},
	Mul: func(a, b doc.Value) (doc.Value, error) {
		hi, lo := bits.Mul64(uint64(a.I), uint64(b.I))
		if hi != 0 {
			return doc.Value{}, errOpULongOverflow
		}
		return doc.ULong(lo), nil
	},
	Div: func(a, b doc.Value) (doc.Value, error) {
		if b.I == 0 {
			return doc.Value{}, errDivZero
		}
		return doc.ULong(uint64(a.I) / uint64(b.I)), nil
	},
	Mod: func(a, b doc.Value) (doc.Value, error) {
		if b.I == 0 {
			return doc.Value{}, errDivZero
		}
		return doc.ULong(uint64(a.I) % uint64(b.I)), nil
	},
}

// Doubles: + - * fail on a non-finite result (asFiniteNumber), / and % report
// "/ by zero" for any NaN or infinite result, as Elasticsearch's Div does.
var doubleArith = [...]func(a, b doc.Value) (doc.Value, error){
	Add: func(a, b doc.Value) (doc.Value, error) { return finiteDouble(a.AsFloat() + b.AsFloat()) },
	Sub: func(a, b doc.Value) (doc.Value, error) { return finiteDouble(a.AsFloat() - b.AsFloat()) },
	Mul: func(a, b doc.Value) (doc.Value, error) { return finiteDouble(a.AsFloat() * b.AsFloat()) },
	Div: func(a, b doc.Value) (doc.Value, error) {
		f := a.AsFloat() / b.AsFloat()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return doc.Value{}, errDivZero
		}
		return doc.Float(f), nil
	},
	Mod: func(a, b doc.Value) (doc.Value, error) {
		f := math.Mod(a.AsFloat(), b.AsFloat())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return doc.Value{}, errDivZero
		}
		return doc.Float(f), nil
	},
}

func finiteDouble(f float64) (doc.Value, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return doc.Value{}, errNotFinite(f)
	}
	return doc.Float(f), nil
}

// temporalArith handles date ± span, span ± date (addition only) and
// span ± span of the same kind.
func temporalArith(op Op, l, r doc.Type) (doc.Type, Eval, error) {
	sub := op == Sub
	switch {
	case l.IsTemporal() && isSpan(r):
		return l, strict2(func(a, b doc.Value) (doc.Value, error) { return addSpan(a, b, sub) }), nil
	case isSpan(l) && r.IsTemporal() && !sub:
		return r, strict2(func(a, b doc.Value) (doc.Value, error) { return addSpan(b, a, false) }), nil
	case l == doc.TimeDuration && r == doc.TimeDuration:
		f := longArith[op]
		return l, strict2(func(a, b doc.Value) (doc.Value, error) {
			v, err := f(a, b)
			v.T = doc.TimeDuration
			if err != nil {
				return doc.Value{}, err
			}
			return v, nil
		}), nil
	case l == doc.DatePeriod && r == doc.DatePeriod:
		return l, strict2(func(a, b doc.Value) (doc.Value, error) {
			m, d := b.I, int64(b.F)
			if sub {
				m, d = -m, -d
			}
			m += a.I
			d += int64(a.F)
			if m != int64(int32(m)) || d != int64(int32(d)) {
				return doc.Value{}, errOpIntOverflow
			}
			return doc.Period(m, d), nil
		}), nil
	}
	if l.IsTemporal() || isSpan(l) {
		return doc.Null, nil, &TypeError{Arg: 1, Expected: "date_period or time_duration", Found: r}
	}
	return doc.Null, nil, &TypeError{Arg: 0, Expected: "datetime or numeric", Found: l}
}

// addSpan adds (or subtracts) a time span to a datetime or date_nanos value.
// Periods are calendar-aware like java.time: months first with the day of
// month clamped (Jan 31 + 1 month = Feb 28), then days.
func addSpan(date, span doc.Value, neg bool) (doc.Value, error) {
	nanos := date.T == doc.DateNanos
	if span.T == doc.TimeDuration {
		d := span.I
		if neg {
			if d == math.MinInt64 {
				return doc.Value{}, errOpLongOverflow
			}
			d = -d
		}
		if nanos {
			s := date.I + d
			if (date.I >= 0) == (d >= 0) && (s >= 0) != (date.I >= 0) {
				return doc.Value{}, errOpLongOverflow
			}
			return doc.DateNano(s), nil
		}
		// Millis: add the whole milliseconds, then floor the sub-millisecond rest.
		ms := d / 1e6
		rest := d % 1e6
		s := date.I + ms
		if (date.I >= 0) == (ms >= 0) && (s >= 0) != (date.I >= 0) {
			return doc.Value{}, errOpLongOverflow
		}
		if rest < 0 {
			s--
		}
		return doc.DateMillis(s), nil
	}
	months, days := span.I, int64(span.F)
	if neg {
		months, days = -months, -days
	}
	t := date.Time()
	t = plusPeriod(t, months, days)
	if nanos {
		y := t.Year()
		if y < 1970 || y > 2262 {
			return doc.Value{}, EvalError("java.time.DateTimeException: Date nanos out of range.  Must be between 1970-01-01T00:00:00Z and 2262-04-11T23:47:16.854775807")
		}
		return doc.DateNano(t.UnixNano()), nil
	}
	return doc.DateMillis(t.UnixMilli()), nil
}

// plusPeriod adds months (clamping the day of month) and then days, in UTC.
func plusPeriod(t time.Time, months, days int64) time.Time {
	if months != 0 {
		y, m, d := t.Date()
		total := int64(y)*12 + int64(m-1) + months
		ny := floorDivI64(total, 12)
		nm := time.Month(total-ny*12) + 1
		if dim := daysIn(int(ny), nm); d > dim {
			d = dim
		}
		t = time.Date(int(ny), nm, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	}
	if days != 0 {
		t = t.AddDate(0, 0, int(days))
	}
	return t
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func floorDivI64(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// Negate resolves unary minus. Integer and long overflow (negating the
// minimum value) give null with Math.negateExact's warning.
func Negate(t doc.Type) (doc.Type, Eval, error) {
	switch t {
	case doc.Null:
		return doc.Null, nullEval, nil
	case doc.Integer:
		return t, strict1(func(a doc.Value) (doc.Value, error) { return intResult(-a.I) }), nil
	case doc.Long:
		return t, strict1(func(a doc.Value) (doc.Value, error) {
			if a.I == math.MinInt64 {
				return doc.Value{}, errOpLongOverflow
			}
			return doc.Long64(-a.I), nil
		}), nil
	case doc.UnsignedLong:
		return doc.Null, nil, errors.New("negation unsupported for arguments of type [unsigned_long]")
	case doc.Double:
		return t, strict1(func(a doc.Value) (doc.Value, error) { return doc.Float(-a.F), nil }), nil
	case doc.TimeDuration:
		return t, strict1(func(a doc.Value) (doc.Value, error) {
			if a.I == math.MinInt64 {
				return doc.Value{}, errOpLongOverflow
			}
			return doc.Value{T: doc.TimeDuration, I: -a.I}, nil
		}), nil
	case doc.DatePeriod:
		return t, strict1(func(a doc.Value) (doc.Value, error) { return doc.Period(-a.I, -int64(a.F)), nil }), nil
	}
	return doc.Null, nil, &TypeError{Arg: 0, Expected: "numeric, date_period or time_duration", Found: t}
}
