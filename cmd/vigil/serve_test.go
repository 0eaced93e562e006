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

// serveChild is a `vigil serve` child process (TestServeHelperProcess) on
// a fixed address, for the kill -9 tests.
type serveChild struct {
	t    *testing.T
	args []string
	url  string
	cmd  *exec.Cmd
}

// newServeChild reserves an address for children run with args (and
// --listen it).
func newServeChild(t *testing.T, args ...string) *serveChild {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return &serveChild{t: t, args: append([]string{"serve", "--listen", addr}, args...), url: "http://" + addr}
}

// start runs a child and waits until its spool has replayed.
func (c *serveChild) start() {
	t := c.t
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$")
	c.cmd.Env = append(os.Environ(), "VIGIL_SERVE_HELPER=1", "VIGIL_SERVE_ARGS="+strings.Join(c.args, "\x1f"))
	c.cmd.Stderr = os.Stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(c.url + "/healthz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && strings.Contains(string(b), `"status":"ok"`) { // not "recovering": the spool replayed
				return
			}
		}
		if time.Now().After(deadline) {
			c.cmd.Process.Kill()
			t.Fatal("child did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *serveChild) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	c.cmd.Wait()
}

func (c *serveChild) stop() {
	c.cmd.Process.Signal(syscall.SIGTERM)
	c.cmd.Wait()
}

// bulk sends one event to index and requires its acknowledgement.
func (c *serveChild) bulk(index, event string) {
	body := `{"create":{"_index":"` + index + `"}}` + "\n" + event + "\n"
	resp, err := http.Post(c.url+"/_bulk", "application/x-ndjson", strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Contains(string(b), `"errors":true`) {
		c.t.Fatalf("bulk: %d %s", resp.StatusCode, b)
	}
}

func (c *serveChild) total() int {
	resp, err := http.Get(c.url + "/api/alerts")
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var l struct{ Total int }
	json.NewDecoder(resp.Body).Decode(&l)
	return l.Total
}

func (c *serveChild) waitTotal(n int) {
	deadline := time.Now().Add(5 * time.Second)
	for c.total() != n {
		if time.Now().After(deadline) {
			c.t.Fatalf("alerts: %d, want %d", c.total(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitLines waits until the file sink holds n alert lines. The store
// commits an alert before the sinks are sent it: a kill between the two
// makes the next start send it again (the outbox), so the tests that count
// lines kill after it.
func waitLines(t *testing.T, path string, n int) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if strings.Count(string(b), "\n") == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("file sink has %d alert lines, want %d", strings.Count(string(b), "\n"), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
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
	c := newServeChild(t, "--data-dir", filepath.Join(dir, "data"), "--file", alerts, "--log-level", "warn")
	base := time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC)
	cmds := []string{"whoami", "curl http://x/a", "find / -name id_rsa", "grep -r pass /etc", "wget http://x/b"}
	bulk := func(i int) {
		c.bulk("logs-endpoint.events.process-default", fmt.Sprintf(`{"@timestamp":%q,"event":{"action":"exec","type":["start"],"category":["process"]},"host":{"name":"kill-01","os":{"type":"linux"}},"agent":{"id":"a1"},"process":{"name":"sh","command_line":%q,"args":["sh","-c",%q],"parent":{"name":"python3","entity_id":"P-KILL"}}}`,
			base.Add(time.Duration(i)*time.Second).Format(time.RFC3339), "sh -c "+cmds[i], cmds[i]))
	}

	c.start()
	for i := 0; i < 4; i++ {
		bulk(i)
	}
	c.kill() // mid-window: four of five commands acknowledged
	c.start()
	if n := c.total(); n != 0 {
		t.Fatalf("alerts before the fifth command: %d", n)
	}
	bulk(4)
	c.waitTotal(1)
	waitLines(t, alerts, 1)
	c.kill() // after the alert
	c.start()
	time.Sleep(300 * time.Millisecond) // a replay that re-alerted would show by now
	c.waitTotal(1)
	c.stop()
	waitLines(t, alerts, 1)
}

// Acceptance 5 with a real crash: a `vigil serve` child running an EQL
// sequence rule is killed with SIGKILL while the sequence is open (its
// first event acknowledged), restarted, and the sequence's last event
// alerts exactly once (two building blocks and the shell); killed again
// after the alert and restarted, nothing fires again. The allowed
// lateness is 0, so the watermark (one agent) releases each event at once.
func TestServeKill9EQLSequence(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	alerts := filepath.Join(dir, "alerts.ndjson")
	c := newServeChild(t, "--data-dir", filepath.Join(dir, "data"), "--file", alerts, "--log-level", "warn",
		"--rules", "testdata/eql/sequence.toml", "--allowed-lateness", "0")
	base := time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC)
	event := func(sec int, category string) {
		c.bulk("logs-endpoint.events."+category+"-default", fmt.Sprintf(`{"@timestamp":%q,"event":{"type":["start"],"category":[%q]},"host":{"name":"kill-01"},"agent":{"id":"a1"},"process":{"name":"sh","entity_id":"E-KILL"}}`,
			base.Add(time.Duration(sec)*time.Second).Format(time.RFC3339), category))
	}

	c.start()
	event(0, "process")
	c.kill() // the sequence is open
	c.start()
	if n := c.total(); n != 0 {
		t.Fatalf("alerts before the sequence's last event: %d", n)
	}
	event(20, "network")
	c.waitTotal(3)
	waitLines(t, alerts, 3)
	c.kill() // after the alert
	c.start()
	time.Sleep(300 * time.Millisecond) // a replay that re-alerted would show by now
	c.waitTotal(3)
	c.stop()
	waitLines(t, alerts, 3)
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
	c := newServeChild(t, "--data-dir", filepath.Join(dir, "data"), "--file", alerts, "--log-level", "warn")
	url := c.url
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
		c.start()
		time.Sleep(time.Duration(150+rng.IntN(350)) * time.Millisecond) // the crash's moment, not a sequencing wait
		c.kill()
	}
	c.start()
	defer c.stop()
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
