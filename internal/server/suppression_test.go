package server

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/config"
	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// suppressedRule is an ES|QL rule on process events (interval 5m,
// look-back 10m) suppressing by host.name. (A query rule's, grouped by a
// field of its source event: TestServeQueryRuleSuppressedBySourceField.)
func suppressedRule(t *testing.T, dur time.Duration, missing bool) *engine.CompiledRule {
	t.Helper()
	r := &rule.Rule{RuleID: "supp", Name: "Suppressed process rule", Type: "esql", Language: "esql", Severity: "low", RiskScore: 21,
		MaxSignals: 100, Version: 1, Query: `FROM logs-endpoint.events.process-* METADATA _id, _index
| WHERE event.category == "process"
| KEEP _id, _index, @timestamp, host.name`,
		Interval: 5 * time.Minute, Lookback: 10 * time.Minute, From: "now-10m",
		Suppression: &rule.Suppression{GroupBy: []string{"host.name"}, Duration: dur, SuppressMissing: missing}}
	cr, err := engine.Compile(r, &engine.Catalog{}, esql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cr
}

// procEvent is a process event at 2026-11-20T<hm>:00Z, from host (none
// when "").
func procEvent(hm, host string) string {
	m := map[string]any{
		"@timestamp":  "2026-11-20T" + hm + ":00.000Z",
		"data_stream": map[string]any{"type": "logs", "dataset": "endpoint.events.process", "namespace": "default"},
		"event":       map[string]any{"category": []string{"process"}, "type": []string{"start"}},
		"agent":       map[string]any{"id": "agent-supp"},
	}
	if host != "" {
		m["host"] = map[string]any{"name": host}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// suppressed lists the stored alerts as "host:docs_count:start-end" (times
// as hh:mm), sorted.
func (ts *testServer) suppressed(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, a := range ts.alerts(t, "?rule=supp&size=1000").Alerts {
		host := "-"
		if terms, ok := a["kibana.alert.suppression.terms"].([]any); ok && len(terms) == 1 {
			if v, ok := terms[0].(map[string]any)["value"].(string); ok {
				host = v
			}
		}
		hm := func(k string) string {
			s, _ := a[k].(string)
			if len(s) < 16 {
				return "?"
			}
			return s[11:16]
		}
		out = append(out, fmt.Sprintf("%s:%v:%s-%s", host, a["kibana.alert.suppression.docs_count"], hm("kibana.alert.suppression.start"), hm("kibana.alert.suppression.end")))
	}
	slices.Sort(out)
	return out
}

// Alert suppression in vigil serve, hand-computed. Duration 5m: host a's
// window opens at 10:01 and takes 10:03 (and, after a restart, 10:04);
// 10:07 is 6m after it, a new window. Alerts without host.name form one
// null group (missing_fields_strategy suppress). A restart (the spool
// replays, re-deriving every alert) counts nothing twice, and a window is
// updated in place: one stored alert per window.
func TestServeSuppressionDuration(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC))
	opts := func(o *Options) {
		o.Clock, o.Rules = clock, []*engine.CompiledRule{suppressedRule(t, 5*time.Minute, true)}
	}
	post := func(ts *testServer, evs ...string) {
		t.Helper()
		for _, e := range evs { // one request each: alerts arrive over several evaluations
			if code, _, body := do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, e)); code != 200 {
				t.Fatalf("bulk: %d %s", code, body)
			}
			ts.Sync()
		}
	}
	ts := start(t, dir, nil, opts)
	post(ts, procEvent("10:01", "a"), procEvent("10:02", "b"), procEvent("10:03", "a"), procEvent("10:04", ""), procEvent("10:05", ""), procEvent("10:07", "a"))
	want := []string{"-:1:10:04-10:05", "a:0:10:07-10:07", "a:1:10:01-10:03", "b:0:10:02-10:02"}
	if got := ts.suppressed(t); !slices.Equal(got, want) {
		t.Fatalf("alerts %q, want %q", got, want)
	}
	ts.Abandon() // kill -9

	ts = start(t, dir, nil, opts)
	if got := ts.suppressed(t); !slices.Equal(got, want) {
		t.Fatalf("after restart: %q, want %q", got, want)
	}
	post(ts, procEvent("10:04", "a"))
	want = []string{"-:1:10:04-10:05", "a:0:10:07-10:07", "a:2:10:01-10:04", "b:0:10:02-10:02"}
	if got := ts.suppressed(t); !slices.Equal(got, want) {
		t.Fatalf("10:04 joins a's first window: %q, want %q", got, want)
	}
	ts.stop(t)
}

// Without a duration a real-time rule's window is its interval (5m,
// aligned): a's 10:01 and 10:04 merge, 10:06 opens the next. Under
// doNotSuppress each alert without host.name stays its own, unsuppressed.
func TestServeSuppressionPerInterval(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC))
	ts := start(t, "", nil, func(o *Options) {
		o.Clock, o.Rules = clock, []*engine.CompiledRule{suppressedRule(t, 0, false)}
	})
	defer ts.stop(t)
	do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, procEvent("10:01", "a"), procEvent("10:04", "a"), procEvent("10:06", "a"), procEvent("10:02", ""), procEvent("10:03", "")))
	ts.Sync()
	want := []string{"-:<nil>:?-?", "-:<nil>:?-?", "a:0:10:06-10:06", "a:1:10:01-10:04"}
	if got := ts.suppressed(t); !slices.Equal(got, want) {
		t.Fatalf("alerts %q, want %q", got, want)
	}
}

// A scheduled rule's window without a duration is its run.
func TestServeSuppressionScheduled(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 11, 20, 10, 15, 0, 0, time.UTC))
	ts := start(t, "", func(c *config.Config) { c.Mode = config.ModeScheduled }, func(o *Options) {
		o.Clock, o.Rules = clock, []*engine.CompiledRule{suppressedRule(t, 0, true)}
	})
	defer ts.stop(t)
	do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, procEvent("10:12", "a"), procEvent("10:13", "a"), procEvent("10:19", "a")))
	ts.Sync()
	clock.set(time.Date(2026, 11, 20, 10, 20, 0, 0, time.UTC)) // [10:10, 10:20]: all three
	ts.TickNow()
	clock.set(time.Date(2026, 11, 20, 10, 25, 0, 0, time.UTC)) // [10:15, 10:25]: 10:19 again, another run
	ts.TickNow()
	got := ts.suppressed(t)
	want := []string{"a:0:10:19-10:19", "a:2:10:12-10:19"}
	if !slices.Equal(got, want) {
		t.Fatalf("alerts %q, want %q", got, strings.Join(want, " "))
	}
}
