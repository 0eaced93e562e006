package compute_test

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/esql/compute"
	"vigil/internal/esql/fn"
)

type catalog struct{ m *doc.Mapping }

func (c catalog) Resolve([]string) (*doc.Mapping, error) { return c.m, nil }

// site is a warning site of a hand-lowered query: the source text of the
// expression (found in the query to place it) and whether its failures
// make false (CASE) rather than null.
type site struct {
	src     string
	asFalse bool
}

// warnLines replays failures into Warning lines the way the row engine
// words them: per site a header then up to 20 exception lines, each line
// once.
type warnLines struct {
	query  string
	sites  []site
	counts map[int]int
	seen   map[string]bool
	lines  []string
}

func (w *warnLines) add(s string) {
	if !w.seen[s] {
		w.seen[s] = true
		w.lines = append(w.lines, s)
	}
}

func (w *warnLines) record(f compute.Failure) {
	if w.counts == nil {
		w.counts, w.seen = map[int]int{}, map[string]bool{}
	}
	s := w.sites[f.Site]
	if w.counts[f.Site] < 20 {
		pre := "Line 1:" + strconv.Itoa(strings.Index(w.query, s.src)+1) + ": "
		if w.counts[f.Site] == 0 {
			how := "null"
			if s.asFalse {
				how = "false"
			}
			w.add(pre + "evaluation of [" + s.src + "] failed, treating result as " + how + ". Only first 20 failures recorded.")
		}
		w.add(pre + f.Err.Error())
	}
	w.counts[f.Site]++
}

// tally compares rounds of a differential test with the row engine's
// results and counts what they compared.
type tally struct{ rows, warnings int }

func (ty *tally) check(t *testing.T, round int, rows [][]doc.Value, warnings []string, want *esql.Result) {
	t.Helper()
	if len(rows) != len(want.Rows) {
		t.Fatalf("round %d: %d rows, row engine %d", round, len(rows), len(want.Rows))
	}
	for i, row := range rows {
		for j, v := range row {
			if !same(v, want.Rows[i][j]) {
				t.Fatalf("round %d row %d col %d: %v, row engine %v", round, i, j, v, want.Rows[i][j])
			}
		}
	}
	if !reflect.DeepEqual(warnings, want.Warnings) {
		t.Fatalf("round %d warnings:\n%s\nrow engine:\n%s", round, strings.Join(warnings, "\n"), strings.Join(want.Warnings, "\n"))
	}
	ty.rows, ty.warnings = ty.rows+len(rows), ty.warnings+len(warnings)
}

// done fails a test that compared no rows or no warnings: it would prove nothing.
func (ty *tally) done(t *testing.T) {
	t.Helper()
	if ty.rows == 0 || ty.warnings == 0 {
		t.Fatalf("%d rows, %d warning lines: the test checks nothing", ty.rows, ty.warnings)
	}
	t.Logf("%d rows, %d warning lines", ty.rows, ty.warnings)
}

func must(e compute.Expr, err error) compute.Expr {
	if err != nil {
		panic(err)
	}
	return e
}

func ptr(s string) *string { return &s }

// rowEngineDocs are random documents over the fields of the seed rule's
// shapes, with nulls and multi-values everywhere.
func rowEngineDocs(r *rand.Rand, n int) []*doc.Document {
	pick := func(vals ...string) doc.Value {
		switch r.IntN(8) {
		case 0:
			return doc.Value{}
		case 1:
			return doc.Value{T: doc.Keyword, M: []doc.Value{doc.KeywordOf(vals[r.IntN(len(vals))]), doc.KeywordOf(vals[r.IntN(len(vals))])}}
		}
		return doc.KeywordOf(vals[r.IntN(len(vals))])
	}
	base := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	ds := make([]*doc.Document, n)
	for i := range ds {
		f := map[string]doc.Value{
			"host.os.type":         pick("linux", "macos", "windows"),
			"event.type":           pick("start", "end"),
			"process.parent.name":  pick("python3", "Python3.11", "PYTHON", "node", "İpython"),
			"process.name":         pick("sh", "bash", "zsh", "cmd.exe"),
			"process.command_line": pick("sh -c whoami", "curl x", "grep y", "env x", "ls", "uname -a"),
			"n":                    value(r, doc.Integer),
			"ok":                   value(r, doc.Boolean),
			"ok2":                  value(r, doc.Boolean),
			"@timestamp":           value(r, doc.Date),
		}
		if r.IntN(10) == 0 {
			f["@timestamp"] = doc.TimeOf(base.Add(time.Duration(r.IntN(600)) * time.Second))
		}
		for k, v := range f {
			if v.IsNull() {
				delete(f, k)
			}
		}
		ds[i] = &doc.Document{Index: "logs-x", ID: strconv.Itoa(i), Fields: f}
	}
	return ds
}

