package kql

import (
	"strings"
)

// esParser is a recursive-descent reading of Elasticsearch's KqlBase.g4
// (conformance/kql/elasticsearch-KqlBase.g4) plus the value lists that
// Elasticsearch 9.1.4+/9.2 accept after a field (elastic/elasticsearch#133737).
// Unlike Kibana's, this grammar is token based: whitespace only separates
// tokens, and and/or have equal precedence, grouping to the right.
type esParser struct {
	src   string
	toks  []token
	i     int
	depth int
}

type tokKind uint8

const (
	tEOF tokKind = iota
	tAND
	tOR
	tNOT
	tCOLON
	tLT
	tLTE
	tGT
	tGTE
	tLPAREN
	tRPAREN
	tLBRACE
	tRBRACE
	tLIT
	tQUOTED
	tSTAR
)

var tokNames = [...]string{
	tEOF: "end of input", tAND: "and", tOR: "or", tNOT: "not", tCOLON: "':'",
	tLT: "'<'", tLTE: "'<='", tGT: "'>'", tGTE: "'>='", tLPAREN: "'('", tRPAREN: "')'",
	tLBRACE: "'{'", tRBRACE: "'}'", tLIT: "a value", tQUOTED: "a quoted string", tSTAR: "'*'",
}

type token struct {
	kind       tokKind
	start, end int
	val        Value
}

func esSpace(src string, i int) int {
	switch src[i] {
	case ' ', '\t', '\n', '\r':
		return 1
	}
	if strings.HasPrefix(src[i:], "\u3000") {
		return 3
	}
	return 0
}

// esSpecial is NON_SPECIAL_CHAR's complement (besides whitespace).
func esSpecial(c byte) bool {
	switch c {
	case '\\', '(', ')', ':', '<', '>', '"', '*', '{', '}':
		return true
	}
	return false
}

func lexES(src string) ([]token, error) {
	var toks []token
	i := 0
	for {
		for i < len(src) && esSpace(src, i) > 0 {
			i += esSpace(src, i)
		}
		if i >= len(src) {
			return append(toks, token{kind: tEOF, start: i, end: i}), nil
		}
		start := i
		c := src[i]
		single := tEOF
		switch c {
		case ':':
			single = tCOLON
		case '(':
			single = tLPAREN
		case ')':
			single = tRPAREN
		case '{':
			single = tLBRACE
		case '}':
			single = tRBRACE
		case '<', '>':
			k := tLT
			if c == '>' {
				k = tGT
			}
			if i+1 < len(src) && src[i+1] == '=' {
				toks = append(toks, token{kind: k + 1, start: i, end: i + 2})
				i += 2
				continue
			}
			single = k
		case '"':
			s, end, err := scanQuoted(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tQUOTED, start: i, end: end, val: Value{Text: s, Quoted: true}})
			i = end
			continue
		}
		if single != tEOF {
			toks = append(toks, token{kind: single, start: i, end: i + 1})
			i++
			continue
		}
		// UNQUOTED_LITERAL or WILDCARD.
		var lb litBuilder
		escaped, stars, other := false, 0, 0
		for i < len(src) && esSpace(src, i) == 0 {
			c := src[i]
			if c == '*' {
				lb.add("*", true)
				stars++
				i++
				continue
			}
			if c == '\\' {
				if kw, n := escapedKeyword(src, i); n > 0 {
					lb.add(kw, false)
					i += n
				} else if ws, ok := escapedWhitespace(src, i); ok {
					lb.add(ws, false)
					i += 2
				} else if i+1 < len(src) && esSpecial(src[i+1]) {
					lb.add(src[i+1:i+2], false)
					i += 2
				} else if i+1 < len(src) && src[i+1] == ' ' {
					lb.add(`\ `, false) // lexed as an escape, but unescaping keeps it verbatim
					i += 2
				} else if r, n := unicodeEscape(src, i); n > 0 {
					lb.add(string(r), false)
					i += n
				} else {
					return nil, errAt(src, i, "invalid escape sequence")
				}
				escaped = true
				other++
				continue
			}
			if esSpecial(c) {
				break
			}
			_, size := decodeRune(src, i)
			lb.add(src[i:i+size], false)
			other++
			i += size
		}
		if i == start {
			return nil, errAt(src, i, "unexpected character %s", describe(src, i))
		}
		kind := tLIT
		raw := src[start:i]
		// Elasticsearch decides "has a wildcard" per token: a `*` before any
		// backslash (ParserUtils.hasWildcard); the unescaped text then
		// treats every `*` as a wildcard, escaped or not.
		star, bs := strings.IndexByte(raw, '*'), strings.IndexByte(raw, '\\')
		wild := star >= 0 && (bs < 0 || star < bs)
		switch {
		case other == 0 && stars == 1:
			kind = tSTAR
		case !escaped && stars == 0 && strings.EqualFold(raw, "and"):
			kind = tAND
		case !escaped && stars == 0 && strings.EqualFold(raw, "or"):
			kind = tOR
		case !escaped && stars == 0 && strings.EqualFold(raw, "not"):
			kind = tNOT
		}
		val := lb.value(false)
		val.Wild = nil
		if wild {
			val.Wild = starMarks(val.Text)
		}
		toks = append(toks, token{kind: kind, start: start, end: i, val: val})
	}
}

