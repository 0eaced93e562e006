package engine

import (
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/exception"
	"vigil/internal/rule"
)

// EQLHunt over hand-made events: max_signals is the search size, taken
// in timestamp order whatever the input order; the rule's index patterns
// route; the candidate cap drops and counts.
func TestEQLHunt(t *testing.T) {
	lines := []string{
		`{"@timestamp":"2026-01-01T00:00:03Z","data_stream":{"type":"logs","dataset":"endpoint.events.process","namespace":"default"},"event":{"category":"process"},"process":{"name":"sh"}}`,
		`{"@timestamp":"2026-01-01T00:00:01Z","data_stream":{"type":"logs","dataset":"endpoint.events.process","namespace":"default"},"event":{"category":"process"},"process":{"name":"sh"}}`,
		`{"@timestamp":"2026-01-01T00:00:02Z","data_stream":{"type":"logs","dataset":"endpoint.events.file","namespace":"default"},"event":{"category":"process"},"process":{"name":"sh"}}`,
		`{"@timestamp":"2026-01-01T00:00:00Z","data_stream":{"type":"logs","dataset":"endpoint.events.process","namespace":"default"},"event":{"category":"process"},"process":{"name":"bash"}}`,
	}
	cases := []struct {
		name       string
		index      []string
		maxSignals int
		maxEvents  int
		wantTimes  []string // original_time of the alerts, in order
		wantWarn   string
	}{
		{"all indices", nil, 100, 0, []string{"2026-01-01T00:00:01.000Z", "2026-01-01T00:00:02.000Z", "2026-01-01T00:00:03.000Z"}, ""},
		{"process index", []string{"logs-endpoint.events.process-*"}, 100, 0, []string{"2026-01-01T00:00:01.000Z", "2026-01-01T00:00:03.000Z"}, ""},
		{"max_signals 1", nil, 1, 0, []string{"2026-01-01T00:00:01.000Z"}, ""},
		{"candidate cap", nil, 100, 2, []string{"2026-01-01T00:00:01.000Z", "2026-01-01T00:00:03.000Z"}, "1 events dropped"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &rule.Rule{RuleID: "r", Name: "r", Type: "eql", Language: "eql", Severity: "low", MaxSignals: c.maxSignals,
				Index: c.index, Query: `process where process.name == "sh"`}
			er, err := CompileEQL(r, &Catalog{})
			if err != nil {
				t.Fatal(err)
			}
			h := NewEQLHunt([]*EQLRule{er})
			h.MaxEvents = c.maxEvents
			pushEQLLines(t, h, lines)
			res := h.Finish(time.Unix(0, 0), "x")
			var times []string
			for _, a := range res[0].Alerts {
				times = append(times, a.Fields["kibana.alert.original_time"].(string))
			}
			if strings.Join(times, ",") != strings.Join(c.wantTimes, ",") {
				t.Errorf("alerts at %v, want %v", times, c.wantTimes)
			}
			if got := strings.Join(res[0].Warnings, ";"); !strings.Contains(got, c.wantWarn) || (c.wantWarn == "") != (got == "") {
				t.Errorf("warnings %q, want %q", got, c.wantWarn)
			}
		})
	}
}

// EQL rules resolve fields as Elasticsearch's EQL search does: a field no
// index of the rule's patterns maps is an "Unknown column" error; fields an
// integration declares by pattern compile with no input, as in ES|QL rules.
func TestCompileEQLFields(t *testing.T) {
	for _, c := range []struct {
		index, query, wantErr string
	}{
		{"logs-endpoint.events.file-*", `file where file.Ext.original.path : "/bin/*"`, ""},
		{"logs-endpoint.events.process-*", `file where file.Ext.original.path : "/bin/*"`, "Unknown column [file.Ext.original.path]"},
		{"logs-auditd_manager.auditd-*", `process where auditd.data.syscall == "prctl" and auditd.data.a0 == "f"`, ""},
		{"logs-auditd_manager.auditd-*", `process where auditd.data.socket.family == "ipv4" and auditd.data.argc > 2`, ""},
		{"auditbeat-*", `process where auditd.data.syscall == "socket" and auditd.data.a1 == "2"`, ""},
		{"logs-endpoint.events.process-*", `process where auditd.data.syscall == "prctl"`, "Unknown column [auditd.data.syscall]"},
		{"logs-auditd_manager.auditd-*", `process where auditd.data.nope == "x"`, "Unknown column [auditd.data.nope]"},
		{"logs-kubernetes.audit_logs-*", "any where `kubernetes.audit.user.extra.authentication.kubernetes.io/pod-name` == \"p\"", ""},
		{"logs-kubernetes.audit_logs-*", `any where kubernetes.audit.nope == "p"`, "Unknown column [kubernetes.audit.nope]"},
	} {
		r := &rule.Rule{Path: "r.toml", Type: "eql", Index: []string{c.index}, Query: c.query}
		_, err := CompileEQL(r, &Catalog{})
		if got := ""; err != nil && c.wantErr == "" || err == nil && c.wantErr != "" || err != nil && !strings.Contains(err.Error(), c.wantErr) {
			if err != nil {
				got = err.Error()
			}
			t.Errorf("%s over %s: error %q, want %q", c.query, c.index, got, c.wantErr)
		}
	}
}

