package prefilter

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
)

// TestAtomIn checks the pair-scanned search against a naive case-folded
// one, for literals from one byte to well past a word and past 32 bytes
// (the AVX2 block), over lines short and long.
func TestAtomIn(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alpha := "abcAB-c\"x@`"
	for range 40000 {
		lit := randStr(rng, "abcAB-c\"x", 1+rng.IntN([]int{4, 12, 70}[rng.IntN(3)]))
		line := randStr(rng, alpha, rng.IntN([]int{20, 100, 300}[rng.IntN(3)]))
		if rng.IntN(2) == 0 { // plant the literal in random case
			at := rng.IntN(len(line) + 1)
			line = line[:at] + randCase(rng, lit) + line[at:]
		}
		a := newAtom(lit)
		want := strings.Contains(strings.ToLower(line), strings.ToLower(lit))
		if got := a.in([]byte(line)); got != want {
			t.Fatalf("in(%q, %q) = %v, want %v", lit, line, got, want)
		}
	}
}

func randCase(rng *rand.Rand, s string) string {
	b := []byte(s)
	for i, c := range b {
		if rng.IntN(2) == 0 {
			b[i] = byte(unicode.ToUpper(rune(c)))
		}
	}
	return string(b)
}

func randStr(rng *rand.Rand, alpha string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[rng.IntN(len(alpha))]
	}
	return string(b)
}

// TestRarestPair checks the linear pair choice against the quadratic
// definition: the first pair (i, j), i < j, with the least cost product.
func TestRarestPair(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		l := []byte(strings.ToLower(randStr(rng, "abcAB-c\"x@`eiqz", 2+rng.IntN(30))))
		best, wantP0, wantDist := -1, 0, 0
		for i := range l {
			for j := i + 1; j < len(l); j++ {
				if c := byteCost(l[i]) * byteCost(l[j]); best < 0 || c < best {
					best, wantP0, wantDist = c, i, j-i
				}
			}
		}
		if p0, dist := rarestPair(l); p0 != wantP0 || dist != wantDist {
			t.Fatalf("rarestPair(%q) = %d, %d; want %d, %d", l, p0, dist, wantP0, wantDist)
		}
	}
}
