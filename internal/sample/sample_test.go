package sample

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestGenerateDeterministicAndValid(t *testing.T) {
	var a, b bytes.Buffer
	n, err := Generate(&a, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(&b, DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same seed gave different output")
	}
	lines := bytes.Split(bytes.TrimSpace(a.Bytes()), []byte("\n"))
	if len(lines) != n || n < 1000 {
		t.Fatalf("%d lines for %d events", len(lines), n)
	}
	prev := ""
	for i, l := range lines {
		var d struct {
			TS string `json:"@timestamp"`
		}
		if err := json.Unmarshal(l, &d); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if d.TS < prev {
			t.Fatalf("line %d: out of time order", i+1)
		}
		prev = d.TS
	}
}

// The bundled data set must be exactly what the generator makes, so the
// README's quick start, the golden alerts and the generator never drift apart.
func TestBundledSampleIsGenerated(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "examples", "sample-events.ndjson.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if _, err := Generate(&want, DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatal("examples/sample-events.ndjson.gz is stale: regenerate it with `go run ./cmd/vigil sample -o examples/sample-events.ndjson.gz`")
	}
}

// With the EQL scenarios on, the data holds every event of the data set
// without them, in the same order (the seed rule's data is unchanged), and
// the same seed still gives the same bytes.
func TestGenerateEQLKeepsOtherEvents(t *testing.T) {
	var plain, a, b bytes.Buffer
	if _, err := Generate(&plain, DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.EQL = EQLScenarios
	for _, w := range []*bytes.Buffer{&a, &b} {
		if _, err := Generate(w, cfg); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same seed gave different output")
	}
	want := bytes.Split(bytes.TrimSpace(plain.Bytes()), []byte("\n"))
	got := bytes.Split(bytes.TrimSpace(a.Bytes()), []byte("\n"))
	i := 0
	for _, l := range got {
		if i < len(want) && bytes.Equal(l, want[i]) {
			i++
		}
	}
	if i != len(want) || len(got) <= len(want) {
		t.Fatalf("%d of %d events kept in order, %d events in all", i, len(want), len(got))
	}
}

// Every field of the generated file, network and process events is one
// Elastic Defend writes for its kind: process events against the Linux
// fork/exec/end field list in ../shared/samples, file and network events
// against the endpoint-package's lists for Linux file creation and network
// connections (package/endpoint/docs/custom_documentation/{file,network}/
// linux) and macOS launch_daemon events (Persistence.*). event.ingested is
// the ingest pipeline's. Every kind of event the scenarios use appears.
func TestEQLEventFields(t *testing.T) {
	const fieldList = "../../../shared/samples/endpoint_package_linux_process_fork_exec_exit_fields.yaml"
	data, err := os.ReadFile(fieldList)
	if err != nil {
		t.Skip("shared samples absent")
	}
	process := map[string]bool{"event.ingested": true}
	for _, l := range strings.Split(string(data), "\n") {
		if f, ok := strings.CutPrefix(l, "  - "); ok {
			process[strings.Trim(strings.TrimSpace(f), "'")] = true
		}
	}
	common := []string{"@timestamp", "agent.", "data_stream.", "ecs.version", "event.", "host.", "message", "user.id", "user.name",
		"process.Ext.ancestry", "process.entity_id", "process.executable", "process.name", "process.parent.entity_id", "process.pid"}
	other := map[string][]string{
		"file":    append([]string{"file.extension", "file.name", "file.path", "Persistence."}, common...),
		"network": append([]string{"destination.address", "destination.ip", "destination.port", "source.address", "source.ip", "source.port", "network.transport", "network.type"}, common...),
	}
	cfg := DefaultConfig()
	cfg.EQL = EQLScenarios
	var buf bytes.Buffer
	if _, err := Generate(&buf, cfg); err != nil {
		t.Fatal(err)
	}
	actions := map[string]bool{}
	for n, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var d map[string]any
		if err := json.Unmarshal(l, &d); err != nil {
			t.Fatal(err)
		}
		if d["message"] == nil {
			continue // the seed rule's process events
		}
		ev := d["event"].(map[string]any)
		kind := ev["category"].([]any)[0].(string)
		actions[kind+":"+ev["action"].(string)] = true
		for _, f := range leafFields("", d) {
			ok := process[f]
			if kind != "process" {
				ok = slices.ContainsFunc(other[kind], func(p string) bool { return f == p || strings.HasSuffix(p, ".") && strings.HasPrefix(f, p) })
			}
			if !ok {
				t.Fatalf("line %d: %s event has field %s, which Defend does not write", n+1, kind, f)
			}
		}
	}
	for _, a := range []string{"process:exec", "process:fork", "process:end", "file:creation", "file:deletion", "file:modification",
		"file:launch_daemon", "network:connection_attempted", "network:connection_accepted"} {
		if !actions[a] {
			t.Errorf("no %s event", a)
		}
	}
}

