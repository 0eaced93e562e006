package fn

// Multi-value functions: they take a whole (possibly multi-valued) cell and
// reduce or reshape it. Only their secondary arguments (delimiters, indexes,
// percentiles) must be single-valued. Keyword and text both yield keyword.

import (
	"math"
	"math/bits"
	"slices"
	"strings"

	"vigil/internal/doc"
)

func init() {
	register(&Func{Name: "MV_FIRST", MinArgs: 1, MaxArgs: 1, Resolve: mvResolvePick(func(v doc.Value) doc.Value { return v.At(0) })})
	register(&Func{Name: "MV_LAST", MinArgs: 1, MaxArgs: 1, Resolve: mvResolvePick(func(v doc.Value) doc.Value { return v.At(v.Len() - 1) })})
	register(&Func{Name: "MV_MIN", MinArgs: 1, MaxArgs: 1, Resolve: mvResolveMinMax(-1)})
	register(&Func{Name: "MV_MAX", MinArgs: 1, MaxArgs: 1, Resolve: mvResolveMinMax(1)})
	register(&Func{Name: "MV_COUNT", MinArgs: 1, MaxArgs: 1, Resolve: resolveMvCount})
	register(&Func{Name: "MV_CONCAT", MinArgs: 2, MaxArgs: 2, Resolve: resolveMvConcat})
	register(&Func{Name: "MV_DEDUPE", MinArgs: 1, MaxArgs: 1, Resolve: resolveMvDedupe})
	register(&Func{Name: "MV_SLICE", MinArgs: 2, MaxArgs: 3, Resolve: resolveMvSlice})
	register(&Func{Name: "MV_SORT", MinArgs: 1, MaxArgs: 2, Resolve: resolveMvSort})
	register(&Func{Name: "MV_SUM", MinArgs: 1, MaxArgs: 1, Resolve: resolveMvSum})
	register(&Func{Name: "MV_AVG", MinArgs: 1, MaxArgs: 1, Resolve: resolveMvAvg})
	register(&Func{Name: "MV_MEDIAN", MinArgs: 1, MaxArgs: 1, Resolve: resolveMvMedian})
	register(&Func{Name: "MV_MEDIAN_ABSOLUTE_DEVIATION", MinArgs: 1, MaxArgs: 1, Resolve: resolveMvMAD})
	register(&Func{Name: "MV_PERCENTILE", MinArgs: 2, MaxArgs: 2, Resolve: resolveMvPercentile})
	register(&Func{Name: "MV_PSERIES_WEIGHTED_SUM", MinArgs: 2, MaxArgs: 2, Resolve: resolveMvPSeries})
	register(&Func{Name: "MV_APPEND", MinArgs: 2, MaxArgs: 2, Resolve: resolveMvAppend})
	register(&Func{Name: "MV_ZIP", MinArgs: 2, MaxArgs: 3, Resolve: resolveMvZip})
	register(&Func{Name: "MV_INTERSECTION", MinArgs: 2, MaxArgs: 2, Resolve: mvResolveSet(mvIntersection)})
	register(&Func{Name: "MV_UNION", MinArgs: 2, MaxArgs: 2, Resolve: mvResolveSet(mvUnion)})
	register(&Func{Name: "MV_DIFFERENCE", MinArgs: 2, MaxArgs: 2, Resolve: mvResolveSet(mvDifference)})
	register(&Func{Name: "MV_CONTAINS", MinArgs: 2, MaxArgs: 2, Resolve: resolveMvContains})
}

// mvOutType is the result type for a function returning its input's values.
func mvOutType(t doc.Type) doc.Type {
	if t == doc.Text {
		return doc.Keyword
	}
	return t
}

// mvRetype relabels text values as keyword (cheap: only headers change).
func mvRetype(v doc.Value, t doc.Type) doc.Value {
	if v.T == t || v.T == doc.Null {
		return v
	}
	if v.M != nil {
		out := make([]doc.Value, len(v.M))
		for i, e := range v.M {
			e.T = t
			out[i] = e
		}
		return doc.Value{T: t, M: out}
	}
	v.T = t
	return v
}

