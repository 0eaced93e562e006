package fn

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"vigil/internal/doc"
)

// isoEdgeInputs are the edge cases of internal/doc's isodate_test.go table
// (expected values and sources are there): Elasticsearch uses one
// strict_date_optional_time for indexing and for ES|QL, so TO_DATETIME and
// the document decoder must agree on every one of them.
var isoEdgeInputs = []string{
	"2024", "2024-03", "2024-03-05", "2024-02-29", "2023-02-29", "2023-02-30", "2024-04-31", "2023-13-12", "2023-12-32",
	"2024-00-01", "2024-00", "2024-01-00", "20245-01-01", "20245", "202", "2024-1-05", "2024-03-5", "24-03-05", "2024-",
	"+2024-01-01", "-2024-03-05", "-9999-01-01T10:00Z", "-0001", "-0000-01-01", "0000-02-29", "--2024", "-", "",
	"2024-03-05T", "2024-03-05T10", "2024-03-05T10:20", "2024-03-05T10:20:30", "2024-03-05T1:20", "2024-03-05T10:2",
	"2024-03-05t10:20:30Z", "2024-03-05 10:20:30", "2024-03T10:00", "2024T10",
	"2023-12-31T24", "2023-12-31T24:00", "2023-12-31T23:60", "2023-12-31T23:59:60", "2023-12-31T23:59:60Z",
	"2019-05-06T14:52:37.1Z", "2019-05-06T14:52:37,123Z", "2019-05-06T14:52:37.123456789Z", "1970-01-01T00:00:00.000000001",
	"2023-01-01T12:00:00.0000000005", "2023-01-01T12:00:00.", "2001-01-01T00:00:00.123,456Z", "2023-01-01T12:00.5",
	"2023-10-23T13:55:01.543Z", "2023-10-23T13:55:01.543z",
	"2016-11-30T00+01", "2016-11-30T00+0100", "2016-11-30T00+01:00", "2016-11-30T12:00:00+01", "2023-01-01T12:00:00-0415",
	"2023-01-01T12:00:00+011030", "2023-01-01T12:00:00-07:45:20", "2023-01-01T12:00:00+18:00", "2023-01-01T12:00:00+01:1030",
	"2023-01-01T12:00:00+5", "2023-01-01T12:00:00+010", "2023-12-31T23:59:59+18:30", "2023-01-01T12:00:00-19",
	"2023-01-01T12:00:00Z", "2023-01-01T12Z", "2023-01-01T12:00:00z", "2023-01-01T12:00:00Z+01:00", "2016-11-30T+01", "2016-11-30Z",
	"2023-01-01T12:00:00UTC", "2023-01-01T12:00:00GMT+3", "2023-01-01T12:00:00UT+6", "2023-01-01T12:00:00GMT-09:45:30",
	"2023-01-01T12:00:00Zulu", "2023-01-01T12:00:00Etc/GMT+5", "2023-01-01T12:00:00UTC+19", "2023-01-01T12:00:00utc",
	"2023-01-01T12:00:00Europe/Paris", "2023-01-01T12:00:00Zjunk", "2023-01-01T12:00:00 ", " 2023-01-01", "yesterday",
	// The ends of date_nanos (1970 to 2262-04-11T23:47:16.854775807).
	"1969-12-31T23:59:59.999999999Z", "1970-01-01T00:00:00Z", "2262-04-11T23:47:16.854775807Z", "2262-04-11T23:47:16.854775808Z",
}

var isoMapping = func() *doc.Mapping {
	m, err := doc.ParseMapping([]byte(`{"mappings":{"properties":{
  "d":{"type":"date","format":"strict_date_optional_time"},
  "n":{"type":"date_nanos","format":"strict_date_optional_time_nanos"}}}}`))
	if err != nil {
		panic(err)
	}
	return m
}()

// decodeDate indexes s into field (d: date, n: date_nanos) the way a document is decoded.
func decodeDate(field, s string) (doc.Value, bool) {
	b, _ := json.Marshal(map[string]string{field: s})
	d, err := doc.NewDecoder(isoMapping, doc.DecodeOptions{}).Decode(b)
	if err != nil {
		return doc.Value{}, false
	}
	return d.Get(field), true
}

// same compares two single (or null) temporal values.
func same(a, b doc.Value) bool { return a.T == b.T && a.I == b.I && a.M == nil && b.M == nil }

// evalRow runs a function on per-row (non-constant) arguments.
func evalRow(t *testing.T, name string, args ...doc.Value) (doc.Value, error) {
	t.Helper()
	f, _ := Lookup(name)
	types := make([]doc.Type, len(args))
	for i, a := range args {
		types[i] = a.T
	}
	_, ev, err := f.Resolve(types, make([]*doc.Value, len(args)))
	if err != nil {
		t.Fatal(err)
	}
	return ev(args)
}

