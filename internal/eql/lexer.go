// Package eql owns Vigil's implementation of Elastic's Event Query Language
// as Elasticsearch's EQL search runs it:
//   - parse: a hand-written lexer and parser with positions (errors are
//     collected in an ErrorList worded like Elasticsearch's "line 1:5: …";
//     next() never fails, nesting is bounded);
//   - analyze: fields resolved against a doc.Mapping (aliases, optional
//     `?field`s, "Unknown column [x]"), types checked, constants folded;
//   - plan: conditions compiled to per-event predicates with the semantics
//     Elasticsearch gets from translating them to query DSL (cond.go), and
//     to a prefilter.Cond for the byte-level prefilter (condition.go);
//   - execute: event queries ordered by timestamp then tiebreaker with
//     size/head/tail (Query.Search), and sequences — join keys, maxspan,
//     until, runs, missing events — by a streaming Sequencer (Push/Flush)
//     that follows Elasticsearch's SequenceMatcher, with bounded state;
//     samples (`sample by`) as Elasticsearch's SampleIterator answers them
//     over a batch (sample.go).
//
// Pipes other than head and tail are rejected with an error. The conformance runner over Elasticsearch's own EQL tests
// is in the spec subpackage (cmd/eqlspec).
package eql

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tPunct
	tIllegal
)

// token is one lexeme: Text is its source, Val the decoded value of a string.
type token struct {
	Kind tokKind
	Text string
	Val  string
	Pos  int // byte offset
}

// Error is a query error at a 1-based line and column.
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("line %d:%d: %s", e.Line, e.Col, e.Msg) }

// ErrorList holds every error of a query, in source order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// source converts byte offsets to line:col and collects errors.
type source struct {
	src  string
	errs ErrorList
}

