package fn

import (
	"math"
	"testing"

	"vigil/internal/doc"
)

func TestMathFunctions(t *testing.T) {
	multi := doc.Value{T: doc.Double, M: []doc.Value{doc.Float(1), doc.Float(2)}}
	cases := []struct {
		fn      string
		args    []doc.Value
		typ     doc.Type
		want    string
		wantErr string
	}{
		{"ABS", []doc.Value{doc.Int(-3)}, doc.Integer, "3", ""},
		{"ABS", []doc.Value{doc.Int(math.MinInt32)}, doc.Integer, "-2147483648", ""},
		{"ABS", []doc.Value{doc.Float(-2.5)}, doc.Double, "2.5", ""},
		{"ABS", []doc.Value{multi}, doc.Double, "null", ErrMultiValue.Error()},
		{"CEIL", []doc.Value{doc.Float(1.2)}, doc.Double, "2.0", ""},
		{"FLOOR", []doc.Value{doc.Float(-1.2)}, doc.Double, "-2.0", ""},
		{"FLOOR", []doc.Value{doc.Long64(7)}, doc.Long, "7", ""},
		{"ROUND", []doc.Value{doc.Float(1.5)}, doc.Double, "2.0", ""},
		{"ROUND", []doc.Value{doc.Float(-1.5)}, doc.Double, "-2.0", ""},
		{"ROUND", []doc.Value{doc.Float(1.23456), doc.Int(2)}, doc.Double, "1.23", ""},
		{"ROUND", []doc.Value{doc.Float(1.005), doc.Int(2)}, doc.Double, "1.0", ""}, // 1.005×100 is 100.49999999999999
		{"ROUND", []doc.Value{doc.Float(1234.5), doc.Int(-2)}, doc.Double, "1200.0", ""},
		{"ROUND", []doc.Value{doc.Int(1250), doc.Int(-2)}, doc.Integer, "1300", ""},
		{"ROUND", []doc.Value{doc.Int(-1250), doc.Int(-2)}, doc.Integer, "-1300", ""},
		{"ROUND", []doc.Value{doc.Int(5), doc.Int(-1)}, doc.Integer, "10", ""},
		{"ROUND", []doc.Value{doc.Int(math.MaxInt32), doc.Int(-1)}, doc.Integer, "null", "java.lang.ArithmeticException: integer overflow"},
		{"ROUND", []doc.Value{doc.Long64(math.MaxInt64), doc.Int(-1)}, doc.Long, "null", "java.lang.ArithmeticException: long overflow"},
		{"ROUND", []doc.Value{doc.Long64(123), doc.Int(2)}, doc.Long, "123", ""},
		{"ROUND", []doc.Value{doc.ULong(math.MaxUint64 - 10), doc.Int(-1)}, doc.UnsignedLong, "18446744073709551610", ""},
		{"ROUND", []doc.Value{doc.Float(1.5), doc.Value{}}, doc.Double, "null", ""},
		{"POW", []doc.Value{doc.Int(2), doc.Int(10)}, doc.Double, "1024.0", ""},
		{"POW", []doc.Value{doc.Float(10), doc.Int(400)}, doc.Double, "null", "java.lang.ArithmeticException: not a finite double number: Infinity"},
		{"SQRT", []doc.Value{doc.Int(16)}, doc.Double, "4.0", ""},
		{"SQRT", []doc.Value{doc.Int(-1)}, doc.Double, "null", "java.lang.ArithmeticException: Square root of negative"},
		{"CBRT", []doc.Value{doc.Int(27)}, doc.Double, "3.0", ""},
		{"EXP", []doc.Value{doc.Int(0)}, doc.Double, "1.0", ""},
		{"LOG10", []doc.Value{doc.Int(1000)}, doc.Double, "3.0", ""},
		{"LOG10", []doc.Value{doc.Int(0)}, doc.Double, "null", "java.lang.ArithmeticException: Log of non-positive number"},
		{"LOG", []doc.Value{doc.Int(2), doc.Int(8)}, doc.Double, "3.0", ""},
		{"LOG", []doc.Value{doc.Int(1), doc.Int(8)}, doc.Double, "null", "java.lang.ArithmeticException: Log of base 1"},
		{"LOG", []doc.Value{doc.Float(math.E)}, doc.Double, "1.0", ""},
		{"LOG", []doc.Value{doc.Int(-1)}, doc.Double, "null", "java.lang.ArithmeticException: Log of non-positive number"},
		{"SIGNUM", []doc.Value{doc.Long64(-9)}, doc.Double, "-1.0", ""},
		{"PI", nil, doc.Double, "3.141592653589793", ""},
		{"E", nil, doc.Double, "2.718281828459045", ""},
		{"TAU", nil, doc.Double, "6.283185307179586", ""},
		{"ASIN", []doc.Value{doc.Int(2)}, doc.Double, "null", "java.lang.ArithmeticException: Asin input out of range"},
		{"ASIN", []doc.Value{doc.Float(-0.9943056467629408)}, doc.Double, "-1.4640277383904672", ""}, // Java's; Go's math.Asin: ...667
		{"ACOS", []doc.Value{doc.Int(1)}, doc.Double, "0.0", ""},
		{"ATAN2", []doc.Value{doc.Int(1), doc.Int(1)}, doc.Double, "0.7853981633974483", ""},
		{"HYPOT", []doc.Value{doc.Int(3), doc.Int(4)}, doc.Double, "5.0", ""},
		{"COSH", []doc.Value{doc.Int(1000)}, doc.Double, "null", "java.lang.ArithmeticException: not a finite double number: Infinity"},
		{"SIN", []doc.Value{doc.Value{}}, doc.Double, "null", ""},
	}
	for _, c := range cases {
		typ, v, err := callFn(t, c.fn, c.args...)
		if typ != c.typ || v.String() != c.want {
			t.Errorf("%s%v = %v %v (err %v), want %v %v", c.fn, c.args, typ, v, err, c.typ, c.want)
		}
		if (err == nil) != (c.wantErr == "") || (err != nil && err.Error() != c.wantErr) {
			t.Errorf("%s%v err = %v, want %q", c.fn, c.args, err, c.wantErr)
		}
	}
	for _, fn := range []string{"ABS", "SQRT", "ROUND"} {
		if _, _, err := callFn(t, fn, doc.KeywordOf("x")); err == nil {
			t.Errorf("%s(keyword) should be a type error", fn)
		}
	}
}

