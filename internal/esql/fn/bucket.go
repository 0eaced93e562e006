package fn

import (
	"errors"
	"math"

	"vigil/internal/doc"
)

// BUCKET is a grouping function in Elasticsearch (used in STATS … BY); its
// value per row is a plain function of the row, so it is evaluated like a
// scalar whose span arguments are constants. Semantics from the BUCKET
// reference page (functions-operators/grouping-functions#esql-bucket) and its
// examples, and from reading Bucket.java's rounding choice:
//   - BUCKET(date, span): DATE_TRUNC(span, date).
//   - BUCKET(date, n, from, to): the finest of 1ms, 10ms, 50ms, 100ms, 1s, 5s,
//     10s, 30s, 1m, 5m, 10m, 30m, 1h, 3h, 12h, 1 day, 1 week, 1 month, 1 year
//     for which stepping at most n buckets from the rounded `from` reaches
//     `to` (1 year when none does); from/to may be dates or date strings.
//   - BUCKET(number, span): FLOOR(number / span) * span, a double.
//   - BUCKET(number, n, from, to): span = (to - from) / n moved up to the next
//     power of ten, or half of it when that is enough.
func init() {
	register(&Func{Name: "BUCKET", MinArgs: 2, MaxArgs: 4, Resolve: resolveBucket})
	// BIN is the alias Bucket.java registers beside it.
	register(&Func{Name: "BIN", MinArgs: 2, MaxArgs: 4, Resolve: resolveBucket})
}

// bucketFixedMillis are the fixed-length candidates, finest first; calendar
// ones (day, week, month, year) follow in pickDateRounding.
var bucketFixedMillis = []int64{1, 10, 50, 100, 1000, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000, 3 * 3600000, 12 * 3600000}

func resolveBucket(args []doc.Type, consts []*doc.Value) (doc.Type, Eval, error) {
	field, span := args[0], args[1]
	if field == doc.Null || span == doc.Null {
		t := field
		if t == doc.Null || t.IsNumeric() {
			t = doc.Double
		}
		return t, nullEval, nil
	}
	constAt := func(i int) (doc.Value, error) {
		if i >= len(consts) || consts[i] == nil {
			return doc.Value{}, errors.New(ordinal(i) + " argument of [BUCKET] must be a constant")
		}
		if consts[i].M != nil {
			return doc.Value{}, errors.New(ordinal(i) + " argument of [BUCKET] must be a single value")
		}
		return *consts[i], nil
	}
	switch {
	case field.IsTemporal():
		if span.IsString() && len(args) == 2 {
			// A string literal span ("1 week") is implicitly cast, as for
			// DATE_TRUNC (capability implicit_casting_string_literal_to_temporal_amount).
			sv, err := constAt(1)
			if err != nil {
				return doc.Null, nil, err
			}
			v, err := parseSpanString(sv.S, doc.DatePeriod)
			if err != nil {
				if v, err = parseSpanString(sv.S, doc.TimeDuration); err != nil {
					return doc.Null, nil, errors.New("Cannot parse [" + sv.S + "] to date_period or time_duration")
				}
			}
			c := []*doc.Value{consts[0], &v}
			return resolveBucket([]doc.Type{field, v.T}, c)
		}
		if isSpan(span) {
			if len(args) != 2 {
				return doc.Null, nil, errors.New("function expects exactly two arguments when the first one is of type [" + field.String() + "] and the second of type [" + span.String() + "]")
			}
			sv, err := constAt(1)
			if err != nil {
				return doc.Null, nil, err
			}
			tr, err := makeTruncer(sv)
			if err != nil {
				return doc.Null, nil, err
			}
			return field, truncEval(tr), nil
		}
		if !isWholeType(span) {
			return doc.Null, nil, &TypeError{Arg: 1, Expected: "integral or date_period or time_duration", Found: span}
		}
		if len(args) != 4 {
			return doc.Null, nil, errors.New("function expects exactly four arguments when the first one is of type [" + field.String() + "] and the second of type [" + span.String() + "]")
		}
		for i := 2; i < 4; i++ {
			if !(args[i].IsString() || args[i].IsTemporal() || args[i] == doc.Null) {
				return doc.Null, nil, &TypeError{Arg: i, Expected: "datetime or date_nanos or string", Found: args[i]}
			}
		}
		n, err := constAt(1)
		if err != nil {
			return doc.Null, nil, err
		}
		var bounds [2]instant
		for i := range bounds {
			v, err := constAt(i + 2)
			if err != nil {
				return doc.Null, nil, err
			}
			if v.T.IsString() {
				c, _ := converter(v.T, doc.Date)
				if v, err = c(v); err != nil {
					return doc.Null, nil, err
				}
			}
			if v.IsNull() {
				return field, nullEval, nil
			}
			bounds[i] = instantOf(v)
		}
		return field, truncEval(pickDateRounding(int64(int32(n.I)), bounds[0], bounds[1])), nil
	case field.IsNumeric():
		if !span.IsNumeric() {
			return doc.Null, nil, &TypeError{Arg: 1, Expected: "numeric", Found: span}
		}
		if len(args) == 3 || (len(args) == 4 && !isWholeType(span)) {
			return doc.Null, nil, errors.New("function expects exactly two arguments when the first one is of type [" + field.String() + "] and the second of type [" + span.String() + "]")
		}
		sv, err := constAt(1)
		if err != nil {
			return doc.Null, nil, err
		}
		width := sv.AsFloat()
		if len(args) == 4 {
			for i := 2; i < 4; i++ {
				if !numericOrNull(args[i]) {
					return doc.Null, nil, &TypeError{Arg: i, Expected: "numeric", Found: args[i]}
				}
			}
			from, err := constAt(2)
			if err != nil {
				return doc.Null, nil, err
			}
			to, err := constAt(3)
			if err != nil {
				return doc.Null, nil, err
			}
			// The count is read as a Java int (Number.intValue truncates).
			width = numericBucketWidth(float64(int32(sv.I)), from.AsFloat(), to.AsFloat())
		}
		// Elasticsearch evaluates FLOOR(field / width) * width, so a zero,
		// negative-count or NaN width fails like its double division:
		// null with "/ by zero" (bucket.csv-spec zeroBuckets, minusOneBuckets).
		return doc.Double, strict1(func(v doc.Value) (doc.Value, error) {
			q := v.AsFloat() / width
			if math.IsNaN(q) || math.IsInf(q, 0) {
				return doc.Value{}, errDivZero
			}
			return doc.Float(math.Floor(q) * width), nil
		}), nil
	}
	return doc.Null, nil, &TypeError{Arg: 0, Expected: "datetime or numeric", Found: field}
}

