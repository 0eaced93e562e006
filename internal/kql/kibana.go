package kql

import (
	"strings"
	"unicode"
)

// kbParser is a recursive-descent reading of Kibana's kuery PEG grammar
// (conformance/kql/kibana-grammar.peggy). It works on characters, as the PEG
// does: whitespace is significant around and/or, and unquoted literals may
// contain spaces. Where the PEG would backtrack, the alternatives here are
// told apart by one look-ahead, which is equivalent because the rejected
// alternative can never match the same input.
type kbParser struct {
	src   string
	pos   int
	depth int
}

func kbSpace(r byte) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' }

// spaceLen returns the length of one Kibana Space at i (NBSP is two bytes).
func (p *kbParser) spaceLen(i int) int {
	if i >= len(p.src) {
		return 0
	}
	if kbSpace(p.src[i]) {
		return 1
	}
	if strings.HasPrefix(p.src[i:], "\u00a0") {
		return 2
	}
	return 0
}

func (p *kbParser) spacesFrom(i int) int {
	j := i
	for {
		n := p.spaceLen(j)
		if n == 0 {
			return j - i
		}
		j += n
	}
}

func (p *kbParser) skipSpaces() { p.pos += p.spacesFrom(p.pos) }

func asciiFold(s, kw string) bool {
	if len(s) < len(kw) {
		return false
	}
	for i := 0; i < len(kw); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != kw[i] {
			return false
		}
	}
	return true
}

// binOp matches `Space+ kw Space+` at i and returns its length.
func (p *kbParser) binOp(i int, kw string) int {
	s := p.spacesFrom(i)
	if s == 0 || !asciiFold(p.src[i+s:], kw) {
		return 0
	}
	t := p.spacesFrom(i + s + len(kw))
	if t == 0 {
		return 0
	}
	return s + len(kw) + t
}

// notOp matches `'not'i Space+` at i.
func (p *kbParser) notOp(i int) int {
	if !asciiFold(p.src[i:], "not") {
		return 0
	}
	t := p.spacesFrom(i + 3)
	if t == 0 {
		return 0
	}
	return 3 + t
}

// keywordAt is the grammar's Keyword look-ahead that ends an unquoted literal.
func (p *kbParser) keywordAt(i int) bool {
	if n := p.spaceLen(i); n > 0 {
		for _, kw := range [...]string{"or", "and"} {
			if asciiFold(p.src[i+n:], kw) && p.spaceLen(i+n+len(kw)) > 0 {
				return true
			}
		}
		return false
	}
	return asciiFold(p.src[i:], "not") && p.spaceLen(i+3) > 0
}

func (p *kbParser) err(off int, format string, args ...any) error {
	return errAt(p.src, off, format, args...)
}

func (p *kbParser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.err(p.pos, "query nested too deeply")
	}
	return nil
}

func (p *kbParser) parse() (Node, error) {
	p.skipSpaces()
	if p.pos == len(p.src) {
		return &MatchAll{P: posAt(p.src, 0)}, nil
	}
	n, err := p.orQuery()
	if err != nil {
		return nil, err
	}
	p.skipSpaces()
	if p.pos < len(p.src) {
		return nil, p.err(p.pos, "expected and, or or end of input but found %s", describe(p.src, p.pos))
	}
	return n, nil
}

func (p *kbParser) orQuery() (Node, error) {
	return p.boolChain(OpOr, "or", p.andQuery)
}

func (p *kbParser) andQuery() (Node, error) {
	return p.boolChain(OpAnd, "and", p.notQuery)
}

// boolChain parses `sub (op sub)*` into a flat Bool.
func (p *kbParser) boolChain(op BoolOp, kw string, sub func() (Node, error)) (Node, error) {
	start := p.pos
	head, err := sub()
	if err != nil {
		return nil, err
	}
	var kids []Node
	for {
		n := p.binOp(p.pos, kw)
		if n == 0 {
			break
		}
		p.pos += n
		c, err := sub()
		if err != nil {
			return nil, err
		}
		if kids == nil {
			kids = []Node{head}
		}
		kids = append(kids, c)
	}
	if kids == nil {
		return head, nil
	}
	return &Bool{P: posAt(p.src, start), Op: op, Children: kids}, nil
}

func (p *kbParser) notQuery() (Node, error) {
	if n := p.notOp(p.pos); n > 0 {
		start := p.pos
		p.pos += n
		if err := p.enter(); err != nil {
			return nil, err
		}
		c, err := p.subQuery()
		p.depth--
		if err != nil {
			return nil, err
		}
		return &Not{P: posAt(p.src, start), Child: c}, nil
	}
	return p.subQuery()
}

func (p *kbParser) expect(c byte) error {
	if p.pos < len(p.src) && p.src[p.pos] == c {
		p.pos++
		return nil
	}
	return p.err(p.pos, "expected %q but found %s", c, describe(p.src, p.pos))
}

func (p *kbParser) subQuery() (Node, error) {
	if p.pos < len(p.src) && p.src[p.pos] == '(' {
		p.pos++
		if err := p.enter(); err != nil {
			return nil, err
		}
		p.skipSpaces()
		q, err := p.orQuery()
		if err != nil {
			return nil, err
		}
		p.skipSpaces()
		if err := p.expect(')'); err != nil {
			return nil, err
		}
		p.depth--
		return q, nil
	}
	return p.expression()
}

func (p *kbParser) rangeOp() (RangeOp, int) {
	s := p.src[p.pos:]
	switch {
	case strings.HasPrefix(s, "<="):
		return OpLTE, 2
	case strings.HasPrefix(s, ">="):
		return OpGTE, 2
	case strings.HasPrefix(s, "<"):
		return OpLT, 1
	case strings.HasPrefix(s, ">"):
		return OpGT, 1
	}
	return 0, 0
}

