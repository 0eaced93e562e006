// Command serve-load is a bounded loopback load test for `vigil serve` (not
// part of go test). It ships Elastic Defend process events through _bulk
// from several connections for a fixed time, retrying 429s with back-off
// so no acknowledged event is lost, and every --burst-every events sends
// one parent's five distinct command lines — a seed-rule alert. It follows
// /api/alerts/stream and reports ingest throughput, 429s, and the latency
// from the _bulk that carried each burst's fifth command to its alert.
// --pass sets the share of background events that pass the seed rule's
// filter (Python parents exec'ing shells, never alerting: one command
// kind); --agents how many agents (agent.id, the partition key) send them.
// At the end it waits for the server's queue to drain and reports the
// evaluated rate, and with --pid the server's peak RSS; /metrics'
// vigil_events_received_total is compared with the events acknowledged.
//
//	vigil serve --data-dir /tmp/vigil-bench &
//	go run ./bench/serve-load --duration 20s
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:9200", "vigil serve address")
	token := flag.String("token", "", "bearer token")
	conns := flag.Int("connections", 4, "concurrent _bulk senders")
	batch := flag.Int("batch", 2000, "events per _bulk request")
	duration := flag.Duration("duration", 15*time.Second, "how long to send")
	burstEvery := flag.Int("burst-every", 50000, "send one alerting burst per this many events")
	pass := flag.Float64("pass", 0, "share of background events passing the seed rule's filter (0..1)")
	agents := flag.Int("agents", 50, "distinct agents (hosts) sending the background events")
	pid := flag.Int("pid", 0, "the server's process id, to report its peak RSS (Linux)")
	flag.Parse()
	received0 := receivedTotal(*url, *token)
	cpu0 := cpuSeconds(*pid)

	var sent, requests, rejected, bursts atomic.Int64
	var mu sync.Mutex
	burstAcked := map[string]time.Time{} // parent entity id → when the _bulk carrying its fifth command was acknowledged
	alerted := map[string]time.Time{}    // parent entity id → when its alert arrived on the stream

	// Alert stream.
	go func() {
		req, _ := http.NewRequest("GET", *url+"/api/alerts/stream", nil)
		if *token != "" {
			req.Header.Set("Authorization", "Bearer "+*token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, "stream:", err)
			return
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<26)
		created := false
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "event: alert.created":
				created = true
			case strings.HasPrefix(line, "data: ") && created:
				created = false
				var a map[string]any
				json.Unmarshal([]byte(line[6:]), &a)
				p, _ := a["process.parent.entity_id"].(string)
				mu.Lock()
				alerted[p] = time.Now()
				mu.Unlock()
			}
		}
	}()
	time.Sleep(200 * time.Millisecond)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conns * 2}}
	deadline := time.Now().Add(*duration)
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < *conns; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			var body bytes.Buffer
			n := 0
			for time.Now().Before(deadline) {
				body.Reset()
				var burstParent string
				now := time.Now().UTC()
				ts := now.Format("2006-01-02T15:04:05.000Z")
				for i := 0; i < *batch; i++ {
					n++
					body.WriteString(`{"create":{"_index":"logs-endpoint.events.process-default"}}` + "\n")
					if n%*burstEvery == 0 && now.Second() < 58 {
						burstParent = fmt.Sprintf("burst-%d-%d", c, n)
						for k, cmd := range []string{"whoami", "curl http://x", "find / -perm -4000", "grep -r key /home", "wget http://y"} {
							if k > 0 {
								body.WriteString(`{"create":{"_index":"logs-endpoint.events.process-default"}}` + "\n")
							}
							body.WriteString(event(ts, "bench-host", burstParent, "python3", cmd))
							body.WriteByte('\n')
						}
						continue
					}
					parentName := "bash"
					if float64(n%1000) < *pass*1000 {
						parentName = "python3"
					}
					body.WriteString(event(ts, "bench-host-"+strconv.Itoa(n%*agents), "p-"+strconv.Itoa(n%1000), parentName, "ls -la /tmp/"+strconv.Itoa(n%97)))
					body.WriteByte('\n')
				}
				events := int64(strings.Count(body.String(), "\n") / 2)
				delay := 5 * time.Millisecond
				for {
					req, _ := http.NewRequest("POST", *url+"/_bulk", bytes.NewReader(body.Bytes()))
					req.Header.Set("Content-Type", "application/x-ndjson")
					if *token != "" {
						req.Header.Set("Authorization", "Bearer "+*token)
					}
					resp, err := client.Do(req)
					if err != nil {
						fmt.Fprintln(os.Stderr, "bulk:", err)
						time.Sleep(delay)
						continue
					}
					rb, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					requests.Add(1)
					if resp.StatusCode == http.StatusTooManyRequests {
						rejected.Add(1)
						time.Sleep(delay)
						delay = min(delay*2, 500*time.Millisecond)
						continue
					}
					if resp.StatusCode != 200 || bytes.Contains(rb, []byte(`"errors":true`)) {
						fmt.Fprintf(os.Stderr, "bulk: HTTP %d %.200s\n", resp.StatusCode, rb)
					}
					break
				}
				sent.Add(events)
				if burstParent != "" {
					bursts.Add(1)
					mu.Lock()
					burstAcked[burstParent] = time.Now()
					mu.Unlock()
				}
			}
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	// The queue drains: everything acknowledged is then evaluated.
	for queued(*url, *token) > 0 {
		time.Sleep(20 * time.Millisecond)
	}
	evaluated := time.Since(start)
	time.Sleep(2 * time.Second) // let the last alerts arrive
	mu.Lock()
	defer mu.Unlock()
	// The stream may deliver an alert before its _bulk response is read:
	// that counts as zero latency.
	var latencies []time.Duration
	for p, ack := range burstAcked {
		if at, ok := alerted[p]; ok {
			latencies = append(latencies, max(0, at.Sub(ack)))
		}
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	fmt.Printf("events acknowledged: %d in %s: %.0f events/s\n", sent.Load(), elapsed.Round(time.Millisecond), float64(sent.Load())/elapsed.Seconds())
	fmt.Printf("_bulk requests: %d, 429 rejections (retried): %d\n", requests.Load(), rejected.Load())
	fmt.Printf("alert bursts: %d sent, %d alerts seen; latency p50 %s p99 %s\n", bursts.Load(), len(latencies), pct(0.50).Round(time.Millisecond), pct(0.99).Round(time.Millisecond))
	fmt.Printf("evaluated: queue drained %s after the last send: %.0f events/s evaluated\n", (evaluated - elapsed).Round(time.Millisecond), float64(sent.Load())/evaluated.Seconds())
	if received0 >= 0 {
		fmt.Printf("vigil_events_received_total grew by %d (acknowledged %d)\n", receivedTotal(*url, *token)-received0, sent.Load())
	}
	if *pid > 0 {
		// On a shared machine the server gets what the others leave: its
		// own CPU time says what the work costs.
		cpu := cpuSeconds(*pid) - cpu0
		fmt.Printf("server CPU: %.1f s over %s (%.2f cores): %.0f events per CPU-second\n", cpu, evaluated.Round(time.Millisecond), cpu/evaluated.Seconds(), float64(sent.Load())/cpu)
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", *pid)); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(l, "VmHWM:") {
					fmt.Println("server peak RSS:", strings.Join(strings.Fields(l)[1:], " "))
				}
			}
		}
	}
}

