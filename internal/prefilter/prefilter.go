// Package prefilter owns predicate pushdown to bytes: from a condition
// every event a query keeps must satisfy (Cond, a small negation-free
// language of field matches that the query languages translate their
// plans into: esql from its logical plan, KQL from its tree; EQL and
// exceptions will feed the same interface) it derives literal byte strings
// that every raw NDJSON line whose document can pass must contain, so a
// hunt can skip other lines before parsing any JSON. It sits below the
// query languages and imports none of them.
//
// Soundness is the contract: Match returns false only when no document
// encoded by that line could satisfy the condition.
//   - Every literal matches ASCII-case-insensitively, which covers TO_LOWER,
//     lowercase normalizers and KQL's case-insensitive keyword matching.
//   - A line holding a \u escape always passes: it could spell any byte.
//   - Literal runs are split at bytes JSON may escape (" \ / and controls)
//     and at non-ASCII bytes (whose case variants are other bytes), so no
//     short escape such as \" or \/ can hide a match.
//   - A literal holding i, k or s does not reject a line with non-ASCII
//     bytes: İ (U+0130), K (U+212A) and ſ (U+017F) fold to them.
//   - Only keyword/text fields whose value comes from the line count
//     (not constant_keyword, numbers, dates or IPs, which have several
//     spellings), and key names are never required: dotted and nested
//     spellings of a field differ.
package prefilter

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// atom is "the line contains lit" (lit lower-cased ASCII).
type atom struct {
	lit   []byte
	up    byte // lit[0] in upper case, for a one-byte lit
	risky bool // lit holds i, k or s: non-ASCII text could fold to it
	// A longer lit is searched by a pair scan (indexPair) for its bytes at
	// p0 and p0+dist, case-folded by pat; each candidate is verified.
	p0, dist int
	pat      uint32
	// For a lit of up to eight bytes, head holds them little-endian, fold
	// has 0x20 under its letters and mask 0xff under its bytes, so
	// (w|fold)&mask == head tests a line word case-insensitively.
	head, fold, mask uint64
}

// byteFreq estimates how often bytes occur in ECS NDJSON, per 1,000 bytes
// (measured on Elastic-Defend-shaped sample output; base64 entity ids
// make some upper-case letters common). Unlisted bytes are rarer. An array,
// not a map: newAtom reads it once per byte of every literal.
var byteFreq = [256]int{
	'"': 146, 'e': 56, 't': 45, ':': 43, 'n': 35, ',': 35, 's': 33, 'a': 33,
	'i': 29, 'r': 27, 'o': 26, 'c': 24, 'd': 23, '0': 23, '1': 22, 'p': 18,
	'm': 18, '2': 17, 'u': 14, '.': 14, 'l': 14, 'M': 13, 'y': 13, 'T': 12,
	'4': 12, '3': 11, 'N': 11, '-': 11, '/': 11, '5': 10, 'b': 10, 'g': 10,
	'h': 10, '6': 9, '{': 8, '}': 8, '8': 8, '_': 7, 'x': 7, 'Y': 7, 'z': 7,
	'j': 6, '9': 6, 'f': 6, 'D': 6, 'k': 6, 'Z': 6, ' ': 6, 'O': 6, 'v': 6,
	'7': 6, 'E': 5, 'L': 5, 'w': 4, '[': 4, ']': 4, 'U': 4, 'Q': 3, 'I': 3,
	'W': 3, 'A': 2, 'G': 2, '=': 2, 'R': 1, 'S': 1, 'C': 1, 'J': 1, 'V': 1,
	'F': 1, '@': 1, 'H': 1,
}

func toUpper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		c -= 'a' - 'A'
	}
	return c
}

// newAtom picks the two bytes of lit that are rarest together (assuming
// independence) for its pair scan.
func newAtom(lit string) atom {
	l := []byte(strings.ToLower(lit))
	a := atom{lit: l, risky: bytes.ContainsAny(l, "iks")}
	if len(l) == 1 {
		a.up = toUpper(l[0])
	}
	if len(l) > 1 {
		a.p0, a.dist = rarestPair(l)
		c0, c1 := l[a.p0], l[a.p0+a.dist]
		a.pat = pairPattern(c0, letterFold(c0), c1, letterFold(c1))
	}
	if len(l) <= 8 {
		for i, c := range l {
			a.head |= uint64(c) << (8 * i)
			a.mask |= 0xff << (8 * i)
			a.fold |= uint64(letterFold(c)) << (8 * i)
		}
	}
	return a
}

// byteCost is 1 plus the frequency of c in either case.
func byteCost(c byte) int {
	f := 1 + byteFreq[c]
	if u := toUpper(c); u != c {
		f += byteFreq[u]
	}
	return f
}

// rarestPair returns the first position p0 (and distance to the second) of
// the pair i < j of l whose cost product is least, the first such pair in
// (i, j) order. It is linear: for each i the best partner is the cheapest
// byte after it (the first one on ties), kept as a running suffix minimum.
// len(l) must be at least 2.
func rarestPair(l []byte) (p0, dist int) {
	n := len(l)
	best, sufJ := -1, n-1 // sufJ: first index of the cheapest byte in l[i+1:]
	sufCost := byteCost(l[n-1])
	for i := n - 2; i >= 0; i-- { // downwards, so <= keeps the first i on ties
		c := byteCost(l[i])
		if best < 0 || c*sufCost <= best {
			best, p0, dist = c*sufCost, i, sufJ-i
		}
		if c <= sufCost {
			sufCost, sufJ = c, i
		}
	}
	return p0, dist
}

