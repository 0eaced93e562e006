package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var tookRE = regexp.MustCompile(`"took": \d+`)

var update = flag.Bool("update", false, "rewrite golden files")

const sampleData = "../../examples/sample-events.ndjson.gz"

// run executes the CLI in-process and returns stdout, stderr and the exit code main would use.
func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	root := newRoot()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := root.Execute()
	code := exitOK
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		} else {
			code = exitUsage
		}
		errb.WriteString("error: " + err.Error() + "\n")
	}
	return out.String(), errb.String(), code
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/vigil -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test ./cmd/vigil -update rewrites it); got:\n%s", name, got)
	}
}

// The quick start's hunt: the built-in rule over the bundled sample data.
func TestHuntSampleGolden(t *testing.T) {
	out, stderr, code := run(t, "", "hunt", "--now", "2026-11-20T11:00:00Z", sampleData)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden(t, "hunt-sample.ndjson", out)
	if n := strings.Count(out, "\n"); n != 4 {
		t.Errorf("%d alerts, want 4 (linux, macOS, busybox and -C bursts)", n)
	}
	for _, host := range []string{`"host.name":"web-01"`, `"host.name":"mac-03.corp.example"`, `"host.name":"build-02"`, `"host.name":"ci-07"`} {
		if !strings.Contains(out, host) {
			t.Errorf("no alert for %s", host)
		}
	}
	for _, want := range []string{"read 3790 events", "877 matched its filter, 4 alerts", "alerts by severity: medium 4"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
}

// vigil query reproduces the seed rule's STATS output in every format.
func TestQueryFormats(t *testing.T) {
	q := `FROM logs-endpoint.events.process-*
| WHERE host.os.type in ("linux", "macos") and event.type == "start" and TO_LOWER(process.parent.name) like "python*" and
  process.name in ("bash", "dash", "sh", "tcsh", "csh", "zsh", "ksh", "fish", "busybox") and
  KQL("""event.action:"exec" and process.args:("-c" or "-cl" or "-lc")""")
| EVAL w = DATE_TRUNC(1 minutes, @timestamp)
| STATS lines = COUNT_DISTINCT(process.command_line) BY host.name, w
| WHERE lines >= 5
| SORT lines DESC, host.name`
	for _, format := range []string{"table", "csv", "json", "ndjson"} {
		out, stderr, code := run(t, "", "query", "--format", format, q, sampleData)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		out = tookRE.ReplaceAllString(out, `"took": 0`) // timing varies
		golden(t, "query-seed-stats."+format, out)
	}
}

// vigil query on 1, 2 and 4 threads, in chunks of a few lines, answers as
// the sequential query did: testdata/query-exact.txt is the output of the
// version before the parallel sweep, over input with malformed lines, a bad
// value in a field few queries read, fields no mapping names, multi-valued
// fields, documents with no index, and stdin.
func TestQueryThreadsGolden(t *testing.T) {
	const input = "testdata/query-input.ndjson"
	want, err := os.ReadFile("testdata/query-exact.txt")
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := os.ReadFile(input)
	if err != nil {
		t.Fatal(err)
	}
	var queries []string
	for _, l := range strings.Split(string(want), "\n") {
		if q, ok := strings.CutPrefix(l, "== "); ok && strings.HasSuffix(q, " "+input) {
			queries = append(queries, strings.TrimSuffix(q, " "+input))
		}
	}
	for _, threads := range []string{"1", "2", "4"} {
		var b strings.Builder
		for _, q := range queries {
			for _, in := range []string{input, "-"} {
				out, stderr, _ := run(t, string(stdin), "query", "--threads", threads, "--chunk-size", "4096", "--format", "csv", q, in)
				stderr = strings.Replace(stderr, "error: ", "vigil: ", 1) // as main prints it
				b.WriteString("== " + q + " " + in + "\n" + out + stderr)
			}
		}
		if got := b.String(); got != string(want) {
			t.Errorf("--threads %s:\n%s\nwant:\n%s", threads, got, want)
		}
	}
	// --fast gives the same rows where no bad line matches, but reports only
	// the malformed lines the query reads far enough to see.
	out, stderr, code := run(t, "", "query", "--fast", "--threads", "2", "--chunk-size", "4096", "--format", "csv", queries[1], input)
	if code != exitOK || !strings.Contains(string(want), out) {
		t.Errorf("--fast: exit %d, rows:\n%s", code, out)
	}
	if !strings.Contains(stderr, "malformed lines: 2 (skipped)\n  testdata/query-input.ndjson:51: ") {
		t.Errorf("--fast reports:\n%s", stderr)
	}
}

func TestExitCodesAndBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[rule]\nrule_id = \"x\"\nname = \"n\"\ntype = \"esql\"\nseverity = \"low\"\nrisk_score = 1\nquery = '''\nFROM logs-*\n| WHERE proces.name == \"sh\"\n'''\n"), 0o644)
	_, stderr, code := run(t, "", "hunt", "--rules", bad, sampleData)
	if code != exitUsage || !strings.Contains(stderr, bad+":9:9: Unknown column [proces.name]") {
		t.Errorf("invalid rule: exit %d, stderr:\n%s", code, stderr)
	}
	_, _, code = run(t, "", "hunt", filepath.Join(dir, "missing.ndjson"))
	if code != exitInput {
		t.Errorf("missing input: exit %d, want %d", code, exitInput)
	}
	_, _, code = run(t, "", "hunt", "--fail-on-alert", sampleData)
	if code != exitAlerts {
		t.Errorf("--fail-on-alert: exit %d, want %d", code, exitAlerts)
	}
	// Malformed lines are reported with file:line; the good lines around them still count.
	stdin := "{\"@timestamp\":\"2026-11-20T10:00:00Z\"}\nnot json\n[1,2]\n{\"@timestamp\":\"yesterday-ish\"}\n{\"@timestamp\":\"2026-11-20T10:00:01Z\"}\n"
	_, stderr, code = run(t, stdin, "hunt", "-")
	if code != exitOK {
		t.Fatalf("malformed input: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"read 2 events", "malformed lines: 3", "-:2:", "-:3:", "-:4:"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
}

func TestRulesCommands(t *testing.T) {
	out, _, code := run(t, "", "rules", "list")
	if code != exitOK || !strings.Contains(out, "b42e4b88-fc4a-417b-a45e-4d4a3db9fd41") {
		t.Errorf("rules list: exit %d\n%s", code, out)
	}
	out, _, code = run(t, "", "rules", "show", "b42e4b88-fc4a-417b-a45e-4d4a3db9fd41")
	for _, want := range []string{"version:      3", "T1059.006", "Investigation guide", "DATE_TRUNC(1 minutes, @timestamp)"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("rules show lacks %q (exit %d)", want, code)
		}
	}
}