// leafFields are the dotted names of d's leaf values (arrays of objects
// name their objects' fields).
func leafFields(prefix string, v any) []string {
	switch v := v.(type) {
	case map[string]any:
		var out []string
		for k, x := range v {
			out = append(out, leafFields(prefix+k+".", x)...)
		}
		return out
	case []any:
		if len(v) > 0 {
			if _, ok := v[0].(map[string]any); ok {
				var out []string
				for _, x := range v {
					out = append(out, leafFields(prefix, x)...)
				}
				return out
			}
		}
	}
	return []string{strings.TrimSuffix(prefix, ".")}
}

// The scenario table is well formed: rule files named once, every case
// with events on a named host and short enough for its slot, and
// generation (which rejects unknown processes and kinds) succeeds.
func TestEQLScenarioTable(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range EQLScenarios {
		if seen[s.Rule] || !strings.HasPrefix(s.Rule, "rules__") || len(s.NearMisses) == 0 {
			t.Errorf("%s: duplicate, misnamed or without near misses", s.Rule)
		}
		seen[s.Rule] = true
		for _, c := range s.Cases() {
			var span time.Duration
			for _, e := range c.Events {
				span = max(span, time.Duration(e.At*float64(time.Second)))
			}
			if span > maxCaseSpan || maxCaseSpan+MaxRuleSpan >= eqlSlot {
				t.Errorf("%s: case %q lasts %v: more than %v, or slots too short", s.Rule, c.Why, span, maxCaseSpan)
			}
			if len(c.Events) == 0 || c.Why == "" || !slices.ContainsFunc(namedHosts, func(h namedHost) bool { return h.name == c.Host }) {
				t.Errorf("%s: case %q: no events, no description or not a named host", s.Rule, c.Why)
			}
		}
	}
}

// docs/eql.md lists every scenario with its attack and near misses.
func TestEQLScenariosDocumented(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "eql.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range EQLScenarios {
		for _, c := range s.Cases() {
			row := "`" + s.Name() + "` ("
			i := bytes.Index(data, []byte(row))
			if i < 0 || !bytes.Contains(data[i:i+bytes.IndexByte(data[i:], '\n')], []byte(c.Why)) {
				t.Errorf("docs/eql.md: no row %s… saying %q", row, c.Why)
			}
		}
	}
}

// Every scenario's parent process has its own exec event under a lineage
// of processes that have theirs, up to the host's one root (init); every
// process event below carries that chain in process.Ext.ancestry, parent
// first; a host's daemons start once, whatever the chains they serve; and
// no lineage process is started by Python, so the seed rule's filter
// rejects them all.
func TestLineage(t *testing.T) {
	var buf bytes.Buffer
	if _, err := Generate(&buf, DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	type ev struct {
		Host    struct{ Name string }
		Event   struct{ Action string }
		Process struct {
			EntityID string `json:"entity_id"`
			Name     string
			Parent   struct {
				EntityID string `json:"entity_id"`
				Name     string
			}
			Ext struct{ Ancestry []string }
		}
	}
	var events []ev
	starts := map[string]ev{} // exec events by entity id
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var e ev
		if err := json.Unmarshal(l, &e); err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
		if e.Event.Action == "exec" {
			if _, dup := starts[e.Process.EntityID]; dup {
				t.Errorf("%s %s: two exec events", e.Host.Name, e.Process.Name)
			}
			starts[e.Process.EntityID] = e
		}
	}
	parents := map[string]bool{}           // the parents of events with a lineage
	lineage := map[string]bool{}           // every process of a lineage
	levels := map[string]map[string]bool{} // host, depth and name: entity ids
	for _, e := range events {
		a := e.Process.Ext.Ancestry
		if len(a) < 2 {
			continue // background: the parent alone
		}
		var links []string
		for p, ok := starts[e.Process.Parent.EntityID]; ok; p, ok = starts[p.Process.Parent.EntityID] {
			links = append(links, p.Process.EntityID)
			if p.Host.Name != e.Host.Name {
				t.Errorf("%s on %s: ancestor %s on %s", e.Process.Name, e.Host.Name, p.Process.Name, p.Host.Name)
			}
		}
		if !slices.Equal(a, links) {
			t.Errorf("%s on %s: ancestry %q, exec events' parent links %q", e.Process.Name, e.Host.Name, a, links)
		}
		for depth, id := range slices.Backward(a) {
			lineage[id] = true
			key := fmt.Sprintf("%s %d %s", e.Host.Name, len(a)-1-depth, starts[id].Process.Name)
			if depth >= len(a)-2 { // the root and the daemons below it
				if levels[key] == nil {
					levels[key] = map[string]bool{}
				}
				levels[key][id] = true
			}
		}
	}
	for _, e := range events {
		if a := e.Process.Ext.Ancestry; len(a) >= 2 && !lineage[e.Process.EntityID] {
			parents[a[0]] = true // a scenario's shell
		}
	}
	if len(parents) != len(Scenarios) {
		t.Errorf("%d parents with a lineage, want one per scenario (%d)", len(parents), len(Scenarios))
	}
	for key, ids := range levels {
		if len(ids) != 1 {
			t.Errorf("%s: %d processes, want the host's one", key, len(ids))
		}
	}
	for id := range lineage {
		if p := starts[id].Process.Parent.Name; strings.HasPrefix(strings.ToLower(p), "python") {
			t.Errorf("lineage process %s started by %s", starts[id].Process.Name, p)
		}
	}
}