// Examples from the COPY_SIGN reference page, and the edges around it.
func TestCopySign(t *testing.T) {
	runCalls(t, []callCase{
		{name: "copy_sign doc example", fn: "COPY_SIGN", args: []doc.Value{doc.Float(5.2), doc.Float(-9)}, want: "-5.2"},
		{name: "copy_sign negative zero", fn: "COPY_SIGN", args: []doc.Value{doc.Float(5.2), doc.Float(negZero())}, want: "-5.2"},
		{name: "copy_sign int positive", fn: "COPY_SIGN", args: []doc.Value{doc.Int(-3), doc.Long64(1)}, want: "3", checkT: true, wantT: doc.Integer},
		{name: "copy_sign long negative", fn: "COPY_SIGN", args: []doc.Value{doc.Long64(3), doc.Float(-0.5)}, want: "-3", checkT: true, wantT: doc.Long},
		{name: "copy_sign null", fn: "COPY_SIGN", args: []doc.Value{doc.Float(1), nullV}, types: []doc.Type{doc.Double, doc.Null}, want: "null"},
		{name: "copy_sign keyword", fn: "COPY_SIGN", args: []doc.Value{kwOf("a"), doc.Float(1)}, resErr: true},
	})
}

func negZero() float64 {
	z := 0.0
	return -z
}
