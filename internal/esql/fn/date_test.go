package fn

import (
	"testing"
	"time"

	"vigil/internal/doc"
)

func ms(s string) doc.Value {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return doc.TimeOf(t)
}

func ns(s string) doc.Value {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return doc.DateNano(t.UnixNano())
}

func span(n int64, unit string) doc.Value {
	v, err := ParseTimeSpan(n, unit)
	if err != nil {
		panic(err)
	}
	return v
}

func TestDateTrunc(t *testing.T) {
	cases := []struct {
		interval doc.Value
		date     doc.Value
		want     string
		wantErr  bool
	}{
		// From date_trunc.csv-spec (employees.hire_date).
		{span(1, "month"), ms("1985-02-18T00:00:00Z"), "1985-02-01T00:00:00.000Z", false},
		{span(240, "hours"), ms("1985-02-18T00:00:00Z"), "1985-02-11T00:00:00.000Z", false},
		{span(240, "hours"), ms("1985-02-24T00:00:00Z"), "1985-02-21T00:00:00.000Z", false},
		{span(240, "hours"), ms("1985-09-17T00:00:00Z"), "1985-09-09T00:00:00.000Z", false},
		{span(1, "week"), ms("1985-02-24T00:00:00Z"), "1985-02-18T00:00:00.000Z", false},
		{span(1, "week"), ms("1985-07-09T00:00:00Z"), "1985-07-08T00:00:00.000Z", false},
		{span(3, "month"), ms("1985-05-13T00:00:00Z"), "1985-04-01T00:00:00.000Z", false},
		{span(1, "quarter"), ms("1985-09-17T00:00:00Z"), "1985-07-01T00:00:00.000Z", false},
		{span(1, "year"), ms("1999-04-30T00:00:00Z"), "1999-01-01T00:00:00.000Z", false},
		{span(1, "hour"), ms("2023-10-23T12:15:03.360Z"), "2023-10-23T12:00:00.000Z", false},
		{span(1, "minute"), ms("2023-10-23T13:33:34.937Z"), "2023-10-23T13:33:00.000Z", false},
		{span(1, "day"), ms("1969-12-31T23:00:00Z"), "1969-12-31T00:00:00.000Z", false},
		{span(1, "day"), doc.Value{}, "null", false},
		{span(1, "hour"), ns("2023-10-23T12:15:03.360123456Z"), "2023-10-23T12:00:00.000000000Z", false},
		{doc.KeywordOf("1 month"), ms("1985-02-18T00:00:00Z"), "1985-02-01T00:00:00.000Z", false},
		{doc.KeywordOf("2 hours"), ms("1985-02-18T03:00:00Z"), "1985-02-18T02:00:00.000Z", false},
	}
	for _, c := range cases {
		typ, v, err := callFn(t, "DATE_TRUNC", c.interval, c.date)
		if err != nil {
			t.Fatalf("DATE_TRUNC(%v, %v): %v", c.interval, c.date, err)
		}
		if c.date.T != doc.Null && typ != c.date.T {
			t.Errorf("type %v", typ)
		}
		if v.String() != c.want {
			t.Errorf("DATE_TRUNC(%v, %v) = %v, want %v", c.interval, c.date, v, c.want)
		}
	}
	for _, bad := range []doc.Value{doc.Period(1, 1), doc.Period(0, 0), doc.Duration(0), doc.Duration(-time.Hour)} {
		if _, _, err := callFn(t, "DATE_TRUNC", bad, ms("2020-01-01T00:00:00Z")); err == nil {
			t.Errorf("DATE_TRUNC(%v) should fail", bad)
		}
	}
	if _, _, err := callFn(t, "DATE_TRUNC", doc.Int(1), ms("2020-01-01T00:00:00Z")); err == nil {
		t.Error("integer interval should be a type error")
	}
}

