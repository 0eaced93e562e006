// Package lucene owns ES|QL RLIKE pattern matching: a hand-written parser for
// Lucene's RegExp syntax (the dialect RLIKE uses, not Java's or Go's) that
// compiles to Go's linear-time RE2 engine, anchored at both ends.
//
// ES|QL builds RLIKE automata with RegExp.ALL | RegExp.DEPRECATED_COMPLEMENT
// (esql-core RLikePattern.doCreateAutomaton), so every optional operator is
// on: `&` intersection, `~` complement, `#` empty language, `@` any string,
// `<n-m>` numeric interval and `<name>` named automata (which ES|QL cannot
// resolve, so they are rejected). The grammar and escape rules follow
// Lucene 10's RegExp parser, read from its source for behaviour only.
package lucene

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Error is a pattern syntax error at a 1-based line:col (col counts code points).
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

type op uint8

const (
	opChar      op = iota // r
	opString              // s (may be empty: the empty string)
	opClass               // ranges (pairs lo,hi), neg
	opAny                 // .
	opAnyString           // @
	opEmptyLang           // #
	opInterval            // min, max, digits
	opConcat              // subs
	opUnion               // subs
	opInter               // subs
	opCompl               // subs[0]
	opRepeat              // subs[0], min, max (-1 = unbounded)
)

type node struct {
	op               op
	subs             []*node
	r                rune
	s                string
	ranges           []rune
	neg              bool
	min, max, digits int
}

type parser struct {
	rs  []rune
	pos int
	ci  bool
}

