package fn

import (
	"math"
	"net/netip"
	"testing"

	"vigil/internal/doc"
)

func callFn(t *testing.T, name string, args ...doc.Value) (doc.Type, doc.Value, error) {
	t.Helper()
	f, ok := Lookup(name)
	if !ok {
		t.Fatalf("no function %s", name)
	}
	types := make([]doc.Type, len(args))
	consts := make([]*doc.Value, len(args))
	for i := range args {
		types[i] = args[i].T
		consts[i] = &args[i]
	}
	typ, ev, err := f.Resolve(types, consts)
	if err != nil {
		return doc.Null, doc.Value{}, err
	}
	v, err := ev(args)
	return typ, v, err
}

func kws(s ...string) doc.Value {
	out := make([]doc.Value, len(s))
	for i := range s {
		out[i] = doc.KeywordOf(s[i])
	}
	return doc.Multi(doc.Keyword, out)
}

func TestConversions(t *testing.T) {
	ip := doc.IPOf(netip.MustParseAddr("192.168.0.1"))
	cases := []struct {
		fn      string
		in      doc.Value
		typ     doc.Type
		want    string
		wantErr string
	}{
		{"TO_STRING", doc.Float(1), doc.Keyword, "1.0", ""},
		{"TO_STRING", doc.Float(1e20), doc.Keyword, "1.0E20", ""},
		{"TO_STRING", doc.DateMillis(1698069301543), doc.Keyword, "2023-10-23T13:55:01.543Z", ""},
		{"TO_STRING", doc.DateNano(1698069301543123456), doc.Keyword, "2023-10-23T13:55:01.543123456Z", ""},
		{"TO_STRING", doc.DateNano(1698069301540000000), doc.Keyword, "2023-10-23T13:55:01.540Z", ""},
		{"TO_STRING", ip, doc.Keyword, "192.168.0.1", ""},
		{"TO_STRING", doc.Bool(true), doc.Keyword, "true", ""},
		{"TO_STRING", doc.ULong(math.MaxUint64), doc.Keyword, "18446744073709551615", ""},
		{"TO_TEXT", doc.KeywordOf("x"), doc.Text, "x", ""},
		{"TO_INTEGER", doc.KeywordOf("42"), doc.Integer, "42", ""},
		{"TO_INT", doc.KeywordOf("5.6"), doc.Integer, "6", ""},
		{"TO_INTEGER", doc.KeywordOf("foo"), doc.Integer, "null", invalidArg + "Cannot parse number [foo]"},
		{"TO_INTEGER", doc.Long64(1 << 40), doc.Integer, "null", invalidArg + "[1099511627776] out of [integer] range"},
		{"TO_INTEGER", doc.Float(2.5), doc.Integer, "3", ""},
		{"TO_INTEGER", doc.Float(-2.5), doc.Integer, "-2", ""},
		{"TO_INTEGER", doc.Float(1e10), doc.Integer, "null", invalidArg + "[1.0E10] out of [integer] range"},
		{"TO_INTEGER", doc.Bool(true), doc.Integer, "1", ""},
		{"TO_LONG", doc.KeywordOf("2147483648"), doc.Long, "2147483648", ""},
		{"TO_LONG", doc.KeywordOf("1.0E1"), doc.Long, "10", ""},
		{"TO_LONG", doc.DateMillis(5), doc.Long, "5", ""},
		{"TO_LONG", doc.ULong(math.MaxUint64), doc.Long, "null", invalidArg + "[18446744073709551615] out of [long] range"},
		{"TO_DOUBLE", doc.KeywordOf("3.14"), doc.Double, "3.14", ""},
		{"TO_DBL", doc.Int(3), doc.Double, "3.0", ""},
		{"TO_DOUBLE", doc.KeywordOf("abc"), doc.Double, "null", invalidArg + "Cannot parse number [abc]"},
		{"TO_UNSIGNED_LONG", doc.Int(-1), doc.UnsignedLong, "null", invalidArg + "[-1] out of [unsigned_long] range"},
		{"TO_UL", doc.KeywordOf("18446744073709551615"), doc.UnsignedLong, "18446744073709551615", ""},
		{"TO_ULONG", doc.Float(3.9), doc.UnsignedLong, "3", ""},
		{"TO_BOOLEAN", doc.KeywordOf("TRUE"), doc.Boolean, "true", ""},
		{"TO_BOOL", doc.KeywordOf("yes"), doc.Boolean, "false", ""},
		{"TO_BOOLEAN", doc.Float(0), doc.Boolean, "false", ""},
		{"TO_DATETIME", doc.KeywordOf("2023-10-23T13:55:01.543Z"), doc.Date, "2023-10-23T13:55:01.543Z", ""},
		{"TO_DT", doc.KeywordOf("2023-10-23"), doc.Date, "2023-10-23T00:00:00.000Z", ""},
		{"TO_DATETIME", doc.KeywordOf("2023-10-23T13:55+02:00"), doc.Date, "2023-10-23T11:55:00.000Z", ""},
		{"TO_DATETIME", doc.KeywordOf("2023-02-30"), doc.Date, "null", "java.lang.IllegalArgumentException: failed to parse date field [2023-02-30] with format [strict_date_optional_time]"},
		{"TO_DATETIME", doc.Long64(1000), doc.Date, "1970-01-01T00:00:01.000Z", ""},
		{"TO_DATETIME", doc.DateNano(1_999_999), doc.Date, "1970-01-01T00:00:00.001Z", ""},
		{"TO_DATE_NANOS", doc.KeywordOf("2023-10-23T13:55:01.123456789Z"), doc.DateNanos, "2023-10-23T13:55:01.123456789Z", ""},
		{"TO_DATE_NANOS", doc.DateMillis(-1), doc.DateNanos, "null", "java.lang.IllegalArgumentException: milliSeconds [-1] are before the epoch in 1970 and cannot be stored in nanosecond resolution"},
		{"TO_IP", doc.KeywordOf("192.168.0.1"), doc.IP, "192.168.0.1", ""},
		{"TO_IP", doc.KeywordOf("foo"), doc.IP, "null", "java.lang.IllegalArgumentException: 'foo' is not an IP string literal."},
		{"TO_VERSION", doc.KeywordOf("1.2.3"), doc.Version, "1.2.3", ""},
		{"TO_TIMEDURATION", doc.KeywordOf("3 hours"), doc.TimeDuration, "3h0m0s", ""},
		{"TO_DATEPERIOD", doc.KeywordOf("2 weeks"), doc.DatePeriod, "P0M14D", ""},
		{"TO_DATEPERIOD", doc.KeywordOf("2 hours"), doc.DatePeriod, "null", "org.elasticsearch.xpack.esql.core.ParsingException: Cannot parse [2 hours] to date_period, did you mean time_duration?"},
		{"TO_DEGREES", doc.Float(math.Pi), doc.Double, "180.0", ""},
		{"TO_RADIANS", doc.Int(180), doc.Double, "3.141592653589793", ""},
		// Multi-values convert element-wise; failures are dropped with a warning.
		{"TO_INTEGER", kws("1", "x", "3"), doc.Integer, "[1, 3]", invalidArg + "Cannot parse number [x]"},
		{"TO_INTEGER", kws("x", "y"), doc.Integer, "null", invalidArg + "Cannot parse number [x]"},
		{"TO_LONG", doc.Value{}, doc.Long, "null", ""},
	}
	for _, c := range cases {
		typ, v, err := callFn(t, c.fn, c.in)
		if typ != c.typ || v.String() != c.want {
			t.Errorf("%s(%v) = %v %v (err %v), want %v %v", c.fn, c.in, typ, v, err, c.typ, c.want)
		}
		if (err == nil) != (c.wantErr == "") || (err != nil && err.Error() != c.wantErr) {
			t.Errorf("%s(%v) err = %v, want %q", c.fn, c.in, err, c.wantErr)
		}
	}
}

