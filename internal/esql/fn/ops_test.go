package fn

import (
	"math"
	"testing"
	"time"

	"vigil/internal/doc"
)

func evalOp(t *testing.T, op Op, a, b doc.Value) (doc.Type, doc.Value, error) {
	t.Helper()
	typ, ev, err := Binary(op, a.T, b.T)
	if err != nil {
		t.Fatalf("Binary(%v, %v, %v): %v", op, a.T, b.T, err)
	}
	v, err := ev([]doc.Value{a, b})
	return typ, v, err
}

func TestBinaryArithmetic(t *testing.T) {
	multi := doc.Value{T: doc.Integer, M: []doc.Value{doc.Int(1), doc.Int(2)}}
	cases := []struct {
		name    string
		op      Op
		a, b    doc.Value
		typ     doc.Type
		want    string
		wantErr string
	}{
		{"int add", Add, doc.Int(1), doc.Int(2), doc.Integer, "3", ""},
		{"int overflow", Add, doc.Int(math.MaxInt32), doc.Int(1), doc.Integer, "null", "java.lang.ArithmeticException: integer overflow"},
		{"int+long widens", Add, doc.Int(1), doc.Long64(2), doc.Long, "3", ""},
		{"long overflow", Mul, doc.Long64(math.MaxInt64), doc.Int(2), doc.Long, "null", "java.lang.ArithmeticException: long overflow"},
		{"long sub overflow", Sub, doc.Long64(math.MinInt64), doc.Long64(1), doc.Long, "null", "java.lang.ArithmeticException: long overflow"},
		{"int div truncates", Div, doc.Int(-7), doc.Int(2), doc.Integer, "-3", ""},
		{"int div zero", Div, doc.Int(1), doc.Int(0), doc.Integer, "null", "java.lang.ArithmeticException: / by zero"},
		{"int mod zero", Mod, doc.Int(1), doc.Int(0), doc.Integer, "null", "java.lang.ArithmeticException: / by zero"},
		{"int mod sign", Mod, doc.Int(-7), doc.Int(3), doc.Integer, "-1", ""},
		{"min/-1 wraps", Div, doc.Int(math.MinInt32), doc.Int(-1), doc.Integer, "-2147483648", ""},
		{"double", Mul, doc.Int(3), doc.Float(0.5), doc.Double, "1.5", ""},
		{"double div zero", Div, doc.Float(1), doc.Float(0), doc.Double, "null", "java.lang.ArithmeticException: / by zero"},
		{"double overflow", Mul, doc.Float(1e308), doc.Float(10), doc.Double, "null", "java.lang.ArithmeticException: not a finite double number: Infinity"},
		{"ulong", Add, doc.ULong(math.MaxUint64 - 1), doc.ULong(1), doc.UnsignedLong, "18446744073709551615", ""},
		{"ulong overflow", Add, doc.ULong(math.MaxUint64), doc.ULong(1), doc.UnsignedLong, "null", "java.lang.ArithmeticException: unsigned_long overflow"},
		{"ulong underflow", Sub, doc.ULong(0), doc.ULong(1), doc.UnsignedLong, "null", "java.lang.ArithmeticException: unsigned_long overflow"},
		{"null operand", Add, doc.Int(1), doc.Value{}, doc.Integer, "null", ""},
		{"multi operand", Add, multi, doc.Int(1), doc.Integer, "null", ErrMultiValue.Error()},
		{"date + 1 hour", Add, doc.DateMillis(0), doc.Duration(time.Hour), doc.Date, "1970-01-01T01:00:00.000Z", ""},
		{"date - 1 day", Sub, doc.DateMillis(0), doc.Period(0, 1), doc.Date, "1969-12-31T00:00:00.000Z", ""},
		{"jan31 + 1 month clamps", Add, doc.TimeOf(time.Date(2023, 1, 31, 5, 0, 0, 0, time.UTC)), doc.Period(1, 0), doc.Date, "2023-02-28T05:00:00.000Z", ""},
		{"period + date", Add, doc.Period(12, 0), doc.TimeOf(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)), doc.Date, "2025-02-28T00:00:00.000Z", ""},
		{"nanos + duration", Add, doc.DateNano(1), doc.Duration(time.Second), doc.DateNanos, "1970-01-01T00:00:01.000000001Z", ""},
		{"duration + duration", Add, doc.Duration(time.Hour), doc.Duration(time.Minute), doc.TimeDuration, "1h1m0s", ""},
		{"period - period", Sub, doc.Period(3, 2), doc.Period(1, 1), doc.DatePeriod, "P2M1D", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			typ, v, err := evalOp(t, c.op, c.a, c.b)
			if typ != c.typ {
				t.Errorf("type %v, want %v", typ, c.typ)
			}
			if v.String() != c.want {
				t.Errorf("value %v, want %v", v, c.want)
			}
			if (err == nil) != (c.wantErr == "") || (err != nil && err.Error() != c.wantErr) {
				t.Errorf("err %v, want %q", err, c.wantErr)
			}
		})
	}
}

