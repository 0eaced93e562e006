package fn

import (
	"slices"
	"sync"

	"vigil/internal/doc"
)

// Indexed multi-values. The set functions scan their first argument whole
// per call; when one long multi-value is the first argument of every call
// (INLINE STATS annotates each row of a group with the same VALUES list, as
// long as the input has distinct values), that makes a query quadratic.
// A caller that holds such a value alive and unchanged registers it
// (IndexMulti); the set functions then look its elements up in an index
// built on first use, in time proportional to the other argument.
//
// The registry is keyed by the address of the first element: while a value
// is registered its memory cannot be reused, so no other value can have
// that address and the same length.
var mvIndexes sync.Map // *doc.Value → *mvIndex

// MvIndexMin is the length below which a multi-value is not worth
// indexing: a scan is as cheap as a lookup.
const MvIndexMin = 64

type mvIndex struct {
	n    int
	once sync.Once
	pos  map[mvKey]int // first position of each value
}

// IndexMulti registers v (when it is a multi-value of MvIndexMin values or
// more) for the set functions; v must stay alive and unchanged until the
// returned function, which unregisters it, is called.
func IndexMulti(v doc.Value) (drop func()) {
	if len(v.M) < MvIndexMin {
		return func() {}
	}
	key := &v.M[0]
	mvIndexes.Store(key, &mvIndex{n: len(v.M)})
	return func() { mvIndexes.Delete(key) }
}

// indexOf returns the index of a registered multi-value's elements, or nil.
// Doubles are not indexed: the scan's sameValue matches NaN with NaN, a map
// key never does.
func indexOf(elems []doc.Value) *mvIndex {
	if len(elems) < MvIndexMin || elems[0].T == doc.Double {
		return nil
	}
	got, ok := mvIndexes.Load(&elems[0])
	if !ok {
		return nil
	}
	ix := got.(*mvIndex)
	if ix.n != len(elems) {
		return nil // a prefix of the registered value
	}
	ix.once.Do(func() {
		ix.pos = make(map[mvKey]int, len(elems))
		for i, e := range elems {
			if _, dup := ix.pos[mvKeyOf(e)]; !dup {
				ix.pos[mvKeyOf(e)] = i
			}
		}
	})
	return ix
}

// intersectIndexed is mvIntersection's answer for an indexed x: the
// distinct values of x that are in y, in x's order.
func intersectIndexed(x []doc.Value, ix *mvIndex, y []doc.Value) []doc.Value {
	var at []int
	for _, e := range y {
		if p, ok := ix.pos[mvKeyOf(e)]; ok {
			at = append(at, p)
		}
	}
	slices.Sort(at)
	at = slices.Compact(at)
	out := make([]doc.Value, len(at))
	for i, p := range at {
		out[i] = x[p]
	}
	return out
}
