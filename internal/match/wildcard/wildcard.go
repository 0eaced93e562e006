// Package wildcard owns wildcard pattern matching as ES|QL LIKE and KQL
// wildcard values define it: `*` matches any run of characters, `?` exactly one
// code point, `\` escapes `*`, `?` and itself, and the pattern is anchored at
// both ends. Patterns compile once to the cheapest matcher that fits (exact,
// prefix, suffix, contains, match-all) or to a general segment matcher whose
// cost is O(len(s)·len(pattern)) at worst, with no backtracking blow-up.
package wildcard

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error is a pattern syntax error at a 1-based line:col of the pattern.
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// Elasticsearch's wording (esql-core StringUtils.wildcardToJavaPattern): an
// escape must be followed by `*`, `?` or `\`; a trailing escape is invalid too.
const errEscape = "Invalid sequence - escape character is not followed by special wildcard char"

// Kind is the strategy a compiled pattern uses.
type Kind uint8

const (
	KindExact    Kind = iota // no wildcard: whole-string equality
	KindPrefix               // lit*
	KindSuffix               // *lit
	KindContains             // *lit*
	KindAll                  // * (any string, including the empty one)
	KindGeneral              // anything else, or any case-insensitive pattern
)

// anyRune marks a `?` inside a segment.
const anyRune rune = -1

// segment is a star-free piece of the pattern: literal runes and `?`.
type segment struct {
	runes []rune // anyRune for `?`
	lit   string // the segment as a string when it has no `?` (fast search)
	plain bool   // no `?` in the segment

	// Search accelerators for segments that cannot use strings.Index whole:
	// anchor is the longest literal run (case-sensitive only) and skip the
	// number of code points before it; first marks the bytes a match can
	// start with (case-insensitive, literal first token).
	anchor string
	skip   int
	first  *[256]bool
}

func (s *segment) prepare(ci bool) {
	if ci {
		if s.runes[0] != anyRune {
			var t [256]bool
			r := s.runes[0]
			t[utf8.AppendRune(nil, r)[0]] = true
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				t[utf8.AppendRune(nil, f)[0]] = true
			}
			s.first = &t
		}
		return
	}
	if s.plain {
		return
	}
	for i := 0; i < len(s.runes); {
		if s.runes[i] == anyRune {
			i++
			continue
		}
		j := i
		for j < len(s.runes) && s.runes[j] != anyRune {
			j++
		}
		if run := string(s.runes[i:j]); len(run) > len(s.anchor) {
			s.anchor, s.skip = run, i
		}
		i = j
	}
}

// Matcher is a compiled wildcard pattern; it is immutable and safe for
// concurrent use.
type Matcher struct {
	pattern  string
	kind     Kind
	ci       bool
	lit      string // fast-path literal
	segs     []segment
	leading  bool // pattern starts with `*`
	trailing bool // pattern ends with `*`
	hasStar  bool
	literals []string
}

// Compile parses a wildcard pattern. caseInsensitive folds case with
// Unicode simple case folding.
func Compile(pattern string, caseInsensitive bool) (*Matcher, error) {
	m := &Matcher{pattern: pattern, ci: caseInsensitive}
	var cur []rune
	var lit strings.Builder // current literal run, for Literals()
	plain := true
	flushLit := func() {
		if lit.Len() > 0 {
			m.literals = append(m.literals, lit.String())
			lit.Reset()
		}
	}
	flushSeg := func() {
		if len(cur) > 0 {
			s := segment{runes: cur, plain: plain}
			if plain {
				s.lit = string(cur)
			}
			s.prepare(caseInsensitive)
			m.segs = append(m.segs, s)
		}
		cur, plain = nil, true
	}
	col := 0
	for i := 0; i < len(pattern); {
		r, w := utf8.DecodeRuneInString(pattern[i:])
		col++
		switch r {
		case '\\':
			if i+w >= len(pattern) {
				return nil, &Error{1, col, errEscape}
			}
			n, nw := utf8.DecodeRuneInString(pattern[i+w:])
			if n != '*' && n != '?' && n != '\\' {
				return nil, &Error{1, col, errEscape}
			}
			cur = append(cur, n)
			lit.WriteRune(n)
			col++
			i += w + nw
			continue
		case '*':
			if i == 0 {
				m.leading = true
			}
			if i+w == len(pattern) {
				m.trailing = true
			}
			m.hasStar = true
			flushLit()
			flushSeg()
		case '?':
			flushLit()
			cur = append(cur, anyRune)
			plain = false
		default:
			cur = append(cur, r)
			lit.WriteRune(r)
		}
		i += w
	}
	flushLit()
	flushSeg()
	m.classify()
	return m, nil
}

// MustCompile is Compile that panics on error, for patterns known valid.
func MustCompile(pattern string, caseInsensitive bool) *Matcher {
	m, err := Compile(pattern, caseInsensitive)
	if err != nil {
		panic(err)
	}
	return m
}

