package prefilter

import (
	"encoding/binary"
	"math/bits"
)

// pairPattern packs a pair scan's bytes and folds: position i is a
// candidate when (s[i]|f0) == b0 and (s[i+dist]|f1) == b1. A fold of 0x20
// under a lower-case letter accepts both of its spellings and nothing else.
func pairPattern(b0, f0, b1, f1 byte) uint32 {
	return uint32(b0) | uint32(f0)<<8 | uint32(b1)<<16 | uint32(f1)<<24
}

// indexPairSWAR returns the first i in [0, len(s)-dist) that is a pair
// candidate for pat (see pairPattern), or -1; it tests eight positions per
// step. It is the fallback without AVX2 and for short inputs.
func indexPairSWAR(s []byte, dist int, pat uint32) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	n := len(s) - dist
	b0, f0 := uint64(byte(pat))*lo, uint64(byte(pat>>8))*lo
	b1, f1 := uint64(byte(pat>>16))*lo, uint64(byte(pat>>24))*lo
	i := 0
	for ; i+8 <= n; i += 8 {
		// z is zero in a byte where both tests hold (| and ^ bind
		// alike in Go, hence the parentheses).
		z := ((binary.LittleEndian.Uint64(s[i:]) | f0) ^ b0) | ((binary.LittleEndian.Uint64(s[i+dist:]) | f1) ^ b1)
		// The lowest flagged byte is the lowest zero byte of z: borrows
		// only cause false flags above a true zero.
		if t := (z - lo) &^ z & hi; t != 0 {
			return i + bits.TrailingZeros64(t)/8
		}
	}
	for ; i < n; i++ {
		if s[i]|byte(pat>>8) == byte(pat) && s[i+dist]|byte(pat>>24) == byte(pat>>16) {
			return i
		}
	}
	return -1
}

// hasNonASCIISWAR tests eight bytes at a time for a set high bit.
func hasNonASCIISWAR(line []byte) bool {
	const high = 0x8080808080808080
	i := 0
	for ; i+8 <= len(line); i += 8 {
		if binary.LittleEndian.Uint64(line[i:])&high != 0 {
			return true
		}
	}
	for _, c := range line[i:] {
		if c >= 0x80 {
			return true
		}
	}
	return false
}
