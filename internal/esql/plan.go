package esql

import (
	"strings"

	"vigil/internal/doc"
	"vigil/internal/esql/agg"
	"vigil/internal/esql/fn"
	"vigil/internal/esql/logical"
)

// aggCollector gathers the aggregate calls of one STATS while its fields
// compile: expressions outside aggregate calls see only the BY keys.
type aggCollector struct {
	input *scope
	aggs  []*aggSpec
}

type aggSpec struct {
	node    *logical.Agg
	factory agg.Factory
	arg     evalFn // nil for COUNT(*)
	filter  evalFn // per-aggregate WHERE, nil when absent
	slot    int    // output slot of the result
}

func (c *compiler) aggCall(af *agg.Func, e *Call, _ *scope) *cexpr {
	ac := c.aggCtx
	if n := len(e.Args); n < af.MinArgs || (af.MaxArgs >= 0 && n > af.MaxArgs) {
		return c.errf(e.P, arityMsg(e, af.MinArgs, af.MaxArgs))
	}
	// Arguments are evaluated over input rows; nested aggregates are errors.
	c.aggCtx = nil
	defer func() { c.aggCtx = ac }()
	spec := &aggSpec{slot: c.newSlot(), node: &logical.Agg{Name: strings.ToUpper(e.Name), Src: e.Txt}}
	var types []doc.Type
	var consts []*doc.Value
	if e.Star || len(e.Args) == 0 {
		types, consts = []doc.Type{doc.Null}, []*doc.Value{nil}
	} else {
		nerr := len(c.errs)
		for i, a := range e.Args {
			x := c.expr(a, ac.input)
			spec.node.Args = append(spec.node.Args, x.node)
			if i == 0 {
				spec.arg = x.eval
			} else if i < af.RowArgs { // FIRST/LAST's sort field: per row, packed with the value
				v, s := spec.arg, x.eval
				spec.arg = func(cx *ctx, row []doc.Value) doc.Value { return agg.Pair(v(cx, row), s(cx, row)) }
			} else if !x.konst {
				return c.errf(a.Pos(), "second argument of ["+e.Txt+"] must be a constant, received ["+a.Src()+"]")
			}
			types = append(types, x.t)
			if x.konst {
				v := x.val
				consts = append(consts, &v)
			} else {
				consts = append(consts, nil)
			}
		}
		if len(c.errs) > nerr {
			return constExpr(doc.Value{}, doc.Null, e.Txt, e.P)
		}
	}
	t, f, err := af.Resolve(types, consts)
	if err != nil {
		return c.errf(e.P, typeErr(err, e.Txt, e.Args, af.MaxArgs == 1))
	}
	spec.factory = f
	spec.node.T, spec.node.Factory = t, f
	ac.aggs = append(ac.aggs, spec)
	slot := spec.slot
	return &cexpr{t: t, src: e.Txt, pos: e.P, node: spec.node, eval: func(_ *ctx, row []doc.Value) doc.Value { return row[slot] }}
}

// stage kinds for the compiled pipeline.
type opSpec interface {
	build(x *ctx, next sink) sink
}