// An EQL error is reported at its file:line:col in the rule file.
func TestCompileEQLErrorPosition(t *testing.T) {
	r := &rule.Rule{Path: "r.toml", QueryLine: 10, Type: "eql", Query: "process where\n  process.nam == \"sh\""}
	_, err := CompileEQL(r, &Catalog{})
	if err == nil || !strings.HasPrefix(err.Error(), "r.toml:11:3: ") {
		t.Errorf("err = %v, want it at r.toml:11:3", err)
	}
}

// Exceptions filter an EQL rule's source events before the search, as
// Kibana's EQL search filter does: an excepted event matches no event
// query and takes part in no stage of a sequence (first stage: h1; last
// stage: h2), and each removal is counted against its item.
func TestEQLExceptions(t *testing.T) {
	ev := func(sec int, cat, host, user string) string {
		return `{"@timestamp":"2026-01-01T00:00:0` + string(rune('0'+sec)) + `Z","event":{"category":"` + cat + `"},"process":{"name":"sh"},"host":{"name":"` + host + `"},"user":{"name":"` + user + `"}}`
	}
	lines := []string{
		ev(0, "process", "h1", "bob"), ev(1, "network", "h1", "alice"),
		ev(2, "process", "h2", "alice"), ev(3, "network", "h2", "bob"),
		ev(4, "process", "h3", "alice"), ev(5, "network", "h3", "alice"),
	}
	const seq = `sequence by host.name [process where process.name == "sh"] [network where true]`
	const smp = `sample by host.name [network where true] [process where process.name == "sh"]`
	cases := []struct {
		name, query, except string // except: the user.name the item removes ("" none)
		wantHosts           string // host.name of each alerting event, in order
		wantRows            int
		wantExcepted        int64
	}{
		{"event rule", `process where process.name == "sh"`, "", "h1,h2,h3", 3, 0},
		{"event rule excepted", `process where process.name == "sh"`, "bob", "h2,h3", 2, 2},
		{"event rule other item", `process where process.name == "sh"`, "carol", "h1,h2,h3", 3, 0},
		{"sequence", seq, "", "h1,h1,h2,h2,h3,h3", 3, 0},
		{"sequence excepted in either stage", seq, "bob", "h3,h3", 1, 2},
		// a sample lists its events in stage order: network, then process
		{"sample", smp, "", "h1,h1,h2,h2,h3,h3", 3, 0},
		{"sample excepted in either stage", smp, "bob", "h3,h3", 1, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &rule.Rule{RuleID: "r", Name: "r", Type: "eql", Language: "eql", Severity: "low", Query: c.query}
			er, err := CompileEQL(r, &Catalog{})
			if err != nil {
				t.Fatal(err)
			}
			if c.except != "" {
				set := exception.NewSet()
				set.ParseNDJSON([]byte(`{"item_id":"i","list_id":"l","type":"simple","entries":[{"type":"match","field":"user.name","value":"`+c.except+`","operator":"included"}]}`), "x")
				r.ExceptionsList = []map[string]any{{"list_id": "l"}}
				if probs, err := er.ApplyExceptions(set, time.Now()); err != nil || len(probs) > 0 {
					t.Fatal(err, probs)
				}
			}
			h := NewEQLHunt([]*EQLRule{er})
			h.UnindexedMatchAll = true
			pushEQLLines(t, h, lines)
			rr := h.Finish(time.Unix(0, 0), "x")[0]
			var hosts []string
			for _, a := range rr.Alerts {
				if a.Fields["kibana.alert.group.id"] == a.ID {
					continue // a sequence's shell alert has no source event
				}
				at := a.Fields["kibana.alert.original_time"].(string) // 2026-01-01T00:00:0S.000Z: event S
				hosts = append(hosts, []string{"h1", "h1", "h2", "h2", "h3", "h3"}[at[18]-'0'])
			}
			if got := strings.Join(hosts, ","); got != c.wantHosts || rr.Rows != c.wantRows {
				t.Errorf("alerts on %s (%d rows), want %s (%d)", got, rr.Rows, c.wantHosts, c.wantRows)
			}
			var excepted int64
			for _, ec := range rr.Exceptions {
				excepted += ec.Events
			}
			if excepted != c.wantExcepted || (c.except != "") != (len(rr.Exceptions) == 1) {
				t.Errorf("exception counts %+v, want %d events removed", rr.Exceptions, c.wantExcepted)
			}
		})
	}
}

