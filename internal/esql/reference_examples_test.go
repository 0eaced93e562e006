package esql

import (
	"slices"
	"testing"
)

// Regressions for divergences found against the examples of Elasticsearch's
// ES|QL reference (internal/esql/csvspec/testdata/docs-examples.csv-spec).
func TestReferenceExampleFixes(t *testing.T) {
	tests := []struct {
		name, q string
		want    []string
		warn    []string
	}{
		{"conversion keeps the elements that convert",
			`ROW long = [5013792, 2147483647, 501379200000] | EVAL int = TO_INTEGER(long)`,
			[]string{"long:long|int:integer", "[5013792, 2147483647, 501379200000]|[5013792, 2147483647]"},
			[]string{"Line 1:61: evaluation of [TO_INTEGER(long)] failed, treating result as null. Only first 20 failures recorded.",
				"Line 1:61: org.elasticsearch.xpack.esql.core.InvalidArgumentException: [501379200000] out of [integer] range"}},
		{"stats expression over a grouping key",
			"FROM logs-* | STATS c = COUNT(*), k = n + 1 BY n | SORT n",
			[]string{"c:long|k:integer|n:integer", "1|2|1", "1|3|2", "1|4|3", "1|5|4", "1|6|5"}, nil},
		{"stats reuses a BY expression verbatim",
			"FROM logs-* | STATS s = BUCKET(n, 2.) + 1 BY b = BUCKET(n, 2.) | SORT b",
			[]string{"s:double|b:double", "1.0|0.0", "3.0|2.0", "5.0|4.0", "null|null"},
			[]string{"Line 1:50: evaluation of [BUCKET(n, 2.)] failed, treating result as null. Only first 20 failures recorded.",
				"Line 1:50: java.lang.IllegalArgumentException: single-value function encountered multi-value"}},
		{"bucket by a span",
			"FROM logs-* | STATS c = COUNT(*) BY m = BUCKET(@timestamp, 1 minute) | SORT m",
			[]string{"c:long|m:datetime", "2|2024-01-01T00:00:00.000Z", "2|2024-01-01T00:01:00.000Z"}, nil},
		{"bucket by a count over a range",
			`FROM logs-* | STATS c = COUNT(*) BY m = BUCKET(@timestamp, 5, "2024-01-01T00:00:00Z", "2024-01-01T00:02:00Z") | SORT m`,
			[]string{"c:long|m:datetime", "1|2024-01-01T00:00:00.000Z", "1|2024-01-01T00:00:30.000Z", "2|2024-01-01T00:01:00.000Z"}, nil},
		{"weighted_avg",
			"FROM logs-* | WHERE n < 3 | STATS w = WEIGHTED_AVG(n, n)",
			[]string{"w:double", "1.6666666666666667"},
			[]string{"Line 1:21: evaluation of [n < 3] failed, treating result as null. Only first 20 failures recorded.",
				"Line 1:21: java.lang.IllegalArgumentException: single-value function encountered multi-value"}},
		// convert.csv-spec / date.csv-spec: string literals meet a time span
		// or a datetime parameter as datetimes.
		{"string literal plus a period",
			`ROW u = "3 days" | EVAL a = "2024-01-01" + u::date_period, b = "2024-01-01" - 3 hours | KEEP a, b`,
			[]string{"a:datetime|b:datetime", "2024-01-04T00:00:00.000Z|2023-12-31T21:00:00.000Z"}, nil},
		{"string literal as a datetime argument",
			`ROW d = TO_DATETIME("2023-12-02T11:00:00.000Z") | EVAL us = DATE_DIFF("microseconds", d, "2023-12-02T11:00:00.001Z") | KEEP us`,
			[]string{"us:integer", "1000"}, nil},
		{"signed integer literals",
			"ROW a = -2147483648, b = -9223372036854775808, c = -9223372036854775809, d = -5",
			[]string{"a:integer|b:long|c:double|d:integer", "-2147483648|-9223372036854775808|-9.223372036854776E18|-5"}, nil},
		// dissect.csv-spec / grok.csv-spec multivalueInput: every value is
		// parsed; columns collect the matching values' parts.
		{"dissect a multi-value",
			`ROW a = ["x 1", "nope", "y 2"] | DISSECT a "%{k} %{v}" | KEEP k, v`,
			[]string{"k:keyword|v:keyword", "[x, y]|[1, 2]"}, nil},
		{"dissect a multi-value with one match",
			`ROW a = ["x 1", "nope"] | DISSECT a "%{k} %{v}" | KEEP k, v`,
			[]string{"k:keyword|v:keyword", "x|1"}, nil},
		{"grok a multi-value with optional captures",
			`ROW a = ["Accountant", "Senior Python Developer"] | GROK a "%{WORD:x}?\\s*%{WORD:y}?" | KEEP x, y`,
			[]string{"x:keyword|y:keyword", "[Accountant, Senior]|Python"}, nil},
		{"grok a multi-value, none matching",
			`ROW a = ["a", "b"] | GROK a "%{NUMBER:n:int}" | KEEP n`,
			[]string{"n:integer", "null"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.q)
			if got := render(r); !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			if !slices.Equal(r.Warnings, tc.warn) {
				t.Errorf("warnings %q, want %q", r.Warnings, tc.warn)
			}
		})
	}
	for _, q := range []string{
		"FROM logs-* | STATS n BY name",             // a bare column is not an aggregate
		"FROM logs-* | STATS k = n + 1 BY name",     // nor an expression over a non-key column
		"FROM logs-* | EVAL w = WEIGHTED_AVG(n, n)", // aggregates stay in STATS
	} {
		if _, err := Compile(q, testCatalog{testMapping()}, Options{}); err == nil {
			t.Errorf("%s: want an error", q)
		}
	}
}
