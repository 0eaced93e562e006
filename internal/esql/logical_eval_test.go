package esql

import (
	"fmt"
	"reflect"
	"testing"

	"vigil/internal/doc"
	"vigil/internal/esql/fn"
	"vigil/internal/esql/logical"
)

// interpret evaluates a plan expression from the node data alone — the
// resolved functions, types and patterns the plan carries — as a second
// lowering would (warnings aside). env holds the columns' values.
func interpret(t *testing.T, e logical.Expr, env map[*logical.Col]doc.Value) doc.Value {
	ev := func(x logical.Expr) doc.Value { return interpret(t, x, env) }
	// tri reads a boolean: 0 false, 1 true, 2 null (multi-values are null).
	tri := func(v doc.Value) int {
		switch {
		case v.IsNull() || v.IsMulti():
			return 2
		case v.Bool():
			return 1
		}
		return 0
	}
	switch x := e.(type) {
	case *logical.Lit:
		return x.Val
	case *logical.Ref:
		v, ok := env[x.Col]
		if !ok {
			t.Fatalf("column %s has no value", x.Col.Name)
		}
		return v
	case *logical.Call:
		var args []doc.Value
		for _, a := range x.Args {
			args = append(args, ev(a))
		}
		v, _ := x.Eval(args)
		return v
	case *logical.Not:
		if b := tri(ev(x.X)); b != 2 {
			return doc.Bool(b == 0)
		}
		return doc.Value{}
	case *logical.IsNull:
		return doc.Bool(ev(x.X).IsNull() != x.Not)
	case *logical.Logical:
		a := tri(ev(x.L))
		if x.And && a == 0 || !x.And && a == 1 {
			return doc.Bool(a == 1)
		}
		b := tri(ev(x.R))
		switch {
		case x.And && b == 0 || !x.And && b == 1:
			return doc.Bool(b == 1)
		case a != 2 && b != 2:
			return doc.Bool(b == 1)
		}
		return doc.Value{}
	case *logical.In:
		v := ev(x.X)
		if v.IsNull() || v.IsMulti() {
			return doc.Value{}
		}
		sawNull := false
		for _, it := range x.List {
			w := ev(it)
			if w.IsNull() || w.IsMulti() || it.Type() == doc.Null {
				sawNull = true
				continue
			}
			xt := x.X.Type()
			if xt == doc.Null {
				xt = it.Type()
			}
			_, eq, err := fn.Binary(fn.Eq, xt, it.Type())
			if err != nil {
				t.Fatal(err)
			}
			if r, _ := eq([]doc.Value{v, w}); !r.IsNull() && r.Bool() {
				return doc.Bool(!x.Not)
			}
		}
		if sawNull {
			return doc.Value{}
		}
		return doc.Bool(x.Not)
	case *logical.Like:
		v := ev(x.X)
		if v.IsNull() || v.IsMulti() {
			return doc.Value{}
		}
		for _, p := range x.Patterns {
			if p == nil {
				return doc.Value{}
			}
			m, err := compilePattern(*p, x.Regex)
			if err != nil {
				t.Fatal(err)
			}
			if m(v.S) {
				return doc.Bool(!x.Not)
			}
		}
		return doc.Bool(x.Not)
	case *logical.Case:
		for i, w := range x.When {
			if w == nil || tri(ev(w)) == 1 {
				return convertTo(ev(x.Then[i]), x.T)
			}
		}
		if x.Else == nil {
			return doc.Value{}
		}
		return convertTo(ev(x.Else), x.T)
	}
	t.Fatalf("cannot interpret %T", e)
	return doc.Value{}
}

// TestPlanInterpretedLikeExecutor is a differential test of the plan
// against the row executor: every EVAL expression below, over ROW values
// with nulls and multi-values, interpreted from its plan node alone,
// equals the executor's result. It shows the typed tree carries all a
// second lowering needs.
func TestPlanInterpretedLikeExecutor(t *testing.T) {
	nums := []string{"1", "null", "[1, 2]", "5", "-3"}
	strs := []string{`"abc"`, "null", `["a", "b"]`, `"ABC"`, `"a.c"`}
	exprs := []string{
		"a + b", "a - b * 2", "a / b", "a % b", "-a", "a == b", "a != b", "a < b", "a >= 1",
		"NOT (a > b)", "a IS NULL", "s IS NOT NULL", "a > 1 AND b < 3", "a > 1 OR s == \"abc\"",
		"s IN (\"abc\", \"x\")", "s NOT IN (\"abc\", null)", "a IN (1, b, 5)", "s LIKE \"a*\"",
		"s NOT LIKE \"A?C\"", "s RLIKE \"a.c\"", "s LIKE (\"x*\", \"*c\")", "s =~ \"ABC\"",
		"CASE(a > 1, \"big\", a < 0, \"neg\", s)", "CASE(a IS NULL, 1.5, a)", "CASE(s == \"abc\", s)",
		"TO_LOWER(s)", "CONCAT(s, \"x\")", "a::keyword", "s::integer", "COALESCE(a, b)", "MV_COUNT(s)",
		"LENGTH(s)", "DATE_TRUNC(1 day, \"2026-01-02T03:04:05Z\"::datetime) < NOW()", "a + 1 > b",
		"STARTS_WITH(s, \"a\")", "GREATEST(a, b, 0)",
	}
	for _, expr := range exprs {
		for i := range nums {
			q := fmt.Sprintf("ROW a = %s, b = %s, s = %s | EVAL r = %s", nums[i], nums[(i+2)%len(nums)], strs[i], expr)
			c, err := Compile(q, nil, Options{})
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			res, err := c.NewExecution().Finish()
			if err != nil {
				t.Fatal(err)
			}
			p := c.Plan()
			env := map[*logical.Col]doc.Value{}
			for _, col := range p.Source().Row {
				env[col] = interpret(t, col.Expr, env)
			}
			r := p.Commands[1].(*logical.Eval).Cols[0]
			got := interpret(t, r.Expr, env)
			want := res.Rows[0][len(res.Rows[0])-1]
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: plan %v (%s), executor %v", q, got, sexpr(r.Expr), want)
			}
		}
	}
}
