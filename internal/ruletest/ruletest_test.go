package ruletest

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"vigil/internal/rule"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The shipped tests of the built-in rules pass (CI also runs them through
// `vigil test`).
func TestBuiltinTestsPass(t *testing.T) {
	fsys := rule.BuiltinTests()
	names, err := TestFiles(fsys, ".")
	if err != nil || len(names) == 0 {
		t.Fatalf("built-in test files: %v %v", names, err)
	}
	cases := 0
	for _, name := range names {
		for _, c := range loadRun(t, fsys, name).Cases {
			cases++
			if !c.Passed() {
				t.Errorf("%s:%d %s:\n%s", name, c.Line, c.Name, strings.Join(c.Diff, "\n"))
			}
		}
	}
	if cases < 20 {
		t.Errorf("only %d built-in rule tests", cases)
	}
}

// Exceptions in test files, inline (file-level and per test) and from an
// export, change what the rule raises, and each test gets only its own:
// the same burst alerts in the tests without one.
func TestExceptions(t *testing.T) {
	res := loadRun(t, os.DirFS("testdata"), "exceptions_test.toml")
	want := map[string]int{
		"no exception: the burst alerts":                      1,
		"file-level item applies to every test":               0,
		"inline item on the parent executable":                0,
		"an item on another executable changes nothing":       1,
		"excluded operator: every other user is excepted":     0,
		"excluded operator: the named user is not excepted":   1,
		"item on an output column":                            0,
		"items from a Kibana export":                          0,
		"an expired item is not applied":                      1,
		"again no exception: the previous ones do not linger": 1,
	}
	if len(res.Cases) != len(want) {
		t.Fatalf("%d cases, want %d", len(res.Cases), len(want))
	}
	for _, c := range res.Cases {
		n, ok := want[c.Name]
		if !ok {
			t.Errorf("unexpected case %q", c.Name)
		}
		if c.Alerts != n || !c.Passed() {
			t.Errorf("%s: %d alerts, want %d; diff %v", c.Name, c.Alerts, n, c.Diff)
		}
	}
}

// A test without exceptions after one with them runs the rule as loaded:
// neither the matchers nor the alerts' exceptions_list linger.
func TestExceptionsDoNotLinger(t *testing.T) {
	const file = `rule = "Suspicious Python Shell Command Execution"
now = "2026-01-01T12:00:00Z"
[base]
"@timestamp" = "now-5m+10s"
"event.type" = "start"
"event.action" = "exec"
"host.os.type" = "linux"
"process.parent.name" = "python3"
"process.name" = "sh"
[[tests]]
name = "excepted"
exceptions = [{ entries = [{ field = "process.name", type = "match", operator = "included", value = "sh" }] }]
events_file = "burst.ndjson"
alerts = 0
[[tests]]
name = "not excepted"
events_file = "burst.ndjson"
[[tests.expect]]
fields = { "kibana.alert.rule.exceptions_list" = [] }
`
	burst, err := os.ReadFile("testdata/burst.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	res := loadRun(t, fstest.MapFS{"t_test.toml": {Data: []byte(file)}, "burst.ndjson": {Data: burst}}, "t_test.toml")
	for _, c := range res.Cases {
		if !c.Passed() {
			t.Errorf("%s: %v", c.Name, c.Diff)
		}
	}
}

// Every exception in the shipped tests matters: without it, its test fails.
func TestBuiltinExceptionsMatter(t *testing.T) {
	const testFile = "suspicious_python_shell_command_execution_test.toml"
	f, err := Load(rule.BuiltinTests(), testFile, testFile)
	if err != nil {
		t.Fatal(err)
	}
	var with []*Case
	for _, c := range f.Tests {
		if c.Exceptions != nil {
			with = append(with, c)
		}
	}
	if len(with) < 4 {
		t.Fatalf("%d shipped tests with exceptions, want 4 or more", len(with))
	}
	for _, c := range with {
		t.Run(c.Name, func(t *testing.T) {
			g := *f
			dropped := *c
			dropped.Exceptions = nil
			g.Tests = []*Case{&dropped}
			res, err := Run(&g)
			if err != nil {
				t.Fatal(err)
			}
			if res.Cases[0].Passed() {
				t.Error("still passes without its exceptions")
			}
		})
	}
}

// A deliberately broken test file reads as the golden report says: one
// test passes (inline JSON events, numbers and VALUES in any order), the
// others fail with field-by-field, count and unexpected-alert differences.
func TestFailureReport(t *testing.T) {
	res := loadRun(t, os.DirFS("testdata"), "broken_test.toml")
	var b bytes.Buffer
	if failed := Report(&b, []*FileResult{res}); failed != 3 {
		t.Errorf("%d failed, want 3", failed)
	}
	golden(t, "broken.golden", b.String())
	b.Reset()
	if failed := ReportJSON(&b, []*FileResult{res}); failed != 3 {
		t.Errorf("JSON: %d failed, want 3", failed)
	}
	golden(t, "broken.golden.json", b.String())
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update to accept):\n%s", name, got)
	}
}

