package esql

import (
	"strings"
)

// tokKind classifies a token. Keywords are lexed as identifiers and recognised
// by the parser case-insensitively, because ES|QL keywords are contextual.
type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tQIdent // back-quoted identifier
	tInt
	tDecimal
	tString
	tPipe
	tComma
	tDot
	tLParen
	tRParen
	tLBrack
	tRBrack
	tLBrace
	tRBrace
	tEq     // ==
	tNeq    // !=
	tLt     // <
	tLte    // <=
	tGt     // >
	tGte    // >=
	tAssign // =
	tPlus
	tMinus
	tStar
	tSlash
	tPercent
	tCast  // ::
	tColon // :
	tParam // ?
	tCIEq  // =~
)

var tokNames = [...]string{tEOF: "<EOF>", tIdent: "identifier", tQIdent: "quoted identifier",
	tInt: "integer", tDecimal: "decimal", tString: "string", tPipe: "'|'", tComma: "','",
	tDot: "'.'", tLParen: "'('", tRParen: "')'", tLBrack: "'['", tRBrack: "']'", tLBrace: "'{'",
	tRBrace: "'}'", tEq: "'=='", tNeq: "'!='", tLt: "'<'", tLte: "'<='", tGt: "'>'", tGte: "'>='",
	tAssign: "'='", tPlus: "'+'", tMinus: "'-'", tStar: "'*'", tSlash: "'/'", tPercent: "'%'",
	tCast: "'::'", tColon: "':'", tParam: "'?'", tCIEq: "'=~'"}

// Pos is a 1-based line:column position, as Elasticsearch reports them.
type Pos struct{ Line, Col int }

type token struct {
	kind     tokKind
	text     string // raw source text of the token
	val      string // decoded value (strings, identifiers)
	pos      Pos
	off, end int // byte offsets into the query
}

// lexer produces tokens on demand so the parser can switch to raw scanning
// for FROM index patterns.
type lexer struct {
	src       string
	off       int
	line      int
	lineStart int
}

func newLexer(src string) *lexer { return &lexer{src: src, line: 1} }

func (lx *lexer) posAt(off int) Pos {
	// Column counts characters (runes) from the line start, 1-based.
	col := 1
	for range lx.src[lx.lineStart:off] {
		col++
	}
	return Pos{lx.line, col}
}

// skipSpace skips whitespace and comments, tracking lines.
func (lx *lexer) skipSpace() error {
	for lx.off < len(lx.src) {
		c := lx.src[lx.off]
		switch {
		case c == '\n':
			lx.off++
			lx.line++
			lx.lineStart = lx.off
		case c == ' ' || c == '\t' || c == '\r':
			lx.off++
		case c == '/' && lx.off+1 < len(lx.src) && lx.src[lx.off+1] == '/':
			for lx.off < len(lx.src) && lx.src[lx.off] != '\n' {
				lx.off++
			}
		case c == '/' && lx.off+1 < len(lx.src) && lx.src[lx.off+1] == '*':
			start := lx.posAt(lx.off)
			lx.off += 2
			closed := false
			for lx.off < len(lx.src) {
				if lx.src[lx.off] == '*' && lx.off+1 < len(lx.src) && lx.src[lx.off+1] == '/' {
					lx.off += 2
					closed = true
					break
				}
				if lx.src[lx.off] == '\n' {
					lx.line++
					lx.lineStart = lx.off + 1
				}
				lx.off++
			}
			if !closed {
				return errAt(start, "unterminated comment")
			}
		default:
			return nil
		}
	}
	return nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '@' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c >= 0x80
}
func isIdentBody(c byte) bool {
	return c == '_' || c == '@' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c >= 0x80
}
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// next returns the next token.
func (lx *lexer) next() (token, error) {
	if err := lx.skipSpace(); err != nil {
		return token{}, err
	}
	start := lx.off
	pos := lx.posAt(start)
	mk := func(k tokKind, n int) (token, error) {
		lx.off += n
		t := token{kind: k, text: lx.src[start:lx.off], pos: pos, off: start, end: lx.off}
		t.val = t.text
		return t, nil
	}
	if lx.off >= len(lx.src) {
		return token{kind: tEOF, pos: pos, off: start, end: start}, nil
	}
	s := lx.src[lx.off:]
	c := s[0]
	switch {
	case c == '"':
		return lx.lexString(start, pos)
	case c == '`':
		var b strings.Builder
		i := 1
		for {
			if i >= len(s) {
				return token{}, errAt(pos, "token recognition error at: '"+s+"'")
			}
			if s[i] == '`' {
				if i+1 < len(s) && s[i+1] == '`' {
					b.WriteByte('`')
					i += 2
					continue
				}
				i++
				break
			}
			if s[i] == '\n' {
				lx.line++
				lx.lineStart = lx.off + i + 1
			}
			b.WriteByte(s[i])
			i++
		}
		t, _ := mk(tQIdent, i)
		t.val = b.String()
		return t, nil
	case isDigit(c) || (c == '.' && len(s) > 1 && isDigit(s[1])):
		i := 0
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		kind := tInt
		if i < len(s) && s[i] == '.' && !(i+1 < len(s) && isIdentStart(s[i+1]) && s[i+1] != 'e' && s[i+1] != 'E') {
			kind = tDecimal
			i++
			for i < len(s) && isDigit(s[i]) {
				i++
			}
		}
		if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
			j := i + 1
			if j < len(s) && (s[j] == '+' || s[j] == '-') {
				j++
			}
			if j < len(s) && isDigit(s[j]) {
				for j < len(s) && isDigit(s[j]) {
					j++
				}
				kind = tDecimal
				i = j
			}
		}
		return mk(kind, i)
	case isIdentStart(c):
		i := 1
		for i < len(s) && isIdentBody(s[i]) {
			i++
		}
		return mk(tIdent, i)
	}
	two := ""
	if len(s) >= 2 {
		two = s[:2]
	}
	switch two {
	case "==":
		return mk(tEq, 2)
	case "!=":
		return mk(tNeq, 2)
	case "<=":
		return mk(tLte, 2)
	case ">=":
		return mk(tGte, 2)
	case "::":
		return mk(tCast, 2)
	case "=~":
		return mk(tCIEq, 2)
	}
	switch c {
	case '|':
		return mk(tPipe, 1)
	case ',':
		return mk(tComma, 1)
	case '.':
		return mk(tDot, 1)
	case '(':
		return mk(tLParen, 1)
	case ')':
		return mk(tRParen, 1)
	case '[':
		return mk(tLBrack, 1)
	case ']':
		return mk(tRBrack, 1)
	case '{':
		return mk(tLBrace, 1)
	case '}':
		return mk(tRBrace, 1)
	case '<':
		return mk(tLt, 1)
	case '>':
		return mk(tGt, 1)
	case '=':
		return mk(tAssign, 1)
	case '+':
		return mk(tPlus, 1)
	case '-':
		return mk(tMinus, 1)
	case '*':
		return mk(tStar, 1)
	case '/':
		return mk(tSlash, 1)
	case '%':
		return mk(tPercent, 1)
	case ':':
		return mk(tColon, 1)
	case '?':
		return mk(tParam, 1)
	}
	return token{}, errAt(pos, "token recognition error at: '"+string(rune(c))+"'")
}

