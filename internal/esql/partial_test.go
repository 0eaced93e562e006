package esql

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql/agg"
)

// partialDocs are events of a few users over many hosts, one second apart
// (unique timestamps, so FIRST/LAST have no ties), with multi-valued tags
// and half-integer doubles (sums exact in any order).
func partialDocs(n int, r *rand.Rand) []*doc.Document {
	base := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	users := []string{"alice", "bob", "carol", "dave", "erin", "root"}
	var ds []*doc.Document
	for i := range n {
		f := map[string]doc.Value{
			"@timestamp": doc.TimeOf(base.Add(time.Duration(i) * 997 * time.Millisecond)),
			"host.name":  kw("host-" + strconv.Itoa(r.IntN(40))),
			"n":          ints(int32(r.IntN(1000) - 200)),
			"l":          doc.Long64(r.Int64N(1 << 40)),
			"d":          doc.Float(float64(r.IntN(4000)-1000) / 2),
			"b":          doc.Bool(r.IntN(3) == 0),
		}
		if r.IntN(10) > 0 { // some events have no user: the null group
			f["name"] = kw(users[r.IntN(len(users))])
		}
		switch r.IntN(4) {
		case 0:
			f["tags"] = kw("x", "y")
		case 1:
			f["tags"] = kw("y")
		}
		ds = append(ds, &doc.Document{Index: "logs-a", ID: strconv.Itoa(i), Fields: f})
	}
	return ds
}

// TestPartialMergeEqualsSingle is the differential test of the two-stage
// plan: the input split at random over N producer executions, each
// exporting its STATS groups (through the wire encoding), merged by a
// fresh execution, gives the single execution's result. Queries without a
// SORT are compared as row sets (their row order is unspecified).
func TestPartialMergeEqualsSingle(t *testing.T) {
	queries := []string{
		"FROM x | STATS c = COUNT(*), cn = COUNT(n), hosts = COUNT_DISTINCT(host.name), lo = MIN(n), hi = MAX(l), s = SUM(l), a = AVG(n), sd = SUM(d), ad = AVG(d) BY name",
		"FROM x | STATS v = MV_SORT(VALUES(host.name)), t = TOP(n, 3, \"desc\"), m = MEDIAN(d), p = PERCENTILE(l, 90), mad = MEDIAN_ABSOLUTE_DEVIATION(n) BY name",
		"FROM x | STATS f = FIRST(host.name, @timestamp), z = LAST(n, @timestamp), early = MIN(@timestamp), late = MAX(@timestamp) BY name",
		"FROM x | STATS sd = STD_DEV(d), var = VARIANCE(n) BY name | EVAL sd = ROUND(sd, 6), var = ROUND(var, 6)",
		"FROM x | STATS c = COUNT(*), s = SUM(n), hosts = COUNT_DISTINCT(host.name)",
		"FROM x | STATS c = COUNT(*), bs = COUNT_DISTINCT(b), dense = COUNT_DISTINCT(l, 10), bb = MAX(b) BY tags, name",
		"FROM x | STATS c = COUNT(*) WHERE b, all = COUNT(*) BY host.name",
		"FROM x | WHERE n > 0 | EVAL u = TO_UPPER(name) | STATS c = COUNT(*), hosts = COUNT_DISTINCT(host.name) BY u | EVAL r = c * 2 | WHERE hosts >= 2 | KEEP u, r, hosts | SORT r DESC, u | LIMIT 4",
		"FROM x | STATS c = COUNT(*), hosts = VALUES(host.name) BY name, w = DATE_TRUNC(1 minute, @timestamp) | WHERE c > 3 | EVAL hosts = MV_SORT(hosts) | SORT w, name",
		"FROM x | STATS s = MV_COUNT(SAMPLE(n, 2)), c = COUNT(*) BY name",
		"FROM x | STATS c = COUNT(*) BY name | STATS users = COUNT(*), most = MAX(c)",
		"FROM x | STATS lo = MIN(host.name), hi = MAX(name), first = MIN(@timestamp) BY b",
	}
	// Every aggregate is covered (a new one must be added here).
	for _, name := range agg.Names() {
		if !slices.ContainsFunc(queries, func(q string) bool { return strings.Contains(q, name+"(") }) {
			t.Errorf("no query merges %s", name)
		}
	}
	cat := testCatalog{testMapping()}
	for seed := range uint64(4) {
		r := rand.New(rand.NewPCG(seed, 18))
		docs := partialDocs(300+int(seed)*150, r)
		for _, text := range queries {
			q, err := Compile(text, cat, Options{})
			if err != nil {
				t.Fatalf("%s: %v", text, err)
			}
			if err := q.Mergeable(); err != nil {
				t.Fatalf("%s: not mergeable: %v", text, err)
			}
			want := finishRendered(t, q, pushAll(q.NewExecution(), docs))
			producers := 1 + int(seed)
			got := finishRendered(t, q, mergeSplit(t, q, docs, producers, r))
			if !strings.Contains(text, "| SORT") {
				slices.Sort(want[1:])
				slices.Sort(got[1:])
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("seed %d, %d producers: %s\n got  %q\n want %q", seed, producers, text, got, want)
			}
		}
	}
}

