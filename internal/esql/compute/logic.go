package compute

import (
	"vigil/internal/doc"
	"vigil/internal/esql/fn"
)

// Three-valued truth of a boolean operand at a position.
const (
	triFalse uint8 = iota
	triTrue
	triNull
)

// truth reads b at p as three-valued logic; a multi-value is null and
// fails at fp.
func truth(c *Ctx, fp *failPoint, b *Block, p int32) uint8 {
	if b.Rep == RepValue {
		v := b.Vals[b.pos(p)]
		switch {
		case v.T == doc.Null:
			return triNull
		case v.M != nil:
			fp.fail(c, p, fn.ErrMultiValue)
			return triNull
		case v.I != 0:
			return triTrue
		}
		return triFalse
	}
	i, n := b.span(p)
	switch {
	case n == 0:
		return triNull
	case n > 1:
		fp.fail(c, p, fn.ErrMultiValue)
		return triNull
	case b.Bools[i]:
		return triTrue
	}
	return triFalse
}

func setTri(out *output, p int32, v uint8) {
	if v == triNull {
		out.w.null(p)
		return
	}
	out.b.Nulls[p] = false
	out.b.Bools[p] = v == triTrue
}

// And and Or are three-valued and short-circuit as the row engine does:
// the right operand is evaluated only at the positions the left one does
// not decide, so its failures are reported only there. A multi-valued
// operand counts as null and fails at the operator's site.
func And(l, r Expr, site int) Expr {
	return &logical{and: true, l: l, r: r, fl: failPoint{site: site}, fr: failPoint{site: site}}
}

// Or: see And.
func Or(l, r Expr, site int) Expr {
	return &logical{l: l, r: r, fl: failPoint{site: site}, fr: failPoint{site: site}}
}

type logical struct {
	and    bool
	l, r   Expr
	fl, fr failPoint // the checks of the left and the right operand
	out    output
	left   []uint8
	rsel   []int32
}

func (e *logical) Type() doc.Type { return doc.Boolean }

func (e *logical) number(next *int32) {
	e.l.number(next)
	e.fl.number(next)
	e.r.number(next)
	e.fr.number(next)
}

func (e *logical) Eval(c *Ctx, p *Page, sel []int32) *Block {
	lb := e.l.Eval(c, p, sel)
	e.left = grow(e.left, p.Len)
	e.rsel = e.rsel[:0]
	// decided is the left value that settles the result on its own.
	decided := triTrue
	if e.and {
		decided = triFalse
	}
	if plainBools(lb) {
		keep := e.and // the left value that leaves the right to decide
		for _, pos := range sel {
			if lb.Bools[pos] != keep {
				e.left[pos] = decided
			} else {
				e.left[pos] = decided ^ 1
				e.rsel = append(e.rsel, pos)
			}
		}
	} else {
		for _, pos := range sel {
			a := truth(c, &e.fl, lb, pos)
			e.left[pos] = a
			if a != decided {
				e.rsel = append(e.rsel, pos)
			}
		}
	}
	var rb *Block
	if len(e.rsel) > 0 {
		rb = e.r.Eval(c, p, e.rsel)
	}
	out := e.out.start(doc.Boolean, p.Len)
	for _, pos := range sel {
		if e.left[pos] == decided {
			out.Nulls[pos] = false
			out.Bools[pos] = !e.and
		}
	}
	if rb != nil && plainBools(rb) {
		// The right operand decides wherever the left one is not null.
		for _, pos := range e.rsel {
			if e.left[pos] == triNull && rb.Bools[pos] != !e.and {
				e.out.w.null(pos)
				continue
			}
			out.Nulls[pos] = false
			out.Bools[pos] = rb.Bools[pos]
		}
		return e.out.done()
	}
	for _, pos := range e.rsel {
		a, b := e.left[pos], truth(c, &e.fr, rb, pos)
		var v uint8
		switch {
		case b == decided:
			v = decided
		case a == triNull || b == triNull:
			v = triNull
		default: // both the non-deciding value
			v = a
		}
		setTri(&e.out, pos, v)
	}
	return e.out.done()
}

// plainBools reports whether b holds one boolean per position, none null.
func plainBools(b *Block) bool { return b.Rep == RepBool && b.Plain() }

// Not negates; a multi-valued operand is null and fails at site.
func Not(x Expr, site int) Expr { return &not{x: x, fp: failPoint{site: site}} }

type not struct {
	x   Expr
	fp  failPoint
	out output
}

func (e *not) Type() doc.Type { return doc.Boolean }
func (e *not) number(next *int32) {
	e.x.number(next)
	e.fp.number(next)
}

func (e *not) Eval(c *Ctx, p *Page, sel []int32) *Block {
	b := e.x.Eval(c, p, sel)
	e.out.start(doc.Boolean, p.Len)
	for _, pos := range sel {
		v := truth(c, &e.fp, b, pos)
		if v != triNull {
			v ^= 1
		}
		setTri(&e.out, pos, v)
	}
	return e.out.done()
}

// IsNull tests for null (IS NULL), or for a value with negate (IS NOT NULL).
// It never fails.
func IsNull(x Expr, negate bool) Expr { return &isNull{x: x, negate: negate} }

type isNull struct {
	x      Expr
	negate bool
	out    output
}

func (e *isNull) Type() doc.Type     { return doc.Boolean }
func (e *isNull) number(next *int32) { e.x.number(next) }

func (e *isNull) Eval(c *Ctx, p *Page, sel []int32) *Block {
	b := e.x.Eval(c, p, sel)
	out := e.out.start(doc.Boolean, p.Len)
	for _, pos := range sel {
		out.Bools[pos] = b.IsNull(pos) != e.negate
	}
	return e.out.done()
}
