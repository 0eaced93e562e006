package compute

import (
	"vigil/internal/doc"
	"vigil/internal/esql/fn"
)

// DateTrunc is DATE_TRUNC(span, x) for a constant span. A time_duration
// span over datetime or date_nanos floors in a typed loop; other spans
// (calendar periods) go through the registered function per position.
func DateTrunc(span doc.Value, x Expr, site int) (Expr, error) {
	f, _ := fn.Lookup("DATE_TRUNC")
	t, ev, err := f.Resolve([]doc.Type{span.T, x.Type()}, []*doc.Value{&span, nil})
	if err != nil {
		return nil, err
	}
	if span.T != doc.TimeDuration || span.M != nil || !x.Type().IsTemporal() {
		return Call(t, ev, site, Lit(span, span.T), x), nil
	}
	// Durations truncate to whole milliseconds (Duration.toMillis).
	step := span.I / 1e6
	if x.Type() == doc.DateNanos {
		step *= 1e6
	}
	return &dateTrunc{t: t, x: x, step: step, fp: failPoint{site: site}}, nil
}

type dateTrunc struct {
	t    doc.Type
	x    Expr
	step int64 // in the unit of x
	fp   failPoint
	out  output
}

func (e *dateTrunc) Type() doc.Type { return e.t }
func (e *dateTrunc) number(next *int32) {
	e.x.number(next)
	e.fp.number(next)
}

func (e *dateTrunc) Eval(c *Ctx, p *Page, sel []int32) *Block {
	b := e.x.Eval(c, p, sel)
	out := e.out.start(e.t, p.Len)
	if b.Plain() && b.Rep == RepInt {
		for _, pos := range sel {
			out.Ints[pos] = floorDiv(b.Ints[pos], e.step) * e.step
		}
		return e.out.done()
	}
	for _, pos := range sel {
		var x int64
		if b.Rep == RepValue {
			v := b.Vals[b.pos(pos)]
			if v.T == doc.Null || v.M != nil {
				e.reject(c, pos, int32(v.Len()))
				continue
			}
			x = v.I
		} else {
			i, n := b.span(pos)
			if n != 1 {
				e.reject(c, pos, n)
				continue
			}
			x = b.Ints[i]
		}
		out.Nulls[pos] = false
		out.Ints[pos] = floorDiv(x, e.step) * e.step
	}
	return e.out.done()
}

func (e *dateTrunc) reject(c *Ctx, pos, n int32) {
	if n > 1 {
		e.fp.fail(c, pos, fn.ErrMultiValue)
	}
	e.out.w.null(pos)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
