//go:build !amd64 || purego

package prefilter

// hasAVX2 is false: there is no assembly kernel on this build.
const hasAVX2 = false

// The AVX2 names are never called without AVX2; they exist for the tests.
func indexPairAVX2(s []byte, dist int, pat uint32) int { return indexPairSWAR(s, dist, pat) }
func hasNonASCIIAVX2(s []byte) bool                    { return hasNonASCIISWAR(s) }

// indexPair and hasNonASCII: see scan_amd64.go.
func indexPair(s []byte, dist int, pat uint32) int { return indexPairSWAR(s, dist, pat) }
func hasNonASCII(s []byte) bool                    { return hasNonASCIISWAR(s) }
