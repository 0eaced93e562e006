package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"vigil/internal/config"
	"vigil/internal/console"
)

// TestRootNegotiation: a browser's GET / gets the console (no credentials:
// the page holds no data), everything else at / keeps Elasticsearch's root
// JSON behind auth, as shippers and Elastic clients need.
func TestRootNegotiation(t *testing.T) {
	const token = "negotiation-token-0123"
	ts := start(t, "", func(c *config.Config) { c.Auth.Token = token })
	defer ts.stop(t)
	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	cases := []struct {
		method, path, accept, token string
		code                        int
		ctype, body                 string // prefix, substring
	}{
		{"GET", "/", browser, "", 200, "text/html", `<script type="module" src="/_console/app.js">`},
		{"GET", "/", browser, token, 200, "text/html", "<title>Vigil</title>"},
		{"GET", "/", "", "", 401, "application/json", "security_exception"},
		{"GET", "/", "", token, 200, "application/json", `"tagline":"You Know, for Search"`},
		{"GET", "/", "application/json", token, 200, "application/json", `"number":"8.19.7"`},
		{"GET", "/", "*/*", token, 200, "application/json", `"cluster_name":"vigil"`},
		{"GET", "/", "text/html;q=0", token, 200, "application/json", `"cluster_name":"vigil"`},
		{"GET", "/", "text/html;q=0.0, application/json", token, 200, "application/json", `"cluster_name":"vigil"`},
		{"HEAD", "/", "", token, 200, "application/json", ""},
		{"POST", "/", browser, "", 401, "application/json", "security_exception"},
		{"GET", "/_console/app.js", "*/*", "", 200, "text/javascript", "import"},
		{"GET", "/_console/style.css", "text/css", "", 200, "text/css", "body"},
		{"GET", "/_console/", browser, "", 200, "text/html", "<title>Vigil</title>"},
		{"GET", "/_console/nope.js", "*/*", "", 404, "text/plain", ""},
		{"GET", "/_console/../api/alerts", "*/*", "", 404, "text/plain", ""},
		{"GET", "/_console/%2e%2e/api/alerts", "*/*", "", 404, "text/plain", ""},
		{"GET", "/api/alerts", browser, "", 401, "application/json", "security_exception"},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(tc.method, ts.url+tc.path, nil)
		if tc.accept != "" {
			req.Header.Set("Accept", tc.accept)
		}
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		name := tc.method + " " + tc.path + " Accept=" + tc.accept
		if resp.StatusCode != tc.code || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) || !strings.Contains(b.String(), tc.body) {
			t.Errorf("%s: %d %s %.120q", name, resp.StatusCode, resp.Header.Get("Content-Type"), b.String())
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", name)
		}
		if strings.HasPrefix(tc.ctype, "text/html") {
			h := resp.Header
			if h.Get("Content-Security-Policy") != console.CSP || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" {
				t.Errorf("%s: security headers %v", name, h)
			}
		}
	}
}

// TestWorkflowAPI: status changes with notes record who made them (the
// token's user), one alert or many at once; the history is in the alert.
func TestWorkflowAPI(t *testing.T) {
	const alice, bob = "alice-token-0123456789", "bob-token-0123456789"
	ts := start(t, "", func(c *config.Config) {
		c.Auth.Token, c.Auth.User = alice, "alice"
		c.Auth.Users = []config.UserToken{{Name: "bob", Token: bob}}
	})
	defer ts.stop(t)
	ids := ingestAttacks(t, ts, alice, 3)
	post := func(token, path, body string) (int, map[string]any) {
		t.Helper()
		code, _, out := do(t, "POST", ts.url+path, token, body)
		var m map[string]any
		json.Unmarshal([]byte(out), &m)
		return code, m
	}
	code, a := post(alice, "/api/alerts/"+ids[0]+"/status", `{"status":"acknowledged","note":"looking <b>now</b>"}`)
	if code != 200 || a["kibana.alert.workflow_status"] != "acknowledged" {
		t.Fatalf("status: %d %v", code, a)
	}
	wf, _ := a["workflow"].([]any)
	if len(wf) != 1 {
		t.Fatalf("workflow %v", a["workflow"])
	}
	e := wf[0].(map[string]any)
	if e["status"] != "acknowledged" || e["note"] != "looking <b>now</b>" || e["by"] != "alice" {
		t.Fatalf("history entry %v", e)
	}
	if at, err := time.Parse("2006-01-02T15:04:05.000Z", e["at"].(string)); err != nil || time.Since(at) > time.Minute {
		t.Fatalf("history time %v %v", e["at"], err)
	}
	code, res := post(bob, "/api/alerts/_status", fmt.Sprintf(`{"ids":[%q,%q,"nope"],"status":"closed","note":"benign"}`, ids[0], ids[1]))
	if code != 200 || res["updated"] != float64(2) || fmt.Sprint(res["not_found"]) != "[nope]" {
		t.Fatalf("bulk: %d %v", code, res)
	}
	_, body := getJSON(t, ts, alice, "/api/alerts/"+ids[0])
	wf = body["workflow"].([]any)
	if len(wf) != 2 || wf[1].(map[string]any)["by"] != "bob" || wf[1].(map[string]any)["status"] != "closed" || body["kibana.alert.workflow_status"] != "closed" {
		t.Fatalf("after bulk: %v", body["workflow"])
	}
	if l := ts.alerts(t, "?status=closed"); l.Total != 2 {
		t.Fatalf("closed: %d", l.Total)
	}
	for _, bad := range []struct{ path, body string }{
		{"/api/alerts/" + ids[0] + "/status", `{"status":"closed","note":"` + strings.Repeat("x", 4097) + `"}`},
		{"/api/alerts/" + ids[0] + "/status", `{"status":"done"}`},
		{"/api/alerts/" + ids[0] + "/status", `not json`},
		{"/api/alerts/_status", `{"ids":[],"status":"closed"}`},
		{"/api/alerts/_status", `{"ids":["a"],"status":"later"}`},
		{"/api/alerts/_status", `{"ids":[` + strings.Repeat(`"x",`, 1000) + `"x"],"status":"closed"}`},
	} {
		if code, _ := post(alice, bad.path, bad.body); code != 400 {
			t.Errorf("%s %.60s: %d, want 400", bad.path, bad.body, code)
		}
	}
	if code, _ := post(alice, "/api/alerts/nope/status", `{"status":"closed"}`); code != 404 {
		t.Errorf("unknown alert: %d", code)
	}
}