func TestConversionTypeErrors(t *testing.T) {
	cases := []struct {
		fn string
		in doc.Type
	}{
		{"TO_IP", doc.Integer},
		{"TO_INTEGER", doc.IP},
		{"TO_DEGREES", doc.Keyword},
		{"TO_TIMEDURATION", doc.Integer},
		{"TO_TEXT", doc.Integer},
	}
	for _, c := range cases {
		f, _ := Lookup(c.fn)
		_, _, err := f.Resolve([]doc.Type{c.in}, []*doc.Value{nil})
		if _, ok := err.(*TypeError); !ok {
			t.Errorf("%s(%v): want *TypeError, got %v", c.fn, c.in, err)
		}
	}
}

func TestCastType(t *testing.T) {
	cases := map[string]doc.Type{
		"int": doc.Integer, "INTEGER": doc.Integer, "string": doc.Keyword, "Bool": doc.Boolean,
		"date": doc.Date, "datetime": doc.Date, "date_nanos": doc.DateNanos, "unsigned_long": doc.UnsignedLong,
		"time_duration": doc.TimeDuration, "date_period": doc.DatePeriod, "version": doc.Version, "ip": doc.IP,
	}
	for name, want := range cases {
		if got, ok := CastType(name); !ok || got != want {
			t.Errorf("CastType(%q) = %v, %v", name, got, ok)
		}
	}
	if _, ok := CastType("INET"); ok {
		t.Error("INET is not a cast type")
	}
	ev, err := Cast(doc.Keyword, doc.Boolean)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := ev([]doc.Value{kws("true", "false", "false")})
	if v.String() != "[true, false, false]" {
		t.Errorf("cast multi: %v", v)
	}
	if _, err := Cast(doc.Boolean, doc.IP); err == nil {
		t.Error("boolean::ip must fail")
	}
}