func TestBinaryTypeErrors(t *testing.T) {
	cases := []struct {
		op   Op
		l, r doc.Type
	}{
		{Add, doc.Keyword, doc.Integer},
		{Mul, doc.Date, doc.TimeDuration},
		{Sub, doc.TimeDuration, doc.Date},
		{Add, doc.UnsignedLong, doc.Integer},
		{Lt, doc.Keyword, doc.Integer},
		{Lt, doc.Boolean, doc.Boolean},
		{Eq, doc.IP, doc.Integer},
		{Gt, doc.UnsignedLong, doc.Long},
		{Add, doc.Double, doc.UnsignedLong},
	}
	for _, c := range cases {
		if _, _, err := Binary(c.op, c.l, c.r); err == nil {
			t.Errorf("%v %v %v: expected a type error", c.l, c.op, c.r)
		}
	}
}

func TestNegate(t *testing.T) {
	cases := []struct {
		in      doc.Value
		want    string
		wantErr bool
	}{
		{doc.Int(5), "-5", false},
		{doc.Int(math.MinInt32), "null", true},
		{doc.Long64(math.MinInt64), "null", true},
		{doc.Float(1.5), "-1.5", false},
		{doc.Period(1, 2), "P-1M-2D", false},
		{doc.Value{}, "null", false},
	}
	for _, c := range cases {
		_, ev, err := Negate(c.in.T)
		if err != nil {
			t.Fatal(err)
		}
		v, err := ev([]doc.Value{c.in})
		if v.String() != c.want || (err != nil) != c.wantErr {
			t.Errorf("-%v = %v, %v; want %v (err %v)", c.in, v, err, c.want, c.wantErr)
		}
	}
	for _, bad := range []doc.Type{doc.Keyword, doc.UnsignedLong} {
		if _, _, err := Negate(bad); err == nil {
			t.Errorf("negating %v must fail", bad)
		}
	}
	_, _, err := Binary(Lt, doc.Integer, doc.Keyword)
	if oe, ok := err.(*OperandError); !ok || oe.Message("a < b") != "first argument of [a < b] is [numeric] so second argument must also be [numeric] but was [keyword]" {
		t.Errorf("comparison error = %v", err)
	}
	_, _, err = Binary(Add, doc.UnsignedLong, doc.Integer)
	if oe, ok := err.(*OperandError); !ok || oe.Message("ul + 1") != "first argument of [ul + 1] is [unsigned_long] and second is [integer]. [unsigned_long] can only be operated on together with another [unsigned_long]" {
		t.Errorf("ulong mix error = %v", err)
	}
}

func TestParseTimeSpan(t *testing.T) {
	cases := []struct {
		n    int64
		unit string
		want doc.Value
		err  bool
	}{
		{1, "hour", doc.Duration(time.Hour), false},
		{90, "S", doc.Duration(90 * time.Second), false},
		{5, "ms", doc.Duration(5 * time.Millisecond), false},
		{2, "MIN", doc.Duration(2 * time.Minute), false},
		{1, "day", doc.Period(0, 1), false},
		{2, "weeks", doc.Period(0, 14), false},
		{1, "mo", doc.Period(1, 0), false},
		{1, "Q", doc.Period(3, 0), false},
		{2, "yr", doc.Period(24, 0), false},
		{1, "m", doc.Duration(time.Minute), false}, // minute (Elasticsearch PR #136448)
		{1, "M", doc.Duration(time.Minute), false},
		{1, "fortnight", doc.Value{}, true},
	}
	for _, c := range cases {
		v, err := ParseTimeSpan(c.n, c.unit)
		if (err != nil) != c.err || (!c.err && (v.T != c.want.T || v.I != c.want.I || v.F != c.want.F)) {
			t.Errorf("ParseTimeSpan(%d, %q) = %v, %v", c.n, c.unit, v, err)
		}
	}
}

func FuzzParseSpanString(f *testing.F) {
	for _, s := range []string{"1 day", "  3   hours ", "x", "1", "1 2 3", "-5 weeks"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, want := range []doc.Type{doc.TimeDuration, doc.DatePeriod} {
			v, err := parseSpanString(s, want)
			if err == nil && v.T != want {
				t.Fatalf("%q: got %v", s, v.T)
			}
		}
	})
}
