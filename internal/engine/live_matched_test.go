package engine

import (
	"testing"
	"time"

	"vigil/internal/rule"
)

// TestLiveMatched: RuleStats.Matched counts, in either mode, the events
// the rule's per-event stage passed — each once, however many runs it
// enters — as an execution of the query counts them; replayed events are
// not counted again.
func TestLiveMatched(t *testing.T) {
	cr, dec := liveFixture(t, nil)
	base := time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC)
	lines := append(burst("h1", "P1", base), burst("h2", "P2", base.Add(time.Minute))...)
	s, l, a := c("sh", "-x", "noop") // not -c: the WHERE rejects it
	lines = append(lines, ev(base.Format(time.RFC3339), "h0", "linux", "P0", "python3", s, l, a, nil))
	s, l, a = c("sh", "-c", "id")
	lines = append(lines, ev(base.Format(time.RFC3339), "h0", "linux", "P0", "node", s, l, a, nil))
	ref := cr.Query.NewExecution()
	for _, line := range lines {
		d, err := dec.Decode([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		ref.Push(d)
	}
	if ref.Matched() == 0 || ref.Matched() == int64(len(lines)) {
		t.Fatalf("the reference passed %d of %d events: the test needs some rejected", ref.Matched(), len(lines))
	}
	for _, mode := range []Mode{Realtime, Scheduled} {
		live := NewLive([]*CompiledRule{cr}, LiveOptions{Clock: &fakeClock{base.Add(10 * time.Minute)},
			Mode: func(*rule.Rule) Mode { return mode }})
		pushLines(t, live, dec, lines)
		live.Replaying = true
		pushLines(t, live, dec, lines)
		if got := live.Stats()[0].Matched; got != ref.Matched() {
			t.Errorf("%v: matched %d, want %d", mode, got, ref.Matched())
		}
		// Partitioned (by agent.id: the hosts' events in different
		// partitions) sums its partitions' counts.
		parts := NewPartitioned([]*CompiledRule{cr}, LiveOptions{Clock: &fakeClock{base.Add(10 * time.Minute)},
			Mode: func(*rule.Rule) Mode { return mode }}, 4)
		for _, line := range lines {
			d, err := dec.Decode([]byte(line))
			if err != nil {
				t.Fatal(err)
			}
			parts.Push(d)
		}
		if got := parts.Stats()[0].Matched; got != ref.Matched() {
			t.Errorf("%v, 4 partitions of %d: matched %d, want %d", mode, parts.Partitions(), got, ref.Matched())
		}
		parts.Close()
	}
}
