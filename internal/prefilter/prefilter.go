// Package prefilter owns predicate pushdown to bytes: from an ES|QL query it
// derives literal byte strings that every raw NDJSON line whose document can
// pass the query's per-event filters (the WHERE conditions, KQL() included,
// before the first STATS, SORT or LIMIT) must contain, so a hunt can skip
// other lines before parsing any JSON.
//
// Soundness is the contract: Match returns false only when no document
// encoded by that line could pass the filters.
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
	lit    []byte
	at     int  // index in lit of the anchor, its rarest byte
	lo, up byte // the anchor in lower and upper case (equal for a non-letter)
	risky  bool // lit holds i, k or s: non-ASCII text could fold to it
	// For a lit of up to eight bytes, head holds them little-endian, fold
	// has 0x20 under its letters and mask 0xff under its bytes, so
	// (w|fold)&mask == head tests a line word case-insensitively.
	head, fold, mask uint64
	// siblings are the atoms of this and later clauses with the same
	// anchor: each candidate of this atom's search is tried for them too.
	siblings []sibling
}

type sibling struct {
	clause int // index in the conjunction
	atom   *atom
}

// byteFreq estimates how often bytes occur in ECS NDJSON, per 1,000 bytes
// (measured on Elastic-Defend-shaped sample output; base64 entity ids
// make some upper-case letters common). Unlisted bytes are rarer.
var byteFreq = map[byte]int{
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

// newAtom anchors lit at the byte whose two case spellings are rarest
// together: each spelling is one vectorised bytes.IndexByte stream, and
// every hit is a candidate to verify.
func newAtom(lit string) atom {
	l := []byte(strings.ToLower(lit))
	a := atom{lit: l, risky: bytes.ContainsAny(l, "iks")}
	best := -1
	for i, c := range l {
		freq := byteFreq[c]
		if u := toUpper(c); u != c {
			freq += byteFreq[u]
		}
		if best < 0 || freq < best {
			best, a.at = freq, i
		}
	}
	if len(l) > 0 {
		a.lo, a.up = l[a.at], toUpper(l[a.at])
	}
	if len(l) <= 8 {
		for i, c := range l {
			a.head |= uint64(c) << (8 * i)
			a.mask |= 0xff << (8 * i)
			if c >= 'a' && c <= 'z' {
				a.fold |= 0x20 << (8 * i)
			}
		}
	}
	return a
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

// newFilter compiles one rule's conjunction, linking each atom to its
// siblings (which is why cnf must not change afterwards).
func newFilter(cnf []clause) *Filter {
	for i, c := range cnf {
		for k := range c {
			a := &c[k]
			for j := i; j < len(cnf); j++ {
				for m := range cnf[j] {
					if b := &cnf[j][m]; b != a && b.lo == a.lo && b.up == a.up {
						a.siblings = append(a.siblings, sibling{j, b})
					}
				}
			}
		}
	}
	return &Filter{alts: [][]clause{cnf}}
}

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
	var held uint64 // clauses found while searching earlier ones (maxClauses fits)
	for i, c := range cnf {
		if held&(1<<i) != 0 || c.in(line, i, &held) {
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

// in reports whether line holds an atom of c, the conjunction's clause i.
func (c clause) in(line []byte, i int, held *uint64) bool {
	for k := range c {
		if c[k].in(line, i, held) {
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

// in reports an ASCII-case-insensitive occurrence of a.lit in line, an
// atom of clause self; siblings met on the way are marked in held. It runs
// one vectorised bytes.IndexByte stream per spelling of the anchor, the
// lower-case one first: it is the likely one, and a match there spares the
// other stream.
func (a *atom) in(line []byte, self int, held *uint64) bool {
	if len(a.lit) == 0 {
		return true
	}
	if len(a.lit) > len(line) {
		return false
	}
	// Anchors sit in s: a candidate at p starts a match at p-a.at.
	s := line[:len(line)-len(a.lit)+a.at+1]
	if a.stream(line, s, a.lo, self, held) {
		return true
	}
	return a.up != a.lo && a.stream(line, s, a.up, self, held)
}

// stream tries every c in s as the anchor of a.lit (see in).
func (a *atom) stream(line, s []byte, c byte, self int, held *uint64) bool {
	for p := a.at; p < len(s); p++ {
		i := bytes.IndexByte(s[p:], c)
		if i < 0 {
			return false
		}
		p += i
		if a.matchAt(line, p-a.at) {
			return true
		}
		for _, sib := range a.siblings {
			if *held&(1<<sib.clause) == 0 && sib.atom.anchoredAt(line, p) {
				*held |= 1 << sib.clause
				if sib.clause == self {
					return true
				}
			}
		}
	}
	return false
}

// anchoredAt reports whether a.lit occurs in line with its anchor at p.
func (a *atom) anchoredAt(line []byte, p int) bool {
	start := p - a.at
	return start >= 0 && start+len(a.lit) <= len(line) && a.matchAt(line, start)
}

// matchAt reports whether a.lit occurs in line at start (in bounds). Its
// common case, a literal of up to eight bytes not at the line's very end,
// is one word comparison and inlines into the candidate loop.
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

// hasNonASCII tests eight bytes at a time for a set high bit.
func hasNonASCII(line []byte) bool {
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
