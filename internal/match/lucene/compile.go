package lucene

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Matcher is a compiled Lucene regular expression; immutable and safe for
// concurrent use.
type Matcher struct {
	pattern string
	root    matcher
}

// matcher is one node of the compiled form. Intersection and complement have
// no RE2 equivalent: above every concatenation and repetition they are
// boolean combinations of whole-string matchers; deeper down the subtree is
// compiled to a DFA (dfa.go).
type matcher interface{ match(s string) bool }

type reMatcher struct{ re *regexp.Regexp }
type exactMatcher struct{ lit string }
type prefixMatcher struct{ lit string }
type suffixMatcher struct{ lit string }
type containsMatcher struct{ lit string }
type allMatcher struct{}
type noneMatcher struct{}
type orMatcher []matcher
type andMatcher []matcher
type notMatcher struct{ m matcher }

func (m reMatcher) match(s string) bool       { return m.re.MatchString(s) }
func (m exactMatcher) match(s string) bool    { return s == m.lit }
func (m prefixMatcher) match(s string) bool   { return strings.HasPrefix(s, m.lit) }
func (m suffixMatcher) match(s string) bool   { return strings.HasSuffix(s, m.lit) }
func (m containsMatcher) match(s string) bool { return strings.Contains(s, m.lit) }
func (allMatcher) match(string) bool          { return true }
func (noneMatcher) match(string) bool         { return false }
func (m notMatcher) match(s string) bool      { return !m.m.match(s) }
func (m orMatcher) match(s string) bool {
	for _, x := range m {
		if x.match(s) {
			return true
		}
	}
	return false
}
func (m andMatcher) match(s string) bool {
	for _, x := range m {
		if !x.match(s) {
			return false
		}
	}
	return true
}

// Compile parses a Lucene RegExp pattern; the whole input must match it.
// caseInsensitive folds single characters and quoted strings (not ranges),
// as Lucene's CASE_INSENSITIVE flag does.
func Compile(pattern string, caseInsensitive bool) (*Matcher, error) {
	n, err := parse(pattern, caseInsensitive)
	if err != nil {
		return nil, err
	}
	c := &compiler{ci: caseInsensitive}
	root, err := c.build(n)
	if err != nil {
		return nil, err
	}
	return &Matcher{pattern: pattern, root: root}, nil
}

// Pattern returns the source pattern.
func (m *Matcher) Pattern() string { return m.pattern }

// Match reports whether the whole of s matches.
func (m *Matcher) Match(s string) bool { return m.root.match(s) }

type compiler struct{ ci bool }

func hasBool(n *node) bool {
	if n.op == opInter || n.op == opCompl {
		return true
	}
	for _, s := range n.subs {
		if hasBool(s) {
			return true
		}
	}
	return false
}

func (c *compiler) build(n *node) (matcher, error) {
	if !hasBool(n) {
		return c.leaf(n)
	}
	switch n.op {
	case opUnion, opInter:
		ms := make([]matcher, len(n.subs))
		for i, s := range n.subs {
			m, err := c.build(s)
			if err != nil {
				return nil, err
			}
			ms[i] = m
		}
		if n.op == opUnion {
			return orMatcher(ms), nil
		}
		return andMatcher(ms), nil
	case opCompl:
		m, err := c.build(n.subs[0])
		if err != nil {
			return nil, err
		}
		return notMatcher{m}, nil
	}
	// & or ~ below a concatenation or repetition: build a DFA.
	return buildDFA(n, c.ci)
}