// mergeSplit deals docs at random to n producers; a producer of a windowed
// query exports the windows its stream has passed as it goes (as a Kafka
// partition would), the rest at the end. Every group crosses the wire
// encoding into a fresh merging execution.
func mergeSplit(t *testing.T, q *Query, docs []*doc.Document, n int, r *rand.Rand) *Execution {
	t.Helper()
	merger := q.NewExecution()
	ship := func(gs []GroupState, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gs {
			back, _ := roundTrip(t, g)
			if err := merger.ImportGroups([]GroupState{back}); err != nil {
				t.Fatal(err)
			}
		}
	}
	producers := make([]*Execution, n)
	for i := range producers {
		producers[i] = q.NewExecution()
	}
	windowed := q.WindowField() != ""
	for i, d := range docs {
		p := producers[r.IntN(n)]
		p.Push(d)
		if windowed && i%17 == 0 {
			wm := d.Fields["@timestamp"].I
			gs, err := p.ExportWindows(wm)
			for _, g := range gs {
				if g.End <= 0 || g.End > wm {
					t.Fatalf("exported at watermark %d a group of the window ending %d", wm, g.End)
				}
			}
			ship(gs, err)
		}
	}
	for _, p := range producers {
		gs, err := p.ExportGroups()
		for _, g := range gs {
			if (g.End != 0) != windowed {
				t.Fatalf("group %v: End %d in a query windowed=%v", g.Key, g.End, windowed)
			}
		}
		ship(gs, err)
	}
	return merger
}

func pushAll(e *Execution, docs []*doc.Document) *Execution {
	for _, d := range docs {
		e.Push(d)
	}
	return e
}

func finishRendered(t *testing.T, q *Query, e *Execution) []string {
	t.Helper()
	res, err := e.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return render(res)
}

// TestPartialRefused: queries whose first blocking command holds rows, not
// mergeable states, are refused with the reason.
func TestPartialRefused(t *testing.T) {
	for text, reason := range map[string]string{
		"FROM x | SORT n | LIMIT 3":                      "not a STATS",
		"FROM x | WHERE n > 1":                           "not a STATS",
		"FROM x | LIMIT 5 | STATS c = COUNT(*)":          "not a STATS",
		"FROM x | INLINE STATS c = COUNT(*) BY name":     "INLINE STATS",
		"FROM x | INLINE STATS c = COUNT(*) | KEEP name": "INLINE STATS",
	} {
		q, err := Compile(text, testCatalog{testMapping()}, Options{})
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		err = q.Mergeable()
		if err == nil || !strings.Contains(err.Error(), reason) {
			t.Errorf("%s: Mergeable() = %v, want an error saying %q", text, err, reason)
		}
		if _, err := q.NewExecution().ExportGroups(); err == nil {
			t.Errorf("%s: ExportGroups succeeded", text)
		}
		if err := q.NewExecution().ImportGroups(nil); err == nil {
			t.Errorf("%s: ImportGroups succeeded", text)
		}
	}
}

