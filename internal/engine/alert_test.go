package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// The expected sentences are those of Kibana's reason-formatter tests.
func TestReason(t *testing.T) {
	r := &rule.Rule{Name: "my-rule", Severity: "medium"}
	full := func() map[string]any {
		return map[string]any{
			"destination.ip": "9.99.99.9", "destination.port": int64(6789), "event.category": "test",
			"file.name": "sample", "host.name": "host", "process.name": "doingThings.exe",
			"process.parent.name": "didThings.exe", "source.ip": "1.11.11.1", "source.port": int64(1234), "user.name": "test-user",
		}
	}
	cases := []struct {
		name   string
		change map[string]any
		want   string
	}{
		{"full", nil, "test event with process doingThings.exe, parent process didThings.exe, file sample, source 1.11.11.1:1234, destination 9.99.99.9:6789, by test-user on host created medium alert my-rule."},
		{"categories", map[string]any{"event.category": []any{"item one", "item two"}}, "item one, item two event with process doingThings.exe, parent process didThings.exe, file sample, source 1.11.11.1:1234, destination 9.99.99.9:6789, by test-user on host created medium alert my-rule."},
		{"no host", map[string]any{"host.name": nil}, "test event with process doingThings.exe, parent process didThings.exe, file sample, source 1.11.11.1:1234, destination 9.99.99.9:6789, by test-user created medium alert my-rule."},
		{"no destination port", map[string]any{"destination.port": nil}, "test event with process doingThings.exe, parent process didThings.exe, file sample, source 1.11.11.1:1234, destination 9.99.99.9 by test-user on host created medium alert my-rule."},
		{"no source port", map[string]any{"source.port": nil}, "test event with process doingThings.exe, parent process didThings.exe, file sample, source 1.11.11.1 destination 9.99.99.9:6789, by test-user on host created medium alert my-rule."},
		{"no process", map[string]any{"process.name": nil, "process.parent.name": nil}, "test event with file sample, source 1.11.11.1:1234, destination 9.99.99.9:6789, by test-user on host created medium alert my-rule."},
	}
	for _, c := range cases {
		f := full()
		for k, v := range c.change {
			if v == nil {
				delete(f, k)
			} else {
				f[k] = v
			}
		}
		if got := reason(r.Name, r.Severity, f); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
	if got := reason(r.Name, r.Severity, map[string]any{"event.category": "test", "user.name": "test-user"}); got != "test event by test-user created medium alert my-rule." {
		t.Errorf("minimal: %s", got)
	}
}

func alertRow(names []string, vals ...doc.Value) ([]esql.Column, []doc.Value) {
	cols := make([]esql.Column, len(names))
	for i, n := range names {
		cols[i] = esql.Column{Name: n, Type: vals[i].T}
	}
	return cols, vals
}

var alertExec = Execution{UUID: "exec-1", Time: time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC), Indices: []string{"logs-*"}}

// Alert ids are what dedup and the alert store key on: their derivation
// must not change (values computed by the alert builder before Kibana's
// alert shape was adopted).
func TestAlertIDPinned(t *testing.T) {
	r := &rule.Rule{RuleID: "r1", Name: "n", Severity: "low"}
	cols, row := alertRow([]string{"_id", "_index", "process.name"}, doc.KeywordOf("d1"), doc.KeywordOf("logs-a"), doc.KeywordOf("sh"))
	a := BuildAlert(r, cols, row, nil, alertExec)
	if want := "1ee9d3d89cfb26847b79465d64bf4e903a494f49300342491dc6fb1887daa7f6"; a.ID != want || a.Fields["kibana.alert.uuid"] != want {
		t.Errorf("id %s, want %s", a.ID, want)
	}
	cols, row = alertRow([]string{"host.name", "Esql.count"}, doc.KeywordOf("h1"), doc.Long64(4))
	ex := alertExec
	ex.From, ex.To, ex.KibanaIDs = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC), true
	if a := BuildAlert(r, cols, row, []string{"host.name"}, ex); a.ID != "402b0a346484f92fc9cc3660d216b5bde43578b877403fe9ce45accc6fd49bbc" {
		t.Errorf("aggregating id %s", a.ID)
	}
}