// plan compiles the command list into op specs over a final schema.
func (c *compiler) plan(cmds []Command, sc *scope) ([]opSpec, *scope) {
	var ops []opSpec
	kqlOK := true // WHERE directly over FROM (through WHERE/SORT) may use KQL()
	var lastBlocker string
	for _, cmd := range cmds {
		switch cm := cmd.(type) {
		case *WhereCmd:
			c.kqlOK = kqlOK
			c.kqlAfter = lastBlocker
			if !kqlOK && containsKQL(cm.Cond) {
				c.errs = append(c.errs, errAt(kqlPos(cm.Cond), "[KQL] function cannot be used after "+lastBlocker))
				continue
			}
			var reads []int
			c.reads = &reads
			x := c.expr(cm.Cond, sc)
			c.reads = nil
			c.kqlOK = false
			if x.t != doc.Boolean && x.t != doc.Null {
				c.errs = append(c.errs, errAt(cm.Cond.Pos(), "Condition expression needs to be boolean, found ["+strings.ToUpper(x.t.String())+"]"))
			}
			c.cmds = append(c.cmds, &logical.Where{Cond: x.node})
			if x.konst && !x.val.IsNull() && !x.val.IsMulti() && x.val.Bool() {
				continue // WHERE true
			}
			ops = append(ops, &whereSpec{cond: x.eval, reads: reads})
		case *EvalCmd:
			kqlOK, lastBlocker = false, "EVAL"
			ev := &logical.Eval{}
			spec := &evalSpec{node: ev}
			c.reads = &spec.reads
			for _, f := range cm.Fields {
				x := c.expr(f.X, sc)
				a := c.computed(f.Name, x, ev)
				ev.Cols = append(ev.Cols, a.col)
				if x.konst {
					v := x.val
					a.konst = &v
				}
				spec.slots = append(spec.slots, a.slot)
				spec.evals = append(spec.evals, x.eval)
				sc.add(a)
			}
			c.reads = nil
			ops = append(ops, spec)
			c.cmds = append(c.cmds, ev)
		case *StatsCmd:
			kqlOK, lastBlocker = false, "STATS"
			if cm.Inline {
				lastBlocker = "INLINE STATS"
			}
			var spec opSpec
			spec, sc = c.stats(cm, sc)
			ops = append(ops, spec)
		case *KeepCmd:
			kqlOK, lastBlocker = false, "KEEP"
			sc = c.keep(cm.Names, sc)
			c.project("KEEP", cm.Names, nil)
		case *DropCmd:
			kqlOK, lastBlocker = false, "DROP"
			sc = c.drop(cm.Names, sc)
			c.project("DROP", cm.Names, nil)
		case *RenameCmd:
			kqlOK, lastBlocker = false, "RENAME"
			sc = c.rename(cm, sc)
			var rs []logical.Rename
			for i := range cm.Old {
				rs = append(rs, logical.Rename{Old: cm.Old[i].Text, New: cm.New[i].Text})
			}
			c.project("RENAME", nil, rs)
		case *SortCmd:
			spec := &sortSpec{label: cmdLabel("SORT", cm.P)}
			so := &logical.Sort{}
			for _, k := range cm.Keys {
				x := c.expr(k.X, sc)
				nullsFirst := k.Desc
				if k.NullsSet {
					nullsFirst = k.NullsFirst
				}
				spec.keys = append(spec.keys, sortKey{eval: x.eval, desc: k.Desc, nullsFirst: nullsFirst})
				so.Keys = append(so.Keys, logical.SortKey{X: x.node, Desc: k.Desc, NullsFirst: nullsFirst})
			}
			ops = append(ops, spec)
			c.cmds = append(c.cmds, so)
		case *LimitCmd:
			kqlOK, lastBlocker = false, "LIMIT"
			ops = append(ops, &limitSpec{n: cm.N, label: cmdLabel("LIMIT", cm.P)})
			c.cmds = append(c.cmds, &logical.Limit{N: cm.N})
		case *MvExpandCmd:
			kqlOK, lastBlocker = false, "MV_EXPAND"
			a := sc.lookup(cm.Name.Text)
			if a == nil {
				c.errs = append(c.errs, errAt(cm.Name.P, c.unknownColumn(cm.Name.Text, sc)))
				continue
			}
			in := c.use(a)
			mv := &logical.MvExpand{In: a.column()}
			na := &attr{name: a.name, t: a.t, slot: c.newSlot(), col: &logical.Col{Name: a.name, Type: a.t, By: mv}}
			mv.Out = na.col
			c.cmds = append(c.cmds, mv)
			// MV_EXPAND keeps the column's position.
			for i, col := range sc.cols {
				if col == a {
					sc.cols[i] = na
				}
			}
			ops = append(ops, &mvExpandSpec{in: in, out: na.slot})
		case *DissectCmd:
			kqlOK, lastBlocker = false, "DISSECT"
			if spec := c.dissect(cm, sc); spec != nil {
				ops = append(ops, spec)
			}
		case *GrokCmd:
			kqlOK, lastBlocker = false, "GROK"
			if spec := c.grok(cm, sc); spec != nil {
				ops = append(ops, spec)
			}
		case *CompletionCmd:
			kqlOK, lastBlocker = false, "COMPLETION"
			ops = append(ops, c.completion(cm, sc))
		case *UnsupportedCmd:
			kqlOK, lastBlocker = false, cm.Name
			c.errs = append(c.errs, errAt(cm.P, cm.Name+" is not supported yet"))
		default:
			c.errs = append(c.errs, errAt(cmd.CmdPos(), "unexpected source command"))
		}
	}
	return ops, sc
}

