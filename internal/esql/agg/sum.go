package agg

import (
	"math"

	"vigil/internal/doc"
)

func init() {
	register(&Func{Name: "SUM", MinArgs: 1, MaxArgs: 1, Resolve: resolveSum(false)})
	register(&Func{Name: "AVG", MinArgs: 1, MaxArgs: 1, Resolve: resolveSum(true)})
}

const numericExpected = "numeric except unsigned_long or counter types"

// resolveSum: SUM of integer or long is a long that fails (null plus
// warning) on overflow, SUM of double a compensated double; AVG is
// Elasticsearch's surrogate SUM(x) / COUNT(x) as a double, so it fails with
// the long SUM.
func resolveSum(avg bool) func([]doc.Type, []*doc.Value) (doc.Type, Factory, error) {
	return func(args []doc.Type, _ []*doc.Value) (doc.Type, Factory, error) {
		switch t := args[0]; t {
		case doc.Null:
			if avg {
				return doc.Double, nullFactory, nil
			}
			return doc.Null, nullFactory, nil
		case doc.Integer, doc.Long:
			if avg {
				return doc.Double, func() State { return &sumLong{avg: true} }, nil
			}
			return doc.Long, func() State { return &sumLong{} }, nil
		case doc.Double:
			if avg {
				return doc.Double, func() State { return &sumDouble{avg: true} }, nil
			}
			return doc.Double, func() State { return &sumDouble{} }, nil
		default:
			return 0, nil, &TypeError{Arg: 0, Expected: numericExpected, Found: t}
		}
	}
}

// sumLong adds exactly; once the sum leaves the long range the group is
// failed for good (Math.addExact throws in Elasticsearch, whatever follows).
type sumLong struct {
	sum, n      int64
	avg, failed bool
}

func (s *sumLong) add(x int64) {
	r := s.sum + x
	if (s.sum^r)&(x^r) < 0 {
		s.failed = true
	}
	s.sum = r
	s.n++
}

func (s *sumLong) Add(v doc.Value) {
	if v.M != nil {
		for _, e := range v.M {
			s.add(e.I)
		}
	} else if v.T != doc.Null {
		s.add(v.I)
	}
}

func (s *sumLong) fresh(dst []State) { freshBatch(dst, func(n *sumLong) { n.avg = s.avg }) }
func (s *sumLong) reset()            { *s = sumLong{avg: s.avg} }

func (s *sumLong) Merge(o State) {
	os := o.(*sumLong)
	n := s.n
	s.add(os.sum)
	s.n = n + os.n
	s.failed = s.failed || os.failed
}

func (s *sumLong) Result() doc.Value {
	if s.n == 0 || s.failed {
		return doc.Value{}
	}
	if s.avg {
		return doc.Float(float64(s.sum) / float64(s.n))
	}
	return doc.Long64(s.sum)
}

func (s *sumLong) Err() error {
	if s.failed {
		return ErrLongOverflow
	}
	return nil
}

func (s *sumLong) tag() byte { return sumTag(s.avg, tagAvgLong, tagSumLong) }

func (s *sumLong) MarshalBinary() ([]byte, error) {
	e := enc{}
	e.byte(s.tag())
	e.bool(s.failed)
	e.varint(s.sum)
	e.varint(s.n)
	return e.b, nil
}

func (s *sumLong) UnmarshalBinary(b []byte) error {
	d := dec{b: b}
	d.expect(s.tag())
	failed, sum, n := d.bool(), d.varint(), d.count64()
	if err := d.done(); err != nil {
		return err
	}
	s.failed, s.sum, s.n = failed, sum, n
	return nil
}

// sumDouble is Kahan-compensated summation, as Elasticsearch's double SUM
// (its CompensatedSum: non-finite values bypass the compensation).
type sumDouble struct {
	sum, delta float64
	n          int64
	avg        bool
}

func (s *sumDouble) add(x float64) {
	if math.IsInf(x, 0) || math.IsNaN(x) || math.IsInf(s.sum, 0) || math.IsNaN(s.sum) {
		s.sum += x
		return
	}
	corrected := x - s.delta
	r := s.sum + corrected
	s.delta = (r - s.sum) - corrected
	s.sum = r
}

func (s *sumDouble) Add(v doc.Value) {
	if v.M != nil {
		for _, e := range v.M {
			s.add(e.F)
		}
		s.n += int64(len(v.M))
	} else if v.T != doc.Null {
		s.add(v.F)
		s.n++
	}
}

func (s *sumDouble) fresh(dst []State) { freshBatch(dst, func(n *sumDouble) { n.avg = s.avg }) }
func (s *sumDouble) reset()            { *s = sumDouble{avg: s.avg} }

func (s *sumDouble) Merge(o State) {
	os := o.(*sumDouble)
	s.add(os.sum)
	s.add(-os.delta)
	s.n += os.n
}

func (s *sumDouble) Result() doc.Value {
	if s.n == 0 {
		return doc.Value{}
	}
	if s.avg {
		return doc.Float(s.sum / float64(s.n))
	}
	return doc.Float(s.sum)
}

func (s *sumDouble) tag() byte { return sumTag(s.avg, tagAvgDouble, tagSumDouble) }

func (s *sumDouble) MarshalBinary() ([]byte, error) {
	e := enc{}
	e.byte(s.tag())
	e.float(s.sum)
	e.float(s.delta)
	e.varint(s.n)
	return e.b, nil
}

func (s *sumDouble) UnmarshalBinary(b []byte) error {
	d := dec{b: b}
	d.expect(s.tag())
	sum, delta, n := d.float(), d.float(), d.count64()
	if err := d.done(); err != nil {
		return err
	}
	s.sum, s.delta, s.n = sum, delta, n
	return nil
}

// sumTag is the encoding tag of a SUM state, or of an AVG one.
func sumTag(avg bool, avgTag, sum byte) byte {
	if avg {
		return avgTag
	}
	return sum
}
