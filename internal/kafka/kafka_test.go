package kafka

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"vigil/internal/config"
	"vigil/internal/doc"
	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/rule"
	"vigil/internal/sample"
)

const (
	eventsTopic = "events"
	alertsTopic = "vigil-alerts"
	dlqTopic    = "vigil-dlq"
)

func seedRules(t *testing.T) []*engine.CompiledRule {
	t.Helper()
	var out []*engine.CompiledRule
	for _, r := range rule.Builtin() {
		cr, err := engine.Compile(r, &engine.Catalog{}, esql.Options{})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cr)
	}
	return out
}

var fiveCommands = []string{"whoami", "curl http://x/a", "find / -name id_rsa", "grep -r pass /etc", "wget http://x/b"}

// event is one line with the fields the test routes and stamps it by.
type event struct {
	line  []byte
	agent string
	t     time.Time
}

// testData is `vigil sample` data over hosts background hosts (scripted
// scenarios included) plus bursts alerting bursts on hosts of their own at
// random minutes, in time order, as a fleet's shippers deliver them.
func testData(t *testing.T, hosts, bursts int) []event {
	t.Helper()
	var buf bytes.Buffer
	if _, err := sample.Generate(&buf, sample.Config{Seed: 18, Scenarios: true, Hosts: hosts}); err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	sc := bufio.NewScanner(&buf)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		lines = append(lines, bytes.Clone(sc.Bytes()))
	}
	rng := rand.New(rand.NewPCG(18, 18))
	start := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for b := 0; b < bursts; b++ {
		at := start.Add(time.Duration(rng.IntN(115*60)) * time.Second)
		host := fmt.Sprintf("burst-%03d", b)
		for i, c := range fiveCommands {
			m := map[string]any{
				"@timestamp":  at.Add(time.Duration(i) * time.Second).Format("2006-01-02T15:04:05.000Z"),
				"data_stream": map[string]any{"type": "logs", "dataset": "endpoint.events.process", "namespace": "default"},
				"event":       map[string]any{"action": "exec", "type": []string{"start"}, "category": []string{"process"}},
				"host":        map[string]any{"name": host, "os": map[string]any{"type": "linux"}},
				"agent":       map[string]any{"id": "agent-" + host},
				"process": map[string]any{"name": "sh", "executable": "/bin/sh", "command_line": "sh -c " + c, "args": []string{"sh", "-c", c},
					"parent": map[string]any{"name": "python3", "entity_id": "P-" + host, "executable": "/usr/bin/python3"}},
			}
			l, _ := json.Marshal(m)
			lines = append(lines, l)
		}
	}
	out := make([]event, len(lines))
	for i, l := range lines {
		var m struct {
			TS    time.Time `json:"@timestamp"`
			Agent struct {
				ID string `json:"id"`
			} `json:"agent"`
		}
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatal(err)
		}
		out[i] = event{line: l, agent: m.Agent.ID, t: m.TS}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].t.Before(out[j].t) })
	return out
}

// huntAlerts is what `vigil hunt` raises over the events: alert documents
// by id.
func huntAlerts(t *testing.T, evs []event) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, a := range sweepAlerts(t, seedRules(t), evs) {
		out[a.ID] = alertDoc(a)
	}
	return out
}

// sweepAlerts are the alerts `vigil hunt` raises over the events.
func sweepAlerts(t *testing.T, rules []*engine.CompiledRule, evs []event) []*engine.Alert {
	t.Helper()
	sw := engine.NewSweep(rules)
	dec := doc.NewDecoder((&engine.Catalog{}).DecoderMapping(), doc.DecodeOptions{Dynamic: true})
	for _, e := range evs {
		d, err := dec.Decode(e.line)
		if err != nil {
			t.Fatal(err)
		}
		sw.Push(d)
	}
	res, err := sw.Finish(time.Now(), "x")
	if err != nil {
		t.Fatal(err)
	}
	var out []*engine.Alert
	for _, rr := range res {
		out = append(out, rr.Alerts...)
	}
	return out
}

func alertDoc(a *engine.Alert) map[string]any {
	b, _ := a.MarshalJSON()
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// cluster is an in-process Kafka (kfake) with the events topic over
// partitions partitions, the alerts and dead-letter topics.
func cluster(t *testing.T, partitions int32) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, eventsTopic),
		kfake.SeedTopics(1, alertsTopic, dlqTopic), kfake.GroupMinSessionTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// produce writes events keyed by agent.id (the producer-side requirement,
