package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	rtmetrics "runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vigil/internal/config"
)

// hostileSizes are the attack's sizes: Acceptance 6's with
// VIGIL_TEST_FULL=1, else scaled down for CI.
func hostileSizes() (groups, slow int) {
	if os.Getenv("VIGIL_TEST_FULL") != "" {
		return 100_000, 1_000
	}
	return 10_000, 200
}

// postRetrying posts a _bulk body until it is not refused with 429, as a
// shipper does; it returns the final status and body.
func postRetrying(ctx context.Context, url, body string, hdr ...string) (int, string, int) {
	refused := 0
	for {
		req, _ := http.NewRequestWithContext(ctx, "POST", url+"/_bulk", strings.NewReader(body))
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error(), refused
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 429 {
			return resp.StatusCode, string(b), refused
		}
		refused++
		select {
		case <-ctx.Done():
			return 429, string(b), refused
		case <-time.After(20 * time.Millisecond): // a shipper's back-off
		}
	}
}

// gzipBomb is a small gzip body that inflates to n bytes of blanks.
func gzipBomb(n int) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	chunk := bytes.Repeat([]byte{' '}, 1<<20)
	for i := 0; i < n; i += len(chunk) {
		zw.Write(chunk)
	}
	zw.Close()
	return b.Bytes()
}