// A row becomes the alert's source as Kibana's ES|QL rule type shapes it.
func TestBuildAlertSource(t *testing.T) {
	r := &rule.Rule{RuleID: "r1", Name: "n", Severity: "low", RiskScore: 21, Path: "rules/x.toml", Author: []string{"me"}}
	cols, row := alertRow(
		[]string{"_id", "_index", "_version", "@timestamp", "event.kind", "event.category", "data_stream.dataset", "kibana.alert.forged", "signal.x", "threshold_result.count", "host.name", "user.name"},
		doc.KeywordOf("d1"), doc.KeywordOf("logs-a"), doc.Long64(3), doc.DateMillis(1763632800250), doc.KeywordOf("event"),
		doc.Multi(doc.Keyword, []doc.Value{doc.KeywordOf("process"), doc.KeywordOf("network")}), doc.KeywordOf("endpoint"),
		doc.KeywordOf("x"), doc.KeywordOf("x"), doc.Long64(1), doc.KeywordOf("h1"), doc.Value{})
	f := BuildAlert(r, cols, row, nil, alertExec).Fields
	want := map[string]any{
		"event.kind":                                "signal",
		"kibana.alert.original_event.kind":          "event",
		"kibana.alert.original_event.category":      []any{"process", "network"},
		"kibana.alert.original_data_stream.dataset": "endpoint",
		"data_stream.dataset":                       "endpoint",
		"kibana.alert.original_time":                "2025-11-20T10:00:00.250Z",
		"@timestamp":                                "2026-11-20T11:00:00.000Z",
		"kibana.alert.ancestors":                    []Ancestor{{ID: "d1", Index: "logs-a", Type: "event"}},
		"kibana.alert.depth":                        int64(1),
		"kibana.alert.rule.immutable":               false,
		"kibana.alert.rule.indices":                 []string{"logs-*"},
		"kibana.alert.reason":                       "process, network event on h1 created low alert n.",
		"kibana.alert.rule.parameters.immutable":    nil, // parameters is one object, not flattened
		"_id":                                       nil,
		"_index":                                    nil,
		"_version":                                  nil,
		"kibana.alert.forged":                       nil,
		"signal.x":                                  nil,
		"threshold_result.count":                    nil,
		"user.name":                                 nil, // null columns are left out
	}
	for k, w := range want {
		got, ok := f[k]
		if w == nil {
			if ok {
				t.Errorf("%s = %v, want absent", k, got)
			}
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("%s = %#v, want %#v", k, got, w)
		}
	}
	if p, _ := f["kibana.alert.rule.parameters"].(map[string]any); p["rule_source"].(map[string]any)["type"] != "internal" {
		t.Errorf("rule_source %v", p["rule_source"])
	}
}

// Without _id (an aggregating rule's row), the ancestor is Kibana's empty one.
func TestBuildAlertAggregatingAncestor(t *testing.T) {
	r := &rule.Rule{RuleID: "r1", Name: "n", Severity: "low", Author: []string{"Elastic"}}
	cols, row := alertRow([]string{"host.name", "Esql.count"}, doc.KeywordOf("h1"), doc.Long64(4))
	f := BuildAlert(r, cols, row, []string{"host.name"}, alertExec).Fields
	if got := fmt.Sprint(f["kibana.alert.ancestors"]); got != fmt.Sprint([]Ancestor{{Type: "event"}}) {
		t.Errorf("ancestors %s", got)
	}
	if f["kibana.alert.rule.immutable"] != true {
		t.Errorf("an Elastic-authored rule is prebuilt: immutable %v", f["kibana.alert.rule.immutable"])
	}
	if _, ok := f["kibana.alert.original_time"]; ok {
		t.Error("original_time without a source @timestamp")
	}
}

