package main

import (
	"context"
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

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// `vigil serve --kafka-brokers …` is a consumer-group member wired to the
// service: a burst produced to Kafka alerts in its store, /metrics and
// /api/kafka/partitions show the partitions; the member is killed with
// SIGKILL and another (its own data dir: another machine) takes over and
// replays the partition without raising the alert again (the alerts topic
// has it once).
func TestServeKafkaKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "events"), kfake.SeedTopics(1, "alerts"),
		kfake.GroupMinSessionTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "serve.toml")
	os.WriteFile(cfg, []byte("[kafka]\nsession_timeout = \"1s\"\n"), 0o600)
	startChild := func(name string) (*exec.Cmd, string) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$")
		cmd.Env = append(os.Environ(), "VIGIL_SERVE_HELPER=1", "VIGIL_SERVE_ARGS="+strings.Join([]string{
			"serve", "--config", cfg, "--listen", addr, "--data-dir", filepath.Join(dir, name), "--log-level", "warn",
			"--kafka-brokers", strings.Join(c.ListenAddrs(), ","), "--kafka-topic", "events", "--kafka-alerts-topic", "alerts"}, "\x1f"))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, "http://" + addr
	}
	get := func(url string) string {
		resp, err := http.Get(url)
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	waitFor := func(what string, cond func() bool) {
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(50 * time.Millisecond) // polling an outcome
		}
	}
	total := func(url string) int {
		var l struct{ Total int }
		json.Unmarshal([]byte(get(url+"/api/alerts")), &l)
		return l.Total
	}
	type partition struct {
		Events    int `json:"events"`
		Replayed  int `json:"replayed_events"`
		Committed int `json:"committed_offset"`
	}
	partitions := func(url string) []partition {
		var l struct{ Partitions []partition }
		json.Unmarshal([]byte(get(url+"/api/kafka/partitions")), &l)
		return l.Partitions
	}
	replayed := func(url string) int {
		n := 0
		for _, p := range partitions(url) {
			n += p.Replayed
		}
		return n
	}

	prod, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	base := time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC)
	for i, cmd := range []string{"whoami", "curl http://x/a", "find / -name id_rsa", "grep -r pass /etc", "wget http://x/b"} {
		ev := fmt.Sprintf(`{"@timestamp":%q,"data_stream":{"type":"logs","dataset":"endpoint.events.process","namespace":"default"},"event":{"action":"exec","type":["start"],"category":["process"]},"host":{"name":"kafka-01","os":{"type":"linux"}},"agent":{"id":"a1"},"process":{"name":"sh","command_line":%q,"args":["sh","-c",%q],"parent":{"name":"python3","entity_id":"P-KAFKA"}}}`,
			base.Add(time.Duration(i)*time.Second).Format(time.RFC3339), "sh -c "+cmd, cmd)
		if err := prod.ProduceSync(context.Background(), &kgo.Record{Topic: "events", Key: []byte("a1"), Value: []byte(ev)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}

	a, urlA := startChild("a")
	waitFor("the first member's alert", func() bool { return total(urlA) == 1 })
	// The partition metrics are published after the fetch that raised the
	// alert has been evaluated, so they may trail the alert.
	waitFor("vigil_kafka_partition_lag on /metrics", func() bool {
		return strings.Contains(get(urlA+"/metrics"), "vigil_kafka_partition_lag{")
	})
	waitFor("the first member's commit", func() bool {
		for _, p := range partitions(urlA) {
			if p.Events == 5 && p.Committed == 0 { // the open window needs every event
				return true
			}
		}
		return false
	})
	a.Process.Signal(syscall.SIGKILL)
	a.Wait()

	b, urlB := startChild("b")
	defer func() { b.Process.Signal(syscall.SIGTERM); b.Wait() }()
	waitFor("the second member to replay the partition", func() bool { return replayed(urlB) >= 5 })
	if n := total(urlB); n != 0 {
		t.Errorf("the new owner raised %d alerts again", n)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("alerts"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	records := 0
	for ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(*kgo.Record) { records++ })
	}
	if records != 1 {
		t.Errorf("alerts topic has %d records, want 1", records)
	}
}