func mvAnyType(t doc.Type) bool { return t != doc.Unsupported }

// mvOrderable lists the types MV_MIN, MV_MAX and MV_SORT accept.
func mvOrderable(t doc.Type) bool {
	switch t {
	case doc.Null, doc.Boolean, doc.Date, doc.DateNanos, doc.Double, doc.Integer, doc.IP,
		doc.Long, doc.UnsignedLong, doc.Version, doc.Keyword, doc.Text:
		return true
	}
	return false
}

func mvResolvePick(pick func(doc.Value) doc.Value) func([]doc.Type, []*doc.Value) (doc.Type, Eval, error) {
	return func(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
		if !mvAnyType(args[0]) {
			return 0, nil, &TypeError{Arg: 0, Expected: "any type except counter types", Found: args[0]}
		}
		out := mvOutType(args[0])
		return out, func(a []doc.Value) (doc.Value, error) {
			if a[0].T == doc.Null {
				return doc.Value{}, nil
			}
			return mvRetype(pick(a[0]), out), nil
		}, nil
	}
}

func mvResolveMinMax(sign int) func([]doc.Type, []*doc.Value) (doc.Type, Eval, error) {
	return func(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
		if !mvOrderable(args[0]) {
			return 0, nil, &TypeError{Arg: 0, Expected: "representable except unsigned_long and spatial types", Found: args[0]}
		}
		out := mvOutType(args[0])
		return out, func(a []doc.Value) (doc.Value, error) {
			v := a[0]
			if v.T == doc.Null {
				return doc.Value{}, nil
			}
			return mvRetype(mvExtreme(v, sign), out), nil
		}, nil
	}
}

// mvExtreme returns the largest (sign 1) or smallest (sign -1) value.
func mvExtreme(v doc.Value, sign int) doc.Value {
	if v.M == nil {
		return v
	}
	best := v.M[0]
	for _, e := range v.M[1:] {
		if Compare(e, best)*sign > 0 {
			best = e
		}
	}
	return best
}

func resolveMvCount(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	if !mvAnyType(args[0]) {
		return 0, nil, &TypeError{Arg: 0, Expected: "any type except counter types", Found: args[0]}
	}
	return doc.Integer, func(a []doc.Value) (doc.Value, error) {
		if a[0].T == doc.Null {
			return doc.Value{}, nil
		}
		return doc.Int(int32(a[0].Len())), nil
	}, nil
}

func resolveMvConcat(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	if err := checkStrings(args); err != nil {
		return 0, nil, err
	}
	return doc.Keyword, strictAfterFirst(func(v, d doc.Value) (doc.Value, error) {
		if v.M == nil {
			return mvRetype(v, doc.Keyword), nil
		}
		n := len(d.S) * (len(v.M) - 1)
		for _, e := range v.M {
			n += len(e.S)
		}
		var sb strings.Builder
		sb.Grow(n)
		for i, e := range v.M {
			if i > 0 {
				sb.WriteString(d.S)
			}
			sb.WriteString(e.S)
		}
		return doc.KeywordOf(sb.String()), nil
	}), nil
}

// mvDedupe keeps the first occurrence of each value, in order.
func mvDedupe(elems []doc.Value) []doc.Value {
	out := make([]doc.Value, 0, len(elems))
	for _, e := range elems {
		dup := false
		for _, o := range out {
			if sameValue(e, o) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, e)
		}
	}
	return out
}

func resolveMvDedupe(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	if !mvAnyType(args[0]) {
		return 0, nil, &TypeError{Arg: 0, Expected: "any type except counter types", Found: args[0]}
	}
	out := mvOutType(args[0])
	return out, func(a []doc.Value) (doc.Value, error) {
		v := a[0]
		if v.M == nil {
			return mvRetype(v, out), nil
		}
		return mvRetype(doc.Multi(v.T, mvDedupeAdaptive(v.M)), out), nil
	}, nil
}

