package server

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/config"
	"vigil/internal/doc"
	"vigil/internal/engine"
)

// proc is a hand-built Elastic Defend process event.
type proc struct {
	at               time.Time
	host, id, parent string
	name, cmd        string
	pid              int
	ancestry         []string
	end              bool
	parentName       string // process.parent.name (default python3)
}

func (p proc) json() string {
	typ, action := []string{"start"}, "exec"
	if p.end {
		typ, action = []string{"end"}, "end"
	}
	parent := map[string]any{"name": "python3", "executable": "/usr/bin/python3"}
	if p.parentName != "" {
		parent["name"] = p.parentName
	}
	if p.parent != "" {
		parent["entity_id"] = p.parent
	}
	pr := map[string]any{"entity_id": p.id, "pid": p.pid, "name": p.name, "executable": "/bin/" + p.name,
		"command_line": p.cmd, "args": strings.Fields(p.cmd), "parent": parent, "working_directory": "/tmp",
		"user": map[string]any{"name": "svc"}}
	if p.ancestry != nil {
		pr["Ext"] = map[string]any{"ancestry": p.ancestry}
	}
	m := map[string]any{
		"@timestamp":  p.at.UTC().Format("2006-01-02T15:04:05.000Z"),
		"data_stream": map[string]any{"type": "logs", "dataset": "endpoint.events.process", "namespace": "default"},
		"event":       map[string]any{"action": action, "type": typ, "category": []string{"process"}},
		"host":        map[string]any{"name": p.host, "id": "id-" + p.host, "os": map[string]any{"type": "linux"}},
		"agent":       map[string]any{"id": "agent-" + p.host},
		"process":     pr,
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// burst is five shell children of parent, one per command kind the seed
// rule counts: enough for an alert.
func burst(at time.Time, host, parent, prefix string, ancestry []string) []proc {
	var out []proc
	for i, c := range []string{"whoami", "curl -s http://x", "find / -name k", "env | sort", "wget http://y"} {
		out = append(out, proc{at: at.Add(time.Duration(i) * time.Second), host: host, id: fmt.Sprintf("%s-%d", prefix, i),
			parent: parent, name: "sh", cmd: "sh -c " + c, pid: 2000 + i, ancestry: ancestry})
	}
	return out
}

type treeNode struct {
	EntityID string   `json:"entity_id"`
	Parent   *string  `json:"parent_entity_id"`
	PID      *int     `json:"pid"`
	Name     string   `json:"name"`
	Args     []string `json:"args"`
	Start    *string  `json:"start"`
	End      *string  `json:"end"`
	Role     string   `json:"role"`
	Matched  bool     `json:"matched"`
	AlertIDs []string `json:"alert_ids"`
	Missing  bool     `json:"missing"`
}

type treeAnswer struct {
	AlertID   string     `json:"alert_id"`
	Focus     string     `json:"focus"`
	HostID    string     `json:"host_id"`
	Nodes     []treeNode `json:"nodes"`
	Truncated bool       `json:"truncated"`
}

func (ts *testServer) get(t *testing.T, path string, into any) int {
	t.Helper()
	code, _, body := do(t, "GET", ts.url+path, ts.cfg.Auth.Token, "")
	if code == 200 && into != nil {
		if err := json.Unmarshal([]byte(body), into); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, body)
		}
	}
	return code
}

