package compute_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"vigil/internal/doc"
	"vigil/internal/esql/compute"
	"vigil/internal/esql/fn"
)

// outcome is what evaluating at one position gives: a value and the
// failure message, if any ("" for none).
type outcome struct {
	v   doc.Value
	msg string
}

// evalAt evaluates e over page at sel and returns each selected
// position's outcome, with the failures in the order Flush gives them.
func evalAt(t *testing.T, e compute.Expr, page *compute.Page, sel []int32) (map[int32]outcome, []compute.Failure) {
	t.Helper()
	c := &compute.Ctx{}
	compute.Number(e)
	b := e.Eval(c, page, sel)
	got := map[int32]outcome{}
	for _, p := range sel {
		got[p] = outcome{v: b.Value(p)}
	}
	var fails []compute.Failure
	c.Warn.Flush(func(f compute.Failure) {
		fails = append(fails, f)
		o := got[f.Pos]
		if o.msg != "" {
			t.Fatalf("two failures at position %d", f.Pos)
		}
		o.msg = f.Err.Error()
		got[f.Pos] = o
	})
	return got, fails
}

// esOrder is the reference for a strict function of single values:
// arguments checked left to right, a null one giving null, a multi-valued
// one null and the multi-value failure; then ev.
func esOrder(ev fn.Eval, args []doc.Value) outcome {
	for _, a := range args {
		if a.IsNull() {
			return outcome{}
		}
		if a.IsMulti() {
			return outcome{msg: fn.ErrMultiValue.Error()}
		}
	}
	v, err := ev(args)
	if err != nil {
		return outcome{v: v, msg: err.Error()}
	}
	return outcome{v: v}
}

func outcomeOf(v doc.Value, err error) outcome {
	if err != nil {
		return outcome{v: v, msg: err.Error()}
	}
	return outcome{v: v}
}

func (o outcome) String() string { return fmt.Sprintf("%v:%s %q", o.v, o.v.T, o.msg) }

func sameOutcome(a, b outcome) bool { return same(a.v, b.v) && a.msg == b.msg }

// checkRows evaluates e at sel and checks each position against ev
// applied to the position's argument values (cols[i][p]).
func checkRows(t *testing.T, name string, e compute.Expr, ev fn.Eval, page *compute.Page, cols [][]doc.Value, sel []int32) {
	t.Helper()
	got, _ := evalAt(t, e, page, sel)
	for _, p := range sel {
		args := make([]doc.Value, len(cols))
		for i := range cols {
			args[i] = cols[i][p]
		}
		if g, want := got[p], outcomeOf(ev(args)); !sameOutcome(g, want) {
			t.Fatalf("%s%v: got %v want %v", name, args, g, want)
		}
	}
}

// column makes n random values of type t; plain ones are all single. A
// null-typed column holds only nulls.
func column(r *rand.Rand, t doc.Type, n int, plain bool) []doc.Value {
	c := make([]doc.Value, n)
	for i := range c {
		if t == doc.Null {
			continue
		}
		if plain {
			c[i] = single(r, t)
		} else {
			c[i] = value(r, t)
		}
	}
	return c
}

// operand returns the expression for column i of a page, or a literal
// when the column is constant.
func operand(r *rand.Rand, col []doc.Value, i int, t doc.Type) (compute.Expr, []doc.Value) {
	if r.IntN(4) == 0 {
		v := col[0]
		for j := range col {
			col[j] = v
		}
		return compute.Lit(v, t), col
	}
	return compute.Col(i, t), col
}

