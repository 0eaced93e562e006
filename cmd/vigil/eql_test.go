package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"vigil/internal/config"
	"vigil/internal/doc"
	"vigil/internal/engine"
	"vigil/internal/rule"
	"vigil/internal/sample"
	"vigil/internal/server"
)

// lineIDs are the _ids Elasticsearch gives the bare lines of an input
// (doc.AutoID), by line number from 1.
func lineIDs(t *testing.T, path string) map[int]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids := map[int]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		ids[n] = doc.AutoID(sc.Bytes())
	}
	return ids
}

// An EQL event rule and an EQL sequence rule over six events, alerts
// computed by hand: the event rule matches p1 (sh under nginx) and line 3
// (BASH matches bash with `:`), not line 4 (parent sshd) nor line 6 (its
// index, endpoint.events.file, is not the rule's); the sequence rule joins
// p1 and line 2 (entity E1, 20 s apart) but not lines 4 and 5 (E3, 90 s
// apart, beyond maxspan=1m). The sequence gives two building blocks (group
// index 0, 1) and a shell alert whose ancestors are the building blocks.
// 1 and 2 threads, and no prefilter, give the same output.
func TestHuntEQLRules(t *testing.T) {
	const input = "testdata/eql/input.ndjson"
	ids := lineIDs(t, input)
	var outputs []string
	for _, flags := range [][]string{{"--threads", "1"}, {"--threads", "2"}, {"--no-prefilter"}} {
		args := append([]string{"hunt", "--now", "2026-11-20T11:00:00Z", "--rules", "testdata/eql", input}, flags...)
		out, stderr, code := run(t, "", args...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		outputs = append(outputs, out)
	}
	for i := 1; i < len(outputs); i++ {
		if outputs[i] != outputs[0] {
			t.Errorf("run %d differs from 1 thread:\n%s\n---\n%s", i, outputs[i], outputs[0])
		}
	}
	type got struct {
		Rule, BuildingBlock, Group string
		GroupIndex                 any
		Ancestors                  []string
		ProcessName                any
	}
	var alerts []got
	byID := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(outputs[0]), "\n") {
		var a map[string]any
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatal(err)
		}
		byID[a["kibana.alert.uuid"].(string)] = a
		g := got{Rule: a["kibana.alert.rule.name"].(string), GroupIndex: a["kibana.alert.group.index"], ProcessName: a["process.name"]}
		g.BuildingBlock, _ = a["kibana.alert.building_block_type"].(string)
		g.Group, _ = a["kibana.alert.group.id"].(string)
		for _, anc := range a["kibana.alert.ancestors"].([]any) {
			g.Ancestors = append(g.Ancestors, anc.(map[string]any)["id"].(string))
		}
		alerts = append(alerts, g)
	}
	if len(alerts) != 5 {
		t.Fatalf("%d alerts, want 5:\n%s", len(alerts), outputs[0])
	}
	group := alerts[4].Group
	if group == "" || alerts[3].Group != group || alerts[4].Group != group {
		t.Errorf("sequence alerts not in one group: %+v", alerts[2:])
	}
	// Building block ids as Kibana's generateBuildingBlockIds: sha256 of
	// every block's ancestors (id, index) and rule uuid, then the position.
	ruleUUID := byID[group]["kibana.alert.rule.uuid"].(string)
	base := "p1" + ".ds-logs-endpoint.events.process-default-2026.11.20-000001" + ruleUUID +
		ids[2] + "logs-endpoint.events.network-default" + ruleUUID
	bb := func(i string) string { h := sha256.Sum256([]byte(base + i)); return hex.EncodeToString(h[:]) }
	if want := []string{"p1", bb("0"), ids[2], bb("1")}; !reflect.DeepEqual(alerts[4].Ancestors, want) {
		t.Errorf("shell ancestors %v, want the events and their building blocks %v", alerts[4].Ancestors, want)
	}
	if byID[bb("0")]["kibana.alert.group.index"] != 0.0 || byID[bb("1")]["kibana.alert.group.index"] != 1.0 {
		t.Errorf("building block ids are not Kibana's")
	}
	for i := range alerts {
		alerts[i].Group = ""
	}
	alerts[4].Ancestors = nil
	want := []got{
		{Rule: "EQL web server shell", Ancestors: []string{"p1"}, ProcessName: "sh"},
		{Rule: "EQL web server shell", Ancestors: []string{ids[3]}, ProcessName: "bash"},
		{Rule: "EQL shell then connect", BuildingBlock: "default", GroupIndex: 0.0, Ancestors: []string{"p1"}, ProcessName: "sh"},
		{Rule: "EQL shell then connect", BuildingBlock: "default", GroupIndex: 1.0, Ancestors: []string{ids[2]}, ProcessName: "sh"},
		{Rule: "EQL shell then connect"},
	}
	if !reflect.DeepEqual(alerts, want) {
		t.Errorf("alerts:\n%+v\nwant:\n%+v", alerts, want)
	}
}