func (p *esParser) peek(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *esParser) errTok(t token, format string, args ...any) error {
	return errAt(p.src, t.start, format, args...)
}

func (p *esParser) unexpected(t token, want string) error {
	return p.errTok(t, "expected %s but found %s", want, tokNames[t.kind])
}

func (p *esParser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errTok(p.peek(0), "query nested too deeply")
	}
	return nil
}

func (p *esParser) pos(t token) Pos { return posAt(p.src, t.start) }

func (p *esParser) parse() (Node, error) {
	toks, err := lexES(p.src)
	if err != nil {
		return nil, err
	}
	p.toks = toks
	if p.peek(0).kind == tEOF {
		return &MatchAll{P: posAt(p.src, 0)}, nil
	}
	n, err := p.query(false)
	if err != nil {
		return nil, err
	}
	if t := p.peek(0); t.kind != tEOF {
		return nil, p.unexpected(t, "and, or or end of input")
	}
	return n, nil
}

// mkBool joins two clauses, flattening same-operator children (the query
// Elasticsearch builds flattens them too).
func mkBool(pos Pos, op BoolOp, l, r Node) Node {
	b := &Bool{P: pos, Op: op}
	for _, c := range [...]Node{l, r} {
		if cb, ok := c.(*Bool); ok && cb.Op == op {
			b.Children = append(b.Children, cb.Children...)
		} else {
			b.Children = append(b.Children, c)
		}
	}
	return b
}

// query is `simple ((and|or) query)?`: equal precedence, right associative.
func (p *esParser) query(nested bool) (Node, error) {
	first := p.peek(0)
	l, err := p.simple(nested)
	if err != nil {
		return nil, err
	}
	t := p.peek(0)
	if t.kind != tAND && t.kind != tOR {
		return l, nil
	}
	p.i++
	if err := p.enter(); err != nil {
		return nil, err
	}
	r, err := p.query(nested)
	p.depth--
	if err != nil {
		return nil, err
	}
	op := OpAnd
	if t.kind == tOR {
		op = OpOr
	}
	return mkBool(p.pos(first), op, l, r), nil
}

// valueEnd reports tokens that close a value: nothing can follow a dangling
// keyword there except the end of the enclosing group.
func valueEnd(k tokKind) bool { return k == tEOF || k == tRPAREN || k == tRBRACE }

func isWordTok(k tokKind) bool { return k == tLIT || k == tSTAR }

func isKeywordTok(k tokKind) bool { return k == tAND || k == tOR || k == tNOT }