// Acceptance 6: under a combined attack — future and far-past timestamps,
// a flood of distinct groups, 8 concurrent gzip bombs, slow-body
// connections, oversized bodies — the accounted ingest memory stays within
// its budget, the live heap within budget + 150 MiB, every slow connection is
// cut off, and a real burst sent during the attack still alerts.
func TestHostileInputs(t *testing.T) {
	groups, slowConns := hostileSizes()
	const mib = 1 << 20
	limits := config.Limits{
		MaxBodyBytes: 4 * mib, QueueBatches: 256, QueueBytes: 32 * mib,
		MaxInflight: 64, MaxInflightBytes: 16 * mib, MaxConnections: 4096,
		BodyTimeout: config.Duration{Duration: 2 * time.Second},
		// Below the flood: the flooding host may fill half the limit (it
		// is refused beyond), the real burst's host has the rest.
		MaxGroupsPerRule: groups / 2,
	}
	now := time.Date(2026, 11, 20, 10, 12, 0, 0, time.UTC)
	clock := newFakeClock(now.Add(30 * time.Second))
	ts := start(t, "", func(c *config.Config) { c.Limits = limits }, func(o *Options) { o.Clock = clock })
	defer ts.stop(t)
	// Event time has reached now: events older than the late retention
	// are refused from here on.
	postBulk(t, ts.url, execEvent(now, "base-01", "P-BASE", "id"))
	ts.Sync()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Watch the accounted bytes and the heap while the attack runs.
	// The heap is judged by its live bytes at each GC (what the next GC
	// cannot free); objects-in-heap, garbage included, is reported too.
	var maxQueued, maxInflight, maxHeap, maxLive atomic.Int64
	watchDone := make(chan struct{})
	stopWatch := make(chan struct{})
	go func() {
		defer close(watchDone)
		sample := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			maxQueued.Store(max(maxQueued.Load(), ts.queued.Load()))
			maxInflight.Store(max(maxInflight.Load(), ts.inflight.bytes.Load()))
			rtmetrics.Read(sample)
			maxHeap.Store(max(maxHeap.Load(), int64(sample[0].Value.Uint64())))
			maxLive.Store(max(maxLive.Load(), int64(sample[1].Value.Uint64())))
			select {
			case <-stopWatch:
				return
			case <-tick.C:
			}
		}
	}()

	var wg sync.WaitGroup
	attack := func(name string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}()
	}
	// Slow bodies: headers promise a body that never comes.
	var cutOff atomic.Int64
	for range slowConns {
		attack("slow body", func() error {
			c, err := net.Dial("tcp", strings.TrimPrefix(ts.url, "http://"))
			if err != nil {
				return err
			}
			defer c.Close()
			io.WriteString(c, "POST /_bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: 1000000\r\n\r\n{")
			c.SetReadDeadline(time.Now().Add(30 * time.Second))
			b, _ := io.ReadAll(c) // the answer (408, or 429 when no slot was free), then close
			if !bytes.HasPrefix(b, []byte("HTTP/1.1 408")) && !bytes.HasPrefix(b, []byte("HTTP/1.1 429")) {
				return errors.New("slow connection not cut off: " + string(b[:min(len(b), 80)]))
			}
			cutOff.Add(1)
			return nil
		})
	}
	// Gzip bombs ×8: each inflates past max_body_bytes.
	bomb := gzipBomb(64 * mib)
	for range 8 {
		attack("gzip bomb", func() error {
			code, body, _ := postRetrying(ctx, ts.url, string(bomb), "Content-Encoding", "gzip")
			// Refused past max_body_bytes (or, on a machine slow enough that
			// inflating takes body_timeout, cut off).
			if code != http.StatusRequestEntityTooLarge && code != http.StatusRequestTimeout {
				return errors.New("bomb: " + strconv.Itoa(code) + " " + body[:min(len(body), 200)])
			}
			return nil
		})
	}
	// Oversized plain bodies.
	for range 4 {
		attack("oversized", func() error {
			code, _, _ := postRetrying(ctx, ts.url, strings.Repeat(" ", int(limits.MaxBodyBytes)+1))
			if code != http.StatusRequestEntityTooLarge {
				return errors.New("oversized: " + strconv.Itoa(code))
			}
			return nil
		})
	}
	// Future and far-past timestamps: refused per item, not steering time.
	attack("timestamps", func() error {
		body := bulkBody(processIndex,
			execEvent(now.Add(50*time.Minute), "real-01", "P-DECOY", "id"),
			execEvent(now.Add(24*365*time.Hour), "other-01", "P-DECOY", "id"),
			execEvent(time.Unix(0, 0), "other-02", "P-OLD", "id"),
			execEvent(now.Add(-365*24*time.Hour), "other-03", "P-OLD", "id"))
		code, resp, _ := postRetrying(ctx, ts.url, body)
		if code != 200 || strings.Count(resp, `"status":400`) != 4 {
			return errors.New("timestamps: " + strconv.Itoa(code) + " " + resp)
		}
		return nil
	})
	// Distinct groups from one host: one event per parent, none alerting; two shippers,
	// each building one request at a time (the test's own memory stays
	// small next to the server's).
	const per = 2_000
	var next atomic.Int64
	var flooding sync.WaitGroup
	for range 2 {
		flooding.Add(1)
		attack("groups", func() error {
			defer flooding.Done()
			for {
				g := int(next.Add(per)) - per
				if g >= groups {
					return nil
				}
				var evs []string
				for i := g; i < min(g+per, groups); i++ {
					evs = append(evs, execEvent(now.Add(time.Duration(i%30)*time.Second), "flood-01", "P-"+strconv.Itoa(i), "id"))
				}
				code, resp, _ := postRetrying(ctx, ts.url, bulkBody(processIndex, evs...))
				if code != 200 {
					return errors.New("groups: " + strconv.Itoa(code) + " " + resp[:min(len(resp), 200)])
				}
			}
		})
	}
	// The real burst, once the flood has filled the flooding host's share
	// of the group limit (the other attacks go on).
	flooding.Wait()
	ts.Sync()
	var burst []string
	for i, c := range fiveCommands {
		burst = append(burst, execEvent(now.Add(time.Duration(10+i)*time.Second), "real-01", "P-REAL", c))
	}
	code, resp, refused := postRetrying(ctx, ts.url, bulkBody(processIndex, burst...))
	if code != 200 || strings.Contains(resp, `"errors":true`) {
		t.Fatalf("real burst: %d %s", code, resp)
	}
	wg.Wait()
	ts.Sync()
	close(stopWatch)
	<-watchDone

	if n := ts.alerts(t, "?host=real-01&rule="+seedRuleID).Total; n != 1 {
		t.Fatalf("alerts for the real burst: %d, want 1", n)
	}
	if l := ts.alerts(t, "?rule=vigil-group-limit"); l.Total != 1 || l.Alerts[0]["vigil.refused_events"].(float64) == 0 {
		t.Fatalf("the flood did not reach the group limit: %+v", l)
	}
	if cutOff.Load() != int64(slowConns) {
		t.Fatalf("%d of %d slow connections cut off", cutOff.Load(), slowConns)
	}
	budget := limits.QueueBytes + limits.MaxInflightBytes
	t.Logf("groups %d, slow connections %d: peak queued %.1f MiB (limit %d), peak in-flight %.1f MiB (limit %d), peak live heap %.1f MiB (objects with garbage %.1f MiB); real burst refused %d time(s) before it was taken",
		groups, slowConns, float64(maxQueued.Load())/mib, limits.QueueBytes/mib, float64(maxInflight.Load())/mib, limits.MaxInflightBytes/mib, float64(maxLive.Load())/mib, float64(maxHeap.Load())/mib, refused)
	if maxQueued.Load() > limits.QueueBytes || maxInflight.Load() > limits.MaxInflightBytes {
		t.Fatalf("accounted bytes over budget")
	}
	if maxLive.Load() > budget+150*mib {
		t.Fatalf("live heap peaked at %d MiB, budget %d MiB + 150", maxLive.Load()/mib, budget/mib)
	}
}
