package agg

import (
	"errors"
	"math"
	"slices"
	"strings"

	"vigil/internal/doc"
)

func init() {
	register(&Func{Name: "VALUES", MinArgs: 1, MaxArgs: 1, Resolve: resolveValues})
	register(&Func{Name: "TOP", MinArgs: 2, MaxArgs: 3, Resolve: resolveTop})
}

// resolveValues: VALUES keeps the argument's type (text becomes keyword, as
// for every aggregate returning its input values) and returns each distinct
// value once, as a multi-value (single when one, null when none).
//
// Order: Elasticsearch documents it as not guaranteed; in practice it is
// first-seen order, because its VALUES states emit values in the insertion
// order of their hash (BytesRefHash / LongHash ids, per group), and merging
// intermediate states appends the unseen values of each in turn. Vigil does
// the same: values come out in the order first added, and Merge appends the
// other state's unseen values in its order, so merging contiguous partitions
// in input order gives exactly the sequential answer (what Elasticsearch
// returns from one shard scanned in document order). Queries that need a
// fixed order wrap VALUES in MV_SORT, as Elasticsearch's own tests do.
func resolveValues(args []doc.Type, _ []*doc.Value) (doc.Type, Factory, error) {
	t := args[0]
	if t == doc.Null {
		return doc.Null, nullFactory, nil
	}
	if !orderable(t) || t == doc.UnsignedLong {
		return 0, nil, &TypeError{Arg: 0, Expected: "any type except unsigned_long and counter types", Found: t}
	}
	t = noText(t)
	return t, func() State { return &valuesState{t: t} }, nil
}

type vkey struct {
	i int64
	s string
}

func keyOf(v doc.Value) vkey {
	if v.T == doc.Double {
		b := math.Float64bits(v.F)
		if v.F != v.F {
			b = 0x7ff8000000000000
		}
		return vkey{i: int64(b)}
	}
	return vkey{i: v.I, s: v.S}
}

type valuesState struct {
	t doc.Type
	// one: the state holds a single value, in i, f and s. Most groups of a
	// high-cardinality STATS see one, and a slice per state would be an
	// allocation per group.
	one  bool
	i    int64
	f    float64
	s    string
	many *valueList // two values or more
}

// valueList holds VALUES' values in first-seen order.
type valueList struct {
	vals  []doc.Value
	seen  map[vkey]struct{} // built past valuesLinear values
	bytes int64             // what vals and seen hold, about (Bytes)
}

// Estimated sizes for Bytes: a doc.Value, and a map entry of seen.
const (
	valueSize   = 64
	seenKeySize = 48
)

// Bytes is about what the state holds, for the executor's memory budget
// (VALUES is the aggregate whose state grows with its input).
func (s *valuesState) Bytes() int64 {
	if s.many == nil {
		return int64(len(s.s))
	}
	return s.many.bytes
}

// valuesLinear is how many values a VALUES state de-duplicates by scanning
// before it builds a hash set: most groups hold a few values, and a map per
// state would dominate memory when there are many groups.
const valuesLinear = 16

func (s *valuesState) only() doc.Value { return doc.Value{T: s.t, I: s.i, F: s.f, S: s.s} }

// list returns the values in first-seen order, for encoding.
func (s *valuesState) list() []doc.Value {
	switch {
	case s.many != nil:
		return s.many.vals
	case s.one:
		return []doc.Value{s.only()}
	}
	return nil
}

func (s *valuesState) add1(v doc.Value) {
	v.T = s.t // text arrives as keyword
	switch {
	case s.many != nil:
		s.many.add(v)
	case !s.one:
		s.one, s.i, s.f, s.s = true, v.I, v.F, strings.Clone(v.S)
	case keyOf(s.only()) != keyOf(v):
		s.many = &valueList{vals: append(make([]doc.Value, 0, 4), s.only(), v.Clone()), bytes: 2*valueSize + int64(len(s.s)+len(v.S))}
		s.one, s.i, s.f, s.s = false, 0, 0, ""
	}
}

func (l *valueList) add(v doc.Value) {
	k := keyOf(v)
	if l.seen == nil {
		for _, o := range l.vals {
			if keyOf(o) == k {
				return
			}
		}
		l.vals = append(l.vals, v.Clone())
		l.bytes += valueSize + int64(len(v.S))
		if len(l.vals) > valuesLinear {
			l.seen = make(map[vkey]struct{}, 2*len(l.vals))
			for _, o := range l.vals {
				l.seen[keyOf(o)] = struct{}{}
			}
			l.bytes += seenKeySize * int64(len(l.vals))
		}
		return
	}
	if _, dup := l.seen[k]; dup {
		return
	}
	v = v.Clone()
	l.seen[keyOf(v)] = struct{}{}
	l.vals = append(l.vals, v)
	l.bytes += valueSize + seenKeySize + int64(len(v.S))
}

func (s *valuesState) Add(v doc.Value) {
	if v.M != nil {
		for _, e := range v.M {
			s.add1(e)
		}
	} else if v.T != doc.Null {
		s.add1(v)
	}
}

func (s *valuesState) Merge(o State) {
	os := o.(*valuesState)
	switch {
	case os.many != nil:
		for _, v := range os.many.vals {
			s.add1(v)
		}
	case os.one:
		s.add1(os.only())
	}
}

func (s *valuesState) Result() doc.Value {
	switch {
	case s.many != nil:
		return doc.Multi(s.t, slices.Clone(s.many.vals))
	case s.one:
		return s.only()
	}
	return doc.Value{}
}