// Broken test files are reported with the line at fault.
func TestBrokenFiles(t *testing.T) {
	const head = "rule = \"Suspicious Python Shell Command Execution\"\nnow = \"2026-01-01T12:00:00Z\"\n"
	const event = `{ "@timestamp" = "now-1m", "process.command_line" = "x" }`
	for _, tc := range []struct {
		name, file, want string
	}{
		{"toml syntax", head + "[[tests]]\nname = \"a\"\nalerts = = 0\n", "t_test.toml:5: "},
		{"unknown key", head + "[[tests]]\nname = \"a\"\nalert = 0\n", `t_test.toml:5: unknown key "tests.alert"`},
		{"unknown expect key", head + "[[tests]]\nname = \"a\"\n[[tests.expect]]\ncuont = 1\n", `t_test.toml:6: unknown key "tests.expect.cuont"`},
		{"exception not a table", head + "[[tests]]\nname = \"a\"\nexceptions = [1]\nalerts = 0\n", "t_test.toml:3: exceptions[0]: want a table"},
		{"exception bad JSON", head + "[[tests]]\nname = \"a\"\nexceptions = ['{\"entries\": 1}']\nalerts = 0\n", "t_test.toml:3: exceptions[0]: not a Kibana exception item"},
		{"exception without entries", head + "[[tests]]\nname = \"a\"\nexceptions = [{ name = \"x\" }]\nalerts = 0\n", "t_test.toml:3: exceptions[0]: no entries"},
		{"exception bad operator", head + "[[tests]]\nname = \"a\"\nexceptions = [{ entries = [{ field = \"user.name\", type = \"match\", operator = \"is\", value = \"x\" }] }]\nalerts = 0\n",
			`t_test.toml:3: exceptions[0]: entry 1: field "user.name": operator "is"`},
		{"file-level bad exception", head + "exceptions = [{ entries = [] }]\n[[tests]]\nname = \"a\"\nalerts = 0\n", "t_test.toml:4: exceptions[0]: no entries"},
		{"exception field the rule cannot see", head + "[[tests]]\nname = \"a\"\nexceptions = [{ entries = [{ field = \"Esql.nope\", type = \"match\", operator = \"included\", value = \"x\" }] }]\nalerts = 0\n",
			`t_test.toml:3: exception item "exceptions[0]" (list "vigil-test") not applied: "Esql.nope" is neither a field of the rule's source indices nor a column of its result`},
		{"exceptions file missing", head + "[[tests]]\nname = \"a\"\nexceptions_file = \"nope.ndjson\"\nalerts = 0\n", "t_test.toml:3: exceptions_file nope.ndjson: file does not exist"},
		{"exceptions file bad line", head + "[[tests]]\nname = \"a\"\nexceptions_file = \"bad.ndjson\"\nalerts = 0\n", "t_test.toml:3: exceptions_file: bad.ndjson:1: neither an exception list"},
		{"no rule", "[[tests]]\nname = \"a\"\nalerts = 0\n", `t_test.toml:1: missing key "rule"`},
		{"bad now", "rule = \"x\"\nnow = \"noon\"\n[[tests]]\nname = \"a\"\nalerts = 0\n", `t_test.toml:2: now "noon"`},
		{"no tests", head, "t_test.toml:1: no [[tests]]"},
		{"no name", head + "\n[[tests]]\nalerts = 0\n", "t_test.toml:4: test 1 has no name"},
		{"expects nothing", head + "[[tests]]\nname = \"a\"\nevents = [" + event + "]\n", `t_test.toml:3: test "a" expects nothing`},
		{"negative alerts", head + "[[tests]]\nname = \"a\"\nalerts = -1\n", "t_test.toml:3: alerts = -1"},
		{"zero count", head + "[[tests]]\nname = \"a\"\n[[tests.expect]]\ncount = 0\n", "t_test.toml:5: count = 0"},
		{"empty expect", head + "[[tests]]\nname = \"a\"\n[[tests.expect]]\n[[tests]]\nname = \"b\"\nalerts = 0\n", "t_test.toml:5: an expect needs"},
		{"event not a table", head + "[[tests]]\nname = \"a\"\nevents = [1]\nalerts = 0\n", "t_test.toml:3: events[0]: want a table"},
		{"event bad JSON", head + "[[tests]]\nname = \"a\"\nevents = ['{\"a\":']\nalerts = 0\n", "t_test.toml:3: events[0]: not a JSON object"},
		{"events file missing", head + "[[tests]]\nname = \"a\"\nevents_file = \"nope.ndjson\"\nalerts = 0\n", "t_test.toml:3: events_file: file does not exist"},
		{"events file bad line", head + "[[tests]]\nname = \"a\"\nevents_file = \"bad.ndjson\"\nalerts = 0\n", "t_test.toml:3: events_file: bad.ndjson:2: not a JSON object"},
		{"bad date math", head + "\n[[tests]]\nname = \"a\"\nevents = [{ \"@timestamp\" = \"now-2x\" }]\nalerts = 0\n", `t_test.toml:4: event 1: @timestamp: date math "now-2x"`},
		{"undecodable event", head + "[[tests]]\nname = \"a\"\nevents = [{ \"@timestamp\" = \"yesterday\" }]\nalerts = 0\n", "t_test.toml:3: event 1: "},
		{"unknown rule", "rule = \"nope\"\n[[tests]]\nname = \"a\"\nalerts = 0\n", `t_test.toml: no rule "nope"`},
		{"rule file missing", "rule = \"nope.toml\"\n[[tests]]\nname = \"a\"\nalerts = 0\n", "t_test.toml: rule nope.toml: file does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"t_test.toml": {Data: []byte(tc.file)},
				"bad.ndjson":  {Data: []byte("{}\n[1]\n")},
			}
			f, err := Load(fsys, "t_test.toml", "t_test.toml")
			if err == nil {
				_, err = Run(f)
			}
			if err == nil {
				t.Fatal("no error")
			}
			if _, ok := err.(*Error); !ok {
				t.Errorf("error %T, want *Error", err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %q, want prefix %q", err, tc.want)
			}
		})
	}
}

