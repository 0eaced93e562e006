package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"vigil/internal/config"
	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/rule"
	"vigil/internal/source"
)

// evaluationFields are the alert fields naming the evaluation rather than
// the detection, which legitimately differ between a hunt (one sweep at
// its own now) and vigil serve (runs aligned to the rule's interval, at
// the wall clock): when and in which execution the alert was written, and
// the range that execution searched.
var evaluationFields = []string{
	"@timestamp", "kibana.alert.start", "kibana.alert.last_detected", "kibana.alert.intended_timestamp",
	"kibana.alert.rule.execution.uuid", "kibana.alert.rule.execution.timestamp",
	"kibana.alert.rule.created_at", "kibana.alert.rule.updated_at",
	"vigil.execution.range.gte", "vigil.execution.range.lte",
}

// kqlTypeRules are a query, a threshold and a new_terms rule on process
// events; interval and look-back are one hour, so one served run holds
// what a hunt sweeps (threshold counts are per run).
func kqlTypeRules(t *testing.T, suppress *rule.Suppression) []*engine.CompiledRule {
	t.Helper()
	mk := func(r *rule.Rule) *engine.CompiledRule {
		r.Name, r.Severity, r.RiskScore, r.Language, r.MaxSignals, r.Version = r.RuleID, "low", 21, "kuery", 100, 1
		r.Index, r.Interval, r.Lookback, r.From = []string{"logs-endpoint.events.process-*"}, time.Hour, time.Hour, "now-1h"
		cr, err := engine.Compile(r, &engine.Catalog{}, esql.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return cr
	}
	return []*engine.CompiledRule{
		mk(&rule.Rule{RuleID: "parity-query", Type: "query", Query: `process.name:sh and process.command_line:*whoami*`, Suppression: suppress}),
		mk(&rule.Rule{RuleID: "parity-threshold", Type: "threshold", Query: "process.name:sh", Threshold: &rule.Threshold{Fields: []string{"host.name"}, Value: 2}}),
		mk(&rule.Rule{RuleID: "parity-new-terms", Type: "new_terms", Query: "process.name:sh",
			NewTerms: &rule.NewTerms{Fields: []string{"host.name", "process.command_line"}, History: 10 * time.Minute}}),
	}
}

// parityEvents are process events within 10:01–10:40 (one served run:
// 10:00–11:00): whoami on three hosts (twice on p-01), other commands.
func parityEvents() []string {
	base := time.Date(2026, 11, 20, 10, 1, 0, 0, time.UTC)
	var evs []string
	for i, e := range []struct{ host, cmd string }{
		{"p-00", "id"}, // the new_terms rule's history (its first 10 minutes)
		{"p-01", "whoami"}, {"p-02", "uname -a"}, {"p-01", "whoami"}, {"p-03", "whoami"},
		{"p-02", "whoami"}, {"p-03", "id"}, {"p-01", "ls"},
	} {
		at := base
		if i > 0 {
			at = base.Add(10*time.Minute + time.Duration(i)*time.Minute)
		}
		evs = append(evs, execEvent(at, e.host, "P-"+e.host, e.cmd))
	}
	return evs
}

// hunt runs rules over the lines of file as `vigil hunt` does: one sweep,
// sources fetched from the file, suppression per rule.
func hunt(t *testing.T, rules []*engine.CompiledRule, file string) []*engine.Alert {
	t.Helper()
	cat := &engine.Catalog{}
	sw := engine.NewSweep(rules)
	popts, err := sw.Options(cat, cat.DecoderMapping(), 1, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sw.Run(&source.Reader{}, []string{file}, popts); err != nil {
		t.Fatal(err)
	}
	res, err := sw.Finish(time.Now(), "hunt")
	if err != nil {
		t.Fatal(err)
	}
	var all []*engine.Alert
	for _, rr := range res {
		all = append(all, rr.Alerts...)
	}
	if err := engine.FetchSources([]string{file}, all); err != nil {
		t.Fatal(err)
	}
	all = nil
	for _, rr := range res {
		all = append(all, engine.Suppress(rr.Alerts)...)
	}
	return all
}

// comparable is an alert as JSON without its evaluation fields.
func comparable(t *testing.T, a map[string]any) string {
	t.Helper()
	for _, k := range evaluationFields {
		delete(a, k)
	}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeLines writes events as an NDJSON file.
func writeLines(t *testing.T, events []string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "events.ndjson")
	if err := os.WriteFile(file, []byte(strings.Join(events, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// servedAlerts bulks events into a server running rules and returns its
// alerts by id once every run is final.
func servedAlerts(t *testing.T, rules []*engine.CompiledRule, events []string) map[string]map[string]any {
	t.Helper()
	ts := start(t, "", nil, func(o *Options) { o.Rules = rules })
	defer ts.stop(t)
	// a later event from another source moves the watermark past the run
	closer := execEvent(time.Date(2026, 11, 20, 11, 30, 0, 0, time.UTC), "p-later", "P-later", "true")
	for _, body := range []string{bulkBody(processIndex, events...), bulkBody("logs-other-default", closer)} {
		if code, _, resp := do(t, "POST", ts.url+"/_bulk", "", body); code != 200 || strings.Contains(resp, `"errors":true`) {
			t.Fatalf("_bulk: %d %s", code, resp)
		}
	}
	ts.Sync()
	out := map[string]map[string]any{}
	for _, a := range ts.alerts(t, "?size=1000").Alerts {
		out[a["kibana.alert.uuid"].(string)] = a
	}
	return out
}

// The same input gives the same alerts in a hunt and in vigil serve, for
// a query, a threshold and a new_terms rule: the same ids, and the same
// fields but for evaluationFields — source fields included (query and
// new_terms alerts carry their event's). The new_terms rule's history
// differs by design: a hunt takes the input's first history window as
// history, the service what it saw before (here nothing), so the
// service's alert on the history's one event (p-00) is left out.
func TestServeKQLTypesAsHunt(t *testing.T) {
	rules := kqlTypeRules(t, nil)
	events := parityEvents()
	hunted := hunt(t, rules, writeLines(t, events))
	served := servedAlerts(t, rules, events)
	perRule := map[string]int{}
	for _, a := range hunted {
		perRule[a.RuleID]++
		b, _ := a.MarshalJSON()
		var want map[string]any
		json.Unmarshal(b, &want)
		got, ok := served[a.ID]
		if !ok {
			t.Errorf("%s: hunt's alert %s not served: %s", a.RuleID, a.ID, b)
			continue
		}
		delete(served, a.ID)
		if g, w := comparable(t, got), comparable(t, want); g != w {
			t.Errorf("%s: alert %s\nserved %s\nhunted %s", a.RuleID, a.ID, g, w)
		}
	}
	// query: whoami ×4; threshold: p-01, p-02, p-03 (2+ sh each); new_terms:
	// every combination after the history (6)
	if want := map[string]int{"parity-query": 4, "parity-threshold": 3, "parity-new-terms": 6}; !equalCounts(perRule, want) {
		t.Errorf("hunt's alerts per rule %v, want %v", perRule, want)
	}
	for id, a := range served {
		if a["kibana.alert.rule.rule_id"] == "parity-new-terms" && a["host.name"] == "p-00" {
			continue
		}
		t.Errorf("served alert %s not hunted: %v", id, a)
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Suppression in vigil serve groups a query rule's alerts by a field of
// their source event (host.name), as a hunt does: per-run suppression
// (no duration) over the one run, one alert per host with docs_count.
func TestServeQueryRuleSuppressedBySourceField(t *testing.T) {
	rules := kqlTypeRules(t, &rule.Suppression{GroupBy: []string{"host.name"}})[:1]
	events := parityEvents()
	var got []string
	for _, a := range servedAlerts(t, rules, events) {
		terms, _ := a["kibana.alert.suppression.terms"].([]any)
		if len(terms) != 1 {
			t.Fatalf("alert without suppression terms: %v", a)
		}
		got = append(got, terms[0].(map[string]any)["value"].(string)+":"+jsonNumber(a["kibana.alert.suppression.docs_count"]))
	}
	sort.Strings(got)
	var want []string
	for _, a := range hunt(t, rules, writeLines(t, events)) {
		want = append(want, a.Fields["host.name"].(string)+":"+jsonNumber(a.Fields["kibana.alert.suppression.docs_count"]))
	}
	sort.Strings(want)
	// whoami: p-01 twice, p-02 and p-03 once
	if g, w := strings.Join(got, ","), strings.Join(want, ","); g != w || w != "p-01:1,p-02:0,p-03:0" {
		t.Errorf("served %s, hunted %s, want p-01:1,p-02:0,p-03:0", g, w)
	}
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// A crash (no checkpoint) and a restart: the spool replay re-derives the
// query and new_terms alerts with their sources, so the store finds them
// unchanged — no sink sees one twice, and none loses its source fields.
func TestServeAlertSourcesAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "alerts.ndjson")
	cfg := func(c *config.Config) { c.Sinks.File = &config.FileSink{Path: file} }
	rules := func(o *Options) { o.Rules = kqlTypeRules(t, nil) }
	a := start(t, dir, cfg, rules)
	if code, _, resp := do(t, "POST", a.url+"/_bulk", "", bulkBody(processIndex, parityEvents()...)); code != 200 || strings.Contains(resp, `"errors":true`) {
		t.Fatalf("_bulk: %d %s", code, resp)
	}
	a.Sync()
	before := a.alerts(t, "?size=1000").Total
	a.Abandon()

	b := start(t, dir, cfg, rules)
	b.Sync()
	l := b.alerts(t, "?size=1000")
	if l.Total != before {
		t.Fatalf("%d alerts after the restart, %d before", l.Total, before)
	}
	for _, al := range l.Alerts {
		if id := al["kibana.alert.rule.rule_id"]; id != "parity-threshold" && al["process.command_line"] == nil {
			t.Errorf("%s alert without its source: %v", id, al)
		}
	}
	b.stop(t)
	writtenOnce(t, file, before)
}