// A rule over the alerts index: its parent is a signal one level deeper.
func TestBuildAlertFromAlert(t *testing.T) {
	r := &rule.Rule{RuleID: "r1", Name: "n", Severity: "low"}
	cols, row := alertRow([]string{"_id", "kibana.alert.uuid", "kibana.alert.depth", "kibana.alert.rule.uuid"},
		doc.KeywordOf("a1"), doc.KeywordOf("a1"), doc.Long64(2), doc.KeywordOf("rule-x"))
	f := BuildAlert(r, cols, row, nil, alertExec).Fields
	if got := fmt.Sprint(f["kibana.alert.ancestors"]); got != fmt.Sprint([]Ancestor{{ID: "a1", Type: "signal", Depth: 2, Rule: "rule-x"}}) {
		t.Errorf("ancestors %s", got)
	}
	if f["kibana.alert.depth"] != int64(3) || f["kibana.alert.uuid"] == "a1" {
		t.Errorf("depth %v uuid %v", f["kibana.alert.depth"], f["kibana.alert.uuid"])
	}
}

func TestMergeSource(t *testing.T) {
	r := &rule.Rule{RuleID: "r1", Name: "n", Severity: "low",
		SeverityMapping: []map[string]any{{"field": "process.name", "operator": "equals", "severity": "high", "value": "bash"}}}
	cols, row := alertRow([]string{"_id", "process.name", "host.name", "user.name"},
		doc.KeywordOf("d1"), doc.KeywordOf("bash"), doc.KeywordOf("row-host"), doc.Value{})
	a := BuildAlert(r, cols, row, nil, alertExec)
	if a.Severity != "high" || a.Fields["kibana.alert.severity"] != "high" {
		t.Fatalf("severity from the row: %v", a.Fields["kibana.alert.severity"])
	}
	id := a.ID
	a.MergeSource(map[string]any{
		"@timestamp": "2026-11-20T10:00:00Z",
		"host":       map[string]any{"name": "source-host", "os": map[string]any{"type": "linux"}},
		"process":    map[string]any{"name": "sh", "pid": json.Number("7")},
		"user":       map[string]any{"name": "root"},
		"event":      map[string]any{"kind": "event", "action": "exec"},
		"kibana":     map[string]any{"alert": map[string]any{"uuid": "forged"}},
	}, "logs-b")
	f := a.Fields
	checks := map[string]any{
		"host.name":                          "row-host", // the row wins
		"process.name":                       "bash",
		"host.os.type":                       "linux", // the source fills in
		"process.pid":                        json.Number("7"),
		"user.name":                          "root", // a null column does not hide the source's value
		"event.action":                       "exec",
		"event.kind":                         "signal",
		"kibana.alert.original_event.kind":   "event",
		"kibana.alert.original_event.action": "exec",
		"kibana.alert.original_time":         "2026-11-20T10:00:00.000Z",
		"@timestamp":                         "2026-11-20T11:00:00.000Z", // the alert's own fields win
		"kibana.alert.uuid":                  id,
		"kibana.alert.ancestors":             []Ancestor{{ID: "d1", Index: "logs-b", Type: "event"}},
		"kibana.alert.severity":              "high",
		"kibana.alert.reason":                "event with process bash, by root on row-host created high alert n.",
	}
	for k, w := range checks {
		if fmt.Sprint(f[k]) != fmt.Sprint(w) {
			t.Errorf("%s = %#v, want %#v", k, f[k], w)
		}
	}
	if a.ID != id || a.Host != "row-host" {
		t.Errorf("id %s host %s", a.ID, a.Host)
	}
}

