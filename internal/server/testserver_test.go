package server

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/config"
	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

type testServer struct {
	*Server
	url string
}

func seedRules(t testing.TB) []*engine.CompiledRule {
	t.Helper()
	var out []*engine.CompiledRule
	for _, r := range rule.Builtin() {
		cr, err := engine.Compile(r, &engine.Catalog{}, esql.Options{})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cr)
	}
	return out
}

// start runs a server on 127.0.0.1:0 over dataDir ("" = a temp dir).
func start(t testing.TB, dataDir string, mut func(*config.Config), opts ...func(*Options)) *testServer {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = dataDir
	if dataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if mut != nil {
		mut(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	o := Options{Config: cfg, Rules: seedRules(t), Version: "test", EvalInterval: 20 * time.Millisecond}
	for _, f := range opts {
		f(&o)
	}
	ts := launch(t, o)
	<-ts.ready // the spool replayed: ingest is accepted
	return ts
}

// launch builds a server and serves it on 127.0.0.1:0, returning as soon
// as the port is open (the spool may still be replaying).
func launch(t testing.TB, o Options) *testServer {
	t.Helper()
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	return &testServer{Server: srv, url: "http://" + ln.Addr().String()}
}

func (ts *testServer) stop(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ts.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

func do(t testing.TB, method, url, token, body string, hdr ...string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// execEvent is an Elastic Defend process exec event the seed rule reads.
func execEvent(ts time.Time, host, parent, cmd string) string {
	m := map[string]any{
		"@timestamp":  ts.UTC().Format("2006-01-02T15:04:05.000Z"),
		"data_stream": map[string]any{"type": "logs", "dataset": "endpoint.events.process", "namespace": "default"},
		"event":       map[string]any{"action": "exec", "type": []string{"start"}, "category": []string{"process"}},
		"host":        map[string]any{"name": host, "os": map[string]any{"type": "linux"}},
		"agent":       map[string]any{"id": "agent-" + host},
		"process": map[string]any{
			"name": "sh", "executable": "/bin/sh", "command_line": "sh -c " + cmd, "args": []string{"sh", "-c", cmd},
			"parent": map[string]any{"name": "python3", "entity_id": parent, "executable": "/usr/bin/python3"},
		},
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// bulkBody is a _bulk body of create actions.
func bulkBody(index string, events ...string) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString(`{"create":{"_index":"` + index + `"}}` + "\n" + e + "\n")
	}
	return b.String()
}

const processIndex = "logs-endpoint.events.process-default"

// hook is a webhook receiver.
type hook struct {
	mu     sync.Mutex
	events []struct {
		Event string         `json:"event"`
		Alert map[string]any `json:"alert"`
	}
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev struct {
		Event string         `json:"event"`
		Alert map[string]any `json:"alert"`
	}
	json.NewDecoder(r.Body).Decode(&ev)
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
}

func (h *hook) created() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int{}
	for _, e := range h.events {
		if e.Event == "alert.created" {
			out[e.Alert["kibana.alert.uuid"].(string)]++
		}
	}
	return out
}

type alertList struct {
	Total  int              `json:"total"`
	Alerts []map[string]any `json:"alerts"`
}

// alertedEvents bulk-indexes events into processIndex with _ids a, b, c…
// (alerts carry only their event's identity), waits for the engine, and
// returns the _ids of the events that alerted, sorted and comma-joined.
func (ts *testServer) alertedEvents(t *testing.T, evs []string) string {
	t.Helper()
	var body strings.Builder
	for i, e := range evs {
		body.WriteString(`{"create":{"_index":"` + processIndex + `","_id":"` + string(rune('a'+i)) + `"}}` + "\n" + e + "\n")
	}
	if code, _, resp := do(t, "POST", ts.url+"/_bulk", "", body.String()); code != 200 || strings.Contains(resp, `"errors":true`) {
		t.Fatalf("_bulk: %d %s", code, resp)
	}
	ts.Sync()
	var ids []string
	for _, a := range ts.alerts(t, "").Alerts {
		if anc, _ := a["kibana.alert.ancestors"].([]any); len(anc) == 1 {
			id, _ := anc[0].(map[string]any)["id"].(string)
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return strings.Join(ids, ",")
}

func (ts *testServer) alerts(t testing.TB, query string) alertList {
	t.Helper()
	code, _, body := do(t, "GET", ts.url+"/api/alerts"+query, ts.cfg.Auth.Token, "")
	if code != 200 {
		t.Fatalf("GET /api/alerts: %d %s", code, body)
	}
	var l alertList
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		t.Fatal(err)
	}
	return l
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type hookServer struct{ *httptest.Server }

func newTestHTTP(h http.Handler) *httptest.Server { return httptest.NewServer(h) }
