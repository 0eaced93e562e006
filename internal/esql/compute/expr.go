package compute

import "vigil/internal/doc"

// Ctx is the state of one execution's evaluation: its failures and
// scratch memory. Not safe for concurrent use.
type Ctx struct {
	Warn  Recorder
	ident []int32
	vals  []doc.Value // scratch for one position's arguments
	elems []doc.Value // scratch for multi-value elements
}

// All returns the selection of every position of p (0..Len-1).
func (c *Ctx) All(p *Page) []int32 {
	for i := len(c.ident); i < p.Len; i++ {
		c.ident = append(c.ident, int32(i))
	}
	return c.ident[:p.Len]
}

// Expr is an expression lowered to kernels. Eval computes it at the
// selected positions of p (ascending, each once); the result has p.Len
// positions of which only the selected ones are defined, and stays valid
// until the next Eval of the same Expr (an Expr owns its output block, so
// a tree serves one execution at a time).
type Expr interface {
	Type() doc.Type
	Eval(c *Ctx, p *Page, sel []int32) *Block
	// number gives the expression's failure points their ranks in the
	// order the row engine evaluates them, from *next up.
	number(next *int32)
}

// Number ranks the failure points of exprs, in the order given, the way
// the row engine meets them within a row: the expressions of a stage in
// command order (a WHERE's condition, then an EVAL's columns…). Call it
// once after building the trees and before evaluating.
func Number(exprs ...Expr) {
	var next int32
	for _, e := range exprs {
		e.number(&next)
	}
}

// failPoint is a place an expression can fail: its warning site and rank.
type failPoint struct {
	site int
	rank int32
}

func (f *failPoint) fail(c *Ctx, p int32, err error) { c.Warn.fail(p, f.rank, f.site, err) }

func (f *failPoint) number(next *int32) {
	f.rank = *next
	*next++
}

// Col reads block i of the page.
func Col(i int, t doc.Type) Expr { return &col{i: i, t: t} }

type col struct {
	i int
	t doc.Type
}

func (e *col) Type() doc.Type                         { return e.t }
func (e *col) Eval(_ *Ctx, p *Page, _ []int32) *Block { return p.Blocks[e.i] }
func (e *col) number(*int32)                          {}

// Lit is a constant.
func Lit(v doc.Value, t doc.Type) Expr { return &lit{b: ConstBlock(v, t, 0), v: v} }

type lit struct {
	b *Block
	v doc.Value
}

func (e *lit) Type() doc.Type { return e.b.Type }
func (e *lit) Eval(_ *Ctx, p *Page, _ []int32) *Block {
	e.b.Len = p.Len
	return e.b
}
func (e *lit) number(*int32) {}

// Select appends to dst the selected positions where b is true (single,
// non-null), as WHERE keeps rows, and returns it.
func Select(b *Block, sel []int32, dst []int32) []int32 {
	dst = dst[:0]
	switch {
	case b.Rep == RepBool && b.Nulls == nil && b.Offs == nil && !b.Const:
		for _, p := range sel {
			if b.Bools[p] {
				dst = append(dst, p)
			}
		}
	case b.Rep == RepBool:
		for _, p := range sel {
			if i, n := b.span(p); n == 1 && b.Bools[i] {
				dst = append(dst, p)
			}
		}
	case b.Rep == RepValue:
		for _, p := range sel {
			if v := b.Vals[b.pos(p)]; v.T == doc.Boolean && v.M == nil && v.I != 0 {
				dst = append(dst, p)
			}
		}
	}
	return dst
}

// output is an expression's result block and the writer filling it.
type output struct {
	b Block
	w writer
}

// start prepares the output for a page of n positions of type t.
func (o *output) start(t doc.Type, n int) *Block {
	o.b.Type, o.b.Rep = t, RepOf(t)
	if o.b.Rep == RepNone {
		o.b.Rep = RepValue
	}
	o.w.reset(&o.b, n)
	return &o.b
}

func (o *output) done() *Block {
	o.w.finish()
	return &o.b
}