// Kibana's severity, risk score and rule name overrides.
func TestAlertOverrides(t *testing.T) {
	sev := func(field, s, v string) map[string]any {
		return map[string]any{"field": field, "operator": "equals", "severity": s, "value": v}
	}
	cases := []struct {
		name     string
		r        rule.Rule
		src      map[string]any
		severity string
		risk     any
		ruleName string
	}{
		{"none", rule.Rule{}, map[string]any{"a": "x"}, "low", 21, "n"},
		{"highest match wins whatever the order", rule.Rule{SeverityMapping: []map[string]any{sev("a", "critical", "x"), sev("a", "medium", "x"), sev("b", "high", "y")}},
			map[string]any{"a": "x", "b": "y"}, "critical", 21, "n"},
		{"array values", rule.Rule{SeverityMapping: []map[string]any{sev("a", "high", "y")}}, map[string]any{"a": []any{"x", "y"}}, "high", 21, "n"},
		{"numbers compare as strings", rule.Rule{SeverityMapping: []map[string]any{sev("a", "high", "7")}}, map[string]any{"a": json.Number("7")}, "high", 21, "n"},
		{"event.severity as an integer", rule.Rule{SeverityMapping: []map[string]any{sev("event.severity", "high", "73.9")}}, map[string]any{"event.severity": json.Number("73")}, "high", 21, "n"},
		{"event.severity is not a string", rule.Rule{SeverityMapping: []map[string]any{sev("event.severity", "high", "73")}}, map[string]any{"event.severity": "73"}, "low", 21, "n"},
		{"no match", rule.Rule{SeverityMapping: []map[string]any{sev("a", "high", "z")}}, map[string]any{"a": "x"}, "low", 21, "n"},
		{"risk score: highest valid value", rule.Rule{RiskScoreMapping: []map[string]any{{"field": "s", "operator": "equals", "value": ""}}},
			map[string]any{"s": []any{json.Number("40"), "55.5", json.Number("101"), "x"}}, "low", 55.5, "n"},
		{"risk score: none valid", rule.Rule{RiskScoreMapping: []map[string]any{{"field": "s", "operator": "equals", "value": ""}}},
			map[string]any{"s": json.Number("-1")}, "low", 21, "n"},
		{"rule name override", rule.Rule{RuleNameOverride: "rule.name"}, map[string]any{"rule": map[string]any{"name": "From the event"}}, "low", 21, "From the event"},
	}
	for _, c := range cases {
		r := c.r
		r.RuleID, r.Name, r.Severity, r.RiskScore = "r1", "n", "low", 21
		cols, row := alertRow([]string{"_id"}, doc.KeywordOf("d1"))
		a := BuildAlert(&r, cols, row, nil, alertExec)
		a.MergeSource(c.src, "")
		f := a.Fields
		if f["kibana.alert.severity"] != c.severity || fmt.Sprint(f["kibana.alert.risk_score"]) != fmt.Sprint(c.risk) || f["kibana.alert.rule.name"] != c.ruleName {
			t.Errorf("%s: severity %v risk %v name %v", c.name, f["kibana.alert.severity"], f["kibana.alert.risk_score"], f["kibana.alert.rule.name"])
		}
		if f["kibana.alert.rule.severity"] != "low" || f["kibana.alert.rule.risk_score"] != 21 {
			t.Errorf("%s: the rule's own severity and risk score changed", c.name)
		}
	}
}

// FetchSources finds each alert's document by a hit's _id or a bare
// line's AutoID, and leaves alone what it cannot find.
func TestFetchSources(t *testing.T) {
	bare := `{"@timestamp":"2026-11-20T10:00:00Z","host":{"name":"bare"}}`
	lines := []string{
		`{"_index":"logs-a","_id":"h1","_source":{"host":{"name":"hit"},"note":"has \"_id\" inside"}}`,
		`{"_index":"logs-a","_id":"other","_source":{"msg":"x","meta":{"_id":"h2"}}}`, // h2 only inside the document
		bare,
		`not json`,
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "in.ndjson")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &rule.Rule{RuleID: "r1", Name: "n", Severity: "low"}
	mk := func(id string) *Alert {
		cols, row := alertRow([]string{"_id"}, doc.KeywordOf(id))
		return BuildAlert(r, cols, row, nil, alertExec)
	}
	hit, bareA, missing, inside := mk("h1"), mk(doc.AutoID([]byte(bare))), mk("nope"), mk("h2")
	cols, row := alertRow([]string{"host.name"}, doc.KeywordOf("agg"))
	agg := BuildAlert(r, cols, row, []string{"host.name"}, alertExec)
	if err := FetchSources([]string{"-", path}, []*Alert{hit, bareA, missing, inside, agg}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		a     *Alert
		host  any
		index string
	}{{hit, "hit", "logs-a"}, {bareA, "bare", ""}, {missing, nil, ""}, {inside, nil, ""}, {agg, "agg", ""}} {
		anc := c.a.Fields["kibana.alert.ancestors"].([]Ancestor)
		if c.a.Fields["host.name"] != c.host || anc[0].Index != c.index {
			t.Errorf("%s: host %v index %q", anc[0].ID, c.a.Fields["host.name"], anc[0].Index)
		}
	}
	if _, ok := bareA.Fields["msg"]; ok {
		t.Error("merged the wrong document")
	}
}

