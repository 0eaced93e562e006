// Package hll owns Vigil's HyperLogLog++ cardinality sketch (Heule,
// Nunkesser, Hall: "HyperLogLog in Practice", EDBT 2013), laid out the way
// Elasticsearch's cardinality aggregation and ES|QL's COUNT_DISTINCT behave:
// a precision p in [4, 18] derived from the precision threshold, a sparse
// phase that keeps each distinct hash encoded in 32 bits at p' = 25 (the
// paper's sparse representation, counted by linear counting over 2^25
// buckets) until it holds more than (2^p/4)*0.75 of them, then 2^p dense
// registers. Sketches merge losslessly: the registers depend only on the set
// of hashes seen, never on the order or the split.
//
// Deviation: the paper's empirical bias-correction tables (used by
// Elasticsearch for dense estimates below 5*2^p that linear counting does not
// cover) are not reproduced; in that band this sketch uses linear counting up
// to 2.5*2^p (the original HyperLogLog rule) and the raw estimate above it,
// so mid-range estimates can differ from Elasticsearch's by a fraction of the
// standard error. Below the threshold and above 5*2^p results match.
package hll

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"slices"
)

const (
	// MinPrecision and MaxPrecision bound p, as Elasticsearch does.
	MinPrecision = 4
	MaxPrecision = 18
	// p2 is the sparse precision: an encoded hash keeps its top 25 bits.
	p2 = 25
)

// thresholds[p-4] is the paper's empirically chosen cardinality below which
// linear counting beats the (bias-corrected) HyperLogLog estimate.
var thresholds = [...]int64{10, 20, 40, 80, 220, 400, 900, 1800, 3100, 6500, 11500, 20000, 50000, 120000, 350000}

// PrecisionFromThreshold maps a precision threshold (COUNT_DISTINCT's second
// argument, default 3000) to p the way Elasticsearch sizes its sketch: enough
// bits to address a hash table holding threshold/0.75 four-byte entries,
// clamped to [4, 18]. 3000 gives 14, 40000 gives 18.
func PrecisionFromThreshold(threshold int64) int {
	if threshold < 0 {
		threshold = 0
	}
	entries := int64(math.Ceil(float64(float32(threshold) / 0.75)))
	p := bits.Len64(uint64(entries) * 4)
	return min(max(p, MinPrecision), MaxPrecision)
}

// Sketch is one group's HyperLogLog++ state. The zero value is not usable;
// make one with New or Make.
type Sketch struct {
	p uint8
	n int // encoded hashes held while sparse
	// small holds the first encoded hashes, until a table is needed: most
	// groups of a high-cardinality STATS see a value or two, and a table
	// per sketch would be an allocation per group.
	small [smallSize]uint32
	set   []uint32 // open-addressing table of encoded hashes (0 = empty); nil until small overflows, and when dense
	regs  []uint8  // dense registers; nil while sparse
}

const smallSize = 4

// New returns an empty sketch of precision p (clamped to [4, 18]).
func New(p int) *Sketch {
	s := Make(p)
	return &s
}

// Make is New by value, for sketches embedded in other structures.
func Make(p int) Sketch {
	return Sketch{p: uint8(min(max(p, MinPrecision), MaxPrecision))}
}

// sparse returns the storage of the encoded hashes while sparse: the
// inline ones, or the table (where 0 marks an empty slot).
func (s *Sketch) sparse() []uint32 {
	if s.set == nil {
		return s.small[:s.n]
	}
	return s.set
}

// Precision returns p.
func (s *Sketch) Precision() int { return int(s.p) }

// Dense reports whether the sketch has switched to registers.
func (s *Sketch) Dense() bool { return s.regs != nil }

// sparseLimit is the most encoded hashes kept before switching to registers:
// three quarters of a 2^p/4-slot table, the memory of the registers.
func sparseLimit(p uint8) int { return (1 << p) / 4 * 3 / 4 }