// A sample rule alerts as Kibana wraps what Elasticsearch returns under
// hits.sequences: one building block per event, in stage order (not time
// order), and a shell alert whose id is their group id.
func TestEQLSampleAlerts(t *testing.T) {
	lines := []string{
		`{"@timestamp":"2026-01-01T00:00:00Z","event":{"category":"process"},"host":{"name":"h1"}}`,
		`{"@timestamp":"2026-01-01T00:00:01Z","event":{"category":"network"},"host":{"name":"h1"}}`,
		`{"@timestamp":"2026-01-01T00:00:02Z","event":{"category":"network"},"host":{"name":"h2"}}`,
	}
	h := NewEQLHunt([]*EQLRule{eqlTestRule(t, `sample by host.name [network where true] [process where true]`, 100)})
	h.UnindexedMatchAll = true
	pushEQLLines(t, h, lines)
	rr := h.Finish(time.Unix(0, 0), "x")[0]
	if rr.Rows != 1 || len(rr.Alerts) != 3 {
		t.Fatalf("%d rows, %d alerts; want 1 sample: 2 building blocks and a shell", rr.Rows, len(rr.Alerts))
	}
	shell := rr.Alerts[2]
	for i, want := range []string{"2026-01-01T00:00:01.000Z", "2026-01-01T00:00:00.000Z"} {
		a := rr.Alerts[i]
		if a.Fields["kibana.alert.original_time"] != want || a.Fields["kibana.alert.group.index"] != i ||
			a.Fields["kibana.alert.group.id"] != shell.ID || a.Fields["kibana.alert.building_block_type"] != "default" {
			t.Errorf("building block %d: time %v index %v group %v, want %s %d %s", i, a.Fields["kibana.alert.original_time"],
				a.Fields["kibana.alert.group.index"], a.Fields["kibana.alert.group.id"], want, i, shell.ID)
		}
	}
	if shell.Fields["kibana.alert.group.id"] != shell.ID {
		t.Errorf("shell group id %v, want %s", shell.Fields["kibana.alert.group.id"], shell.ID)
	}
}

