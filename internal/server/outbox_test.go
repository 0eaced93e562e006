package server

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil/internal/config"
	"vigil/internal/store"
)

// The sink outbox: an alert committed to the store reaches the sinks even
// when the process dies before they had it. A delivery committed but never
// sent (a crash between the commit and the send) and the webhook's
// deliveries cut short by a kill -9 (Abandon) are sent at the next start;
// delivered ones leave the outbox empty.
func TestSinkOutbox(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "alerts.ndjson")
	// A crash right after the store's commit: the outbox entry, no send.
	st, err := store.Open(filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := st.PutQueued(store.Record{ID: "crashed-1", RuleID: "crash-test", RuleName: "r", Severity: "high", Time: 1, Hash: "h",
		Doc: []byte(`{"kibana.alert.uuid":"crashed-1"}`)}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	down := &gatedHook{gate: make(chan struct{}), ids: map[string]bool{}} // answers nothing
	hs := httptest.NewServer(down)
	defer hs.Close()
	defer close(down.gate)
	at := time.Date(2026, 11, 20, 10, 12, 30, 0, time.UTC)
	sinks := func(url string) func(*config.Config) {
		return func(c *config.Config) {
			c.Sinks.File = &config.FileSink{Path: file}
			c.Sinks.Webhook = &config.WebhookSink{URL: url, MaxRetries: 2}
		}
	}
	clock := func(o *Options) { o.Clock = newFakeClock(at.Add(10 * time.Second)) }
	a := start(t, dir, sinks(hs.URL), clock)
	waitFor(t, 5*time.Second, "the crashed alert in the file sink", func() bool {
		b, _ := os.ReadFile(file)
		return strings.Contains(string(b), "crashed-1")
	})
	const alerts = 3
	postBulk(t, a.url, floodBursts(at, alerts)...)
	a.Sync()
	if n := a.alerts(t, "?rule="+seedRuleID).Total; n != alerts {
		t.Fatalf("%d alerts, want %d", n, alerts)
	}
	a.Abandon() // kill -9: the webhook never had them

	up := &gatedHook{gate: make(chan struct{}), ids: map[string]bool{}}
	close(up.gate)
	hs2 := httptest.NewServer(up)
	defer hs2.Close()
	b := start(t, dir, sinks(hs2.URL), clock)
	defer b.stop(t)
	waitFor(t, 5*time.Second, "every committed alert at the webhook", func() bool {
		up.mu.Lock()
		defer up.mu.Unlock()
		return len(up.ids) == alerts+1 && up.ids["crashed-1"]
	})
	waitFor(t, 5*time.Second, "an empty outbox", func() bool {
		p, err := b.store.Pending()
		return err == nil && len(p) == 0
	})
	if len(down.ids) != 0 {
		t.Fatalf("the down webhook answered %d", len(down.ids))
	}
}