// encode packs a hash into the paper's 32-bit sparse form at p' = 25: the
// top 25 bits, plus (flagged by bit 0) the run length when the bits between
// p and 25 are all zero and so cannot give it.
func encode(hash uint64, p uint8) uint32 {
	e := hash >> (64 - p2)
	if e&(1<<(p2-p)-1) == 0 {
		run := 1 + min(bits.LeadingZeros64(hash<<p2), 64-p2)
		return uint32(e<<7 | uint64(run)<<1 | 1)
	}
	return uint32(e << 1)
}

// decode recovers the register index and run length at precision p.
func decode(enc uint32, p uint8) (int, uint8) {
	if enc&1 == 1 {
		return int(enc >> 7 >> (p2 - p)), uint8(enc>>1&0x3f) + (p2 - p)
	}
	return int(enc >> 1 >> (p2 - p)), uint8(1 + bits.LeadingZeros32(enc<<(31+p-p2)))
}

// Add folds in one 64-bit hash.
func (s *Sketch) Add(hash uint64) {
	if s.regs != nil {
		idx := int(hash >> (64 - s.p))
		run := uint8(1 + min(bits.LeadingZeros64(hash<<s.p), 64-int(s.p)))
		if run > s.regs[idx] {
			s.regs[idx] = run
		}
		return
	}
	s.addEncoded(encode(hash, s.p))
}

func (s *Sketch) addEncoded(enc uint32) {
	if s.regs != nil {
		idx, run := decode(enc, s.p)
		if run > s.regs[idx] {
			s.regs[idx] = run
		}
		return
	}
	if s.insert(enc) && s.n > sparseLimit(s.p) {
		s.toDense()
	}
}

// insert adds enc to the sparse hashes, reporting whether it was new.
func (s *Sketch) insert(enc uint32) bool {
	if s.set == nil {
		for _, e := range s.small[:s.n] {
			if e == enc {
				return false
			}
		}
		if s.n < smallSize {
			s.small[s.n] = enc
			s.n++
			return true
		}
		s.rehash(s.small[:], 2*smallSize)
		s.small = [smallSize]uint32{}
	} else if (s.n+1)*4 > len(s.set)*3 {
		s.rehash(s.set, 2*len(s.set))
	}
	mask := uint32(len(s.set) - 1)
	for i := (enc * 0x9e3779b1) >> 3 & mask; ; i = (i + 1) & mask {
		switch s.set[i] {
		case 0:
			s.set[i] = enc
			s.n++
			return true
		case enc:
			return false
		}
	}
}

// rehash moves the encoded hashes in old (0 = none) into a new table of size slots.
func (s *Sketch) rehash(old []uint32, size int) {
	s.set = make([]uint32, size)
	mask := uint32(size - 1)
	for _, e := range old {
		if e == 0 {
			continue
		}
		i := (e * 0x9e3779b1) >> 3 & mask
		for s.set[i] != 0 {
			i = (i + 1) & mask
		}
		s.set[i] = e
	}
}

func (s *Sketch) toDense() {
	regs := make([]uint8, 1<<s.p)
	for _, e := range s.sparse() {
		if e != 0 {
			idx, run := decode(e, s.p)
			regs[idx] = max(regs[idx], run)
		}
	}
	s.regs, s.set, s.n, s.small = regs, nil, 0, [smallSize]uint32{}
}

// Merge folds o (same precision) into s. A sketch of another precision is a
// programming error and panics.
func (s *Sketch) Merge(o *Sketch) {
	if o.p != s.p {
		panic("hll: merging sketches of different precision")
	}
	if o.regs == nil {
		for _, e := range o.sparse() {
			if e != 0 {
				s.addEncoded(e)
			}
		}
		return
	}
	if s.regs == nil {
		s.toDense()
	}
	for i, r := range o.regs {
		if r > s.regs[i] {
			s.regs[i] = r
		}
	}
}

// javaRound is Math.round: half up.
func javaRound(f float64) int64 { return int64(math.Floor(f + 0.5)) }