func TestDateDiff(t *testing.T) {
	start := ms("2023-12-04T10:15:00Z")
	end := ms("2023-12-04T10:15:01Z")
	endYear := ms("2024-12-04T10:15:01Z")
	cases := []struct {
		unit       string
		start, end doc.Value
		want       string
		err        string
	}{
		// From Elasticsearch's DateDiffTests.
		{"seconds", ms("2023-12-04T10:15:30Z"), ms("2023-12-05T10:45:00Z"), "88170", ""},
		{"ns", start, end, "1000000000", ""},
		{"mcs", start, end, "1000000", ""},
		{"ms", start, end, "1000", ""},
		{"s", start, end, "1", ""},
		{"n", start, endYear, "527040", ""},
		{"hh", start, endYear, "8784", ""},
		{"dw", start, endYear, "366", ""},
		{"wk", start, endYear, "52", ""},
		{"dy", start, endYear, "366", ""},
		{"m", start, endYear, "12", ""},
		{"QUARTERS", start, endYear, "4", ""},
		{"yyyy", start, endYear, "1", ""},
		{"nanoseconds", start, ms("2023-12-04T10:20:00Z"), "null", invalidArg + "[300000000000] out of [integer] range"},
		// Truncation toward zero, month arithmetic on day and time of day.
		{"month", ms("2021-02-28T12:00:00Z"), ms("2021-03-28T11:59:59Z"), "0", ""},
		{"month", ms("2021-02-28T12:00:00Z"), ms("2021-03-28T12:00:00Z"), "1", ""},
		{"year", ms("2021-01-01T00:00:00Z"), ms("1900-03-28T00:00:00Z"), "-120", ""},
		{"day", ms("2023-01-02T00:00:00Z"), ms("2023-01-01T00:00:01Z"), "0", ""},
		{"second", ms("2023-01-01T00:00:00.999Z"), ms("2023-01-01T00:00:00Z"), "0", ""},
		{"millisecond", ms("2023-01-01T00:00:00Z"), ns("2023-01-01T00:00:00.001500000Z"), "1", ""},
		{"hours", doc.Value{}, end, "null", ""},
	}
	for _, c := range cases {
		_, v, err := callFn(t, "DATE_DIFF", doc.KeywordOf(c.unit), c.start, c.end)
		if v.String() != c.want || (err == nil) != (c.err == "") || (err != nil && err.Error() != c.err) {
			t.Errorf("DATE_DIFF(%s, %v, %v) = %v, %v; want %v %q", c.unit, c.start, c.end, v, err, c.want, c.err)
		}
	}
	// Messages from Elasticsearch's DateDiffTests.
	for unit, msg := range map[string]string{
		"sseconds":       "Received value [sseconds] is not valid date part to add; did you mean [seconds, second, nanoseconds, milliseconds, microseconds, nanosecond]?",
		"not-valid-unit": "A value of [YEAR, QUARTER, MONTH, DAYOFYEAR, DAY, WEEK, WEEKDAY, HOUR, MINUTE, SECOND, MILLISECOND, MICROSECOND, NANOSECOND] or their aliases is required; received [not-valid-unit]",
	} {
		if _, _, err := callFn(t, "DATE_DIFF", doc.KeywordOf(unit), start, end); err == nil || err.Error() != msg {
			t.Errorf("DATE_DIFF(%q): %v", unit, err)
		}
	}
}

func TestDateExtract(t *testing.T) {
	d := ms("2022-05-06T13:14:15.678Z")
	cases := map[string]int64{
		"year": 2022, "MONTH_OF_YEAR": 5, "day_of_month": 6, "DAY_OF_WEEK": 5, "HOUR_OF_DAY": 13,
		"minute_of_hour": 14, "second_of_minute": 15, "milli_of_second": 678, "DAY_OF_YEAR": 126,
		"EPOCH_DAY": 19118, "ALIGNED_WEEK_OF_YEAR": 18, "AMPM_OF_DAY": 1, "CLOCK_HOUR_OF_AMPM": 1,
		"INSTANT_SECONDS": 1651842855, "PROLEPTIC_MONTH": 2022*12 + 4,
	}
	for field, want := range cases {
		typ, v, err := callFn(t, "DATE_EXTRACT", doc.KeywordOf(field), d)
		if err != nil || typ != doc.Long || v.I != want {
			t.Errorf("DATE_EXTRACT(%s) = %v %v %v, want %d", field, typ, v, err, want)
		}
	}
	if _, _, err := callFn(t, "DATE_EXTRACT", doc.KeywordOf("NOPE"), d); err == nil {
		t.Error("unknown field should fail")
	}
}

