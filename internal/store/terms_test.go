package store

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestTerms: combinations are kept per rule, updated in place, survive a
// reopen, and go by last sighting.
func TestTerms(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutTerms("r1", []Term{{"a", 10, 10}, {"b", 20, 25}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutTerms("r2", []Term{{"a", 5, 5}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutTerms("r1", []Term{{"a", 10, 40}}); err != nil { // a seen again at 40
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	get := func(rule string) []Term {
		ts, err := s.Terms(rule)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(ts, func(x, y Term) int { return strings.Compare(x.Hash, y.Hash) })
		return ts
	}
	if got, want := get("r1"), []Term{{"a", 10, 40}, {"b", 20, 25}}; !reflect.DeepEqual(got, want) {
		t.Errorf("r1: %v, want %v", got, want)
	}
	if n, err := s.PruneTerms("r1", 30); err != nil || n != 1 {
		t.Errorf("prune: %d, %v; want 1 (b, last seen at 25)", n, err)
	}
	if got, want := get("r1"), []Term{{"a", 10, 40}}; !reflect.DeepEqual(got, want) {
		t.Errorf("r1 after prune: %v, want %v", got, want)
	}
	if got := get("r2"); len(got) != 1 {
		t.Errorf("r2: %v: pruning r1 touched it", got)
	}
}
