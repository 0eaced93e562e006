package kafka

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"vigil/internal/doc"
	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

const partialsTopic = "vigil-partials"

// spanRule groups by user across hosts: its groups span the partitions
// events keyed by agent.id land in.
func spanRule(t *testing.T) *engine.CompiledRule {
	t.Helper()
	r := &rule.Rule{RuleID: "span-user-hosts", Name: "User on many hosts", Type: "esql", Language: "esql", Severity: "low", RiskScore: 21,
		Query: "FROM logs-endpoint.events.process-* | STATS events = COUNT(*), hosts = COUNT_DISTINCT(host.name), names = VALUES(host.name) " +
			"BY user.name, window = DATE_TRUNC(10 minutes, @timestamp) | WHERE hosts >= 3 | EVAL names = MV_SORT(names)"}
	cr, err := engine.Compile(r, &engine.Catalog{}, esql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if spans := spanning([]*engine.CompiledRule{cr}); len(spans) != 1 {
		t.Fatal("test rule does not span partitions")
	}
	if err := twoStage(cr); err != nil {
		t.Fatal(err)
	}
	return cr
}

// stableDocs are alert documents without their volatile fields, by id;
// an id twice is an error.
func stableDocs(t *testing.T, alerts []*engine.Alert) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, a := range alerts {
		m := alertDoc(a)
		for k := range m {
			if engine.VolatileField(k) {
				delete(m, k)
			}
		}
		b, _ := json.Marshal(m)
		if _, dup := out[a.ID]; dup {
			t.Errorf("alert %s raised twice", a.ID)
		}
		out[a.ID] = string(b)
	}
	return out
}

