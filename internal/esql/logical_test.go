package esql

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"vigil/internal/doc"
	"vigil/internal/esql/logical"
)

// sexpr prints a plan expression as an s-expression: columns as $name
// (with @field for source fields), calls by resolved name and type.
func sexpr(e logical.Expr) string {
	if e == nil {
		return "nil"
	}
	args := func(xs ...logical.Expr) string {
		var b []string
		for _, x := range xs {
			b = append(b, sexpr(x))
		}
		return strings.Join(b, " ")
	}
	switch x := e.(type) {
	case *logical.Ref:
		if x.Col.Field != "" {
			return "$" + x.Col.Name + "@" + x.Col.Field
		}
		return "$" + x.Col.Name
	case *logical.Lit:
		return fmt.Sprintf("%q:%s", x.Val.String(), x.T)
	case *logical.Call:
		return "(" + x.Name + ":" + x.T.String() + " " + args(x.Args...) + ")"
	case *logical.Agg:
		return "(agg " + x.Name + " " + args(x.Args...) + " where " + sexpr(x.Filter) + ")"
	case *logical.Case:
		return "(case " + args(x.When...) + " | " + args(x.Then...) + " | " + sexpr(x.Else) + ")"
	case *logical.In:
		return fmt.Sprintf("(in not=%v %s)", x.Not, args(append([]logical.Expr{x.X}, x.List...)...))
	case *logical.Like:
		var ps []string
		for _, p := range x.Patterns {
			ps = append(ps, *p)
		}
		return fmt.Sprintf("(like regex=%v %s %q)", x.Regex, sexpr(x.X), ps)
	case *logical.IsNull:
		return fmt.Sprintf("(isnull not=%v %s)", x.Not, sexpr(x.X))
	case *logical.Not:
		return "(not " + sexpr(x.X) + ")"
	case *logical.Logical:
		op := "or"
		if x.And {
			op = "and"
		}
		return "(" + op + " " + args(x.L, x.R) + ")"
	case *logical.KQL:
		return fmt.Sprintf("(kql %q)", x.AST.String())
	}
	return "?"
}

func planOf(t *testing.T, q string) *logical.Plan {
	t.Helper()
	c, err := Compile(q, planCatalog(), Options{})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return c.Plan()
}

func planCatalog() Catalog {
	m := doc.NewMapping()
	for _, f := range []doc.Field{
		{Name: "@timestamp", Type: doc.Date, ESType: "date"},
		{Name: "host.name", Type: doc.Keyword, ESType: "keyword"},
		{Name: "user.name", Type: doc.Keyword, ESType: "keyword"},
		{Name: "process.name", Type: doc.Keyword, ESType: "keyword"},
		{Name: "process.pid", Type: doc.Long, ESType: "long"},
		{Name: "process.args", Type: doc.Keyword, ESType: "keyword"},
	} {
		m.Add(f)
	}
	return staticCatalog{m}
}

type staticCatalog struct{ m *doc.Mapping }

func (c staticCatalog) Resolve([]string) (*doc.Mapping, error) { return c.m, nil }

func names(cmds []logical.Command) []string {
	var out []string
	for _, c := range cmds {
		out = append(out, c.Name())
	}
	return out
}

// TestPlanExpressions checks the typed tree WHERE and EVAL conditions
// resolve to: references resolved to their columns through EVAL and
// RENAME, constants folded, casts and operators by resolved name.
func TestPlanExpressions(t *testing.T) {
	for _, tc := range []struct{ q, want string }{
		{`FROM i | WHERE process.name IN ("a", "b") AND NOT user.name LIKE "r*"`,
			`(and (in not=false $process.name@process.name "a":keyword "b":keyword) (not (like regex=false $user.name@user.name ["r*"])))`},
		{`FROM i | EVAL x = process.name | RENAME x AS y | WHERE TO_LOWER(y) == "sh"`,
			`(==:boolean (TO_LOWER:keyword $y) "sh":keyword)`},
		{`FROM i | EVAL user.name = CONCAT(process.name, "x") | WHERE user.name IS NOT NULL OR process.pid + 1 > 2 * 3`,
			`(or (isnull not=true $user.name) (>:boolean (+:long $process.pid@process.pid "1":integer) "6":integer))`},
		{`FROM i | WHERE @timestamp > "2026-01-01" AND CASE(process.pid > 1, true, false)`,
			`(and (>:boolean $@timestamp@@timestamp "2026-01-01T00:00:00.000Z":datetime) (case (>:boolean $process.pid@process.pid "1":integer) | "true":boolean | "false":boolean))`},
		{`FROM i | WHERE KQL("process.name:sh") AND process.name RLIKE "s.*"`,
			`(and (kql "process.name:sh") (like regex=true $process.name@process.name ["s.*"]))`},
		{`FROM i | EVAL k = process.pid::keyword | WHERE k == "1"`,
			`(==:boolean $k "1":keyword)`},
	} {
		p := planOf(t, tc.q)
		var w *logical.Where
		for _, c := range p.Commands {
			if x, ok := c.(*logical.Where); ok {
				w = x
			}
		}
		if got := sexpr(w.Cond); got != tc.want {
			t.Errorf("%s\ngot  %s\nwant %s", tc.q, got, tc.want)
		}
	}
	// The EVAL'd cast is a Cast call over the field.
	p := planOf(t, `FROM i | EVAL k = process.pid::keyword`)
	if got := sexpr(p.Commands[1].(*logical.Eval).Cols[0].Expr); got != `(keyword:keyword $process.pid@process.pid)` {
		t.Errorf("cast: %s", got)
	}
}

