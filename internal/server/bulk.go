package server

import (
	"encoding/json"
	"strconv"
)

// bulkAction is one parsed _bulk action/metadata line.
type bulkAction struct {
	Op    string // index, create, delete, update
	Index string
	ID    string
}

// parseAction reads an action line such as
// {"create":{"_index":"logs-x","_id":"1","pipeline":"p"}}: one member
// naming the operation, whose object's _index and _id are kept and other
// members skipped. It is a small recursive-descent JSON reader, so the hot
// ingest path needs no reflection. Errors carry line:col (line is the body
// line number).
func parseAction(b []byte, line int) (bulkAction, error) {
	p := &jsonParser{b: b, line: line}
	var a bulkAction
	p.ws()
	if !p.eat('{') {
		return a, p.err("expected START_OBJECT for the action line")
	}
	p.ws()
	op, err := p.str()
	if err != nil {
		return a, err
	}
	a.Op = op
	p.ws()
	if !p.eat(':') {
		return a, p.err("expected ':'")
	}
	p.ws()
	if !p.eat('{') {
		return a, p.err("expected START_OBJECT for [" + op + "]")
	}
	p.ws()
	if !p.eat('}') {
		for {
			p.ws()
			key, err := p.str()
			if err != nil {
				return a, err
			}
			p.ws()
			if !p.eat(':') {
				return a, p.err("expected ':'")
			}
			p.ws()
			switch key {
			case "_index", "_id":
				if p.peek() == 'n' { // null
					if err := p.skip(0); err != nil {
						return a, err
					}
					break
				}
				v, err := p.str()
				if err != nil {
					return a, err
				}
				if key == "_index" {
					a.Index = v
				} else {
					a.ID = v
				}
			default:
				if err := p.skip(0); err != nil {
					return a, err
				}
			}
			p.ws()
			if p.eat(',') {
				continue
			}
			if p.eat('}') {
				break
			}
			return a, p.err("expected ',' or '}'")
		}
	}
	p.ws()
	if !p.eat('}') {
		return a, p.err("expected a single action per line")
	}
	p.ws()
	if p.i != len(p.b) {
		return a, p.err("unexpected content after the action")
	}
	return a, nil
}

type jsonParser struct {
	b    []byte
	i    int
	line int
}

// ParseError is a malformed action line, positioned.
type ParseError struct {
	Line, Col int
	Msg       string
}

func (e *ParseError) Error() string {
	return "line " + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Col) + ": " + e.Msg
}

func (p *jsonParser) err(msg string) error {
	return &ParseError{Line: p.line, Col: p.i + 1, Msg: msg}
}

func (p *jsonParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *jsonParser) eat(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

// str reads a JSON string, decoding escapes.
func (p *jsonParser) str() (string, error) {
	if !p.eat('"') {
		return "", p.err("expected a string")
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '"' {
			s := string(p.b[start:p.i])
			p.i++
			return s, nil
		}
		if c == '\\' {
			p.i = start - 1
			return p.strSlow()
		}
		if c < 0x20 {
			return "", p.err("control character in string")
		}
		p.i++
	}
	return "", p.err("unterminated string")
}

func (p *jsonParser) strSlow() (string, error) {
	start := p.i
	if err := p.skipString(); err != nil {
		return "", err
	}
	// Escapes are rare in action lines: encoding/json decodes them exactly
	// as JSON defines them (surrogate pairs included), which Go's Unquote
	// does not (it takes \x41 and misses \/).
	var s string
	if err := json.Unmarshal(p.b[start:p.i], &s); err != nil {
		p.i = start
		return "", p.err("invalid string escape")
	}
	return s, nil
}

func (p *jsonParser) skipString() error {
	if !p.eat('"') {
		return p.err("expected a string")
	}
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			return nil
		case c == '\\':
			if p.i+1 >= len(p.b) {
				p.i = len(p.b)
				return p.err("unterminated string")
			}
			p.i += 2
		case c < 0x20:
			return p.err("control character in string")
		default:
			p.i++
		}
	}
	return p.err("unterminated string")
}

// skip passes over any JSON value; depth bounds nesting.
func (p *jsonParser) skip(depth int) error {
	if depth > 64 {
		return p.err("nesting too deep")
	}
	p.ws()
	switch c := p.peek(); {
	case c == '"':
		return p.skipString()
	case c == '{' || c == '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		p.i++
		p.ws()
		if p.eat(end) {
			return nil
		}
		for {
			p.ws()
			if c == '{' {
				if err := p.skipString(); err != nil {
					return err
				}
				p.ws()
				if !p.eat(':') {
					return p.err("expected ':'")
				}
			}
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.ws()
			if p.eat(',') {
				continue
			}
			if p.eat(end) {
				return nil
			}
			return p.err("expected ',' or '" + string(end) + "'")
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if len(p.b)-p.i >= len(lit) && string(p.b[p.i:p.i+len(lit)]) == lit {
				p.i += len(lit)
				return nil
			}
		}
		return p.err("unexpected character")
	}
}

// number passes over a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *jsonParser) number() error {
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	p.eat('-')
	if p.eat('0') {
		if c := p.peek(); c >= '0' && c <= '9' {
			p.i = start
			return p.err("invalid number: leading zero")
		}
	} else if digits() == 0 {
		p.i = start
		return p.err("invalid number")
	}
	if p.eat('.') && digits() == 0 {
		p.i = start
		return p.err("invalid number")
	}
	if p.eat('e') || p.eat('E') {
		if !p.eat('+') {
			p.eat('-')
		}
		if digits() == 0 {
			p.i = start
			return p.err("invalid number")
		}
	}
	return nil
}
