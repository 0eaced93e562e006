package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vigil/internal/console"
)

// TestConsole is acceptance 1 and 2: sign in, filter by host, open an
// alert (guide, evidence, process tree), change its status with a note and
// see it persisted after a reload; the rules page; and the XSS payloads
// shown as text with no script run and no CSP violation.
func TestConsole(t *testing.T) {
	ctx := tab(t)
	v := startVigil(t)
	ev := watch(t, ctx)
	shot := newShots(t)

	t.Run("investigate", func(t *testing.T) {
		run(t, ctx, "load console", chromedp.Navigate(v.url+"/"), chromedp.WaitVisible(chromedp.ID("token")))
		shot.take(t, ctx, "signin")
		run(t, ctx, "sign in", chromedp.SendKeys(chromedp.ID("token"), testToken), chromedp.Click(chromedp.ID("signin-submit")))
		waitTrue(t, ctx, "the alerts table", `document.querySelectorAll('#alerts tbody tr[data-id]').length >= 5`)
		shot.take(t, ctx, "alerts")

		run(t, ctx, "filter by host", chromedp.SetValue(chromedp.ID("f-host"), investigatedHost), chromedp.Click(chromedp.ID("apply-filters")))
		waitTrue(t, ctx, investigatedHost+"'s alerts only", `(() => { const h = [...document.querySelectorAll('#alerts td.host')].map((td) => td.textContent);
			return h.length >= 1 && h.every((x) => x === '`+investigatedHost+`') && location.hash.includes('host=`+investigatedHost+`'); })()`)
		parents := eval[[]string](t, ctx, `[...document.querySelectorAll('#alerts td.parent')].map((td) => td.textContent)`)
		if len(parents) != 1 || parents[0] == "" {
			t.Fatalf("%s's alerts: parent column %q, want the seed rule's one alert with its parent", investigatedHost, parents)
		}
		shot.take(t, ctx, "alerts-"+investigatedHost)

		id := eval[string](t, ctx, `document.querySelector('#alerts tbody tr[data-id]').dataset.id`)
		run(t, ctx, "open the alert", chromedp.Click(chromedp.CSS("#alerts a.rule-link")))
		waitTrue(t, ctx, "the alert page", `!!document.querySelector('#guide .markdown h3')`)
		guide := eval[string](t, ctx, `document.querySelector('#guide').innerText`)
		if !strings.Contains(guide, "Investigating Suspicious Python Shell Command Execution") {
			t.Fatalf("guide: %.300q", guide)
		}
		matched := eval[string](t, ctx, `document.querySelector('#matched-table').innerText`)
		if !strings.Contains(matched, "sh -c whoami") {
			t.Fatalf("matched values: %q", matched)
		}
		want := investigatedTree
		if code, _ := v.get(t, "/api/alerts/"+id+"/tree"); code == 404 {
			want = nil
		}
		evidence(t, ctx, want)
		shot.take(t, ctx, "alert")

		run(t, ctx, "change status", chromedp.SetValue(chromedp.ID("wf-status"), "acknowledged"),
			chromedp.SendKeys(chromedp.ID("wf-note"), "triaged: <b>benign</b> admin script"), chromedp.Click(chromedp.ID("wf-submit")))
		waitTrue(t, ctx, "the change saved", `document.querySelector('#wf-result') && document.querySelector('#wf-result').textContent === 'Saved.'`)
		shot.take(t, ctx, "status-changed")

		run(t, ctx, "reload", chromedp.Reload())
		waitTrue(t, ctx, "the history after reload", `document.querySelectorAll('#wf-history tbody tr').length === 1`)
		row := eval[[]string](t, ctx, `[...document.querySelectorAll('#wf-history tbody td')].map((td) => td.textContent)`)
		if len(row) != 4 || row[1] != "acknowledged" || row[2] != "triaged: <b>benign</b> admin script" || row[3] != testUser {
			t.Fatalf("history row after reload: %q", row)
		}
		status := eval[string](t, ctx, `document.querySelector('#status').textContent`)
		if status != "acknowledged" {
			t.Fatalf("status after reload: %q", status)
		}
		shot.take(t, ctx, "reloaded")
		// The API agrees.
		_, body := v.get(t, "/api/alerts/"+id)
		var a struct {
			Status   string `json:"kibana.alert.workflow_status"`
			Workflow []struct{ Status, Note, By string }
		}
		json.Unmarshal([]byte(body), &a)
		if a.Status != "acknowledged" || len(a.Workflow) != 1 || a.Workflow[0].By != testUser {
			t.Fatalf("API after the change: %s", body)
		}
		clean(t, ctx, ev)
	})

	t.Run("rules", func(t *testing.T) {
		signedIn(t, ctx, v)
		run(t, ctx, "rules page", chromedp.Navigate(v.url+"/#/rules"))
		waitTrue(t, ctx, "the rules table", `document.querySelectorAll('#rules tbody tr').length === 2`)
		cells := eval[[]string](t, ctx, `[...document.querySelectorAll('#rules tbody tr:first-child td')].map((td) => td.textContent)`)
		// Six attacks for the seed rule: the sample's four, xss-host's
		// and the investigated host's.
		if len(cells) != 7 || cells[1] != "esql" || cells[4] != "6" || cells[3] == "0" || cells[5] == "never" {
			t.Fatalf("seed rule row: %q", cells)
		}
		shot.take(t, ctx, "rules")
		// Two routes in a row: the first, finishing last, must not add its
		// page to the second's.
		eval[chromedp.Void](t, ctx, `location.hash = '#/alerts'; setTimeout(() => { location.hash = '#/alerts?host=web-01'; }, 0)`)
		waitTrue(t, ctx, "web-01's page", `document.querySelectorAll('#alerts td.host').length === 1`)
		eval[chromedp.Void](t, ctx, `location.hash = '#/rules'; setTimeout(() => { location.hash = '#/alerts?host=build-02'; }, 0)`)
		waitTrue(t, ctx, "build-02's page", `[...document.querySelectorAll('#alerts td.host')].map((td) => td.textContent).join() === 'build-02'`)
		if n := eval[int](t, ctx, `document.querySelectorAll('#alerts').length + document.querySelectorAll('#rules').length`); n != 1 {
			t.Fatalf("%d pages shown at once", n)
		}
		clean(t, ctx, ev)
	})

	t.Run("xss", func(t *testing.T) {
		signedIn(t, ctx, v)
		run(t, ctx, "xss-host's alerts", chromedp.Navigate(v.url+"/#/alerts?host=xss-host"))
		waitTrue(t, ctx, "xss-host's two alerts", `document.querySelectorAll('#alerts tbody tr[data-id]').length === 2`)
		ids := eval[[]string](t, ctx, `[...document.querySelectorAll('#alerts tbody tr[data-id]')].map((tr) => tr.dataset.id)`)
		for _, id := range ids {
			run(t, ctx, "open "+id, chromedp.Navigate(v.url+"/#/alert/"+id))
			waitTrue(t, ctx, "the alert page", `document.querySelector('#alert-title') && document.querySelector('#alert-title').dataset.id === '`+id+`' && !!document.querySelector('#wf-form')`)
			type page struct {
				Matched, Title, Guide        string
				Imgs, Scripts, JSLinks, Bold int
			}
			got := eval[page](t, ctx, `({
				Matched: document.querySelector('#matched-table').textContent,
				Title: document.querySelector('#alert-title').textContent,
				Guide: document.querySelector('#guide').textContent,
				Imgs: document.querySelectorAll('main img').length,
				Scripts: document.querySelectorAll('main script').length,
				JSLinks: [...document.querySelectorAll('a')].filter((a) => !/^(https?:|#)/.test(a.getAttribute('href') || '#')).length,
				Bold: document.querySelectorAll('#guide b').length,
			})`)
			if !strings.Contains(got.Matched, "sh -c "+imgPayload) || !strings.Contains(got.Matched, "sh -c "+scriptPayload) {
				t.Errorf("payload not shown literally in the matched values: %q", got.Matched)
			}
			if got.Imgs != 0 || got.Scripts != 0 || got.JSLinks != 0 || got.Bold != 0 {
				t.Errorf("markup from data became elements: %+v", got)
			}
			if strings.HasPrefix(got.Title, "Guide with") {
				if !strings.Contains(got.Title, "<script>alert(3)</script>") || !strings.Contains(got.Guide, "<script>alert(4)</script>") ||
					!strings.Contains(got.Guide, imgPayload+" in a paragraph") || !strings.Contains(got.Guide, "a javascript: link") {
					t.Errorf("guide payloads not shown literally: title %q guide %q", got.Title, got.Guide)
				}
				href := eval[string](t, ctx, `document.querySelector('#guide a').getAttribute('href')`)
				if href != "https://example.com/x" {
					t.Errorf("the guide's only link is %q, want the http one", href)
				}
			}
			shot.take(t, ctx, "xss")
		}
		clean(t, ctx, ev)
	})

	t.Run("live and bulk", func(t *testing.T) {
		signedIn(t, ctx, v)
		run(t, ctx, "live-host's alerts", chromedp.Navigate(v.url+"/#/alerts?host=live-host"))
		waitTrue(t, ctx, "the empty list and the live stream", `document.querySelector('#summary')?.textContent === '0 alert(s)' && document.querySelector('#live').textContent.includes('live')`)
		// Alerts raised while the page is open appear without a reload.
		v.ingest(t, attack("live-host", time.Date(2026, 11, 20, 9, 40, 0, 0, time.UTC), "whoami", "uname -a", "id", "env | sort", "find / -name x", "curl -s http://x", "grep -r pw /etc"))
		waitTrue(t, ctx, "live-host's alert, live", `[...document.querySelectorAll('#alerts td.host')].map((td) => td.textContent).join() === 'live-host'`)
		// Bulk: select all, close with a note.
		run(t, ctx, "bulk close", chromedp.Click(chromedp.ID("select-all")), chromedp.SetValue(chromedp.ID("bulk-status"), "closed"),
			chromedp.SendKeys(chromedp.ID("bulk-note"), "bulk: lab host"), chromedp.Click(chromedp.ID("bulk-apply")))
		waitTrue(t, ctx, "the closed status", `[...document.querySelectorAll('#alerts td.status-cell')].map((td) => td.textContent).join() === 'closed'`)
		shot.take(t, ctx, "live-bulk")
		_, body := v.get(t, "/api/alerts?host=live-host&status=closed")
		if !strings.Contains(body, `"total":1`) {
			t.Fatalf("after the bulk change: %s", body)
		}
		clean(t, ctx, ev)
	})

	t.Run("headers", func(t *testing.T) {
		req, _ := http.NewRequest("GET", v.url+"/", nil)
		req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Content-Security-Policy"); got != console.CSP || !strings.Contains(got, "frame-ancestors 'none'") {
			t.Errorf("CSP %q", got)
		}
	})
}