func (m *Matcher) classify() {
	m.kind = KindGeneral
	if m.hasStar && len(m.segs) == 0 {
		m.kind = KindAll
		return
	}
	if m.ci {
		return
	}
	for _, s := range m.segs {
		if !s.plain {
			return
		}
	}
	switch {
	case !m.hasStar && len(m.segs) == 0:
		m.kind, m.lit = KindExact, ""
	case !m.hasStar:
		m.kind, m.lit = KindExact, m.segs[0].lit
	case len(m.segs) != 1:
		// several segments stay general
	case !m.leading && m.trailing:
		m.kind, m.lit = KindPrefix, m.segs[0].lit
	case m.leading && !m.trailing:
		m.kind, m.lit = KindSuffix, m.segs[0].lit
	case m.leading && m.trailing:
		m.kind, m.lit = KindContains, m.segs[0].lit
	}
}

// Pattern returns the source pattern.
func (m *Matcher) Pattern() string { return m.pattern }

// Kind returns the matching strategy chosen at compile time.
func (m *Matcher) Kind() Kind { return m.kind }

// CaseInsensitive reports whether the matcher folds case; a byte prefilter
// using Literals must then compare case-insensitively too.
func (m *Matcher) CaseInsensitive() bool { return m.ci }

// Literals lists the maximal literal fragments of the pattern (split at `*`
// and `?`, escapes resolved). Every matching string contains all of them
// (modulo case folding when CaseInsensitive). Nil when there are none.
func (m *Matcher) Literals() []string { return m.literals }

// Match reports whether the whole of s matches the pattern.
func (m *Matcher) Match(s string) bool {
	switch m.kind {
	case KindExact:
		return s == m.lit
	case KindPrefix:
		return strings.HasPrefix(s, m.lit)
	case KindSuffix:
		return strings.HasSuffix(s, m.lit)
	case KindContains:
		return strings.Contains(s, m.lit)
	case KindAll:
		return true
	}
	return m.matchGeneral(s)
}

// matchGeneral: the first segment is pinned to the start (unless the pattern
// starts with `*`), the last to the end (unless it ends with `*`), and the
// middle ones are placed leftmost-first. Greedy leftmost placement is optimal
// for star-separated segments because a star can absorb whatever lies between,
// so no backtracking is ever needed.
func (m *Matcher) matchGeneral(s string) bool {
	segs := m.segs
	if !m.hasStar {
		if len(segs) == 0 {
			return s == ""
		}
		end, ok := m.matchAt(&segs[0], s, 0)
		return ok && end == len(s)
	}
	pos := 0
	if !m.leading {
		end, ok := m.matchAt(&segs[0], s, 0)
		if !ok {
			return false
		}
		pos = end
		segs = segs[1:]
	}
	var last *segment
	if !m.trailing && len(segs) > 0 {
		last = &segs[len(segs)-1]
		segs = segs[:len(segs)-1]
	}
	for i := range segs {
		end, ok := m.find(&segs[i], s, pos)
		if !ok {
			return false
		}
		pos = end
	}
	if last == nil {
		return true
	}
	// The last segment consumes exactly len(runes) code points at the end.
	start := len(s)
	for n := len(last.runes); n > 0; n-- {
		if start <= pos {
			return false
		}
		_, w := utf8.DecodeLastRuneInString(s[:start])
		start -= w
	}
	if start < pos {
		return false
	}
	end, ok := m.matchAt(last, s, start)
	return ok && end == len(s)
}

// matchAt matches seg at byte offset i of s, returning the end offset.
func (m *Matcher) matchAt(seg *segment, s string, i int) (int, bool) {
	if seg.plain && !m.ci {
		if strings.HasPrefix(s[i:], seg.lit) {
			return i + len(seg.lit), true
		}
		return 0, false
	}
	for _, p := range seg.runes {
		if i >= len(s) {
			return 0, false
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if p != anyRune && p != r && !(m.ci && foldEq(p, r)) {
			return 0, false
		}
		i += w
	}
	return i, true
}

// find locates the leftmost occurrence of seg in s at or after byte offset
// from and returns its end offset.
func (m *Matcher) find(seg *segment, s string, from int) (int, bool) {
	if seg.plain && !m.ci {
		j := strings.Index(s[from:], seg.lit)
		if j < 0 {
			return 0, false
		}
		return from + j + len(seg.lit), true
	}
	if seg.anchor != "" {
		// Every match has the anchor exactly seg.skip code points in, so
		// only anchor occurrences need checking, leftmost first.
		for j := from; j <= len(s); {
			k := strings.Index(s[j:], seg.anchor)
			if k < 0 {
				return 0, false
			}
			at := j + k
			start, ok := at, true
			for n := seg.skip; n > 0; n-- {
				if start <= from {
					ok = false
					break
				}
				_, w := utf8.DecodeLastRuneInString(s[:start])
				start -= w
			}
			if ok {
				if end, ok := m.matchAt(seg, s, start); ok {
					return end, true
				}
			}
			j = at + 1
		}
		return 0, false
	}
	for i := from; i < len(s); {
		if seg.first != nil && !seg.first[s[i]] {
			i++ // never a rune's first byte: continuation bytes are not in the table
			continue
		}
		if end, ok := m.matchAt(seg, s, i); ok {
			return end, true
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return 0, false
}

// foldEq reports whether a and b are equal under Unicode simple case folding.
func foldEq(a, b rune) bool {
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		return a == b
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

// Escape quotes s so that it matches only itself as a wildcard pattern (for
// callers such as KQL that unescape values before building a pattern).
func Escape(s string) string {
	if !strings.ContainsAny(s, `*?\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