func (p *parser) errf(pos int, format string, args ...any) error {
	return &Error{Line: 1, Col: pos + 1, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) more() bool { return p.pos < len(p.rs) }

func (p *parser) peek(set string) bool {
	return p.more() && strings.ContainsRune(set, p.rs[p.pos])
}

func (p *parser) match(c rune) bool {
	if p.more() && p.rs[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *parser) next() (rune, error) {
	if !p.more() {
		return 0, p.errf(p.pos, "unexpected end-of-string")
	}
	p.pos++
	return p.rs[p.pos-1], nil
}

// parse parses a whole pattern; the empty pattern is the empty string.
func parse(pattern string, ci bool) (*node, error) {
	p := &parser{rs: []rune(pattern), ci: ci}
	if len(p.rs) == 0 {
		return &node{op: opString}, nil
	}
	n, err := p.parseUnion()
	if err != nil {
		return nil, err
	}
	if p.more() {
		return nil, p.errf(p.pos, "end-of-string expected at position %d", p.pos)
	}
	return n, nil
}

func (p *parser) parseUnion() (*node, error) {
	n, err := p.parseInter()
	if err != nil {
		return nil, err
	}
	for p.match('|') {
		m, err := p.parseInter()
		if err != nil {
			return nil, err
		}
		n = binary(opUnion, n, m)
	}
	return n, nil
}

func (p *parser) parseInter() (*node, error) {
	n, err := p.parseConcat()
	if err != nil {
		return nil, err
	}
	for p.match('&') {
		m, err := p.parseConcat()
		if err != nil {
			return nil, err
		}
		n = binary(opInter, n, m)
	}
	return n, nil
}

func binary(o op, a, b *node) *node {
	if a.op == o {
		a.subs = append(a.subs, b)
		return a
	}
	return &node{op: o, subs: []*node{a, b}}
}

func (p *parser) parseConcat() (*node, error) {
	n, err := p.parseRepeat()
	if err != nil {
		return nil, err
	}
	// Like Lucene, a concatenation stops before `)`, `|` and `&` only; any
	// other character (even a leading `*`) starts another operand.
	for p.more() && !p.peek(")|&") {
		m, err := p.parseRepeat()
		if err != nil {
			return nil, err
		}
		n = binary(opConcat, n, m)
	}
	return n, nil
}

func (p *parser) parseRepeat() (*node, error) {
	n, err := p.parseCompl()
	if err != nil {
		return nil, err
	}
	for p.peek("?*+{") {
		switch {
		case p.match('?'):
			n = &node{op: opRepeat, subs: []*node{n}, min: 0, max: 1}
		case p.match('*'):
			n = &node{op: opRepeat, subs: []*node{n}, min: 0, max: -1}
		case p.match('+'):
			n = &node{op: opRepeat, subs: []*node{n}, min: 1, max: -1}
		case p.match('{'):
			lo, ok, err := p.number()
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, p.errf(p.pos, "integer expected at position %d", p.pos)
			}
			hi := lo
			if p.match(',') {
				if hi, ok, err = p.number(); err != nil {
					return nil, err
				} else if !ok {
					hi = -1
				}
			}
			if !p.match('}') {
				return nil, p.errf(p.pos, "expected '}' at position %d", p.pos)
			}
			if hi != -1 && lo > hi {
				return nil, p.errf(p.pos-1, "invalid repetition range(out of order): %d..%d", lo, hi)
			}
			n = &node{op: opRepeat, subs: []*node{n}, min: lo, max: hi}
		}
	}
	return n, nil
}

// number reads decimal digits as a Java int.
func (p *parser) number() (int, bool, error) {
	start := p.pos
	for p.peek("0123456789") {
		p.pos++
	}
	if start == p.pos {
		return 0, false, nil
	}
	v, err := strconv.Atoi(string(p.rs[start:p.pos]))
	if err != nil || v > math.MaxInt32 {
		return 0, false, p.errf(start, "number out of range at position %d", start)
	}
	return v, true, nil
}

func (p *parser) parseCompl() (*node, error) {
	if p.match('~') {
		n, err := p.parseCompl()
		if err != nil {
			return nil, err
		}
		return &node{op: opCompl, subs: []*node{n}}, nil
	}
	return p.parseCharClassExp()
}

func (p *parser) parseCharClassExp() (*node, error) {
	if !p.match('[') {
		return p.parseSimple()
	}
	neg := p.match('^')
	var ranges []rune
	for {
		if p.match('\\') {
			if p.peek(letters + `\`) {
				r, err := p.predefined()
				if err != nil {
					return nil, err
				}
				ranges = append(ranges, r...)
			} else {
				// An escaped non-letter is taken as is (no range, no case folding).
				c, err := p.next()
				if err != nil {
					return nil, err
				}
				ranges = append(ranges, c, c)
			}
		} else {
			at := p.pos
			c, err := p.charExp()
			if err != nil {
				return nil, err
			}
			switch {
			case p.match('-'):
				d, err := p.charExp()
				if err != nil {
					return nil, err
				}
				if c > d {
					return nil, p.errf(at, "invalid range: from (%d) cannot be > to (%d)", c, d)
				}
				ranges = append(ranges, c, d)
			case p.ci:
				for _, f := range foldOrbit(c) {
					ranges = append(ranges, f, f)
				}
			default:
				ranges = append(ranges, c, c)
			}
		}
		if !p.more() || p.peek("]") {
			break
		}
	}
	if !p.match(']') {
		return nil, p.errf(p.pos, "expected ']' at position %d", p.pos)
	}
	return &node{op: opClass, ranges: ranges, neg: neg}, nil
}

const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// predefined expands the class after a backslash: \\ \d \D \s \S \w \W. Any
// other letter is an error, as in Java's Pattern and Lucene 10.
func (p *parser) predefined() ([]rune, error) {
	at := p.pos
	c, err := p.next()
	if err != nil {
		return nil, err
	}
	switch c {
	case '\\':
		return []rune{'\\', '\\'}, nil
	case 'd':
		return []rune{'0', '9'}, nil
	case 'D':
		return []rune{0, '0' - 1, '9' + 1, unicode.MaxRune}, nil
	case 's':
		return []rune{'\t', '\n', '\r', '\r', ' ', ' '}, nil
	case 'S':
		return []rune{0, '\t' - 1, '\n' + 1, '\r' - 1, '\r' + 1, ' ' - 1, ' ' + 1, unicode.MaxRune}, nil
	case 'w':
		return []rune{'0', '9', 'A', 'Z', '_', '_', 'a', 'z'}, nil
	case 'W':
		return []rune{0, '0' - 1, '9' + 1, 'A' - 1, 'Z' + 1, '_' - 1, '_' + 1, 'a' - 1, 'z' + 1, unicode.MaxRune}, nil
	}
	return nil, p.errf(at-1, "invalid character class \\%c", c)
}

// charExp reads one character, optionally escaped.
func (p *parser) charExp() (rune, error) {
	p.match('\\')
	return p.next()
}

func (p *parser) parseSimple() (*node, error) {
	start := p.pos
	switch {
	case p.match('.'):
		return &node{op: opAny}, nil
	case p.match('#'):
		return &node{op: opEmptyLang}, nil
	case p.match('@'):
		return &node{op: opAnyString}, nil
	case p.match('"'):
		from := p.pos
		for p.more() && !p.peek(`"`) {
			p.pos++
		}
		if !p.match('"') {
			return nil, p.errf(p.pos, "expected '\"' at position %d", p.pos)
		}
		return &node{op: opString, s: string(p.rs[from : p.pos-1])}, nil
	case p.match('('):
		if p.match(')') {
			return &node{op: opString}, nil
		}
		n, err := p.parseUnion()
		if err != nil {
			return nil, err
		}
		if !p.match(')') {
			return nil, p.errf(p.pos, "expected ')' at position %d", p.pos)
		}
		return n, nil
	case p.match('<'):
		from := p.pos
		for p.more() && !p.peek(">") {
			p.pos++
		}
		if !p.match('>') {
			return nil, p.errf(p.pos, "expected '>' at position %d", p.pos)
		}
		return p.interval(string(p.rs[from:p.pos-1]), start)
	case p.match('\\'):
		if p.peek(letters + `\`) {
			r, err := p.predefined()
			if err != nil {
				return nil, err
			}
			if len(r) == 2 && r[0] == r[1] {
				return &node{op: opChar, r: r[0]}, nil
			}
			return &node{op: opClass, ranges: r}, nil
		}
		c, err := p.charExp() // the backslash is consumed; a second one is allowed
		if err != nil {
			return nil, err
		}
		return &node{op: opChar, r: c}, nil
	}
	c, err := p.next()
	if err != nil {
		return nil, err
	}
	return &node{op: opChar, r: c}, nil
}

// interval parses the body of <n-m>; one without a dash names an automaton,
// which ES|QL has no provider for.
func (p *parser) interval(s string, at int) (*node, error) {
	i := strings.IndexByte(s, '-')
	if i < 0 {
		return nil, p.errf(at, "named automaton <%s> is not supported", s)
	}
	bad := func() error { return p.errf(p.pos-1, "interval syntax error at position %d", p.pos-1) }
	if i == 0 || i == len(s)-1 || i != strings.LastIndexByte(s, '-') {
		return nil, bad()
	}
	smin, smax := s[:i], s[i+1:]
	lo, err1 := strconv.ParseInt(smin, 10, 32)
	hi, err2 := strconv.ParseInt(smax, 10, 32)
	if err1 != nil || err2 != nil || lo < 0 || hi < 0 {
		return nil, bad()
	}
	digits := 0
	if len(smin) == len(smax) {
		digits = len(smin)
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	return &node{op: opInterval, min: int(lo), max: int(hi), digits: digits}, nil
}

// foldOrbit returns c and every rune equal to it under simple case folding.
func foldOrbit(c rune) []rune {
	out := []rune{c}
	for f := unicode.SimpleFold(c); f != c; f = unicode.SimpleFold(f) {
		out = append(out, f)
	}
	return out
}