func TestDateMath(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 34, 56, 789e6, time.UTC)
	for _, tc := range []struct{ in, want string }{
		{"now", "2026-01-01T12:34:56.789Z"},
		{"now-2m", "2026-01-01T12:32:56.789Z"},
		{"now+1h-30s", "2026-01-01T13:34:26.789Z"},
		{"now-1d", "2025-12-31T12:34:56.789Z"},
		{"now/m", "2026-01-01T12:34:00.000Z"},
		{"now-5m/h", "2026-01-01T12:00:00.000Z"},
		{"now/d", "2026-01-01T00:00:00.000Z"},
		{"now-2y/M", "2024-01-01T00:00:00.000Z"},
		{"now/m+1s", "2026-01-01T12:34:01.000Z"},
		{"now-m", "2026-01-01T12:33:56.789Z"}, // Elasticsearch reads a missing number as 1
		{"now-", "error"},
		{"now-2", "error"},
		{"now-2x", "error"},
		{"now/", "error"},
		{"now*2", "error"},
		{"nowish", "error"},
		{"2026-01-01", "error"},
		{"then", "error"},
	} {
		got, err := DateMath(tc.in, now)
		s := "error"
		if err == nil {
			s = fmtTime(got)
		}
		if s != tc.want {
			t.Errorf("DateMath(%q) = %s (%v), want %s", tc.in, s, err, tc.want)
		}
	}
}

