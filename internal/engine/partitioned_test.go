package engine

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/sample"
)

// Kafka's own murmur2 vectors (UtilsTest.testMurmur2 in the Java client):
// a producer keyed by agent.id and PartitionOf agree on the partition.
func TestMurmur2KafkaVectors(t *testing.T) {
	for key, want := range map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	} {
		if got := Murmur2([]byte(key)); got != want {
			t.Errorf("Murmur2(%q) = %d, want %d", key, got, want)
		}
	}
	// toPositive(-973932308) % 7, as Kafka's partitioner computes it.
	if got, want := PartitionOfKey("21", 7), int(uint32(0x100000000-973932308)&0x7fffffff)%7; got != want {
		t.Errorf("PartitionOfKey(21, 7) = %d, want %d", got, want)
	}
	d := &doc.Document{Fields: map[string]doc.Value{"agent.id": doc.KeywordOf("foobar")}}
	if PartitionOf(d, PartitionKey, 5) != PartitionOfKey("foobar", 5) || PartitionOf(&doc.Document{}, PartitionKey, 5) != PartitionOfKey("", 5) {
		t.Error("PartitionOf does not key by the field's value")
	}
}

func TestKeyedBy(t *testing.T) {
	cases := []struct {
		q    string
		want bool
	}{
		{seedQuery(t), true}, // BY process.parent.entity_id, agent.id, host.name, window
		{"FROM logs-* | STATS n = COUNT(*) BY agent.id | WHERE n > 3 | SORT n DESC", true},
		{"FROM logs-* | KEEP agent.id, host.name | RENAME agent.id AS a | STATS n = COUNT(*) BY a", true},
		{"FROM logs-* | EVAL a = agent.id | STATS n = COUNT(*) BY a", true},
		{"FROM logs-* | STATS n = COUNT(*) BY host.name", false},
		{"FROM logs-* | EVAL a = TO_LOWER(agent.id) | STATS n = COUNT(*) BY a", false},
		{"FROM logs-* | EVAL agent.id = host.name | STATS n = COUNT(*) BY agent.id", false},
		{"FROM logs-* | STATS n = COUNT(*) BY agent.id | LIMIT 5", false},
		{"FROM logs-* | STATS n = COUNT(*) BY agent.id | STATS m = COUNT(*)", false},
		{"FROM logs-* | WHERE process.name == \"sh\"", false},
		{"FROM logs-* | SORT @timestamp | STATS n = COUNT(*) BY agent.id", false},
		{"FROM logs-* | INLINE STATS n = COUNT(*) BY agent.id", false},
	}
	for _, tc := range cases {
		q, err := esql.Compile(tc.q, &Catalog{}, esql.Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		if got := KeyedBy(q, PartitionKey); got != tc.want {
			t.Errorf("KeyedBy(%q) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func seedQuery(t *testing.T) string {
	cr, _ := liveFixture(t, nil)
	return cr.Rule.Query
}

// sampleLines is the sample data set of cfg with the seed rule's edge
// cases (seedFixture) after it.
func sampleLines(t *testing.T, cfg sample.Config) []string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := sample.Generate(&buf, cfg); err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(&buf)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return append(lines, seedFixture()...)
}

// liveEngine is what the differential drives: Live and Partitioned alike.
type liveEngine interface {
	Push(*doc.Document) bool
	Flush() ([]Update, error)
	PendingLate() bool
	Reevaluate(Source) ([]Update, error)
}

// alertSummary is what must agree across engines: the alert id, its
// group's BY values and its counts (the largest a live alert reached: a
// group's first updates are partial).
func alertSummary(a *Alert) (key string, counts []int64) {
	var b strings.Builder
	for _, c := range a.GroupBy {
		fmt.Fprintf(&b, "%s=%v ", c, a.Fields[c])
	}
	for _, c := range a.Columns {
		if strings.HasSuffix(c, "_count_distinct") {
			n, _ := a.Fields[c].(int64)
			counts = append(counts, n)
		}
	}
	return b.String(), counts
}

type summaries map[string]string

// add records a's summary unless an earlier version of it counted more.
func (s summaries) add(a *Alert, best map[string]int64) {
	key, counts := alertSummary(a)
	var sum int64
	for _, n := range counts {
		sum += n
	}
	if old, ok := best[a.ID]; ok && old >= sum {
		return
	}
	best[a.ID] = sum
	s[a.ID] = fmt.Sprintf("%s%v", key, counts)
}

// Differential: the partitioned engine (1, 2 and 4 partitions) raises the
// alerts a single Live raises and `vigil hunt` (the sweep) raises — the
// same ids, group keys and counts — over the seed data and its edge
// cases, in time order and in shuffled batches (late events re-evaluated
// from the events taken, restricted per partition to its keys).
func TestPartitionedDifferential(t *testing.T) {
	cr, dec := liveFixture(t, nil)
	lines := sampleLines(t, sample.Config{Seed: 7, Scenarios: true, Hosts: 6})
	sw := NewSweep([]*CompiledRule{cr})
	pushSweep(t, sw, dec, lines)
	res, err := sw.Finish(time.Now(), "x")
	if err != nil {
		t.Fatal(err)
	}
	want, best := summaries{}, map[string]int64{}
	for _, a := range res[0].Alerts {
		want.add(a, best)
	}
	if len(want) < 5 {
		t.Fatalf("the sweep raised only %d alerts", len(want))
	}

	docs := func() []*doc.Document {
		out := make([]*doc.Document, len(lines))
		for i, s := range lines {
			d, err := dec.Decode([]byte(s))
			if err != nil {
				t.Fatal(err)
			}
			out[i] = d
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		seed  uint64 // 0: time order
		batch int
	}{{"ordered", 0, 100}, {"shuffled-50", 1, 50}, {"shuffled-20", 3, 20}} {
		// when is, per alert, the flushes that first raised it and first
		// finalised it in a single Live: partitions see time pass alike.
		var when map[string][2]int
		for _, n := range []int{0, 1, 2, 4} { // 0: a single Live
			clock := &fakeClock{time.Date(2026, 11, 20, 11, 5, 0, 0, time.UTC)}
			opts := LiveOptions{AllowedLateness: time.Minute, Clock: clock, MaxGroups: 1 << 20}
			var eng liveEngine
			if n == 0 {
				eng = NewLive([]*CompiledRule{cr}, opts)
			} else {
				p := NewPartitioned([]*CompiledRule{cr}, opts, n)
				defer p.Close()
				if p.Partitions() != n {
					t.Fatalf("%d partitions asked, %d run", n, p.Partitions())
				}
				eng = p
			}
			all := docs()
			var order [][]*doc.Document
			for i := 0; i < len(all); i += tc.batch {
				order = append(order, all[i:min(i+tc.batch, len(all))])
			}
			if tc.seed != 0 {
				rand.New(rand.NewPCG(tc.seed, tc.seed)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			}
			var pushed []*doc.Document
			src := func(from, to int64, fn func(*doc.Document)) error {
				for _, d := range pushed {
					fn(d)
				}
				return nil
			}
			got, gbest := summaries{}, map[string]int64{}
			seen := map[string][2]int{}
			flushes := 0
			collect := func(ups []Update, err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				flushes++
				for _, u := range ups {
					got.add(u.Alert, gbest)
					w, ok := seen[u.Alert.ID]
					if !ok {
						w = [2]int{flushes, -1}
					}
					if u.Final && w[1] < 0 {
						w[1] = flushes
					}
					seen[u.Alert.ID] = w
				}
			}
			for _, b := range order {
				for _, d := range b {
					eng.Push(d)
					pushed = append(pushed, d)
				}
				collect(eng.Flush())
				for eng.PendingLate() {
					collect(eng.Reevaluate(src))
				}
			}
			clock.t = clock.t.Add(time.Hour) // every window closes
			collect(eng.Flush())
			if diff := diffSummaries(want, got); diff != "" {
				t.Errorf("%s, %d partitions (0: one Live): alerts differ from the sweep's:\n%s", tc.name, n, diff)
			}
			if n == 0 {
				when = seen
			} else if tc.seed == 0 && fmt.Sprint(seen) != fmt.Sprint(when) {
				t.Errorf("%s, %d partitions: alerts raised or finalised at other flushes than in one Live:\n%v\n%v", tc.name, n, seen, when)
			}
		}
	}
}

func diffSummaries(want, got summaries) string {
	var out []string
	for id, w := range want {
		if g, ok := got[id]; !ok {
			out = append(out, "missing "+w)
		} else if g != w {
			out = append(out, "want "+w+"\n got "+g)
		}
	}
	for id, g := range got {
		if _, ok := want[id]; !ok {
			out = append(out, "extra "+g)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// BenchmarkPartitioned: evaluated events/s of the seed rule with every
// event passing its filter, spread over 50 agents (1,000 groups a minute), by partition count
// (each iteration pushes 20,000 events in 2,000-event batches, flushing
// after each, as the service does).
func BenchmarkPartitioned(b *testing.B) {
	cr, dec := liveFixture(&testing.T{}, nil)
	at := time.Date(2026, 11, 20, 10, 12, 0, 0, time.UTC)
	docs := make([]*doc.Document, 20_000)
	for i := range docs {
		s, l, a := c("sh", "-c", fmt.Sprintf("ls -la /tmp/%d", i%97))
		line := ev(at.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), fmt.Sprintf("host%d", i%50), "linux", fmt.Sprintf("P%d", i%1000), "python3", s, l, a, nil)
		d, err := dec.Decode([]byte(line))
		if err != nil {
			b.Fatal(err)
		}
		docs[i] = d
	}
	for _, n := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("partitions=%d", n), func(b *testing.B) {
			clock := &fakeClock{at.Add(30 * time.Second)}
			p := NewPartitioned([]*CompiledRule{cr}, LiveOptions{AllowedLateness: time.Minute, Clock: clock}, n)
			defer p.Close()
			b.ResetTimer()
			for range b.N {
				for i, d := range docs {
					p.Push(d)
					if i%2000 == 1999 {
						if _, err := p.Flush(); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			b.ReportMetric(float64(b.N*len(docs))/b.Elapsed().Seconds(), "events/s")
		})
	}
}