// stats compiles STATS / INLINE STATS.
func (c *compiler) stats(cm *StatsCmd, in *scope) (opSpec, *scope) {
	spec := &statsSpec{inline: cm.Inline, window: -1, label: cmdLabel("STATS", cm.P)}
	if cm.Inline {
		spec.label.name = "INLINE STATS"
	}
	st := &logical.Stats{Inline: cm.Inline}
	group := &scope{}
	var keyAttrs []*attr
	for _, f := range cm.By {
		x := c.expr(f.X, in)
		if containsAgg(f.X) {
			c.errs = append(c.errs, errAt(f.X.Pos(), "grouping key ["+f.X.Src()+"] cannot contain aggregate functions"))
		}
		a := c.computed(f.Name, x, st)
		st.By = append(st.By, a.col)
		spec.keys = append(spec.keys, x.eval)
		spec.keySlots = append(spec.keySlots, a.slot)
		if x.bucket != nil && spec.window < 0 {
			spec.window, spec.bucket = len(spec.keys)-1, x.bucket
			st.Window = &logical.Window{Field: x.bucket.field, Span: x.bucket.span}
		}
		group.add(a)
		keyAttrs = append(keyAttrs, a)
	}
	// A BY expression repeated verbatim inside an aggregate expression means
	// its key (BUCKET reference page: "invoked with the exact same
	// expression"); the same BY expression names one key only.
	byExpr := map[string]string{}
	for _, f := range cm.By {
		if _, isIdent := f.X.(*Ident); !isIdent {
			if _, dup := byExpr[exprKey(f.X)]; !dup {
				byExpr[exprKey(f.X)] = f.Name
			}
		}
	}
	out := &scope{}
	ac := &aggCollector{input: in}
	for _, f := range cm.Aggs {
		c.aggCtx = ac
		n := len(ac.aggs)
		ax := f.X
		if len(byExpr) > 0 {
			ax = substGroupKeys(ax, byExpr)
		}
		x := c.expr(ax, group)
		c.aggCtx = nil
		// Expressions over grouping keys alone are allowed (`STATS s = b + 1
		// BY b = …`, Elasticsearch PR #106579); a bare key is not.
		if len(ac.aggs) == n && !x.konst {
			if _, isIdent := f.X.(*Ident); isIdent {
				c.errs = append(c.errs, errAt(f.X.Pos(), "column ["+f.X.Src()+"] must appear in the STATS BY clause or be used in an aggregate function"))
			} else if len(c.errs) == 0 && !refsColumn(ax) {
				c.errs = append(c.errs, errAt(f.X.Pos(), "expected an aggregate function but found ["+f.X.Src()+"]"))
			}
		}
		if f.Where != nil {
			w := c.expr(f.Where, in)
			for _, a := range ac.aggs[n:] {
				a.filter = w.eval
				a.node.Filter = w.node
			}
		}
		a := &attr{name: f.Name, t: x.t, slot: c.newSlot(),
			col: &logical.Col{Name: f.Name, Type: x.t, Expr: x.node, By: st, Aggregated: true}}
		st.Aggs = append(st.Aggs, a.col)
		_, bare := agg.Lookup(callName(ax))
		spec.post = append(spec.post, postEval{slot: a.slot, eval: x.eval, aggFrom: n, aggTo: len(ac.aggs),
			plain: bare && len(ac.aggs) == n+1})
		out.add(a)
	}
	spec.aggs = ac.aggs
	for _, a := range ac.aggs {
		st.Calls = append(st.Calls, a.node)
	}
	c.cmds = append(c.cmds, st)
	if cm.Inline {
		// INLINE STATS keeps every input column (those the new columns
		// shadow are dropped) and appends the aggregates then the keys.
		res := in.clone()
		for _, a := range out.cols {
			res.add(a)
		}
		for _, a := range keyAttrs {
			res.add(a)
		}
		spec.nslotsHint = c.nslots
		return spec, res
	}
	for _, a := range keyAttrs {
		out.add(a)
	}
	return spec, out
}