// Acceptance 3: the same input gives the same alerts in hunt, hunt
// --replay and serve: the event rule's two (p1 and line 3, each found by
// several overlapping runs, alerting once) and the sequence's two building
// blocks and shell — same ids, groups, ancestors and source fields. The
// input ends with an event per host ten minutes on (file events no rule
// matches), which moves serve's watermark (a quantile over the hosts) past
// the sequence.
func TestEQLHuntReplayServe(t *testing.T) {
	input := filepath.Join(t.TempDir(), "input.ndjson")
	in, err := os.ReadFile("testdata/eql/input.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"web-01", "web-02", "web-03"} {
		in = fmt.Appendf(in, `{"@timestamp":"2026-11-20T10:10:00.000Z","data_stream":{"type":"logs","dataset":"endpoint.events.file","namespace":"default"},"event":{"category":["file"],"type":["creation"]},"host":{"name":%q}}`+"\n", h)
	}
	if err := os.WriteFile(input, in, 0o644); err != nil {
		t.Fatal(err)
	}
	hunt, stderr, code := run(t, "", "hunt", "--now", "2026-11-20T11:00:00Z", "--rules", "testdata/eql", input)
	if code != exitOK {
		t.Fatalf("hunt: exit %d: %s", code, stderr)
	}
	replay, stderr, code := run(t, "", "hunt", "--replay", "--rules", "testdata/eql", input)
	if code != exitOK || !strings.Contains(stderr, "EQL shell then connect") || !strings.Contains(stderr, "5 alerts") {
		t.Fatalf("replay: exit %d, stderr: %s", code, stderr)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(in)), "\n") {
		lines = append(lines, l)
	}
	served := serveEQL(t, "testdata/eql", lines)
	h, r := eqlAlertSummary(t, hunt), eqlAlertSummary(t, replay)
	if len(h) != 5 || !reflect.DeepEqual(r, h) || !reflect.DeepEqual(served, h) {
		t.Errorf("hunt:\n%s\nreplay:\n%s\nserve:\n%s", strings.Join(h, "\n"), strings.Join(r, "\n"), strings.Join(served, "\n"))
	}
	_, stderr, code = run(t, "", "hunt", "--replay", "--rules", "testdata/eql/sequence.toml", input)
	if code != exitOK || !strings.Contains(stderr, "3 alerts") {
		t.Errorf("sequence only: exit %d, stderr: %s", code, stderr)
	}
}

// eqlAlertSummary renders NDJSON alerts (or the API's) as sorted lines of
// what hunt, replay and serve must agree on.
func eqlAlertSummary(t *testing.T, ndjson string) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(ndjson), "\n") {
		var a map[string]any
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		var anc []string
		for _, x := range a["kibana.alert.ancestors"].([]any) {
			anc = append(anc, x.(map[string]any)["id"].(string))
		}
		out = append(out, fmt.Sprint(a["kibana.alert.uuid"], " ", a["kibana.alert.rule.name"], " group=", a["kibana.alert.group.id"], "/", a["kibana.alert.group.index"],
			" bb=", a["kibana.alert.building_block_type"], " anc=", anc, " process=", a["process.name"], "/", a["process.entity_id"], " host=", a["host.name"],
			" original_time=", a["kibana.alert.original_time"], " original_event=", a["kibana.alert.original_event.category"]))
	}
	sort.Strings(out)
	return out
}