// TestBinaryDifferential: every operator over random operand types and
// blocks (nulls, multi-values, constants, selections) gives the values
// and failures of fn.Binary's evaluator — the row engine's — which checks
// the operands in Elasticsearch's order. A null-typed operand (the literal
// `null`, or a null-typed column) resolves to an evaluator that is always
// null and checks nothing, as Elasticsearch folds such an expression to
// null before evaluating it (FoldNull): `mv / null` is null without the
// multi-value warning.
func TestBinaryDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ops := []fn.Op{fn.Add, fn.Sub, fn.Mul, fn.Div, fn.Mod, fn.Eq, fn.Neq, fn.Lt, fn.Lte, fn.Gt, fn.Gte}
	checked, nullTyped := 0, 0
	for range cases(3000) {
		op := ops[r.IntN(len(ops))]
		lt, rt := testTypes[r.IntN(len(testTypes))], testTypes[r.IntN(len(testTypes))]
		if r.IntN(2) == 0 { // same-family pairs are the ones that resolve
			rt = lt
			if lt.IsNumeric() {
				rt = []doc.Type{doc.Integer, doc.Long, doc.Double}[r.IntN(3)]
				if lt == doc.UnsignedLong {
					rt = lt
				}
			}
		}
		switch r.IntN(8) {
		case 0:
			lt = doc.Null
		case 1:
			rt = doc.Null
		}
		_, ev, err := fn.Binary(op, lt, rt)
		if err != nil {
			continue
		}
		n := 1 + r.IntN(40)
		plain := r.IntN(3) == 0
		lc, rc := column(r, lt, n, plain), column(r, rt, n, plain)
		le, lc := operand(r, lc, 0, lt)
		re, rc := operand(r, rc, 1, rt)
		e, err := compute.Binary(op, le, re, 7)
		if err != nil {
			t.Fatal(err)
		}
		page := compute.NewPageBuilder([]compute.Field{{Name: "f0", Type: lt}, {Name: "f1", Type: rt}}).Build(docsOf([][]doc.Value{lc, rc}))
		sel := randomSel(r, n)
		got, fails := evalAt(t, e, page, sel)
		for _, p := range sel {
			args := []doc.Value{lc[p], rc[p]}
			want := outcomeOf(ev(args))
			if lt == doc.Null || rt == doc.Null {
				if !sameOutcome(want, outcome{}) {
					t.Fatalf("%v %s %v: fn gives %v for a null-typed operand", args[0], op, args[1], want)
				}
				nullTyped++
			} else if es := esOrder(ev, args); !sameOutcome(want, es) {
				t.Fatalf("%v %s %v: Elasticsearch's order %v, fn %v", args[0], op, args[1], es, want)
			}
			if g := got[p]; !sameOutcome(g, want) {
				t.Fatalf("%v %s %v (%s %s %s): got %v want %v", args[0], op, args[1], lt, op, rt, g, want)
			}
			checked++
		}
		for _, f := range fails {
			if f.Site != 7 {
				t.Fatalf("failure at site %d", f.Site)
			}
		}
	}
	if nullTyped == 0 {
		t.Fatal("no null-typed operand was tried")
	}
	t.Logf("%d positions, %d with a null-typed operand", checked, nullTyped)
}

