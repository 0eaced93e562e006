package engine

import (
	"math"
	"strconv"
	"testing"
	"time"

	"vigil/internal/doc"
)

// The combined watermark: what one source can and cannot do to it.
func TestWatermarks(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC).UnixMilli()
	min := func(m float64) int64 { return now + int64(m*60_000) }
	type obs struct {
		source string
		t      int64
		seen   int64 // wall clock when observed
	}
	cases := []struct {
		name string
		obs  []obs
		want int64
	}{
		{"no source", nil, math.MinInt64},
		{"one source: its time", []obs{{"a", min(-3), now}}, min(-3)},
		{"never past the wall clock", []obs{{"a", min(4), now}}, now},
		{"beyond the skew: ignored", []obs{{"a", min(-3), now}, {"a", min(50), now}}, min(-3)},
		{"one source ahead cannot push", []obs{{"a", min(-3), now}, {"b", min(-3), now}, {"evil", min(4), now}}, min(-3)},
		{"two sources: the older", []obs{{"a", min(-3), now}, {"b", min(-1), now}}, min(-3)},
		{"one source behind among five cannot hold back", []obs{
			{"a", min(-1), now}, {"b", min(-1), now}, {"c", min(-1), now}, {"d", min(-1), now}, {"slow", min(-60), now}}, min(-1)},
		{"an idle source stops holding back", []obs{{"old", min(-30), min(-10)}, {"a", min(-1), now}}, min(-1)},
		{"every source idle: the newest", []obs{{"a", min(-30), min(-10)}, {"b", min(-20), min(-10)}}, min(-20)},
	}
	for _, tc := range cases {
		w := NewWatermarks(WatermarkOptions{})
		for _, o := range tc.obs {
			w.Observe(o.source, o.t, o.seen)
		}
		if got := w.Value(now); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, time.UnixMilli(got).UTC(), time.UnixMilli(tc.want).UTC())
		}
	}
}

// A flood of source ids is bounded, and a restored checkpoint is held to
// the wall clock like observed time.
func TestWatermarksBoundedAndRestored(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC).UnixMilli()
	w := NewWatermarks(WatermarkOptions{MaxSources: 64})
	for i := 0; i < 10_000; i++ {
		w.Observe("agent-"+strconv.Itoa(i), now-1000, now+int64(i))
	}
	if w.Sources() > 64 {
		t.Fatalf("%d sources tracked, limit 64", w.Sources())
	}
	r := NewWatermarks(WatermarkOptions{})
	r.Restore(map[string]int64{"a": now + 50*60_000, "b": now - 60_000}, now)
	if got := r.Value(now); got != now-60_000 || r.Sources() != 1 {
		t.Fatalf("restored: %v over %d sources", time.UnixMilli(got).UTC(), r.Sources())
	}
}

// BenchmarkLivePush times the live engine's per-event path (routing, event
// time, the source's watermark, the rule's open runs).
func BenchmarkLivePush(b *testing.B) {
	cr, dec := liveFixture(&testing.T{}, nil)
	clock := &fakeClock{time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)}
	l := NewLive([]*CompiledRule{cr}, LiveOptions{Clock: clock})
	var lines []string
	for h := 0; h < 50; h++ {
		lines = append(lines, burst("h"+strconv.Itoa(h), "P1", time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC))...)
	}
	docs := make([]*doc.Document, 0, len(lines))
	for _, s := range lines {
		d, err := dec.Decode([]byte(s))
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, d)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%len(docs) == 0 { // fresh runs: a window sees each event once
			b.StopTimer()
			l = NewLive([]*CompiledRule{cr}, LiveOptions{Clock: clock})
			b.StartTimer()
		}
		l.Push(docs[i%len(docs)])
	}
}
