package esql

import (
	"errors"

	"vigil/internal/doc"
	"vigil/internal/esql/compute"
	"vigil/internal/esql/logical"
)

// The columnar per-event stage: the plan's commands before the first
// blocking one (WHERE, EVAL, and KEEP/DROP/RENAME, which move no values)
// lowered onto compute's kernels and run a chunk of documents at a time
// (Execution.PushBatch). The rows that pass are handed one by one to the
// same blocking operator the row executor feeds (STATS' groups and
// aggregate states, SORT's buffer, LIMIT's rows), so Merge, Absorb,
// CloseWindows and Finish stay one implementation for both paths. A query
// whose per-event stage the lowering does not cover runs on the row
// executor (Query.Columnar).

// errNotLowered says the lowering does not cover a construct.
var errNotLowered = errors.New("not lowered")

// colStage is one execution's lowered per-event stage.
type colStage struct {
	pb      *compute.PageBuilder
	nfields int // page blocks the builder fills; computed columns follow
	extra   []*compute.Block
	cx      compute.Ctx
	steps   []colStep
	// fill sets the row slots the blocking stage may read from the
	// page's blocks, for each row that passes.
	fill []colFill
	// late are the field blocks only fill reads: loaded for the rows
	// that pass.
	late    []int
	sels    [2][]int32
	fails   []compute.Failure
	scratch [][]doc.Value // per fill: a multi-value's elements
}

// colStep is a WHERE (where set) or an EVAL (its columns' expressions,
// each stored as page block blocks[i]). loads are the field blocks it is
// the first to read, loaded at the rows still selected when it runs.
type colStep struct {
	where  compute.Expr
	evals  []compute.Expr
	blocks []int
	loads  []int
}

type colFill struct{ slot, block int }

// lowering maps plan columns to page blocks while a stage is lowered.
type lowering struct {
	q        *Query
	fields   []compute.Field
	computed map[logical.Expr]int // an EVAL column's expression → its block
	nblocks  int
}

// lowerStage lowers q's per-event stage, or fails with errNotLowered.
func lowerStage(q *Query) (*colStage, error) {
	if q.patterns == nil {
		return nil, errNotLowered // ROW: nothing streams
	}
	lw := &lowering{q: q, computed: map[logical.Expr]int{}}
	s := &colStage{}
	loadBlock := make([]int, len(q.loads))
	for i, a := range q.loads {
		f := compute.Field{Name: a.src, Type: a.t, Meta: colMeta(a.meta)}
		if f.Meta != compute.MetaNone {
			f.Name = ""
		}
		loadBlock[i] = lw.field(f)
	}
	s.nfields = len(lw.fields)
	lw.nblocks = s.nfields
	var exprs []compute.Expr
	loaded := make([]bool, s.nfields)
	firstReads := func(es ...logical.Expr) []int {
		var out []int
		for _, e := range es {
			logical.Walk(e, func(x logical.Expr) bool {
				if r, ok := x.(*logical.Ref); ok {
					if i, ok := lw.fieldOf(r.Col); ok && !loaded[i] {
						loaded[i] = true
						out = append(out, i)
					}
				}
				return true
			})
		}
		return out
	}
	for _, cmd := range q.plan.PerEvent()[1:] {
		switch c := cmd.(type) {
		case *logical.Where:
			x, err := lw.expr(c.Cond)
			if err != nil {
				return nil, err
			}
			s.steps = append(s.steps, colStep{where: x, loads: firstReads(c.Cond)})
			exprs = append(exprs, x)
		case *logical.Eval:
			var st colStep
			for _, col := range c.Cols {
				st.loads = append(st.loads, firstReads(col.Expr)...)
				x, err := lw.expr(col.Expr)
				if err != nil {
					return nil, err
				}
				lw.computed[col.Expr] = lw.nblocks
				st.evals = append(st.evals, x)
				st.blocks = append(st.blocks, lw.nblocks)
				lw.nblocks++
				exprs = append(exprs, x)
			}
			s.steps = append(s.steps, st)
		case *logical.Project:
		default:
			return nil, errNotLowered
		}
	}
	compute.Number(exprs...)
	// Fill only the columns the commands from the blocking one on read.
	needed := colsReadFrom(q.plan)
	for i, a := range q.loads {
		if a.col == nil || needed[colKeyOf(a.col)] {
			s.fill = append(s.fill, colFill{slot: a.slot, block: loadBlock[i]})
			if !loaded[loadBlock[i]] {
				loaded[loadBlock[i]] = true
				s.late = append(s.late, loadBlock[i])
			}
		}
	}
	for _, op := range q.stage1 {
		if ev, ok := op.(*evalSpec); ok {
			for i, col := range ev.node.Cols {
				if needed[colKeyOf(col)] {
					s.fill = append(s.fill, colFill{slot: ev.slots[i], block: lw.computed[col.Expr]})
				}
			}
		}
	}
	s.pb = compute.NewPageBuilder(lw.fields)
	s.extra = make([]*compute.Block, lw.nblocks-s.nfields)
	s.scratch = make([][]doc.Value, len(s.fill))
	return s, nil
}

