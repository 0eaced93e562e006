package fn

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"vigil/internal/doc"
)

// An indexed first argument gives MV_INTERSECTION the scan's answer:
// random keyword and integer multi-values with duplicates, against second
// arguments shorter and longer, with and without shared values.
func TestMvIntersectionIndexedMatchesScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, typ := range []doc.Type{doc.Keyword, doc.Integer, doc.Long} {
		val := func(i int) doc.Value {
			if typ == doc.Keyword {
				return doc.KeywordOf(fmt.Sprintf("v%d", i))
			}
			return doc.Value{T: typ, I: int64(i)}
		}
		for trial := 0; trial < 200; trial++ {
			n := MvIndexMin + rng.IntN(200)
			xs := make([]doc.Value, n)
			for i := range xs {
				xs[i] = val(rng.IntN(2 * n)) // duplicates too
			}
			ys := make([]doc.Value, 1+rng.IntN(n+10))
			for i := range ys {
				ys[i] = val(rng.IntN(3 * n))
			}
			x, y := doc.Value{T: typ, M: xs}, doc.Multi(typ, ys)
			want := mvIntersection(x, y)
			drop := IndexMulti(x)
			got := mvIntersection(x, y)
			if indexOf(x.M) == nil {
				t.Fatal("a registered value is not indexed")
			}
			drop()
			if indexOf(x.M) != nil {
				t.Fatal("an unregistered value is still indexed")
			}
			if got.String() != want.String() {
				t.Fatalf("%s trial %d: indexed %s, scan %s", typ, trial, got, want)
			}
		}
	}
}

// Only the registered value is indexed: a prefix of it (same first
// element, shorter) and short values are scanned.
func TestMvIndexIdentity(t *testing.T) {
	xs := make([]doc.Value, 2*MvIndexMin)
	for i := range xs {
		xs[i] = doc.KeywordOf(fmt.Sprintf("v%d", i))
	}
	defer IndexMulti(doc.Value{T: doc.Keyword, M: xs})()
	if indexOf(xs) == nil {
		t.Fatal("registered value not indexed")
	}
	if indexOf(xs[:MvIndexMin+1]) != nil {
		t.Error("a prefix of a registered value is indexed")
	}
	short := xs[:MvIndexMin-1]
	defer IndexMulti(doc.Value{T: doc.Keyword, M: short})()
	if indexOf(short) != nil {
		t.Error("a value shorter than MvIndexMin is indexed")
	}
}

// BenchmarkMvIntersectionShared is the rule's per-row call: a long shared
// VALUES list against a short ancestry.
func BenchmarkMvIntersectionShared(b *testing.B) {
	xs := make([]doc.Value, 20000)
	for i := range xs {
		xs[i] = doc.KeywordOf(fmt.Sprintf("entity-%d", i))
	}
	x := doc.Value{T: doc.Keyword, M: xs}
	y := doc.Multi(doc.Keyword, []doc.Value{doc.KeywordOf("entity-5"), doc.KeywordOf("other"), doc.KeywordOf("entity-19000")})
	for _, indexed := range []bool{false, true} {
		b.Run(fmt.Sprintf("indexed=%v", indexed), func(b *testing.B) {
			if indexed {
				defer IndexMulti(x)()
			}
			for b.Loop() {
				mvIntersection(x, y)
			}
		})
	}
}