// checkAgrees: TO_DATETIME and TO_DATE_NANOS (and DATE_PARSE with the ISO
// format names) accept exactly what the decoder accepts, with equal values.
func checkAgrees(t *testing.T, s string) {
	if !utf8.ValidString(s) { // JSON would carry a different string
		return
	}
	kw := doc.KeywordOf(s)
	dt, err := evalRow(t, "TO_DATETIME", kw)
	want, ok := decodeDate("d", s)
	if (err == nil) != ok || (ok && !same(dt, want)) {
		t.Errorf("TO_DATETIME(%q) = %v (err %v); decoding gives %v (ok %v)", s, dt, err, want, ok)
	}
	p, perr := evalRow(t, "DATE_PARSE", doc.KeywordOf("strict_date_optional_time"), kw)
	if (perr == nil) != (err == nil) || !same(p, dt) {
		t.Errorf("DATE_PARSE(strict_date_optional_time, %q) = %v (err %v), TO_DATETIME %v", s, p, perr, dt)
	}
	dn, err := evalRow(t, "TO_DATE_NANOS", kw)
	want, ok = decodeDate("n", s)
	if (err == nil) != ok || (ok && !same(dn, want)) {
		t.Errorf("TO_DATE_NANOS(%q) = %v (err %v); decoding gives %v (ok %v)", s, dn, err, want, ok)
	}
	// DATE_PARSE returns datetime, so the _nanos name has no epoch range:
	// it narrows strict_date_optional_time and covers the date_nanos decoder.
	pn, pnerr := evalRow(t, "DATE_PARSE", doc.KeywordOf("strict_date_optional_time_nanos"), kw)
	if (pnerr == nil && (perr != nil || !same(pn, p))) || (ok && (pnerr != nil || pn.I != want.I/1e6)) {
		t.Errorf("DATE_PARSE(strict_date_optional_time_nanos, %q) = %v (err %v); strict_date_optional_time %v, date_nanos decoding %v", s, pn, pnerr, p, want)
	}
}

func TestISODateAgreesWithDecoder(t *testing.T) {
	for _, s := range isoEdgeInputs {
		checkAgrees(t, s)
	}
}

// TestISODateEdgeCases: a few edge cases through the public evaluation path,
// with Elasticsearch's results (sources in internal/doc/isodate_test.go) and
// the unchanged failure text.
func TestISODateEdgeCases(t *testing.T) {
	cases := []struct{ fn, in, want, err string }{
		{"TO_DATETIME", "-2024-03-05", "-2024-03-05T00:00:00.000Z", ""},
		{"TO_DATETIME", "2024-03-05T", "2024-03-05T00:00:00.000Z", ""},
		{"TO_DATETIME", "2023-01-01T12:00:00UTC+05:00", "2023-01-01T07:00:00.000Z", ""},
		{"TO_DATETIME", "2023-01-01T12:00:00+01:10:30", "2023-01-01T10:49:30.000Z", ""},
		{"TO_DATETIME", "2019-05-06T14:52:37.123456789Z", "2019-05-06T14:52:37.123Z", ""},
		{"TO_DATETIME", "2024-03T10:00", "null", "java.lang.IllegalArgumentException: failed to parse date field [2024-03T10:00] with format [strict_date_optional_time]"},
		{"TO_DATETIME", "2024-03-05t10:00:00Z", "null", "java.lang.IllegalArgumentException: failed to parse date field [2024-03-05t10:00:00Z] with format [strict_date_optional_time]"},
		{"TO_DATETIME", "2023-12-31T23:59:59+18:30", "null", "java.lang.IllegalArgumentException: failed to parse date field [2023-12-31T23:59:59+18:30] with format [strict_date_optional_time]"},
		{"TO_DATE_NANOS", "2024-03-05T10:20:30.123456789+01:00", "2024-03-05T09:20:30.123456789Z", ""},
		{"TO_DATE_NANOS", "2024-03-05", "2024-03-05T00:00:00.000000000Z", ""},
		{"TO_DATE_NANOS", "2024-03-05T10:20", "null", "java.lang.IllegalArgumentException: failed to parse date field [2024-03-05T10:20] with format [strict_date_optional_time_nanos]"},
	}
	for _, c := range cases {
		v, err := evalRow(t, c.fn, doc.KeywordOf(c.in))
		if v.String() != c.want || (err == nil) != (c.err == "") || (err != nil && err.Error() != c.err) {
			t.Errorf("%s(%q) = %v, %v; want %v %q", c.fn, c.in, v, err, c.want, c.err)
		}
	}
}

// FuzzISODateAgreesWithDecoder: on any string, ES|QL's conversions and the
// document decoder give the same answer.
func FuzzISODateAgreesWithDecoder(f *testing.F) {
	for _, s := range isoEdgeInputs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 64 { // no date is that long; spare the fuzzer the JSON paths of long strings
			return
		}
		checkAgrees(t, s)
	})
}