func colMeta(m metaKind) compute.Meta {
	switch m {
	case metaID:
		return compute.MetaID
	case metaIndex:
		return compute.MetaIndex
	case metaVersion:
		return compute.MetaVersion
	}
	return compute.MetaNone
}

// colKey identifies a column's values whatever it is named: a source
// field (and type) or metadata column, or the expression an EVAL computes
// it with (a RENAME copies the Col, not its Expr).
type colKey struct {
	field, meta string
	t           doc.Type
	expr        logical.Expr
}

func colKeyOf(c *logical.Col) colKey {
	if c.Field != "" || c.Meta != "" {
		return colKey{field: c.Field, meta: c.Meta, t: c.Type}
	}
	return colKey{expr: c.Expr}
}

// colsReadFrom lists the columns the commands from p's blocking one on
// refer to, and the output's.
func colsReadFrom(p *logical.Plan) map[colKey]bool {
	read := map[colKey]bool{}
	ref := func(e logical.Expr) {
		logical.Walk(e, func(x logical.Expr) bool {
			if r, ok := x.(*logical.Ref); ok {
				read[colKeyOf(r.Col)] = true
			}
			return true
		})
	}
	cols := func(cs []*logical.Col) {
		for _, c := range cs {
			read[colKeyOf(c)] = true
			ref(c.Expr)
		}
	}
	for _, cmd := range p.Commands[p.Head:] {
		switch c := cmd.(type) {
		case *logical.Where:
			ref(c.Cond)
		case *logical.Eval:
			cols(c.Cols)
		case *logical.Stats:
			cols(c.By)
			cols(c.Aggs)
			for _, a := range c.Calls {
				for _, x := range a.Args {
					ref(x)
				}
				ref(a.Filter)
			}
		case *logical.Sort:
			for _, k := range c.Keys {
				ref(k.X)
			}
		case *logical.MvExpand:
			cols([]*logical.Col{c.In})
		case *logical.Dissect:
			ref(c.X)
		case *logical.Grok:
			ref(c.X)
		}
	}
	cols(p.Output)
	return read
}

// fieldOf returns the block of a source field or metadata column.
func (lw *lowering) fieldOf(c *logical.Col) (int, bool) {
	for i, f := range lw.fields {
		switch {
		case c.Field != "" && f.Meta == compute.MetaNone && f.Name == c.Field && f.Type == c.Type,
			c.Meta != "" && f.Meta != compute.MetaNone && f.Meta == metaOf(c.Meta):
			return i, true
		}
	}
	return 0, false
}

// field returns the block of a document field or metadata column.
func (lw *lowering) field(f compute.Field) int {
	for i, g := range lw.fields {
		if g == f {
			return i
		}
	}
	lw.fields = append(lw.fields, f)
	return len(lw.fields) - 1
}

// site is the row executor's warning site of a node that can fail.
func (lw *lowering) site(n logical.Expr) (int, error) {
	s, ok := lw.q.siteOf[n]
	if !ok {
		return 0, errNotLowered
	}
	return s, nil
}