func FuzzParseISODate(f *testing.F) {
	for _, s := range []string{"2023-10-23T13:55:01.543Z", "2023", "2023-10", "2023-10-23T13", "2023-10-23T13:55:01,5+05:30", "1970-01-01T00:00:00-0800", "x", "2023-13-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in, ok := parseISODate(s)
		if ok && (in.nano < 0 || in.nano >= 1e9) {
			t.Fatalf("%q: bad nanos %d", s, in.nano)
		}
	})
}

func FuzzParseJavaDouble(f *testing.F) {
	for _, s := range []string{"1.5", " -2e10 ", "1d", ".5f", "NaN", "Infinity", "1e400", "0x10", "1_0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseJavaDouble(s)
		if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Fatalf("%q parsed to non-finite %v", s, v)
		}
	})
}

// A conversion of a multi-value keeps the elements that convert and reports
// the first failure (TO_INTEGER and TO_DATETIME reference pages).
func TestConversionKeepsConvertedElements(t *testing.T) {
	cases := []struct {
		fn   string
		arg  doc.Value
		want string
	}{
		{"TO_INTEGER", longsOf(5013792, 2147483647, 501379200000), "[5013792, 2147483647]"},
		{"TO_DATETIME", kwsOf("1953-09-02T00:00:00.000Z", "1964-06-02 00:00:00"), "1953-09-02T00:00:00.000Z"},
		{"TO_LONG", kwsOf("foo", "bar"), "null"},
	}
	for _, c := range cases {
		f, _ := Lookup(c.fn)
		_, ev, err := f.Resolve([]doc.Type{c.arg.T}, []*doc.Value{nil})
		if err != nil {
			t.Fatal(err)
		}
		got, err := ev([]doc.Value{c.arg})
		if err == nil {
			t.Errorf("%s(%s): want a failure to warn about", c.fn, c.arg)
		}
		if got.String() != c.want {
			t.Errorf("%s(%s) = %s, want %s", c.fn, c.arg, got, c.want)
		}
	}
}