func (p *esParser) simple(nested bool) (Node, error) {
	t := p.peek(0)
	switch t.kind {
	case tNOT:
		// `not` alone (or `not and`) before the end is a value, not an operator.
		if !nested && (valueEnd(p.peek(1).kind) ||
			((p.peek(1).kind == tAND || p.peek(1).kind == tOR) && valueEnd(p.peek(2).kind))) {
			return p.fieldless(nested)
		}
		p.i++
		if err := p.enter(); err != nil {
			return nil, err
		}
		c, err := p.simple(nested)
		p.depth--
		if err != nil {
			return nil, err
		}
		return &Not{P: p.pos(t), Child: c}, nil
	case tLPAREN:
		p.i++
		if err := p.enter(); err != nil {
			return nil, err
		}
		q, err := p.query(nested)
		if err != nil {
			return nil, err
		}
		if c := p.peek(0); c.kind != tRPAREN {
			return nil, p.unexpected(c, "')'")
		}
		p.i++
		p.depth--
		return q, nil
	case tSTAR:
		switch n1 := p.peek(1).kind; {
		case n1 == tCOLON:
			if p.peek(2).kind == tSTAR && !isWordTok(p.peek(3).kind) {
				p.i += 3
				return &MatchAll{P: p.pos(t)}, nil
			}
		case isWordTok(n1):
			return p.fieldless(nested) // `* foo` is one value
		case n1 >= tLT && n1 <= tGTE:
		default:
			p.i++
			return &MatchAll{P: p.pos(t)}, nil
		}
		return p.fieldOrValue(nested)
	case tLIT, tQUOTED:
		return p.fieldOrValue(nested)
	case tAND, tOR:
		return p.fieldless(nested)
	}
	return nil, p.unexpected(t, "a query")
}

func (p *esParser) fieldOrValue(nested bool) (Node, error) {
	t := p.peek(0)
	field := FieldRef{Name: t.val.Text, Quoted: t.kind == tQUOTED}
	if !field.Quoted && strings.IndexByte(field.Name, '*') >= 0 && t.val.Wild == nil {
		// Every `*` in the name was escaped: a literal name, which a quoted
		// field name expresses exactly (and prints back unambiguously).
		field.Quoted = true
	}
	next := p.peek(1)
	switch next.kind {
	case tCOLON:
		p.i += 2
		v := p.peek(0)
		switch {
		case v.kind == tSTAR && !isWordTok(p.peek(1).kind):
			p.i++
			return &Exists{P: p.pos(t), Field: field}, nil
		case v.kind == tLBRACE:
			p.i++
			if err := p.enter(); err != nil {
				return nil, err
			}
			q, err := p.query(true)
			if err != nil {
				return nil, err
			}
			if c := p.peek(0); c.kind != tRBRACE {
				return nil, p.unexpected(c, "'}'")
			}
			p.i++
			p.depth--
			return &Nested{P: p.pos(t), Path: field, Query: q}, nil
		case v.kind == tLPAREN:
			p.i++
			if err := p.enter(); err != nil {
				return nil, err
			}
			n, err := p.valueQuery(field, p.pos(t))
			if err != nil {
				return nil, err
			}
			if c := p.peek(0); c.kind != tRPAREN {
				return nil, p.unexpected(c, "')'")
			}
			p.i++
			p.depth--
			return n, nil
		}
		val, err := p.fieldQueryValue()
		if err != nil {
			return nil, err
		}
		return valueNode(field, val, p.pos(t)), nil
	case tLT, tLTE, tGT, tGTE:
		p.i += 2
		op := map[tokKind]RangeOp{tLT: OpLT, tLTE: OpLTE, tGT: OpGT, tGTE: OpGTE}[next.kind]
		val, err := p.rangeValue()
		if err != nil {
			return nil, err
		}
		return &Range{P: p.pos(t), Field: field, Op: op, Value: val}, nil
	}
	return p.fieldless(nested)
}

func (p *esParser) fieldless(nested bool) (Node, error) {
	t := p.peek(0)
	// KqlBase.g4 has no fieldless queries inside `{ }`, yet the parser
	// corpus accepts `nested_field: { NOT foo }`; Compile rejects them.
	_ = nested
	v, err := p.fieldQueryValue()
	if err != nil {
		return nil, err
	}
	if v.IsStar() {
		return &MatchAll{P: p.pos(t)}, nil
	}
	return &Match{P: p.pos(t), Value: v}, nil
}

// valueQuery parses the boolean expression of values inside `field:( … )`.
func (p *esParser) valueQuery(field FieldRef, fpos Pos) (Node, error) {
	first := p.peek(0)
	l, err := p.valueSimple(field, fpos)
	if err != nil {
		return nil, err
	}
	t := p.peek(0)
	if t.kind != tAND && t.kind != tOR {
		return l, nil
	}
	p.i++
	if err := p.enter(); err != nil {
		return nil, err
	}
	r, err := p.valueQuery(field, fpos)
	p.depth--
	if err != nil {
		return nil, err
	}
	op := OpAnd
	if t.kind == tOR {
		op = OpOr
	}
	return mkBool(p.pos(first), op, l, r), nil
}