// mvDedupeAdaptive mirrors Elasticsearch's adaptive de-duplication: below a
// size threshold it keeps first occurrences in order (an n^2 copy), above
// it it sorts and drops duplicates, so large outputs come back sorted. The
// thresholds are those of its MultivalueDedupe classes (20 for byte-string
// values, 300 for fixed-width ones).
func mvDedupeAdaptive(elems []doc.Value) []doc.Value {
	limit := 300
	switch elems[0].T {
	case doc.Keyword, doc.Text, doc.IP, doc.Version:
		limit = 20
	}
	if len(elems) < limit {
		return mvDedupe(elems)
	}
	sorted := slices.Clone(elems)
	slices.SortFunc(sorted, Compare)
	out := sorted[:1]
	for _, e := range sorted[1:] {
		if !sameValue(e, out[len(out)-1]) {
			out = append(out, e)
		}
	}
	return out
}

// mvSliceCheck validates MV_SLICE offsets as Elasticsearch's MvSlice does.
func mvSliceCheck(start, end int64) string {
	switch {
	case start > end:
		return "Start offset is greater than end offset"
	case start < 0 && end >= 0:
		return "Start and end offset have different signs"
	}
	return ""
}

func resolveMvSlice(args []doc.Type, consts []*doc.Value) (doc.Type, Eval, error) {
	if !mvAnyType(args[0]) {
		return 0, nil, &TypeError{Arg: 0, Expected: "any type except counter types", Found: args[0]}
	}
	for i := 1; i < len(args); i++ {
		if !integerOrNull(args[i]) {
			return 0, nil, &TypeError{Arg: i, Expected: "integer", Found: args[i]}
		}
	}
	// Bad constant offsets fail the query (MvSlice.toEvaluator checks them).
	if len(consts) == 3 && consts[1] != nil && consts[2] != nil && consts[1].T == doc.Integer && consts[2].T == doc.Integer && consts[1].M == nil && consts[2].M == nil {
		if msg := mvSliceCheck(consts[1].I, consts[2].I); msg != "" {
			return 0, nil, EvalError(msg)
		}
	}
	out := mvOutType(args[0])
	return out, func(a []doc.Value) (doc.Value, error) {
		v := a[0]
		if v.T == doc.Null {
			return doc.Value{}, nil
		}
		if ok, err := singleArgs(a[1:]); !ok {
			return doc.Value{}, err
		}
		start := a[1].I
		end := start
		if len(a) > 2 {
			end = a[2].I
		}
		if msg := mvSliceCheck(start, end); msg != "" {
			return doc.Value{}, EvalError("org.elasticsearch.xpack.esql.core.InvalidArgumentException: " + msg)
		}
		n := int64(v.Len())
		if start < 0 {
			start += n
		}
		if end < 0 {
			end += n
		}
		if start > end || end < 0 || start >= n {
			return doc.Value{}, nil
		}
		start = max(start, 0)
		end = min(end, n-1)
		if start == end {
			return mvRetype(v.At(int(start)), out), nil
		}
		elems := make([]doc.Value, end-start+1)
		copy(elems, v.M[start:end+1])
		return mvRetype(doc.Value{T: v.T, M: elems}, out), nil
	}, nil
}

func resolveMvSort(args []doc.Type, consts []*doc.Value) (doc.Type, Eval, error) {
	if !mvOrderable(args[0]) {
		return 0, nil, &TypeError{Arg: 0, Expected: "any type except counter and spatial types", Found: args[0]}
	}
	desc := false
	if len(args) > 1 {
		if !stringOrNull(args[1]) {
			return 0, nil, &TypeError{Arg: 1, Expected: "string", Found: args[1]}
		}
		if len(consts) < 2 || consts[1] == nil {
			return 0, nil, EvalError("second argument of [MV_SORT] must be a constant, received a non-constant expression")
		}
		if c := consts[1]; c.T != doc.Null {
			switch strings.ToUpper(c.S) {
			case "ASC":
			case "DESC":
				desc = true
			default:
				return 0, nil, EvalError("Invalid order value in [MV_SORT], expected one of [ASC, DESC] but got [" + c.S + "]")
			}
		}
	}
	out := mvOutType(args[0])
	return out, func(a []doc.Value) (doc.Value, error) {
		v := a[0]
		if v.M == nil {
			return mvRetype(v, out), nil
		}
		elems := slices.Clone(v.M)
		if desc {
			slices.SortStableFunc(elems, func(x, y doc.Value) int { return Compare(y, x) })
		} else {
			slices.SortStableFunc(elems, Compare)
		}
		return mvRetype(doc.Value{T: v.T, M: elems}, out), nil
	}, nil
}