func (s *source) errorf(pos int, format string, args ...any) {
	if len(s.errs) >= 10 {
		return
	}
	line, col := 1, 1
	for i := 0; i < pos && i < len(s.src); {
		r, n := utf8.DecodeRuneInString(s.src[i:])
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += n
	}
	s.errs = append(s.errs, &Error{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

type lexer struct {
	*source
	pos int
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '@' || (c|0x20) >= 'a' && (c|0x20) <= 'z'
}
func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }
func isDigit(c byte) bool     { return c >= '0' && c <= '9' }

var puncts = []string{"==", "!=", "<=", ">=", "(", ")", "[", "]", ",", "|", "<", ">", "+", "-", "*", "/", "%", ":", "=", "!", "?", "~", "."}

// next returns the next token; it never fails: malformed input becomes a
// tIllegal token after recording an error.
func (l *lexer) next() token {
	s := l.src
	for l.pos < len(s) {
		c := s[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			l.pos++
			continue
		case strings.HasPrefix(s[l.pos:], "//"):
			for l.pos < len(s) && s[l.pos] != '\n' {
				l.pos++
			}
			continue
		case strings.HasPrefix(s[l.pos:], "/*"):
			end := strings.Index(s[l.pos+2:], "*/")
			if end < 0 {
				l.errorf(l.pos, "unterminated comment")
				l.pos = len(s)
			} else {
				l.pos += end + 4
			}
			continue
		}
		break
	}
	start := l.pos
	if l.pos >= len(s) {
		return token{Kind: tEOF, Pos: start}
	}
	c := s[l.pos]
	switch {
	case isIdentStart(c):
		for l.pos < len(s) && (isIdentPart(s[l.pos]) || s[l.pos] == '.' && l.pos+1 < len(s) && isIdentStart(s[l.pos+1])) {
			l.pos++
		}
		// a tilde glued to a word makes its case-insensitive form: like~, startsWith~
		if l.pos < len(s) && s[l.pos] == '~' {
			l.pos++
		}
		return token{Kind: tIdent, Text: s[start:l.pos], Val: s[start:l.pos], Pos: start}
	case c == '`':
		end := strings.IndexByte(s[l.pos+1:], '`')
		if end < 0 {
			l.errorf(start, "unterminated quoted identifier")
			l.pos = len(s)
			return token{Kind: tIllegal, Pos: start}
		}
		l.pos += end + 2
		return token{Kind: tIdent, Text: s[start:l.pos], Val: s[start+1 : l.pos-1], Pos: start}
	case isDigit(c) || c == '.' && l.pos+1 < len(s) && isDigit(s[l.pos+1]):
		for l.pos < len(s) && isDigit(s[l.pos]) {
			l.pos++
		}
		if l.pos+1 < len(s) && s[l.pos] == '.' && isDigit(s[l.pos+1]) {
			l.pos++
			for l.pos < len(s) && isDigit(s[l.pos]) {
				l.pos++
			}
		}
		if l.pos < len(s) && (s[l.pos] == 'e' || s[l.pos] == 'E') {
			p := l.pos + 1
			if p < len(s) && (s[p] == '+' || s[p] == '-') {
				p++
			}
			if p < len(s) && isDigit(s[p]) {
				for p < len(s) && isDigit(s[p]) {
					p++
				}
				l.pos = p
			}
		}
		return token{Kind: tNumber, Text: s[start:l.pos], Pos: start}
	case c == '"' || c == '?' && l.pos+1 < len(s) && s[l.pos+1] == '"':
		return l.str()
	case c == '\'':
		l.errorf(start, "Use double quotes [\"] to define string literals, not single quotes [']")
		end := strings.IndexByte(s[l.pos+1:], '\'')
		if end < 0 {
			l.pos = len(s)
		} else {
			l.pos += end + 2
		}
		return token{Kind: tIllegal, Pos: start}
	}
	for _, p := range puncts {
		if strings.HasPrefix(s[l.pos:], p) {
			l.pos += len(p)
			return token{Kind: tPunct, Text: p, Pos: start}
		}
	}
	_, n := utf8.DecodeRuneInString(s[l.pos:])
	l.pos += n
	l.errorf(start, "token recognition error at: '%s'", s[start:l.pos])
	return token{Kind: tIllegal, Text: s[start:l.pos], Pos: start}
}

// str lexes "…" (with escapes), ?"…" and """…""" (raw).
func (l *lexer) str() token {
	s, start := l.src, l.pos
	raw := false
	if s[l.pos] == '?' {
		raw = true
		l.pos++
	}
	if strings.HasPrefix(s[l.pos:], `"""`) {
		end := strings.Index(s[l.pos+3:], `"""`)
		if end < 0 {
			l.errorf(start, "unterminated string")
			l.pos = len(s)
			return token{Kind: tIllegal, Pos: start}
		}
		val := s[l.pos+3 : l.pos+3+end]
		l.pos += end + 6
		// """…"""" : extra closing quotes belong to the string
		for l.pos < len(s) && s[l.pos] == '"' {
			val += `"`
			l.pos++
		}
		return token{Kind: tString, Text: s[start:l.pos], Val: val, Pos: start}
	}
	l.pos++ // opening quote
	var b strings.Builder
	for {
		if l.pos >= len(s) || s[l.pos] == '\n' || s[l.pos] == '\r' {
			l.errorf(start, "unterminated string")
			return token{Kind: tIllegal, Pos: start}
		}
		c := s[l.pos]
		if c == '"' {
			l.pos++
			return token{Kind: tString, Text: s[start:l.pos], Val: b.String(), Pos: start}
		}
		if c == '\\' && l.pos+1 < len(s) {
			if raw {
				// a raw string still cannot hold a bare quote; \" keeps both characters
				b.WriteString(s[l.pos : l.pos+2])
				l.pos += 2
				continue
			}
			e := s[l.pos+1]
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '"', '\'', '\\':
				b.WriteByte(e)
			case 'u':
				if r, n, ok := unicodeEscape(s[l.pos+2:]); ok {
					b.WriteRune(r)
					l.pos += 2 + n
					continue
				}
				l.errorf(l.pos, "Invalid unicode character code")
			default:
				l.errorf(l.pos, "Illegal escape sequence [\\%c]", e)
			}
			l.pos += 2
			continue
		}
		b.WriteByte(c)
		l.pos++
	}
}

// unicodeEscape reads {X…} (2 to 8 hex digits) after \u.
func unicodeEscape(s string) (rune, int, bool) {
	if len(s) < 2 || s[0] != '{' {
		return 0, 0, false
	}
	end := strings.IndexByte(s, '}')
	if end < 3 || end > 9 {
		return 0, 0, false
	}
	var r rune
	for _, c := range s[1:end] {
		switch {
		case c >= '0' && c <= '9':
			r = r*16 + c - '0'
		case c >= 'a' && c <= 'f':
			r = r*16 + c - 'a' + 10
		case c >= 'A' && c <= 'F':
			r = r*16 + c - 'A' + 10
		default:
			return 0, 0, false
		}
	}
	if r > utf8.MaxRune {
		return 0, 0, false
	}
	return r, end + 1, true
}
