package server

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"vigil/internal/config"
	"vigil/internal/doc"
)

func TestParseAction(t *testing.T) {
	cases := []struct {
		in      string
		want    bulkAction
		wantErr string
	}{
		{`{"create":{"_index":"logs-a","_id":"1"}}`, bulkAction{"create", "logs-a", "1"}, ""},
		{` { "index" : { "_id" : "x\"y\\u0041", "pipeline": "p", "routing": null, "x": [1, {"a": true}], "_index": "i" } } `, bulkAction{"index", "i", `x"y\u0041`}, ""},
		{`{"create":{"_id":"a\u0041\/"}}`, bulkAction{"create", "", "aA/"}, ""},
		{`{"create":{}}`, bulkAction{"create", "", ""}, ""},
		{`{"create":{"_id":"\ud83d\ude00\n\t"}}`, bulkAction{"create", "", "\U0001F600\n\t"}, ""}, // a surrogate pair is one rune
		{`{"create":{"_id":"a\x41"}}`, bulkAction{}, "invalid string escape"},                     // Go's escapes are not JSON's
		{`{"delete":{"_index":"a","_id":"b"}}`, bulkAction{"delete", "a", "b"}, ""},
		{`{"create":{"_index":null}}`, bulkAction{"create", "", ""}, ""},
		{`{"create":{"_index":"a\/b"}}`, bulkAction{"create", "a/b", ""}, ""},
		{`["create"]`, bulkAction{}, "line 3:1: expected START_OBJECT"},
		{`{"create":"x"}`, bulkAction{}, "line 3:11: expected START_OBJECT for [create]"},
		{`{"create":{"_index":1}}`, bulkAction{}, "line 3:21: expected a string"},
		{`{"create":{},"index":{}}`, bulkAction{}, "expected a single action per line"},
		{`{"create":{"a":tru}}`, bulkAction{}, "unexpected character"},
		{`{"create":{"a":"x}}`, bulkAction{}, "unterminated string"},
		{`{"create":{}} x`, bulkAction{}, "unexpected content after the action"},
	}
	for _, tc := range cases {
		got, err := parseAction([]byte(tc.in), 3)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseAction(f *testing.F) {
	f.Add([]byte(`{"create":{"_index":"logs-a","_id":"1"}}`))
	f.Add([]byte(`{"index":{"_id":"\u00e9\/","x":[1,2,{"y":null}]}}`))
	f.Add([]byte(`{"update":{"_index":"a","retry_on_conflict":3}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := parseAction(b, 1)
		if err != nil {
			var pe *ParseError
			if !asParseError(err, &pe) || pe.Col < 1 || pe.Col > len(b)+1 {
				t.Fatalf("error without a valid position: %v", err)
			}
			return
		}
		// What parses is valid JSON with one object member (invalid UTF-8
		// aside, which encoding/json rewrites).
		if !utf8.Valid(b) {
			return
		}
		var m map[string]map[string]any
		if json.Unmarshal(b, &m) != nil || len(m) != 1 {
			t.Fatalf("accepted %q", b)
		}
		if _, ok := m[a.Op]; !ok {
			t.Fatalf("op %q not in %q", a.Op, b)
		}
	})
}

func asParseError(err error, pe **ParseError) bool {
	p, ok := err.(*ParseError)
	*pe = p
	return ok
}

func TestAuth(t *testing.T) {
	const token = "s3cret-token-0123456789"
	ts := start(t, "", func(c *config.Config) { c.Auth.Token = token })
	defer ts.stop(t)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		auth string
		want int
	}{
		{"", 401},
		{"Bearer wrong-token-0123456789", 401},
		{"Bearer " + token, 200},
		{"bearer " + token, 200},
		{"ApiKey " + token, 200},
		{"ApiKey " + b64("key-id:"+token), 200},
		{"ApiKey " + b64("key-id:nope"), 401},
		{"Basic " + b64("elastic:"+token), 200},
		{"Basic " + b64("elastic:"), 401},
		{"Bearer" + token, 401},
	}
	for _, path := range []string{"/", "/healthz", "/metrics", "/api/alerts", "/api/rules", "/_license"} {
		for _, tc := range cases {
			req, _ := http.NewRequest("GET", ts.url+path, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("%s with %q: %d, want %d", path, tc.auth, resp.StatusCode, tc.want)
			}
		}
	}
	// _bulk too: nothing is ingested without the token.
	if code, _, _ := do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, `{"a":1}`)); code != 401 {
		t.Fatalf("unauthenticated bulk: %d", code)
	}
}

func TestShipperProbes(t *testing.T) {
	ts := start(t, "", nil)
	defer ts.stop(t)
	cases := []struct {
		method, path string
		want         int
		contains     string
	}{
		{"GET", "/", 200, `"number":"8.19.7"`},
		{"HEAD", "/", 200, ""},
		{"GET", "/_license", 200, `"status":"active"`},
		{"GET", "/_xpack", 200, `"license"`},
		{"GET", "/_cluster/health", 200, `"status":"green"`},
		{"GET", "/_nodes/http", 200, `"nodes"`},
		// A shipper checks for its template, finds none (404 as from
		// Elasticsearch), installs it, and then finds it.
		{"HEAD", "/_index_template/logs-vigil", 404, ""},
		{"GET", "/_index_template/logs-vigil", 404, `"reason":"index template matching [logs-vigil] not found"`},
		{"PUT", "/_index_template/logs-vigil", 200, `"acknowledged":true`},
		{"HEAD", "/_index_template/logs-vigil", 200, ""},
		{"GET", "/_index_template/logs-vigil", 200, `{"index_templates":[{"index_template":{},"name":"logs-vigil"}]}`},
		{"GET", "/_ilm/policy/filebeat", 404, `"type":"resource_not_found_exception"`},
		{"GET", "/_ingest/pipeline/p", 404, `{}`},
		{"PUT", "/_ilm/policy/filebeat", 200, `"acknowledged":true`},
		{"PUT", "/_ingest/pipeline/p", 200, `"acknowledged":true`},
		{"GET", "/nope/_search", 404, `resource_not_found_exception`},
	}
	for _, tc := range cases {
		code, hdr, body := do(t, tc.method, ts.url+tc.path, "", "{}")
		if code != tc.want || !strings.Contains(body, tc.contains) {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, code, body)
		}
		if hdr.Get("X-Elastic-Product") != "Elasticsearch" {
			t.Errorf("%s %s: no X-Elastic-Product header", tc.method, tc.path)
		}
	}
}

func TestBulkItemsLimitsAndGzip(t *testing.T) {
	ts := start(t, "", func(c *config.Config) { c.Limits.MaxBodyBytes = 4096 })
	defer ts.stop(t)
	now := time.Now()
	body := `{"create":{"_index":"` + processIndex + `","_id":"a1"}}` + "\n" + execEvent(now, "h", "P", "id") + "\n" +
		`{"index":{"_id":"a2"}}` + "\n" + `{"@timestamp":"not a date"}` + "\n" +
		`{"delete":{"_index":"x","_id":"1"}}` + "\n" +
		`{"create":{}}` + "\n" + `{"a":1}` + "\n"
	code, _, resp := do(t, "POST", ts.url+"/"+processIndex+"/_bulk", "", body)
	if code != 200 {
		t.Fatalf("bulk %d %s", code, resp)
	}
	var r struct {
		Errors bool                                `json:"errors"`
		Items  []map[string]map[string]interface{} `json:"items"`
	}
	if err := json.Unmarshal([]byte(resp), &r); err != nil {
		t.Fatal(err, resp)
	}
	want := []struct {
		op     string
		status float64
		errTyp string
	}{{"create", 201, ""}, {"index", 400, "document_parsing_exception"}, {"delete", 400, "illegal_argument_exception"}, {"create", 201, ""}}
	if !r.Errors || len(r.Items) != len(want) {
		t.Fatalf("response %s", resp)
	}
	for i, w := range want {
		it := r.Items[i][w.op]
		if it == nil || it["status"] != w.status {
			t.Fatalf("item %d: %v, want %+v", i, r.Items[i], w)
		}
		if w.errTyp != "" && it["error"].(map[string]any)["type"] != w.errTyp {
			t.Fatalf("item %d error %v", i, it["error"])
		}
		if w.status == 201 && it["_index"] != processIndex {
			t.Fatalf("item %d index %v", i, it["_index"])
		}
	}
	// An item without _id gets the one a hunt over the same line gives it.
	if id := r.Items[3]["create"]["_id"].(string); id != doc.AutoID([]byte(`{"a":1}`)) || len(id) != 20 {
		t.Fatalf("generated id %q", id)
	}
	// Malformed action line: the whole request fails, like Elasticsearch.
	if code, _, resp := do(t, "POST", ts.url+"/_bulk", "", "not json\n{}\n"); code != 400 || !strings.Contains(resp, "Malformed action/metadata line [1]") {
		t.Fatalf("malformed action: %d %s", code, resp)
	}
	// gzip.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(bulkBody(processIndex, execEvent(now, "h", "P", "ls"))))
	zw.Close()
	if code, _, resp := do(t, "POST", ts.url+"/_bulk", "", gz.String(), "Content-Encoding", "gzip"); code != 200 || strings.Contains(resp, `"errors":true`) {
		t.Fatalf("gzip bulk: %d %s", code, resp)
	}
	// Over the size limit, before or after decompression.
	big := bulkBody(processIndex, strings.Repeat(execEvent(now, "h", "P", "x")+"\n", 1)+strings.Repeat(" ", 5000))
	if code, _, _ := do(t, "POST", ts.url+"/_bulk", "", big); code != 413 {
		t.Fatalf("oversized body: %d", code)
	}
	gz.Reset()
	zw = gzip.NewWriter(&gz)
	zw.Write([]byte(big))
	zw.Close()
	if code, _, _ := do(t, "POST", ts.url+"/_bulk", "", gz.String(), "Content-Encoding", "gzip"); code != 413 {
		t.Fatalf("oversized gzip body: %d", code)
	}
	// /api/events: plain NDJSON.
	code, _, resp = do(t, "POST", ts.url+"/api/events", "", execEvent(now, "h", "P", "a")+"\n{bad\n"+execEvent(now, "h", "P", "b")+"\n")
	if code != 200 || !strings.Contains(resp, `"accepted":2,"malformed":1`) || !strings.Contains(resp, "line 2:") {
		t.Fatalf("events: %d %s", code, resp)
	}
	ts.Sync()
	_, _, metrics := do(t, "GET", ts.url+"/metrics", "", "")
	for _, m := range []string{"vigil_events_received_total 5", "vigil_events_malformed_total 2", "vigil_evaluation_seconds_bucket", "vigil_live_groups{rule=\"Suspicious Python Shell Command Execution\"}"} {
		if !strings.Contains(metrics, m) {
			t.Errorf("metrics lack %q", m)
		}
	}
}

// A full queue answers 429 (the engine is not started, so nothing drains).
// A _bulk body without actions is Elasticsearch's 400, not an empty 200.
func TestEmptyBulk400(t *testing.T) {
	ts := start(t, "", nil)
	defer ts.stop(t)
	for _, body := range []string{"", "\n", " \r\n\n"} {
		code, _, resp := do(t, "POST", ts.url+"/_bulk", "", body)
		want := `{"error":{"reason":"Validation Failed: 1: no requests added;","root_cause":[{"reason":"Validation Failed: 1: no requests added;","type":"action_request_validation_exception"}],"type":"action_request_validation_exception"},"status":400}`
		if code != 400 || strings.TrimSpace(resp) != want {
			t.Errorf("%q: %d %s", body, code, resp)
		}
	}
}

// TestQueueFull429: ingest is refused with Elasticsearch's 429 while the
// spool replays, past the queue's batch count or byte budget, and past the
// in-flight byte budget.
func TestQueueFull429(t *testing.T) {
	one := bulkBody(processIndex, execEvent(time.Now(), "h", "P", "id"))
	big := bulkBody(processIndex, execEvent(time.Now(), "h", "P", strings.Repeat("x", 1500)))
	cases := []struct {
		name    string
		mut     func(*config.Limits)
		replay  bool
		bodies  []string
		want    []int
		wantMsg string
		held    int64 // in-flight bytes another request holds
	}{
		{"recovering", nil, false, []string{one}, []int{429}, "replaying the spool", 0},
		{"batches", func(l *config.Limits) { l.QueueBatches = 1 }, true, []string{one, one}, []int{200, 429}, "queue is full", 0},
		{"bytes", func(l *config.Limits) { l.MaxBodyBytes, l.QueueBytes = 4096, 4096 }, true, []string{big, big}, []int{200, 429}, "queue is full", 0},
		// Another request holds most of the in-flight budget: the body
		// fits the rest, its decoded event does not. (A request alone is
		// always taken.)
		{"in-flight bytes", func(l *config.Limits) { l.MaxBodyBytes, l.QueueBytes, l.MaxInflightBytes = 4096, 4096, 8192 }, true, []string{big}, []int{429}, "max_inflight_bytes", 4096},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.DataDir = t.TempDir()
			if tc.mut != nil {
				tc.mut(&cfg.Limits)
			}
			srv, err := New(Options{Config: cfg, Rules: seedRules(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Shutdown(t.Context())
			if tc.replay {
				srv.replay() // the engine is not started: batches stay queued
			}
			other := &charge{f: srv.inflight}
			other.add(tc.held)
			defer other.done()
			h := srv.Handler()
			var last *recorder
			for i, body := range tc.bodies {
				last = newRecorder()
				req, _ := http.NewRequest("POST", "/_bulk", strings.NewReader(body))
				h.ServeHTTP(last, req)
				if last.code != tc.want[i] {
					t.Fatalf("request %d: %d %s, want %d", i, last.code, last.body.String(), tc.want[i])
				}
			}
			if !strings.Contains(last.body.String(), `"type":"es_rejected_execution_exception"`) || !strings.Contains(last.body.String(), tc.wantMsg) || last.hdr.Get("Retry-After") == "" {
				t.Errorf("429 body: %s", last.body.String())
			}
		})
	}
}

type recorder struct {
	hdr  http.Header
	code int
	body bytes.Buffer
}

func newRecorder() *recorder                    { return &recorder{hdr: http.Header{}, code: 200} }
func (r *recorder) Header() http.Header         { return r.hdr }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(c int)           { r.code = c }

func TestAlertAPIAndStream(t *testing.T) {
	ts := start(t, "", nil)
	defer ts.stop(t)
	// Subscribe first.
	req, _ := http.NewRequest("GET", ts.url+"/api/alerts/stream", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "event: ") {
				events <- strings.TrimPrefix(sc.Text(), "event: ")
			}
		}
	}()
	base := time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC)
	var evs []string
	for i, c := range fiveCommands {
		evs = append(evs, execEvent(base.Add(time.Duration(i)*time.Second), "api-01", "P-API", c))
	}
	do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, evs...))
	ts.Sync()
	select {
	case ev := <-events:
		if ev != "alert.created" {
			t.Fatalf("stream event %q", ev)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no stream event")
	}
	l := ts.alerts(t, "?rule=Suspicious+Python+Shell+Command+Execution&host=api-01&severity=medium&status=open")
	if l.Total != 1 {
		t.Fatalf("filtered list: %+v", l)
	}
	id := l.Alerts[0]["kibana.alert.uuid"].(string)
	for q, n := range map[string]int{"?host=other": 0, "?status=closed": 0, "?from=2999-01-01T00:00:00Z": 0, "?size=1&page=2": 0} {
		if got := ts.alerts(t, q).Total; q != "?size=1&page=2" && got != n {
			t.Errorf("%s: %d alerts", q, got)
		}
	}
	if code, _, _ := do(t, "GET", ts.url+"/api/alerts?status=bogus", "", ""); code != 400 {
		t.Errorf("bad status filter: %d", code)
	}
	code, _, body := do(t, "POST", ts.url+"/api/alerts/"+id+"/status", "", `{"status":"acknowledged"}`)
	if code != 200 || !strings.Contains(body, `"kibana.alert.workflow_status":"acknowledged"`) {
		t.Fatalf("status: %d %s", code, body)
	}
	if code, _, _ := do(t, "POST", ts.url+"/api/alerts/"+id+"/status", "", `{"status":"gone"}`); code != 400 {
		t.Fatalf("invalid status accepted: %d", code)
	}
	if code, _, _ := do(t, "GET", ts.url+"/api/alerts/nope", "", ""); code != 404 {
		t.Fatalf("unknown alert: %d", code)
	}
	code, _, body = do(t, "GET", ts.url+"/api/alerts/"+id, "", "")
	if code != 200 || !strings.Contains(body, `"acknowledged"`) || !strings.Contains(body, `"host.name":"api-01"`) {
		t.Fatalf("get: %d %s", code, body)
	}
	code, _, body = do(t, "GET", ts.url+"/api/rules", "", "")
	if code != 200 || !strings.Contains(body, `"alerts_on_arrival":true`) || !strings.Contains(body, `"mode":"realtime"`) {
		t.Fatalf("rules: %d %s", code, body)
	}
	code, _, body = do(t, "GET", ts.url+"/api/rules/b42e4b88-fc4a-417b-a45e-4d4a3db9fd41", "", "")
	if code != 200 || !strings.Contains(body, "Investigating Suspicious Python Shell Command Execution") {
		t.Fatalf("rule: %d %.200s", code, body)
	}
}
