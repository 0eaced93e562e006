package agg

import "vigil/internal/doc"

// FIRST(field, sortField) and LAST(field, sortField): the field's value on
// the row whose sort value is smallest (FIRST) or largest (LAST). Semantics
// from Elasticsearch's reference (aggregation-functions, FIRST/LAST, 9.3) and
// its stats_first_last.csv-spec:
//   - the value is kept whole: null and multi-values are returned as they are
//     on the chosen row (FIRST over a first row whose field is null is null);
//   - a multi-valued sort field sorts by its smallest value for FIRST and its
//     largest for LAST;
//   - null sort values sort last for both: such a row is chosen only when no
//     row of the group has a sort value (FIRST(x, null) is any value);
//   - ties keep the row seen first. Elasticsearch allows any of the tied rows;
//     keeping the first makes the result independent of how a parallel sweep
//     splits its input, as Merge(other) folds in rows that come after the
//     receiver's (the sweep merges partial results in input order).
//
// The two per-row arguments reach Add packed by Pair.

func init() {
	register(&Func{Name: "FIRST", MinArgs: 2, MaxArgs: 2, RowArgs: 2, Resolve: resolveFirstLast(false)})
	register(&Func{Name: "LAST", MinArgs: 2, MaxArgs: 2, RowArgs: 2, Resolve: resolveFirstLast(true)})
}

// Pair packs the two per-row arguments of an aggregate with RowArgs 2 into
// the single value its state's Add receives. The pair is never null, so a
// row whose arguments are both null still reaches the state.
func Pair(v, sort doc.Value) doc.Value {
	return doc.Value{T: doc.Unsupported, M: []doc.Value{v, sort}}
}

func unpair(p doc.Value) (v, sort doc.Value) {
	if p.T != doc.Unsupported || len(p.M) != 2 {
		return doc.Value{}, doc.Value{} // not a pair (an aggregate over null)
	}
	return p.M[0], p.M[1]
}

// firstLastField reports whether FIRST/LAST can return values of type t: the
// types of the 9.3 reference plus version, unsigned_long and points, which
// later versions added (first_agg_extended_types).
func firstLastField(t doc.Type) bool {
	switch t {
	case doc.Boolean, doc.Integer, doc.Long, doc.Double, doc.Keyword, doc.Text, doc.Date, doc.DateNanos, doc.IP,
		doc.Version, doc.UnsignedLong, doc.GeoPoint, doc.CartesianPoint:
		return true
	}
	return false
}

func resolveFirstLast(isLast bool) func([]doc.Type, []*doc.Value) (doc.Type, Factory, error) {
	return func(args []doc.Type, _ []*doc.Value) (doc.Type, Factory, error) {
		t, sort := args[0], args[1]
		if t != doc.Null && !firstLastField(t) {
			return 0, nil, &TypeError{Arg: 0, Expected: "boolean, date, ip, string or numeric except unsigned_long or counter types", Found: t}
		}
		switch sort {
		case doc.Null, doc.Integer, doc.Long, doc.Date, doc.DateNanos:
		default:
			return 0, nil, &TypeError{Arg: 1, Expected: "int or long or date_nanos or datetime", Found: sort}
		}
		if t == doc.Null {
			return doc.Null, nullFactory, nil
		}
		t = noText(t)
		return t, func() State { return &firstLast{t: t, isLast: isLast} }, nil
	}
}

type firstLast struct {
	t      doc.Type
	isLast bool
	has    bool      // a row was seen
	sorted bool      // the kept row has a sort value
	key    int64     // the kept row's sort value (its min for FIRST, max for LAST)
	val    doc.Value // the kept row's field value, owned
}

// beats reports whether a row with the given sort value replaces the kept one.
func (s *firstLast) beats(sorted bool, key int64) bool {
	switch {
	case !s.has:
		return true
	case !sorted:
		return false
	case !s.sorted:
		return true
	case s.isLast:
		return key > s.key
	}
	return key < s.key
}

func (s *firstLast) Add(p doc.Value) {
	v, sort := unpair(p)
	sorted, key := sort.T != doc.Null, int64(0)
	if sorted {
		key = sort.I
		if sort.M != nil {
			key = sort.M[0].I
			for _, e := range sort.M[1:] {
				if s.isLast && e.I > key || !s.isLast && e.I < key {
					key = e.I
				}
			}
		}
	}
	if !s.beats(sorted, key) {
		return
	}
	s.has, s.sorted, s.key = true, sorted, key
	s.val = v.Clone()
	if v.T != doc.Null {
		s.val.T = s.t // text arrives as keyword
		for i := range s.val.M {
			s.val.M[i].T = s.t
		}
	}
}

func (s *firstLast) Merge(other State) {
	o := other.(*firstLast)
	if !o.has || !s.beats(o.sorted, o.key) {
		return
	}
	s.has, s.sorted, s.key, s.val = true, o.sorted, o.key, o.val.Clone()
}

func (s *firstLast) Result() doc.Value {
	if !s.has {
		return doc.Value{}
	}
	return s.val
}

func (s *firstLast) MarshalBinary() ([]byte, error) {
	e := &enc{}
	e.byte(tagFirstLast)
	e.byte(byte(s.t))
	e.bool(s.isLast)
	e.bool(s.has)
	e.bool(s.sorted)
	e.varint(s.key)
	e.uvarint(uint64(len(s.val.M)))
	if s.val.M == nil {
		e.value(s.val)
	}
	for _, v := range s.val.M {
		e.value(v)
	}
	return e.b, nil
}

func (s *firstLast) UnmarshalBinary(b []byte) error {
	d := &dec{b: b}
	d.header(tagFirstLast, s.t)
	if d.bool() != s.isLast {
		d.fail()
	}
	has, sorted, key := d.bool(), d.bool(), d.varint()
	var val doc.Value
	if n := d.count(1); n == 0 {
		val = d.value()
	} else {
		vs := make([]doc.Value, n)
		for i := range vs {
			vs[i] = d.value()
		}
		val = doc.Value{T: s.t, M: vs}
	}
	if err := d.done(); err != nil {
		return err
	}
	if (val.T != doc.Null && val.T != s.t) || len(val.M) == 1 || !has && val.T != doc.Null {
		return errCorrupt
	}
	for _, v := range val.M {
		if v.T != s.t {
			return errCorrupt
		}
	}
	s.has, s.sorted, s.key, s.val = has, sorted, key, val
	return nil
}
