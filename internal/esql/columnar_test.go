package esql

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"

	"vigil/internal/doc"
)

// The columnar per-event stage against the row executor, its reference:
// random queries over random documents, each run by Push and by PushBatch
// (random batch boundaries), single and as merged partial executions,
// must give the same rows, order, column types and warnings.

// colFields is the random mapping: every type the page builder stores.
var colFields = []struct {
	name string
	t    doc.Type
}{
	{"b", doc.Boolean}, {"i", doc.Integer}, {"j", doc.Integer}, {"l", doc.Long}, {"u", doc.UnsignedLong},
	{"d", doc.Double}, {"e", doc.Double}, {"k", doc.Keyword}, {"m", doc.Keyword}, {"t", doc.Text},
	{"ts", doc.Date}, {"ns", doc.DateNanos}, {"ip", doc.IP}, {"v", doc.Version},
}

var colWords = []string{"", "a", "b", "sh", "bash", "Python3", "python", "PYTHON", "x-y", "é", "grep", "curl http://x", "a*b", "1.2.3", "10.0.0.1", "42", "-7", "2023-05-01T00:00:00Z", "true"}

func colSingle(r *rand.Rand, t doc.Type) doc.Value {
	switch t {
	case doc.Boolean:
		return doc.Bool(r.IntN(2) == 0)
	case doc.Integer:
		edges := []int64{0, 1, -1, math.MaxInt32, math.MinInt32, 46341}
		if r.IntN(4) == 0 {
			return doc.Value{T: t, I: edges[r.IntN(len(edges))]}
		}
		return doc.Int(int32(r.IntN(40) - 20))
	case doc.Long, doc.UnsignedLong:
		edges := []int64{0, 1, -1, math.MaxInt64, math.MinInt64, 3037000500}
		if r.IntN(4) == 0 {
			return doc.Value{T: t, I: edges[r.IntN(len(edges))]}
		}
		return doc.Value{T: t, I: int64(r.IntN(40) - 20)}
	case doc.Double:
		edges := []float64{0, math.Copysign(0, -1), 1, -1, math.NaN(), math.Inf(1), 1e-300, 0.5}
		if r.IntN(4) == 0 {
			return doc.Float(edges[r.IntN(len(edges))])
		}
		return doc.Float(float64(r.IntN(40)-20) / 4)
	case doc.Keyword, doc.Text:
		return doc.Value{T: t, S: colWords[r.IntN(len(colWords))]}
	case doc.Date:
		return doc.DateMillis(1_700_000_000_000 + r.Int64N(10_000_000) - int64(r.IntN(2))*1_800_000_000_000)
	case doc.DateNanos:
		return doc.DateNano(1_700_000_000_000_000_000 + r.Int64N(1_000_000_000_000))
	case doc.IP:
		return doc.IPOf(netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(3)), byte(r.IntN(3))}))
	case doc.Version:
		return doc.VersionOf([]string{"1.2.3", "1.10.0", "1.2.3-rc1", "2"}[r.IntN(4)])
	}
	return doc.Value{}
}

// colValue is null, single or multi-valued.
func colValue(r *rand.Rand, t doc.Type) doc.Value {
	switch n := r.IntN(10); {
	case n < 2:
		return doc.Value{}
	case n < 4:
		m := make([]doc.Value, 2+r.IntN(2))
		for i := range m {
			m[i] = colSingle(r, t)
		}
		return doc.Multi(t, m)
	}
	return colSingle(r, t)
}

// colDocs are n documents, most laid out (two layouts), some maps.
func colDocs(r *rand.Rand, n int) []*doc.Document {
	var names []string
	for _, f := range colFields {
		names = append(names, f.name)
	}
	layouts := []*doc.Layout{doc.NewLayout(names), doc.NewLayout(append([]string{"zz"}, names[:len(names)-3]...))}
	ds := make([]*doc.Document, n)
	for i := range ds {
		d := &doc.Document{Index: "idx", ID: "id" + strconv.Itoa(i), Version: int64(r.IntN(3))}
		if r.IntN(8) == 0 {
			d.Fields = map[string]doc.Value{}
			for _, f := range colFields {
				if v := colValue(r, f.t); !v.IsNull() {
					d.Fields[f.name] = v
				}
			}
		} else {
			l := layouts[r.IntN(len(layouts))]
			d.Layout = l
			d.Slots = make([]doc.Value, len(l.Names()))
			for s, name := range l.Names() {
				for _, f := range colFields {
					if f.name == name {
						d.Slots[s] = colValue(r, f.t)
					}
				}
			}
		}
		ds[i] = d
	}
	return ds
}

// exprGen writes random expressions of a kind over the mapping and the
// EVAL columns defined so far.
type exprGen struct {
	r    *rand.Rand
	cols map[string][]string // kind → columns
}