func (p *esParser) valueSimple(field FieldRef, fpos Pos) (Node, error) {
	t := p.peek(0)
	switch t.kind {
	case tNOT:
		if valueEnd(p.peek(1).kind) {
			break
		}
		p.i++
		if err := p.enter(); err != nil {
			return nil, err
		}
		c, err := p.valueSimple(field, fpos)
		p.depth--
		if err != nil {
			return nil, err
		}
		return &Not{P: p.pos(t), Child: c}, nil
	case tLPAREN:
		p.i++
		if err := p.enter(); err != nil {
			return nil, err
		}
		n, err := p.valueQuery(field, fpos)
		if err != nil {
			return nil, err
		}
		if c := p.peek(0); c.kind != tRPAREN {
			return nil, p.unexpected(c, "')'")
		}
		p.i++
		p.depth--
		return n, nil
	}
	v, err := p.fieldQueryValue()
	if err != nil {
		return nil, err
	}
	return valueNode(field, v, p.pos(t)), nil
}

// fieldQueryValue reads the grammar's fieldQueryValue: a quoted string, or
// words (literals and `*`) with an optional keyword before and a dangling
// keyword after (elastic/elasticsearch#115632).
func (p *esParser) fieldQueryValue() (Value, error) {
	t := p.peek(0)
	if t.kind == tQUOTED {
		p.i++
		return t.val, nil
	}
	// The value's text is its tokens joined by one space
	// (ParserUtils.extractText), keywords included as written.
	var parts []string
	wild := false
	appendTok := func(tk token) {
		if tk.kind == tSTAR || tk.kind == tLIT {
			parts = append(parts, tk.val.Text)
			wild = wild || tk.val.Wild != nil
		} else {
			parts = append(parts, p.src[tk.start:tk.end])
		}
	}
	done := func() Value {
		v := Value{Text: strings.Join(parts, " ")}
		if wild {
			v.Wild = starMarks(v.Text)
		}
		return v
	}
	if isKeywordTok(t.kind) {
		n1 := p.peek(1).kind
		switch {
		case isWordTok(n1):
			appendTok(t)
			p.i++
		case valueEnd(n1):
			appendTok(t)
			p.i++
			return done(), nil
		case isKeywordTok(n1) && valueEnd(p.peek(2).kind) && t.kind != tNOT && n1 != tNOT || t.kind == tNOT && (n1 == tAND || n1 == tOR) && valueEnd(p.peek(2).kind):
			appendTok(t)
			appendTok(p.peek(1))
			p.i += 2
			return done(), nil
		default:
			return Value{}, p.unexpected(t, "a value")
		}
	}
	words := 0
	for isWordTok(p.peek(0).kind) {
		appendTok(p.peek(0))
		p.i++
		words++
	}
	if words == 0 {
		return Value{}, p.unexpected(p.peek(0), "a value")
	}
	if k := p.peek(0).kind; isKeywordTok(k) && valueEnd(p.peek(1).kind) {
		// A dangling operator belongs to the value (fieldQueryValue's
		// trailing (NOT|AND|OR)?), e.g. `foo and` searches "foo and".
		appendTok(p.peek(0))
		p.i++
	}
	return done(), nil
}

func (p *esParser) rangeValue() (Value, error) {
	t := p.peek(0)
	if t.kind == tQUOTED {
		p.i++
		return t.val, nil
	}
	if !isWordTok(t.kind) {
		return Value{}, p.unexpected(t, "a range value")
	}
	var parts []string
	for isWordTok(p.peek(0).kind) {
		parts = append(parts, p.peek(0).val.Text) // plain text, `*` included
		p.i++
	}
	return Value{Text: strings.Join(parts, " ")}, nil
}

// starMarks marks every `*` of s as a wildcard.
func starMarks(s string) []bool {
	w := make([]bool, len(s))
	for i := range s {
		w[i] = s[i] == '*'
	}
	return w
}
