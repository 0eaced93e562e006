package kafka

import (
	"testing"

	"vigil/internal/engine"
)

func alertWith(id string, count int) engine.Update {
	return engine.Update{Alert: &engine.Alert{ID: id, Fields: map[string]any{"count": count}}}
}

// The ledger passes an alert version once, and not the versions a new
// owner derives while replaying toward where the previous owner raised it.
func TestLedgerFilter(t *testing.T) {
	l := &ledger{topic: "alerts", seen: map[string]raised{}}
	steps := []struct {
		name   string
		source string
		offset int64
		count  int
		pass   bool
	}{
		{"first version", "t/0", 100, 5, true},
		{"same version again", "t/0", 100, 5, false},
		{"same version, later offset", "t/0", 140, 5, false},
		{"grown", "t/0", 150, 7, true},
		{"new owner replaying: an older state", "t/0", 120, 6, false},
		{"new owner at the raised offset: same state", "t/0", 150, 7, false},
		{"new owner past it: a real change", "t/0", 160, 8, true},
		{"another partition (groups spanning partitions)", "t/1", 10, 9, true},
	}
	for _, s := range steps {
		fresh, recs := l.filter([]engine.Update{alertWith("X", s.count)}, s.source, s.offset)
		if got := len(fresh) == 1; got != s.pass {
			t.Errorf("%s: passed %v, want %v", s.name, got, s.pass)
		}
		if len(recs) != len(fresh) {
			t.Errorf("%s: %d records for %d updates", s.name, len(recs), len(fresh))
		}
	}
	if _, recs := (&ledger{seen: map[string]raised{}}).filter([]engine.Update{alertWith("Y", 1)}, "t/0", 1); len(recs) != 0 {
		t.Error("records built without an alerts topic")
	}
}
