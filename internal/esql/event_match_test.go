package esql

import "testing"

// TestEventMatcher checks the matcher against an execution's own count of
// the rows its per-event stage passes: a document matches exactly when
// pushing it raised Matched (MV_EXPAND rows included), and for no other.
func TestEventMatcher(t *testing.T) {
	ds := windowDocs()
	queries := append([]string{
		`FROM x | WHERE process.name == "p1" AND n > 0 | STATS c = COUNT(*) BY host.name`,
		`FROM x | MV_EXPAND tags | WHERE tags == "t3" | EVAL h = host.name | KEEP h, tags`,
		`FROM x | WHERE n > 100 | SORT n DESC | LIMIT 3`,
		`FROM x | EVAL m = n * 2 | WHERE m IS NULL`,
		`ROW a = 1`,
	}, windowQueries...)
	for _, src := range queries {
		q, _ := compileWhole(t, src, nil)
		m, e := q.NewEventMatcher(), q.NewExecution()
		hits := 0
		for i, d := range ds {
			before := e.Matched()
			e.Push(d)
			want := e.Matched() > before
			if got := m.Match(d); got != want {
				t.Fatalf("%s: document %d matched %v, execution says %v", src, i, got, want)
			}
			if want {
				hits++
			}
		}
		if hits == 0 && src != `ROW a = 1` && src != `FROM x | EVAL m = n * 2 | WHERE m IS NULL` {
			t.Errorf("%s: no document matched", src)
		}
	}
}
