package engine

import (
	"fmt"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/exception"
	"vigil/internal/rule"
)

func replayLines(t *testing.T, lines []string, kibanaDups bool) ([]*Alert, []RunReport) {
	t.Helper()
	r := rule.Builtin()[0]
	cr, err := Compile(r, &Catalog{}, esql.Options{Now: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	ep, _ := doc.BuiltinMapping("logs-endpoint.events.process")
	dec := doc.NewDecoder(ep, doc.DecodeOptions{Dynamic: true})
	rp := NewReplay([]*CompiledRule{cr})
	rp.KibanaDuplicates = kibanaDups
	for i, l := range lines {
		d, err := dec.Decode([]byte(l))
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		rp.Push(d)
	}
	alerts, runs, err := rp.Finish(func(id string, at time.Time) string { return id + "@" + at.Format(time.RFC3339) })
	if err != nil {
		t.Fatal(err)
	}
	return alerts, runs
}

// burst is one parent's five distinct command lines of four kinds in one minute.
func burst(host, parent string, minute time.Time) []string {
	var out []string
	for i, cmd := range []string{"whoami", "curl a", "find b", "grep c", "id"} {
		s, l, a := c("sh", "-c", cmd)
		out = append(out, ev(minute.Add(time.Duration(i)*time.Second).Format(time.RFC3339), host, "linux", parent, "python3", s, l, a, nil))
	}
	return out
}

// Over two hours the schedule runs every 5 minutes over the last 9: each
// burst is seen by two overlapping runs, so Kibana's range-bearing alert ids
// duplicate it and Vigil's group ids do not.
func TestReplayRunWindowsAndDuplicates(t *testing.T) {
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	var lines []string
	lines = append(lines, burst("h1", "P1", base.Add(12*time.Minute+10*time.Second))...) // 10:12:10 → runs 10:15 and 10:20
	lines = append(lines, burst("h2", "P2", base.Add(59*time.Minute+30*time.Second))...) // 10:59:30-34 → runs 11:00 and 11:05
	lines = append(lines, burst("h3", "P3", base.Add(115*time.Minute))...)               // 11:55:00-04: the 11:55 run (range ends at 11:55:00.000 inclusive) sees only the first line
	// Quiet traffic so the replay spans the two hours.
	s, l, a := c("sh", "-x", "noop")
	lines = append(lines, ev(base.Format(time.RFC3339), "h0", "linux", "P0", "python3", s, l, a, nil))

	alerts, runs := replayLines(t, lines, false)
	if len(runs) != 25 || !runs[0].Time.Equal(base) || !runs[24].Time.Equal(base.Add(2*time.Hour)) {
		t.Fatalf("%d runs from %v to %v; want 25 from 10:00 to 12:00", len(runs), runs[0].Time, runs[len(runs)-1].Time)
	}
	for _, r := range runs {
		if r.To.Sub(r.From) != 9*time.Minute || !r.To.Equal(r.Time) {
			t.Errorf("run %v covers %v..%v, want the 9 minutes before it", r.Time, r.From, r.To)
		}
	}
	rowsAt := map[string]int{}
	for _, r := range runs {
		if r.Rows > 0 {
			rowsAt[r.Time.Format("15:04")] = r.Rows
		}
	}
	want := map[string]int{"10:15": 1, "10:20": 1, "11:00": 1, "11:05": 1, "12:00": 1}
	if fmt.Sprint(rowsAt) != fmt.Sprint(want) {
		t.Errorf("runs with rows %v, want %v", rowsAt, want)
	}
	if len(alerts) != 3 {
		t.Errorf("%d alerts without --kibana-duplicates, want 3 (one per group)", len(alerts))
	}
	dups, _ := replayLines(t, lines, true)
	if len(dups) != 5 {
		t.Errorf("%d alerts with Kibana's ids, want 5 (two groups in two runs each, one in one)", len(dups))
	}
	ids := map[string]bool{}
	for _, a := range dups {
		ids[a.ID] = true
	}
	if len(ids) != 5 {
		t.Errorf("Kibana-style ids collide: %d distinct of 5", len(ids))
	}
}

// A run whose result has more rows than max_signals writes only max_signals alerts.
func TestReplayMaxSignals(t *testing.T) {
	minute := time.Date(2026, 11, 20, 10, 2, 0, 0, time.UTC)
	var lines []string
	for i := 0; i < 130; i++ {
		lines = append(lines, burst(fmt.Sprintf("h%03d", i), fmt.Sprintf("P%03d", i), minute)...)
	}
	alerts, runs := replayLines(t, lines, true)
	var seen []RunReport
	for _, r := range runs {
		if r.Rows > 0 {
			seen = append(seen, r)
		}
	}
	if len(seen) != 2 {
		t.Fatalf("%d runs saw the groups, want 2", len(seen))
	}
	for _, r := range seen {
		if r.Rows != 130 || r.Alerts != 100 || r.Truncated != 30 {
			t.Errorf("run %v: rows %d alerts %d dropped %d; want 130, 100, 30", r.Time, r.Rows, r.Alerts, r.Truncated)
		}
	}
	if len(alerts) != 200 {
		t.Errorf("%d alerts, want 200", len(alerts))
	}
}

// A rule whose query calls NOW() sees each run's own time, as in Kibana.
func TestReplayNowPerRun(t *testing.T) {
	r, err := rule.Parse([]byte(`[rule]
rule_id = "now-test"
name = "Recent shells"
type = "esql"
severity = "low"
risk_score = 21
interval = "5m"
from = "now-5m"
query = '''
FROM logs-endpoint.events.process-*
| WHERE @timestamp > NOW() - 1 minute
| STATS n = COUNT(*) BY host.name
'''
`), "now.toml")
	if err != nil {
		t.Fatal(err)
	}
	cat := &Catalog{}
	cr, err := Compile(r, cat, esql.Options{Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	ep, _ := doc.BuiltinMapping("logs-endpoint.events.process")
	dec := doc.NewDecoder(ep, doc.DecodeOptions{Dynamic: true})
	rp := NewReplay([]*CompiledRule{cr})
	rp.Catalog = cat
	// 10:01:30 and 10:04:30: the 10:05 run's last minute holds only the second.
	for _, ts := range []string{"2026-11-20T10:01:30Z", "2026-11-20T10:04:30Z"} {
		s, l, a := c("sh", "-c", "x")
		d, err := dec.Decode([]byte(ev(ts, "h1", "linux", "P", "python3", s, l, a, nil)))
		if err != nil {
			t.Fatal(err)
		}
		rp.Push(d)
	}
	alerts, runs, err := rp.Finish(func(id string, at time.Time) string { return at.String() })
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Rows != 1 || len(alerts) != 1 || alerts[0].Fields["n"] != int64(1) {
		t.Fatalf("runs %+v alerts %d", runs, len(alerts))
	}
}

// Replay.Exceptions counts, per item, the source events it removed (each
// once, though an event's time falls in two runs) and the alerts it hid:
// the row e1 gives in the runs at 10:05 and 10:10 is one hidden alert, or
// one per run when alert ids carry the run's range (KibanaDuplicates), as
// the alerts raised are. Both replay paths count alike.
func TestReplayExceptionCounts(t *testing.T) {
	set := exception.NewSet()
	if probs := set.ParseNDJSON([]byte(`{"item_id":"h2","list_id":"l","type":"simple","entries":[{"type":"match","field":"host.name","value":"h2","operator":"included"}]}
{"item_id":"id-cmd","list_id":"l","type":"simple","entries":[{"type":"wildcard","field":"Esql.cmd","value":"*id*","operator":"included"}]}
`), "x"); len(probs) > 0 {
		t.Fatal(probs)
	}
	ev := func(id, at, host, cmd string) string {
		return `{"_index":"logs-test","_id":"` + id + `","_source":{"@timestamp":"2026-11-20T10:` + at + `Z","host":{"name":"` + host + `"},"process":{"name":"sh","command_line":"` + cmd + `"}}}`
	}
	lines := []string{ev("e1", "02:00", "h1", "sh -c ID"), ev("e2", "03:00", "h2", "sh -c ls"), ev("e3", "04:00", "h3", "sh -c ls")}
	for _, c := range []struct {
		reference, kibanaDups bool
		alerts                int
		hidden                int64
	}{{false, false, 1, 1}, {true, false, 1, 1}, {false, true, 2, 2}, {true, true, 2, 2}} {
		r := &rule.Rule{RuleID: "r", Name: "r", Type: "esql", Severity: "low", MaxSignals: 100, Interval: 5 * time.Minute, Lookback: 9 * time.Minute,
			Query:          "FROM logs-* METADATA _id | WHERE process.name == \"sh\" | EVAL Esql.cmd = TO_LOWER(process.command_line) | KEEP _id, host.name, Esql.cmd",
			ExceptionsList: []map[string]any{{"list_id": "l"}}}
		cr, err := Compile(r, &Catalog{}, esql.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if probs, err := cr.ApplyExceptions(set, &Catalog{}, time.Now()); err != nil || len(probs) > 0 {
			t.Fatal(err, probs)
		}
		rp := NewReplay([]*CompiledRule{cr})
		rp.Reference, rp.KibanaDuplicates = c.reference, c.kibanaDups
		dec := doc.NewDecoder(nil, doc.DecodeOptions{Dynamic: true})
		for _, l := range lines {
			d, err := dec.Decode([]byte(l))
			if err != nil {
				t.Fatal(err)
			}
			rp.Push(d)
		}
		alerts, _, err := rp.Finish(func(id string, at time.Time) string { return id })
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, re := range rp.Exceptions() {
			for _, ec := range re.Counts {
				got += fmt.Sprintf("%s:%s/%d/%d ", re.Rule.RuleID, ec.Item.ItemID, ec.Events, ec.Alerts)
			}
		}
		want := fmt.Sprintf("r:h2/1/0 r:id-cmd/0/%d ", c.hidden)
		if len(alerts) != c.alerts || got != want {
			t.Errorf("reference %v, Kibana ids %v: %d alerts, counts %q; want %d, %q", c.reference, c.kibanaDups, len(alerts), got, c.alerts, want)
		}
	}
}