// runStage1 is one instance's stage 1 over its source partitions, read
// from the start to the end offsets: partials published as windows pass the
// partition's watermark (its newest event time; events of one agent arrive
// in order), and at the end of the data every window.
func runStage1(t *testing.T, c *kfake.Cluster, rules []*engine.CompiledRule, parts []int32, ends map[int32]int64) {
	t.Helper()
	offs := map[int32]kgo.Offset{}
	for _, p := range parts {
		offs[p] = kgo.NewOffset().AtStart()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{eventsTopic: offs}),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	dec := doc.NewDecoder((&engine.Catalog{}).DecoderMapping(), doc.DecodeOptions{Dynamic: true})
	prods, wms, next := map[int32]*spanProducer{}, map[int32]int64{}, map[int32]int64{}
	for _, p := range parts {
		prods[p] = newSpanProducer(sourceName(eventsTopic, p), rules, "")
	}
	publish := func(p int32, wm int64) {
		recs, err := prods[p].flush(wm, partialsTopic, 3)
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	remaining := func() bool {
		for _, p := range parts {
			if next[p] < ends[p] {
				return true
			}
		}
		return false
	}
	deadline := time.Now().Add(30 * time.Second)
	for remaining() {
		if time.Now().After(deadline) {
			t.Fatal("stage 1 did not read its partitions to their end")
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachPartition(func(f kgo.FetchTopicPartition) {
			for _, r := range f.Records {
				d, err := dec.Decode(r.Value)
				if err != nil {
					t.Fatal(err)
				}
				prods[f.Partition].push(d)
				wms[f.Partition] = max(wms[f.Partition], engine.Timestamp(d))
				next[f.Partition] = r.Offset + 1
				if r.Offset%64 == 63 { // as a member flushing every poll would
					publish(f.Partition, wms[f.Partition])
				}
			}
			publish(f.Partition, wms[f.Partition])
		})
	}
	for _, p := range parts {
		publish(p, math.MaxInt64) // the end of the data closes every window
	}
}

// partialsByPartition reads the partials topic, by partition.
func partialsByPartition(t *testing.T, c *kfake.Cluster) [][]*kgo.Record {
	t.Helper()
	out := make([][]*kgo.Record, 3)
	for _, r := range readTopic(t, c, partialsTopic) {
		out[r.Partition] = append(out[r.Partition], r)
	}
	return out
}

func huntExecution(cr *engine.CompiledRule) engine.Execution {
	return engine.Execution{UUID: "x", Time: time.Now(), Indices: cr.Query.IndexPatterns()}
}

// merge feeds records to a merger, evaluating after each poll's worth of
// records (polls: their sizes; the last repeats) as a member would.
func merge(t *testing.T, m *spanMerger, recs []*kgo.Record, polls ...int) []*engine.Alert {
	t.Helper()
	var out []*engine.Alert
	if len(polls) == 0 {
		polls = []int{1}
	}
	for len(recs) > 0 {
		n := min(polls[0], len(recs))
		if len(polls) > 1 {
			polls = polls[1:]
		}
		for _, r := range recs[:n] {
			if err := m.add(r); err != nil {
				t.Fatal(err)
			}
		}
		recs = recs[n:]
		alerts, err := m.ready(huntExecution)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, alerts...)
	}
	return out
}

// TestTwoStageEqualsHunt: a rule grouping by user.name across hosts, over
// events keyed by agent.id in 12 partitions, evaluated by 3 stage-1
// instances (4 partitions each; one instance's partition re-published from
// the start as a new owner after a crash would) and merged per partials
// partition, raises exactly hunt's alerts.
func TestTwoStageEqualsHunt(t *testing.T) {
	rules := []*engine.CompiledRule{spanRule(t)}
	evs := testData(t, 40, 0)
	want := stableDocs(t, sweepAlerts(t, rules, evs))
	if len(want) < 3 {
		t.Fatalf("the data raise %d alerts: too few to test", len(want))
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(12, eventsTopic), kfake.SeedTopics(3, partialsTopic))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	produce(t, c, evs)
	adm, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	endOffs, err := kadm.NewClient(adm).ListEndOffsets(context.Background(), eventsTopic)
	adm.Close()
	if err != nil {
		t.Fatal(err)
	}
	ends := map[int32]int64{}
	var sources []string
	endOffs.Each(func(o kadm.ListedOffset) {
		ends[o.Partition] = o.Offset
		sources = append(sources, sourceName(eventsTopic, o.Partition))
	})
	if len(sources) != 12 {
		t.Fatalf("%d source partitions", len(sources))
	}
	for i := range int32(3) {
		var parts []int32
		for p := i; p < 12; p += 3 {
			parts = append(parts, p)
		}
		runStage1(t, c, rules, parts, ends)
	}
	// A new owner of partition 0 replays it from the start (its previous
	// owner's commit lost): its partials replace, never add to, the first.
	runStage1(t, c, rules, []int32{0}, ends)

	parts := partialsByPartition(t, c)
	var alerts []*engine.Alert
	for p, recs := range parts {
		m := newSpanMerger(rules, sources)
		alerts = append(alerts, merge(t, m, recs)...)
		if m.final != math.MaxInt64 {
			t.Errorf("partials partition %d: windows not final (marks %v)", p, m.marks)
		}
	}
	got := stableDocs(t, alerts)
	for id, w := range want {
		if g, ok := got[id]; !ok {
			t.Errorf("alert %s of hunt not raised: %s", id, w)
		} else if !bytes.Equal([]byte(g), []byte(w)) {
			t.Errorf("alert %s differs:\n got  %s\n hunt %s", id, g, w)
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("alert %s not raised by hunt: %s", id, got[id])
		}
	}
	t.Logf("%d events, %d alerts", len(evs), len(want))

	// A merger that stops after each of several points, committed as a
	// member commits, and is succeeded by a new one restored from the
	// commit raises the same alerts, none twice.
	var stale int64
	for p, recs := range parts {
		whole := stableDocs(t, merge(t, newSpanMerger(rules, sources), recs))
		for stop := 1; stop < len(recs); stop++ {
			a := newSpanMerger(rules, sources)
			first := merge(t, a, recs[:stop])
			at, meta := a.commitPoint(), a.checkpointMeta()
			b := newSpanMerger(rules, sources)
			if err := b.restore(meta); err != nil {
				t.Fatal(err)
			}
			if at > int64(stop) || at < 0 {
				t.Fatalf("commit point %d after %d records", at, stop)
			}
			// The successor's first poll returns what was read again.
			both := stableDocs(t, append(first, merge(t, b, recs[at:], stop-int(at)+1, 1)...))
			stale += b.Stale
			if !reflect.DeepEqual(both, whole) {
				t.Errorf("partials partition %d, restarted after %d records (commit %d): %d alerts, one merger %d", p, stop, at, len(both), len(whole))
			}
		}
	}
	// Partials of windows evaluated before a restart, read again after it,
	// are dropped (a window evaluated from some of its pieces could raise a
	// wrong alert).
	if stale == 0 {
		t.Error("no restarted merger dropped a partial of a window it had evaluated")
	}
}

// TestSpanMergerRejects: malformed partials are errors (to dead-letter)
// that leave the merger as it was.
func TestSpanMergerRejects(t *testing.T) {
	cr := spanRule(t)
	hdr := func(kv ...string) []kgo.RecordHeader {
		var hs []kgo.RecordHeader
		for i := 0; i < len(kv); i += 2 {
			hs = append(hs, kgo.RecordHeader{Key: kv[i], Value: []byte(kv[i+1])})
		}
		return hs
	}
	unfit, _ := esql.GroupState{Key: []doc.Value{doc.KeywordOf("root")}, States: [][]byte{{1}}, End: 1}.MarshalBinary()
	partial := hdr(hdrKind, kindPartial, hdrRule, cr.Rule.RuleID, hdrSource, "events/0")
	for name, r := range map[string]*kgo.Record{
		"no source":        {Headers: hdr(hdrKind, kindMark, hdrWatermark, "5")},
		"unknown kind":     {Headers: hdr(hdrKind, "gossip", hdrSource, "events/0")},
		"bad watermark":    {Headers: hdr(hdrKind, kindMark, hdrSource, "events/0", hdrWatermark, "soon")},
		"unknown rule":     {Value: unfit, Headers: hdr(hdrKind, kindPartial, hdrRule, "other", hdrSource, "events/0")},
		"corrupt encoding": {Value: []byte{0xff}, Headers: partial},
		"states unfit":     {Value: unfit, Headers: partial},
	} {
		m := newSpanMerger([]*engine.CompiledRule{cr}, []string{"events/0"})
		if err := m.add(r); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if len(m.groups) != 0 || len(m.marks) != 0 {
			t.Errorf("%s: changed the merger", name)
		}
	}
}