func shapeOf(tr treeAnswer) string {
	var parts []string
	for _, n := range tr.Nodes {
		s := n.Role + ":" + n.EntityID
		if n.Missing {
			s += "*"
		}
		if n.Matched {
			s += "!"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// Acceptance 3 (issue 17): /events, /tree and /processes/{id} over
// hand-built process trees — a full lineage with pid reuse, a parent that
// never sent an event, a cycle in bad data, and a parent of 10,000
// children — each answered correctly and bounded.
func TestInvestigationAPI(t *testing.T) {
	base := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	clock := newFakeClock(base.Add(time.Hour))
	ts := start(t, "", nil, func(o *Options) { o.Clock = clock })
	defer ts.stop(t)

	var evs []proc
	// h1: init → sshd → bash → python P; P's five shells (two share a
	// pid: the OS reused it), a grandchild, P's sibling vim, and an
	// unrelated process on another host at the same time.
	evs = append(evs,
		proc{at: base, host: "h1", id: "init", name: "systemd", cmd: "/sbin/init", pid: 1, parentName: "-"},
		proc{at: base.Add(time.Second), host: "h1", id: "sshd", parent: "init", name: "sshd", cmd: "sshd -D", pid: 10, parentName: "systemd"},
		proc{at: base.Add(2 * time.Second), host: "h1", id: "bash", parent: "sshd", name: "bash", cmd: "-bash", pid: 11, parentName: "sshd"},
		proc{at: base.Add(3 * time.Second), host: "h1", id: "P", parent: "bash", name: "python3", cmd: "python3 job.py", pid: 12, parentName: "bash"},
		proc{at: base.Add(4 * time.Second), host: "h1", id: "vim", parent: "bash", name: "vim", cmd: "vim notes", pid: 13, parentName: "bash"},
	)
	shells := burst(base.Add(10*time.Second), "h1", "P", "P-sh", []string{"P", "bash", "sshd", "init"})
	shells[3].pid = shells[1].pid // pid reuse
	evs = append(evs, shells...)
	evs = append(evs,
		proc{at: base.Add(12 * time.Second), host: "h1", id: "curl", parent: "P-sh-1", name: "curl", cmd: "curl -s http://x", pid: 3000, parentName: "sh"},
		proc{at: base.Add(20 * time.Second), host: "h1", id: "P-sh-0", parent: "P", name: "sh", cmd: "sh -c whoami", pid: 2000, end: true},
		proc{at: base.Add(11 * time.Second), host: "h2", id: "other", parent: "x", name: "ls", cmd: "ls", pid: 5, parentName: "bash"},
	)
	// h3: the Python parent M never sent an event; its shells' ancestry
	// names it and a parent "gone" that sent none either.
	evs = append(evs, burst(base.Add(2*time.Minute), "h3", "M", "M-sh", []string{"M", "gone"})...)
	// h4: bad data, Q's parent is R and R's parent is Q.
	evs = append(evs,
		proc{at: base.Add(3 * time.Minute), host: "h4", id: "Q", parent: "R", name: "python3", cmd: "python3 q.py", pid: 40, parentName: "r"},
		proc{at: base.Add(3 * time.Minute), host: "h4", id: "R", parent: "Q", name: "r", cmd: "r", pid: 41},
	)
	evs = append(evs, burst(base.Add(3*time.Minute+time.Second), "h4", "Q", "Q-sh", nil)...)
	// h5: W has 10,000 shell children, every command line distinct.
	evs = append(evs, proc{at: base.Add(4 * time.Minute), host: "h5", id: "W", name: "python3", cmd: "python3 w.py", pid: 50, parentName: "-"})
	for i := range 10_000 {
		c := []string{"whoami", "curl -s http://x", "find / -name k", "env | sort", "wget http://y"}[i%5]
		evs = append(evs, proc{at: base.Add(4*time.Minute + time.Duration(i)*time.Millisecond), host: "h5", id: fmt.Sprintf("W-sh-%05d", i),
			parent: "W", name: "sh", cmd: fmt.Sprintf("sh -c %s #%d", c, i), pid: 6000 + i})
	}
	lines := make([]string, len(evs))
	for i, e := range evs {
		lines[i] = e.json()
	}
	for i := 0; i < len(lines); i += 2000 {
		code, _, body := do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, lines[i:min(i+2000, len(lines))]...), "Content-Type", "application/x-ndjson")
		if code != 200 || strings.Contains(body, `"errors":true`) {
			t.Fatalf("bulk: %d %.300s", code, body)
		}
	}
	ts.Sync()

	byParent := map[string]string{}
	for _, a := range ts.alerts(t, "?size=100").Alerts {
		byParent[a["process.parent.entity_id"].(string)] = a["kibana.alert.uuid"].(string)
	}
	if len(byParent) != 4 {
		t.Fatalf("alerts by parent: %v", byParent)
	}

	type eventsAnswer struct {
		AlertID string `json:"alert_id"`
		Events  []struct {
			ID     string         `json:"_id"`
			Index  string         `json:"_index"`
			Source map[string]any `json:"_source"`
		} `json:"events"`
		Total     int  `json:"total"`
		Truncated bool `json:"truncated"`
	}
	tests := []struct {
		name, parent   string
		tree           string
		treeTruncated  bool
		events         int
		total          int
		eventsTruncate bool
	}{
		{name: "lineage, pid reuse, grandchild, sibling", parent: "P",
			tree:   "ancestor:init ancestor:sshd ancestor:bash focus:P child:P-sh-0! child:P-sh-1! child:P-sh-2! child:P-sh-3! child:P-sh-4! descendant:curl sibling:vim",
			events: 5, total: 5},
		{name: "missing parent", parent: "M", tree: "ancestor:gone* focus:M* child:M-sh-0! child:M-sh-1! child:M-sh-2! child:M-sh-3! child:M-sh-4!",
			events: 5, total: 5},
		{name: "cycle", parent: "Q", tree: "ancestor:R focus:Q child:Q-sh-0! child:Q-sh-1! child:Q-sh-2! child:Q-sh-3! child:Q-sh-4!",
			treeTruncated: true, events: 5, total: 5},
		{name: "10,000 children", parent: "W", treeTruncated: true, events: 1000, total: 10_000, eventsTruncate: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := byParent[tc.parent]
			var ea eventsAnswer
			start := time.Now()
			if code := ts.get(t, "/api/alerts/"+id+"/events", &ea); code != 200 {
				t.Fatalf("events: %d", code)
			}
			if ea.AlertID != id || len(ea.Events) != tc.events || ea.Total != tc.total || ea.Truncated != tc.eventsTruncate {
				t.Errorf("events: %d of %d, truncated %v", len(ea.Events), ea.Total, ea.Truncated)
			}
			for i, e := range ea.Events {
				p := e.Source["process"].(map[string]any)["parent"].(map[string]any)
				if e.ID == "" || e.Index != processIndex || p["entity_id"] != tc.parent {
					t.Errorf("event %d: %s %s parent %v", i, e.ID, e.Index, p["entity_id"])
				}
				if i > 0 && e.Source["@timestamp"].(string) < ea.Events[i-1].Source["@timestamp"].(string) {
					t.Errorf("events not in time order at %d", i)
				}
			}
			var tr treeAnswer
			if code := ts.get(t, "/api/alerts/"+id+"/tree", &tr); code != 200 {
				t.Fatalf("tree: %d", code)
			}
			if d := time.Since(start); d > 20*time.Second { // generous: -race, a loaded machine
				t.Errorf("events and tree took %s", d)
			}
			if tr.AlertID != id || tr.Focus != tc.parent || tr.Truncated != tc.treeTruncated {
				t.Errorf("tree: alert %s focus %s truncated %v", tr.AlertID, tr.Focus, tr.Truncated)
			}
			if tc.tree != "" && shapeOf(tr) != tc.tree {
				t.Errorf("tree\n got %s\nwant %s", shapeOf(tr), tc.tree)
			}
			for _, n := range tr.Nodes {
				if n.Matched && (len(n.AlertIDs) != 1 || n.AlertIDs[0] != id) {
					t.Errorf("node %s alert_ids %v", n.EntityID, n.AlertIDs)
				}
			}
			if tc.parent == "W" {
				children := 0
				for _, n := range tr.Nodes {
					if n.Role == "child" {
						children++
					}
				}
				if children == 0 || children > 1000 || len(tr.Nodes) > 2000 {
					t.Errorf("10,000-child parent: %d children of %d nodes", children, len(tr.Nodes))
				}
			}
		})
	}

	// Node fields, pid reuse and an end event, through /processes.
	var pa struct {
		Process treeNode `json:"process"`
		Events  []struct {
			ID string `json:"_id"`
		} `json:"events"`
	}
	if code := ts.get(t, "/api/processes/P-sh-0", &pa); code != 200 {
		t.Fatalf("process: %d", code)
	}
	if n := pa.Process; n.Name != "sh" || *n.PID != 2000 || n.Start == nil || *n.Start != "2026-11-20T09:00:10.000Z" ||
		n.End == nil || *n.End != "2026-11-20T09:00:20.000Z" || *n.Parent != "P" || len(n.AlertIDs) != 1 || len(pa.Events) != 2 {
		t.Errorf("process P-sh-0: %+v, %d events", n, len(pa.Events))
	}
	if code := ts.get(t, "/api/processes/P-sh-3", &pa); code != 200 || *pa.Process.PID != 2001 || pa.Process.EntityID != "P-sh-3" || pa.Process.End != nil {
		t.Errorf("process P-sh-3 (pid reused): %d %+v", code, pa.Process)
	}
	if code := ts.get(t, "/api/processes/M", &pa); code != 200 || !pa.Process.Missing || pa.Process.Name != "python3" || len(pa.Events) != 0 {
		t.Errorf("process M (no events of its own): %d %+v", code, pa.Process)
	}
	if code := ts.get(t, "/api/processes/nope", nil); code != 404 {
		t.Errorf("unknown process: %d", code)
	}
	for _, p := range []string{"/events", "/tree", "/timeline"} {
		if code := ts.get(t, "/api/alerts/nope"+p, nil); code != 404 {
			t.Errorf("unknown alert %s: %d", p, code)
		}
	}

	// The timeline: h1's process events within a minute of the alert's
	// evidence (10s to 14s past base), h2's not.
	var tl struct {
		HostID string `json:"host_id"`
		From   string `json:"from"`
		To     string `json:"to"`
		Events []struct {
			Source map[string]any `json:"_source"`
		}
		Truncated bool
	}
	if code := ts.get(t, "/api/alerts/"+byParent["P"]+"/timeline?before=8s&after=1m", &tl); code != 200 {
		t.Fatalf("timeline: %d", code)
	}
	var names []string
	for _, e := range tl.Events {
		names = append(names, e.Source["process"].(map[string]any)["entity_id"].(string))
	}
	if tl.HostID != "id-h1" || tl.From != "2026-11-20T09:00:02.000Z" || tl.To != "2026-11-20T09:01:14.000Z" ||
		strings.Join(names, " ") != "bash P vim P-sh-0 P-sh-1 P-sh-2 curl P-sh-3 P-sh-4 P-sh-0" || tl.Truncated {
		t.Errorf("timeline %s %s..%s: %v truncated %v", tl.HostID, tl.From, tl.To, names, tl.Truncated)
	}
	if code := ts.get(t, "/api/alerts/"+byParent["P"]+"/timeline?before=banana", nil); code != 400 {
		t.Errorf("bad before: %d", code)
	}
}