// againstRowEngine runs q through the row engine and, lowered by hand,
// through kernels (lower gives one page's output rows) over random
// documents cut into pages of pageSize, and checks the rows and the
// Warning lines (the failures replayed as the row engine words them).
func againstRowEngine(t *testing.T, q string, fields []compute.Field, sites []site, seed uint64, pageSize int,
	lower func(c *compute.Ctx, page *compute.Page) [][]doc.Value) {
	t.Helper()
	m := doc.NewMapping()
	for _, f := range fields {
		m.Add(doc.Field{Name: f.Name, Type: f.Type, ESType: f.Type.String()})
	}
	cq, err := esql.Compile(q, catalog{m}, esql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, seed+1))
	var tally tally
	for round := range cases(20) {
		ds := rowEngineDocs(r, 1+r.IntN(300))
		e := cq.NewExecution()
		for _, d := range ds {
			e.Push(d)
		}
		want, err := e.Finish()
		if err != nil {
			t.Fatal(err)
		}
		wl := &warnLines{query: q, sites: sites}
		var rows [][]doc.Value
		c := &compute.Ctx{}
		pb := compute.NewPageBuilder(fields)
		for start := 0; start < len(ds); start += pageSize {
			rows = append(rows, lower(c, pb.Build(ds[start:min(start+pageSize, len(ds))]))...)
			c.Warn.Flush(wl.record)
		}
		tally.check(t, round, rows, wl.lines, want)
	}
	tally.done(t)
}

// seedShapeFields are the fields of rowEngineDocs.
var seedShapeFields = []compute.Field{
	{Name: "host.os.type", Type: doc.Keyword}, {Name: "event.type", Type: doc.Keyword},
	{Name: "process.parent.name", Type: doc.Keyword}, {Name: "process.name", Type: doc.Keyword},
	{Name: "process.command_line", Type: doc.Keyword}, {Name: "n", Type: doc.Integer}, {Name: "@timestamp", Type: doc.Date},
}

// TestAgainstRowEngine runs a query through the row engine and the same
// query lowered by hand onto kernels (WHERE as a selection, then EVAL
// columns at the selected positions), over random documents in pages:
// the same rows, values and Warning lines. It covers the seed rule's
// shapes: IN, LIKE over TO_LOWER, AND/OR/NOT, IS NULL, lazy CASE of
// LIKEs, DATE_TRUNC and a comparison that fails on multi-values.
func TestAgainstRowEngine(t *testing.T) {
	fields := seedShapeFields
	const q = `FROM x | WHERE host.os.type in ("linux", "macos") and TO_LOWER(process.parent.name) like "python*" and (NOT event.type == "end" or n > 3 or @timestamp IS NULL)` +
		` | EVAL w = DATE_TRUNC(1 minutes, @timestamp), p = CASE(process.command_line like "*grep*", "grep", process.command_line like "*curl*" or n < 0, "curl", "other"), k = n * 2` +
		` | KEEP w, p, k, process.name`
	// Sites in the order of failure ranks: what a lowering would register.
	sites := []site{
		{src: `host.os.type in ("linux", "macos")`},
		{src: `TO_LOWER(process.parent.name) like "python*"`},
		{src: `event.type == "end"`},
		{src: `NOT event.type == "end"`},
		{src: `n > 3`},
		{src: `NOT event.type == "end" or n > 3`},
		{src: `NOT event.type == "end" or n > 3 or @timestamp IS NULL`},
		{src: `host.os.type in ("linux", "macos") and TO_LOWER(process.parent.name) like "python*"`},
		{src: `host.os.type in ("linux", "macos") and TO_LOWER(process.parent.name) like "python*" and (NOT event.type == "end" or n > 3 or @timestamp IS NULL)`},
		{src: `DATE_TRUNC(1 minutes, @timestamp)`},
		{src: `process.command_line like "*grep*"`},
		{src: `process.command_line like "*curl*"`},
		{src: `n < 0`},
		{src: `process.command_line like "*curl*" or n < 0`},
		{src: `CASE(process.command_line like "*grep*", "grep", process.command_line like "*curl*" or n < 0, "curl", "other")`, asFalse: true},
		{src: `n * 2`},
	}
	col := func(i int) compute.Expr { return compute.Col(i, fields[i].Type) }
	kw := func(s string) compute.Expr { return compute.Lit(doc.KeywordOf(s), doc.Keyword) }
	where := compute.And(
		compute.And(
			must(compute.In(col(0), []doc.Value{doc.KeywordOf("linux"), doc.KeywordOf("macos")}, false, 0)),
			must(compute.Like(must(compute.ToLower(col(2))), []*string{ptr("python*")}, false, false, 1)), 7),
		compute.Or(compute.Or(
			compute.Not(must(compute.Binary(fn.Eq, col(1), kw("end"), 2)), 3),
			must(compute.Binary(fn.Gt, col(5), compute.Lit(doc.Int(3), doc.Integer), 4)), 5),
			compute.IsNull(col(6), false), 6), 8)
	w := must(compute.DateTrunc(doc.Duration(time.Minute), col(6), 9))
	p := compute.Case(doc.Keyword, 14, nil,
		must(compute.Like(col(4), []*string{ptr("*grep*")}, false, false, 10)), kw("grep"),
		compute.Or(must(compute.Like(col(4), []*string{ptr("*curl*")}, false, false, 11)),
			must(compute.Binary(fn.Lt, col(5), compute.Lit(doc.Int(0), doc.Integer), 12)), 13), kw("curl"),
		kw("other"))
	k := must(compute.Binary(fn.Mul, col(5), compute.Lit(doc.Int(2), doc.Integer), 15))
	compute.Number(where, w, p, k)
	againstRowEngine(t, q, fields, sites, 5, 64, func(c *compute.Ctx, page *compute.Page) [][]doc.Value {
		sel := compute.Select(where.Eval(c, page, c.All(page)), c.All(page), nil)
		wb, pbk, kb := w.Eval(c, page, sel), p.Eval(c, page, sel), k.Eval(c, page, sel)
		var rows [][]doc.Value
		for _, pos := range sel {
			// Outputs live until the next page: keep copies.
			rows = append(rows, []doc.Value{wb.Value(pos), pbk.Value(pos).Clone(), kb.Value(pos), page.Blocks[3].Value(pos)})
		}
		return rows
	})
}

