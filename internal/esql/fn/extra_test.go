package fn

import (
	"testing"
	"time"

	"vigil/internal/doc"
)

func bDate(s string) doc.Value {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return doc.Value{T: doc.Date, I: t.UnixMilli()}
}

// Examples from the BUCKET, COPY_SIGN and MV_CONTAINS reference pages, and
// the edges around them.
func TestBucketCopySignMvContains(t *testing.T) {
	week := doc.Value{T: doc.DatePeriod, F: 7}
	year := doc.Value{T: doc.DatePeriod, I: 12}
	hour := doc.Value{T: doc.TimeDuration, I: int64(time.Hour)}
	from, to := doc.KeywordOf("1985-01-01T00:00:00Z"), doc.KeywordOf("1986-01-01T00:00:00Z")
	hired := bDate("1985-11-20T00:00:00Z")
	runB(t, []bCase{
		{name: "date span week", fn: "BUCKET", args: []doc.Value{hired, week}, consts: true, want: "1985-11-18T00:00:00.000Z"},
		{name: "date span year", fn: "BUCKET", args: []doc.Value{hired, year}, consts: true, want: "1985-01-01T00:00:00.000Z"},
		{name: "date span hour", fn: "BUCKET", args: []doc.Value{bDate("1985-11-20T13:45:00Z"), hour}, consts: true, want: "1985-11-20T13:00:00.000Z"},
		{name: "20 buckets a year is monthly", fn: "BUCKET", args: []doc.Value{hired, doc.Int(20), from, to}, consts: true, want: "1985-11-01T00:00:00.000Z"},
		{name: "100 buckets a year is weekly", fn: "BUCKET", args: []doc.Value{hired, doc.Int(100), from, to}, consts: true, want: "1985-11-18T00:00:00.000Z"},
		{name: "400 buckets a year is daily", fn: "BUCKET", args: []doc.Value{bDate("1985-11-20T13:45:00Z"), doc.Int(400), from, to}, consts: true, want: "1985-11-20T00:00:00.000Z"},
		{name: "25 buckets a day is hourly", fn: "BUCKET", args: []doc.Value{bDate("1985-11-20T13:45:00Z"), doc.Int(25), bDate("1985-11-20T00:00:00Z"), bDate("1985-11-21T00:00:00Z")}, consts: true, want: "1985-11-20T13:00:00.000Z"},
		{name: "2 buckets a year is yearly", fn: "BUCKET", args: []doc.Value{hired, doc.Int(2), from, to}, consts: true, want: "1985-01-01T00:00:00.000Z"},
		{name: "numeric span", fn: "BUCKET", args: []doc.Value{doc.Int(47003), doc.Float(5000)}, consts: true, want: "45000.0", checkT: true, wantT: doc.Double},
		{name: "numeric negative", fn: "BUCKET", args: []doc.Value{doc.Int(-1), doc.Float(50)}, consts: true, want: "-50.0"},
		// (74999-25324)/20 = 2483.75: the next power of ten is 10000, its half 5000 suffices.
		{name: "numeric range", fn: "BUCKET", args: []doc.Value{doc.Int(47003), doc.Int(20), doc.Int(25324), doc.Int(74999)}, consts: true, want: "45000.0"},
		{name: "numeric range power of ten", fn: "BUCKET", args: []doc.Value{doc.Int(47003), doc.Int(5), doc.Int(25324), doc.Int(74999)}, consts: true, want: "40000.0"},
		{name: "null field", fn: "BUCKET", args: []doc.Value{bNullV, week}, types: []doc.Type{doc.Date, doc.DatePeriod}, consts: true, want: "null"},
		{name: "multi-valued field", fn: "BUCKET", args: []doc.Value{bInts(1, 2), doc.Float(5)}, consts: true, err: ErrMultiValue.Error()},
		{name: "span must be constant", fn: "BUCKET", args: []doc.Value{hired, week}, resErr: true},
		{name: "date needs four with a count", fn: "BUCKET", args: []doc.Value{hired, doc.Int(20)}, consts: true, resErr: true},
		{name: "keyword field", fn: "BUCKET", args: []doc.Value{bKw("x"), doc.Int(2)}, consts: true, resErr: true},

		{name: "copy_sign doc example", fn: "COPY_SIGN", args: []doc.Value{doc.Float(5.2), doc.Float(-9)}, want: "-5.2"},
		{name: "copy_sign negative zero", fn: "COPY_SIGN", args: []doc.Value{doc.Float(5.2), doc.Float(negZero())}, want: "-5.2"},
		{name: "copy_sign int positive", fn: "COPY_SIGN", args: []doc.Value{doc.Int(-3), doc.Long64(1)}, want: "3", checkT: true, wantT: doc.Integer},
		{name: "copy_sign long negative", fn: "COPY_SIGN", args: []doc.Value{doc.Long64(3), doc.Float(-0.5)}, want: "-3", checkT: true, wantT: doc.Long},
		{name: "copy_sign null", fn: "COPY_SIGN", args: []doc.Value{doc.Float(1), bNullV}, types: []doc.Type{doc.Double, doc.Null}, want: "null"},
		{name: "copy_sign keyword", fn: "COPY_SIGN", args: []doc.Value{bKw("a"), doc.Float(1)}, resErr: true},

		{name: "mv_contains element", fn: "MV_CONTAINS", args: []doc.Value{bKws("a", "b", "c"), bKw("a")}, want: "true"},
		{name: "mv_contains subset", fn: "MV_CONTAINS", args: []doc.Value{bKws("a", "b", "c"), bKws("a", "c")}, want: "true"},
		{name: "mv_contains superset", fn: "MV_CONTAINS", args: []doc.Value{bKws("a", "c"), bKws("a", "b", "c")}, want: "false"},
		{name: "mv_contains null subset", fn: "MV_CONTAINS", args: []doc.Value{bKws("a"), bNullV}, types: []doc.Type{doc.Keyword, doc.Keyword}, want: "true"},
		{name: "mv_contains null superset", fn: "MV_CONTAINS", args: []doc.Value{bNullV, bKw("a")}, types: []doc.Type{doc.Keyword, doc.Keyword}, want: "false"},
		{name: "mv_contains ints", fn: "MV_CONTAINS", args: []doc.Value{bInts(1, 2, 3), bInts(3, 1)}, want: "true"},
		{name: "mv_contains mixed types", fn: "MV_CONTAINS", args: []doc.Value{bInts(1), bKw("a")}, resErr: true},
	})
}

