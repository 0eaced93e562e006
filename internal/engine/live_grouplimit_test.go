package engine

import (
	"fmt"
	"testing"
	"time"
)

// The group limit is fair per source: a flood of distinct groups from one
// host fills at most half of it and is refused beyond, and a real burst
// from another host still alerts — in one Live and in partitioned engines,
// whose partitions share the rule's limit. Without the per-source share
// the flood would fill the limit and blind the rule.
func TestGroupLimitFairPerSource(t *testing.T) {
	cr, dec := liveFixture(t, nil)
	at := time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC)
	const limit, flood = 400, 2000
	var lines []string
	for i := range flood { // each event a group (in each of its two runs)
		s, l, a := c("sh", "-c", "id")
		lines = append(lines, ev(at.Add(time.Duration(i%40)*time.Second).Format(time.RFC3339), "flood", "linux", fmt.Sprintf("F%d", i), "python3", s, l, a, nil))
	}
	real := burst("real", "P-REAL", at.Add(20*time.Second))
	var spread []string
	for i := range flood {
		s, l, a := c("sh", "-c", "id")
		spread = append(spread, ev(at.Add(time.Duration(i%40)*time.Second).Format(time.RFC3339), fmt.Sprintf("flood%d", i%16), "linux", fmt.Sprintf("S%d", i), "python3", s, l, a, nil))
	}
	for _, n := range []int{0, 2, 4} { // 0: a single Live
		clock := &fakeClock{time.Date(2026, 11, 20, 10, 13, 0, 0, time.UTC)}
		opts := LiveOptions{MaxGroups: limit, AllowedLateness: time.Minute, Clock: clock}
		var eng interface {
			liveEngine
			Stats() []RuleStats
		}
		if n == 0 {
			eng = NewLive([]*CompiledRule{cr}, opts)
		} else {
			p := NewPartitioned([]*CompiledRule{cr}, opts, n)
			defer p.Close()
			eng = p
		}
		push := func(lines []string) {
			for _, s := range lines {
				d, err := dec.Decode([]byte(s))
				if err != nil {
					t.Fatal(err)
				}
				eng.Push(d)
			}
		}
		push(lines)
		if _, err := eng.Flush(); err != nil {
			t.Fatal(err)
		}
		st := eng.Stats()[0]
		if st.Overflow == 0 || st.Groups > limit/2 || st.Groups < limit/2-2 {
			t.Fatalf("%d partitions: the flood holds %d groups (limit %d), %d events refused", n, st.Groups, limit, st.Overflow)
		}
		push(real)
		ups, err := eng.Flush()
		if err != nil || len(ups) != 1 || ups[0].Alert.Fields["host.name"] != "real" {
			t.Fatalf("%d partitions: the real burst during the flood raised %d updates, %v", n, len(ups), err)
		}
		// Floods from many hosts (spread over the partitions) share one
		// limit: together they never exceed it.
		push(spread)
		if _, err := eng.Flush(); err != nil {
			t.Fatal(err)
		}
		if st := eng.Stats()[0]; st.Groups > limit {
			t.Fatalf("%d partitions: %d groups over the limit of %d", n, st.Groups, limit)
		}
	}
}
