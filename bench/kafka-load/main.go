// Command kafka-load measures `vigil serve`'s Kafka input (internal/kafka)
// on an in-process Kafka (franz-go's kfake; not part of go test): the
// events/s a consumer group of --instances members evaluates from a
// backlog of `vigil sample` events keyed by agent.id over --partitions
// partitions, then the latency from producing an alerting burst's fifth
// event to its alert (p50/p99), bursts stamped with the wall clock.
//
//	go run ./bench/kafka-load --events 200000 --instances 1
//	go run ./bench/kafka-load --events 200000 --instances 2
//
// Members run in this process and share its cores with the broker and the
// producer, as on one small machine.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"vigil/internal/config"
	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/kafka"
	"vigil/internal/rule"
	"vigil/internal/sample"
)

func main() {
	events := flag.Int("events", 200_000, "backlog size (about; `vigil sample` hosts are scaled to it)")
	partitions := flag.Int("partitions", 12, "partitions of the events topic")
	instances := flag.Int("instances", 1, "members of the consumer group")
	bursts := flag.Int("bursts", 200, "alerting bursts for the latency phase")
	every := flag.Duration("burst-every", 20*time.Millisecond, "time between bursts")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "kafka-load:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*events, *partitions, *instances, *bursts, *every); err != nil {
		fmt.Fprintln(os.Stderr, "kafka-load:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(events, partitions, instances, bursts int, every time.Duration) error {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(int32(partitions), "events"))
	if err != nil {
		return err
	}
	defer c.Close()
	prod, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		return err
	}
	defer prod.Close()

	var buf bytes.Buffer
	if _, err := sample.Generate(&buf, sample.Config{Seed: 5, Scenarios: true, Hosts: max(events/480, 1)}); err != nil {
		return err
	}
	var recs []*kgo.Record
	sc := bufio.NewScanner(&buf)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := bytes.Clone(sc.Bytes())
		var m struct {
			TS    time.Time           `json:"@timestamp"`
			Agent struct{ ID string } `json:"agent"`
		}
		json.Unmarshal(line, &m)
		recs = append(recs, &kgo.Record{Topic: "events", Key: []byte(m.Agent.ID), Value: line, Timestamp: m.TS})
	}
	for i := 0; i < len(recs); i += 5000 {
		if err := prod.ProduceSync(context.Background(), recs[i:min(i+5000, len(recs))]...).FirstErr(); err != nil {
			return err
		}
	}
	total := int64(len(recs))

	var rules []*engine.CompiledRule
	for _, r := range rule.Builtin() {
		cr, err := engine.Compile(r, &engine.Catalog{}, esql.Options{})
		if err != nil {
			return err
		}
		rules = append(rules, cr)
	}
	cfg := config.Default()
	cfg.Kafka.Brokers = c.ListenAddrs()
	cfg.Kafka.Topics = []string{"events"}
	var mu sync.Mutex
	alerted := map[string]time.Time{} // host → first alert
	deliver := func(ups []engine.Update) {
		now := time.Now()
		mu.Lock()
		for _, u := range ups {
			if _, ok := alerted[u.Alert.Host]; !ok {
				alerted[u.Alert.Host] = now
			}
		}
		mu.Unlock()
	}
	var members []*kafka.Consumer
	for range instances {
		m, err := kafka.New(kafka.Options{Config: cfg, Rules: rules, Deliver: deliver})
		if err != nil {
			return err
		}
		members = append(members, m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	start := time.Now()
	for _, m := range members {
		wg.Add(1)
		go func() { defer wg.Done(); m.Run(ctx) }()
	}
	// consumed counts fresh records (replays after a rebalance apart);
	// stable is whether every member owns partitions.
	consumed := func() (fresh, replayed int64, stable bool) {
		stable = true
		for _, m := range members {
			ps := m.Partitions()
			stable = stable && len(ps) > 0
			for _, p := range ps {
				fresh += p.Events - p.Replayed
				replayed += p.Replayed
			}
		}
		return
	}
	var stableAt time.Time
	var atStable int64
	for {
		n, _, stable := consumed()
		if stable && stableAt.IsZero() {
			stableAt, atStable = time.Now(), n
		}
		if n >= total {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	end := time.Now()
	_, replayed, _ := consumed()
	fmt.Printf("backlog: %d events, %d partitions, %d members: %.2fs from start (group join included), %.0f events/s once every member owned partitions (%d events after it), %d records replayed by rebalances\n",
		total, partitions, instances, end.Sub(start).Seconds(), float64(total-atStable)/end.Sub(stableAt).Seconds(), total-atStable, replayed)

	cmds := []string{"whoami", "curl http://x/a", "find / -name id_rsa", "grep -r pass /etc", "wget http://x/b"}
	sent := map[string]time.Time{}
	for b := range bursts {
		host := fmt.Sprintf("lat-%04d", b)
		now := time.Now().UTC()
		var rs []*kgo.Record
		for i, cmd := range cmds {
			m := map[string]any{
				"@timestamp":  now.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano),
				"data_stream": map[string]any{"type": "logs", "dataset": "endpoint.events.process", "namespace": "default"},
				"event":       map[string]any{"action": "exec", "type": []string{"start"}, "category": []string{"process"}},
				"host":        map[string]any{"name": host, "os": map[string]any{"type": "linux"}},
				"agent":       map[string]any{"id": "agent-" + host},
				"process": map[string]any{"name": "sh", "executable": "/bin/sh", "command_line": "sh -c " + cmd, "args": []string{"sh", "-c", cmd},
					"parent": map[string]any{"name": "python3", "entity_id": "P-" + host, "executable": "/usr/bin/python3"}},
			}
			line, _ := json.Marshal(m)
			rs = append(rs, &kgo.Record{Topic: "events", Key: []byte("agent-" + host), Value: line})
		}
		sent[host] = time.Now()
		if err := prod.ProduceSync(ctx, rs...).FirstErr(); err != nil {
			return err
		}
		time.Sleep(every)
	}
	deadline := time.Now().Add(30 * time.Second)
	var lat []time.Duration
	for time.Now().Before(deadline) {
		mu.Lock()
		lat = lat[:0]
		for h, t0 := range sent {
			if t1, ok := alerted[h]; ok {
				lat = append(lat, t1.Sub(t0))
			}
		}
		mu.Unlock()
		if len(lat) == len(sent) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(lat) == 0 {
		return fmt.Errorf("no burst alerted")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	fmt.Printf("latency: %d/%d bursts alerted, produce of the burst → alert delivered: p50 %s, p99 %s\n",
		len(lat), len(sent), lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)*99/100].Round(time.Millisecond))
	return nil
}
