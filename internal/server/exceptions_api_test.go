package server

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"vigil/internal/config"
)

// TestExceptionsAPI: an item added through the API suppresses the alert
// its host's later events would raise (another host still alerts), is
// listed, survives a restart (persisted in the store), and once deleted
// the host alerts again; every call needs the token.
func TestExceptionsAPI(t *testing.T) {
	const token = "s3cret-token-0123456789"
	seedID := "b42e4b88-fc4a-417b-a45e-4d4a3db9fd41"
	dir := t.TempDir()
	auth := func(c *config.Config) { c.Auth.Token = token }
	item := `{"item_id":"tuned-host","list_id":"` + seedID + `","type":"simple","name":"approved automation","entries":[{"type":"match","field":"host.name","value":"tuned-01","operator":"included"}]}`
	base := time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC)
	// burst sends both hosts' five commands at hour h, and reports
	// whether tuned-01 alerted anew once ok-01's alert is in.
	burst := func(ts *testServer, h int) bool {
		t.Helper()
		before := ts.alerts(t, "?host=tuned-01").Total
		at := base.Add(time.Duration(h) * time.Hour)
		var evs []string
		for _, host := range []string{"ok-01", "tuned-01"} {
			for i, c := range fiveCommands {
				evs = append(evs, execEvent(at.Add(time.Duration(i)*time.Second), host, "P-"+host+at.Format("15"), c))
			}
		}
		do(t, "POST", ts.url+"/_bulk", token, bulkBody(processIndex, evs...))
		ts.Sync()
		want := h + 1
		waitFor(t, 3*time.Second, "ok-01's alert", func() bool { return ts.alerts(t, "?host=ok-01").Total == want })
		return ts.alerts(t, "?host=tuned-01").Total > before
	}
	list := func(ts *testServer) []string {
		t.Helper()
		code, _, body := do(t, "GET", ts.url+"/api/exceptions", token, "")
		var got struct {
			Lists []struct{ ListID, Type string } `json:"lists"`
			Items []struct {
				ItemID string `json:"item_id"`
			} `json:"items"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("GET /api/exceptions: %d %s", code, body)
		}
		var ids []string
		for _, it := range got.Items {
			ids = append(ids, it.ItemID)
		}
		return ids
	}

	ts := start(t, dir, auth)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/exceptions", ""},
		{"POST", "/api/exceptions/items", item},
		{"DELETE", "/api/exceptions/items/tuned-host", ""},
	} {
		if code, _, _ := do(t, c.method, ts.url+c.path, "", c.body); code != 401 {
			t.Errorf("%s %s without token: %d, want 401", c.method, c.path, code)
		}
	}
	if code, _, body := do(t, "POST", ts.url+"/api/exceptions/items", token, item); code != 200 {
		t.Fatalf("add: %d %s", code, body)
	}
	if burst(ts, 0) {
		t.Error("tuned-01 alerted with the exception added")
	}
	if ids := list(ts); len(ids) != 1 || ids[0] != "tuned-host" {
		t.Errorf("listed %v", ids)
	}
	ts.stop(t)

	ts = start(t, dir, auth)
	defer ts.stop(t)
	if ids := list(ts); len(ids) != 1 || ids[0] != "tuned-host" {
		t.Errorf("after restart listed %v", ids)
	}
	if burst(ts, 1) {
		t.Error("tuned-01 alerted after a restart: the stored exception was not applied")
	}
	if code, _, body := do(t, "DELETE", ts.url+"/api/exceptions/items/tuned-host", token, ""); code != 200 {
		t.Fatalf("delete: %d %s", code, body)
	}
	if code, _, _ := do(t, "DELETE", ts.url+"/api/exceptions/items/tuned-host", token, ""); code != 404 {
		t.Errorf("second delete: %d, want 404", code)
	}
	if ids := list(ts); len(ids) != 0 {
		t.Errorf("after delete listed %v", ids)
	}
	if !burst(ts, 2) {
		t.Error("tuned-01 did not alert once the exception was deleted")
	}
}

// TestExceptionsAPIBadItems: items Kibana's schema refuses, items naming a
// field the rule cannot see and items of a list no rule uses are 400 with
// the reason (each bad entry named), and nothing is added.
func TestExceptionsAPIBadItems(t *testing.T) {
	seedID := "b42e4b88-fc4a-417b-a45e-4d4a3db9fd41"
	ts := start(t, "", nil)
	defer ts.stop(t)
	entry := func(field, op string) string {
		return `{"type":"match","field":"` + field + `","value":"x","operator":"` + op + `"}`
	}
	itemOf := func(list string, entries ...string) string {
		return `{"item_id":"i","list_id":"` + list + `","type":"simple","entries":[` + strings.Join(entries, ",") + `]}`
	}
	for _, c := range []struct {
		name, body string
		want       []string
	}{
		{"not JSON", `{`, []string{"not an exception item"}},
		{"no entries", itemOf(seedID), []string{"no entries"}},
		{"no item_id", `{"list_id":"x","entries":[` + entry("host.name", "included") + `]}`, []string{"empty item_id"}},
		{"two bad entries", itemOf(seedID, entry("host.name", "included"), entry("host.name", "maybe"), `{"type":"regex","field":"a","operator":"included"}`),
			[]string{`entry 2: field "host.name": operator "maybe"`, `entry 3: field "a": unknown entry type "regex"`}},
		{"bad os", `{"item_id":"i","list_id":"l","os_types":["dos"],"entries":[` + entry("host.name", "included") + `]}`, []string{`os_types: "dos"`}},
		{"field the rule cannot see", itemOf(seedID, entry("no.such.field", "included")), []string{`"no.such.field" is neither a field of the rule's source indices nor a column of its result`}},
		{"list no rule uses", itemOf("orphan", entry("host.name", "included")), []string{`list "orphan" is used by no rule`}},
		{"source field not decoded", itemOf(seedID, entry("user.name", "included")), []string{`"user.name" not decoded by the running service`}},
	} {
		code, _, body := do(t, "POST", ts.url+"/api/exceptions/items", "", c.body)
		if code != 400 {
			t.Errorf("%s: %d %s, want 400", c.name, code, body)
			continue
		}
		var got struct{ Errors []string }
		json.Unmarshal([]byte(body), &got)
		for _, w := range c.want {
			if !strings.Contains(strings.Join(got.Errors, "\n"), w) {
				t.Errorf("%s: %s\nwant %q in it", c.name, body, w)
			}
		}
	}
	if _, _, body := do(t, "GET", ts.url+"/api/exceptions", "", ""); !strings.Contains(body, `"items":[]`) {
		t.Errorf("bad items were added: %s", body)
	}
	// An item on an output column needs no decoding.
	if code, _, body := do(t, "POST", ts.url+"/api/exceptions/items", "", itemOf(seedID, `{"type":"wildcard","field":"Esql.process_command_line_values","value":"*bootstrap.py*","operator":"included"}`)); code != 200 {
		t.Errorf("Esql.* item: %d %s", code, body)
	}
}
