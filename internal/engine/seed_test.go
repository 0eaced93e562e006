package engine

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// ev builds one Elastic-Defend-shaped exec event as JSON. Options override
// fields by dotted name (nil deletes); the "dotted" option writes every field
// as a top-level dotted key instead of nested objects.
func ev(ts, host, os, parentID, parentName, shell, cmdline string, args []string, opts map[string]any) string {
	flat := map[string]any{
		"@timestamp":                ts,
		"data_stream.type":          "logs",
		"data_stream.dataset":       "endpoint.events.process",
		"data_stream.namespace":     "default",
		"event.dataset":             "endpoint.events.process",
		"event.action":              "exec",
		"event.type":                []string{"start"},
		"event.category":            []string{"process"},
		"host.name":                 host,
		"host.os.type":              os,
		"agent.id":                  "agent-" + host,
		"process.parent.entity_id":  parentID,
		"process.parent.name":       parentName,
		"process.parent.executable": "/usr/bin/" + strings.ToLower(parentName),
		"process.name":              shell,
		"process.executable":        "/bin/" + shell,
		"process.command_line":      cmdline,
		"process.args":              args,
	}
	dotted := false
	for k, v := range opts {
		if k == "dotted" {
			dotted = true
			continue
		}
		if v == nil {
			delete(flat, k)
		} else {
			flat[k] = v
		}
	}
	var out any = flat
	if !dotted {
		nested := map[string]any{}
		for k, v := range flat {
			m := nested
			parts := strings.Split(k, ".")
			for _, p := range parts[:len(parts)-1] {
				if m[p] == nil {
					m[p] = map[string]any{}
				}
				m = m[p].(map[string]any)
			}
			m[parts[len(parts)-1]] = v
		}
		out = nested
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func c(shell, flag, cmd string) (string, string, []string) {
	return shell, shell + " " + flag + " " + cmd, []string{shell, flag, cmd}
}

// seedFixture returns events covering every edge case the seed rule has,
// and the groups (host/parent/minute → distinct command lines, kinds) that
// must alert, computed by hand.
func seedFixture() []string {
	var lines []string
	add := func(ts, host, os, parentID, parentName string, shell, cmdline string, args []string, opts map[string]any) {
		lines = append(lines, ev(ts, host, os, parentID, parentName, shell, cmdline, args, opts))
	}
	// G1: linux h1, parent P1 "Python3.11", minute 10:00 — 7 distinct lines, 6 kinds.
	s, l, a := c("sh", "-c", "whoami")
	add("2026-11-20T10:00:01Z", "h1", "linux", "P1", "Python3.11", s, l, a, map[string]any{"event.type": "start"})
	add("2026-11-20T10:00:02Z", "h1", "linux", "P1", "Python3.11", s, l, a, nil) // repeated line: counted once
	s, l, a = c("sh", "-lc", "uname -a")
	add("2026-11-20T10:00:03Z", "h1", "linux", "P1", "Python3.11", s, l, a, nil)
	s, l, a = c("sh", "-cl", "env ")
	add("2026-11-20T10:00:04Z", "h1", "linux", "P1", "Python3.11", s, l, a, nil) // "env " → environment_enumeration
	s, l, a = c("bash", "-c", "curl -s http://203.0.113.1/x")
	add("2026-11-20T10:00:05Z", "h1", "linux", "P1", "Python3.11", s, l, a, nil)
	s, l, a = c("bash", "-c", "find / -name id_rsa")
	add("2026-11-20T10:00:06Z", "h1", "linux", "P1", "Python3.11", s, l, a, nil)
	s, l, a = c("sh", "-c", "grep root /etc/passwd")
	add("2026-11-20T10:00:07Z", "h1", "linux", "P1", "Python3.11", s, l, a, map[string]any{"dotted": true})
	s, l, a = c("sh", "-c", "id")
	add("2026-11-20T12:00:30+02:00", "h1", "linux", "P1", "Python3.11", s, l, a, nil) // 10:00:30Z
	s, _, a = c("sh", "-c", "true")
	add("2026-11-20T10:00:40Z", "h1", "linux", "P1", "Python3.11", s, "", a, map[string]any{"process.command_line": nil}) // null line: kind "other", not counted
	// Excluded from G1 (each would add a distinct line if it leaked in):
	s, l, a = c("sh", "-c", "wget http://203.0.113.1/y")
	add("2026-11-20T10:00:41Z", "h1", "linux", "P1", "Python3.11", s, l, a, map[string]any{"event.action": "fork"})
	s, l, a = c("sh", "-c", "hostname")
	add("2026-11-20T10:00:42Z", "h1", "linux", "P1", "Python3.11", s, l, a, map[string]any{"event.type": []string{"start", "change"}})
	s, l, a = c("sh", "-c", "ls /tmp")
	add("2026-11-20T10:00:43Z", "h1", "linux", "P1", "ipython", s, l, a, nil)
	add("2026-11-20T10:00:44Z", "h1", "linux", "P1", "Python3.11", "sh", "sh -x run.sh", []string{"sh", "-x", "run.sh"}, nil)
	add("2026-11-20T10:00:45Z", "h1", "linux", "P1", "Python3.11", "python3", "python3 -c print(1)", []string{"python3", "-c", "print(1)"}, nil)

	// G2: macOS zsh with -C flags (KQL() ignores case) — 5 lines, 4 kinds.
	for i, cmd := range []string{"whoami", "hostname", "env ", "find ~ -name '*.kdbx'", "curl -O http://x"} {
		s, l, a = c("zsh", "-C", cmd)
		add(fmt.Sprintf("2026-11-20T10:10:%02dZ", i), "mac1", "macos", "P2", "python3", s, l, a, nil)
	}
	// G3: split across a minute boundary: 3 + 3 — no alert.
	g3times := []string{"10:05:50", "10:05:54", "10:05:58", "10:06:02", "10:06:06", "10:06:10"}
	for i, cmd := range []string{"whoami", "curl a", "find b", "grep c", "env ", "wget d"} {
		s, l, a = c("sh", "-c", cmd)
		add("2026-11-20T"+g3times[i]+"Z", "h3", "linux", "P3", "python3", s, l, a, nil)
	}
	// G4: one parent entity id on two hosts, 3 lines each — no alert.
	for _, h := range []string{"h4", "h5"} {
		for i, cmd := range []string{"whoami", "curl a", "find b"} {
			s, l, a = c("sh", "-c", cmd)
			add(fmt.Sprintf("2026-11-20T10:30:%02dZ", i), h, "linux", "PX", "python3", s, l, a, nil)
		}
	}
	// G5: two Python parents on h1 in one minute: A alerts (busybox), B does not.
	for i, cmd := range []string{"cat /etc/shadow", "uname -m", "wget http://x/m", "grep -r key /", "curl http://x/n"} {
		s, l, a = c("busybox", "-lc", cmd)
		add(fmt.Sprintf("2026-11-20T10:20:%02dZ", i), "h1", "linux", "P5A", "python3", s, l, a, nil)
	}
	for i, cmd := range []string{"env", "whoami"} {
		s, l, a = c("sh", "-c", cmd)
		add(fmt.Sprintf("2026-11-20T10:20:%02dZ", 10+i), "h1", "linux", "P5B", "python3", s, l, a, nil)
	}
	// G6: no parent entity id at all: null BY keys group together — 5 lines, 4 kinds.
	for i, cmd := range []string{"whoami", "curl a", "find b", "grep c", "id"} {
		s, l, a = c("dash", "-c", cmd)
		add(fmt.Sprintf("2026-11-20T10:40:%02dZ", i), "h6", "linux", "", "python3", s, l, a, map[string]any{"process.parent.entity_id": nil})
	}
	// Windows: filtered by host.os.type even with a shell-like name.
	for i, cmd := range []string{"whoami", "curl a", "find b", "grep c", "set"} {
		s, l, a = c("sh", "-c", cmd)
		add(fmt.Sprintf("2026-11-20T10:50:%02dZ", i), "win1", "windows", "PW", "python.exe", s, l, a, nil)
	}
	return lines
}

type group struct {
	host, parent, window string
	distinct, kinds      int64
}

func TestSeedRuleEdgeCases(t *testing.T) {
	lines := seedFixture()
	results := huntLines(t, lines)
	var got []group
	for _, a := range results[0].Alerts {
		f := a.Fields
		parent, _ := f["process.parent.entity_id"].(string)
		got = append(got, group{
			host: f["host.name"].(string), parent: parent, window: f["Esql.time_window_date_trunc"].(string),
			distinct: f["Esql.process_command_line_count_distinct"].(int64), kinds: f["Esql.patterns_count_distinct"].(int64),
		})
	}
	sort.Slice(got, func(i, j int) bool { return got[i].host+got[i].parent < got[j].host+got[j].parent })
	want := []group{
		{"h1", "P1", "2026-11-20T10:00:00.000Z", 7, 6},
		{"h1", "P5A", "2026-11-20T10:20:00.000Z", 5, 5},
		{"h6", "", "2026-11-20T10:40:00.000Z", 5, 5},
		{"mac1", "P2", "2026-11-20T10:10:00.000Z", 5, 4},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("alerting groups:\n got %v\nwant %v", got, want)
	}
	// Events passing the per-event filter, by hand: G1 9, G2 5, G3 6, G4 6, G5 5+2, G6 5.
	if got := results[0].Matched; got != 38 {
		t.Errorf("%d events matched the filter, want 38", got)
	}
	// The first row is the largest group (SORT … DESC) and carries VALUES of its lines.
	first := results[0].Alerts[0].Fields
	vals, _ := first["Esql.process_command_line_values"].([]any)
	if len(vals) != 7 || first["host.name"] != "h1" {
		t.Errorf("first alert: host %v, %d command lines %v", first["host.name"], len(vals), vals)
	}
}

// huntLines decodes JSON lines with the built-in mappings and sweeps the seed rule over them.
func huntLines(t *testing.T, lines []string) []*RuleResult {
	t.Helper()
	r := rule.Builtin()[0]
	now := time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)
	cr, err := Compile(r, &Catalog{}, esql.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	m := doc.NewMapping()
	ep, _ := doc.BuiltinMapping("logs-endpoint.events.process")
	m.Merge(ep)
	dec := doc.NewDecoder(m, doc.DecodeOptions{Dynamic: true})
	sw := NewSweep([]*CompiledRule{cr})
	for i, l := range lines {
		d, err := dec.Decode([]byte(l))
		if err != nil {
			t.Fatalf("line %d: %v\n%s", i+1, err, l)
		}
		sw.Push(d)
	}
	res, err := sw.Finish(now, "exec-1")
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Closing windows as event time passes must not change a sweep's result
// over time-ordered input, while it frees the closed groups' state.
func TestSweepWindowClosingIsExact(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "examples", "sample-events.ndjson.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(zr)
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		lines = append(lines, l)
	}
	sweep := func(lateness time.Duration) (*RuleResult, int) {
		r := rule.Builtin()[0]
		now := time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)
		cr, err := Compile(r, &Catalog{}, esql.Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if cr.Query.WindowField() != "@timestamp" {
			t.Fatalf("seed rule windows on %q, want @timestamp", cr.Query.WindowField())
		}
		ep, _ := doc.BuiltinMapping("logs-endpoint.events.process")
		dec := doc.NewDecoder(ep, doc.DecodeOptions{Dynamic: true})
		sw := NewSweep([]*CompiledRule{cr})
		sw.Lateness, sw.closeEvery = lateness, 50
		for _, l := range lines {
			d, err := dec.Decode([]byte(l))
			if err != nil {
				t.Fatal(err)
			}
			sw.Push(d)
		}
		open := len(sw.rules[0].exec.OpenGroups())
		res, err := sw.Finish(now, "x")
		if err != nil {
			t.Fatal(err)
		}
		return res[0], open
	}
	exact, openAll := sweep(-1)
	closed, openLeft := sweep(0)
	if len(exact.Alerts) != 4 || len(closed.Alerts) != len(exact.Alerts) {
		t.Fatalf("alerts: %d without closing, %d with", len(exact.Alerts), len(closed.Alerts))
	}
	for i := range exact.Alerts {
		a, b := exact.Alerts[i].Fields, closed.Alerts[i].Fields
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("alert %d differs:\n%v\n%v", i, a, b)
		}
	}
	if closed.Late != 0 {
		t.Errorf("%d late events in time-ordered input", closed.Late)
	}
	if openLeft*10 > openAll {
		t.Errorf("closing left %d of %d groups open", openLeft, openAll)
	}
}