// docs/kafka.md), stamped with their event time as Beats stamps them.
func produce(t *testing.T, c *kfake.Cluster, evs []event) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, len(evs))
	for i, e := range evs {
		recs[i] = &kgo.Record{Topic: eventsTopic, Key: []byte(e.agent), Value: e.line, Timestamp: e.t}
	}
	for i := 0; i < len(recs); i += 5000 {
		if err := cl.ProduceSync(context.Background(), recs[i:min(i+5000, len(recs))]...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// severable dials through connections it can cut all at once: a member
// whose connections are cut and who cannot dial again is gone as a
// kill -9'd process is (no LeaveGroup, no commit, no heartbeat).
type severable struct {
	mu    sync.Mutex
	dead  bool
	conns []net.Conn
}

func (s *severable) dial(ctx context.Context, network, host string) (net.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dead {
		return nil, fmt.Errorf("killed")
	}
	c, err := (&net.Dialer{}).DialContext(ctx, network, host)
	if err == nil {
		s.conns = append(s.conns, c)
	}
	return c, err
}

func (s *severable) kill() { s.setDown(true) }

// setDown cuts every connection and refuses new ones (down), or lets the
// member dial again.
func (s *severable) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dead = down
	if down {
		for _, c := range s.conns {
			c.Close()
		}
		s.conns = nil
	}
}

// instance is one `vigil serve` member of the group.
type instance struct {
	c      *Consumer
	sev    *severable
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	got    []engine.Update
}

func kafkaConfig(c *kfake.Cluster) *config.Config {
	cfg := config.Default()
	cfg.Kafka.Brokers = c.ListenAddrs()
	cfg.Kafka.Topics = []string{eventsTopic}
	cfg.Kafka.AlertsTopic = alertsTopic
	cfg.Kafka.DeadLetterTopic = dlqTopic
	cfg.Kafka.SessionTimeout.Duration = 1500 * time.Millisecond
	return cfg
}

func startInstance(t *testing.T, cfg *config.Config, rules []*engine.CompiledRule) *instance {
	t.Helper()
	in := &instance{sev: &severable{}, done: make(chan struct{})}
	c, err := New(Options{Config: cfg, Rules: rules, ClientOpts: []kgo.Opt{kgo.Dialer(in.sev.dial), kgo.HeartbeatInterval(300 * time.Millisecond), kgo.RebalanceTimeout(3 * time.Second)},
		CommitInterval: 200 * time.Millisecond,
		Deliver: func(ups []engine.Update) {
			in.mu.Lock()
			in.got = append(in.got, ups...)
			in.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	in.c = c
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	go func() { defer close(in.done); c.Run(ctx) }()
	t.Cleanup(in.stop)
	return in
}

func (in *instance) stop() {
	in.cancel()
	<-in.done
}

// kill stops the member as kill -9 would.
func (in *instance) kill() {
	in.sev.kill()
	in.cancel()
	in.c.crash()
	<-in.done
}

func (in *instance) updates() []engine.Update {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]engine.Update(nil), in.got...)
}

// alertsTopicRecords reads the whole alerts topic: per alert id, each
// version's content hash in order.
func alertsTopicRecords(t *testing.T, c *kfake.Cluster) map[string][]string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics(alertsTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	out := map[string][]string{}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			for _, h := range r.Headers {
				if h.Key == hashHeader {
					out[string(r.Key)] = append(out[string(r.Key)], string(h.Value))
				}
			}
		})
		if n == 0 {
			return out
		}
	}
}

// latest is the last version of each alert the instances delivered.
func latest(ins ...*instance) (map[string]engine.Update, int) {
	out := map[string]engine.Update{}
	n := 0
	for _, in := range ins {
		for _, u := range in.updates() {
			out[u.Alert.ID] = u
			n++
		}
	}
	return out, n
}

// matches reports how the delivered alerts differ from hunt's: every hunt
// alert raised with its fields (but those that change per evaluation), and
// no other.
func matches(want map[string]map[string]any, got map[string]engine.Update) []string {
	var diffs []string
	for id, w := range want {
		u, ok := got[id]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("hunt's alert %s (host %v) not raised", id, w["host.name"]))
			continue
		}
		g := alertDoc(u.Alert)
		for k, v := range w {
			if engine.VolatileField(k) {
				continue
			}
			gb, _ := json.Marshal(g[k])
			wb, _ := json.Marshal(v)
			if !bytes.Equal(gb, wb) {
				diffs = append(diffs, fmt.Sprintf("alert %s field %s: %s, hunt has %s", id, k, gb, wb))
			}
		}
	}
	for id := range got {
		if want[id] == nil {
			diffs = append(diffs, fmt.Sprintf("alert %s not raised by hunt", id))
		}
	}
	sort.Strings(diffs)
	return diffs
}

