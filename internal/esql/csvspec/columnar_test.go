package csvspec

import (
	"testing"

	"vigil/internal/esql"
)

// TestConformanceColumnar runs the shared suite with documents pushed in
// batches (esql.RunBatched: per-event stages column-wise where they
// lower) and requires every test's outcome, reason included, to be the
// row executor's.
func TestConformanceColumnar(t *testing.T) {
	dir := sharedESQL(t)
	rows, err := (&Runner{}).RunPaths([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	cols, err := (&Runner{Exec: esql.RunBatched}).RunPaths([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(cols) {
		t.Fatalf("%d outcomes by rows, %d by batches", len(rows), len(cols))
	}
	for i, r := range rows {
		if c := cols[i]; c.ID() != r.ID() || c.Status != r.Status || c.Reason != r.Reason {
			t.Errorf("%s: rows %s %q, batches %s %s %q", r.ID(), r.Status, r.Reason, c.ID(), c.Status, c.Reason)
		}
	}
}
