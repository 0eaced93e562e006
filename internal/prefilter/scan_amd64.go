//go:build amd64 && !purego

package prefilter

import "golang.org/x/sys/cpu"

// hasAVX2 is read-only after init: whether the CPU and OS support AVX2.
var hasAVX2 = cpu.X86.HasAVX2

//go:noescape
func indexPairAVX2(s []byte, dist int, pat uint32) int

// indexPair is the pair scan (see indexPairSWAR): AVX2 when there are at
// least 32 positions to try, else eight at a time in Go.
func indexPair(s []byte, dist int, pat uint32) int {
	if hasAVX2 && len(s)-dist >= 32 {
		return indexPairAVX2(s, dist, pat)
	}
	return indexPairSWAR(s, dist, pat)
}

//go:noescape
func hasNonASCIIAVX2(s []byte) bool

// hasNonASCII reports a byte >= 0x80 in s.
func hasNonASCII(s []byte) bool {
	if hasAVX2 && len(s) >= 32 {
		return hasNonASCIIAVX2(s)
	}
	return hasNonASCIISWAR(s)
}
