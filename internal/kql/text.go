package kql

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text analysis approximating Elasticsearch's standard analyzer: Lucene's
// StandardTokenizer splits on Unicode word boundaries (UAX #29) and the
// LowerCaseFilter lower-cases. The rules kept here are the ones that matter
// for log data: letters and digits form words; `_` joins; `.` and `'` join
// two letters or two digits (so "1.5" and "e.g" stay whole, "a.1" splits);
// `,` and `;` join two digits; every ideograph is a word of its own.

func isIdeo(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r)
}

func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// forEachToken calls fn with each token of s (not lower-cased) until fn
// returns false. It does not allocate.
func forEachToken(s string, fn func(tok string) bool) {
	i := 0
	for i < len(s) {
		r, sz := utf8.DecodeRuneInString(s[i:])
		if !isWordRune(r) {
			i += sz
			continue
		}
		if isIdeo(r) {
			if !fn(s[i : i+sz]) {
				return
			}
			i += sz
			continue
		}
		start := i
		i += sz
		prev := r
		hasAlnum := r != '_' && !unicode.IsMark(r)
		for i < len(s) {
			r2, sz2 := utf8.DecodeRuneInString(s[i:])
			if isWordRune(r2) && !isIdeo(r2) {
				hasAlnum = hasAlnum || (r2 != '_' && !unicode.IsMark(r2))
				prev = r2
				i += sz2
				continue
			}
			if i+sz2 < len(s) {
				r3, sz3 := utf8.DecodeRuneInString(s[i+sz2:])
				letters := unicode.IsLetter(prev) && unicode.IsLetter(r3) && !isIdeo(r3)
				digits := unicode.IsDigit(prev) && unicode.IsDigit(r3)
				if ((r2 == '.' || r2 == '\'') && (letters || digits)) || ((r2 == ',' || r2 == ';') && digits) {
					prev = r3
					i += sz2 + sz3
					continue
				}
			}
			break
		}
		if hasAlnum && !fn(s[start:i]) {
			return
		}
	}
}

// Analyze returns the lower-cased tokens of s under this approximation of
// the standard analyzer; ES|QL's MATCH analyzes text fields with it too.
func Analyze(s string) []string { return analyze(s) }

// EachToken calls fn with each token of s, not lower-cased, until fn returns
// false, without allocating; TokenIs compares one with a lower-cased term.
func EachToken(s string, fn func(tok string) bool) { forEachToken(s, fn) }

// TokenIs reports whether tok lower-cases to lower.
func TokenIs(tok, lower string) bool { return eqLower(tok, lower) }

// analyze returns the lower-cased tokens of s.
func analyze(s string) []string {
	var out []string
	forEachToken(s, func(t string) bool {
		out = append(out, strings.ToLower(t))
		return true
	})
	return out
}

// eqLower reports whether tok lower-cases to lower, allocating only for
// non-ASCII tokens.
func eqLower(tok, lower string) bool {
	for i := 0; i < len(tok); i++ {
		if tok[i] >= utf8.RuneSelf {
			return strings.ToLower(tok) == lower
		}
	}
	if len(tok) != len(lower) {
		return false
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// glob is a compiled `*` wildcard pattern: the literal pieces between stars.
type glob struct {
	parts       []string
	lead, trail bool // pattern starts / ends with `*`
	fold        bool // pieces are lower-cased and values are compared folded
}

func compileGlob(v Value, fold bool) glob {
	var g glob
	var cur strings.Builder
	for i := 0; i < len(v.Text); i++ {
		if v.Wild != nil && v.Wild[i] {
			if i == 0 {
				g.lead = true
			}
			if i == len(v.Text)-1 {
				g.trail = true
			}
			if cur.Len() > 0 {
				g.parts = append(g.parts, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteByte(v.Text[i])
	}
	if cur.Len() > 0 {
		g.parts = append(g.parts, cur.String())
	}
	g.fold = fold
	if fold {
		for i, p := range g.parts {
			g.parts[i] = strings.ToLower(p)
		}
	}
	return g
}

func (g *glob) match(s string) bool {
	if g.fold {
		s = lowerASCIIOrUnicode(s)
	}
	parts := g.parts
	if len(parts) == 0 {
		return g.lead || s == "" // only stars, or empty pattern
	}
	if !g.lead {
		if !strings.HasPrefix(s, parts[0]) {
			return false
		}
		s = s[len(parts[0]):]
		parts = parts[1:]
		if len(parts) == 0 {
			return g.trail || s == ""
		}
	}
	last := len(parts) - 1
	for i, p := range parts {
		if i == last && !g.trail {
			return len(s) >= len(p) && strings.HasSuffix(s, p)
		}
		j := strings.Index(s, p)
		if j < 0 {
			return false
		}
		s = s[j+len(p):]
	}
	return true
}

// lowerASCIIOrUnicode lower-cases s, returning s itself when it has no
// upper-case ASCII and is pure ASCII (the common case: no allocation).
func lowerASCIIOrUnicode(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return strings.ToLower(s)
		}
	}
	return s
}