// lexString reads "…" (with \t \n \r \" \\ escapes) or """…""" (raw).
func (lx *lexer) lexString(start int, pos Pos) (token, error) {
	s := lx.src[start:]
	if strings.HasPrefix(s, `"""`) {
		end := strings.Index(s[3:], `"""`)
		if end < 0 {
			return token{}, errAt(pos, "token recognition error at: '"+s+"'")
		}
		n := 3 + end + 3
		// ES's grammar lets up to two extra quotes close the literal ("""a"""").
		for k := 0; k < 2 && n < len(s) && s[n] == '"'; k++ {
			n++
		}
		body := s[3 : n-3]
		for i := 0; i < n; i++ {
			if s[i] == '\n' {
				lx.line++
				lx.lineStart = start + i + 1
			}
		}
		lx.off = start + n
		return token{kind: tString, text: s[:n], val: body, pos: pos, off: start, end: lx.off}, nil
	}
	var b strings.Builder
	i := 1
	for {
		if i >= len(s) || s[i] == '\n' || s[i] == '\r' {
			return token{}, errAt(pos, "token recognition error at: '"+s[:i]+"'")
		}
		c := s[i]
		if c == '"' {
			i++
			break
		}
		if c == '\\' {
			if i+1 >= len(s) {
				return token{}, errAt(pos, "token recognition error at: '"+s[:i+1]+"'")
			}
			switch s[i+1] {
			case 't':
				b.WriteByte('\t')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case '"':
				b.WriteByte('"')
			case '\\':
				b.WriteByte('\\')
			default:
				return token{}, errAt(pos, "token recognition error at: '"+s[:i+2]+"'")
			}
			i += 2
			continue
		}
		b.WriteByte(c)
		i++
	}
	lx.off = start + i
	return token{kind: tString, text: s[:i], val: b.String(), pos: pos, off: start, end: lx.off}, nil
}

// scanRaw reads an unquoted index pattern or similar source word: everything
// up to whitespace, ',', '|' or a comment start.
func (lx *lexer) scanRaw() (token, error) {
	if err := lx.skipSpace(); err != nil {
		return token{}, err
	}
	start := lx.off
	pos := lx.posAt(start)
	for lx.off < len(lx.src) {
		c := lx.src[lx.off]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == '|' || c == '"' || c == '(' || c == ')' {
			break
		}
		if c == '/' && lx.off+1 < len(lx.src) && (lx.src[lx.off+1] == '/' || lx.src[lx.off+1] == '*') {
			break
		}
		lx.off++
	}
	t := token{kind: tIdent, text: lx.src[start:lx.off], pos: pos, off: start, end: lx.off}
	t.val = t.text
	return t, nil
}

// Error formats like Elasticsearch: "line 3:15: Unknown column [x]".
func (e *Error) Error() string {
	return "line " + itoa(e.Line) + ":" + itoa(e.Col) + ": " + e.Msg
}

func errAt(p Pos, msg string) *Error { return &Error{Line: p.Line, Col: p.Col, Msg: msg} }

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}
