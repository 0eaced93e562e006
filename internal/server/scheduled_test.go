package server

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"vigil/internal/config"
)

type fakeClock struct{ ms atomic.Int64 }

func (c *fakeClock) Now() time.Time       { return time.UnixMilli(c.ms.Load()).UTC() }
func (c *fakeClock) set(t time.Time)      { c.ms.Store(t.UnixMilli()) }
func newFakeClock(t time.Time) *fakeClock { c := &fakeClock{}; c.set(t); return c }

// Scheduled mode through the service: runs happen on the (fake) clock over
// [now-9m, now] with Kibana's range-bearing alert ids, so the second run
// seeing the same group raises a second alert, as Kibana does.
func TestScheduledModeService(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 11, 20, 10, 15, 0, 0, time.UTC))
	ts := start(t, "", func(c *config.Config) { c.Mode = config.ModeScheduled }, func(o *Options) { o.Clock = clock })
	defer ts.stop(t)
	base := time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC)
	var evs []string
	for i, c := range fiveCommands {
		evs = append(evs, execEvent(base.Add(time.Duration(i)*time.Second), "sched-01", "P-S", c))
	}
	do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, evs...))
	ts.Sync()
	if n := ts.alerts(t, "").Total; n != 0 {
		t.Fatalf("alert before any run: %d", n) // the first run happened at start, before the events
	}
	clock.set(time.Date(2026, 11, 20, 10, 19, 0, 0, time.UTC))
	ts.TickNow()
	if n := ts.alerts(t, "").Total; n != 0 {
		t.Fatalf("run before its interval: %d alerts", n)
	}
	clock.set(time.Date(2026, 11, 20, 10, 20, 0, 0, time.UTC))
	ts.TickNow()
	l := ts.alerts(t, "")
	if l.Total != 1 || l.Alerts[0]["vigil.execution.range.gte"] != "2026-11-20T10:11:00.000Z" || l.Alerts[0]["vigil.execution.range.lte"] != "2026-11-20T10:20:00.000Z" {
		t.Fatalf("first scheduled run: %+v", l)
	}
	clock.set(time.Date(2026, 11, 20, 10, 25, 0, 0, time.UTC)) // [10:16, 10:25]: the burst is out of range
	ts.TickNow()
	if n := ts.alerts(t, "").Total; n != 1 {
		t.Fatalf("after the 10:25 run: %d alerts", n)
	}
}

// Flooding a rule's live group limit is refused, counted and alerted on.
func TestGroupLimitAlert(t *testing.T) {
	// One source may hold half the limit: two groups.
	ts := start(t, "", func(c *config.Config) { c.Limits.MaxGroupsPerRule = 4 })
	defer ts.stop(t)
	base := time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC)
	var evs []string
	for p := 0; p < 5; p++ {
		evs = append(evs, execEvent(base, "flood-01", "P-FLOOD-"+string(rune('A'+p)), "whoami"))
	}
	do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, evs...))
	ts.Sync()
	l := ts.alerts(t, "?rule=vigil-group-limit")
	// Each event falls in two runs; the first fills the limit (a group in
	// each), the other four are refused, and counted once each, not once
	// per run.
	if l.Total != 1 || l.Alerts[0]["vigil.rule.rule_id"] != "b42e4b88-fc4a-417b-a45e-4d4a3db9fd41" || l.Alerts[0]["vigil.refused_events"].(float64) != 4 || l.Alerts[0]["vigil.max_groups_per_rule"].(float64) != 4 {
		t.Fatalf("group limit alert: %+v", l)
	}
	_, _, m := do(t, "GET", ts.url+"/metrics", "", "")
	if !strings.Contains(m, `vigil_group_limit_refused_events{rule="Suspicious Python Shell Command Execution"}`) {
		t.Fatal("no refused-events metric")
	}
}