func mvNumeric(args []doc.Type) error {
	if !(args[0] == doc.Null || args[0].IsNumeric()) {
		return &TypeError{Arg: 0, Expected: "numeric", Found: args[0]}
	}
	return nil
}

var (
	errIntOverflow   = EvalError("java.lang.ArithmeticException: integer overflow")
	errLongOverflow  = EvalError("java.lang.ArithmeticException: long overflow")
	errULongOverflow = EvalError("java.lang.ArithmeticException: unsigned_long overflow")
)

// mvKahan is compensated summation, as Elasticsearch sums doubles.
type mvKahan struct{ sum, c float64 }

func (k *mvKahan) add(x float64) {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		k.sum += x
		return
	}
	y := x - k.c
	t := k.sum + y
	if math.IsInf(t, 0) || math.IsNaN(t) {
		k.sum = t
		return
	}
	k.c = (t - k.sum) - y
	k.sum = t
}

func resolveMvSum(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	if err := mvNumeric(args); err != nil {
		return 0, nil, err
	}
	return args[0], func(a []doc.Value) (doc.Value, error) {
		v := a[0]
		if v.M == nil {
			return v, nil
		}
		switch v.T {
		case doc.Integer:
			var s int64
			for _, e := range v.M {
				s += e.I
				if s > math.MaxInt32 || s < math.MinInt32 {
					return doc.Value{}, errIntOverflow
				}
			}
			return doc.Int(int32(s)), nil
		case doc.Long:
			var s int64
			for _, e := range v.M {
				r := s + e.I
				if (s >= 0) == (e.I >= 0) && (r >= 0) != (s >= 0) {
					return doc.Value{}, errLongOverflow
				}
				s = r
			}
			return doc.Long64(s), nil
		case doc.UnsignedLong:
			var s uint64
			for _, e := range v.M {
				var carry uint64
				s, carry = bits.Add64(s, uint64(e.I), 0)
				if carry != 0 {
					return doc.Value{}, errULongOverflow
				}
			}
			return doc.ULong(s), nil
		}
		var k mvKahan
		for _, e := range v.M {
			k.add(e.F)
		}
		return doc.Float(k.sum), nil
	}, nil
}

func resolveMvAvg(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	if err := mvNumeric(args); err != nil {
		return 0, nil, err
	}
	return doc.Double, func(a []doc.Value) (doc.Value, error) {
		v := a[0]
		if v.T == doc.Null {
			return doc.Value{}, nil
		}
		if v.M == nil {
			return doc.Float(v.AsFloat()), nil
		}
		if v.T == doc.Integer {
			var s int64
			for _, e := range v.M {
				s += e.I
			}
			return doc.Float(float64(s) / float64(len(v.M))), nil
		}
		var k mvKahan
		for _, e := range v.M {
			k.add(e.AsFloat())
		}
		return doc.Float(k.sum / float64(len(v.M))), nil
	}, nil
}

// mvSorted returns the values ascending in a fresh slice.
func mvSorted(v doc.Value) []doc.Value {
	elems := slices.Clone(valuesOf(v))
	slices.SortFunc(elems, Compare)
	return elems
}

// mvMid averages two whole or floating values of type t. Whole values round
// down (floor) or toward zero as the caller asks.
func mvMid(a, b doc.Value, t doc.Type, towardZero bool) doc.Value {
	switch t {
	case doc.Double:
		if towardZero {
			// MvMedianAbsoluteDeviation's doubleMedianOf halves first.
			return doc.Float(a.F/2 + b.F/2)
		}
		return doc.Float((a.F + b.F) / 2)
	case doc.UnsignedLong:
		x, y := uint64(a.I), uint64(b.I)
		return doc.ULong(x>>1 + y>>1 + (x & y & 1))
	}
	x, y := a.I, b.I
	m := x>>1 + y>>1 + (x & y & 1) // floor((x+y)/2) without overflow
	if towardZero && m < 0 && (x+y)%2 != 0 {
		m++
	}
	return doc.Value{T: t, I: m}
}

