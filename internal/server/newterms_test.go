package server

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/config"
	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/rule"
	"vigil/internal/store"
)

// newTermsRule is a new_terms rule on host.name over process events:
// history 1h, interval 5m, look-back 10m.
func newTermsRule(t *testing.T) *engine.CompiledRule {
	t.Helper()
	r := &rule.Rule{RuleID: "nt-host", Name: "First process from a host", Type: "new_terms", Language: "kuery", Severity: "low", RiskScore: 21,
		MaxSignals: 100, Version: 1, Index: []string{"logs-endpoint.events.process-*"}, Query: "event.category:process",
		Interval: 5 * time.Minute, Lookback: 10 * time.Minute, From: "now-10m",
		NewTerms: &rule.NewTerms{Fields: []string{"host.name"}, HistoryWindowStart: "now-1h", History: time.Hour}}
	cr, err := engine.Compile(r, &engine.Catalog{}, esql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cr
}

// hostEvent is a process event from host at clock time hm ("10:01") on
// 2026-11-20, all from one agent (one watermark source).
func hostEvent(hm, host string) string {
	b, _ := json.Marshal(map[string]any{
		"@timestamp":  "2026-11-20T" + hm + ":00.000Z",
		"data_stream": map[string]any{"type": "logs", "dataset": "endpoint.events.process", "namespace": "default"},
		"event":       map[string]any{"category": []string{"process"}, "type": []string{"start"}},
		"host":        map[string]any{"name": host},
		"agent":       map[string]any{"id": "agent-nt"},
	})
	return string(b)
}

// newTermsAlerts lists the stored alerts as "host@original time".
func (ts *testServer) newTermsAlerts(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, a := range ts.alerts(t, "?rule=nt-host&size=1000").Alerts {
		terms, _ := json.Marshal(a["kibana.alert.new_terms"])
		out = append(out, strings.Trim(string(terms), `[]"`)+"@"+strings.TrimSuffix(a["kibana.alert.original_time"].(string), ":00.000Z")[11:])
	}
	slices.Sort(out)
	return out
}

// A new_terms rule in vigil serve: a host alerts the moment its first event
// is evaluated, once; a restart (graceful, then kill -9) keeps what was
// seen, so an old host does not alert again and a new one does, once.
func TestServeNewTerms(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC))
	opts := func(o *Options) { o.Clock, o.Rules = clock, []*engine.CompiledRule{newTermsRule(t)} }
	post := func(ts *testServer, evs ...string) {
		t.Helper()
		if code, _, body := do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, evs...)); code != 200 {
			t.Fatalf("bulk: %d %s", code, body)
		}
		ts.Sync()
	}
	check := func(ts *testServer, step string, want ...string) {
		t.Helper()
		if got := ts.newTermsAlerts(t); !slices.Equal(got, want) {
			t.Fatalf("%s: alerts %q, want %q", step, got, want)
		}
	}

	ts := start(t, dir, nil, opts)
	post(ts, hostEvent("10:01", "a"), hostEvent("10:02", "b"), hostEvent("10:03", "a"))
	check(ts, "first batch", "a@10:01", "b@10:02")
	post(ts, hostEvent("10:10", "a"))
	check(ts, "a again within its history", "a@10:01", "b@10:02")
	ts.stop(t)

	ts = start(t, dir, nil, opts)
	post(ts, hostEvent("10:20", "a"), hostEvent("10:21", "c"))
	check(ts, "after a restart", "a@10:01", "b@10:02", "c@10:21")
	ts.Abandon() // kill -9: the spool's last events replay at start

	ts = start(t, dir, nil, opts)
	post(ts, hostEvent("10:22", "c"))
	check(ts, "after kill -9", "a@10:01", "b@10:02", "c@10:21")
	if created := ts.alerts(t, "?rule=nt-host").Total; created != 3 {
		t.Fatalf("%d alerts stored, want 3", created)
	}
	// b, last seen at 10:02, is new again 1h later; its alert is another.
	clock.set(time.Date(2026, 11, 20, 11, 5, 0, 0, time.UTC))
	post(ts, hostEvent("11:02", "c"), hostEvent("11:03", "b"))
	check(ts, "b after its history window", "a@10:01", "b@10:02", "b@11:03", "c@10:21")
	ts.stop(t)
}

// Combinations last seen before the history window (watermark less 1h)
// leave the store; the cap on combinations refuses new ones, counted.
func TestServeNewTermsPruneAndCap(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	ts := start(t, dir, func(c *config.Config) { c.Limits.MaxTermsPerRule = 3 },
		func(o *Options) { o.Clock, o.Rules = clock, []*engine.CompiledRule{newTermsRule(t)} })
	do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, hostEvent("10:00", "old"), hostEvent("10:30", "mid"), hostEvent("11:00", "new")))
	ts.Sync()
	do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, hostEvent("11:10", "over-the-cap")))
	ts.Sync()
	if got := ts.newTermsAlerts(t); !slices.Equal(got, []string{"mid@10:30", "new@11:00", "old@10:00"}) {
		t.Fatalf("alerts %q", got)
	}
	_, _, m := do(t, "GET", ts.url+"/metrics", "", "")
	if !strings.Contains(m, `vigil_new_terms_refused{rule="First process from a host"} 1`) || !strings.Contains(m, `vigil_new_terms{rule="First process from a host"} 3`) {
		t.Fatalf("metrics lack the terms kept and refused:\n%s", grepLines(m, "vigil_new_terms"))
	}
	ts.stop(t) // the checkpoint prunes: watermark 11:10, history from 10:10

	st, err := store.Open(filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	terms, err := st.Terms("nt-host")
	if err != nil {
		t.Fatal(err)
	}
	if len(terms) != 2 {
		t.Fatalf("%d combinations stored, want 2 (mid, new; old was last seen before 10:10)", len(terms))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// A scheduled new_terms rule decides at each run over the events it
// buffered, with max_signals per run (1 here): a combination the cap drops
// is not recorded as seen, so its next sighting alerts.
func TestServeNewTermsScheduled(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 11, 20, 10, 15, 0, 0, time.UTC))
	cr := newTermsRule(t)
	cr.Rule.MaxSignals = 1
	ts := start(t, "", func(c *config.Config) { c.Mode = config.ModeScheduled },
		func(o *Options) { o.Clock, o.Rules = clock, []*engine.CompiledRule{cr} })
	defer ts.stop(t)
	run := func(at string, evs ...string) {
		t.Helper()
		do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, evs...))
		ts.Sync()
		tm, _ := time.Parse(time.RFC3339, "2026-11-20T"+at+":00Z")
		clock.set(tm)
		ts.TickNow()
	}
	run("10:20", hostEvent("10:12", "a"), hostEvent("10:13", "b"))
	if got := ts.newTermsAlerts(t); !slices.Equal(got, []string{"a@10:12"}) {
		t.Fatalf("10:20 run: %q", got)
	}
	run("10:25", hostEvent("10:21", "a"), hostEvent("10:22", "b"), hostEvent("10:23", "c"))
	if got := ts.newTermsAlerts(t); !slices.Equal(got, []string{"a@10:12", "b@10:22"}) {
		t.Fatalf("10:25 run: %q", got)
	}
}
