package agg

import (
	"math"
	"math/bits"

	"vigil/internal/doc"
	"vigil/internal/esql/agg/hll"
)

func init() {
	register(&Func{Name: "COUNT", MinArgs: 0, MaxArgs: 1, Resolve: resolveCount})
	register(&Func{Name: "COUNT_DISTINCT", MinArgs: 1, MaxArgs: 2, Resolve: resolveCountDistinct})
}

// resolveCount: COUNT(*) arrives as a Null-typed argument with no constant
// (or with no argument at all) and counts rows, i.e. every Add; COUNT(null)
// (a Null constant) counts nothing; COUNT(expr) counts every value of a
// multi-value and skips nulls.
func resolveCount(args []doc.Type, consts []*doc.Value) (doc.Type, Factory, error) {
	star := len(args) == 0 || args[0] == doc.Null && (len(consts) == 0 || consts[0] == nil)
	return doc.Long, func() State { return &countState{star: star} }, nil
}

type countState struct {
	n    int64
	star bool
}

func (s *countState) Add(v doc.Value) {
	switch {
	case s.star:
		s.n++
	case v.M != nil:
		s.n += int64(len(v.M))
	case v.T != doc.Null:
		s.n++
	}
}

func (s *countState) fresh(dst []State) { freshBatch(dst, func(n *countState) { n.star = s.star }) }
func (s *countState) reset()            { *s = countState{star: s.star} }

func (s *countState) Merge(o State)     { s.n += o.(*countState).n }
func (s *countState) Result() doc.Value { return doc.Long64(s.n) }

func (s *countState) MarshalBinary() ([]byte, error) {
	e := enc{}
	e.byte(tagCount)
	e.bool(s.star)
	e.varint(s.n)
	return e.b, nil
}

func (s *countState) UnmarshalBinary(b []byte) error {
	d := dec{b: b}
	if d.byte() != tagCount || d.bool() != s.star {
		d.fail()
	}
	n := d.varint()
	if err := d.done(); err != nil {
		return err
	}
	s.n = n
	return nil
}

// defaultPrecisionThreshold is COUNT_DISTINCT's precision when none is
// given, as for Elasticsearch's cardinality aggregation (p = 14).
const defaultPrecisionThreshold = 3000

func resolveCountDistinct(args []doc.Type, consts []*doc.Value) (doc.Type, Factory, error) {
	threshold := int64(defaultPrecisionThreshold)
	if len(args) > 1 {
		if args[1] != doc.Integer && args[1] != doc.Long {
			return 0, nil, &TypeError{Arg: 1, Expected: "integer or long", Found: args[1]}
		}
		t, err := constInt(consts, 1, "the precision of [COUNT_DISTINCT]")
		if err != nil {
			return 0, nil, err
		}
		threshold = t
	}
	p := hll.PrecisionFromThreshold(threshold)
	t := args[0]
	switch t {
	case doc.Null:
		return doc.Long, func() State { return &countDistinctBool{} }, nil
	case doc.Boolean:
		return doc.Long, func() State { return &countDistinctBool{} }, nil
	case doc.Integer, doc.Long, doc.Date, doc.DateNanos, doc.Double,
		doc.Keyword, doc.Text, doc.IP, doc.Version:
		return doc.Long, func() State { return &countDistinct{t: t, sk: hll.Make(p)} }, nil
	}
	return 0, nil, &TypeError{Arg: 0, Expected: "any exact type except unsigned_long, _source, or counter types", Found: t}
}

// countDistinct feeds a HyperLogLog++ sketch with the hashes Elasticsearch
// uses, so that estimates above the threshold match (ES|QL's HllStates:
// BitMixer.mix64 of a long, an int widened to long, or a double's
// doubleToLongBits; MurmurHash3 x64_128's h1 of a BytesRef). Version values
// are hashed from their text, not Elasticsearch's binary encoding (deviation:
// only estimates above the threshold can differ).
type countDistinct struct {
	t  doc.Type
	sk hll.Sketch
}

func (s *countDistinct) add1(v doc.Value) {
	switch v.T {
	case doc.Double:
		b := math.Float64bits(v.F)
		if v.F != v.F {
			b = 0x7ff8000000000000 // doubleToLongBits canonicalises NaN
		}
		s.sk.Add(hll.Mix64(b))
	case doc.Keyword, doc.Text, doc.IP, doc.Version:
		s.sk.Add(hll.Murmur3String(v.S))
	default:
		s.sk.Add(hll.Mix64(uint64(v.I)))
	}
}

func (s *countDistinct) Add(v doc.Value) {
	if v.M != nil {
		for _, e := range v.M {
			s.add1(e)
		}
	} else if v.T != doc.Null {
		s.add1(v)
	}
}

func (s *countDistinct) fresh(dst []State) {
	p := s.sk.Precision()
	freshBatch(dst, func(n *countDistinct) { n.t, n.sk = s.t, hll.Make(p) })
}
func (s *countDistinct) reset() { *s = countDistinct{t: s.t, sk: hll.Make(s.sk.Precision())} }

func (s *countDistinct) Merge(o State)     { s.sk.Merge(&o.(*countDistinct).sk) }
func (s *countDistinct) Result() doc.Value { return doc.Long64(s.sk.Cardinality()) }

func (s *countDistinct) MarshalBinary() ([]byte, error) {
	return s.sk.AppendBinary([]byte{tagCountDistinct, byte(s.t)})
}

func (s *countDistinct) UnmarshalBinary(b []byte) error {
	if len(b) < 2 || b[0] != tagCountDistinct || doc.Type(b[1]) != s.t {
		return errCorrupt
	}
	var sk hll.Sketch
	if err := sk.UnmarshalBinary(b[2:]); err != nil {
		return err
	}
	if sk.Precision() != s.sk.Precision() {
		return errCorrupt
	}
	s.sk = sk
	return nil
}

// countDistinctBool is exact: a bit for false and one for true (as
// Elasticsearch's boolean COUNT_DISTINCT). It also serves a null-typed
// argument, which never sets a bit.
type countDistinctBool struct{ seen uint8 }

func (s *countDistinctBool) Add(v doc.Value) {
	each(v, func(e doc.Value) {
		if e.T == doc.Boolean {
			s.seen |= 1 << uint(e.I&1)
		}
	})
}

func (s *countDistinctBool) fresh(dst []State) { freshBatch(dst, func(*countDistinctBool) {}) }
func (s *countDistinctBool) reset()            { *s = countDistinctBool{} }

func (s *countDistinctBool) Merge(o State) { s.seen |= o.(*countDistinctBool).seen }
func (s *countDistinctBool) Result() doc.Value {
	return doc.Long64(int64(bits.OnesCount8(s.seen)))
}

func (s *countDistinctBool) MarshalBinary() ([]byte, error) {
	return []byte{tagCountDistinctBool, s.seen}, nil
}

func (s *countDistinctBool) UnmarshalBinary(b []byte) error {
	if len(b) != 2 || b[0] != tagCountDistinctBool || b[1] > 3 {
		return errCorrupt
	}
	s.seen = b[1]
	return nil
}