func mvMedianOf(sorted []doc.Value, t doc.Type, towardZero bool) doc.Value {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return mvMid(sorted[n/2-1], sorted[n/2], t, towardZero)
}

func resolveMvMedian(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	if err := mvNumeric(args); err != nil {
		return 0, nil, err
	}
	return args[0], func(a []doc.Value) (doc.Value, error) {
		v := a[0]
		if v.M == nil {
			return v, nil
		}
		return mvMedianOf(mvSorted(v), v.T, false), nil
	}, nil
}

func resolveMvMAD(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	if err := mvNumeric(args); err != nil {
		return 0, nil, err
	}
	return args[0], func(a []doc.Value) (doc.Value, error) {
		v := a[0]
		switch {
		case v.T == doc.Null:
			return doc.Value{}, nil
		case v.M == nil:
			if v.T == doc.Double {
				return doc.Float(0), nil
			}
			return doc.Value{T: v.T}, nil
		}
		sorted := mvSorted(v)
		// The median of the (sorted) values averages doubles as (a+b)/2;
		// whole numbers round toward zero.
		med := mvMedianOf(sorted, v.T, v.T != doc.Double)
		dev := make([]doc.Value, len(sorted))
		for i, e := range sorted {
			switch v.T {
			case doc.Double:
				dev[i] = doc.Float(math.Abs(e.F - med.F))
			case doc.UnsignedLong:
				x, m := uint64(e.I), uint64(med.I)
				if x >= m {
					dev[i] = doc.ULong(x - m)
				} else {
					dev[i] = doc.ULong(m - x)
				}
			default:
				d := e.I - med.I
				if d < 0 {
					d = -d
				}
				dev[i] = doc.Value{T: v.T, I: d}
			}
		}
		slices.SortFunc(dev, Compare)
		return mvMedianOf(dev, v.T, true), nil
	}, nil
}

func resolveMvPercentile(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	if !(args[0] == doc.Null || args[0] == doc.Integer || args[0] == doc.Long || args[0] == doc.Double) {
		return 0, nil, &TypeError{Arg: 0, Expected: "numeric except unsigned_long", Found: args[0]}
	}
	if !(args[1] == doc.Null || args[1] == doc.Integer || args[1] == doc.Long || args[1] == doc.Double) {
		return 0, nil, &TypeError{Arg: 1, Expected: "numeric except unsigned_long", Found: args[1]}
	}
	return args[0], strictAfterFirst(func(v, pv doc.Value) (doc.Value, error) {
		p := pv.AsFloat()
		if p < 0 || p > 100 {
			// The percentile is a Java double in the message: [101.0].
			return doc.Value{}, EvalError("java.lang.IllegalArgumentException: Percentile parameter must be a number between 0 and 100, found [" + doc.FormatDouble(p) + "]")
		}
		if v.M == nil {
			return v, nil
		}
		sorted := mvSorted(v)
		idx := p / 100 * float64(len(sorted)-1)
		lo := int(idx)
		frac := idx - float64(lo)
		if frac == 0 || lo+1 >= len(sorted) {
			return sorted[lo], nil
		}
		l, u := sorted[lo], sorted[lo+1]
		switch v.T {
		case doc.Double:
			if l.F < 0 && u.F > 0 { // MvPercentile's order avoids upper-lower overflow
				return doc.Float((l.F + frac*u.F) - frac*l.F), nil
			}
			return doc.Float(l.F + frac*(u.F-l.F)), nil
		}
		return doc.Value{T: v.T, I: l.I + int64(frac*float64(u.I-l.I))}, nil
	}), nil
}

