package fn

import (
	"testing"
	"time"

	"vigil/internal/doc"
)

func dateOf(s string) doc.Value {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return doc.Value{T: doc.Date, I: t.UnixMilli()}
}

// Examples from the BUCKET reference page, and the edges around them.
func TestBucket(t *testing.T) {
	week := doc.Value{T: doc.DatePeriod, F: 7}
	year := doc.Value{T: doc.DatePeriod, I: 12}
	hour := doc.Value{T: doc.TimeDuration, I: int64(time.Hour)}
	from, to := doc.KeywordOf("1985-01-01T00:00:00Z"), doc.KeywordOf("1986-01-01T00:00:00Z")
	hired := dateOf("1985-11-20T00:00:00Z")
	runCalls(t, []callCase{
		{name: "date span week", fn: "BUCKET", args: []doc.Value{hired, week}, consts: true, want: "1985-11-18T00:00:00.000Z"},
		{name: "date span year", fn: "BUCKET", args: []doc.Value{hired, year}, consts: true, want: "1985-01-01T00:00:00.000Z"},
		{name: "date span hour", fn: "BUCKET", args: []doc.Value{dateOf("1985-11-20T13:45:00Z"), hour}, consts: true, want: "1985-11-20T13:00:00.000Z"},
		{name: "20 buckets a year is monthly", fn: "BUCKET", args: []doc.Value{hired, doc.Int(20), from, to}, consts: true, want: "1985-11-01T00:00:00.000Z"},
		{name: "100 buckets a year is weekly", fn: "BUCKET", args: []doc.Value{hired, doc.Int(100), from, to}, consts: true, want: "1985-11-18T00:00:00.000Z"},
		{name: "400 buckets a year is daily", fn: "BUCKET", args: []doc.Value{dateOf("1985-11-20T13:45:00Z"), doc.Int(400), from, to}, consts: true, want: "1985-11-20T00:00:00.000Z"},
		{name: "25 buckets a day is hourly", fn: "BUCKET", args: []doc.Value{dateOf("1985-11-20T13:45:00Z"), doc.Int(25), dateOf("1985-11-20T00:00:00Z"), dateOf("1985-11-21T00:00:00Z")}, consts: true, want: "1985-11-20T13:00:00.000Z"},
		{name: "2 buckets a year is yearly", fn: "BUCKET", args: []doc.Value{hired, doc.Int(2), from, to}, consts: true, want: "1985-01-01T00:00:00.000Z"},
		{name: "numeric span", fn: "BUCKET", args: []doc.Value{doc.Int(47003), doc.Float(5000)}, consts: true, want: "45000.0", checkT: true, wantT: doc.Double},
		{name: "numeric negative", fn: "BUCKET", args: []doc.Value{doc.Int(-1), doc.Float(50)}, consts: true, want: "-50.0"},
		// (74999-25324)/20 = 2483.75: the next power of ten is 10000, its half 5000 suffices.
		{name: "numeric range", fn: "BUCKET", args: []doc.Value{doc.Int(47003), doc.Int(20), doc.Int(25324), doc.Int(74999)}, consts: true, want: "45000.0"},
		{name: "numeric range power of ten", fn: "BUCKET", args: []doc.Value{doc.Int(47003), doc.Int(5), doc.Int(25324), doc.Int(74999)}, consts: true, want: "40000.0"},
		{name: "null field", fn: "BUCKET", args: []doc.Value{nullV, week}, types: []doc.Type{doc.Date, doc.DatePeriod}, consts: true, want: "null"},
		{name: "multi-valued field", fn: "BUCKET", args: []doc.Value{intsOf(1, 2), doc.Float(5)}, consts: true, err: ErrMultiValue.Error()},
		{name: "span must be constant", fn: "BUCKET", args: []doc.Value{hired, week}, resErr: true},
		{name: "date needs four with a count", fn: "BUCKET", args: []doc.Value{hired, doc.Int(20)}, consts: true, resErr: true},
		{name: "keyword field", fn: "BUCKET", args: []doc.Value{kwOf("x"), doc.Int(2)}, consts: true, resErr: true},
	})
}

func TestBucketDegenerateCounts(t *testing.T) {
	runCalls(t, []callCase{
		// bucket.csv-spec zeroBuckets / minusOneBuckets / tooManyBuckets: "/ by zero".
		{name: "zero count", fn: "BUCKET", args: []doc.Value{doc.Int(1), doc.Int(0), doc.Int(0), doc.Int(0)}, consts: true, err: errDivZero.Error()},
		{name: "negative count", fn: "BUCKET", args: []doc.Value{doc.Int(1), doc.Int(-1), doc.Int(0), doc.Int(0)}, consts: true, err: errDivZero.Error()},
		{name: "count past int", fn: "BUCKET", args: []doc.Value{doc.Int(1), doc.Long64(100000000000), doc.Int(0), doc.Int(0)}, consts: true, err: errDivZero.Error()},
		{name: "zero span", fn: "BUCKET", args: []doc.Value{doc.Int(1), doc.Float(0)}, consts: true, err: errDivZero.Error()},
		{name: "bin alias", fn: "BIN", args: []doc.Value{doc.Int(99), doc.Float(49.5)}, consts: true, want: "99.0"},
	})
}

func TestBucketStringSpan(t *testing.T) {
	hired := dateOf("1985-11-20T00:00:00Z")
	runCalls(t, []callCase{
		{name: "week", fn: "BUCKET", args: []doc.Value{hired, kwOf("1 week")}, consts: true, want: "1985-11-18T00:00:00.000Z"},
		{name: "hours", fn: "BUCKET", args: []doc.Value{dateOf("1985-11-20T13:45:00Z"), kwOf("2 hours")}, consts: true, want: "1985-11-20T12:00:00.000Z"},
		{name: "bad", fn: "BUCKET", args: []doc.Value{hired, kwOf("1 fortnight")}, consts: true, resErr: true},
	})
}