// TestAlertListAPI: filters, free text and keyset pages through the API.
func TestAlertListAPI(t *testing.T) {
	ts := start(t, "", nil)
	defer ts.stop(t)
	ids := ingestAttacks(t, ts, "", 5)
	seen := map[string]bool{}
	next := ""
	for pages := 0; ; pages++ {
		q := "?size=2"
		if next != "" {
			q += "&search_after=" + next
		}
		_, body := getJSON(t, ts, "", "/api/alerts"+q)
		for _, a := range body["alerts"].([]any) {
			id := a.(map[string]any)["kibana.alert.uuid"].(string)
			if seen[id] {
				t.Fatalf("alert %s on two pages", id)
			}
			seen[id] = true
		}
		if body["total"] != float64(5) {
			t.Fatalf("total %v", body["total"])
		}
		n, _ := body["next"].(string)
		if n == "" || pages > 5 {
			break
		}
		next = n
	}
	if len(seen) != len(ids) {
		t.Fatalf("pages held %d alerts, want %d", len(seen), len(ids))
	}
	for q, want := range map[string]int{"?q=LIST-HOST-3": 1, "?q=list-host": 5, "?q=python+shell": 5, "?q=nothing": 0, "?q=%25": 0, "?host=list-host-2&q=created": 1} {
		if got := ts.alerts(t, q).Total; got != want {
			t.Errorf("%s: %d alerts, want %d", q, got, want)
		}
	}
	for _, q := range []string{"?search_after=bogus", "?search_after=MTox&page=2", "?size=0", "?from=yesterday", "?q=a%00b"} {
		if code, _, _ := do(t, "GET", ts.url+"/api/alerts"+q, "", ""); code != 400 {
			t.Errorf("%s: %d, want 400", q, code)
		}
	}
	// Without a user (here: no auth), history says by null.
	code, _, out := do(t, "POST", ts.url+"/api/alerts/"+ids[0]+"/status", "", `{"status":"closed"}`)
	if code != 200 || !strings.Contains(out, `"workflow":[{"status":"closed","note":"","at":"`) || !strings.Contains(out, `"by":null}]`) {
		t.Fatalf("anonymous change: %d %s", code, out)
	}
	// The rules page's activity.
	_, body := getJSON(t, ts, "", "/api/rules")
	r := body["rules"].([]any)[0].(map[string]any)
	if r["type"] != "esql" || r["events_matched"] != float64(5*len(fiveCommands)) || r["alerts"] != float64(5) || r["last_evaluation"] == nil || fmt.Sprint(r["errors"]) != "[]" {
		t.Fatalf("rule activity: %v", r)
	}
}

// ingestAttacks raises n seed-rule alerts on hosts list-host-0…n-1.
func ingestAttacks(t testing.TB, ts *testServer, token string, n int) []string {
	t.Helper()
	base := time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC)
	var evs []string
	for h := range n {
		for i, c := range fiveCommands {
			evs = append(evs, execEvent(base.Add(time.Duration(i)*time.Second), fmt.Sprintf("list-host-%d", h), fmt.Sprintf("P-%d", h), c))
		}
	}
	if code, _, body := do(t, "POST", ts.url+"/_bulk", token, bulkBody(processIndex, evs...)); code != 200 {
		t.Fatalf("bulk: %d %s", code, body)
	}
	ts.Sync()
	code, _, body := do(t, "GET", ts.url+"/api/alerts?size=100", token, "")
	var l alertList
	if err := json.Unmarshal([]byte(body), &l); err != nil || code != 200 || l.Total != n {
		t.Fatalf("alerts: %d %.200s", code, body)
	}
	var ids []string
	for _, a := range l.Alerts {
		ids = append(ids, a["kibana.alert.uuid"].(string))
	}
	return ids
}

func getJSON(t testing.TB, ts *testServer, token, path string) (int, map[string]any) {
	t.Helper()
	code, _, body := do(t, "GET", ts.url+path, token, "")
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%s: %d %.200s", path, code, body)
	}
	return code, m
}