func (g *exprGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *exprGen) col(kind string) string {
	cs := g.cols[kind]
	return cs[g.r.IntN(len(cs))]
}

// expr is an expression of kind num, str, bool, date, ip or ver.
func (g *exprGen) expr(kind string, depth int) string {
	if depth <= 0 || g.r.IntN(4) == 0 {
		if g.r.IntN(5) == 0 {
			return g.lit(kind)
		}
		return g.col(kind)
	}
	e := func(k string) string { return g.expr(k, depth-1) }
	switch kind {
	case "num":
		switch g.r.IntN(14) {
		case 0, 1:
			return "(" + e("num") + " " + g.pick("+", "-", "*", "/", "%") + " " + e("num") + ")"
		case 2:
			return "-" + e("num")
		case 3:
			return g.pick("ABS", "MV_MAX", "MV_MIN", "MV_SUM", "MV_COUNT", "ROUND", "FLOOR", "SIGNUM") + "(" + e("num") + ")"
		case 4:
			return g.pick("LENGTH", "MV_COUNT", "TO_INTEGER", "TO_LONG", "TO_DOUBLE", "BIT_LENGTH") + "(" + e("str") + ")"
		case 5:
			return "CASE(" + e("bool") + ", " + e("num") + ", " + e("num") + ")"
		case 6:
			return "COALESCE(" + e("num") + ", " + e("num") + ")"
		case 7:
			return g.pick("GREATEST", "LEAST") + "(" + e("num") + ", " + e("num") + ")"
		case 8:
			return e("num") + "::" + g.pick("long", "double", "integer")
		case 9:
			return "DATE_EXTRACT(\"" + g.pick("year", "hour_of_day", "minute_of_hour") + "\", " + e("date") + ")"
		case 10:
			return "DATE_DIFF(\"" + g.pick("second", "day") + "\", " + e("date") + ", " + e("date") + ")"
		case 11:
			return "POW(" + e("num") + ", 2)"
		case 12:
			return "LOCATE(" + e("str") + ", " + e("str") + ")"
		}
		return "MV_FIRST(" + e("num") + ")"
	case "str":
		switch g.r.IntN(12) {
		case 0:
			return g.pick("TO_LOWER", "TO_UPPER", "TRIM", "REVERSE", "MV_FIRST", "MV_LAST", "MV_MIN") + "(" + e("str") + ")"
		case 1:
			return "CONCAT(" + e("str") + ", " + e("str") + ")"
		case 2:
			return "SUBSTRING(" + e("str") + ", " + strconv.Itoa(g.r.IntN(3)) + ", 2)"
		case 3:
			return "CASE(" + e("bool") + ", " + e("str") + ", " + e("bool") + ", " + e("str") + ", " + e("str") + ")"
		case 4:
			return "COALESCE(" + e("str") + ", " + e("str") + ")"
		case 5:
			return e(g.pick("num", "date", "ip", "ver", "bool")) + "::keyword"
		case 6:
			return "LEFT(" + e("str") + ", 2)"
		case 7:
			return "REPLACE(" + e("str") + ", \"a\", \"b\")"
		case 8:
			return "MV_CONCAT(" + e("str") + ", \",\")"
		case 9:
			return "TO_STRING(" + e(g.pick("num", "bool", "date")) + ")"
		case 10:
			return "MV_DEDUPE(" + e("str") + ")"
		}
		return "DATE_FORMAT(\"yyyy-MM-dd\", " + e("date") + ")"
	case "bool":
		switch g.r.IntN(14) {
		case 0, 1:
			k := g.pick("num", "str", "date", "ip", "ver")
			return "(" + e(k) + " " + g.pick("==", "!=", "<", "<=", ">", ">=") + " " + e(k) + ")"
		case 2:
			return "(" + e("bool") + " " + g.pick("AND", "OR") + " " + e("bool") + ")"
		case 3:
			return "NOT " + e("bool")
		case 4:
			return e(g.pick("num", "str", "bool")) + g.pick(" IS NULL", " IS NOT NULL")
		case 5:
			return e("str") + g.pick(" IN ", " NOT IN ") + "(\"a\", \"sh\", " + g.pick("\"b\"", "null", "\"bash\"") + ")"
		case 6:
			return e("num") + g.pick(" IN ", " NOT IN ") + "(1, 2, " + g.pick("-3", "null", "0") + ")"
		case 7:
			return e("str") + g.pick(" LIKE ", " NOT LIKE ", " RLIKE ") + g.pick("\"a*\"", "\"*h\"", "\"?\"", "\"py.*\"", "\"PYTHON*\"")
		case 8:
			return g.pick("STARTS_WITH", "ENDS_WITH") + "(" + e("str") + ", " + g.pick("\"a\"", "\"sh\"", e("str")) + ")"
		case 9:
			return e("str") + " =~ \"python\""
		case 10:
			return "CIDR_MATCH(" + e("ip") + ", \"10.0.1.0/24\")"
		case 11:
			return "MV_CONTAINS(" + e("str") + ", " + e("str") + ")"
		case 12:
			return g.pick("TO_BOOLEAN("+e("str")+")", "MATCH("+g.pick("k", "t")+", \"sh\")", g.pick("k", "m")+" : \"a\"")
		}
		return "CASE(" + e("bool") + ", " + e("bool") + ", " + e("bool") + ")"
	case "date":
		switch g.r.IntN(5) {
		case 0:
			return "DATE_TRUNC(" + g.pick("1 hour", "1 minute", "1 month", "2 days") + ", " + e("date") + ")"
		case 1:
			return e("date") + g.pick(" + 1 day", " - 1 hour", " + 1 month")
		case 2:
			return "TO_DATETIME(" + e("str") + ")"
		case 3:
			return "COALESCE(" + e("date") + ", " + e("date") + ")"
		}
		return "MV_MAX(" + e("date") + ")"
	case "ip":
		return g.pick("TO_IP(", "MV_MIN(") + e(g.pick("str", "ip")) + ")"
	case "ver":
		return "TO_VERSION(" + e("str") + ")"
	}
	return "null"
}