func negZero() float64 {
	z := 0.0
	return -z
}

// A conversion of a multi-value keeps the elements that convert and reports
// the first failure (TO_INTEGER and TO_DATETIME reference pages).
func TestConversionKeepsConvertedElements(t *testing.T) {
	cases := []struct {
		fn   string
		arg  doc.Value
		want string
	}{
		{"TO_INTEGER", bLongs(5013792, 2147483647, 501379200000), "[5013792, 2147483647]"},
		{"TO_DATETIME", bKws("1953-09-02T00:00:00.000Z", "1964-06-02 00:00:00"), "1953-09-02T00:00:00.000Z"},
		{"TO_LONG", bKws("foo", "bar"), "null"},
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

func TestBucketDegenerateCounts(t *testing.T) {
	runB(t, []bCase{
		// bucket.csv-spec zeroBuckets / minusOneBuckets / tooManyBuckets: "/ by zero".
		{name: "zero count", fn: "BUCKET", args: []doc.Value{doc.Int(1), doc.Int(0), doc.Int(0), doc.Int(0)}, consts: true, err: errDivZero.Error()},
		{name: "negative count", fn: "BUCKET", args: []doc.Value{doc.Int(1), doc.Int(-1), doc.Int(0), doc.Int(0)}, consts: true, err: errDivZero.Error()},
		{name: "count past int", fn: "BUCKET", args: []doc.Value{doc.Int(1), doc.Long64(100000000000), doc.Int(0), doc.Int(0)}, consts: true, err: errDivZero.Error()},
		{name: "zero span", fn: "BUCKET", args: []doc.Value{doc.Int(1), doc.Float(0)}, consts: true, err: errDivZero.Error()},
		{name: "bin alias", fn: "BIN", args: []doc.Value{doc.Int(99), doc.Float(49.5)}, consts: true, want: "99.0"},
	})
}

func TestBucketStringSpan(t *testing.T) {
	hired := bDate("1985-11-20T00:00:00Z")
	runB(t, []bCase{
		{name: "week", fn: "BUCKET", args: []doc.Value{hired, bKw("1 week")}, consts: true, want: "1985-11-18T00:00:00.000Z"},
		{name: "hours", fn: "BUCKET", args: []doc.Value{bDate("1985-11-20T13:45:00Z"), bKw("2 hours")}, consts: true, want: "1985-11-20T12:00:00.000Z"},
		{name: "bad", fn: "BUCKET", args: []doc.Value{hired, bKw("1 fortnight")}, consts: true, resErr: true},
	})
}
