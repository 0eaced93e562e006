package esql

import (
	"slices"
	"testing"
	"time"

	"vigil/internal/doc"
)

// TestGroupProbe checks the probe against the STATS it mirrors: for each
// query, the rows the probe assigns to each group number exactly the
// group's COUNT(*) (multi-valued keys, EVAL'd and windowed keys, filters
// before STATS), and a group no document feeds is never named.
func TestGroupProbe(t *testing.T) {
	queries := []string{
		`FROM logs-* | STATS c = COUNT(*) BY name`,
		`FROM logs-* | STATS c = COUNT(*) BY tags`,
		`FROM logs-* | STATS c = COUNT(*) BY tags, n`,
		`FROM logs-* | WHERE n > 1 | EVAL w = DATE_TRUNC(1 minute, @timestamp) | STATS c = COUNT(*) BY w, name`,
		`FROM logs-* | EVAL k = CONCAT(name, "!") | KEEP k, n | STATS c = COUNT(*), s = SUM(n) BY k | WHERE c > 0 | SORT c DESC`,
		`FROM logs-* | STATS c = COUNT(*) BY host.name`, // every key null: one group
	}
	for _, src := range queries {
		q, err := Compile(src, testCatalog{testMapping()}, Options{Now: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		res, err := Run(src, testCatalog{testMapping()}, seq(testDocs()), Options{Now: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		by := q.GroupBy()
		want := map[string]int64{}
		ci := slices.IndexFunc(res.Columns, func(c Column) bool { return c.Name == "c" })
		for _, row := range res.Rows {
			kv := make([]doc.Value, len(by))
			for i, n := range by {
				kv[i] = row[slices.IndexFunc(res.Columns, func(c Column) bool { return c.Name == n })]
			}
			want[GroupKey(kv)] = row[ci].I
		}
		p := q.NewGroupProbe()
		if p == nil {
			t.Fatalf("%s: no probe", src)
		}
		got := map[string]int64{}
		for _, d := range testDocs() {
			p.Groups(d, func(key string) { got[key]++ })
		}
		if len(got) != len(want) {
			t.Errorf("%s: probe names %d groups, STATS has %d", src, len(got), len(want))
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("%s: group %q: probe %d rows, COUNT(*) %d", src, k, got[k], n)
			}
		}
	}
	for _, src := range []string{
		`FROM logs-* | WHERE n > 1`,
		`FROM logs-* | SORT n | STATS c = COUNT(*) BY name`,
		`FROM logs-* | STATS c = COUNT(*) BY name | STATS d = COUNT(*) BY c`,
		`FROM logs-* | INLINE STATS c = COUNT(*) BY name`,
	} {
		q, err := Compile(src, testCatalog{testMapping()}, Options{})
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if q.NewGroupProbe() != nil {
			t.Errorf("%s: a probe, want none (rows do not map onto the result's groups)", src)
		}
	}
}