func (g *exprGen) lit(kind string) string {
	switch kind {
	case "num":
		return g.pick("1", "0", "-2", "2.5", "null", "2147483647", "9223372036854775807", "[1, 2]")
	case "str":
		return g.pick("\"a\"", "\"sh\"", "\"\"", "null", "\"Python3\"", "[\"a\", \"b\"]")
	case "bool":
		return g.pick("true", "false", "null")
	case "date":
		return g.pick("\"2023-11-14T22:13:20Z\"::datetime", "NOW()")
	case "ip":
		return "\"10.0.1.1\"::ip"
	case "ver":
		return "\"1.2.3\"::version"
	}
	return "null"
}

func kindOf(t doc.Type) string {
	switch t {
	case doc.Integer, doc.Long, doc.UnsignedLong, doc.Double:
		return "num"
	case doc.Keyword, doc.Text:
		return "str"
	case doc.Boolean:
		return "bool"
	case doc.Date, doc.DateNanos:
		return "date"
	case doc.IP:
		return "ip"
	case doc.Version:
		return "ver"
	}
	return ""
}

// colQuery writes a random query: WHEREs and EVALs (possibly KQL(),
// RENAME, MV_EXPAND), then a STATS, SORT, LIMIT or nothing.
func colQuery(r *rand.Rand) string {
	g := &exprGen{r: r, cols: map[string][]string{}}
	for _, f := range colFields {
		if f.name != "u" && f.name != "ns" { // unsigned_long and date_nanos: fields only
			g.cols[kindOf(f.t)] = append(g.cols[kindOf(f.t)], f.name)
		}
	}
	var b strings.Builder
	b.WriteString("FROM idx METADATA _id, _version")
	if r.IntN(6) == 0 {
		b.WriteString(` | WHERE KQL("k:a or m:sh*")`)
	}
	n := 0
	for steps := r.IntN(4); steps > 0; steps-- {
		if r.IntN(2) == 0 {
			b.WriteString(" | WHERE " + g.expr("bool", 3))
			continue
		}
		b.WriteString(" | EVAL ")
		for c := r.IntN(3); c >= 0; c-- {
			kind := g.pick("num", "str", "bool", "date")
			name := "x" + strconv.Itoa(n)
			n++
			b.WriteString(name + " = " + g.expr(kind, 3))
			if c > 0 {
				b.WriteString(", ")
			}
			g.cols[kind] = append(g.cols[kind], name)
		}
	}
	if r.IntN(20) == 0 {
		b.WriteString(" | MV_EXPAND k") // not lowered: PushBatch pushes row by row
	}
	if n > 0 && r.IntN(5) == 0 {
		b.WriteString(" | RENAME x0 AS y0 | EVAL x0 = y0")
	}
	switch r.IntN(5) {
	case 0, 1:
		b.WriteString(" | STATS c = COUNT(*), s = SUM(" + g.col("num") + "), mx = MAX(" + g.col(g.pick("num", "str", "date")) + ")")
		b.WriteString(", cd = COUNT_DISTINCT(" + g.col("str") + "), vs = VALUES(" + g.col("str") + ")")
		if r.IntN(2) == 0 {
			b.WriteString(", f = COUNT(*) WHERE " + g.expr("bool", 1))
		}
		switch r.IntN(4) {
		case 0:
		case 1:
			b.WriteString(" BY " + g.col(g.pick("str", "bool", "num")))
		default:
			b.WriteString(" BY " + g.col(g.pick("str", "date")) + ", w = DATE_TRUNC(1 hour, ts)")
		}
		if r.IntN(2) == 0 {
			b.WriteString(" | SORT c DESC | LIMIT 50")
		}
	case 2:
		b.WriteString(" | SORT " + g.col(g.pick("num", "str")) + ", _id | LIMIT " + strconv.Itoa(1+r.IntN(30)))
	case 3:
		b.WriteString(" | LIMIT " + strconv.Itoa(r.IntN(40)))
	}
	return b.String()
}

