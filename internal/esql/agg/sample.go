package agg

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"

	"vigil/internal/doc"
)

func init() {
	register(&Func{Name: "SAMPLE", MinArgs: 2, MaxArgs: 2, Resolve: resolveSample})
}

// resolveSample: SAMPLE(field, limit) returns up to limit values drawn
// uniformly at random (duplicates possible, order random), text as keyword.
// Each value gets a random 64-bit key and the state keeps the limit smallest
// keys (bottom-k sampling), so partial states merge into a uniform sample of
// the union. Results are random by design, as in Elasticsearch.
func resolveSample(args []doc.Type, consts []*doc.Value) (doc.Type, Factory, error) {
	if args[1] != doc.Integer {
		return 0, nil, &TypeError{Arg: 1, Expected: "integer", Found: args[1]}
	}
	limit, err := constInt(consts, 1, "the limit of [SAMPLE]")
	if err != nil {
		return 0, nil, err
	}
	if limit <= 0 {
		return 0, nil, errors.New("Limit must be greater than 0 in [SAMPLE], found [" + itoa(limit) + "]")
	}
	if limit > math.MaxInt32 {
		return 0, nil, errors.New("Limit of [SAMPLE] must fit an integer, found [" + itoa(limit) + "]")
	}
	t := args[0]
	if t == doc.Null {
		return doc.Null, nullFactory, nil
	}
	if !orderable(t) || t == doc.UnsignedLong {
		return 0, nil, &TypeError{Arg: 0, Expected: "any type except unsigned_long and counter types", Found: t}
	}
	t = noText(t)
	return t, func() State { return &sampleState{t: t, limit: int(limit)} }, nil
}

type keyed struct {
	key uint64
	v   doc.Value
}

type sampleState struct {
	t     doc.Type
	limit int
	kept  []keyed // ascending key, at most limit
}

func (s *sampleState) offer(k keyed) {
	n := len(s.kept)
	if n == s.limit && k.key >= s.kept[n-1].key {
		return
	}
	i, _ := slices.BinarySearchFunc(s.kept, k.key, func(e keyed, key uint64) int { return cmpU64(e.key, key) })
	if n < s.limit {
		s.kept = append(s.kept, keyed{})
	}
	copy(s.kept[i+1:], s.kept[i:])
	k.v = k.v.Clone()
	s.kept[i] = k
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *sampleState) add1(v doc.Value) {
	v.T = s.t
	s.offer(keyed{rand.Uint64(), v})
}

func (s *sampleState) Add(v doc.Value) {
	if v.M != nil {
		for _, e := range v.M {
			s.add1(e)
		}
	} else if v.T != doc.Null {
		s.add1(v)
	}
}

func (s *sampleState) Merge(o State) {
	for _, k := range o.(*sampleState).kept {
		s.offer(k)
	}
}

func (s *sampleState) Result() doc.Value {
	vs := make([]doc.Value, len(s.kept))
	for j, k := range s.kept {
		vs[j] = k.v
	}
	return doc.Multi(s.t, vs)
}

func (s *sampleState) MarshalBinary() ([]byte, error) {
	e := enc{}
	e.byte(tagSample)
	e.byte(byte(s.t))
	e.uvarint(uint64(s.limit))
	e.uvarint(uint64(len(s.kept)))
	for _, k := range s.kept {
		e.uvarint(k.key)
		e.value(k.v)
	}
	return e.b, nil
}

func (s *sampleState) UnmarshalBinary(b []byte) error {
	d := dec{b: b}
	d.header(tagSample, s.t)
	if d.uvarint() != uint64(s.limit) {
		d.fail()
	}
	n := d.count(3)
	if n > s.limit {
		d.fail()
	}
	r := sampleState{t: s.t, limit: s.limit}
	for j := 0; j < n && d.err == nil; j++ {
		key := d.uvarint()
		v := d.value()
		if v.T != s.t {
			d.fail()
			break
		}
		r.offer(keyed{key, v})
	}
	if err := d.done(); err != nil {
		return err
	}
	*s = r
	return nil
}