func linearCounting(m, v float64) int64 { return javaRound(m * math.Log(m/v)) }

// Cardinality estimates the number of distinct hashes added.
func (s *Sketch) Cardinality() int64 {
	if s.regs == nil {
		if s.n == 0 {
			return 0
		}
		const m = 1 << p2
		return linearCounting(m, float64(m-s.n))
	}
	m := float64(len(s.regs))
	sum, zeros := 0.0, 0
	for _, r := range s.regs {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	var alpha float64
	switch s.p {
	case 4:
		alpha = 0.673
	case 5:
		alpha = 0.697
	default:
		alpha = 0.7213 / (1 + 1.079/m)
	}
	e := alpha * m * m / sum
	if zeros > 0 {
		h := linearCounting(m, float64(zeros))
		if h <= thresholds[s.p-MinPrecision] || e <= 2.5*m {
			return h
		}
	}
	return javaRound(e)
}

// MarshalBinary encodes the sketch: p, a mode byte, then either the sparse
// hashes (uvarint count, sorted little-endian uint32s, so equal sketches
// encode equally) or the 2^p registers.
func (s *Sketch) MarshalBinary() ([]byte, error) { return s.AppendBinary(nil) }

// AppendBinary appends MarshalBinary's encoding to b.
func (s *Sketch) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, s.p)
	if s.regs != nil {
		b = append(b, 1)
		return append(b, s.regs...), nil
	}
	b = append(b, 0)
	b = binary.AppendUvarint(b, uint64(s.n))
	hs := make([]uint32, 0, s.n)
	for _, e := range s.sparse() {
		if e != 0 {
			hs = append(hs, e)
		}
	}
	slices.Sort(hs)
	for _, e := range hs {
		b = binary.LittleEndian.AppendUint32(b, e)
	}
	return b, nil
}

var errCorrupt = errors.New("hll: corrupt sketch encoding")

// UnmarshalBinary replaces s with a decoded sketch, rejecting any encoding
// MarshalBinary could not have produced.
func (s *Sketch) UnmarshalBinary(b []byte) error {
	n, err := s.decodeFrom(b)
	if err != nil {
		return err
	}
	if n != len(b) {
		return errCorrupt
	}
	return nil
}

// DecodeFrom decodes a sketch from the front of b and returns the bytes used.
func (s *Sketch) DecodeFrom(b []byte) (int, error) { return s.decodeFrom(b) }

func (s *Sketch) decodeFrom(b []byte) (int, error) {
	if len(b) < 2 || b[0] < MinPrecision || b[0] > MaxPrecision {
		return 0, errCorrupt
	}
	p := b[0]
	*s = Sketch{p: p}
	switch b[1] {
	case 1:
		m := 1 << p
		if len(b) < 2+m {
			return 0, errCorrupt
		}
		regs := make([]uint8, m)
		copy(regs, b[2:2+m])
		for _, r := range regs {
			if int(r) > 65-int(p) {
				return 0, errCorrupt
			}
		}
		s.regs = regs
		return 2 + m, nil
	case 0:
		cnt, k := binary.Uvarint(b[2:])
		if k <= 0 || cnt > uint64(sparseLimit(p)) || uint64(len(b)-2-k) < cnt*4 {
			return 0, errCorrupt
		}
		off := 2 + k
		prev := uint32(0)
		for i := uint64(0); i < cnt; i++ {
			e := binary.LittleEndian.Uint32(b[off:])
			off += 4
			if e <= prev || !validEncoding(e, p) {
				return 0, errCorrupt
			}
			prev = e
			s.insert(e)
		}
		return off, nil
	}
	return 0, errCorrupt
}

func validEncoding(e uint32, p uint8) bool {
	low := uint32(1)<<(p2-p) - 1
	if e&1 == 1 {
		run := e >> 1 & 0x3f
		return (e>>7)&low == 0 && run >= 1 && run <= 64-p2+1
	}
	return e>>26 == 0 && (e>>1)&low != 0
}