// letterFold is 0x20 for a lower-case letter (c|0x20 folds its upper case
// to it) and 0 for other bytes, which match only themselves.
func letterFold(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return 0x20
	}
	return 0
}

// clause is a disjunction of atoms; a Filter's clauses form a conjunction.
type clause []atom

// Filter is a compiled prefilter: a disjunction (one term per rule) of
// conjunctions of clauses. A nil *Filter passes every line. It is immutable
// and safe for concurrent use.
type Filter struct {
	alts [][]clause
}

// maxClauses bounds CNF growth when distributing OR over AND; dropping
// clauses only weakens the filter, which stays sound.
const maxClauses = 64

// Any joins per-rule filters: a line passes when any passes. A nil among
// them (a rule with no derivable literal) makes the result nil.
func Any(fs ...*Filter) *Filter {
	out := &Filter{}
	for _, f := range fs {
		if f == nil || len(f.alts) == 0 {
			return nil
		}
		out.alts = append(out.alts, f.alts...)
	}
	if len(out.alts) == 0 {
		return nil
	}
	return out
}

// String lists the required literals, for --explain style output and tests:
// rules joined by " || ", clauses by " & ", alternatives by "|".
func (f *Filter) String() string {
	if f == nil {
		return "<none>"
	}
	var b strings.Builder
	for i, cnf := range f.alts {
		if i > 0 {
			b.WriteString(" || ")
		}
		for j, c := range cnf {
			if j > 0 {
				b.WriteString(" & ")
			}
			for k, a := range c {
				if k > 0 {
					b.WriteByte('|')
				}
				b.Write(a.lit)
			}
		}
	}
	return b.String()
}

// Match reports whether line may hold a matching document. It does not
// allocate. The \u and non-ASCII scans matter only when a literal is
// missing, so they run on that path alone.
func (f *Filter) Match(line []byte) bool {
	if f == nil {
		return true
	}
	nonASCII := -1 // unknown until a risky clause needs it
	for _, cnf := range f.alts {
		if matchCNF(cnf, line, &nonASCII) {
			return true
		}
	}
	return hasUnicodeEscape(line)
}

// matchCNF reports whether line holds an atom of every clause, or has
// non-ASCII bytes where a risky clause's atoms are missing.
func matchCNF(cnf []clause, line []byte, nonASCII *int) bool {
	for _, c := range cnf {
		if c.in(line) {
			continue
		}
		if !c.risky() {
			return false
		}
		if *nonASCII < 0 {
			*nonASCII = 0
			if hasNonASCII(line) {
				*nonASCII = 1
			}
		}
		if *nonASCII == 0 {
			return false
		}
	}
	return true
}

// in reports whether line holds an atom of c.
func (c clause) in(line []byte) bool {
	for k := range c {
		if c[k].in(line) {
			return true
		}
	}
	return false
}

func (c clause) risky() bool {
	for i := range c {
		if c[i].risky {
			return true
		}
	}
	return false
}

// in reports an ASCII-case-insensitive occurrence of a.lit in line. A
// one-byte lit takes a bytes.IndexByte stream per spelling; a longer one a
// pair scan, which reads the line once for both cases and stops far less
// often than a one-byte anchor would.
func (a *atom) in(line []byte) bool {
	n := len(a.lit)
	switch {
	case n == 0:
		return true
	case n > len(line):
		return false
	case n == 1:
		return bytes.IndexByte(line, a.lit[0]) >= 0 || a.up != a.lit[0] && bytes.IndexByte(line, a.up) >= 0
	}
	// Candidate i of s starts a match at line[i]; s ends where lit would
	// overrun the line.
	s := line[a.p0 : len(line)-n+a.p0+a.dist+1]
	for i := 0; ; i++ {
		j := indexPair(s[i:], a.dist, a.pat)
		if j < 0 {
			return false
		}
		if i += j; a.matchAt(line, i) {
			return true
		}
	}
}

// matchAt reports whether a.lit occurs in line at start (in bounds). Its
// common case, a literal of up to eight bytes not at the line's very end,
// is one word comparison.
func (a *atom) matchAt(line []byte, start int) bool {
	if len(a.lit) <= 8 && start+8 <= len(line) {
		return (binary.LittleEndian.Uint64(line[start:])|a.fold)&a.mask == a.head
	}
	return equalFold(line[start:start+len(a.lit)], a.lit)
}

// equalFold compares s to the lower-case lit, folding ASCII letters in s.
func equalFold(s, lit []byte) bool {
	for i, c := range lit {
		b := s[i]
		if b >= 'A' && b <= 'Z' {
			b += 'a' - 'A'
		}
		if b != c {
			return false
		}
	}
	return true
}

// hasUnicodeEscape finds a \u escape: one preceded by an odd run of
// backslashes (an even run is escaped backslashes followed by a plain u).
func hasUnicodeEscape(line []byte) bool {
	for i := 0; ; {
		j := bytes.IndexByte(line[i:], '\\')
		if j < 0 {
			return false
		}
		i += j + 1 // past the backslash; line[i] is the escaped byte
		if i < len(line) && line[i] == 'u' {
			return true
		}
		i++ // skip the escaped byte (which may itself be a backslash)
		if i >= len(line) {
			return false
		}
	}
}
