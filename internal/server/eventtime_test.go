package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/internal/config"
	"vigil/internal/store"
)

// bashEvent is a process event no rule reads (a shell started by sshd).
func bashEvent(ts time.Time, host string) string {
	b, _ := json.Marshal(map[string]any{
		"@timestamp":  ts.UTC().Format("2006-01-02T15:04:05.000Z"),
		"data_stream": map[string]any{"type": "logs", "dataset": "endpoint.events.process", "namespace": "default"},
		"event":       map[string]any{"action": "exec", "type": []string{"start"}, "category": []string{"process"}},
		"host":        map[string]any{"name": host, "os": map[string]any{"type": "linux"}},
		"agent":       map[string]any{"id": "agent-" + host},
		"process":     map[string]any{"name": "bash", "command_line": "-bash", "parent": map[string]any{"name": "sshd"}},
	})
	return string(b)
}

type bulkResponse struct {
	Errors bool `json:"errors"`
	Items  []map[string]struct {
		Status int `json:"status"`
		Error  struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"error"`
	} `json:"items"`
}

// postBulk sends events and returns each item's status and error reason.
func postBulk(t *testing.T, url string, events ...string) ([]int, []string) {
	t.Helper()
	code, _, body := do(t, "POST", url+"/_bulk", "", bulkBody(processIndex, events...), "Content-Type", "application/x-ndjson")
	if code != 200 {
		t.Fatalf("bulk: %d %s", code, body)
	}
	var r bulkResponse
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	var codes []int
	var reasons []string
	for _, it := range r.Items {
		for _, v := range it {
			codes = append(codes, v.Status)
			reasons = append(reasons, v.Error.Reason)
		}
	}
	return codes, reasons
}

// metric reads one sample from /metrics (0 when absent).
func metric(t *testing.T, url, name string) float64 {
	t.Helper()
	_, _, body := do(t, "GET", url+"/metrics", "", "")
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func fileLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// Acceptance 1 (issue 14): an event stamped now+50 min from another host
// (one the rule does not even read) and one from the burst's own host do
// not blind the rule: the burst that follows alerts — in real-time and
// scheduled modes, and after a restart in between. The future events are
// refused item by item, counted, and quarantined whole; events a little
// ahead (within max_future_skew) are taken but cannot move time past the
// wall clock.
func TestFutureEventsCannotBlind(t *testing.T) {
	for _, mode := range []string{config.ModeRealtime, config.ModeScheduled} {
		for _, restart := range []bool{false, true} {
			name := mode
			if restart {
				name += "/restart"
			}
			t.Run(name, func(t *testing.T) {
				now := time.Date(2026, 11, 20, 10, 12, 0, 0, time.UTC)
				clock := newFakeClock(now)
				dir := t.TempDir()
				cfg := func(c *config.Config) { c.Mode = mode }
				clk := func(o *Options) { o.Clock = clock }
				ts := start(t, dir, cfg, clk)
				codes, reasons := postBulk(t, ts.url,
					bashEvent(now.Add(50*time.Minute), "other-01"),
					execEvent(now.Add(50*time.Minute), "victim-01", "P-DECOY", "id"),
					execEvent(now.Add(4*time.Minute), "other-02", "P-AHEAD", "id"), // within the skew: taken
				)
				if codes[0] != 400 || codes[1] != 400 || codes[2] != 201 || !strings.Contains(reasons[0], "max_future_skew") {
					t.Errorf("items %v %q", codes, reasons)
				}
				ts.Sync()
				if restart {
					ts.stop(t)
					ts = start(t, dir, cfg, clk)
				}
				defer ts.stop(t)
				clock.set(now.Add(20 * time.Second))
				var burst []string
				for i, c := range fiveCommands {
					burst = append(burst, execEvent(now.Add(time.Duration(10+i)*time.Second), "victim-01", "P-REAL", c))
				}
				if codes, _ := postBulk(t, ts.url, burst...); count(codes, 201) != 5 {
					t.Fatalf("burst items %v", codes)
				}
				ts.Sync()
				if mode == config.ModeScheduled {
					clock.set(now.Add(5 * time.Minute)) // the next run: [10:08, 10:17]
					ts.TickNow()
				}
				if n := ts.alerts(t, "?host=victim-01").Total; n != 1 {
					t.Fatalf("alerts for the burst: %d, want 1", n)
				}
				if !restart {
					if n := metric(t, ts.url, "vigil_events_future_total"); n != 2 {
						t.Fatalf("vigil_events_future_total %v, want 2", n)
					}
				}
				q := fileLines(t, filepath.Join(dir, "future.ndjson"))
				if len(q) != 2 || !strings.Contains(q[0], `"event":{`) || !strings.Contains(q[1], `"reason":"future"`) {
					t.Fatalf("quarantine file: %q", q)
				}
			})
		}
	}
}

func count(codes []int, c int) int {
	n := 0
	for _, x := range codes {
		if x == c {
			n++
		}
	}
	return n
}

// A checkpoint written by a release that believed a future-dated event
// (watermark and final runs 50 minutes ahead) cannot keep windows closed:
// restored time is held to the wall clock.
func TestPoisonedCheckpointCannotBlind(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 12, 0, 0, time.UTC)
	clock := newFakeClock(now)
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	ahead := now.Add(50 * time.Minute).UnixMilli()
	poisoned := `{"rules":{"b42e4b88-fc4a-417b-a45e-4d4a3db9fd41":{"closed":` + strconv.FormatInt(ahead-5*60_000, 10) + `}},"watermark":` + strconv.FormatInt(ahead, 10) + `}`
	if err := st.PutState(stateKey, []byte(poisoned)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	ts := start(t, dir, nil, func(o *Options) { o.Clock = clock })
	defer ts.stop(t)
	clock.set(now.Add(20 * time.Second))
	var burst []string
	for i, c := range fiveCommands {
		burst = append(burst, execEvent(now.Add(time.Duration(10+i)*time.Second), "victim-01", "P-REAL", c))
	}
	postBulk(t, ts.url, burst...)
	ts.Sync()
	if n := ts.alerts(t, "?host=victim-01").Total; n != 1 {
		t.Fatalf("alerts for the burst: %d, want 1", n)
	}
}

// Events older than the watermark less late_retention are refused item by
// item (their windows can no longer be rebuilt), counted and kept whole in
// late.ndjson; events within it are taken.
func TestTooOldEventsRefused(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 12, 0, 0, time.UTC)
	ts := start(t, "", nil, func(o *Options) { o.Clock = newFakeClock(now) })
	defer ts.stop(t)
	postBulk(t, ts.url, execEvent(now.Add(-time.Minute), "h-01", "P-1", "id"))
	ts.Sync() // the watermark is now-1m: the floor now-1m-6h
	codes, reasons := postBulk(t, ts.url,
		execEvent(now.Add(-6*time.Hour-2*time.Minute), "h-02", "P-2", "id"),
		bashEvent(now.Add(-7*time.Hour), "h-03"),
		execEvent(now.Add(-5*time.Hour), "h-04", "P-4", "id"))
	if codes[0] != 400 || codes[1] != 400 || codes[2] != 201 || !strings.Contains(reasons[0], "late_retention") {
		t.Fatalf("items %v %q", codes, reasons)
	}
	if n := metric(t, ts.url, "vigil_events_expired_total"); n != 2 {
		t.Fatalf("vigil_events_expired_total %v, want 2", n)
	}
	if l := fileLines(t, filepath.Join(ts.cfg.DataDir, "late.ndjson")); len(l) != 2 || !strings.Contains(l[0], `"P-2"`) {
		t.Fatalf("late file: %q", l)
	}
}

// A late event completes an alert: raised, marked late — both when it
// arrives (its windows are final) and when it was spooled (acknowledged)
// but a crash came before its re-evaluation: the restarted instance
// re-evaluates it after replaying the spool.
func TestLateEventCompletesAlert(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
	base := time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC)
	ev := func(host string, i int) string {
		return execEvent(base.Add(time.Duration(i)*time.Second), host, "P-LATE", fiveCommands[i])
	}
	dir := t.TempDir()
	clk := func(o *Options) { o.Clock = newFakeClock(now) }
	a := start(t, dir, nil, clk)
	var first []string
	for i := 0; i < 4; i++ {
		first = append(first, ev("live-01", i), ev("crash-01", i))
	}
	// The hosts' time moves on (events no rule reads): runs 10:15 and 10:20
	// close without the fifth commands.
	postBulk(t, a.url, append(first, bashEvent(now.Add(-time.Minute), "live-01"), bashEvent(now.Add(-time.Minute), "crash-01"))...)
	a.Sync()
	if n := a.alerts(t, "").Total; n != 0 {
		t.Fatalf("alerts before the fifth commands: %d", n)
	}
	if codes, _ := postBulk(t, a.url, ev("live-01", 4)); codes[0] != 201 {
		t.Fatalf("late event refused: %v", codes)
	}
	a.Sync()
	l := a.alerts(t, "?host=live-01")
	if l.Total != 1 || l.Alerts[0]["vigil.alert.late"] != true {
		t.Fatalf("late alert: %+v", l)
	}
	a.stop(t)

	// crash-01's fifth command was acknowledged (spooled), then the
	// service died before evaluating it.
	sp, err := store.OpenSpool(filepath.Join(dir, "spool"), store.SpoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.Append([]store.Entry{{Index: processIndex, ID: "late-1", Raw: []byte(ev("crash-01", 4)), Time: base.Add(4 * time.Second).UnixMilli()}}); err != nil {
		t.Fatal(err)
	}
	sp.Close()
	b := start(t, dir, nil, clk)
	defer b.stop(t)
	b.Sync()
	l = b.alerts(t, "?host=crash-01")
	if l.Total != 1 || l.Alerts[0]["vigil.alert.late"] != true {
		t.Fatalf("late alert after the restart: %+v", l)
	}
	if n := b.alerts(t, "").Total; n != 2 {
		t.Fatalf("alerts after the restart: %d, want 2", n)
	}
}

// Scheduled mode: an event older than any window the next run (with its
// catch-up windows) queries would never be read — Kibana misses it too —
// so it is refused item by item rather than acknowledged.
func TestScheduledRefusesUnreadableEvents(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 15, 0, 0, time.UTC)
	ts := start(t, "", func(c *config.Config) { c.Mode = config.ModeScheduled }, func(o *Options) { o.Clock = newFakeClock(now) })
	defer ts.stop(t)
	ts.Sync() // the first run happened at start: the next, at 10:20, reads back to 10:20-9m-4×5m = 09:51
	codes, reasons := postBulk(t, ts.url,
		execEvent(time.Date(2026, 11, 20, 9, 50, 0, 0, time.UTC), "h-01", "P-1", "id"),
		execEvent(time.Date(2026, 11, 20, 9, 52, 0, 0, time.UTC), "h-01", "P-1", "id"))
	if codes[0] != 400 || codes[1] != 201 || !strings.Contains(reasons[0], "scheduled") {
		t.Fatalf("items %v %q", codes, reasons)
	}
}
