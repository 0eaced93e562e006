package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHuntExceptions: the seed rule over the sample data (4 alerts) with
// an exception on a source field (build-02's interpreter, linux only), one
// on an Esql.* output column (web-01's probe: case-sensitive, so ci-07's
// `sh -C whoami` keeps its alert), an expired item and one naming a field
// the rule cannot see; the same alerts in every execution path.
func TestHuntExceptions(t *testing.T) {
	exc := filepath.Join("testdata", "exceptions")
	for _, extra := range [][]string{nil, {"--threads", "1"}, {"--no-prefilter"}, {"--threads", "3", "--chunk-size", "4096"}} {
		args := append([]string{"hunt", "--now", "2026-11-20T11:00:00Z", "--exceptions", exc}, extra...)
		out, stderr, code := run(t, "", append(args, sampleData)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", extra, code, stderr)
		}
		if n := strings.Count(out, "\n"); n != 2 {
			t.Errorf("%v: %d alerts, want 2", extra, n)
		}
		for _, host := range []string{"mac-03.corp.example", "ci-07"} {
			if !strings.Contains(out, `"host.name":"`+host+`"`) {
				t.Errorf("%v: no alert for %s", extra, host)
			}
		}
		for _, want := range []string{
			"exception approved-build-python (approved build interpreter) of list b42e4b88-fc4a-417b-a45e-4d4a3db9fd41: 5 source events removed, 0 alerts removed",
			"exception whoami-probe (monitoring probe) of list b42e4b88-fc4a-417b-a45e-4d4a3db9fd41: 0 source events removed, 1 alerts removed",
			`exception item "expired" expired at 2026-11-01T00:00:00Z`,
			`exceptions/seed-tuning.ndjson:5: exception item "unseen-field" (list "b42e4b88-fc4a-417b-a45e-4d4a3db9fd41") not applied: "Esql.not_a_column" is neither a field of the rule's source indices nor a column of its result`,
			"872 matched its filter, 2 alerts",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", extra, want, stderr)
			}
		}
	}
	// Replay applies the same exceptions and counts what each removed:
	// every event once, every hidden alert once, as the sweep does.
	out, stderr, code := run(t, "", "hunt", "--replay", "--exceptions", exc, sampleData)
	if n := strings.Count(out, "\n"); code != exitOK || n != 2 {
		t.Errorf("replay: exit %d, %d alerts, want 2:\n%s", code, n, stderr)
	}
	for _, want := range []string{
		"rule \"Suspicious Python Shell Command Execution\":\n  exception approved-build-python (approved build interpreter) of list b42e4b88-fc4a-417b-a45e-4d4a3db9fd41: 5 source events removed, 0 alerts removed\n",
		"exception whoami-probe (monitoring probe) of list b42e4b88-fc4a-417b-a45e-4d4a3db9fd41: 0 source events removed, 1 alerts removed\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("replay: stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestHuntExceptionsBadInput: a bad line is reported with file:line and
// skipped, a missing path is a usage error.
func TestHuntExceptionsBadInput(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "e.ndjson")
	os.WriteFile(f, []byte(`{"item_id":"x","list_id":"b42e4b88-fc4a-417b-a45e-4d4a3db9fd41","type":"simple","entries":[{"type":"match","field":"host.name","value":"ci-07","operator":"included"}]}`+"\n{broken\n"), 0o644)
	out, stderr, code := run(t, "", "hunt", "--now", "2026-11-20T11:00:00Z", "--exceptions", f, sampleData)
	if code != exitOK || strings.Count(out, "\n") != 3 || !strings.Contains(stderr, "e.ndjson:2:") {
		t.Errorf("exit %d, %d alerts:\n%s", code, strings.Count(out, "\n"), stderr)
	}
	os.WriteFile(f, []byte(`{"item_id":"x","list_id":"orphan","type":"simple","entries":[{"type":"exists","field":"host.name","operator":"included"}]}`+"\n"), 0o644)
	out, stderr, code = run(t, "", "hunt", "--now", "2026-11-20T11:00:00Z", "--exceptions", f, sampleData)
	if code != exitOK || strings.Count(out, "\n") != 4 || !strings.Contains(stderr, `list "orphan" (1 items) is used by no rule`) {
		t.Errorf("exit %d, %d alerts:\n%s", code, strings.Count(out, "\n"), stderr)
	}
	if _, _, code := run(t, "", "hunt", "--exceptions", filepath.Join(dir, "nope"), sampleData); code != exitUsage {
		t.Errorf("missing --exceptions path: exit %d", code)
	}
}