// The service's evidence is the hunt's: the shuffled-shippers data (batches
// up to two hours out of event-time order, late events re-opening closed
// windows, repeated command lines that change nothing in an alert) sent in
// shuffled _bulk batches gives every alert exactly the events
// engine.EvidenceCollector finds in one in-order pass, as `hunt
// --evidence` does.
func TestEvidenceMatchesHunt(t *testing.T) {
	lines := parallelData(t, 12, 60)
	// Another event of a burst's last command (its own event.id), sent last
	// on its own: late, and no change to its alert's content.
	var again map[string]any
	if err := json.Unmarshal(lines[len(lines)-1], &again); err != nil {
		t.Fatal(err)
	}
	again["event"].(map[string]any)["id"] = "again"
	repeat, _ := json.Marshal(again)
	lines = append(lines, repeat)
	rules := seedRules(t)
	res := huntRules(t, rules, lines)
	m := (&engine.Catalog{}).DecoderMapping()
	c := engine.NewEvidenceCollector(rules, res[0].Alerts)
	edec := doc.NewDecoder(m, doc.DecodeOptions{Dynamic: true, Fields: c.Fields()})
	for _, l := range lines {
		d, err := edec.Decode(l)
		if err != nil {
			t.Fatal(err)
		}
		d.ID = doc.AutoID(l)
		c.Offer(d, l)
	}

	var batches [][][]byte
	for i := 0; i < len(lines)-1; i += 200 {
		batches = append(batches, lines[i:min(i+200, len(lines)-1)])
	}
	rand.New(rand.NewPCG(5, 5)).Shuffle(len(batches), func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })
	batches = append(batches, [][]byte{repeat})
	clock := newFakeClock(time.Date(2026, 11, 20, 11, 1, 0, 0, time.UTC))
	ts := start(t, "", nil, func(o *Options) { o.Clock = clock })
	defer ts.stop(t)
	for _, b := range batches {
		evs := make([]string, len(b))
		for i, l := range b {
			evs[i] = string(l)
		}
		if code, _, body := do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, evs...), "Content-Type", "application/x-ndjson"); code != 200 {
			t.Fatalf("bulk: %d %.200s", code, body)
		}
	}
	ts.Sync()
	if len(res[0].Alerts) < 50 {
		t.Fatalf("%d alerts from the hunt", len(res[0].Alerts))
	}
	repeated := 0
	for _, a := range res[0].Alerts {
		want := c.Evidence(a.ID)
		var got struct {
			Events []struct {
				ID string `json:"_id"`
			} `json:"events"`
			Total int `json:"total"`
		}
		if code := ts.get(t, "/api/alerts/"+a.ID+"/events", &got); code != 200 {
			t.Errorf("alert %s (host %v): %d", a.ID, a.Fields["host.name"], code)
			continue
		}
		var w, g []string
		for _, e := range want.Events {
			w = append(w, e.ID)
		}
		for _, e := range got.Events {
			g = append(g, e.ID)
		}
		slices.Sort(w)
		slices.Sort(g)
		if !slices.Equal(w, g) || got.Total != want.Total {
			t.Errorf("alert %s (host %v): serve has %d of %d events %v, hunt %d of %d %v", a.ID, a.Fields["host.name"], len(g), got.Total, g, len(w), want.Total, w)
		}
		if cd, _ := a.Fields["Esql.process_command_line_count_distinct"].(int64); want.Total > int(cd) {
			repeated++
		}
	}
	if repeated == 0 {
		t.Error("no alert has a repeated command line: the test does not exercise rows that change nothing")
	}
}