// fmtResult renders a result exactly (NaN and -0 by their bits).
func fmtResult(res *Result) string {
	var b strings.Builder
	for _, c := range res.Columns {
		b.WriteString(c.Name + ":" + c.Type.String() + " ")
	}
	b.WriteString("\n")
	var val func(v doc.Value)
	val = func(v doc.Value) {
		fmt.Fprintf(&b, "%d/%d/%x/%q", v.T, v.I, math.Float64bits(v.F), v.S)
		if v.M != nil {
			b.WriteString("[")
			for _, e := range v.M {
				val(e)
				b.WriteString(",")
			}
			b.WriteString("]")
		}
		b.WriteString(" ")
	}
	for _, row := range res.Rows {
		for _, v := range row {
			val(v)
		}
		b.WriteString("\n")
	}
	for _, w := range res.Warnings {
		b.WriteString(w + "\n")
	}
	return b.String()
}

// longTests reports whether VIGIL_LONG_TESTS=1 asks for the long versions
// of randomized tests.
func longTests() bool { return os.Getenv("VIGIL_LONG_TESTS") == "1" }

// runInParts runs q over docs split into parts (each its own execution,
// merged in order), each part pushed by push.
func runInParts(t *testing.T, q *Query, parts [][]*doc.Document, push func(*Execution, []*doc.Document), absorb bool) string {
	t.Helper()
	var first *Execution
	for _, p := range parts {
		e := q.NewExecution()
		push(e, p)
		switch {
		case first == nil:
			first = e
		case absorb:
			first.Absorb(e)
		default:
			first.Merge(e)
		}
	}
	res, err := first.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return fmtResult(res) + "matched " + strconv.FormatInt(first.Matched(), 10)
}

// TestColumnarAgainstRowExecutor: ~1,000 random queries (10,000 with
// VIGIL_LONG_TESTS=1), each over fresh random documents.
func TestColumnarAgainstRowExecutor(t *testing.T) {
	n := 1000
	if longTests() {
		n = 10000
	}
	m := doc.NewMapping()
	for _, f := range colFields {
		m.Add(doc.Field{Name: f.name, Type: f.t, ESType: f.t.String()})
	}
	cat := testCatalog{m}
	r := rand.New(rand.NewPCG(12, 2026))
	ran, lowered, failed, tried, warned, withRows := 0, 0, 0, 0, 0, 0
	for ran < n {
		src := colQuery(r)
		tried++
		q, err := Compile(src, cat, Options{})
		if err != nil {
			continue // the generator writes some ill-typed queries
		}
		ran++
		if !q.Columnar() {
			continue
		}
		lowered++
		docs := colDocs(r, 1+r.IntN(120))
		// Partial executions over consecutive parts, as the sweep runs chunks.
		var parts [][]*doc.Document
		for rest := docs; len(rest) > 0; {
			k := len(rest)
			if r.IntN(2) == 0 {
				k = 1 + r.IntN(len(rest))
			}
			parts, rest = append(parts, rest[:k]), rest[k:]
		}
		absorb := r.IntN(2) == 0
		want := runInParts(t, q, parts, func(e *Execution, ds []*doc.Document) {
			for _, d := range ds {
				e.Push(d)
			}
		}, absorb)
		got := runInParts(t, q, parts, func(e *Execution, ds []*doc.Document) {
			for len(ds) > 0 {
				k := 1 + r.IntN(len(ds))
				e.PushBatch(ds[:k])
				ds = ds[k:]
			}
		}, absorb)
		if strings.Contains(want, "evaluation of") {
			warned++
		}
		if strings.Count(want, "\n") > len(q.Columns())+2 {
			withRows++
		}
		if got != want {
			failed++
			if failed <= 5 {
				t.Errorf("%s\nrow executor:\n%s\ncolumnar:\n%s", src, want, got)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d lowered queries differ", failed, lowered)
	}
	t.Logf("%d queries compiled of %d written, %d lowered; %d with rows, %d with warnings", ran, tried, lowered, withRows, warned)
	if warned < ran/10 || withRows < ran/3 {
		t.Errorf("the generator is too tame: %d with warnings, %d with rows", warned, withRows)
	}
	if lowered < ran*8/10 || lowered == ran {
		t.Errorf("only %d of %d queries lowered", lowered, ran)
	}
}