// signedIn puts the token where the sign-in form keeps it, so a subtest
// runs alone (go test -run TestConsole/xss).
func signedIn(t *testing.T, ctx context.Context, v *vigil) {
	t.Helper()
	run(t, ctx, "open the console", chromedp.Navigate(v.url+"/"))
	eval[chromedp.Void](t, ctx, `sessionStorage.setItem('vigil.token', '`+testToken+`')`)
}

// treeView is what the alert page's process tree and evidence table show
// of the alert's focus: its name, pid and command line, its ancestors
// (root first), its children's names, the matched nodes (all, and among
// its children) and the evidence table's rows.
type treeView struct {
	Focus, FocusPID, FocusCmd string
	Ancestors, Children       []string
	Matched, MatchedKids      int
	Rows                      int
}

// investigatedTree is investigated()'s tree: the Python parent from its
// own event (pid, command line) under systemd → sshd → bash, with
// exactly its seven shell children, all matched.
var investigatedTree = &treeView{Focus: "python3", FocusPID: " [4200]", FocusCmd: "python3 /tmp/.x/agent.py",
	Ancestors: []string{"systemd", "sshd", "bash"}, Children: slices.Repeat([]string{"sh"}, 7), Matched: 7, MatchedKids: 7, Rows: 7}

// evidence checks the alert page's evidence, tree and timeline sections:
// with the evidence endpoints answering, the tree and evidence table show
// want; while they answer 404 (want nil), each section says no evidence
// was recorded.
func evidence(t *testing.T, ctx context.Context, want *treeView) {
	t.Helper()
	waitTrue(t, ctx, "the evidence sections", `['evidence', 'tree', 'timeline'].every((s) => { const e = document.querySelector('#' + s); return e && !e.textContent.includes('Loading'); })`)
	if want == nil {
		for _, sec := range []string{"evidence", "tree", "timeline"} {
			txt := eval[string](t, ctx, `document.querySelector('#`+sec+`').textContent`)
			if !strings.Contains(strings.ToLower(txt), "no evidence recorded") {
				t.Errorf("%s section without the endpoint: %q", sec, txt)
			}
		}
		return
	}
	tree := eval[treeView](t, ctx, `(() => {
		const focus = document.querySelector('#process-tree li.role-focus');
		const kids = focus ? [...focus.querySelectorAll(':scope > details > ul > li')] : [];
		const ancestors = [];
		for (let li = focus && focus.parentElement.closest('li'); li; li = li.parentElement.closest('li')) {
			ancestors.unshift(li.classList.contains('role-ancestor') ? li.querySelector('.pname').textContent : '?');
		}
		const label = focus ? focus.querySelector('.label') : null;
		return { Focus: label ? label.querySelector('.pname').textContent : '',
			FocusPID: label && label.querySelector('.pid') ? label.querySelector('.pid').textContent : '',
			FocusCmd: label ? label.querySelector('.cmd').textContent : '',
			Ancestors: ancestors,
			Children: kids.map((li) => li.querySelector('.pname').textContent),
			Matched: document.querySelectorAll('#process-tree li.matched').length,
			MatchedKids: kids.filter((li) => li.classList.contains('matched')).length,
			Rows: document.querySelectorAll('#evidence-table tbody tr').length };
	})()`)
	if !reflect.DeepEqual(tree, *want) {
		t.Errorf("process tree / evidence:\n got %+v\nwant %+v", tree, *want)
	}
}