func TestHuntReplay(t *testing.T) {
	out, stderr, code := run(t, "", "hunt", "--replay", sampleData)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := strings.Count(out, "\n"); n != 4 || !strings.Contains(stderr, "25 runs, 4 alerts") {
		t.Errorf("replay: %d alerts; summary:\n%s", n, stderr)
	}
	out, stderr, _ = run(t, "", "hunt", "--replay", "--kibana-duplicates", sampleData)
	// Three bursts fall in two overlapping runs; ci-07's (10:40:01-05) only in the 10:45 run.
	if n := strings.Count(out, "\n"); n != 7 || !strings.Contains(stderr, "25 runs, 7 alerts") {
		t.Errorf("replay with Kibana's ids: %d alerts; summary:\n%s", n, stderr)
	}
	if _, _, code := run(t, "", "hunt", "--kibana-duplicates", sampleData); code != exitUsage {
		t.Errorf("--kibana-duplicates without --replay: exit %d", code)
	}
}

// Elasticsearch hits keep their _index (a data stream's backing index),
// _id and _version, which METADATA exposes and non-aggregating alerts carry.
func TestHuntHitsMetadata(t *testing.T) {
	dir := t.TempDir()
	ruleFile := filepath.Join(dir, "r.toml")
	os.WriteFile(ruleFile, []byte(`[rule]
rule_id = "hits-test"
name = "Shell from hits"
type = "esql"
severity = "high"
risk_score = 73
query = '''
FROM logs-endpoint.events.process-* METADATA _id, _index, _version
| WHERE process.name == "sh"
| KEEP _id, _index, _version, process.name, host.name
'''
`), 0o644)
	hit := func(id, name string) string {
		return `{"_index":".ds-logs-endpoint.events.process-default-2026.11.20-000001","_id":"` + id + `","_version":3,"_source":{"@timestamp":"2026-11-20T10:00:00Z","process":{"name":"` + name + `"},"host":{"name":"h1"}}}` + "\n"
	}
	stdin := hit("a1", "sh") + hit("a2", "bash") + `{"_index":"other-index","_id":"a3","_source":{"process":{"name":"sh"}}}` + "\n"
	out, stderr, code := run(t, stdin, "hunt", "--rules", ruleFile, "--now", "2026-11-20T10:05:00Z", "-")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d alerts, want 1:\n%s", len(lines), out)
	}
	// The hit's metadata names the alert's ancestor, as in Kibana; it is
	// not a field of the alert.
	for _, want := range []string{`"kibana.alert.ancestors":[{"depth":0,"id":"a1","index":".ds-logs-endpoint.events.process-default-2026.11.20-000001","type":"event"}]`,
		`"kibana.alert.severity":"high"`, `"kibana.alert.reason":"event with process sh, on h1 created high alert Shell from hits."`} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("alert lacks %s:\n%s", want, lines[0])
		}
	}
	for _, unwanted := range []string{`"_id"`, `"_index"`, `"_version"`} {
		if strings.Contains(lines[0], unwanted) {
			t.Errorf("alert has a top-level %s:\n%s", unwanted, lines[0])
		}
	}
}