// expr lowers a plan expression: typed kernels where compute has them,
// compute.Call (the resolved fn.Eval position by position) for any other
// function, operator or cast.
func (lw *lowering) expr(e logical.Expr) (compute.Expr, error) {
	switch x := e.(type) {
	case *logical.Lit:
		return compute.Lit(x.Val, x.T), nil
	case *logical.Ref:
		return lw.ref(x.Col)
	case *logical.Call:
		return lw.call(x)
	case *logical.Not:
		a, err := lw.expr(x.X)
		if err != nil {
			return nil, err
		}
		site, err := lw.site(x)
		return compute.Not(a, site), err
	case *logical.IsNull:
		a, err := lw.expr(x.X)
		return compute.IsNull(a, x.Not), err
	case *logical.Logical:
		l, err := lw.expr(x.L)
		if err != nil {
			return nil, err
		}
		r, err := lw.expr(x.R)
		if err != nil {
			return nil, err
		}
		site, err := lw.site(x)
		if x.And {
			return compute.And(l, r, site), err
		}
		return compute.Or(l, r, site), err
	case *logical.In:
		a, err := lw.expr(x.X)
		if err != nil {
			return nil, err
		}
		items := make([]doc.Value, len(x.List))
		for i, it := range x.List {
			lit, ok := it.(*logical.Lit)
			if !ok {
				return nil, errNotLowered
			}
			items[i] = lit.Val
		}
		site, err := lw.site(x)
		if err != nil {
			return nil, err
		}
		return compute.In(a, items, x.Not, site)
	case *logical.Like:
		a, err := lw.expr(x.X)
		if err != nil {
			return nil, err
		}
		site, err := lw.site(x)
		if err != nil {
			return nil, err
		}
		return compute.Like(a, x.Patterns, x.Regex, x.Not, site)
	case *logical.Case:
		site, err := lw.site(x)
		if err != nil {
			return nil, err
		}
		var args []compute.Expr
		for i, w := range x.When {
			var c compute.Expr = compute.Lit(doc.Bool(true), doc.Boolean) // a condition folded to true
			if w != nil {
				if c, err = lw.expr(w); err != nil {
					return nil, err
				}
			}
			v, err := lw.expr(x.Then[i])
			if err != nil {
				return nil, err
			}
			args = append(args, c, v)
		}
		if x.Else != nil {
			v, err := lw.expr(x.Else)
			if err != nil {
				return nil, err
			}
			args = append(args, v)
		}
		t := x.T
		return compute.Case(t, site, func(v doc.Value) doc.Value { return convertTo(v, t) }, args...), nil
	case *logical.KQL:
		m := x.Match
		return compute.PerDoc(doc.Boolean, 0, func(d *doc.Document) (doc.Value, error) {
			return doc.Bool(m(d)), nil
		}), nil
	}
	return nil, errNotLowered
}

// ref lowers a column reference: a page block of a source field or of an
// earlier EVAL's column (renamed columns share the expression).
func (lw *lowering) ref(c *logical.Col) (compute.Expr, error) {
	switch {
	case c.Field != "" || c.Meta != "":
		if i, ok := lw.fieldOf(c); ok {
			return compute.Col(i, c.Type), nil
		}
	case c.Expr != nil:
		if _, ok := c.By.(*logical.Eval); ok {
			if i, ok := lw.computed[c.Expr]; ok {
				return compute.Col(i, c.Type), nil
			}
		}
	}
	return nil, errNotLowered
}

func metaOf(name string) compute.Meta {
	switch name {
	case "_id":
		return compute.MetaID
	case "_index":
		return compute.MetaIndex
	case "_version":
		return compute.MetaVersion
	}
	return compute.MetaNone
}

// call lowers a function, operator or cast.
func (lw *lowering) call(x *logical.Call) (compute.Expr, error) {
	args := make([]compute.Expr, len(x.Args))
	for i, a := range x.Args {
		var err error
		if args[i], err = lw.expr(a); err != nil {
			return nil, err
		}
	}
	site, err := lw.site(x)
	if err != nil {
		return nil, err
	}
	if k := lw.kernel(x, args, site); k != nil {
		return k, nil
	}
	return compute.Call(x.T, x.Eval, site, args...), nil
}