// waitMatch waits until the instances' alerts are hunt's, or fails with
// the difference.
func waitMatch(t *testing.T, want map[string]map[string]any, d time.Duration, ins ...*instance) map[string]engine.Update {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		got, _ := latest(ins...)
		diffs := matches(want, got)
		if len(diffs) == 0 {
			return got
		}
		if time.Now().After(deadline) {
			if len(diffs) > 10 {
				diffs = append(diffs[:10], fmt.Sprintf("… %d more", len(diffs)-10))
			}
			for i, in := range ins {
				b, _ := json.Marshal(in.c.Partitions())
				t.Logf("member %d partitions: %s", i, b)
			}
			t.Fatalf("after %s the alerts differ from hunt's:\n%s", d, bytesJoin(diffs))
		}
		time.Sleep(50 * time.Millisecond) // polling an outcome, not sequencing
	}
}

func bytesJoin(s []string) string {
	var b bytes.Buffer
	for _, x := range s {
		b.WriteString(x + "\n")
	}
	return b.String()
}

// noDuplicates checks that no version of an alert was raised twice: in
// what the instances delivered (their stores) and in the alerts topic.
func noDuplicates(t *testing.T, c *kfake.Cluster, ins ...*instance) {
	t.Helper()
	seen := map[string]int{}
	for _, in := range ins {
		for _, u := range in.updates() {
			seen[u.Alert.ID+" "+engine.ContentHash(u.Alert)]++
		}
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("alert version %s delivered %d times", k, n)
		}
	}
	for id, hs := range alertsTopicRecords(t, c) {
		dup := map[string]bool{}
		for _, h := range hs {
			if dup[h] {
				t.Errorf("alerts topic: alert %s version %s written twice", id, h)
			}
			dup[h] = true
		}
	}
}

func scale() (hosts, bursts int, partitions int32) {
	if os.Getenv("VIGIL_LONG_TESTS") != "" {
		return 440, 24, 12 // ≈ 203k events, 28 alerting groups
	}
	return 24, 24, 12
}

// Acceptance 2 (issue 18): `vigil sample` data keyed by agent.id over 12
// partitions, consumed by 3 members of one group, raises exactly hunt's
// alerts (ids, group keys, counts), each once. VIGIL_LONG_TESTS=1 runs it
// at ≈ 200k events.
func TestGroupEqualsHunt(t *testing.T) {
	hosts, bursts, parts := scale()
	evs := testData(t, hosts, bursts)
	want := huntAlerts(t, evs)
	if len(want) < 20 {
		t.Fatalf("the data has %d alerting groups; the test needs at least 20", len(want))
	}
	t.Logf("%d events, %d alerts from hunt", len(evs), len(want))
	c := cluster(t, parts)
	produce(t, c, evs)
	rules := seedRules(t)
	cfg := kafkaConfig(c)
	ins := []*instance{startInstance(t, cfg, rules), startInstance(t, cfg, rules), startInstance(t, cfg, rules)}
	waitMatch(t, want, 60*time.Second, ins...)
	waitFor(t, 30*time.Second, "the members to own every partition between them", func() bool {
		owned := 0
		for _, in := range ins {
			owned += len(in.c.Partitions())
		}
		return owned == int(parts)
	})
	noDuplicates(t, c, ins...)
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond) // polling an outcome, not sequencing
	}
}

// consumed is how many records the members have evaluated.
func consumed(ins ...*instance) int64 {
	var n int64
	for _, in := range ins {
		for _, p := range in.c.Partitions() {
			n += p.Events
		}
	}
	return n
}

// Acceptance 3 (issue 18): one of 3 members is killed (connections cut,
// no LeaveGroup, no final commit: what kill -9 leaves) after it raised
// alerts and while windows are open, more events arrive, and a new member
// joins later: the final alerts are still exactly hunt's, with no version
// of an alert raised twice, in the members' deliveries or in the alerts
// topic.
func TestGroupSurvivesKilledMember(t *testing.T) {
	hosts, bursts, parts := scale()
	evs := testData(t, hosts, bursts)
	want := huntAlerts(t, evs)
	c := cluster(t, parts)
	half := len(evs) / 2
	produce(t, c, evs[:half])
	rules := seedRules(t)
	cfg := kafkaConfig(c)
	a, b, v := startInstance(t, cfg, rules), startInstance(t, cfg, rules), startInstance(t, cfg, rules)
	ins := []*instance{a, b, v}
	waitFor(t, 30*time.Second, "the first half evaluated and alerting", func() bool {
		_, n := latest(ins...)
		return consumed(ins...) >= int64(half) && n > 0
	})
	victim := v
	for _, in := range ins { // kill a member that raised alerts
		if len(in.updates()) > 0 {
			victim = in
		}
	}
	waitFor(t, 10*time.Second, "the victim's commits", func() bool {
		for _, p := range victim.c.Partitions() {
			if p.Events > 0 && p.Committed < 0 {
				return false
			}
		}
		return true
	})
	vb, _ := json.Marshal(victim.c.Partitions())
	victim.kill()
	produce(t, c, evs[half:])
	d := startInstance(t, cfg, rules)
	waitMatch(t, want, 60*time.Second, a, b, v, d)
	noDuplicates(t, c, a, b, v, d)
	replayed := 0.0
	for _, in := range []*instance{a, b, v, d} {
		if in != victim {
			replayed += total(in.c.metrics.replayed)
		}
	}
	if replayed == 0 {
		t.Errorf("no record was replayed: the killed member's partitions were not rebuilt; they were %s", vb)
	}
}

