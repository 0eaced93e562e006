package agg

import (
	"math"

	"vigil/internal/doc"
)

func init() {
	register(&Func{Name: "STD_DEV", MinArgs: 1, MaxArgs: 1, Resolve: resolveVariance(true)})
	register(&Func{Name: "VARIANCE", MinArgs: 1, MaxArgs: 1, Resolve: resolveVariance(false)})
}

// resolveVariance: population variance and standard deviation (the ES|QL
// docs' STD_DEV(height) over employees is the population figure), with
// Welford's streaming update and Chan et al.'s pairwise merge.
func resolveVariance(std bool) func([]doc.Type, []*doc.Value) (doc.Type, Factory, error) {
	return func(args []doc.Type, _ []*doc.Value) (doc.Type, Factory, error) {
		switch t := args[0]; t {
		case doc.Null:
			return doc.Double, nullFactory, nil
		case doc.Integer, doc.Long, doc.Double:
			return doc.Double, func() State { return &variance{std: std} }, nil
		default:
			return 0, nil, &TypeError{Arg: 0, Expected: numericExpected, Found: t}
		}
	}
}

type variance struct {
	n        int64
	mean, m2 float64
	std      bool
}

func (s *variance) add(x float64) {
	s.n++
	d := x - s.mean
	s.mean += d / float64(s.n)
	s.m2 += d * (x - s.mean)
}

func (s *variance) Add(v doc.Value) {
	if v.M != nil {
		for _, e := range v.M {
			s.add(e.AsFloat())
		}
	} else if v.T != doc.Null {
		s.add(v.AsFloat())
	}
}

func (s *variance) Merge(o State) {
	os := o.(*variance)
	switch {
	case os.n == 0:
		return
	case s.n == 0:
		s.n, s.mean, s.m2 = os.n, os.mean, os.m2
		return
	}
	n := s.n + os.n
	d := os.mean - s.mean
	s.mean += d * float64(os.n) / float64(n)
	s.m2 += os.m2 + d*d*float64(s.n)*float64(os.n)/float64(n)
	s.n = n
}

func (s *variance) Result() doc.Value {
	if s.n == 0 {
		return doc.Value{}
	}
	v := s.m2 / float64(s.n)
	if s.std {
		return doc.Float(math.Sqrt(v))
	}
	return doc.Float(v)
}

func (s *variance) MarshalBinary() ([]byte, error) {
	e := enc{}
	e.byte(tagVariance)
	e.bool(s.std)
	e.varint(s.n)
	e.float(s.mean)
	e.float(s.m2)
	return e.b, nil
}

func (s *variance) UnmarshalBinary(b []byte) error {
	d := dec{b: b}
	if d.byte() != tagVariance || d.bool() != s.std {
		d.fail()
	}
	n, mean, m2 := d.count64(), d.float(), d.float()
	if err := d.done(); err != nil {
		return err
	}
	s.n, s.mean, s.m2 = n, mean, m2
	return nil
}