// exprKey identifies an expression by its source text without blanks, so
// `a+1` and `a + 1` match as Elasticsearch's semantic equality would.
func exprKey(e Expr) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, strings.ToLower(e.Src()))
}

// refsColumn reports whether e reads any column.
func refsColumn(e Expr) bool {
	found := false
	walk(e, func(x Expr) {
		if _, ok := x.(*Ident); ok {
			found = true
		}
	})
	return found
}

// substGroupKeys returns e with every sub-expression equal to a BY
// expression replaced by a reference to that key. Aggregate calls are left
// alone: their arguments read the input rows, not the groups.
func substGroupKeys(e Expr, keys map[string]string) Expr {
	if e == nil {
		return nil
	}
	if _, isIdent := e.(*Ident); !isIdent {
		if name, ok := keys[exprKey(e)]; ok {
			return &Ident{node: node{P: e.Pos(), Txt: e.Src()}, Name: name}
		}
	}
	sub := func(x Expr) Expr { return substGroupKeys(x, keys) }
	switch x := e.(type) {
	case *Call:
		if _, isAgg := agg.Lookup(x.Name); isAgg || strings.EqualFold(x.Name, "WEIGHTED_AVG") {
			return e
		}
		y := *x
		y.Args = make([]Expr, len(x.Args))
		for i, a := range x.Args {
			y.Args[i] = sub(a)
		}
		return &y
	case *Binary:
		y := *x
		y.L, y.R = sub(x.L), sub(x.R)
		return &y
	case *Logical:
		y := *x
		y.L, y.R = sub(x.L), sub(x.R)
		return &y
	case *Not:
		y := *x
		y.X = sub(x.X)
		return &y
	case *Neg:
		y := *x
		y.X = sub(x.X)
		return &y
	case *IsNull:
		y := *x
		y.X = sub(x.X)
		return &y
	case *Cast:
		y := *x
		y.X = sub(x.X)
		return &y
	case *In:
		y := *x
		y.X = sub(x.X)
		y.List = make([]Expr, len(x.List))
		for i, a := range x.List {
			y.List[i] = sub(a)
		}
		return &y
	case *Like:
		y := *x
		y.X = sub(x.X)
		return &y
	}
	return e
}

// callName is e's function name when e is a call, else "".
func callName(e Expr) string {
	if cl, ok := e.(*Call); ok {
		return cl.Name
	}
	return ""
}

func containsAgg(e Expr) bool {
	found := false
	walk(e, func(x Expr) {
		if cl, ok := x.(*Call); ok {
			if _, isAgg := agg.Lookup(cl.Name); isAgg {
				found = true
			}
		}
	})
	return found
}

// walk visits e and its sub-expressions.
func walk(e Expr, f func(Expr)) {
	if e == nil {
		return
	}
	f(e)
	switch x := e.(type) {
	case *Call:
		for _, a := range x.Args {
			walk(a, f)
		}
	case *Binary:
		walk(x.L, f)
		walk(x.R, f)
	case *Logical:
		walk(x.L, f)
		walk(x.R, f)
	case *Not:
		walk(x.X, f)
	case *Neg:
		walk(x.X, f)
	case *IsNull:
		walk(x.X, f)
	case *In:
		walk(x.X, f)
		for _, a := range x.List {
			walk(a, f)
		}
	case *Like:
		walk(x.X, f)
		for _, a := range x.Patterns {
			walk(a, f)
		}
	case *Cast:
		walk(x.X, f)
	case *MapExpr:
		for _, a := range x.Vals {
			walk(a, f)
		}
	}
}

