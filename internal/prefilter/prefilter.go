// Package prefilter owns predicate pushdown to bytes: from an ES|QL query it
// derives literal byte strings that every raw NDJSON line whose document can
// pass the query's per-event filters must contain, so a hunt can skip other
// lines before parsing any JSON.
//
// Soundness is the contract: Match returns false only when no document
// encoded by that line could pass the filters. Every literal is matched
// ASCII-case-insensitively (normalizers, TO_LOWER and KQL case_insensitive
// all stay covered); a line holding a \u escape always passes (it could spell
// any byte), as does a line with non-ASCII bytes when a literal holds a
// letter with a non-ASCII case variant (K U+212A, ſ U+017F, İ U+0130).
// Literal runs never span JSON-escapable bytes (" \ / and controls), so a
// short escape such as \" or \/ cannot hide a match either. Key names are
// never required: dotted and nested spellings of a field look different.
package prefilter

import (
	"bytes"
	"strings"
)

// atom is "the line contains lit" (lit lower-cased ASCII).
type atom struct {
	lit    []byte
	at     int  // anchor: the byte of lit searched for first
	lo, up byte // the anchor byte in both cases
	risky  bool // lit holds i, k or s: non-ASCII text could fold to it
}

// commonBytes ranks bytes by how often they occur in ECS NDJSON (most
// common first, roughly): the anchor is lit's rarest byte, so IndexByte
// stops at few false candidates. Unlisted bytes count as rarest.
const commonBytes = "\"e:,tas0-r1i2on.c_l3d5m4p6u789 /fgh{}bxyk[]vwTZ"

func rank(c byte) int {
	if c >= 'A' && c <= 'Z' {
		c += 'a' - 'A'
	}
	if i := strings.IndexByte(commonBytes, c); i >= 0 {
		return i
	}
	return len(commonBytes)
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

func newAtom(lit string) atom {
	l := []byte(strings.ToLower(lit))
	a := atom{lit: l}
	for i := range l {
		if rank(l[i]) > rank(l[a.at]) {
			a.at = i
		}
	}
	a.lo, a.up = l[a.at], l[a.at]
	if a.lo >= 'a' && a.lo <= 'z' {
		a.up = a.lo - 'a' + 'A'
	}
	a.risky = bytes.ContainsAny(l, "iks")
	return a
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
	n, at := len(a.lit), a.at
	if n > len(line) {
		return false
	}
	// Candidates are anchor positions j with the literal fitting around them.
	if a.lo == a.up {
		for i := at; i+n-at <= len(line); {
			j := bytes.IndexByte(line[i:len(line)-(n-at-1)], a.lo)
			if j < 0 {
				return false
			}
			if equalFold(line[i+j-at:i+j-at+n], a.lit) {
				return true
			}
			i += j + 1
		}
		return false
	}
	// Two anchors: track the next occurrence of each case.
	end := len(line) - (n - at - 1)
	nl, nu := -2, -2 // -2: not searched yet; -1: none left
	for i := at; i < end; {
		if nl != -1 && nl < i {
			nl = index(line[:end], i, a.lo)
		}
		if nu != -1 && nu < i {
			nu = index(line[:end], i, a.up)
		}
		j := nl
		if j < 0 || (nu >= 0 && nu < j) {
			j = nu
		}
		if j < 0 {
			return false
		}
		if equalFold(line[j-at:j-at+n], a.lit) {
			return true
		}
		i = j + 1
	}
	return false
}

func index(b []byte, from int, c byte) int {
	j := bytes.IndexByte(b[from:], c)
	if j < 0 {
		return -1
	}
	return from + j
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