// Values compare by meaning: numbers by value, times by instant, VALUES()
// lists in any order, strings exactly.
func TestCanonical(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		a, b any
		same bool
	}{
		{int64(5), 5.0, true},
		{int64(5), int64(6), false},
		{2.5, 2.5, true},
		{"5", int64(5), false},
		{[]any{"b", "a"}, []any{"a", "b"}, true},
		{[]any{"a"}, "a", false},
		{[]any{"a", "a"}, []any{"a"}, false},
		{"2026-01-01T11:55:00.000Z", "now-5m", true},
		{"2026-01-01T11:55:00Z", now.Add(-5 * time.Minute), true},
		{"2026-01-01T11:55:00.000Z", "now-4m", false},
		{"Linux", "linux", false},
		{true, true, true},
	} {
		if got := canonical(tc.a, now) == canonical(tc.b, now); got != tc.same {
			t.Errorf("%#v vs %#v: same = %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
}

// The shipped tests pin every condition of the seed rule: each mutation of
// its query below makes at least one of them fail.
func TestBuiltinTestsCatchMutations(t *testing.T) {
	const ruleFile = "suspicious_python_shell_command_execution.toml"
	const testFile = "suspicious_python_shell_command_execution_test.toml"
	builtin := rule.BuiltinTests()
	orig, err := fs.ReadFile(builtin, ruleFile)
	if err != nil {
		t.Fatal(err)
	}
	tests, err := fs.ReadFile(builtin, testFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range [][2]string{
		{">= 5", ">= 4"},
		{">= 4", ">= 3"},
		{"TO_LOWER(process.parent.name)", "process.parent.name"},
		{`("linux", "macos")`, `("linux")`},
		{`event.type == "start"`, `event.type != "end"`},
		{`"busybox")`, `"bash")`},
		{`"tcsh", `, ""},
		{`"fish", `, ""},
		{`event.action:"exec" and `, ""},
		{`or "-lc"`, ""},
		{"1 minutes", "2 minutes"},
		{"1 minutes", "1 hour"},
		{"BY process.parent.entity_id, agent.id,", "BY agent.id,"},
		{"BY process.parent.entity_id, agent.id,", "BY process.parent.entity_id,"},
		{`"*env *"`, `"*env*"`},
		{`process.command_line like "*grep*", "grep",`, `process.command_line like "*curl*", "curl",`},
		{`, "other"`, ""},
		{"COUNT_DISTINCT(process.command_line)", "COUNT(process.command_line)"},
	} {
		t.Run(m[0]+"→"+m[1], func(t *testing.T) {
			mutated := strings.Replace(string(orig), m[0], m[1], 1)
			if mutated == string(orig) {
				t.Fatalf("%q not in the rule", m[0])
			}
			fsys := fstest.MapFS{ruleFile: {Data: []byte(mutated)}, testFile: {Data: tests}}
			for _, c := range loadRun(t, fsys, testFile).Cases {
				if !c.Passed() {
					return
				}
			}
			t.Error("every test still passes")
		})
	}
}

// loadRun loads and runs a test file that must not be broken.
func loadRun(t *testing.T, fsys fs.FS, name string) *FileResult {
	t.Helper()
	f, err := Load(fsys, name, "testdata/"+name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(f)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// EQL rules run under vigil test through the hunt's EQL path: the shipped
// event and sequence tests pass with the alert counts computed by hand.
func TestEQLRules(t *testing.T) {
	for name, want := range map[string][]int{
		"eql/event_test.toml":    {2, 0, 1},
		"eql/sequence_test.toml": {3, 0, 0},
	} {
		res := loadRun(t, os.DirFS("testdata"), name)
		if len(res.Cases) != len(want) {
			t.Fatalf("%s: %d cases, want %d", name, len(res.Cases), len(want))
		}
		for i, c := range res.Cases {
			if c.Alerts != want[i] || !c.Passed() {
				t.Errorf("%s: %s: %d alerts, want %d; diff %v", name, c.Name, c.Alerts, want[i], c.Diff)
			}
		}
	}
}