// serveEQL serves the rules under dir (a real-time server, allowed
// lateness 0), sends the lines to its _bulk endpoint as a shipper would
// (a search hit line as its _index, _id and _source; a bare line to its
// data stream) and returns the alerts stored, NDJSON.
func serveEQL(t *testing.T, dir string, lines []string) []string {
	t.Helper()
	res, err := rule.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	cat := &engine.Catalog{}
	var eqlRules []*engine.EQLRule
	for _, r := range res.Rules {
		er, err := engine.CompileEQL(r, cat)
		if err != nil {
			t.Fatal(err)
		}
		eqlRules = append(eqlRules, er)
	}
	cfg := config.Default()
	cfg.Listen, cfg.DataDir, cfg.AllowedLateness.Duration = "127.0.0.1:0", t.TempDir(), 0
	srv, err := server.New(server.Options{Config: cfg, EQLRules: eqlRules, Mapping: cat.DecoderMapping(), Catalog: cat, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())
	url := "http://" + ln.Addr().String()
	var body strings.Builder
	for _, l := range lines {
		var m struct {
			Index  string          `json:"_index"`
			ID     string          `json:"_id"`
			Source json.RawMessage `json:"_source"`
			DS     struct {
				Dataset string `json:"dataset"`
			} `json:"data_stream"`
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		if m.Source != nil {
			fmt.Fprintf(&body, `{"create":{"_index":%q,"_id":%q}}`+"\n%s\n", m.Index, m.ID, m.Source)
		} else {
			fmt.Fprintf(&body, `{"create":{"_index":"logs-%s-default"}}`+"\n%s\n", m.DS.Dataset, l)
		}
	}
	var resp *http.Response
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err = http.Post(url+"/_bulk", "application/x-ndjson", strings.NewReader(body.String()))
		if err == nil && resp.StatusCode != 429 { // 429: the spool replays
			break
		}
		if err == nil {
			resp.Body.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("bulk: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Contains(string(b), `"errors":true`) {
		t.Fatalf("bulk: %d %s", resp.StatusCode, b)
	}
	srv.Sync()
	resp, err = http.Get(url + "/api/alerts?size=100")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l struct{ Alerts []json.RawMessage }
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range l.Alerts {
		out = append(out, string(a))
	}
	return eqlAlertSummary(t, strings.Join(out, "\n"))
}

func TestQueryEQL(t *testing.T) {
	const input = "testdata/eql/input.ndjson"
	ids := lineIDs(t, input)
	out, stderr, code := run(t, "", "query", "--format", "csv", "--eql", `process where process.name : "SH"`, input)
	want := "_index,_id,@timestamp,event.sequence,event.category,process.name\n" +
		".ds-logs-endpoint.events.process-default-2026.11.20-000001,p1,2026-11-20T10:00:00.000Z,,process,sh\n" +
		"logs-endpoint.events.file-default," + ids[6] + ",2026-11-20T10:00:10.000Z,,process,sh\n" +
		"logs-endpoint.events.process-default," + ids[4] + ",2026-11-20T10:01:30.000Z,,process,sh\n"
	if code != exitOK || out != want {
		t.Errorf("exit %d, stderr %s\n%s\nwant:\n%s", code, stderr, out, want)
	}
	out, stderr, code = run(t, "", "query", "--format", "csv", "--eql",
		`sequence by process.entity_id with maxspan=1m [process where process.name == "sh"] [network where true]`, input)
	want = "sequence,join_key.0,_index,_id,@timestamp,event.sequence,event.category,process.name,process.entity_id\n" +
		"1,E1,.ds-logs-endpoint.events.process-default-2026.11.20-000001,p1,2026-11-20T10:00:00.000Z,,process,sh,E1\n" +
		"1,E1,logs-endpoint.events.network-default," + ids[2] + ",2026-11-20T10:00:20.000Z,,network,sh,E1\n"
	if code != exitOK || out != want {
		t.Errorf("exit %d, stderr %s\n%s\nwant:\n%s", code, stderr, out, want)
	}
	if _, stderr, code = run(t, "", "query", "--eql", `process where`, input); code != exitUsage || !strings.Contains(stderr, "1:14") {
		t.Errorf("syntax error: exit %d, %s", code, stderr)
	}
}

// --exceptions apply to EQL rules on their source events, counted per item
// in the summary: the event rule's item removes line 3 (its bash alert
// goes), the sequence rule's removes line 2, the second stage of its only
// sequence (no sequence alert is left).
func TestHuntEQLExceptions(t *testing.T) {
	for _, flags := range [][]string{{"--threads", "1"}, {"--no-prefilter"}} {
		args := append([]string{"hunt", "--now", "2026-11-20T11:00:00Z", "--rules", "testdata/eql", "--exceptions", "testdata/eql-exceptions.ndjson", "testdata/eql/input.ndjson"}, flags...)
		out, stderr, code := run(t, "", args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", flags, code, stderr)
		}
		if n := strings.Count(out, "\n"); n != 1 || !strings.Contains(out, `"_id":"p1"`) && !strings.Contains(out, `"id":"p1"`) {
			t.Errorf("%v: %d alerts, want p1's only:\n%s", flags, n, out)
		}
		for _, want := range []string{
			"exception bash-shell (approved bash) of list 6a0f1c2e-9a55-4c1e-8d0e-1b2c3d4e5f60: 1 source events removed, 0 alerts removed",
			"exception scanner of list 7b1e2d3f-0a66-4d2f-9e1f-2c3d4e5f6a71: 1 source events removed, 0 alerts removed",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", flags, want, stderr)
			}
		}
		if strings.Contains(stderr, "not applied to eql rules") {
			t.Errorf("%v: stale warning:\n%s", flags, stderr)
		}
	}
}

// `vigil sample --eql` writes the EQL scenario data set, and `vigil hunt`
// with two of its rules (an event query, a sequence) alerts on exactly
// their attacks' events, read back from the alerts' source fields.
func TestSampleEQLHunt(t *testing.T) {
	const rules = "../../../shared/rules/eql/"
	if _, err := os.Stat(rules); err != nil {
		t.Skip("shared rules absent")
	}
	path := filepath.Join(t.TempDir(), "eql.ndjson")
	if _, stderr, code := run(t, "", "sample", "--eql", "-o", path); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := sample.DefaultConfig()
	cfg.EQL = sample.EQLScenarios
	var want bytes.Buffer
	if _, err := sample.Generate(&want, cfg); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatal("vigil sample --eql differs from sample.Generate with the EQL scenarios")
	}
	out, stderr, code := run(t, "", "hunt", "--format", "ndjson",
		"--rules", rules+"rules__linux__defense_evasion_clear_kernel_ring_buffer.toml",
		"--rules", rules+"rules__linux__persistence_suspicious_ssh_execution_xzbackdoor.toml", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var ids []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var a map[string]any
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatal(err)
		}
		if id, ok := a["event.id"].(string); ok { // a sequence's shell alert has no source event
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if want := []string{
		"scenario:linux__defense_evasion_clear_kernel_ring_buffer:attack:0",
		"scenario:linux__persistence_suspicious_ssh_execution_xzbackdoor:attack:0",
		"scenario:linux__persistence_suspicious_ssh_execution_xzbackdoor:attack:1",
	}; !slices.Equal(ids, want) {
		t.Errorf("alerts on %v, want %v", ids, want)
	}
}