func resolveMvPSeries(args []doc.Type, consts []*doc.Value) (doc.Type, Eval, error) {
	if !(args[0] == doc.Null || args[0] == doc.Double) {
		return 0, nil, &TypeError{Arg: 0, Expected: "double", Found: args[0]}
	}
	if !(args[1] == doc.Null || args[1] == doc.Double) {
		return 0, nil, &TypeError{Arg: 1, Expected: "double", Found: args[1]}
	}
	return doc.Double, strictAfterFirst(func(v, p doc.Value) (doc.Value, error) {
		sorted := mvSorted(v)
		var k mvKahan
		for i := len(sorted) - 1; i >= 0; i-- {
			rank := float64(len(sorted) - i)
			k.add(sorted[i].F / math.Pow(rank, p.F))
		}
		return doc.Float(k.sum), nil
	}), nil
}

// mvPairType checks that two arguments share a type family and returns the result type.
func mvPairType(a, b doc.Type) (doc.Type, error) {
	switch {
	case a == doc.Null:
		return mvOutType(b), nil
	case b == doc.Null:
		return mvOutType(a), nil
	case mvOutType(a) == mvOutType(b):
		return mvOutType(a), nil
	}
	return 0, &TypeError{Arg: 1, Expected: a.String(), Found: b}
}

// mvPairArgs type-checks the two arguments of MV_APPEND and the set
// functions and returns the result type.
func mvPairArgs(args []doc.Type) (doc.Type, error) {
	for i, t := range args {
		if !mvAnyType(t) {
			return 0, &TypeError{Arg: i, Expected: "any type except counter types", Found: t}
		}
	}
	return mvPairType(args[0], args[1])
}

func resolveMvAppend(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	out, err := mvPairArgs(args)
	if err != nil {
		return 0, nil, err
	}
	return out, func(a []doc.Value) (doc.Value, error) {
		// Null when either side is null (MvAppend's evaluators).
		x, y := a[0], a[1]
		if x.T == doc.Null || y.T == doc.Null {
			return doc.Value{}, nil
		}
		elems := make([]doc.Value, 0, x.Len()+y.Len())
		elems = append(elems, valuesOf(x)...)
		elems = append(elems, valuesOf(y)...)
		return mvRetype(doc.Value{T: x.T, M: elems}, out), nil
	}, nil
}

func resolveMvZip(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	if err := checkStrings(args); err != nil {
		return 0, nil, err
	}
	return doc.Keyword, func(a []doc.Value) (doc.Value, error) {
		x, y := a[0], a[1]
		delim := ","
		if len(a) > 2 {
			d := a[2]
			if d.T == doc.Null {
				return doc.Value{}, nil
			}
			if d.M != nil {
				return doc.Value{}, ErrMultiValue
			}
			delim = d.S
		}
		switch {
		case x.T == doc.Null:
			return mvRetype(y, doc.Keyword), nil
		case y.T == doc.Null:
			return mvRetype(x, doc.Keyword), nil
		}
		n := max(x.Len(), y.Len())
		out := make([]doc.Value, n)
		for i := range n {
			switch {
			case i < x.Len() && i < y.Len():
				out[i] = doc.KeywordOf(x.At(i).S + delim + y.At(i).S)
			case i < x.Len():
				out[i] = doc.KeywordOf(x.At(i).S)
			default:
				out[i] = doc.KeywordOf(y.At(i).S)
			}
		}
		if n == 1 {
			return out[0], nil
		}
		return doc.Value{T: doc.Keyword, M: out}, nil
	}, nil
}

func mvResolveSet(op func(x, y doc.Value) doc.Value) func([]doc.Type, []*doc.Value) (doc.Type, Eval, error) {
	return func(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
		out, err := mvPairArgs(args)
		if err != nil {
			return 0, nil, err
		}
		return out, func(a []doc.Value) (doc.Value, error) {
			return mvRetype(op(a[0], a[1]), out), nil
		}, nil
	}
}

// mvKey identifies a single value for hashing (same-type values only).
type mvKey struct {
	i int64
	f float64
	s string
}

func mvKeyOf(v doc.Value) mvKey { return mvKey{v.I, v.F, v.S} }

