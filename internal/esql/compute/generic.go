package compute

import (
	"vigil/internal/doc"
	"vigil/internal/esql/fn"
)

// Call evaluates any resolved function or operator position by position,
// exactly as the row engine applies it: every argument is evaluated, then
// ev gets the position's values; a failure is recorded at site and the
// result is what ev returned with it. It gives every function family a
// columnar form; the typed kernels are its fast paths.
func Call(t doc.Type, ev fn.Eval, site int, args ...Expr) Expr {
	return &call{t: t, ev: ev, args: args, fp: failPoint{site: site}}
}

type call struct {
	t      doc.Type
	ev     fn.Eval
	args   []Expr
	fp     failPoint
	out    output
	blocks []*Block
	elems  []doc.Value // the page's multi-valued arguments (results may alias them)
	res    []doc.Value
}

func (e *call) Type() doc.Type { return e.t }

func (e *call) number(next *int32) { numberArgs(next, e.args, &e.fp) }

func (e *call) Eval(c *Ctx, p *Page, sel []int32) *Block {
	e.blocks = evalArgs(c, p, sel, e.args, e.blocks)
	e.res, e.elems = e.res[:0], e.elems[:0]
	args := grow(c.vals, len(e.args))
	for _, pos := range sel {
		for i, b := range e.blocks {
			args[i], e.elems = b.valueAppend(pos, e.elems)
		}
		v, err := e.ev(args)
		if err != nil {
			e.fp.fail(c, pos, err)
		}
		e.res = append(e.res, v)
	}
	clear(args)
	c.vals = args
	b := writeValues(&e.out, e.t, p.Len, sel, e.res)
	clear(e.elems)
	return b
}

// evalArgs evaluates every argument at sel (as the row engine evaluates
// every argument of a function), into blocks.
func evalArgs(c *Ctx, p *Page, sel []int32, args []Expr, blocks []*Block) []*Block {
	blocks = blocks[:0]
	for _, a := range args {
		blocks = append(blocks, a.Eval(c, p, sel))
	}
	return blocks
}

// numberArgs ranks the failure points of args, then fp's.
func numberArgs(next *int32, args []Expr, fp *failPoint) {
	for _, a := range args {
		a.number(next)
	}
	fp.number(next)
}

// writeValues writes vals[i] at position sel[i] of out: typed when every
// value is of type t, else as whole values.
func writeValues(out *output, t doc.Type, n int, sel []int32, vals []doc.Value) *Block {
	b := out.start(t, n)
	for _, v := range vals {
		if !fits(v, t) {
			b.Rep = RepValue
			out.w.reset(b, n)
			break
		}
	}
	for i, p := range sel {
		out.w.set(p, vals[i])
	}
	clear(vals)
	return out.done()
}

// PerDoc evaluates f on each selected position's source document (the
// page must carry its Docs), for expressions that read the document
// itself, such as KQL().
func PerDoc(t doc.Type, site int, f func(d *doc.Document) (doc.Value, error)) Expr {
	return &perDoc{t: t, f: f, fp: failPoint{site: site}}
}

type perDoc struct {
	t   doc.Type
	f   func(d *doc.Document) (doc.Value, error)
	fp  failPoint
	out output
	res []doc.Value
}

func (e *perDoc) Type() doc.Type     { return e.t }
func (e *perDoc) number(next *int32) { e.fp.number(next) }

func (e *perDoc) Eval(c *Ctx, p *Page, sel []int32) *Block {
	e.res = e.res[:0]
	for _, pos := range sel {
		v, err := e.f(p.Docs[pos])
		if err != nil {
			e.fp.fail(c, pos, err)
		}
		e.res = append(e.res, v)
	}
	return writeValues(&e.out, e.t, p.Len, sel, e.res)
}
