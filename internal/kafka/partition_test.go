package kafka

import (
	"math"
	"strconv"
	"testing"
	"time"

	"vigil/internal/engine"
)

// The commit point is the first pushed event an open window may still
// read; a new owner restored from the checkpoint keeps closed what the
// watermark closed and replays up to where the previous owner was.
func TestCommitPointAndRestore(t *testing.T) {
	rules := seedRules(t)
	minute := time.Minute.Milliseconds()
	base := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC).UnixMilli()
	p := &partition{live: engine.NewLive(rules, engine.LiveOptions{AllowedLateness: time.Minute})}
	if got := p.commitPoint(); got != 0 {
		t.Errorf("empty partition: commit point %d, want 0", got)
	}
	// Offsets 10..13: events at 0, 1, 30 and 2 minutes (out of order).
	for i, m := range []int64{0, 1, 30, 2} {
		p.track(int64(10+i), base+m*minute)
		p.next = int64(11 + i)
	}
	if got := p.commitPoint(); got != 10 {
		t.Errorf("nothing final: commit point %d, want 10", got)
	}
	// The checkpoint of a partition whose watermark is at minute 30.
	cp := `{"end":14,"wm":` + strconv.FormatInt(base+30*minute, 10) + `}`
	q := &partition{live: engine.NewLive(rules, engine.LiveOptions{AllowedLateness: time.Minute})}
	if !q.restore(cp, rules) || q.replayEnd != 14 {
		t.Fatalf("restore: replay end %d", q.replayEnd)
	}
	h := q.live.OpenHorizon()
	if h == math.MinInt64 || h > base+30*minute || h <= base+2*minute {
		t.Fatalf("restored open horizon %s: want after minute 2, by minute 30", time.UnixMilli(h).UTC())
	}
	q.needed, q.next = p.needed, p.next
	if got := q.commitPoint(); got != 12 {
		t.Errorf("windows to minute 2 final: commit point %d, want 12 (the minute-30 event)", got)
	}
	for _, bad := range []string{"", "{", `{"end":0}`, `not json`} {
		if (&partition{live: engine.NewLive(rules, engine.LiveOptions{})}).restore(bad, rules) {
			t.Errorf("restore(%q) accepted", bad)
		}
	}
}
