package esql

import (
	"testing"

	"vigil/internal/esql/agg"
	"vigil/internal/esql/fn"
	"vigil/internal/esql/registry"
)

// TestImplementedFunctionsAreElasticsearchs: every function Vigil evaluates
// is one Elasticsearch has, so the known-name list and the implementations
// cannot drift apart silently (a typo in either shows here).
func TestImplementedFunctionsAreElasticsearchs(t *testing.T) {
	for _, n := range append(fn.Names(), agg.Names()...) {
		if !registry.ElasticsearchFunction(n) {
			t.Errorf("%s is implemented but not in registry.ElasticsearchFunctions", n)
		}
	}
}

// TestUnsupportedVersusUnknownFunction: a function Elasticsearch has but
// Vigil does not implement is "not supported yet" (Vigil's gap); only a name
// Elasticsearch does not know either is "Unknown function".
func TestUnsupportedVersusUnknownFunction(t *testing.T) {
	for _, tc := range []struct{ q, want string }{
		{"FROM x | EVAL y = foo(n)", "line 1:19: Unknown function [foo]"},
		{"FROM x | EVAL y = mv_appendd(n, n)", "line 1:19: Unknown function [mv_appendd]"},
		{`FROM x | EVAL y = term(name, "a")`, "line 1:19: [TERM] function is not supported yet"},
		{"FROM x | EVAL y = St_Envelope(n)", "line 1:19: [ST_ENVELOPE] function is not supported yet"},
		{"FROM x | STATS y = st_centroid_agg(n)", "line 1:20: [ST_CENTROID_AGG] function is not supported yet"},
		{"FROM x | STATS y = RATE(n)", "line 1:20: [RATE] function is not supported yet"},
	} {
		_, err := Compile(tc.q, testCatalog{testMapping()}, Options{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got  %v\n want %s", tc.q, err, tc.want)
		}
	}
}
