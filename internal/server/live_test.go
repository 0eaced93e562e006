package server

import (
	"bufio"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil/internal/config"
)

var fiveCommands = []string{"whoami", "curl http://x/a", "find / -name id_rsa", "grep -r pass /etc", "wget http://x/b"}

// sameMinute waits, if needed, so that events stamped now..now+2s share
// one DATE_TRUNC(1 minute) window.
func sameMinute() {
	if now := time.Now(); now.Second() >= 57 {
		time.Sleep(time.Until(now.Truncate(time.Minute).Add(time.Minute + 10*time.Millisecond)))
	}
}

// Acceptance 2: with event time = wall time, the alert is in the API within
// 1 s of the _bulk request carrying the fifth distinct command line.
func TestAlertLatency(t *testing.T) {
	ts := start(t, "", nil, func(o *Options) { o.EvalInterval = 100 * time.Millisecond })
	defer ts.stop(t)
	sameMinute()
	var first []string
	for _, c := range fiveCommands[:4] {
		first = append(first, execEvent(time.Now(), "lat-01", "PARENT-1", c))
	}
	if code, _, body := do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, first...), "Content-Type", "application/x-ndjson"); code != 200 || strings.Contains(body, `"errors":true`) {
		t.Fatalf("bulk: %d %s", code, body)
	}
	ts.Sync()
	if n := ts.alerts(t, "").Total; n != 0 {
		t.Fatalf("alert before the fifth command: %d", n)
	}
	code, _, body := do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, execEvent(time.Now(), "lat-01", "PARENT-1", fiveCommands[4])))
	sent := time.Now()
	if code != 200 || strings.Contains(body, `"errors":true`) {
		t.Fatalf("bulk: %d %s", code, body)
	}
	waitFor(t, 2*time.Second, "the alert", func() bool { return ts.alerts(t, "?host=lat-01").Total == 1 })
	if d := time.Since(sent); d > time.Second {
		t.Fatalf("alert after %v, want within 1s", d)
	}
	t.Logf("alert in the API %v after the fifth command's _bulk", time.Since(sent).Round(time.Millisecond))
}

// writtenOnce requires n alerts in the file sink at path, each written
// once.
func writtenOnce(t *testing.T, path string, n int) {
	t.Helper()
	lines := countLines(t, path)
	if len(lines) != n {
		t.Fatalf("file sink alerts: %v, want %d", lines, n)
	}
	for id, k := range lines {
		if k != 1 {
			t.Fatalf("alert %s written %d times", id, k)
		}
	}
}

func countLines(t *testing.T, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return map[string]int{}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		i := strings.Index(sc.Text(), `"kibana.alert.uuid":"`)
		if i >= 0 {
			out[sc.Text()[i+21:i+21+64]]++
		}
	}
	return out
}

// Acceptance 4: a crash (in-memory state dropped without drain, flush or
// checkpoint, as kill -9 would) inside a window, then a restart: the alert
// for that window fires once — and a crash after it fired does not fire it
// again.
func TestCrashRestartAlertsExactlyOnce(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "alerts.ndjson")
	hk := &hook{}
	hs := newHookServer(hk)
	defer hs.Close()
	cfg := func(c *config.Config) {
		c.Sinks.File = &config.FileSink{Path: file}
		c.Sinks.Webhook = &config.WebhookSink{URL: hs.URL, MaxRetries: 3}
	}
	base := time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC)
	ev := func(i int) string {
		return execEvent(base.Add(time.Duration(i)*time.Second), "crash-01", "P-CRASH", fiveCommands[i])
	}

	// Instance 1 takes four commands, then dies.
	a := start(t, dir, cfg)
	for i := 0; i < 4; i++ {
		if code, _, body := do(t, "POST", a.url+"/_bulk", "", bulkBody(processIndex, ev(i))); code != 200 {
			t.Fatalf("bulk: %d %s", code, body)
		}
	}
	a.Abandon()

	// Instance 2 rebuilds the window from the spool; the fifth command alerts.
	b := start(t, dir, cfg)
	if n := b.alerts(t, "").Total; n != 0 {
		t.Fatalf("alerts after restart, before the fifth command: %d", n)
	}
	if code, _, body := do(t, "POST", b.url+"/_bulk", "", bulkBody(processIndex, ev(4))); code != 200 {
		t.Fatalf("bulk: %d %s", code, body)
	}
	b.Sync()
	if n := b.alerts(t, "").Total; n != 1 {
		t.Fatalf("alerts after the fifth command: %d, want 1", n)
	}
	waitFor(t, 5*time.Second, "webhook", func() bool { return len(hk.created()) == 1 })
	b.Abandon() // crash again, after the alert

	// Instance 3 replays all five events: the same alert, not a new one.
	c := start(t, dir, cfg)
	c.Sync()
	if n := c.alerts(t, "").Total; n != 1 {
		t.Fatalf("alerts after the second restart: %d, want 1", n)
	}
	c.stop(t)
	writtenOnce(t, file, 1)
	for id, n := range hk.created() {
		if n != 1 {
			t.Fatalf("webhook: alert %s created %d times", id, n)
		}
	}
}

func newHookServer(h http.Handler) *hookServer {
	s := &hookServer{}
	s.Server = newTestHTTP(h)
	return s
}