// TestHuntExceptionsFromRuleTOML: a rule's [[rule.exceptions_list]]
// references resolved against an export; a non-aggregating rule, where an
// item on a KEEP'd column that is also a source field filters events, and
// value lists and os_types apply.
func TestHuntExceptionsFromRuleTOML(t *testing.T) {
	dir := t.TempDir()
	ruleFile := filepath.Join(dir, "r.toml")
	os.WriteFile(ruleFile, []byte(`[rule]
rule_id = "shells"
name = "Shells"
type = "esql"
severity = "high"
risk_score = 73
query = '''
FROM logs-endpoint.events.process-* METADATA _id
| WHERE process.name == "sh"
| EVAL Esql.cmd = TO_LOWER(process.command_line)
| KEEP _id, process.name, host.name, Esql.cmd
'''

[[rule.exceptions_list]]
id = "x1"
list_id = "shared-tuning"
namespace_type = "single"
type = "detection"

[[rule.exceptions_list]]
id = "endpoint_list"
list_id = "endpoint_list"
namespace_type = "agnostic"
type = "endpoint"
`), 0o644)
	exc := filepath.Join(dir, "exceptions")
	os.MkdirAll(exc, 0o755)
	os.WriteFile(filepath.Join(exc, "hosts.txt"), []byte("h2\nh3\n"), 0o644)
	os.WriteFile(filepath.Join(exc, "lists.ndjson"), []byte(`{"list_id":"shared-tuning","type":"detection","namespace_type":"single"}
{"item_id":"lab-hosts","list_id":"shared-tuning","type":"simple","entries":[{"type":"list","field":"host.name","operator":"included","list":{"id":"hosts","type":"keyword"}}]}
{"item_id":"noisy-cmd","list_id":"shared-tuning","type":"simple","entries":[{"type":"wildcard","field":"Esql.cmd","operator":"included","value":"*backup*"}]}
{"list_id":"endpoint_list","type":"endpoint","namespace_type":"agnostic"}
{"item_id":"win-only","list_id":"endpoint_list","type":"simple","namespace_type":"agnostic","os_types":["windows"],"entries":[{"type":"exists","field":"host.name","operator":"included"}]}
`), 0o644)
	ev := func(host, cmd string) string {
		return `{"@timestamp":"2026-11-20T10:00:00Z","data_stream":{"type":"logs","dataset":"endpoint.events.process","namespace":"default"},"host":{"name":"` + host + `","os":{"type":"linux"}},"process":{"name":"sh","command_line":"` + cmd + `"}}` + "\n"
	}
	stdin := ev("h1", "sh -c id") + ev("h2", "sh -c id") + ev("h3", "sh -c ls") + ev("h4", "sh /opt/BACKUP.sh") + ev("h5", "sh -c uptime")
	out, stderr, code := run(t, stdin, "hunt", "--rules", ruleFile, "--now", "2026-11-20T10:05:00Z", "--exceptions", exc, "-")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := strings.Count(out, "\n"); n != 2 || !strings.Contains(out, `"host.name":"h1"`) || !strings.Contains(out, `"host.name":"h5"`) {
		t.Errorf("want alerts for h1 and h5 only:\n%s\n%s", out, stderr)
	}
	for _, want := range []string{"exception lab-hosts of list shared-tuning: 2 source events removed, 0 alerts removed",
		"exception noisy-cmd of list shared-tuning: 0 source events removed, 1 alerts removed",
		"exception win-only of list endpoint_list: 0 source events removed, 0 alerts removed"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
}

// TestHuntExceptionCountsIgnorePrefilter: an exception counts the events
// it removed that the rule would have read (its per-event stage passes
// them), so events under the excepted parent that the rule's WHERE
// rejects are not counted, whether or not the byte prefilter tested them.
func TestHuntExceptionCountsIgnorePrefilter(t *testing.T) {
	var in strings.Builder
	for i, c := range []string{"whoami", "uname -a", "id", "env | sort", "curl http://x/a"} {
		ev := func(name string) string {
			return fmt.Sprintf(`{"@timestamp":"2026-11-20T10:00:%02d.000Z","data_stream":{"type":"logs","dataset":"endpoint.events.process","namespace":"default"},"event":{"action":"exec","type":["start"],"category":["process"]},"host":{"name":"build-02","os":{"type":"linux"}},"agent":{"id":"a-build"},"process":{"name":%q,"executable":"/bin/%s","command_line":%q,"args":[%q,"-c",%q],"parent":{"name":"python3.12","executable":"/usr/local/bin/python3.12","entity_id":"P1"}}}`,
				i, name, name, name+" -c "+c, name, c)
		}
		in.WriteString(ev("sh") + "\n")  // read by the rule, excepted: counted
		in.WriteString(ev("cat") + "\n") // not a shell: excepted but never read
	}
	path := filepath.Join(t.TempDir(), "events.ndjson")
	if err := os.WriteFile(path, []byte(in.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, extra := range [][]string{nil, {"--no-prefilter"}, {"--replay"}} {
		args := append([]string{"hunt", "--now", "2026-11-20T11:00:00Z", "--exceptions", filepath.Join("testdata", "exceptions")}, extra...)
		_, stderr, code := run(t, "", append(args, path)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", extra, code, stderr)
		}
		if want := "exception approved-build-python (approved build interpreter) of list b42e4b88-fc4a-417b-a45e-4d4a3db9fd41: 5 source events removed"; !strings.Contains(stderr, want) {
			t.Errorf("%v: stderr lacks %q:\n%s", extra, want, stderr)
		}
	}
}
