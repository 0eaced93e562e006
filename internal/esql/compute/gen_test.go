package compute_test

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"strconv"

	"vigil/internal/doc"
)

// cases scales the randomized tests: COMPUTE_CASES=n multiplies them.
func cases(n int) int {
	if k, err := strconv.Atoi(os.Getenv("COMPUTE_CASES")); err == nil && k > 0 {
		return n * k
	}
	return n
}

var testTypes = []doc.Type{doc.Boolean, doc.Integer, doc.Long, doc.UnsignedLong, doc.Double, doc.Keyword,
	doc.Text, doc.Date, doc.DateNanos, doc.IP, doc.Version}

var words = []string{"", "a", "b", "sh", "bash", "Python3", "python", "PYTHON", "x-y", "é", "İx", "grep", "curl http://x", "a*b", "1.2.3", "1.10.0-rc1"}

// single returns a random single value of type t, edge cases included.
func single(r *rand.Rand, t doc.Type) doc.Value {
	switch t {
	case doc.Boolean:
		return doc.Bool(r.IntN(2) == 0)
	case doc.Integer:
		edges := []int64{0, 1, -1, 2, math.MaxInt32, math.MinInt32, 46341, -46341}
		if r.IntN(3) == 0 {
			return doc.Value{T: t, I: edges[r.IntN(len(edges))]}
		}
		return doc.Int(int32(r.IntN(200) - 100))
	case doc.Long, doc.UnsignedLong:
		edges := []int64{0, 1, -1, math.MaxInt64, math.MinInt64, 3037000500, 1 << 32}
		if r.IntN(3) == 0 {
			return doc.Value{T: t, I: edges[r.IntN(len(edges))]}
		}
		return doc.Value{T: t, I: int64(r.IntN(200) - 100)}
	case doc.Double:
		edges := []float64{0, math.Copysign(0, -1), 1, -1, math.NaN(), math.Inf(1), math.MaxFloat64, 1e-300, 0.5}
		if r.IntN(3) == 0 {
			return doc.Float(edges[r.IntN(len(edges))])
		}
		return doc.Float(float64(r.IntN(200)-100) / 4)
	case doc.Keyword, doc.Text:
		return doc.Value{T: t, S: words[r.IntN(len(words))]}
	case doc.Date:
		return doc.DateMillis(1_700_000_000_000 + r.Int64N(1_000_000_000) - 500_000_000 - int64(r.IntN(2))*1_800_000_000_000)
	case doc.DateNanos:
		return doc.DateNano(1_700_000_000_000_000_000 + r.Int64N(1_000_000_000_000))
	case doc.IP:
		return doc.IPOf(netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(3)), byte(r.IntN(3))}))
	case doc.Version:
		return doc.VersionOf([]string{"1.2.3", "1.10.0", "1.2.3-rc1", "2", "bad..v"}[r.IntN(5)])
	}
	return doc.Value{}
}

// value returns a random null, single or multi-value of type t.
func value(r *rand.Rand, t doc.Type) doc.Value {
	switch k := r.IntN(10); {
	case k < 2:
		return doc.Value{}
	case k < 4:
		m := make([]doc.Value, 2+r.IntN(2))
		for i := range m {
			m[i] = single(r, t)
		}
		return doc.Value{T: t, M: m}
	}
	return single(r, t)
}

// randomSel returns a random ascending selection of 0..n-1 (sometimes all).
func randomSel(r *rand.Rand, n int) []int32 {
	var sel []int32
	all := r.IntN(3) == 0
	for i := range n {
		if all || r.IntN(3) > 0 {
			sel = append(sel, int32(i))
		}
	}
	return sel
}

// docsOf makes map documents holding columns[i][j] as field "f<i>" of document j.
func docsOf(columns [][]doc.Value) []*doc.Document {
	n := len(columns[0])
	ds := make([]*doc.Document, n)
	for j := range ds {
		f := map[string]doc.Value{}
		for i, c := range columns {
			if !c[j].IsNull() {
				f["f"+strconv.Itoa(i)] = c[j]
			}
		}
		ds[j] = &doc.Document{Fields: f}
	}
	return ds
}

// same reports whether two values are identical as results: type,
// rendering and multi-valuedness (NaN equals NaN).
func same(a, b doc.Value) bool {
	if a.T != b.T || a.Len() != b.Len() {
		return false
	}
	for i := range a.Len() {
		x, y := a.At(i), b.At(i)
		if x.T != y.T || x.String() != y.String() || x.I != y.I || x.S != y.S {
			return false
		}
		if x.T == doc.Double && math.Float64bits(x.F) != math.Float64bits(y.F) && !(math.IsNaN(x.F) && math.IsNaN(y.F)) {
			return false
		}
	}
	return true
}
