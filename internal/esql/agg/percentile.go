package agg

import (
	"errors"
	"math"
	"slices"

	"vigil/internal/doc"
)

func init() {
	register(&Func{Name: "MEDIAN", MinArgs: 1, MaxArgs: 1, Resolve: resolvePercentile(tagPercentile, false)})
	register(&Func{Name: "PERCENTILE", MinArgs: 2, MaxArgs: 2, Resolve: resolvePercentile(tagPercentile, true)})
	register(&Func{Name: "MEDIAN_ABSOLUTE_DEVIATION", MinArgs: 1, MaxArgs: 1, Resolve: resolvePercentile(tagMAD, false)})
}

// Deviation: Elasticsearch estimates MEDIAN, PERCENTILE and
// MEDIAN_ABSOLUTE_DEVIATION with a t-digest (compression 100), which is
// exact for small groups and approximate for large ones. These states keep
// every value and compute exactly, interpolating linearly between the two
// closest ranks (rank = p/100 * (n-1)) as the t-digest does when every
// centroid is a single value (MEDIAN of 100 salaries = mean of the 50th and
// 51st, as in the ES|QL docs). Large groups may differ from Elasticsearch's
// approximation in the last digits; memory grows with the group.
func resolvePercentile(tag byte, withP bool) func([]doc.Type, []*doc.Value) (doc.Type, Factory, error) {
	return func(args []doc.Type, consts []*doc.Value) (doc.Type, Factory, error) {
		p := 50.0
		if withP {
			if !args[1].IsNumeric() || args[1] == doc.UnsignedLong {
				return 0, nil, &TypeError{Arg: 1, Expected: "numeric except unsigned_long", Found: args[1]}
			}
			if len(consts) < 2 || consts[1] == nil || consts[1].IsNull() || consts[1].IsMulti() {
				return 0, nil, errors.New("the percentile of [PERCENTILE] must be a constant")
			}
			p = consts[1].AsFloat()
			if !(p >= 0 && p <= 100) {
				return 0, nil, errors.New("Percentile must be in the range [0, 100], got [" + doc.FormatDouble(p) + "]")
			}
		}
		switch t := args[0]; t {
		case doc.Null:
			return doc.Double, nullFactory, nil
		case doc.Integer, doc.Long, doc.Double:
			return doc.Double, func() State { return &quantiles{tag: tag, p: p} }, nil
		default:
			return 0, nil, &TypeError{Arg: 0, Expected: numericExpected, Found: t}
		}
	}
}

type quantiles struct {
	tag byte // tagPercentile or tagMAD
	p   float64
	xs  []float64
}

func (s *quantiles) Add(v doc.Value) {
	if v.M != nil {
		for _, e := range v.M {
			s.xs = append(s.xs, e.AsFloat())
		}
	} else if v.T != doc.Null {
		s.xs = append(s.xs, v.AsFloat())
	}
}

func (s *quantiles) Merge(o State) { s.xs = append(s.xs, o.(*quantiles).xs...) }

func (s *quantiles) Result() doc.Value {
	if len(s.xs) == 0 {
		return doc.Value{}
	}
	slices.SortFunc(s.xs, cmpDouble)
	if s.tag == tagPercentile {
		return doc.Float(quantile(s.xs, s.p))
	}
	m := quantile(s.xs, 50)
	dev := make([]float64, len(s.xs))
	for i, x := range s.xs {
		dev[i] = math.Abs(x - m)
	}
	slices.SortFunc(dev, cmpDouble)
	return doc.Float(quantile(dev, 50))
}

// quantile interpolates the p-th percentile of sorted, non-empty xs.
func quantile(xs []float64, p float64) float64 {
	rank := p / 100 * float64(len(xs)-1)
	lo := int(math.Floor(rank))
	if lo >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	frac := rank - float64(lo)
	if frac == 0 {
		return xs[lo]
	}
	return xs[lo] + (xs[lo+1]-xs[lo])*frac
}

func (s *quantiles) MarshalBinary() ([]byte, error) {
	e := enc{b: make([]byte, 0, 16+8*len(s.xs))}
	e.byte(s.tag)
	e.float(s.p)
	e.uvarint(uint64(len(s.xs)))
	for _, x := range s.xs {
		e.float(x)
	}
	return e.b, nil
}

func (s *quantiles) UnmarshalBinary(b []byte) error {
	d := dec{b: b}
	if d.byte() != s.tag || d.float() != s.p {
		d.fail()
	}
	n := d.count(8)
	xs := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		xs = append(xs, d.float())
	}
	if err := d.done(); err != nil {
		return err
	}
	s.xs = xs
	return nil
}