// mvSet answers membership, scanning small inputs and hashing large ones.
type mvSet struct {
	elems []doc.Value
	m     map[mvKey]struct{}
}

func newMvSet(elems []doc.Value) mvSet {
	set := mvSet{elems: elems}
	if len(elems) > 32 {
		set.m = make(map[mvKey]struct{}, len(elems))
		for _, e := range elems {
			set.m[mvKeyOf(e)] = struct{}{}
		}
	}
	return set
}

func (s *mvSet) has(e doc.Value) bool {
	if s.m != nil {
		_, ok := s.m[mvKeyOf(e)]
		return ok
	}
	return mvContains(s.elems, e)
}

// add inserts e, reporting whether it was new (used to de-duplicate output).
func (s *mvSet) add(e doc.Value) bool {
	if s.has(e) {
		return false
	}
	s.elems = append(s.elems, e)
	if s.m == nil && len(s.elems) > 32 {
		s.m = make(map[mvKey]struct{}, 2*len(s.elems))
		for _, x := range s.elems {
			s.m[mvKeyOf(x)] = struct{}{}
		}
	} else if s.m != nil {
		s.m[mvKeyOf(e)] = struct{}{}
	}
	return true
}

func mvContains(elems []doc.Value, e doc.Value) bool {
	for _, o := range elems {
		if sameValue(o, e) {
			return true
		}
	}
	return false
}

// mvIntersection: distinct values of x (in x's order) also in y; null if
// either is null or nothing is shared.
func mvIntersection(x, y doc.Value) doc.Value {
	if x.T == doc.Null || y.T == doc.Null {
		return doc.Value{}
	}
	if ix := indexOf(x.M); ix != nil && len(y.M) < len(x.M) {
		return doc.Multi(x.T, intersectIndexed(x.M, ix, valuesOf(y)))
	}
	ys := newMvSet(valuesOf(y))
	var seen mvSet
	for _, e := range valuesOf(x) {
		if ys.has(e) {
			seen.add(e)
		}
	}
	return doc.Multi(x.T, seen.elems)
}

// mvUnion: distinct values of x then y; null if either is null.
func mvUnion(x, y doc.Value) doc.Value {
	if x.T == doc.Null || y.T == doc.Null {
		return doc.Value{}
	}
	var seen mvSet
	for _, v := range [2]doc.Value{x, y} {
		for _, e := range valuesOf(v) {
			seen.add(e)
		}
	}
	return doc.Multi(x.T, seen.elems)
}

// mvDifference: distinct values of x not in y; x itself when y is null.
func mvDifference(x, y doc.Value) doc.Value {
	if x.T == doc.Null {
		return doc.Value{}
	}
	ys := newMvSet(valuesOf(y))
	var seen mvSet
	for _, e := range valuesOf(x) {
		if !ys.has(e) {
			seen.add(e)
		}
	}
	return doc.Multi(x.T, seen.elems)
}

// sameValue reports whether two single values are the same value (for the
// de-duplicating and set functions).
func sameValue(a, b doc.Value) bool {
	if a.T == doc.Double && b.T == doc.Double {
		return a.F == b.F || (math.IsNaN(a.F) && math.IsNaN(b.F))
	}
	return a.I == b.I && a.S == b.S && a.F == b.F
}

// valuesOf returns the values of v as a slice (none for null).
func valuesOf(v doc.Value) []doc.Value {
	switch {
	case v.T == doc.Null:
		return nil
	case v.M != nil:
		return v.M
	}
	return []doc.Value{v}
}

// MV_CONTAINS(superset, subset): whether every value of the second argument
// is among the first's; a null argument is an empty set, so a null subset is
// always contained (mv-functions#esql-mv_contains).
func resolveMvContains(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	if _, err := mvPairArgs(args); err != nil {
		return 0, nil, err
	}
	return doc.Boolean, func(a []doc.Value) (doc.Value, error) {
		set := newMvSet(valuesOf(a[0]))
		for _, e := range valuesOf(a[1]) {
			if !set.has(e) {
				return doc.Bool(false), nil
			}
		}
		return doc.Bool(true), nil
	}, nil
}
