package prefilter

import (
	"testing"
)

// indexPairRef is the pair scan's definition, one position at a time.
func indexPairRef(s []byte, dist int, pat uint32) int {
	b0, f0, b1, f1 := byte(pat), byte(pat>>8), byte(pat>>16), byte(pat>>24)
	for i := 0; i+dist < len(s); i++ {
		if s[i]|f0 == b0 && s[i+dist]|f1 == b1 {
			return i
		}
	}
	return -1
}

// checkIndexPair compares every kernel with the reference on s, also
// placed against an unreadable page (where the platform allows) so an
// over-read faults.
func checkIndexPair(t *testing.T, s []byte, dist int, pat uint32) {
	t.Helper()
	want := indexPairRef(s, dist, pat)
	g, free := guarded(t, s)
	defer free()
	for _, in := range [][]byte{s, g} {
		if got := indexPairSWAR(in, dist, pat); got != want {
			t.Fatalf("indexPairSWAR(%q, %d, %#x) = %d, want %d", s, dist, pat, got, want)
		}
		if got := indexPair(in, dist, pat); got != want {
			t.Fatalf("indexPair(%q, %d, %#x) = %d, want %d", s, dist, pat, got, want)
		}
		if hasAVX2 && len(s)-dist >= 32 {
			if got := indexPairAVX2(in, dist, pat); got != want {
				t.Fatalf("indexPairAVX2(%q, %d, %#x) = %d, want %d", s, dist, pat, got, want)
			}
		}
	}
}

// FuzzIndexPair checks the pair-scan kernels against indexPairRef. The
// input can be narrowed to an alphabet of the pair's spellings and their
// near misses (@/` and high-bit twins), and hits planted at the start, the
// end or anywhere.
func FuzzIndexPair(f *testing.F) {
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 95, 96, 97, 127, 128, 129, 200} {
		for _, dist := range []uint8{0, 1, 2, 7, 31, 32, 33, 64, 100, 255} {
			data := make([]byte, n+int(dist))
			for i := range data {
				data[i] = byte(i * 7)
			}
			f.Add(data, dist, byte('p'), byte('y'), uint8(3), uint8(0x1d), uint16(n/2))
		}
	}
	f.Add([]byte("@@@@``````@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@"), uint8(3), byte('`'), byte('`'), uint8(3), uint8(0), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, dist uint8, b0, b1 byte, folds, mode uint8, plant uint16) {
		f0 := [4]byte{0, 0x20, 0x80, 0xff}[folds&3]
		f1 := [4]byte{0, 0x20, 0x80, 0xff}[folds>>2&3]
		pat := pairPattern(b0, f0, b1, f1)
		d := int(dist)
		s := append([]byte(nil), data...)
		if mode&1 != 0 {
			alpha := [8]byte{b0, b0 ^ 0x20, b1, b1 ^ 0x20, '@', '`', b0 ^ 0x80, b1 ^ 0x80}
			for i, c := range s {
				s[i] = alpha[c&7]
			}
		}
		if n := len(s) - d; n > 0 {
			// Spell b0 and b1 in a way that matches when one exists.
			c0, c1 := b0&^f0, b1&^f1
			if mode&2 != 0 {
				c0, c1 = b0, b1
			}
			for k, at := range []int{int(plant) % n, 0, n - 1} {
				if mode&(4<<k) != 0 {
					s[at], s[at+d] = c0, c1
				}
			}
		}
		checkIndexPair(t, s, d, pat)
		if len(s) > 0 { // the same from another offset
			checkIndexPair(t, s[1:], d, pat)
		}
		checkHasNonASCII(t, s)
	})
}

// TestIndexPairLengths sweeps every length and distance around the AVX2
// kernel's 32- and 64-position steps with a single hit at each position.
func TestIndexPairLengths(t *testing.T) {
	pat := pairPattern('p', 0x20, 'y', 0x20)
	for _, dist := range []int{1, 2, 5, 31, 32, 33, 64, 65, 130} {
		for n := 0; n <= 200; n++ {
			s := make([]byte, n+dist)
			for i := range s {
				s[i] = "@`x"[i%3] // near misses of p and y, never hits
			}
			checkIndexPair(t, s, dist, pat)
			for at := range n {
				clear(s)
				s[at], s[at+dist] = 'P', 'y'
				checkIndexPair(t, s, dist, pat)
			}
		}
	}
}

// checkHasNonASCII compares every kernel with a byte loop on s, also
// against an unreadable page.
func checkHasNonASCII(t *testing.T, s []byte) {
	t.Helper()
	want := false
	for _, c := range s {
		want = want || c >= 0x80
	}
	g, free := guarded(t, s)
	defer free()
	for _, in := range [][]byte{s, g} {
		if hasNonASCIISWAR(in) != want || hasNonASCII(in) != want || hasAVX2 && len(in) >= 32 && hasNonASCIIAVX2(in) != want {
			t.Fatalf("hasNonASCII(%q) != %v", s, want)
		}
	}
}

// TestHasNonASCII sweeps lengths around the AVX2 steps with one high byte
// at each position.
func TestHasNonASCII(t *testing.T) {
	for n := 0; n <= 200; n++ {
		s := make([]byte, n)
		for i := range s {
			s[i] = 0x7f - byte(i%3)
		}
		checkHasNonASCII(t, s)
		for at := range n {
			s[at] ^= 0x80
			checkHasNonASCII(t, s)
			s[at] ^= 0x80
		}
	}
}
