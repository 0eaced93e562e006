package hll

import (
	"bytes"
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
)

func TestHashVectors(t *testing.T) {
	// Outputs of Elasticsearch/OpenSearch's MurmurHash3.hash128(...).h1 and
	// HPPC BitMixer.mix64, as signed longs.
	murmur := []struct {
		in   string
		want int64
	}{
		{"", 0},
		{"a", -8839064797231613815},
		{"hello", -3758069500696749310},
		{"0123456789abcdef", 5467490433528156583},
		{"0123456789abcdefXYZ", -7362412312553418723},
		{"héllo wörld, a longer term", -5747529415078925469},
	}
	for _, c := range murmur {
		if got := int64(Murmur3String(c.in)); got != c.want {
			t.Errorf("Murmur3(%q) = %d, want %d", c.in, got, c.want)
		}
	}
	mix := []struct{ in, want int64 }{
		{0, 0},
		{1, -2508561340476696217},
		{-1, 8912229458432966433},
		{42, -335292003828100895},
		{math.MinInt64, -6559957559849290354},
		{math.MaxInt64, -4767257309785776240},
		{int64(math.Float64bits(2.5)), -8231812061951526888},
	}
	for _, c := range mix {
		if got := int64(Mix64(uint64(c.in))); got != c.want {
			t.Errorf("Mix64(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestPrecisionFromThreshold(t *testing.T) {
	for _, c := range []struct {
		threshold int64
		p         int
	}{{-1, 4}, {0, 4}, {5, 5}, {10, 6}, {100, 10}, {1000, 13}, {3000, 14}, {10000, 16}, {40000, 18}, {80000, 18}, {1 << 40, 18}} {
		if got := PrecisionFromThreshold(c.threshold); got != c.p {
			t.Errorf("PrecisionFromThreshold(%d) = %d, want %d", c.threshold, got, c.p)
		}
	}
}

// direct computes the register index and run length straight from a hash.
func direct(h uint64, p uint8) (int, uint8) {
	return int(h >> (64 - p)), uint8(1 + min(bits.LeadingZeros64(h<<p), 64-int(p)))
}

func TestEncodeDecode(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	hashes := []uint64{0, 1, 1 << 39, 1 << 38, math.MaxUint64, 0x8000000000000000}
	for range 20000 {
		h := r.Uint64()
		hashes = append(hashes, h, h>>uint(r.IntN(64)))
	}
	for p := uint8(MinPrecision); p <= MaxPrecision; p++ {
		for _, h := range hashes {
			e := encode(h, p)
			if e == 0 || !validEncoding(e, p) {
				t.Fatalf("p=%d h=%#x: invalid encoding %#x", p, h, e)
			}
			gi, gr := decode(e, p)
			wi, wr := direct(h, p)
			if gi != wi || gr != wr {
				t.Fatalf("p=%d h=%#x: decode = (%d,%d), want (%d,%d)", p, h, gi, gr, wi, wr)
			}
		}
	}
}

func TestSmallCountsAreExact(t *testing.T) {
	for _, p := range []int{4, 5, 14, 18} {
		s := New(p)
		limit := sparseLimit(uint8(p))
		// Exact while 25-bit encodings do not collide: these hashes have no
		// collision below 3000; Elasticsearch shares the (rare) collisions.
		for i := 1; i <= limit; i++ {
			if i > 3000 {
				s.Add(Mix64(uint64(i)))
				continue
			}
			s.Add(Mix64(uint64(i)))
			s.Add(Mix64(uint64(i))) // duplicates never count
			if got := s.Cardinality(); got != int64(i) {
				t.Fatalf("p=%d: after %d distinct, cardinality %d", p, i, got)
			}
		}
		if s.Dense() {
			t.Fatalf("p=%d: dense at the sparse limit %d", p, limit)
		}
		// Colliding encodings (about n²/2^26 of them) delay the switch a little.
		for i := limit + 1; i <= limit+limit/100+10 && !s.Dense(); i++ {
			s.Add(Mix64(uint64(i)))
		}
		if !s.Dense() {
			t.Fatalf("p=%d: still sparse past the limit", p)
		}
	}
}

func TestAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("1M values")
	}
	const n = 1_000_000
	for _, c := range []struct {
		threshold int64
		maxErr    float64 // about 4 standard errors (1.04/sqrt(2^p))
	}{{3000, 0.035}, {40000, 0.01}} {
		s := New(PrecisionFromThreshold(c.threshold))
		for i := range n {
			s.Add(Mix64(uint64(i)))
		}
		got := s.Cardinality()
		t.Logf("threshold %d (p=%d): %d for %d", c.threshold, s.Precision(), got, n)
		if rel := math.Abs(float64(got)-n) / n; rel > c.maxErr {
			t.Errorf("threshold %d: estimate %d for %d (error %.4f > %.4f)", c.threshold, got, n, rel, c.maxErr)
		}
	}
}

func TestMergeEquivalence(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ p, n int }{{5, 3}, {5, 100}, {14, 2000}, {14, 5000}, {14, 200000}, {18, 60000}} {
		all := New(c.p)
		parts := make([]*Sketch, 1+r.IntN(7))
		for i := range parts {
			parts[i] = New(c.p)
		}
		for i := range c.n {
			h := Murmur3String(string(rune(i)) + "x")
			all.Add(h)
			parts[r.IntN(len(parts))].Add(h)
		}
		merged := New(c.p)
		for _, s := range parts {
			merged.Merge(s)
		}
		a, _ := all.MarshalBinary()
		m, _ := merged.MarshalBinary()
		if !bytes.Equal(a, m) || all.Cardinality() != merged.Cardinality() {
			t.Errorf("p=%d n=%d over %d parts: merged %d != single %d", c.p, c.n, len(parts), merged.Cardinality(), all.Cardinality())
		}
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, c := range []struct{ p, n int }{{4, 0}, {4, 2}, {10, 100}, {10, 10000}, {18, 5}} {
		s := New(c.p)
		for i := range c.n {
			s.Add(Mix64(uint64(i * 7919)))
		}
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var r Sketch
		if err := r.UnmarshalBinary(b); err != nil {
			t.Fatalf("p=%d n=%d: %v", c.p, c.n, err)
		}
		if r.Cardinality() != s.Cardinality() || r.Dense() != s.Dense() {
			t.Errorf("p=%d n=%d: round trip %d, want %d", c.p, c.n, r.Cardinality(), s.Cardinality())
		}
		// The restored sketch keeps counting like the original.
		s.Add(Mix64(123456789))
		r.Add(Mix64(123456789))
		if r.Cardinality() != s.Cardinality() {
			t.Errorf("p=%d n=%d: diverged after restore", c.p, c.n)
		}
	}
	for _, bad := range [][]byte{nil, {3, 0, 0}, {19, 0, 0}, {4, 2}, {4, 1, 0}, {4, 0, 1, 0, 0, 0, 0}, {4, 0, 9}} {
		var r Sketch
		if r.UnmarshalBinary(bad) == nil {
			t.Errorf("UnmarshalBinary(%v) accepted", bad)
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	for _, n := range []int{0, 1, 3, 50} {
		s := New(4)
		for i := range n {
			s.Add(Mix64(uint64(i)))
		}
		b, _ := s.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte{5, 0, 1, 2, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Sketch
		if s.UnmarshalBinary(b) != nil {
			return
		}
		_ = s.Cardinality()
		out, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var r Sketch
		if err := r.UnmarshalBinary(out); err != nil {
			t.Fatalf("re-encoding rejected: %v", err)
		}
		if again, _ := r.MarshalBinary(); !bytes.Equal(again, out) || r.Cardinality() != s.Cardinality() {
			t.Fatalf("unstable encoding: %x vs %x", again, out)
		}
		s.Add(12345)
		s.Merge(New(s.Precision()))
	})
}

func BenchmarkAdd(b *testing.B) {
	s := New(14)
	for i := 0; b.Loop(); i++ {
		s.Add(Mix64(uint64(i)))
	}
}

// TestInlineHashes: a sketch keeps its first hashes inline, then spills
// them into a table; counting, merging and encoding agree on both sides.
func TestInlineHashes(t *testing.T) {
	for _, p := range []int{4, 14} {
		for n := range 2*smallSize + 2 {
			s := New(p)
			a, b := New(p), New(p)
			for i := range n {
				h := Mix64(uint64(i + 1))
				s.Add(h)
				s.Add(h)
				if i%2 == 0 {
					a.Add(h)
				} else {
					b.Add(h)
				}
			}
			if !s.Dense() && s.Cardinality() != int64(n) {
				t.Errorf("p=%d: %d distinct counted %d", p, n, s.Cardinality())
			}
			a.Merge(b)
			enc, _ := s.MarshalBinary()
			merged, _ := a.MarshalBinary()
			if !bytes.Equal(enc, merged) {
				t.Errorf("p=%d n=%d: merged halves encode %x, whole %x", p, n, merged, enc)
			}
			var r Sketch
			if err := r.UnmarshalBinary(enc); err != nil || r.Cardinality() != s.Cardinality() {
				t.Errorf("p=%d n=%d: round trip %d (%v), want %d", p, n, r.Cardinality(), err, s.Cardinality())
			}
		}
	}
}