func get(url, token string) string {
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// queued is the server's ingest queue length (/healthz).
func queued(url, token string) int {
	var h struct{ Queue int }
	if json.Unmarshal([]byte(get(url+"/healthz", token)), &h) != nil {
		return 0
	}
	return h.Queue
}

// cpuSeconds is a process's user+system CPU time (Linux /proc, at the
// usual 100 ticks a second), or 0.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if pid <= 0 || err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / 100
}

// receivedTotal is vigil_events_received_total, or -1.
func receivedTotal(url, token string) int64 {
	for _, l := range strings.Split(get(url+"/metrics", token), "\n") {
		if v, ok := strings.CutPrefix(l, "vigil_events_received_total "); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				return int64(f)
			}
		}
	}
	return -1
}

func event(ts, host, parent, parentName, cmd string) string {
	q := strconv.Quote
	return `{"@timestamp":` + q(ts) + `,"data_stream":{"type":"logs","dataset":"endpoint.events.process","namespace":"default"},` +
		`"event":{"action":"exec","type":["start"],"category":["process"]},"host":{"name":` + q(host) + `,"os":{"type":"linux"}},` +
		`"agent":{"id":` + q("agent-"+host) + `},"process":{"name":"sh","executable":"/bin/sh","command_line":` + q("sh -c "+cmd) +
		`,"args":["sh","-c",` + q(cmd) + `],"parent":{"name":` + q(parentName) + `,"entity_id":` + q(parent) + `,"executable":` + q("/usr/bin/"+parentName) + `}}}`
}
