package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// `vigil serve` refuses unsafe or invalid set-ups before listening.
func TestServeValidation(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("listen = \"127.0.0.1:0\"\n[sinks.webhok]\nurl = \"x\"\n"), 0o600)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--listen", "0.0.0.0:0", "--data-dir", dir}, "auth.token (or --token) is required"},
		{[]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dir, "--mode", "batch"}, `mode "batch"`},
		{[]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dir, "--tls-cert", "c.pem"}, "cert and key must be set together"},
		{[]string{"serve", "--config", bad}, "unknown key(s): sinks.webhok"},
		{[]string{"serve", "--token", "x", "--token-file", "y"}, "exclusive"},
	}
	for _, tc := range cases {
		_, stderr, code := run(t, "", tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
}

// TestServeHelperProcess is `vigil serve` in a child process (the test
// binary re-executed), for the kill -9 test.
func TestServeHelperProcess(t *testing.T) {
	if os.Getenv("VIGIL_SERVE_HELPER") != "1" {
		t.Skip("runs only as the kill -9 test's child")
	}
	root := newRoot()
	root.SetArgs(strings.Split(os.Getenv("VIGIL_SERVE_ARGS"), "\x1f"))
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// serveChild runs `vigil serve` children (the test binary re-executed)
// on one address and data directory, with a file sink at alerts: start
// returns once the spool has replayed, kill is kill -9.
func serveChild(t *testing.T, dir, alerts string) (url string, start func() *exec.Cmd, kill func(*exec.Cmd)) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	url = "http://" + addr
	start = func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$")
		cmd.Env = append(os.Environ(), "VIGIL_SERVE_HELPER=1", "VIGIL_SERVE_ARGS="+strings.Join([]string{
			"serve", "--listen", addr, "--data-dir", filepath.Join(dir, "data"), "--file", alerts, "--log-level", "warn"}, "\x1f"))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := http.Get(url + "/healthz")
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 && strings.Contains(string(b), `"status":"ok"`) { // not "recovering": the spool replayed
					return cmd
				}
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("child did not start")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	kill = func(cmd *exec.Cmd) {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	return url, start, kill
}

// Acceptance 4 with a real crash: a `vigil serve` child is killed with
// SIGKILL inside a window, restarted, and the window's alert fires exactly
// once; killed again after the alert and restarted, it does not fire again.
func TestServeKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	alerts := filepath.Join(dir, "alerts.ndjson")
	url, startChild, kill := serveChild(t, dir, alerts)
	base := time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC)
	cmds := []string{"whoami", "curl http://x/a", "find / -name id_rsa", "grep -r pass /etc", "wget http://x/b"}
	bulk := func(i int) {
		ev := fmt.Sprintf(`{"@timestamp":%q,"event":{"action":"exec","type":["start"],"category":["process"]},"host":{"name":"kill-01","os":{"type":"linux"}},"agent":{"id":"a1"},"process":{"name":"sh","command_line":%q,"args":["sh","-c",%q],"parent":{"name":"python3","entity_id":"P-KILL"}}}`,
			base.Add(time.Duration(i)*time.Second).Format(time.RFC3339), "sh -c "+cmds[i], cmds[i])
		body := `{"create":{"_index":"logs-endpoint.events.process-default"}}` + "\n" + ev + "\n"
		resp, err := http.Post(url+"/_bulk", "application/x-ndjson", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.Contains(string(b), `"errors":true`) {
			t.Fatalf("bulk: %d %s", resp.StatusCode, b)
		}
	}
	total := func() int {
		resp, err := http.Get(url + "/api/alerts")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var l struct{ Total int }
		json.NewDecoder(resp.Body).Decode(&l)
		return l.Total
	}
	waitTotal := func(n int) {
		deadline := time.Now().Add(5 * time.Second)
		for total() != n {
			if time.Now().After(deadline) {
				t.Fatalf("alerts: %d, want %d", total(), n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	c := startChild()
	for i := 0; i < 4; i++ {
		bulk(i)
	}
	kill(c) // mid-window: four of five commands acknowledged
	c = startChild()
	if n := total(); n != 0 {
		t.Fatalf("alerts before the fifth command: %d", n)
	}
	bulk(4)
	waitTotal(1)
	// The store commits an alert before the sinks are sent it: wait for the
	// file sink's line too, so the kill falls after the delivery (a kill
	// between the two makes the next start send it again: the outbox).
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(alerts)
		if strings.Count(string(b), "\n") == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("file sink has no alert line")
		}
		time.Sleep(20 * time.Millisecond)
	}
	kill(c) // after the alert
	c = startChild()
	time.Sleep(300 * time.Millisecond) // a replay that re-alerted would show by now
	waitTotal(1)
	c.Process.Signal(syscall.SIGTERM)
	c.Wait()
	b, _ := os.ReadFile(alerts)
	if n := strings.Count(string(b), "\n"); n != 1 {
		t.Fatalf("file sink has %d alert lines, want exactly 1:\n%s", n, b)
	}
}

// Acceptance 4 under load: a shipper sends batches without pause (each
// with one alerting burst under its own parent, stamped now) while a
// `vigil serve` child is killed with SIGKILL ten times at random moments,
// requests in flight, and restarted; the shipper retries what was not
// acknowledged, as shippers do. Afterwards every acknowledged burst has
// exactly one alert (alert ids are the group: a duplicate would be a
// second id for one parent), and every alert reached the file sink (at
// least once: the outbox sends what a kill cut off).
func TestServeKill9UnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	alerts := filepath.Join(dir, "alerts.ndjson")
	url, startChild, kill := serveChild(t, dir, alerts)
	cmds := []string{"whoami", "curl http://x/a", "find / -name id_rsa", "grep -r pass /etc", "wget http://x/b"}
	batch := func(n int) string {
		var b strings.Builder
		ts := time.Now().UTC().Format(time.RFC3339Nano)
		ev := func(parent, parentName, cmd string) {
			b.WriteString(`{"create":{"_index":"logs-endpoint.events.process-default"}}` + "\n")
			fmt.Fprintf(&b, `{"@timestamp":%q,"event":{"action":"exec","type":["start"],"category":["process"]},"host":{"name":"load-%d","os":{"type":"linux"}},"agent":{"id":"agent-%d"},"process":{"name":"sh","command_line":%q,"args":["sh","-c",%q],"parent":{"name":%q,"entity_id":%q}}}`+"\n",
				ts, n%7, n%7, "sh -c "+cmd, cmd, parentName, parent)
		}
		for i := range 200 {
			ev(fmt.Sprintf("bg-%d-%d", n, i%20), "bash", cmds[i%5])
		}
		for _, c := range cmds {
			ev(fmt.Sprintf("P-LOAD-%d", n), "python3", c)
		}
		return b.String()
	}
	stop := make(chan struct{})
	acked := make(chan int, 1000) // batches (bursts) acknowledged
	go func() {
		defer close(acked)
		for n := 0; ; n++ {
			body := batch(n)
			for { // until acknowledged; the same lines, so the same _ids
				select {
				case <-stop:
					return
				default:
				}
				resp, err := http.Post(url+"/_bulk", "application/x-ndjson", strings.NewReader(body))
				if err != nil {
					time.Sleep(20 * time.Millisecond)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 && !strings.Contains(string(b), `"errors":true`) {
					break
				}
				time.Sleep(20 * time.Millisecond) // 429 while replaying, or a cut connection
			}
			acked <- n
		}
	}()
	rng := rand.New(rand.NewPCG(14, 14))
	for range 10 {
		c := startChild()
		time.Sleep(time.Duration(150+rng.IntN(350)) * time.Millisecond) // the crash's moment, not a sequencing wait
		kill(c)
	}
	c := startChild()
	defer func() {
		c.Process.Signal(syscall.SIGTERM)
		c.Wait()
	}()
	close(stop)
	want := map[string]bool{}
	for n := range acked {
		want[fmt.Sprintf("P-LOAD-%d", n)] = true
	}
	if len(want) < 10 {
		t.Fatalf("only %d batches acknowledged across the kills", len(want))
	}
	type alert struct {
		ID     string `json:"kibana.alert.uuid"`
		Parent string `json:"process.parent.entity_id"`
	}
	var got []alert
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(url + "/api/alerts?size=1000")
		if err != nil {
			t.Fatal(err)
		}
		var l struct{ Alerts []alert }
		json.NewDecoder(resp.Body).Decode(&l)
		resp.Body.Close()
		got = l.Alerts
		seen := 0
		for _, a := range got {
			if want[a.Parent] {
				seen++
			}
		}
		if seen == len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged bursts alerted", seen, len(want))
		}
		time.Sleep(50 * time.Millisecond)
	}
	perParent := map[string]int{}
	for _, a := range got {
		perParent[a.Parent]++
		if perParent[a.Parent] > 1 {
			t.Fatalf("burst %s alerted twice", a.Parent)
		}
	}
	deadline = time.Now().Add(10 * time.Second)
	for _, a := range got {
		for {
			b, _ := os.ReadFile(alerts)
			if strings.Contains(string(b), a.ID) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("alert %s (%s) never reached the file sink", a.ID, a.Parent)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Logf("10 kills under load: %d bursts acknowledged, %d alerts, each in the file sink", len(want), len(got))
}