// pushEQLLines decodes the lines as the hunt does (projected to its fields,
// AutoID) and pushes them to h.
func pushEQLLines(t *testing.T, h *EQLHunt, lines []string) {
	t.Helper()
	dec := doc.NewDecoder((&Catalog{}).DecoderMapping(), doc.DecodeOptions{Dynamic: true, AutoID: true, Fields: h.Fields()})
	for _, l := range lines {
		d, err := dec.Decode([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		h.Push(d)
	}
}

// EQLHunt.Replay, max_signals 1: each run searches its own range with
// max_signals as the size, and what two runs find alerts once.
//   - An event query: the run at 00:05 holds the first two events and keeps
//     the first; the second is never alerted, as no later run's range holds
//     it; 00:10 holds 00:05:30 and 00:06:00 and keeps the first.
//   - A sequence: the run at 00:05 (23:59–00:05) holds 00:00:01, 00:00:02
//     and 00:04:30 and finds [00:00:01 00:00:02]; 00:10 (00:04–00:10) holds
//     00:04:30, 00:05:30 and 00:06:00 and keeps the first of its
//     sequences, [00:04:30 00:05:30]. Each sequence is two building blocks
//     and a shell (whose original_time is its first event's).
func TestEQLReplay(t *testing.T) {
	for _, tc := range []struct {
		q, alerts, runs string
		at              []string
	}{
		{`process where process.name == "sh"`, "00:00:01,00:05:30", "00:05:2/1/1,00:10:2/1/1",
			[]string{"00:00:01", "00:00:02", "00:05:30", "00:06:00"}},
		{`sequence [process where true] [process where true]`, "00:00:01,00:00:02,00:00:01,00:04:30,00:05:30,00:04:30", "00:05:3/3/0,00:10:3/3/0",
			[]string{"00:00:01", "00:00:02", "00:04:30", "00:05:30", "00:06:00"}},
		// a sample per run: its first two candidates in input order
		{`sample [process where true] [process where true]`, "00:00:02,00:00:01,00:00:02,00:04:30,00:05:30,00:04:30", "00:05:3/3/0,00:10:3/3/0",
			[]string{"00:00:02", "00:00:01", "00:04:30", "00:05:30", "00:06:00"}},
	} {
		var lines []string
		for _, at := range tc.at {
			lines = append(lines, `{"@timestamp":"2026-01-01T`+at+`Z","event":{"category":"process"},"process":{"name":"sh"}}`)
		}
		h := NewEQLHunt([]*EQLRule{eqlTestRule(t, tc.q, 1)})
		h.UnindexedMatchAll = true
		pushEQLLines(t, h, lines)
		alerts, reports := h.Replay(func(string, time.Time) string { return "x" })
		if got := originalTimes(alerts); got != tc.alerts {
			t.Errorf("%s: alerts at %v, want %s", tc.q, got, tc.alerts)
		}
		if got := runSummary(reports); got != tc.runs {
			t.Errorf("%s: runs %v, want %s", tc.q, got, tc.runs)
		}
	}
}

// eqlTestRule is an EQL rule run every 5 minutes over 6.
func eqlTestRule(t *testing.T, q string, maxSignals int) *EQLRule {
	t.Helper()
	r := &rule.Rule{RuleID: "r", Name: "r", Type: "eql", Language: "eql", Severity: "low", MaxSignals: maxSignals,
		Interval: 5 * time.Minute, Lookback: 6 * time.Minute, Query: q}
	er, err := CompileEQL(r, &Catalog{})
	if err != nil {
		t.Fatal(err)
	}
	return er
}

// originalTimes lists the alerts' kibana.alert.original_time (clock only).
func originalTimes(alerts []*Alert) string {
	var times []string
	for _, a := range alerts {
		tm, _ := a.Fields["kibana.alert.original_time"].(string)
		times = append(times, strings.TrimSuffix(strings.TrimPrefix(tm, "2026-01-01T"), ".000Z"))
	}
	return strings.Join(times, ",")
}

// runSummary renders runs as time:events/alerts/truncated.
func runSummary(reports []RunReport) string {
	var got []string
	for _, r := range reports {
		got = append(got, r.Time.Format("15:04")+":"+itoa(r.Events)+"/"+itoa(int64(r.Alerts))+"/"+itoa(int64(r.Truncated)))
	}
	return strings.Join(got, ",")
}

// EQLHunt.Exceptions gives a replay's per-item counts for EQL rules: the
// events each source item removed, each once.
func TestEQLReplayExceptionCounts(t *testing.T) {
	ev := func(at, host string) string {
		return `{"@timestamp":"2026-01-01T` + at + `Z","event":{"category":"process"},"host":{"name":"` + host + `"},"process":{"name":"sh"}}`
	}
	r := &rule.Rule{RuleID: "r", Name: "r", Type: "eql", Language: "eql", Severity: "low", MaxSignals: 100,
		Interval: 5 * time.Minute, Lookback: 6 * time.Minute, Query: `process where true`, ExceptionsList: []map[string]any{{"list_id": "l"}}}
	er, err := CompileEQL(r, &Catalog{})
	if err != nil {
		t.Fatal(err)
	}
	set := exception.NewSet()
	set.ParseNDJSON([]byte(`{"item_id":"h2","list_id":"l","type":"simple","entries":[{"type":"match","field":"host.name","value":"h2","operator":"included"}]}`), "x")
	if probs, err := er.ApplyExceptions(set, time.Now()); err != nil || len(probs) > 0 {
		t.Fatal(err, probs)
	}
	h := NewEQLHunt([]*EQLRule{er})
	h.UnindexedMatchAll = true
	// 00:04:30 lies in the runs at 00:05 and 00:10: counted once.
	pushEQLLines(t, h, []string{ev("00:00:01", "h1"), ev("00:04:30", "h2"), ev("00:05:30", "h2")})
	alerts, _ := h.Replay(func(string, time.Time) string { return "x" })
	ex := h.Exceptions()
	if len(alerts) != 1 || len(ex) != 1 || len(ex[0].Counts) != 1 || ex[0].Counts[0].Events != 2 || ex[0].Rule != r {
		t.Errorf("%d alerts, exceptions %+v; want 1 alert and h2 removing 2 events", len(alerts), ex)
	}
}