// investigate.retention: process events older than the retention behind
// the newest stored one are pruned (event time), and evidence stored
// longer ago than the retention (wall clock).
func TestInvestigationRetention(t *testing.T) {
	base := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	clock := newFakeClock(base.Add(3 * time.Hour))
	ts := start(t, "", func(c *config.Config) { c.Investigate.Retention.Duration = time.Hour }, func(o *Options) { o.Clock = clock })
	defer ts.stop(t)
	var lines []string
	for _, p := range burst(base, "h1", "OLD", "old", nil) {
		lines = append(lines, p.json())
	}
	lines = append(lines, proc{at: base.Add(150 * time.Minute), host: "h1", id: "NEW", name: "ls", cmd: "ls", pid: 9}.json())
	if code, _, body := do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, lines...), "Content-Type", "application/x-ndjson"); code != 200 {
		t.Fatalf("bulk: %d %s", code, body)
	}
	ts.Sync()
	alerts := ts.alerts(t, "").Alerts
	if len(alerts) != 1 {
		t.Fatalf("%d alerts", len(alerts))
	}
	id := alerts[0]["kibana.alert.uuid"].(string)
	prune := func() {
		for ts.pruneInvestigation() {
		}
	}
	prune()
	if code := ts.get(t, "/api/processes/old-0", nil); code != 404 {
		t.Errorf("a process event 150 minutes older than the newest: %d, want pruned (404)", code)
	}
	if code := ts.get(t, "/api/processes/NEW", nil); code != 200 {
		t.Errorf("the newest process event: %d", code)
	}
	var ev struct{ Total int }
	if ts.get(t, "/api/alerts/"+id+"/events", &ev); ev.Total != 5 {
		t.Errorf("evidence stored just now: %d events, want 5", ev.Total)
	}
	clock.set(clock.Now().Add(61 * time.Minute))
	prune()
	if ts.get(t, "/api/alerts/"+id+"/events", &ev); ev.Total != 0 {
		t.Errorf("evidence stored 61 minutes ago: %d events, want pruned", ev.Total)
	}
}