// TestPlanColumns checks provenance, aggregation, the stage split, the
// window, the fields read and the limits.
func TestPlanColumns(t *testing.T) {
	p := planOf(t, `FROM i METADATA _index | EVAL x = process.name, process.name = TO_LOWER(user.name) | RENAME x AS y | KEEP y, process.name, _index`)
	out := map[string]*logical.Col{}
	for _, c := range p.Output {
		out[c.Name] = c
	}
	if o := out["y"].Origin(); o.Field != "process.name" || o.By != nil {
		t.Errorf("y: origin %+v", o)
	}
	if c := out["process.name"]; c.Field != "" || sexpr(c.Expr) != "(TO_LOWER:keyword $user.name@user.name)" {
		t.Errorf("process.name: %+v %s", c, sexpr(c.Expr))
	}
	if c := out["_index"]; c.Meta != "_index" || c.Field != "" {
		t.Errorf("_index: %+v", c)
	}
	if got := names(p.Commands); !reflect.DeepEqual(got, []string{"FROM", "EVAL", "RENAME", "KEEP", "LIMIT"}) {
		t.Errorf("commands %v", got)
	}
	if l := p.Commands[4].(*logical.Limit); !l.Implicit || l.N != DefaultLimit || p.Head != 4 {
		t.Errorf("implicit limit %+v, head %d", l, p.Head)
	}

	p = planOf(t, `FROM i | WHERE process.pid > 0 | STATS c = COUNT(*) WHERE process.name == "sh", m = MAX(process.pid) + 1 BY w = DATE_TRUNC(1 minute, @timestamp), host.name | WHERE c > 2 | LIMIT 20000`)
	st, ok := p.Aggregating().(*logical.Stats)
	if !ok || p.Head != 2 {
		t.Fatalf("head %d: %T", p.Head, p.Aggregating())
	}
	if got := names(p.PerEvent()); !reflect.DeepEqual(got, []string{"FROM", "WHERE"}) {
		t.Errorf("per-event %v", got)
	}
	if got := names(p.After()); !reflect.DeepEqual(got, []string{"WHERE", "LIMIT", "LIMIT"}) {
		t.Errorf("after %v", got)
	}
	if p.Limit() != MaxLimit {
		t.Errorf("limit %d", p.Limit())
	}
	if len(st.Calls) != 2 || st.Calls[0].Name != "COUNT" || sexpr(st.Calls[0].Filter) != `(==:boolean $process.name@process.name "sh":keyword)` || st.Calls[1].Name != "MAX" {
		t.Errorf("calls %+v", st.Calls)
	}
	if got := sexpr(st.Aggs[1].Expr); got != `(+:long (agg MAX $process.pid@process.pid where nil) "1":integer)` {
		t.Errorf("m = %s", got)
	}
	for _, c := range st.Aggs {
		if !c.Aggregated || c.By != st {
			t.Errorf("%s: not an aggregate of the STATS", c.Name)
		}
	}
	for _, c := range st.By {
		if c.Aggregated || c.By != st {
			t.Errorf("%s: not a key of the STATS", c.Name)
		}
	}
	if w := p.Window(); w == nil || w.Field != "@timestamp" {
		t.Errorf("window %+v", w)
	}
	if !reflect.DeepEqual(p.Fields, []string{"@timestamp", "host.name", "process.name", "process.pid"}) {
		t.Errorf("fields %v", p.Fields)
	}
	var outNames []string
	for _, c := range p.Output {
		outNames = append(outNames, c.Name)
	}
	if !reflect.DeepEqual(outNames, []string{"c", "m", "w", "host.name"}) {
		t.Errorf("output %v", outNames)
	}

	p = planOf(t, `FROM i | MV_EXPAND process.args | DISSECT process.name "%{a}-%{b}" | SORT a`)
	mv := p.Commands[1].(*logical.MvExpand)
	if mv.In.Field != "process.args" || mv.Out.By != mv || mv.Out.Field != "" {
		t.Errorf("mv_expand %+v", mv)
	}
	d := p.Commands[2].(*logical.Dissect)
	if len(d.Out) != 2 || d.Out[0].By != d || sexpr(d.X) != "$process.name@process.name" {
		t.Errorf("dissect %+v", d)
	}
	if _, ok := p.Aggregating().(*logical.Sort); !ok {
		t.Errorf("head %T", p.Aggregating())
	}
}

// TestPlanWarningPositions checks that the nodes that can fail carry the
// position the executor's warnings name.
func TestPlanWarningPositions(t *testing.T) {
	q := `ROW a = [1, 2], s = ["x", "y"] | EVAL b = a + 1, c = s IN ("x"), d = s LIKE "x*", e = NOT [true, false], f = CASE([true, false], 1, 2)`
	c, err := Compile(q, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.NewExecution().Finish()
	if err != nil {
		t.Fatal(err)
	}
	at := map[string]logical.Pos{}
	for _, col := range c.Plan().Commands[1].(*logical.Eval).Cols {
		switch x := col.Expr.(type) {
		case *logical.Call:
			at[x.Src] = x.At
		case *logical.In:
			at[x.Src] = x.At
		case *logical.Like:
			at[x.Src] = x.At
		}
	}
	if len(at) != 3 {
		t.Fatalf("non-constant nodes %v", at)
	}
	for src, p := range at {
		want := fmt.Sprintf("Line %d:%d: evaluation of [%s] failed", p.Line, p.Col, src)
		found := false
		for _, w := range res.Warnings {
			found = found || strings.HasPrefix(w, want)
		}
		if !found {
			t.Errorf("no warning %q in %q", want, res.Warnings)
		}
	}
}