// TestFunctionDifferential: the typed function kernels give the values
// and failures of the registered functions (whose strict evaluators
// already check arguments in Elasticsearch's order), null-typed arguments
// (the literal `null`) included.
func TestFunctionDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	strT := []doc.Type{doc.Keyword, doc.Text}
	type kase struct {
		name  string
		span  *doc.Value // DATE_TRUNC's constant first argument
		types func() []doc.Type
		build func(args []compute.Expr) (compute.Expr, error)
	}
	kases := []kase{
		{"LENGTH", nil, func() []doc.Type { return []doc.Type{strT[r.IntN(2)]} }, func(a []compute.Expr) (compute.Expr, error) { return compute.Length(a[0], 1) }},
		{"STARTS_WITH", nil, func() []doc.Type { return []doc.Type{strT[r.IntN(2)], strT[r.IntN(2)]} }, func(a []compute.Expr) (compute.Expr, error) { return compute.StartsWith(a[0], a[1], 1) }},
		{"ENDS_WITH", nil, func() []doc.Type { return []doc.Type{strT[r.IntN(2)], strT[r.IntN(2)]} }, func(a []compute.Expr) (compute.Expr, error) { return compute.EndsWith(a[0], a[1], 1) }},
		{"CONCAT", nil, func() []doc.Type { return []doc.Type{strT[r.IntN(2)], strT[r.IntN(2)], doc.Keyword}[:2+r.IntN(2)] }, func(a []compute.Expr) (compute.Expr, error) { return compute.Concat(1, a...) }},
		{"TO_LOWER", nil, func() []doc.Type { return []doc.Type{strT[r.IntN(2)]} }, func(a []compute.Expr) (compute.Expr, error) { return compute.ToLower(a[0]) }},
		{"TO_UPPER", nil, func() []doc.Type { return []doc.Type{strT[r.IntN(2)]} }, func(a []compute.Expr) (compute.Expr, error) { return compute.ToUpper(a[0]) }},
		{"COALESCE", nil, func() []doc.Type {
			if r.IntN(2) == 0 {
				return []doc.Type{doc.Integer, doc.Long, doc.Double}[:1+r.IntN(3)]
			}
			t := testTypes[r.IntN(len(testTypes))]
			return []doc.Type{t, t, t}[:1+r.IntN(3)]
		}, func(a []compute.Expr) (compute.Expr, error) { return compute.Coalesce(1, a...) }},
	}
	for _, dt := range []doc.Type{doc.Date, doc.DateNanos} {
		for _, span := range []doc.Value{doc.Duration(60e9), doc.Duration(1500e6), doc.Duration(3600e9), doc.Period(0, 1), doc.Period(1, 0)} {
			kases = append(kases, kase{"DATE_TRUNC", &span, func() []doc.Type { return []doc.Type{span.T, dt} },
				func(a []compute.Expr) (compute.Expr, error) { return compute.DateTrunc(span, a[1], 1) }})
		}
	}
	nullTyped := 0
	for range cases(400) {
		k := kases[r.IntN(len(kases))]
		types := k.types()
		if i := r.IntN(6 * len(types)); i < len(types) && (k.span == nil || i > 0) {
			types[i] = doc.Null
			nullTyped++
		}
		n := 1 + r.IntN(30)
		plain := r.IntN(3) == 0
		cols := make([][]doc.Value, len(types))
		exprs := make([]compute.Expr, len(types))
		fields := make([]compute.Field, len(types))
		consts := make([]*doc.Value, len(types))
		for i, ty := range types {
			cols[i] = column(r, ty, n, plain)
			exprs[i], cols[i] = operand(r, cols[i], i, ty)
			fields[i] = compute.Field{Name: fmt.Sprint("f", i), Type: ty}
		}
		if k.span != nil {
			consts[0] = k.span
			for j := range cols[0] {
				cols[0][j] = *k.span
			}
		}
		e, err := k.build(exprs)
		if err != nil {
			t.Fatalf("%s%v: %v", k.name, types, err)
		}
		f, _ := fn.Lookup(k.name)
		_, ev, err := f.Resolve(types, consts)
		if err != nil {
			t.Fatalf("%s%v: %v", k.name, types, err)
		}
		page := compute.NewPageBuilder(fields).Build(docsOf(cols))
		checkRows(t, k.name, e, ev, page, cols, randomSel(r, n))
	}
	if nullTyped == 0 {
		t.Fatal("no null-typed argument was tried")
	}
}

// TestCallCoversEveryFunction: the generic kernel gives, for every
// registered function that resolves over random argument types, exactly
// what its evaluator gives position by position (value and failure) —
// every function family has a columnar form.
func TestCallCoversEveryFunction(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	covered := 0
	names := fn.Names()
	slices.Sort(names)
	for _, name := range names {
		f, _ := fn.Lookup(name)
		var types []doc.Type
		var ev fn.Eval
		var rt doc.Type
		for range 200 { // find argument types it accepts
			hi := f.MaxArgs
			if hi < 0 || hi > f.MinArgs+2 {
				hi = f.MinArgs + 2
			}
			types = make([]doc.Type, f.MinArgs+r.IntN(hi-f.MinArgs+1))
			for i := range types {
				types[i] = testTypes[r.IntN(len(testTypes))]
			}
			var err error
			if rt, ev, err = f.Resolve(types, make([]*doc.Value, len(types))); err == nil {
				break
			}
			ev = nil
		}
		if ev == nil {
			continue // needs constant arguments (patterns, units) or unusual types
		}
		covered++
		for range cases(5) {
			n := 1 + r.IntN(20)
			cols := make([][]doc.Value, len(types))
			exprs := make([]compute.Expr, len(types))
			fields := make([]compute.Field, len(types))
			for i, ty := range types {
				cols[i] = column(r, ty, n, false)
				exprs[i] = compute.Col(i, ty)
				fields[i] = compute.Field{Name: fmt.Sprint("f", i), Type: ty}
			}
			var page *compute.Page
			if len(types) > 0 {
				page = compute.NewPageBuilder(fields).Build(docsOf(cols))
			} else {
				page = &compute.Page{Len: n}
			}
			checkRows(t, name, compute.Call(rt, ev, 0, exprs...), ev, page, cols, randomSel(r, n))
		}
	}
	if covered < len(names)/2 {
		t.Fatalf("only %d of %d functions resolved over random types", covered, len(names))
	}
	t.Logf("%d of %d functions checked", covered, len(names))
}