// TestEvalThenWhereAgainstRowEngine is TestAgainstRowEngine for columns
// computed first and filtered after: CASE with column branches
// (multi-values pass through), COALESCE, CONCAT, NOT IN, RLIKE,
// STARTS_WITH, an overflowing multiplication, IS NOT NULL and OR over the
// computed columns.
func TestEvalThenWhereAgainstRowEngine(t *testing.T) {
	fields := seedShapeFields
	const q = `FROM x | EVAL a = CASE(n > 0, process.name, n < -50, process.command_line, host.os.type), b = COALESCE(process.name, host.os.type),` +
		` c = CONCAT(process.name, "-", event.type), d = process.name NOT IN ("sh", "bash"), e = process.command_line RLIKE ".*(curl|grep).*",` +
		` f = n * 100000, g = STARTS_WITH(process.parent.name, "py") | WHERE a IS NOT NULL OR f > 0` +
		` | EVAL h = n IN (1, -1, 0), i = n NOT IN (1, null) | KEEP a, b, c, d, e, f, g, h, i`
	sites := []site{
		{src: `n > 0`},
		{src: `CASE(n > 0, process.name, n < -50, process.command_line, host.os.type)`, asFalse: true},
		{src: `n < -50`},
		{src: `COALESCE(process.name, host.os.type)`},
		{src: `CONCAT(process.name, "-", event.type)`},
		{src: `process.name NOT IN ("sh", "bash")`},
		{src: `process.command_line RLIKE ".*(curl|grep).*"`},
		{src: `n * 100000`},
		{src: `STARTS_WITH(process.parent.name, "py")`},
		{src: `a IS NOT NULL OR f > 0`},
		{src: `f > 0`},
		{src: `n IN (1, -1, 0)`},
		{src: `n NOT IN (1, null)`},
	}
	col := func(i int) compute.Expr { return compute.Col(i, fields[i].Type) }
	num := func(i int32) compute.Expr { return compute.Lit(doc.Int(i), doc.Integer) }
	evals := []compute.Expr{
		compute.Case(doc.Keyword, 1, nil,
			must(compute.Binary(fn.Gt, col(5), num(0), 0)), col(3),
			must(compute.Binary(fn.Lt, col(5), num(-50), 2)), col(4),
			col(0)),
		must(compute.Coalesce(3, col(3), col(0))),
		must(compute.Concat(4, col(3), compute.Lit(doc.KeywordOf("-"), doc.Keyword), col(1))),
		must(compute.In(col(3), []doc.Value{doc.KeywordOf("sh"), doc.KeywordOf("bash")}, true, 5)),
		must(compute.Like(col(4), []*string{ptr(".*(curl|grep).*")}, true, false, 6)),
		must(compute.Binary(fn.Mul, col(5), num(100000), 7)),
		must(compute.StartsWith(col(2), compute.Lit(doc.KeywordOf("py"), doc.Keyword), 8)),
	}
	// The WHERE reads the computed a and f, columns 7 and 12 of the extended page.
	where := compute.Or(compute.IsNull(compute.Col(7, doc.Keyword), true),
		must(compute.Binary(fn.Gt, compute.Col(12, doc.Integer), num(0), 10)), 9)
	after := []compute.Expr{
		must(compute.In(col(5), []doc.Value{doc.Int(1), doc.Int(-1), doc.Int(0)}, false, 11)),
		must(compute.In(col(5), []doc.Value{doc.Int(1), {}}, true, 12)),
	}
	compute.Number(append(append(evals, where), after...)...)
	againstRowEngine(t, q, fields, sites, 11, 50, func(c *compute.Ctx, page *compute.Page) [][]doc.Value {
		all := c.All(page)
		ext := &compute.Page{Len: page.Len, Blocks: append([]*compute.Block(nil), page.Blocks...)}
		for _, x := range evals {
			ext.Blocks = append(ext.Blocks, x.Eval(c, page, all))
		}
		sel := compute.Select(where.Eval(c, ext, all), all, nil)
		for _, x := range after {
			ext.Blocks = append(ext.Blocks, x.Eval(c, page, sel))
		}
		var rows [][]doc.Value
		for _, pos := range sel {
			var row []doc.Value
			for _, b := range ext.Blocks[len(fields):] {
				row = append(row, b.Value(pos).Clone()) // outputs live until the next page
			}
			rows = append(rows, row)
		}
		return rows
	})
}

