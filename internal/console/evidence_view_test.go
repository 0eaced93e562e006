package console_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"vigil/internal/console"
)

// TestEvidenceView renders the evidence sections from answers shaped as
// the API contract writes them (the evidence endpoints are another
// branch's): a stub API serves an alert whose tree has an ancestor, the
// Python parent, seven matched shell children (one with a markup command
// line), an unmatched child with a child of its own, a sibling, and two
// nodes that name each other as parent (bad data). The page draws the
// tree without hanging, nests children under the focus, highlights the
// matched, and fills the event tables.
func TestEvidenceView(t *testing.T) {
	ctx := tab(t)
	node := func(id, parent, name, cmd, role string, matched bool) map[string]any {
		return map[string]any{"entity_id": id, "parent_entity_id": parent, "pid": len(id), "name": name, "executable": "/bin/" + name,
			"args": strings.Fields(cmd), "command_line": cmd, "user": "www-data", "working_directory": "/srv", "start": "2026-11-20T09:17:01.000Z",
			"end": nil, "role": role, "matched": matched, "alert_ids": []string{"A1"}}
	}
	nodes := []any{node("init", "", "systemd", "/sbin/init", "ancestor", false), node("py", "init", "python3", "python3 app.py", "focus", false)}
	var events []any
	for i := range 7 {
		cmd := fmt.Sprintf("sh -c cmd-%d", i)
		if i == 6 {
			cmd = "sh -c " + imgPayload
		}
		nodes = append(nodes, node(fmt.Sprintf("sh%d", i), "py", "sh", cmd, "child", true))
		events = append(events, map[string]any{"_id": fmt.Sprint(i), "_index": index, "_source": map[string]any{
			"@timestamp": "2026-11-20T09:17:01.000Z", "event": map[string]any{"action": "exec"},
			"process": map[string]any{"name": "sh", "pid": i, "command_line": cmd, "parent": map[string]any{"name": "python3"}}}})
	}
	nodes = append(nodes, node("cat", "py", "cat", "cat /etc/hosts", "child", false), node("grep", "cat", "grep", "grep x", "descendant", false),
		node("cron", "init", "cron", "cron -f", "sibling", false), node("loopA", "loopB", "a", "a", "descendant", false), node("loopB", "loopA", "b", "b", "descendant", false))
	answers := map[string]any{
		"/api/alerts?size=1":                         map[string]any{"total": 1, "alerts": []any{}},
		"/api/alerts/A1":                             map[string]any{"kibana.alert.uuid": "A1", "kibana.alert.rule.name": "R", "kibana.alert.workflow_status": "open", "workflow": []any{}},
		"/api/alerts/A1/events":                      map[string]any{"alert_id": "A1", "events": events, "total": len(events), "truncated": false},
		"/api/alerts/A1/tree":                        map[string]any{"alert_id": "A1", "focus": "py", "host_id": "h", "nodes": nodes, "truncated": false},
		"/api/alerts/A1/timeline?before=5m&after=5m": map[string]any{"alert_id": "A1", "host_id": "h", "events": events, "truncated": true},
	}
	ui := console.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if console.Wants(r) {
			ui.ServeHTTP(w, r)
			return
		}
		if r.URL.Path == "/api/alerts/stream" {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		}
		a, ok := answers[r.URL.RequestURI()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(a)
	}))
	defer func() {
		srv.CloseClientConnections() // the page's open alert stream
		srv.Close()
	}()
	ev := watch(t, ctx)
	run(t, ctx, "open the console", chromedp.Navigate(srv.URL+"/"))
	eval[chromedp.Void](t, ctx, `sessionStorage.setItem('vigil.token', '')`)
	run(t, ctx, "open the alert", chromedp.Navigate(srv.URL+"/#/alert/A1"))
	evidence(t, ctx, &treeView{Focus: "python3", FocusPID: " [2]", FocusCmd: "python3 app.py", Ancestors: []string{"systemd"},
		Children: append(slices.Repeat([]string{"sh"}, 7), "cat"), Matched: 7, MatchedKids: 7, Rows: 7})
	type view struct {
		Roots                           []string
		Cmd                             string
		Grandchild, Loop, Timeline, Img int
	}
	got := eval[view](t, ctx, `({
		Roots: [...document.querySelectorAll('#process-tree > li > details > summary .pname, #process-tree > li > .label .pname')].map((e) => e.textContent),
		Cmd: [...document.querySelectorAll('#process-tree li.matched .cmd')].map((e) => e.textContent).join('|'),
		Grandchild: document.querySelectorAll('#process-tree li[data-entity="cat"] li[data-entity="grep"]').length,
		Loop: document.querySelectorAll('#process-tree li[data-entity="loopA"], #process-tree li[data-entity="loopB"]').length,
		Timeline: document.querySelectorAll('#timeline-table tbody tr').length,
		Img: document.querySelectorAll('main img').length,
	})`)
	if strings.Join(got.Roots, ",") != "systemd,a" /* the cycle, listed after the tree */ || !strings.Contains(got.Cmd, "sh -c "+imgPayload) || got.Grandchild != 1 || got.Loop != 2 || got.Timeline != 7 || got.Img != 0 {
		t.Errorf("tree view: %+v", got)
	}
	newShots(t).take(t, ctx, "evidence")
	clean(t, ctx, ev)
}
