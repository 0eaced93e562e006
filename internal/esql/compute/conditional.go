package compute

import (
	"vigil/internal/doc"
	"vigil/internal/esql/fn"
)

// Coalesce is COALESCE(args...): every argument is evaluated (as the row
// engine applies any function), and each position takes its first
// non-null one, multi-values included. Arguments of the result type are
// copied as they are; otherwise the registered function converts them.
func Coalesce(site int, args ...Expr) (Expr, error) {
	types := make([]doc.Type, len(args))
	for i, a := range args {
		types[i] = a.Type()
	}
	f, _ := fn.Lookup("COALESCE")
	t, ev, err := f.Resolve(types, make([]*doc.Value, len(args)))
	if err != nil {
		return nil, err
	}
	for _, a := range args {
		if a.Type() != t {
			return Call(t, ev, site, args...), nil
		}
	}
	return &coalesce{t: t, args: args}, nil
}

type coalesce struct {
	t       doc.Type
	args    []Expr
	out     output
	blocks  []*Block
	scratch []doc.Value
}

func (e *coalesce) Type() doc.Type { return e.t }
func (e *coalesce) number(next *int32) {
	for _, a := range e.args {
		a.number(next)
	}
}

func (e *coalesce) Eval(c *Ctx, p *Page, sel []int32) *Block {
	e.blocks = evalArgs(c, p, sel, e.args, e.blocks)
	repValue := false
	for _, b := range e.blocks {
		repValue = repValue || b.Rep == RepValue
	}
	out := e.out.start(e.t, p.Len)
	if repValue {
		out.Rep = RepValue
		e.out.w.reset(out, p.Len)
	}
	for _, pos := range sel {
		var v doc.Value
		for _, b := range e.blocks {
			if !b.IsNull(pos) {
				v, e.scratch = b.ValueInto(pos, e.scratch)
				break
			}
		}
		e.out.w.set(pos, v)
	}
	return e.out.done()
}

// Case is CASE(cond1, value1, …, [else]) with the row engine's laziness:
// each condition is evaluated only at the positions no earlier condition
// took, each value only at the positions its condition took. A null
// condition is false; a multi-valued one is false with a warning at site
// (worded "treating result as false" by the caller). conv converts a
// branch value to the result type t when the branch's type differs (nil:
// keep it).
func Case(t doc.Type, site int, conv func(doc.Value) doc.Value, args ...Expr) Expr {
	e := &caseExpr{t: t, conv: conv}
	for i := 0; i+1 < len(args); i += 2 {
		e.branches = append(e.branches, caseBranch{cond: args[i], value: args[i+1], fp: failPoint{site: site}})
	}
	if len(args)%2 == 1 {
		e.elseV = args[len(args)-1]
	}
	return e
}

type caseBranch struct {
	cond, value Expr
	fp          failPoint
	taken       []int32
}

type caseExpr struct {
	t        doc.Type
	conv     func(doc.Value) doc.Value
	branches []caseBranch
	elseV    Expr
	out      output
	rest     []int32 // positions no condition took yet
	next     []int32
	from     []int32 // per position: branch index, or -1 for else
	res      []doc.Value
	scratch  []doc.Value
	results  []*Block
}

func (e *caseExpr) Type() doc.Type { return e.t }

func (e *caseExpr) number(next *int32) {
	for i := range e.branches {
		b := &e.branches[i]
		b.cond.number(next)
		b.fp.number(next)
		b.value.number(next)
	}
	if e.elseV != nil {
		e.elseV.number(next)
	}
}

func (e *caseExpr) Eval(c *Ctx, p *Page, sel []int32) *Block {
	e.rest = append(e.rest[:0], sel...)
	e.from = grow(e.from, p.Len)
	e.results = e.results[:0]
	for bi := range e.branches {
		br := &e.branches[bi]
		br.taken = br.taken[:0]
		if len(e.rest) == 0 {
			e.results = append(e.results, nil)
			continue
		}
		cb := br.cond.Eval(c, p, e.rest)
		e.next = e.next[:0]
		for _, pos := range e.rest {
			if truth(c, &br.fp, cb, pos) == triTrue {
				br.taken = append(br.taken, pos)
				e.from[pos] = int32(bi)
			} else {
				e.next = append(e.next, pos)
			}
		}
		e.rest, e.next = e.next, e.rest
		var vb *Block
		if len(br.taken) > 0 {
			vb = br.value.Eval(c, p, br.taken)
		}
		e.results = append(e.results, vb)
	}
	var elseB *Block
	if e.elseV != nil && len(e.rest) > 0 {
		elseB = e.elseV.Eval(c, p, e.rest)
	}
	for _, pos := range e.rest {
		e.from[pos] = -1
	}
	if e.typedResults(elseB) {
		out := e.out.start(e.t, p.Len)
		for _, pos := range sel {
			b := elseB
			if k := e.from[pos]; k >= 0 {
				b = e.results[k]
			}
			if b == nil {
				e.out.w.null(pos)
				continue
			}
			if i, n := b.span(pos); n == 1 && out.Offs == nil {
				out.Nulls[pos] = false
				out.put(pos, b.elem(i))
				continue
			}
			e.out.w.set(pos, b.Value(pos))
		}
		return e.out.done()
	}
	e.res = e.res[:0]
	for _, pos := range sel {
		b := elseB
		if k := e.from[pos]; k >= 0 {
			b = e.results[k]
		}
		var v doc.Value
		if b != nil {
			v = b.Value(pos)
			if e.conv != nil && b.Type != e.t {
				v = e.conv(v)
			}
		}
		e.res = append(e.res, v)
	}
	return writeValues(&e.out, e.t, p.Len, sel, e.res)
}

// typedResults reports whether every evaluated branch result is stored as
// the result type is: then values are copied without conversion.
func (e *caseExpr) typedResults(elseB *Block) bool {
	rep := RepOf(e.t)
	if rep == RepNone || rep == RepValue {
		return false
	}
	for _, b := range append(e.results, elseB) {
		if b != nil && (b.Type != e.t || b.Rep != rep) {
			return false
		}
	}
	return true
}