// Acceptance 6 (issue 18): non-JSON and oversized messages are counted and
// dead-lettered (with their source and reason) without stopping the
// partition; a topic that does not exist is no obstacle; the member cut off
// from the broker for a while recovers and loses nothing. The outage is 2 s
// of wall time (not 30: the client's retries and the group's session are
// what is tested, and they behave the same).
func TestBadInputAndOutage(t *testing.T) {
	evs := testData(t, 4, 6)
	want := huntAlerts(t, evs)
	c := cluster(t, 3)
	cfg := kafkaConfig(c)
	cfg.Kafka.Topics = []string{eventsTopic, "no-such-topic"}
	cfg.Kafka.MaxMessageBytes = 64 << 10
	in := startInstance(t, cfg, seedRules(t))
	bad := []event{
		{line: []byte("not json at all"), agent: "x"},
		{line: []byte(`{"@timestamp": "2026-11-20T09:00:00Z", "truncated`), agent: "x"},
		{line: []byte(`[1,2,3]`), agent: "y"},
		{line: append(append([]byte(`{"pad":"`), bytes.Repeat([]byte("a"), 70<<10)...), '"', '}'), agent: "z"},
	}
	produce(t, c, bad)
	third := len(evs) / 3
	produce(t, c, evs[:third])
	waitFor(t, 30*time.Second, "the first third evaluated", func() bool { return consumed(in) >= int64(third) })
	in.sev.setDown(true)
	produce(t, c, evs[third:])
	time.Sleep(2 * time.Second) // the outage itself
	in.sev.setDown(false)
	waitMatch(t, want, 60*time.Second, in)
	noDuplicates(t, c, in)
	if m := in.c.MissingTopics(); len(m) != 1 || m[0] != "no-such-topic" {
		t.Errorf("missing topics reported: %v, want [no-such-topic]", m)
	}

	dl := readTopic(t, c, dlqTopic)
	reasons := map[string]int{}
	for _, r := range dl {
		for _, h := range r.Headers {
			if h.Key == "vigil-reason" {
				reasons[string(h.Value)]++
			}
		}
	}
	if reasons[reasonMalformed] != 3 || reasons[reasonOversized] != 1 {
		t.Errorf("dead letters by reason: %v, want 3 malformed and 1 oversized", reasons)
	}
	m := in.c.metrics.deadLetters
	if got := [2]float64{testutil.ToFloat64(m.WithLabelValues(reasonMalformed)), testutil.ToFloat64(m.WithLabelValues(reasonOversized))}; got != [2]float64{3, 1} {
		t.Errorf("vigil_kafka_dead_letters_total malformed, oversized: %v, want [3 1]", got)
	}
}

func readTopic(t *testing.T, c *kfake.Cluster, topic string) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		n := len(out)
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
		if len(out) == n {
			return out
		}
	}
}

// total sums a counter vector's series.
func total(c prometheus.Collector) float64 {
	ch := make(chan prometheus.Metric, 1024)
	go func() { c.Collect(ch); close(ch) }()
	sum := 0.0
	for m := range ch {
		var d dto.Metric
		m.Write(&d)
		sum += d.GetCounter().GetValue()
	}
	return sum
}

// Late events (a shipper catching up: bursts delivered after the rest of
// the data, their windows long final in their partitions) re-open their
// windows, which are rebuilt from Kafka itself — read from the offset
// Kafka's timestamp lookup gives for the window's start — and raise
// exactly hunt's alerts.
func TestLateEventsRebuiltFromKafka(t *testing.T) {
	evs := testData(t, 8, 0)
	var late []event
	for _, e := range testData(t, 8, 12) { // the bursts, in time order
		if bytes.Contains(e.line, []byte(`"burst-`)) {
			late = append(late, e)
		}
	}
	all := append(append([]event{}, evs...), late...)
	want := huntAlerts(t, all)
	c := cluster(t, 3)
	produce(t, c, evs)
	in := startInstance(t, kafkaConfig(c), seedRules(t))
	waitFor(t, 30*time.Second, "the in-order events evaluated", func() bool { return consumed(in) >= int64(len(evs)) })
	produce(t, c, late)
	waitMatch(t, want, 60*time.Second, in)
	noDuplicates(t, c, in)
	lateAlerts := 0
	for _, u := range in.updates() {
		if u.Late {
			lateAlerts++
		}
	}
	if lateAlerts == 0 {
		t.Error("no alert was raised by late re-evaluation: the late path was not exercised")
	}
}
