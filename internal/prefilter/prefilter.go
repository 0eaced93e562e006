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
	"strings"
)

// atom is "the line contains lit" (lit lower-cased ASCII).
type atom struct {
	lit   []byte
	at    int      // where the anchor starts in lit
	forms [][]byte // the anchor (a byte pair of lit) in every ASCII case
	risky bool     // lit holds i, k or s: non-ASCII text could fold to it
}

// commonBytes ranks bytes by how often they occur in ECS NDJSON (most
// common first, measured on the sample generator's output): the anchor is
// the pair of lit's rarest neighbouring bytes, searched with bytes.Index
// (vectorised) in each case spelling, so few false candidates need a check.
const commonBytes = "\"etn:a,siomdrc01lyup2.zg4/-b3h56{}f8w9_xjvk 7[]q=@"

func rank(c byte) int {
	if c >= 'A' && c <= 'Z' {
		c += 'a' - 'A'
	}
	if i := strings.IndexByte(commonBytes, c); i >= 0 {
		return i
	}
	return len(commonBytes)
}

func newAtom(lit string) atom {
	l := []byte(strings.ToLower(lit))
	a := atom{lit: l, risky: bytes.ContainsAny(l, "iks")}
	width := min(2, len(l))
	best := -1
	for i := 0; i+width <= len(l); i++ {
		score := 0
		for _, c := range l[i : i+width] {
			score += rank(c)
		}
		if score > best {
			best, a.at = score, i
		}
	}
	a.forms = [][]byte{nil}
	for _, c := range l[a.at : a.at+width] {
		var next [][]byte
		for _, f := range a.forms {
			next = append(next, append(append([]byte(nil), f...), c))
			if c >= 'a' && c <= 'z' {
				next = append(next, append(append([]byte(nil), f...), c-'a'+'A'))
			}
		}
		a.forms = next
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
// allocate.
func (f *Filter) Match(line []byte) bool {
	if f == nil {
		return true
	}
	if hasUnicodeEscape(line) {
		return true
	}
	nonASCII := -1 // unknown until a risky atom needs it
	for _, cnf := range f.alts {
		if matchCNF(cnf, line, &nonASCII) {
			return true
		}
	}
	return false
}

func matchCNF(cnf []clause, line []byte, nonASCII *int) bool {
	for _, c := range cnf {
		ok := false
		for i := range c {
			if c[i].in(line) {
				ok = true
				break
			}
		}
		if ok {
			continue
		}
		if clauseRisky(c) {
			if *nonASCII < 0 {
				*nonASCII = 0
				if hasNonASCII(line) {
					*nonASCII = 1
				}
			}
			if *nonASCII == 1 {
				continue
			}
		}
		return false
	}
	return true
}

func clauseRisky(c clause) bool {
	for i := range c {
		if c[i].risky {
			return true
		}
	}
	return false
}

// in reports an ASCII-case-insensitive occurrence of a.lit in line.
func (a *atom) in(line []byte) bool {
	n := len(a.lit)
	if n > len(line) {
		return false
	}
	for _, form := range a.forms {
		for off := 0; ; {
			i := bytes.Index(line[off:], form)
			if i < 0 {
				break
			}
			start := off + i - a.at
			if start >= 0 && start+n <= len(line) && equalFold(line[start:start+n], a.lit) {
				return true
			}
			off += i + 1
		}
	}
	return false
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

func hasNonASCII(line []byte) bool {
	for _, c := range line {
		if c >= 0x80 {
			return true
		}
	}
	return false
}