// matchName matches a KEEP/DROP pattern with `*` wildcards against a name.
func matchName(pattern, name string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == name
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	for i := 1; i < len(parts)-1; i++ {
		j := strings.Index(name, parts[i])
		if j < 0 {
			return false
		}
		name = name[j+len(parts[i]):]
	}
	return strings.HasSuffix(name, parts[len(parts)-1])
}

func patternRank(p string) int {
	switch {
	case p == "*":
		return 0
	case strings.Contains(p, "*"):
		return 1
	}
	return 2
}

// keep orders columns by the patterns naming them: a column sits where the
// last pattern of its highest precedence (exact name > partial wildcard > `*`)
// names it.
func (c *compiler) keep(pats []NamePattern, sc *scope) *scope {
	type placed struct {
		a    *attr
		rank int
	}
	var order []placed
	find := func(a *attr) int {
		for i, p := range order {
			if p.a == a {
				return i
			}
		}
		return -1
	}
	for _, p := range pats {
		r := patternRank(p.Text)
		matched := false
		for _, a := range sc.cols {
			if !matchName(p.Text, a.name) {
				continue
			}
			matched = true
			if i := find(a); i >= 0 {
				if order[i].rank > r {
					continue
				}
				order = append(order[:i], order[i+1:]...)
			}
			order = append(order, placed{a, r})
		}
		if !matched {
			c.errs = append(c.errs, errAt(p.P, noMatch(c, p.Text, sc)))
		}
	}
	out := &scope{}
	for _, p := range order {
		out.cols = append(out.cols, p.a)
	}
	return out
}

func (c *compiler) drop(pats []NamePattern, sc *scope) *scope {
	out := &scope{}
	dropped := map[*attr]bool{}
	for _, p := range pats {
		matched := false
		for _, a := range sc.cols {
			if matchName(p.Text, a.name) {
				dropped[a] = true
				matched = true
			}
		}
		if !matched {
			c.errs = append(c.errs, errAt(p.P, noMatch(c, p.Text, sc)))
		}
	}
	for _, a := range sc.cols {
		if !dropped[a] {
			out.cols = append(out.cols, a)
		}
	}
	return out
}

func (c *compiler) rename(cm *RenameCmd, sc *scope) *scope {
	out := sc.clone()
	for i := range cm.Old {
		old, nw := cm.Old[i], cm.New[i]
		a := out.lookup(old.Text)
		if a == nil {
			c.errs = append(c.errs, errAt(old.P, c.unknownColumn(old.Text, out)))
			continue
		}
		na := *a
		na.name = nw.Text
		col := *a.column()
		col.Name = nw.Text
		na.col = &col
		na2 := &na
		// A renamed column keeps its position; an existing column of the new
		// name disappears.
		cols := out.cols[:0:0]
		for _, col := range out.cols {
			switch {
			case col == a:
				cols = append(cols, na2)
			case col.name == nw.Text:
			default:
				cols = append(cols, col)
			}
		}
		out.cols = cols
	}
	return out
}

var _ = fn.ErrMultiValue

// computed makes the column an expression computes in command by.
func (c *compiler) computed(name string, x *cexpr, by logical.Command) *attr {
	return &attr{name: name, t: x.t, slot: c.newSlot(), bucket: x.bucket,
		col: &logical.Col{Name: name, Type: x.t, Expr: x.node, By: by}}
}

// project records a KEEP, DROP or RENAME.
func (c *compiler) project(kind string, pats []NamePattern, renames []logical.Rename) {
	p := &logical.Project{Kind: kind, Renames: renames}
	for _, n := range pats {
		p.Patterns = append(p.Patterns, n.Text)
	}
	c.cmds = append(c.cmds, p)
}

// noMatch words a KEEP/DROP name that matched nothing.
func noMatch(c *compiler, p string, sc *scope) string {
	if strings.Contains(p, "*") {
		return "No matches found for pattern [" + p + "]"
	}
	return c.unknownColumn(p, sc)
}
