package kql

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Dialect selects which KQL implementation's grammar and matching rules apply.
type Dialect int

const (
	// Kibana is Kibana's "kuery" (prebuilt rules with language = "kuery").
	Kibana Dialect = iota
	// Elasticsearch is Elasticsearch's own KQL parser, behind ES|QL's KQL().
	Elasticsearch
)

func (d Dialect) String() string {
	if d == Elasticsearch {
		return "elasticsearch"
	}
	return "kibana"
}

// SyntaxError is a parse (or compile) error at a source position.
type SyntaxError struct {
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d:%d: %s", e.Line, e.Col, e.Msg) }

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 500

// Parse parses a KQL query in the given dialect. An empty or blank query is
// a MatchAll.
func Parse(src string, d Dialect) (Node, error) {
	if !utf8.ValidString(src) {
		return nil, &SyntaxError{Line: 1, Col: 1, Msg: "query is not valid UTF-8"}
	}
	if d == Elasticsearch {
		p := &esParser{src: src}
		return p.parse()
	}
	p := &kbParser{src: src}
	return p.parse()
}

// posAt converts a byte offset into a Pos.
func posAt(src string, off int) Pos {
	line, col := 1, 1
	for i, r := range src {
		if i >= off {
			break
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return Pos{Offset: off, Line: line, Col: col}
}

func errAt(src string, off int, format string, args ...any) *SyntaxError {
	p := posAt(src, off)
	return &SyntaxError{Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)}
}

// describe names the input at off for error messages.
func describe(src string, off int) string {
	if off >= len(src) {
		return "end of input"
	}
	r, _ := utf8.DecodeRuneInString(src[off:])
	return fmt.Sprintf("%q", r)
}

// litBuilder accumulates an unescaped literal and its wildcard marks.
type litBuilder struct {
	b    strings.Builder
	wild []bool
	any  bool
}

func (l *litBuilder) add(s string, wild bool) {
	for i := 0; i < len(s); i++ {
		l.wild = append(l.wild, wild)
	}
	if wild {
		l.any = true
	}
	l.b.WriteString(s)
}

func (l *litBuilder) value(quoted bool) Value {
	v := Value{Text: l.b.String(), Quoted: quoted}
	if l.any {
		v.Wild = l.wild
	}
	return v
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// unicodeEscape decodes `\uXXXX` at src[i] (the backslash), returning the
// rune and its length, or 0 when there is none.
func unicodeEscape(src string, i int) (rune, int) {
	if i+6 > len(src) || src[i+1] != 'u' {
		return 0, 0
	}
	var r rune
	for j := i + 2; j < i+6; j++ {
		h := hexVal(src[j])
		if h < 0 {
			return 0, 0
		}
		r = r<<4 | rune(h)
	}
	if !utf8.ValidRune(r) {
		r = utf8.RuneError
	}
	return r, 6
}

// escapedWhitespace decodes `\t`, `\r`, `\n` at src[i].
func escapedWhitespace(src string, i int) (string, bool) {
	if i+1 < len(src) {
		switch src[i+1] {
		case 't':
			return "\t", true
		case 'r':
			return "\r", true
		case 'n':
			return "\n", true
		}
	}
	return "", false
}

// escapedKeyword decodes `\and`, `\or`, `\not` (any case) at src[i].
func escapedKeyword(src string, i int) (string, int) {
	for _, kw := range [...]string{"and", "or", "not"} {
		if i+1+len(kw) <= len(src) && strings.EqualFold(src[i+1:i+1+len(kw)], kw) {
			return src[i+1 : i+1+len(kw)], 1 + len(kw)
		}
	}
	return "", 0
}

// scanQuoted reads a quoted string starting at src[i] == '"' (same rules in
// both grammars) and returns its text and the offset after the closing quote.
func scanQuoted(src string, i int) (string, int, error) {
	start := i
	i++
	var b strings.Builder
	for i < len(src) {
		c := src[i]
		switch {
		case c == '"':
			return b.String(), i + 1, nil
		case c == '\\':
			if ws, ok := escapedWhitespace(src, i); ok {
				b.WriteString(ws)
				i += 2
				continue
			}
			if r, n := unicodeEscape(src, i); n > 0 {
				b.WriteRune(r)
				i += n
				continue
			}
			if i+1 < len(src) && (src[i+1] == '\\' || src[i+1] == '"') {
				b.WriteByte(src[i+1])
				i += 2
				continue
			}
			b.WriteByte(c)
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", 0, errAt(src, start, "unterminated quoted string")
}

// fieldFromValue turns a literal into a field name. An unquoted name with
// any `*` (escaped or not) is a pattern; a quoted name is never expanded.
func fieldFromValue(v Value) FieldRef {
	return FieldRef{Name: v.Text, Quoted: v.Quoted}
}

func decodeRune(s string, i int) (rune, int) { return utf8.DecodeRuneInString(s[i:]) }
