package server

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/config"
	"vigil/internal/store"
)

// gatedHook is a webhook receiver that answers nothing until its gate
// opens, so alerts queue in the sink.
type gatedHook struct {
	gate chan struct{}
	mu   sync.Mutex
	ids  map[string]bool
}

func (h *gatedHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	<-h.gate
	var ev struct {
		Alert map[string]any `json:"alert"`
	}
	json.NewDecoder(r.Body).Decode(&ev)
	h.mu.Lock()
	h.ids[ev.Alert["kibana.alert.uuid"].(string)] = true
	h.mu.Unlock()
}

// Acceptance 5a: shutdown with an alert stream open ends the stream first
// and takes < 2 s without error (the command exits 0 on a nil error), and
// the webhook still receives every alert queued in it, though the
// shutdown's own context is short.
func TestShutdownWithOpenStream(t *testing.T) {
	hk := &gatedHook{gate: make(chan struct{}), ids: map[string]bool{}}
	hs := httptest.NewServer(hk)
	defer hs.Close()
	at := time.Date(2026, 11, 20, 10, 12, 30, 0, time.UTC)
	ts := start(t, "", func(c *config.Config) {
		c.Sinks.Webhook = &config.WebhookSink{URL: hs.URL, MaxRetries: 2}
	}, func(o *Options) { o.Clock = newFakeClock(at.Add(10 * time.Second)) })
	resp, err := http.Get(ts.url + "/api/alerts/stream")
	if err != nil {
		t.Fatal(err)
	}
	streamEnded := make(chan struct{})
	go func() { io.Copy(io.Discard, resp.Body); close(streamEnded) }()
	const alerts = 20
	postBulk(t, ts.url, floodBursts(at, alerts)...)
	ts.Sync()
	if n := ts.alerts(t, "?rule="+seedRuleID).Total; n != alerts {
		t.Fatalf("%d alerts, want %d", n, alerts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	began := time.Now()
	done := make(chan error, 1)
	go func() { done <- ts.Shutdown(ctx) }()
	<-streamEnded  // shutdown began with the stream
	close(hk.gate) // the receiver comes back: the queue drains
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if d := time.Since(began); d >= 2*time.Second {
		t.Fatalf("shutdown took %v", d)
	}
	if len(hk.ids) != alerts {
		t.Fatalf("webhook received %d of %d alerts", len(hk.ids), alerts)
	}
	t.Logf("shutdown with an open stream and %d queued webhook alerts: %v", alerts, time.Since(began).Round(time.Millisecond))
}

// Acceptance 5b: a restart over a large spool accepts connections at once:
// /healthz answers "recovering" and _bulk 429 (shippers retry) while the
// spool replays, then ingest resumes. VIGIL_TEST_FULL=1 replays 900k
// events, else 100k.
func TestRestartAcceptsWhileReplaying(t *testing.T) {
	n := 100_000
	if os.Getenv("VIGIL_TEST_FULL") != "" {
		n = 900_000
	}
	dir := t.TempDir()
	sp, err := store.OpenSpool(filepath.Join(dir, "spool"), store.SpoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-30 * time.Second)
	raw := []byte(execEvent(at, "replay-01", "P", "whoami"))
	batch := make([]store.Entry, 0, 10_000)
	for i := range n {
		batch = append(batch, store.Entry{Index: processIndex, ID: "r" + strconv.Itoa(i), Raw: raw, Time: at.UnixMilli()})
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := sp.Append(batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	sp.Close()

	cfg := config.Default()
	cfg.DataDir = dir
	began := time.Now()
	srv := launch(t, Options{Config: cfg, Rules: seedRules(t)})
	url := srv.url
	_, _, health := do(t, "GET", url+"/healthz", "", "")
	accepted := time.Since(began)
	code, _, body := do(t, "POST", url+"/_bulk", "", bulkBody(processIndex, execEvent(time.Now(), "h", "P", "id")))
	recovering := srv.recovering.Load()
	<-srv.ready
	replayed := time.Since(began)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	t.Logf("%d spooled events: connections answered after %v, replay done after %v", n, accepted.Round(time.Millisecond), replayed.Round(time.Millisecond))
	if accepted > time.Second {
		t.Fatalf("first answer after %v, want < 1s", accepted)
	}
	if !strings.Contains(health, `"status":"recovering"`) || !recovering || code != 429 || !strings.Contains(body, "es_rejected_execution_exception") {
		t.Fatalf("during replay: healthz %s, _bulk %d %s (recovering: %v)", health, code, body, recovering)
	}
	if code, _, body := do(t, "POST", url+"/_bulk", "", bulkBody(processIndex, execEvent(time.Now(), "h", "P", "id"))); code != 200 {
		t.Fatalf("after replay: _bulk %d %s", code, body)
	}
	_, _, health = do(t, "GET", url+"/healthz", "", "")
	if !strings.Contains(health, `"status":"ok"`) {
		t.Fatalf("after replay: healthz %s", health)
	}
}

// The alert stream carries event ids; a client reconnecting with
// Last-Event-ID is sent every alert changed since, and a subscriber that
// falls behind is cut off (counted) rather than silently losing events.
func TestStreamResumesAndBoundsSlowReaders(t *testing.T) {
	at := time.Date(2026, 11, 20, 10, 12, 30, 0, time.UTC)
	clock := newFakeClock(at.Add(10 * time.Second))
	ts := start(t, "", nil, func(o *Options) { o.Clock = clock })
	defer ts.stop(t)
	// A subscriber that never reads: more than sseBuffer alerts cut it off.
	slow := ts.sse.subscribe()
	postBulk(t, ts.url, floodBursts(at, sseBuffer+10)...)
	ts.Sync()
	n := 0
	for range slow { // buffered events, then closed
		n++
	}
	if n != sseBuffer || metric(t, ts.url, "vigil_alert_stream_dropped_total") != 1 {
		t.Fatalf("slow subscriber got %d events then %v drops; want %d, 1", n, metric(t, ts.url, "vigil_alert_stream_dropped_total"), sseBuffer)
	}
	// It reconnects with an id it saw: the store replays every change
	// since (all of them here: the fake clock stamps them alike).
	req, _ := http.NewRequest("GET", ts.url+"/api/alerts/stream", nil)
	req.Header.Set("Last-Event-ID", strconv.FormatInt(at.Add(10*time.Second).UnixMilli(), 10))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	replayed, ids := 0, 0
	for replayed < sseBuffer+10 && sc.Scan() {
		switch {
		case sc.Text() == "event: alert.replayed":
			replayed++
		case strings.HasPrefix(sc.Text(), "id: "):
			ids++
		}
	}
	if replayed != sseBuffer+10 || ids != replayed {
		t.Fatalf("replayed %d alerts (%d ids), want %d", replayed, ids, sseBuffer+10)
	}
}
