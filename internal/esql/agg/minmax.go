package agg

import (
	"math"

	"vigil/internal/doc"
)

func init() {
	register(&Func{Name: "MIN", MinArgs: 1, MaxArgs: 1, Resolve: resolveMinMax(false)})
	register(&Func{Name: "MAX", MinArgs: 1, MaxArgs: 1, Resolve: resolveMinMax(true)})
}

// orderable reports whether MIN, MAX, VALUES-sorting and TOP can order t.
func orderable(t doc.Type) bool {
	switch t {
	case doc.Boolean, doc.Integer, doc.Long, doc.UnsignedLong, doc.Double,
		doc.Keyword, doc.Text, doc.Date, doc.DateNanos, doc.IP, doc.Version:
		return true
	}
	return false
}

// noText is the result type of aggregates that return their argument's
// values (MIN, MAX, VALUES, TOP): Elasticsearch reports text as keyword
// (their dataType() is the field's type with text mapped to keyword).
func noText(t doc.Type) doc.Type {
	if t == doc.Text {
		return doc.Keyword
	}
	return t
}

// resolveMinMax: the result keeps the argument's type (MIN of integer is
// integer), text becoming keyword.
func resolveMinMax(isMax bool) func([]doc.Type, []*doc.Value) (doc.Type, Factory, error) {
	return func(args []doc.Type, _ []*doc.Value) (doc.Type, Factory, error) {
		t := args[0]
		if t == doc.Null {
			return doc.Null, nullFactory, nil
		}
		if !orderable(t) {
			return 0, nil, &TypeError{Arg: 0, Expected: "boolean, date, ip, string, version, aggregate_metric_double or numeric except counter types", Found: t}
		}
		t = noText(t)
		return t, func() State { return &minMax{t: t, isMax: isMax} }, nil
	}
}

type minMax struct {
	t     doc.Type
	isMax bool
	has   bool
	best  doc.Value
}

func (s *minMax) add1(v doc.Value) {
	v.T = s.t // text arrives as keyword
	if !s.has {
		s.best, s.has = v.Clone(), true
		return
	}
	if s.t == doc.Double {
		// Elasticsearch folds doubles with Math.min/Math.max: NaN wins both ways.
		if math.IsNaN(s.best.F) {
			return
		}
		if math.IsNaN(v.F) {
			s.best = v.Clone()
			return
		}
	}
	c := cmpValues(v, s.best)
	if s.isMax && c > 0 || !s.isMax && c < 0 {
		s.best = v.Clone()
	}
}

func (s *minMax) Add(v doc.Value) {
	if v.M != nil {
		for _, e := range v.M {
			s.add1(e)
		}
	} else if v.T != doc.Null {
		s.add1(v)
	}
}

func (s *minMax) fresh(dst []State) { freshBatch(dst, func(n *minMax) { n.t, n.isMax = s.t, s.isMax }) }
func (s *minMax) reset()            { *s = minMax{t: s.t, isMax: s.isMax} }

func (s *minMax) Merge(o State) {
	if os := o.(*minMax); os.has {
		s.add1(os.best)
	}
}

func (s *minMax) Result() doc.Value {
	if !s.has {
		return doc.Value{}
	}
	return s.best
}

func (s *minMax) tag() byte {
	if s.isMax {
		return tagMax
	}
	return tagMin
}

func (s *minMax) MarshalBinary() ([]byte, error) {
	e := enc{}
	e.byte(s.tag())
	e.byte(byte(s.t))
	e.bool(s.has)
	if s.has {
		e.value(s.best)
	}
	return e.b, nil
}

func (s *minMax) UnmarshalBinary(b []byte) error {
	d := dec{b: b}
	d.header(s.tag(), s.t)
	has := d.bool()
	var v doc.Value
	if has {
		if v = d.value(); v.T != s.t {
			d.fail()
		}
	}
	if err := d.done(); err != nil {
		return err
	}
	s.has, s.best = has, v
	return nil
}