// TestPartialImportRejects: states that do not fit the query are errors,
// never a panic or a silently wrong group.
func TestPartialImportRejects(t *testing.T) {
	cat := testCatalog{testMapping()}
	q, err := Compile("FROM x | STATS c = COUNT(*), s = SUM(n) BY name", cat, Options{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := Compile("FROM x | STATS m = MAX(n), v = VALUES(name) BY name", cat, Options{})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := pushAll(other.NewExecution(), testDocs()).ExportGroups()
	if err != nil || len(foreign) == 0 {
		t.Fatal(foreign, err)
	}
	for name, gs := range map[string][]GroupState{
		"another query's states": foreign,
		"missing state":          {{Key: []doc.Value{kw("a")}, States: foreign[0].States[:1]}},
		"two keys":               {{Key: []doc.Value{kw("a"), kw("b")}, States: foreign[0].States}},
		"multi-valued key":       {{Key: []doc.Value{kw("a", "b")}, States: foreign[0].States}},
		"truncated state":        {{Key: []doc.Value{kw("a")}, States: [][]byte{foreign[0].States[0][:1], foreign[0].States[1]}}},
	} {
		if err := q.NewExecution().ImportGroups(gs); err == nil {
			t.Errorf("%s: imported", name)
		}
		if err := q.CheckGroup(gs[0]); err == nil {
			t.Errorf("%s: CheckGroup passed it", name)
		}
	}
	e := pushAll(q.NewExecution(), testDocs())
	e.CloseWindows(1 << 62) // no window key: closes nothing, export still fine
	if _, err := e.ExportGroups(); err != nil {
		t.Error(err)
	}
}

func TestGroupStateEncoding(t *testing.T) {
	g := GroupState{
		Key: []doc.Value{{}, kw("alice"), doc.Float(-0.5), doc.Long64(-7), doc.Bool(true),
			doc.TimeOf(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)), {T: doc.DatePeriod, I: 3, F: 1.5}},
		States: [][]byte{{1, 2, 3}, {}, []byte("state")},
		End:    1796083200000,
	}
	back, b := roundTrip(t, g)
	if !reflect.DeepEqual(back, g) {
		t.Errorf("round trip: got %+v want %+v", back, g)
	}
	for i := range b {
		if err := new(GroupState).UnmarshalBinary(b[:i]); err == nil {
			t.Errorf("prefix of %d bytes decoded", i)
		}
	}
	if _, err := (GroupState{Key: []doc.Value{kw("a", "b")}}).MarshalBinary(); err == nil {
		t.Error("multi-valued key encoded")
	}
}

// roundTrip encodes and decodes a group, returning it and its bytes.
func roundTrip(t *testing.T, g GroupState) (GroupState, []byte) {
	t.Helper()
	b, err := g.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back GroupState
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	return back, b
}

func FuzzGroupStateDecode(f *testing.F) {
	g := GroupState{Key: []doc.Value{kw("alice"), doc.Long64(3)}, States: [][]byte{{1, 2}}}
	b, _ := g.MarshalBinary()
	f.Add(b)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		var g GroupState
		if g.UnmarshalBinary(data) != nil {
			return
		}
		again, err := g.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		// Bytes, not values, compare: NaN keys are not equal to themselves.
		var h GroupState
		if err := h.UnmarshalBinary(again); err != nil {
			t.Fatalf("re-decoding %x: %v", again, err)
		}
		if third, _ := h.MarshalBinary(); !bytes.Equal(third, again) {
			t.Fatalf("encoding not stable: %x then %x", again, third)
		}
	})
}

// BenchmarkPartialRoundTrip is a producer's export of one window's groups
// and a merger's import of them, through the wire encoding: the per-group
// cost of the two-stage plan.
func BenchmarkPartialRoundTrip(b *testing.B) {
	q, err := Compile("FROM x | STATS c = COUNT(*), hosts = COUNT_DISTINCT(host.name), v = VALUES(host.name) BY name, host.name",
		testCatalog{testMapping()}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	src := pushAll(q.NewExecution(), partialDocs(2000, rand.New(rand.NewPCG(1, 2))))
	groups := src.Groups()
	b.ReportAllocs()
	for b.Loop() {
		gs, err := src.ExportGroups()
		if err != nil {
			b.Fatal(err)
		}
		merger := q.NewExecution()
		for _, g := range gs {
			data, _ := g.MarshalBinary()
			var back GroupState
			if err := back.UnmarshalBinary(data); err != nil {
				b.Fatal(err)
			}
			if err := merger.ImportGroups([]GroupState{back}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*groups), "ns/group")
}