func TestDateFormatParse(t *testing.T) {
	d := ms("1985-02-08T07:05:09.012Z")
	formats := []struct{ pattern, want string }{
		{"yyyy-MM-dd", "1985-02-08"},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "1985-02-08T07:05:09.012Z"},
		{"EEE, d MMM yy h:mm a", "Fri, 8 Feb 85 7:05 AM"},
		{"EEEE MMMM D Q", "Friday February 39 1"},
		{"HH 'o''clock' Z", "07 o'clock +0000"},
		{"strict_date_optional_time", "1985-02-08T07:05:09.012Z"},
	}
	for _, f := range formats {
		_, v, err := callFn(t, "DATE_FORMAT", doc.KeywordOf(f.pattern), d)
		if err != nil || v.S != f.want {
			t.Errorf("DATE_FORMAT(%q) = %q, %v; want %q", f.pattern, v.S, err, f.want)
		}
	}
	if _, v, _ := callFn(t, "DATE_FORMAT", d); v.S != "1985-02-08T07:05:09.012Z" {
		t.Errorf("default DATE_FORMAT = %q", v.S)
	}
	if _, _, err := callFn(t, "DATE_FORMAT", doc.KeywordOf("yyyy-bb"), d); err == nil {
		t.Error("unknown pattern letter should fail")
	}

	parses := []struct{ pattern, in, want, err string }{
		{"yyyy-MM-dd", "2023-10-23", "2023-10-23T00:00:00.000Z", ""},
		{"yyyy-MM-dd HH:mm:ss", "2023-10-23 13:55:01", "2023-10-23T13:55:01.000Z", ""},
		{"dd/MMM/yyyy:HH:mm:ss Z", "23/Oct/2023:13:55:01 +0200", "2023-10-23T11:55:01.000Z", ""},
		{"yyyyMMdd", "20231023", "2023-10-23T00:00:00.000Z", ""},
		{"date_optional_time", "2023-10-23T01:02:03+01:00", "2023-10-23T00:02:03.000Z", ""},
		{"MMMM d, yyyy h:mm a", "October 3, 2023 1:05 PM", "2023-10-03T13:05:00.000Z", ""},
		{"yyyy-DDD", "2024-060", "2024-02-29T00:00:00.000Z", ""},
		{"yyyy-MM-dd", "2023-02-30", "null", "java.lang.IllegalArgumentException: failed to parse date field [2023-02-30] with format [yyyy-MM-dd]"},
		{"yyyy-MM-dd", "nope", "null", "java.lang.IllegalArgumentException: failed to parse date field [nope] with format [yyyy-MM-dd]"},
	}
	for _, p := range parses {
		_, v, err := callFn(t, "DATE_PARSE", doc.KeywordOf(p.pattern), doc.KeywordOf(p.in))
		if v.String() != p.want || (err == nil) != (p.err == "") || (err != nil && err.Error() != p.err) {
			t.Errorf("DATE_PARSE(%q, %q) = %v, %v; want %v %q", p.pattern, p.in, v, err, p.want, p.err)
		}
	}
	if _, v, err := callFn(t, "DATE_PARSE", doc.KeywordOf("2023-10-23T13:55:01.543Z")); err != nil || v.String() != "2023-10-23T13:55:01.543Z" {
		t.Errorf("DATE_PARSE default = %v, %v", v, err)
	}
}

func TestDayMonthName(t *testing.T) {
	d := ms("2024-02-29T00:00:00Z")
	if _, v, _ := callFn(t, "DAY_NAME", d); v.S != "Thursday" {
		t.Errorf("DAY_NAME = %v", v)
	}
	if _, v, _ := callFn(t, "MONTH_NAME", d); v.S != "February" {
		t.Errorf("MONTH_NAME = %v", v)
	}
}

func FuzzDatePattern(f *testing.F) {
	for _, s := range []string{"yyyy-MM-dd", "'quoted''s'", "EEE MMM d HH:mm:ss Z yyyy", "'unterminated", "bbb", "[yyyy]", "SSSSSSSSS"} {
		f.Add(s, "2023-10-23")
	}
	f.Fuzz(func(t *testing.T, pattern, input string) {
		p, err := compileDatePattern(pattern)
		if err != nil {
			return
		}
		in := instant{sec: 1698069301, nano: 543000000}
		s := p.format(in)
		if _, ok := p.parse(input); ok {
			_ = s
		}
	})
}