func isWholeType(t doc.Type) bool {
	return t == doc.Integer || t == doc.Long || t == doc.UnsignedLong
}

func truncEval(tr truncer) Eval {
	return strict1(func(d doc.Value) (doc.Value, error) { return tr(instantOf(d)).value(d.T), nil })
}

// numericBucketWidth turns a target count over [from, to] into a round width:
// the next power of ten above (to-from)/n, or half of it when that suffices.
func numericBucketWidth(n, from, to float64) float64 {
	precise := (to - from) / n
	p := math.Pow(10, math.Ceil(math.Log10(precise)))
	if precise < p/2 {
		return p / 2
	}
	return p
}

// pickDateRounding picks the finest rounding that covers [from, to) in at
// most n buckets counted from the rounded from.
func pickDateRounding(n int64, from, to instant) truncer {
	if n <= 0 {
		tr, _ := makeTruncer(doc.Value{T: doc.DatePeriod, I: 12})
		return tr
	}
	fits := func(tr truncer, next func(instant) instant) bool {
		b := tr(from)
		for used := int64(0); used < n; used++ {
			b = next(b)
			if !b.before(to) {
				return true
			}
		}
		return false
	}
	for _, ms := range bucketFixedMillis {
		step := ms * 1e6
		tr := func(in instant) instant { return fixedTrunc(in, step) }
		// Fixed lengths count arithmetically: no loop over n.
		b := tr(from)
		span := (to.sec-b.sec)*1000 + (to.nano-b.nano)/1e6
		if span <= 0 || (span+ms-1)/ms <= n {
			return tr
		}
	}
	calendar := []struct {
		span doc.Value
		next func(instant) instant
	}{
		{doc.Value{T: doc.DatePeriod, F: 1}, func(in instant) instant { return instant{in.sec + 86400, in.nano} }},
		{doc.Value{T: doc.DatePeriod, F: 7}, func(in instant) instant { return instant{in.sec + 7*86400, in.nano} }},
		{doc.Value{T: doc.DatePeriod, I: 1}, func(in instant) instant { return addMonths(in, 1) }},
		{doc.Value{T: doc.DatePeriod, I: 12}, func(in instant) instant { return addMonths(in, 12) }},
	}
	for _, c := range calendar {
		tr, _ := makeTruncer(c.span)
		if fits(tr, c.next) {
			return tr
		}
	}
	tr, _ := makeTruncer(calendar[len(calendar)-1].span)
	return tr
}

func (in instant) before(o instant) bool {
	return in.sec < o.sec || (in.sec == o.sec && in.nano < o.nano)
}

// addMonths moves a month-aligned instant (a bucket start) by whole months.
func addMonths(in instant, months int64) instant {
	t := in.time()
	total := int64(t.Year())*12 + int64(t.Month()-1) + months
	y, m := floorDivI64(total, 12), total-floorDivI64(total, 12)*12+1
	return instant{daysFromCivil(y, m, int64(t.Day()))*86400 + in.sec - floorDivI64(in.sec, 86400)*86400, in.nano}
}