// expression covers NestedQuery, FieldRangeExpression, FieldValueExpression
// and ValueExpression, which all start with a literal.
func (p *kbParser) expression() (Node, error) {
	start := p.pos
	lit, err := p.literal()
	if err != nil {
		return nil, err
	}
	after := p.pos
	p.skipSpaces()
	pos := posAt(p.src, start)
	if p.pos < len(p.src) && p.src[p.pos] == ':' {
		field := fieldFromValue(lit)
		p.pos++
		p.skipSpaces()
		if p.pos < len(p.src) && p.src[p.pos] == '{' {
			p.pos++
			if err := p.enter(); err != nil {
				return nil, err
			}
			p.skipSpaces()
			q, err := p.orQuery()
			if err != nil {
				return nil, err
			}
			p.skipSpaces()
			if err := p.expect('}'); err != nil {
				return nil, err
			}
			p.depth--
			return &Nested{P: pos, Path: field, Query: q}, nil
		}
		return p.listOfValues(field, pos)
	}
	if op, n := p.rangeOp(); n > 0 {
		p.pos += n
		p.skipSpaces()
		v, err := p.literal()
		if err != nil {
			return nil, err
		}
		return &Range{P: pos, Field: fieldFromValue(lit), Op: op, Value: v}, nil
	}
	p.pos = after
	if lit.IsStar() {
		return &MatchAll{P: pos}, nil
	}
	return &Match{P: pos, Value: lit}, nil
}

func (p *kbParser) listOfValues(field FieldRef, fpos Pos) (Node, error) {
	if p.pos < len(p.src) && p.src[p.pos] == '(' {
		p.pos++
		if err := p.enter(); err != nil {
			return nil, err
		}
		p.skipSpaces()
		n, err := p.orList(field, fpos)
		if err != nil {
			return nil, err
		}
		p.skipSpaces()
		if err := p.expect(')'); err != nil {
			return nil, err
		}
		p.depth--
		return n, nil
	}
	start := p.pos
	v, err := p.literal()
	if err != nil {
		return nil, err
	}
	return valueNode(field, v, posAt(p.src, start)), nil
}

// valueNode builds the node for `field:value`: `*` means exists (or match
// all when the field is `*` too).
func valueNode(field FieldRef, v Value, pos Pos) Node {
	if v.IsStar() {
		if field.Name == "*" && !field.Quoted { // `\*:*` too
			return &MatchAll{P: pos}
		}
		return &Exists{P: pos, Field: field}
	}
	return &Match{P: pos, HasField: true, Field: field, Value: v}
}

func (p *kbParser) orList(field FieldRef, fpos Pos) (Node, error) {
	return p.boolChain(OpOr, "or", func() (Node, error) { return p.andList(field, fpos) })
}

func (p *kbParser) andList(field FieldRef, fpos Pos) (Node, error) {
	return p.boolChain(OpAnd, "and", func() (Node, error) { return p.notList(field, fpos) })
}

func (p *kbParser) notList(field FieldRef, fpos Pos) (Node, error) {
	if n := p.notOp(p.pos); n > 0 {
		start := p.pos
		p.pos += n
		if err := p.enter(); err != nil {
			return nil, err
		}
		c, err := p.listOfValues(field, fpos)
		p.depth--
		if err != nil {
			return nil, err
		}
		return &Not{P: posAt(p.src, start), Child: c}, nil
	}
	return p.listOfValues(field, fpos)
}

// literal reads a QuotedString or an UnquotedLiteral.
func (p *kbParser) literal() (Value, error) {
	if p.pos < len(p.src) && p.src[p.pos] == '"' {
		s, end, err := scanQuoted(p.src, p.pos)
		if err != nil {
			return Value{}, err
		}
		p.pos = end
		return Value{Text: s, Quoted: true}, nil
	}
	start := p.pos
	var lb litBuilder
	src := p.src
	i := p.pos
	for i < len(src) {
		c := src[i]
		if c == '\\' {
			if ws, ok := escapedWhitespace(src, i); ok {
				lb.add(ws, false)
				i += 2
				continue
			}
			if i+1 < len(src) && isSpecial(rune(src[i+1])) {
				lb.add(src[i+1:i+2], false)
				i += 2
				continue
			}
			if r, n := unicodeEscape(src, i); n > 0 {
				lb.add(string(r), false)
				i += n
				continue
			}
			if kw, n := escapedKeyword(src, i); n > 0 {
				lb.add(kw, false)
				i += n
				continue
			}
			break
		}
		if c == '*' {
			lb.add("*", true)
			i++
			continue
		}
		if isSpecial(rune(c)) || p.keywordAt(i) {
			break
		}
		_, size := decodeRune(src, i)
		lb.add(src[i:i+size], false)
		i += size
	}
	if i == start {
		return Value{}, p.err(start, "expected a value but found %s", describe(src, start))
	}
	p.pos = i
	return trimValue(lb.value(false)), nil
}

// trimValue applies Kibana's `.trim()` to an unquoted literal.
func trimValue(v Value) Value {
	isWS := func(r rune) bool { return unicode.IsSpace(r) || r == '\ufeff' || r == '\u3000' }
	t := strings.TrimLeftFunc(v.Text, isWS)
	lo := len(v.Text) - len(t)
	t = strings.TrimRightFunc(t, isWS)
	hi := lo + len(t)
	if v.Wild != nil {
		w := v.Wild[lo:hi]
		v.Wild = nil
		for _, b := range w {
			if b {
				v.Wild = w
				break
			}
		}
	}
	v.Text = t
	return v
}