// TestLogicAgainstRowEngine: three-valued AND, OR, NOT and IS NULL over
// boolean columns with nulls and multi-values (which count as null and
// warn at the operator), with the row engine's short-circuits deciding
// which operands fail.
func TestLogicAgainstRowEngine(t *testing.T) {
	fields := append(slices.Clone(seedShapeFields), compute.Field{Name: "ok", Type: doc.Boolean}, compute.Field{Name: "ok2", Type: doc.Boolean})
	const q = `FROM x | EVAL a = ok AND ok2, b = ok OR NOT ok2, c = NOT (ok AND n > 0) OR ok2 IS NULL | WHERE a OR b IS NULL OR c | KEEP a, b, c`
	sites := []site{
		{src: `ok AND ok2`}, {src: `NOT ok2`}, {src: `ok OR NOT ok2`}, {src: `n > 0`}, {src: `ok AND n > 0`},
		{src: `NOT (ok AND n > 0)`}, {src: `NOT (ok AND n > 0) OR ok2 IS NULL`}, {src: `a OR b IS NULL`}, {src: `a OR b IS NULL OR c`},
	}
	ok, ok2 := compute.Col(7, doc.Boolean), compute.Col(8, doc.Boolean)
	evals := []compute.Expr{
		compute.And(ok, ok2, 0),
		compute.Or(ok, compute.Not(ok2, 1), 2),
		compute.Or(compute.Not(compute.And(ok, must(compute.Binary(fn.Gt, compute.Col(5, doc.Integer), compute.Lit(doc.Int(0), doc.Integer), 3)), 4), 5),
			compute.IsNull(ok2, false), 6),
	}
	where := compute.Or(compute.Or(compute.Col(9, doc.Boolean), compute.IsNull(compute.Col(10, doc.Boolean), false), 7), compute.Col(11, doc.Boolean), 8)
	compute.Number(append(evals, where)...)
	againstRowEngine(t, q, fields, sites, 19, 40, func(c *compute.Ctx, page *compute.Page) [][]doc.Value {
		all := c.All(page)
		ext := &compute.Page{Len: page.Len, Blocks: append([]*compute.Block(nil), page.Blocks...)}
		for _, x := range evals {
			ext.Blocks = append(ext.Blocks, x.Eval(c, page, all))
		}
		var rows [][]doc.Value
		for _, pos := range compute.Select(where.Eval(c, ext, all), all, nil) {
			rows = append(rows, []doc.Value{ext.Blocks[9].Value(pos), ext.Blocks[10].Value(pos), ext.Blocks[11].Value(pos)})
		}
		return rows
	})
}