// Source values that do not fit their ECS field are dropped, as Kibana's
// traverseAndMutateDoc drops them.
func TestECSCompliant(t *testing.T) {
	cases := []struct {
		name string
		v    any
		want any // nil: dropped
	}{
		{"process.pid", "12", "12"},
		{"process.pid", json.Number("12"), json.Number("12")},
		{"process.pid", "1 2", nil},
		{"process.pid", "abc", nil},
		{"process.pid", "NaN", nil},
		{"process.command_line.text", "x", nil}, // under a keyword leaf
		{"source.ip", "10.0.0.1", "10.0.0.1"},
		{"source.ip", "10.0.0.0/8", "10.0.0.0/8"},
		{"source.ip", "nope", nil},
		{"source.ip", []any{"1.2.3.4", "x"}, []any{"1.2.3.4"}},
		{"source.ip", []any{"x"}, nil},
		{"@timestamp", "2026-11-20T10:00:00Z", "2026-11-20T10:00:00Z"},
		{"@timestamp", json.Number("1763632800000"), json.Number("1763632800000")},
		{"@timestamp", "yesterday", nil},
		{"process.interactive", "true", "true"},
		{"process.interactive", "yes", nil},
		{"process", "x", nil}, // an ECS object
		{"host.name", int64(5), int64(5)},
		{"custom.anything", map[string]any{"a": 1}, map[string]any{"a": 1}},
	}
	for _, c := range cases {
		if got := ecsCompliant(c.name, c.v); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s %v: got %v, want %v", c.name, c.v, got, c.want)
		}
	}
	f := sourceFields(map[string]any{"event.created": "not a date", "event.action": "exec"})
	if _, ok := f["kibana.alert.original_event.created"]; ok || f["kibana.alert.original_event.action"] != "exec" {
		t.Errorf("a dropped event field is not copied: %v", f)
	}
}

func BenchmarkBuildAlert(b *testing.B) {
	r := rule.Builtin()[0]
	names := []string{"_id", "_index", "@timestamp", "host.name", "process.name", "process.parent.name", "event.category", "event.action", "data_stream.dataset", "user.name"}
	vals := []doc.Value{doc.KeywordOf("d1"), doc.KeywordOf("logs-a"), doc.DateMillis(1763632800250), doc.KeywordOf("h1"), doc.KeywordOf("sh"),
		doc.KeywordOf("python3"), doc.KeywordOf("process"), doc.KeywordOf("exec"), doc.KeywordOf("endpoint.events.process"), doc.KeywordOf("root")}
	cols, row := alertRow(names, vals...)
	b.ReportAllocs()
	for b.Loop() {
		BuildAlert(r, cols, row, nil, alertExec)
	}
}

// The second read of a non-aggregating rule's input: every line hashed (bare
// documents) or scanned for "_id" (hits), the wanted ones parsed.
func BenchmarkFetchSources(b *testing.B) {
	var in strings.Builder
	var ids []string
	for i := range 20000 {
		line := fmt.Sprintf(`{"@timestamp":"2026-11-20T10:00:00Z","host":{"name":"h%d"},"process":{"name":"sh","pid":%d},"event":{"action":"exec"}}`, i%50, i)
		if i%200 == 0 {
			ids = append(ids, doc.AutoID([]byte(line)))
		}
		in.WriteString(line + "\n")
	}
	path := filepath.Join(b.TempDir(), "in.ndjson")
	if err := os.WriteFile(path, []byte(in.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	r := &rule.Rule{RuleID: "r1", Name: "n", Severity: "low"}
	b.SetBytes(int64(in.Len()))
	for b.Loop() {
		alerts := make([]*Alert, len(ids))
		for i, id := range ids {
			cols, row := alertRow([]string{"_id"}, doc.KeywordOf(id))
			alerts[i] = BuildAlert(r, cols, row, nil, alertExec)
		}
		if err := FetchSources([]string{path}, alerts); err != nil {
			b.Fatal(err)
		}
	}
}