// kernel returns a typed kernel for the call when compute has one whose
// result type is the plan's, else nil.
func (lw *lowering) kernel(x *logical.Call, args []compute.Expr, site int) compute.Expr {
	var k compute.Expr
	var err error
	switch {
	case x.Kind == logical.Operator && len(args) == 2:
		op, ok := opOf[x.Name]
		if !ok {
			return nil
		}
		k, err = compute.Binary(op, args[0], args[1], site)
	case x.Kind != logical.Function:
		return nil
	case x.Name == "TO_LOWER" && len(args) == 1:
		k, err = compute.ToLower(args[0])
	case x.Name == "TO_UPPER" && len(args) == 1:
		k, err = compute.ToUpper(args[0])
	case x.Name == "STARTS_WITH" && len(args) == 2:
		k, err = compute.StartsWith(args[0], args[1], site)
	case x.Name == "ENDS_WITH" && len(args) == 2:
		k, err = compute.EndsWith(args[0], args[1], site)
	case x.Name == "LENGTH" && len(args) == 1:
		k, err = compute.Length(args[0], site)
	case x.Name == "CONCAT":
		k, err = compute.Concat(site, args...)
	case x.Name == "COALESCE":
		k, err = compute.Coalesce(site, args...)
	case x.Name == "DATE_TRUNC" && len(args) == 2:
		span, ok := x.Args[0].(*logical.Lit)
		if !ok {
			return nil
		}
		k, err = compute.DateTrunc(span.Val, args[1], site)
	default:
		return nil
	}
	if err != nil || k.Type() != x.T {
		return nil
	}
	return k
}

// run pushes a chunk's documents through the stage and each row that
// passes into next (the blocking stage), replaying the stage's warnings
// in the order the row executor raises them: a row's own before it goes
// on. It returns false when next wants no more rows (a LIMIT is
// satisfied); the failures of later rows, which the row executor would
// never have evaluated, are dropped.
func (s *colStage) run(x *ctx, row []doc.Value, docs []*doc.Document, next sink) bool {
	page := s.pb.Start(docs)
	page.Blocks = append(page.Blocks[:s.nfields], s.extra...)
	sel, w := s.cx.All(page), 0
	for _, st := range s.steps {
		if len(st.loads) > 0 {
			s.pb.Load(st.loads, sel)
		}
		if st.where != nil {
			// Selections alternate between two buffers: one is read
			// while the other is written.
			s.sels[w] = compute.Select(st.where.Eval(&s.cx, page, sel), sel, s.sels[w])
			sel, w = s.sels[w], 1-w
			continue
		}
		for i, ev := range st.evals {
			page.Blocks[st.blocks[i]] = ev.Eval(&s.cx, page, sel)
		}
	}
	if len(s.late) > 0 && len(sel) > 0 {
		s.pb.Load(s.late, sel)
	}
	fails := s.fails[:0]
	s.cx.Warn.Flush(func(f compute.Failure) { fails = append(fails, f) })
	more, k := true, 0
	for _, p := range sel {
		for ; k < len(fails) && fails[k].Pos <= p; k++ {
			x.fail(fails[k].Site, fails[k].Err)
		}
		for i, f := range s.fill {
			b := page.Blocks[f.block]
			switch {
			case b.Offs == nil && !b.Const && b.Rep == compute.RepBytes && (b.Nulls == nil || !b.Nulls[p]):
				row[f.slot] = doc.Value{T: b.Type, S: b.Strs[p]} // the common case, inline
			case b.Offs == nil && !b.Const && b.Rep == compute.RepInt && (b.Nulls == nil || !b.Nulls[p]):
				row[f.slot] = doc.Value{T: b.Type, I: b.Ints[p]}
			default:
				row[f.slot], s.scratch[i] = b.ValueInto(p, s.scratch[i])
			}
		}
		x.doc = docs[p]
		more = next.push(row)
		if !more {
			break
		}
	}
	if more {
		for ; k < len(fails); k++ {
			x.fail(fails[k].Site, fails[k].Err)
		}
	}
	x.doc = nil
	clear(fails)
	s.fails = fails[:0]
	return more
}

// Columnar reports whether PushBatch runs the query's per-event stage
// column-wise (else it pushes document by document).
func (q *Query) Columnar() bool { return q.colErr == nil }

// PushBatch is Push for a chunk of documents, in order: the per-event
// stage runs column-wise when the query is Columnar. Like Push it keeps
// nothing that aliases the documents.
func (e *Execution) PushBatch(docs []*doc.Document) {
	if e.done || e.q.patterns == nil {
		return
	}
	if e.q.colErr != nil {
		for _, d := range docs {
			e.Push(d)
			if e.done {
				return
			}
		}
		return
	}
	if e.col == nil {
		var err error
		if e.col, err = lowerStage(e.q); err != nil {
			panic("esql: a query lowered at compile time failed to lower: " + err.Error())
		}
	}
	if !e.col.run(e.x, e.row, docs, e.counted) {
		e.done = true
	}
}
