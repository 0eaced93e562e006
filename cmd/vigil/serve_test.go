package main

import (
	"encoding/json"
	"fmt"
	"io"
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

// Acceptance 4 with a real crash: a `vigil serve` child is killed with
// SIGKILL inside a window, restarted, and the window's alert fires exactly
// once; killed again after the alert and restarted, it does not fire again.
func TestServeKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	alerts := filepath.Join(dir, "alerts.ndjson")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	url := "http://" + addr
	startChild := func() *exec.Cmd {
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
	kill := func(cmd *exec.Cmd) {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
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