// leaf compiles an expression free of & and ~: a literal fast path when the
// shape allows, RE2 otherwise.
func (c *compiler) leaf(n *node) (matcher, error) {
	if m := c.fast(n); m != nil {
		return m, nil
	}
	var b strings.Builder
	b.WriteString(`^(?:`)
	c.emit(&b, n)
	b.WriteString(`)$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, &Error{Line: 1, Col: 1, Msg: "pattern too complex: " + err.Error()}
	}
	return reMatcher{re}, nil
}

// fast recognises lit, lit.*, .*lit, .*lit*, .* and # (case-sensitive only).
func (c *compiler) fast(n *node) matcher {
	if n.op == opEmptyLang {
		return noneMatcher{}
	}
	if c.ci {
		return nil
	}
	parts := []*node{n}
	if n.op == opConcat {
		parts = n.subs
	}
	isStar := func(x *node) bool {
		return x.op == opAnyString || (x.op == opRepeat && x.min == 0 && x.max == -1 && x.subs[0].op == opAny)
	}
	lead, trail := false, false
	if len(parts) > 0 && isStar(parts[0]) {
		lead, parts = true, parts[1:]
	}
	if len(parts) > 0 && isStar(parts[len(parts)-1]) {
		trail, parts = true, parts[:len(parts)-1]
	}
	var lit strings.Builder
	for _, p := range parts {
		switch p.op {
		case opChar:
			lit.WriteRune(p.r)
		case opString:
			lit.WriteString(p.s)
		default:
			return nil
		}
	}
	s := lit.String()
	switch {
	case (lead || trail) && s == "":
		return allMatcher{}
	case lead && trail:
		return containsMatcher{s}
	case lead:
		return suffixMatcher{s}
	case trail:
		return prefixMatcher{s}
	}
	return exactMatcher{s}
}

func (c *compiler) emitRune(b *strings.Builder, r rune) {
	if c.ci {
		if o := foldOrbit(r); len(o) > 1 {
			b.WriteByte('[')
			for _, f := range o {
				writeClassRune(b, f)
			}
			b.WriteByte(']')
			return
		}
	}
	b.WriteString(regexp.QuoteMeta(string(r)))
}

func writeClassRune(b *strings.Builder, r rune) {
	fmt.Fprintf(b, `\x{%x}`, r)
}

func (c *compiler) emit(b *strings.Builder, n *node) {
	switch n.op {
	case opChar:
		c.emitRune(b, n.r)
	case opString:
		b.WriteString(`(?:`)
		for _, r := range n.s {
			c.emitRune(b, r)
		}
		b.WriteString(`)`)
	case opClass:
		b.WriteByte('[')
		if n.neg {
			b.WriteByte('^')
		}
		for i := 0; i+1 < len(n.ranges); i += 2 {
			writeClassRune(b, n.ranges[i])
			if n.ranges[i+1] != n.ranges[i] {
				b.WriteByte('-')
				writeClassRune(b, n.ranges[i+1])
			}
		}
		b.WriteByte(']')
	case opAny:
		b.WriteString(`(?s:.)`)
	case opAnyString:
		b.WriteString(`(?s:.*)`)
	case opEmptyLang:
		b.WriteString(`[^\x{0}-\x{10ffff}]`)
	case opInterval:
		b.WriteString(`(?:`)
		b.WriteString(intervalRegex(n.min, n.max, n.digits))
		b.WriteString(`)`)
	case opConcat:
		for _, s := range n.subs {
			b.WriteString(`(?:`)
			c.emit(b, s)
			b.WriteString(`)`)
		}
	case opUnion:
		b.WriteString(`(?:`)
		for i, s := range n.subs {
			if i > 0 {
				b.WriteByte('|')
			}
			c.emit(b, s)
		}
		b.WriteString(`)`)
	case opRepeat:
		b.WriteString(`(?:`)
		c.emit(b, n.subs[0])
		b.WriteString(`)`)
		switch {
		case n.min == 0 && n.max == -1:
			b.WriteByte('*')
		case n.min == 1 && n.max == -1:
			b.WriteByte('+')
		case n.min == 0 && n.max == 1:
			b.WriteByte('?')
		case n.max == -1:
			fmt.Fprintf(b, `{%d,}`, n.min)
		default:
			fmt.Fprintf(b, `{%d,%d}`, n.min, n.max)
		}
	}
}

// intervalRegex matches the decimal numbers in [lo, hi]. With digits > 0 the
// numbers are written with exactly that many digits (zero-padded); otherwise
// any number of leading zeros is accepted (Lucene Automata.makeDecimalInterval).
func intervalRegex(lo, hi, digits int) string {
	if digits > 0 {
		return fixedRange(pad(lo, digits), pad(hi, digits))
	}
	var alts []string
	for l := len(strconv.Itoa(lo)); l <= len(strconv.Itoa(hi)); l++ {
		from, to := lo, hi
		if p := pow10(l - 1); l > 1 && from < p {
			from = p
		}
		if p := pow10(l) - 1; to > p {
			to = p
		}
		if from > to {
			continue
		}
		alts = append(alts, fixedRange(pad(from, l), pad(to, l)))
	}
	return `0*(?:` + strings.Join(alts, "|") + `)`
}

func pow10(n int) int {
	p := 1
	for ; n > 0; n-- {
		p *= 10
	}
	return p
}

func pad(v, width int) string {
	s := strconv.Itoa(v)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}

// fixedRange matches the digit strings of len(lo) between lo and hi inclusive.
func fixedRange(lo, hi string) string {
	if lo == "" {
		return ""
	}
	if lo[0] == hi[0] {
		return lo[:1] + fixedRange(lo[1:], hi[1:])
	}
	rest := len(lo) - 1
	nines, zeros := strings.Repeat("9", rest), strings.Repeat("0", rest)
	var alts []string
	if lo[1:] == zeros && hi[1:] == nines {
		return digitClass(lo[0], hi[0]) + anyDigits(rest)
	}
	lowFirst, highLast := lo[0], hi[0]
	if lo[1:] != zeros {
		alts = append(alts, lo[:1]+fixedRange(lo[1:], nines))
		lowFirst++
	}
	if hi[1:] != nines {
		highLast--
	}
	if lowFirst <= highLast {
		alts = append(alts, digitClass(lowFirst, highLast)+anyDigits(rest))
	}
	if hi[1:] != nines {
		alts = append(alts, hi[:1]+fixedRange(zeros, hi[1:]))
	}
	return `(?:` + strings.Join(alts, "|") + `)`
}

func digitClass(a, b byte) string {
	if a == b {
		return string(a)
	}
	return "[" + string(a) + "-" + string(b) + "]"
}

func anyDigits(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return "[0-9]"
	}
	return "[0-9]{" + strconv.Itoa(n) + "}"
}