// In a folder of rules, one that does not compile is reported and skipped;
// fields no mapping knows are typed from the head of the input.
func TestHuntSkipsInvalidRulesAndInfersFields(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.toml"), []byte("[rule]\nrule_id = \"b\"\nname = \"bad\"\ntype = \"esql\"\nseverity = \"low\"\nrisk_score = 1\nquery = '''\nFROM logs-*\n| WHERE nosuch.field == 1\n'''\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "custom.toml"), []byte("[rule]\nrule_id = \"c\"\nname = \"custom\"\ntype = \"esql\"\nseverity = \"low\"\nrisk_score = 1\nquery = '''\nFROM logs-*\n| WHERE myapp.login.failures > 3\n| KEEP myapp.user, myapp.login.failures\n'''\n"), 0o644)
	input := filepath.Join(dir, "in.ndjson")
	os.WriteFile(input, []byte(`{"data_stream":{"type":"logs","dataset":"myapp","namespace":"default"},"myapp":{"user":"bob","login":{"failures":5}}}`+"\n"+
		`{"data_stream":{"type":"logs","dataset":"myapp","namespace":"default"},"myapp":{"user":"amy","login":{"failures":1}}}`+"\n"), 0o644)
	out, stderr, code := run(t, "", "hunt", "--rules", dir, input)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "invalid rule skipped: "+filepath.Join(dir, "bad.toml")+":9:9: Unknown column [nosuch.field]") {
		t.Errorf("bad rule not reported:\n%s", stderr)
	}
	if n := strings.Count(out, "\n"); n != 1 || !strings.Contains(out, `"myapp.user":"bob"`) || !strings.Contains(out, `"myapp.login.failures":5`) {
		t.Errorf("custom rule alerts:\n%s", out)
	}
}