func (s *valuesState) fresh(dst []State) { freshBatch(dst, func(n *valuesState) { n.t = s.t }) }
func (s *valuesState) reset()            { *s = valuesState{t: s.t} }

func (s *valuesState) MarshalBinary() ([]byte, error) {
	e := enc{}
	e.byte(tagValues)
	e.byte(byte(s.t))
	vals := s.list()
	e.uvarint(uint64(len(vals)))
	for _, v := range vals {
		e.value(v)
	}
	return e.b, nil
}

func (s *valuesState) UnmarshalBinary(b []byte) error {
	d := dec{b: b}
	d.header(tagValues, s.t)
	n := d.count(2)
	r := valuesState{t: s.t}
	for i := 0; i < n && d.err == nil; i++ {
		v := d.value()
		if v.T != s.t {
			d.fail()
			break
		}
		r.add1(v)
	}
	if err := d.done(); err != nil {
		return err
	}
	*s = r
	return nil
}

// resolveTop: TOP(field, limit[, "asc"|"desc"]) keeps the limit smallest
// (asc, the default) or largest values, duplicates included, and returns
// them sorted in that order with the argument's type.
func resolveTop(args []doc.Type, consts []*doc.Value) (doc.Type, Factory, error) {
	if args[1] != doc.Integer {
		return 0, nil, &TypeError{Arg: 1, Expected: "integer", Found: args[1]}
	}
	limit, err := constInt(consts, 1, "the limit of [TOP]")
	if err != nil {
		return 0, nil, err
	}
	if limit <= 0 {
		// Elasticsearch: "Limit must be greater than 0 in [<source>], found [<n>]";
		// the analyzer knows the source text, we name the function.
		return 0, nil, errors.New("Limit must be greater than 0 in [TOP], found [" + itoa(limit) + "]")
	}
	if limit > math.MaxInt32 {
		return 0, nil, errors.New("Limit of [TOP] must fit an integer, found [" + itoa(limit) + "]")
	}
	desc := false
	if len(args) > 2 {
		if !args[2].IsString() {
			return 0, nil, &TypeError{Arg: 2, Expected: "keyword", Found: args[2]}
		}
		if len(consts) < 3 || consts[2] == nil || consts[2].IsNull() || consts[2].IsMulti() {
			return 0, nil, errors.New("the order of [TOP] must be a constant")
		}
		switch o := consts[2].S; {
		case strings.EqualFold(o, "asc"):
		case strings.EqualFold(o, "desc"):
			desc = true
		default:
			return 0, nil, errors.New("Invalid order value in [TOP], expected [ASC, DESC] but got [" + o + "]")
		}
	}
	t := args[0]
	if t == doc.Null {
		return doc.Null, nullFactory, nil
	}
	if !orderable(t) || t == doc.UnsignedLong || t == doc.Version {
		return 0, nil, &TypeError{Arg: 0, Expected: "boolean, date, ip, string or numeric except unsigned_long or counter types", Found: t}
	}
	t = noText(t)
	return t, func() State { return &topState{t: t, limit: int(limit), desc: desc} }, nil
}

type topState struct {
	t     doc.Type
	limit int
	desc  bool
	vals  []doc.Value // best first, at most limit
}

// before reports whether a ranks ahead of b.
func (s *topState) before(a, b doc.Value) bool {
	c := cmpValues(a, b)
	if s.desc {
		return c > 0
	}
	return c < 0
}

func (s *topState) add1(v doc.Value) {
	v.T = s.t // text arrives as keyword
	n := len(s.vals)
	if n == s.limit && !s.before(v, s.vals[n-1]) {
		return
	}
	// Insert after equal values so the kept prefix is stable.
	lo, hi := 0, n
	for lo < hi {
		if mid := int(uint(lo+hi) >> 1); s.before(v, s.vals[mid]) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	i := lo
	if n < s.limit {
		s.vals = append(s.vals, doc.Value{})
	}
	copy(s.vals[i+1:], s.vals[i:])
	s.vals[i] = v.Clone()
}

func (s *topState) Add(v doc.Value) {
	if v.M != nil {
		for _, e := range v.M {
			s.add1(e)
		}
	} else if v.T != doc.Null {
		s.add1(v)
	}
}

func (s *topState) Merge(o State) {
	for _, v := range o.(*topState).vals {
		s.add1(v)
	}
}

func (s *topState) Result() doc.Value { return doc.Multi(s.t, slices.Clone(s.vals)) }

func (s *topState) MarshalBinary() ([]byte, error) {
	e := enc{}
	e.byte(tagTop)
	e.byte(byte(s.t))
	e.bool(s.desc)
	e.uvarint(uint64(s.limit))
	e.uvarint(uint64(len(s.vals)))
	for _, v := range s.vals {
		e.value(v)
	}
	return e.b, nil
}

func (s *topState) UnmarshalBinary(b []byte) error {
	d := dec{b: b}
	d.header(tagTop, s.t)
	if d.bool() != s.desc || d.uvarint() != uint64(s.limit) {
		d.fail()
	}
	n := d.count(2)
	if n > s.limit {
		d.fail()
	}
	r := topState{t: s.t, limit: s.limit, desc: s.desc}
	for i := 0; i < n && d.err == nil; i++ {
		v := d.value()
		if v.T != s.t {
			d.fail()
			break
		}
		r.add1(v)
	}
	if err := d.done(); err != nil {
		return err
	}
	*s = r
	return nil
}