// Out-of-order input: windows closed early would lose events, so the hunt
// notices the late events and re-reads the file with every window open.
func TestHuntShuffledInputStaysExact(t *testing.T) {
	sorted, _, code := run(t, "", "hunt", "--now", "2026-11-20T11:00:00Z", sampleData)
	if code != exitOK {
		t.Fatal("sorted hunt failed")
	}
	f, _ := os.Open(sampleData)
	zr, _ := gzip.NewReader(f)
	data, _ := io.ReadAll(zr)
	f.Close()
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	rand.New(rand.NewPCG(7, 7)).Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	shuffled := filepath.Join(t.TempDir(), "shuffled.ndjson")
	os.WriteFile(shuffled, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	out, stderr, code := run(t, "", "hunt", "--lateness", "1m", "--chunk-size", "65536", "--now", "2026-11-20T11:00:00Z", shuffled)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "re-reading it with all windows open") {
		t.Errorf("no re-read reported:\n%s", stderr)
	}
	ids := func(s string) []string {
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
			i := strings.Index(l, `"kibana.alert.uuid":"`)
			out = append(out, l[i:i+84])
		}
		slices.Sort(out)
		return out
	}
	if a, b := ids(sorted), ids(out); !slices.Equal(a, b) || len(a) != 4 {
		t.Errorf("shuffled input gave different alerts:\n%v\n%v", a, b)
	}
}

// --new-terms-history replaces new_terms rules' history windows: with none,
// every host first seen after the input's first event is new (Kibana's
// first_seen > start is strict); with the rule's 2m, only db-01.
func TestHuntNewTermsHistory(t *testing.T) {
	for _, c := range []struct {
		flag   []string
		alerts int
	}{{nil, 1}, {[]string{"--new-terms-history", "0"}, 2}, {[]string{"--new-terms-history", "1h"}, 0}} {
		args := append([]string{"hunt", "--now", "2026-11-20T11:00:00Z", "--rules", "testdata/alerts-newterms.toml"}, c.flag...)
		out, stderr, code := run(t, "", append(args, "testdata/alerts-input.ndjson")...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", c.flag, code, stderr)
		}
		if n := strings.Count(out, "kibana.alert.new_terms"); n != c.alerts {
			t.Errorf("%v: %d alerts, want %d", c.flag, n, c.alerts)
		}
	}
}

// --replay runs query and threshold rules on Kibana's schedule: the same
// alerts as the sweep, each raised once although runs overlap. The
// new_terms rule's 2m history is shorter than its 10m look-back: not
// replayed. With a 1h history, each of the three hosts is new in the
// 10:05 run (the input holds no earlier history).
func TestHuntReplayKQLRules(t *testing.T) {
	base, err := os.ReadFile("testdata/alerts-newterms.toml")
	if err != nil {
		t.Fatal(err)
	}
	hour := filepath.Join(t.TempDir(), "newterms-1h.toml")
	if err := os.WriteFile(hour, []byte(strings.Replace(string(base), `value = "now-2m"`, `value = "now-1h"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		rules  string
		alerts int
		code   int
	}{{"testdata/alerts-query.toml", 3, exitOK}, {"testdata/alerts-threshold.toml", 2, exitOK}, {"testdata/alerts-newterms.toml", 0, exitUsage}, {hour, 3, exitOK}} {
		out, stderr, code := run(t, "", "hunt", "--replay", "--now", "2026-11-20T11:00:00Z", "--rules", c.rules, "testdata/alerts-input.ndjson")
		if code != c.code {
			t.Fatalf("%s: exit %d: %s", c.rules, code, stderr)
		}
		if n := strings.Count(out, "kibana.alert.uuid"); n != c.alerts {
			t.Errorf("%s: %d alerts, want %d", c.rules, n, c.alerts)
		}
	}
}
