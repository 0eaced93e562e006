// Package javaregex owns the translation of the two regular-expression
// dialects Elasticsearch runs on the JVM into Go's RE2 syntax, so that every
// pattern runs in linear time: java.util.regex.Pattern (ES|QL's REPLACE) and
// Joni with its default Ruby syntax (GROK: Elasticsearch's Grok compiles with
// new Regex(bytes, 0, len, Option.DEFAULT, UTF8Encoding.INSTANCE, ...),
// whose syntax is Syntax.RUBY). One parser walks both; where the dialects
// mean different things by the same text, the Dialect decides:
//
//	construct        Java                          Joni (Ruby syntax)
//	.                not \n \r \x85 \u2028 \u2029  not \n
//	^ $              input boundaries              line boundaries
//	(?m)             multi-line                    dot matches newline
//	(?s) (?u) (?d)   dot-all; ignored; ignored     rejected (not Ruby options)
//	(?U)             ignored (Unicode classes)     rejected
//	\h \H            horizontal whitespace         hexadecimal digit
//	\v               vertical whitespace           vertical tab
//	\s \S            [ \t\n\x0B\f\r]               RE2's \s (ASCII)
//	\Z               end of input                  end, or before a final \n
//	\p{Name}         Java's POSIX/java*/Is* names  RE2's Unicode names
//	( … )            capturing                     non-capturing (Joni drops
//	                                               plain captures when named
//	                                               groups exist; grok reads
//	                                               named ones only)
//	(?P<n> (?'n' (?# rejected                      named group; comment
//	x{ not a bound   error (Illegal repetition)    literal {; {,n} is {0,n}
//	[[:alpha:]]      nested class [:alph]          POSIX bracket
//	\b in a class    error                         backspace
//
// Both dialects: nested classes are unions ([a[bc]] is [abc]); named groups
// become plain RE2 groups and their names are reported separately (grok's
// names, like "source.ip", are not RE2 names); possessive quantifiers and
// atomic groups become their greedy forms (the same matches on all but
// contrived inputs); a negative lookahead of single characters before a
// single-character atom becomes a class difference ((?![rn])\w is \w minus r
// and n); other lookaround, back-references, class intersection and comments
// mode are rejected with a positioned error. Known approximations: Java's $
// and \Z do not match before a final line terminator, (?i) folds Unicode case
// where Java folds ASCII only, and Joni's \w \b \s \d are Unicode-aware where
// RE2's are ASCII.
package javaregex

import (
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Dialect is the regular-expression syntax a pattern is written in.
type Dialect uint8

const (
	// Java is java.util.regex.Pattern with default flags.
	Java Dialect = iota
	// Joni is Joni (Oniguruma for Java) with its default Ruby syntax.
	Joni
)

// Error is a pattern Go cannot run, at a byte Offset (with its 1-based
// Line:Col) of the pattern.
type Error struct {
	Offset    int
	Line, Col int
	Msg       string
	Pattern   string
}

func (e *Error) Error() string {
	return "line " + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Col) + ": " + e.Msg + " in regex [" + e.Pattern + "]"
}

// Translator accumulates the RE2 form of one pattern, which may be assembled
// from several pieces (grok expands its %{NAME} references through
// Reference). Capturing groups are numbered in the order they are opened.
type Translator struct {
	Dialect Dialect
	// Reference, when set, is offered every "%{" outside a character class.
	// It returns how many bytes of src from i it consumed, 0 when the text is
	// not a reference (the '%' is then a literal). An expansion writes
	// through Capture, Write and Translate; its errors are returned as they are.
	Reference func(src string, i int) (int, error)

	out   strings.Builder
	names []string // per capturing group: its name, "" when unnamed
}

// String returns the RE2 pattern translated so far.
func (t *Translator) String() string { return t.out.String() }

// Names returns the name of each capturing group ("" when unnamed); group
// i+1 of the compiled RE2 program is Names()[i].
func (t *Translator) Names() []string { return t.names }

// Capture opens a capturing group with the given name and returns its number.
func (t *Translator) Capture(name string) int {
	t.names = append(t.names, name)
	t.out.WriteByte('(')
	return len(t.names)
}

// Write appends RE2 syntax as is (a Reference's "(?:" and ")").
func (t *Translator) Write(re2 string) { t.out.WriteString(re2) }

// Translate appends the RE2 form of src, which must be a complete pattern
// (balanced groups). Errors are *Error at offsets of src, or a Reference's.
func (t *Translator) Translate(src string) error {
	p := &parser{t: t, p: src, java: t.Dialect == Java}
	return p.seq(0)
}

// Translate rewrites a whole pattern into RE2 syntax and names its groups.
func Translate(pattern string, d Dialect) (re2 string, names []string, err error) {
	t := &Translator{Dialect: d}
	if err := t.Translate(pattern); err != nil {
		return "", nil, err
	}
	return t.String(), t.Names(), nil
}

// parser walks one piece of a pattern.
type parser struct {
	t      *Translator
	p      string
	i      int
	java   bool
	dotAll bool // Java: (?s) is in force, '.' is RE2's (with its s flag)
}

func (p *parser) errAt(pos int, msg string) error {
	line, col := 1, 1
	for k := 0; k < pos && k < len(p.p); k++ {
		if p.p[k] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &Error{Offset: pos, Line: line, Col: col, Msg: msg, Pattern: p.p}
}

func (p *parser) write(s string)   { p.t.out.WriteString(s) }
func (p *parser) writeByte(c byte) { p.t.out.WriteByte(c) }

// seq translates until the end of the piece or the ')' closing a group at depth.
func (p *parser) seq(depth int) error {
	afterAtom := false // a quantifier may follow
	for p.i < len(p.p) {
		c := p.p[p.i]
		switch c {
		case ')':
			if depth == 0 {
				return p.errAt(p.i, "Unmatched closing ')'")
			}
			return nil
		case '(':
			atom, err := p.group(depth)
			if err != nil {
				return err
			}
			afterAtom = atom
			continue
		case '[':
			if err := p.class(); err != nil {
				return err
			}
			afterAtom = true
			continue
		case '\\':
			if err := p.escape(false); err != nil {
				return err
			}
			afterAtom = true
			continue
		case '%':
			if p.t.Reference != nil && strings.HasPrefix(p.p[p.i:], "%{") {
				n, err := p.t.Reference(p.p, p.i)
				if err != nil {
					return err
				}
				if n > 0 {
					p.i += n
					afterAtom = true
					continue
				}
			}
			p.writeByte('%')
		case '*', '+', '?':
			if !afterAtom {
				return p.errAt(p.i, "Dangling meta character '"+string(c)+"'")
			}
			p.writeByte(c)
			p.i++
			p.quantSuffix()
			afterAtom = false
			continue
		case '{':
			bound, n := p.bound()
			switch {
			case n > 0 && afterAtom:
				p.write(bound)
				p.i += n
				p.quantSuffix()
				afterAtom = false
				continue
			case p.java:
				return p.errAt(p.i, "Illegal repetition")
			}
			p.write(`\{`) // Ruby: a brace that is not a bound is a literal
		case '}':
			p.write(`\}`)
		case '.':
			if p.java && !p.dotAll {
				// Java's '.' also stops at \r, \u0085, \u2028 and \u2029.
				p.write(`[^\n\r\x{85}\x{2028}\x{2029}]`)
			} else {
				p.writeByte('.')
			}
		case '^', '$':
			if p.java {
				p.writeByte(c)
			} else {
				p.write("(?m:" + string(c) + ")")
			}
			p.i++
			afterAtom = false
			continue
		case '|':
			p.writeByte(c)
			p.i++
			afterAtom = false
			continue
		default:
			p.writeByte(c)
		}
		p.i++
		afterAtom = true
	}
	return nil
}

// bound reads a repetition bound {n}, {n,} or {n,m} at p.i (Ruby also
// {,m}) and returns its RE2 spelling and length, or n == 0 when the text is
// not one.
func (p *parser) bound() (string, int) {
	s := p.p[p.i:]
	end := 1
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == ',') {
		end++
	}
	if end >= len(s) || s[end] != '}' || end == 1 {
		return "", 0
	}
	body := s[1:end]
	lo, hi, comma := strings.Cut(body, ",")
	if strings.Contains(hi, ",") || (lo == "" && (p.java || !comma || hi == "")) {
		return "", 0
	}
	if lo == "" {
		lo = "0"
	}
	if comma {
		return "{" + lo + "," + hi + "}", end + 1
	}
	return "{" + lo + "}", end + 1
}

// quantSuffix copies a lazy '?' and drops a possessive '+' (approximated as greedy).
func (p *parser) quantSuffix() {
	if p.i < len(p.p) {
		switch p.p[p.i] {
		case '?':
			p.writeByte('?')
			p.i++
		case '+':
			p.i++
		}
	}
}

// group translates a group at p.i; atom reports whether a quantifier may
// follow (not after a bare flag setting or a comment).
func (p *parser) group(depth int) (atom bool, err error) {
	start := p.i
	p.i++             // '('
	saved := p.dotAll // flags set inside a group end with it
	defer func() {
		if atom {
			p.dotAll = saved
		}
	}()
	if !strings.HasPrefix(p.p[p.i:], "?") {
		if p.java {
			p.t.Capture("")
		} else {
			p.write("(?:")
		}
		return true, p.body(depth, start)
	}
	rest := p.p[p.i+1:]
	switch {
	case strings.HasPrefix(rest, ":"), strings.HasPrefix(rest, ">"): // atomic: approximated
		p.write("(?:")
		p.i += 2
	case strings.HasPrefix(rest, "!"):
		if p.negLookaheadClass(start) {
			return true, nil
		}
		return false, p.errAt(start, "lookaround groups are not supported")
	case strings.HasPrefix(rest, "="), strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, "<!"):
		return false, p.errAt(start, "lookaround groups are not supported")
	case strings.HasPrefix(rest, "<"):
		return true, p.named(depth, start, 2, '>')
	case !p.java && strings.HasPrefix(rest, "P<"):
		return true, p.named(depth, start, 3, '>')
	case !p.java && strings.HasPrefix(rest, "'"):
		return true, p.named(depth, start, 2, '\'')
	case !p.java && strings.HasPrefix(rest, "#"):
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return false, p.errAt(start, "end pattern in group")
		}
		p.i += 1 + end + 1
		return false, nil
	default:
		// (?flags) changes the enclosing group's flags: atom stays false so
		// they are not restored.
		colon, err := p.flags(start, rest)
		if err != nil || !colon {
			return false, err
		}
	}
	return true, p.body(depth, start)
}

// body translates a group's contents after its opening and the ')'.
func (p *parser) body(depth, start int) error {
	if err := p.seq(depth + 1); err != nil {
		return err
	}
	if p.i >= len(p.p) {
		return p.errAt(start, "Unclosed group")
	}
	p.writeByte(')')
	p.i++
	return nil
}

// named translates a named group whose name starts skip bytes after p.i.
func (p *parser) named(depth, start, skip int, closer byte) error {
	nameAt := p.i + skip
	end := strings.IndexByte(p.p[nameAt:], closer)
	if p.java {
		end = 0
		for nameAt+end < len(p.p) && isJavaNameByte(p.p[nameAt+end], end == 0) {
			end++
		}
		switch {
		case end == 0:
			return p.errAt(nameAt, "capturing group name does not start with a Latin letter")
		case nameAt+end >= len(p.p) || p.p[nameAt+end] != '>':
			return p.errAt(nameAt+end, "named capturing group is missing trailing '>'")
		}
		for _, n := range p.t.names {
			if n == p.p[nameAt:nameAt+end] {
				return p.errAt(nameAt+end, "Named capturing group <"+n+"> is already defined")
			}
		}
	} else if end <= 0 {
		return p.errAt(start, "invalid group name")
	}
	p.t.Capture(p.p[nameAt : nameAt+end])
	p.i = nameAt + end + 1
	return p.body(depth, start)
}

func isJavaNameByte(c byte, first bool) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || !first && '0' <= c && c <= '9'
}

// flags translates inline flags (?idmsuxU-idmsuxU) or (?flags: at p.i,
// reporting whether a group body follows.
func (p *parser) flags(start int, rest string) (colon bool, err error) {
	var out strings.Builder
	on := true
	k := 0
	for ; k < len(rest) && rest[k] != ')' && rest[k] != ':'; k++ {
		f := rest[k]
		switch {
		case f == '-':
			on = false
			out.WriteByte(f)
		case f == 'x':
			return false, p.errAt(start, "comments mode (?x) is not supported")
		case f == 'i':
			out.WriteByte(f)
		case f == 'm' && !p.java: // Ruby's m: dot matches newline
			out.WriteByte('s')
		case f == 'm':
			out.WriteByte(f)
		case f == 's' && p.java:
			out.WriteByte(f)
			p.dotAll = on
		case (f == 'u' || f == 'd' || f == 'U') && p.java:
			// Unicode case, UNIX_LINES, UNICODE_CHARACTER_CLASS: no RE2
			// equivalent (RE2's U is ungreedy, not this).
		default:
			return false, p.errAt(start+2+k, "Unknown inline modifier")
		}
	}
	if k >= len(rest) {
		return false, p.errAt(start, "Unclosed group")
	}
	fs := strings.TrimSuffix(out.String(), "-")
	p.i += 1 + k + 1
	if rest[k] == ')' {
		if fs != "" {
			p.write("(?" + fs + ")")
		}
		return false, nil
	}
	p.write("(?" + fs + ":")
	return true, nil
}

// class translates a character class, flattening nested unions.
func (p *parser) class() error {
	p.writeByte('[')
	return p.classBody(true)
}

func (p *parser) classBody(outer bool) error {
	start := p.i
	p.i++ // '['
	if p.i < len(p.p) && p.p[p.i] == '^' {
		if !outer {
			return p.errAt(p.i, "negated nested character classes are not supported")
		}
		p.writeByte('^')
		p.i++
	}
	first := true
	for p.i < len(p.p) {
		c := p.p[p.i]
		switch {
		case c == ']' && !first:
			if outer {
				p.writeByte(']')
			}
			p.i++
			return nil
		case c == ']':
			p.write(`\]`)
			p.i++
		case c == '[' && !p.java && strings.HasPrefix(p.p[p.i:], "[:"):
			end := strings.Index(p.p[p.i:], ":]")
			if end < 0 {
				return p.errAt(p.i, "premature end of char-class")
			}
			p.write(p.p[p.i : p.i+end+2]) // RE2 has Ruby's POSIX brackets
			p.i += end + 2
		case c == '[':
			if err := p.classBody(false); err != nil {
				return err
			}
		case c == '&' && strings.HasPrefix(p.p[p.i:], "&&"):
			return p.errAt(p.i, "character class intersection (&&) is not supported")
		case c == '\\':
			if err := p.escape(true); err != nil {
				return err
			}
		default:
			p.writeByte(c)
			p.i++
		}
		first = false
	}
	return p.errAt(start, "Unclosed character class")
}

// javaPosix maps Java's \p{...} POSIX and java* names to RE2 class contents.
var javaPosix = map[string]string{
	"Lower": `a-z`, "Upper": `A-Z`, "ASCII": `\x00-\x7F`, "Alpha": `a-zA-Z`,
	"Digit": `0-9`, "Alnum": `a-zA-Z0-9`, "Punct": `!-/:-@\[-` + "`" + `{-~`,
	"Graph": `!-~`, "Print": ` -~`, "Blank": ` \t`, "Cntrl": `\x00-\x1F\x7F`,
	"XDigit": `0-9a-fA-F`, "Space": ` \t\n\x0B\f\r`,
	"javaLowerCase": `\p{Ll}`, "javaUpperCase": `\p{Lu}`, "javaWhitespace": `\s\x0B\x1C-\x1F`,
	"IsAlphabetic": `\p{L}\p{Nl}`, "IsDigit": `\p{Nd}`, "IsLetter": `\p{L}`,
	"IsLowercase": `\p{Ll}`, "IsUppercase": `\p{Lu}`, "IsWhite_Space": `\s\x0B\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}`,
}

const (
	javaHSpace = ` \t\x{A0}\x{1680}\x{180E}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}`
	javaVSpace = `\n\x0B\f\r\x{85}\x{2028}\x{2029}`
	javaSpace  = ` \t\n\x0B\f\r`
	hexDigit   = `0-9a-fA-F`
)

// set writes a class body as an atom, or inside the enclosing class.
func (p *parser) set(body string, neg, inClass bool) {
	switch {
	case inClass && !neg:
		p.write(body)
	case inClass: // callers reject negated sets inside a class first
		p.write(`\P{Any}`)
	case neg:
		p.write("[^" + body + "]")
	default:
		p.write("[" + body + "]")
	}
}

// escape translates one backslash escape; inClass means inside [...].
func (p *parser) escape(inClass bool) error {
	start := p.i
	if p.i+1 >= len(p.p) {
		if p.java {
			return p.errAt(start, "Unexpected internal error")
		}
		return p.errAt(start, "too short escape sequence")
	}
	c := p.p[p.i+1]
	p.i += 2
	notInClass := func() error {
		if inClass {
			return p.errAt(start, `\`+string(c)+" inside a character class is not supported")
		}
		return nil
	}
	switch c {
	case 'd', 'D', 'w', 'W', 't', 'n', 'r', 'f', 'a':
		p.writeByte('\\')
		p.writeByte(c)
	case 'b':
		if inClass && !p.java {
			p.write(`\x08`) // Ruby: backspace
			break
		}
		fallthrough
	case 'B', 'A', 'z':
		if inClass {
			return p.errAt(start, "Illegal/unsupported escape sequence")
		}
		p.writeByte('\\')
		p.writeByte(c)
	case 'Z':
		if inClass {
			return p.errAt(start, "Illegal/unsupported escape sequence")
		}
		if p.java {
			p.write(`\z`)
		} else {
			p.write(`(?:\n?\z)`) // end, or before a final newline (consumed)
		}
	case 's', 'S':
		switch {
		case !p.java || (c == 'S' && inClass):
			p.writeByte('\\')
			p.writeByte(c)
		default:
			p.set(javaSpace, c == 'S', inClass)
		}
	case 'h', 'H':
		body := javaHSpace
		if !p.java {
			body = hexDigit
		}
		if c == 'H' {
			if err := notInClass(); err != nil {
				return err
			}
		}
		p.set(body, c == 'H', inClass)
	case 'v':
		if !p.java {
			p.write(`\x0B`)
			break
		}
		p.set(javaVSpace, false, inClass)
	case 'V':
		if !p.java {
			return p.errAt(start, "Illegal/unsupported escape sequence")
		}
		if err := notInClass(); err != nil {
			return err
		}
		p.set(javaVSpace, true, inClass)
	case 'R':
		if inClass {
			return p.errAt(start, "Illegal/unsupported escape sequence")
		}
		p.write(`(?:\r\n|[` + javaVSpace + `])`)
	case 'e':
		p.write(`\x1B`)
	case 'c':
		if p.i >= len(p.p) {
			return p.errAt(start, "Illegal control escape sequence")
		}
		p.write(`\x{` + strconv.FormatInt(int64(p.p[p.i]^64), 16) + `}`)
		p.i++
	case '0':
		k := p.i
		for k < len(p.p) && k < p.i+3 && p.p[k] >= '0' && p.p[k] <= '7' {
			k++
		}
		if k == p.i {
			return p.errAt(start, "Illegal octal escape sequence")
		}
		v, _ := strconv.ParseInt(p.p[p.i:k], 8, 32)
		if v > 0377 {
			k--
			v, _ = strconv.ParseInt(p.p[p.i:k], 8, 32)
		}
		p.write(`\x{` + strconv.FormatInt(v, 16) + `}`)
		p.i = k
	case 'x':
		if p.i < len(p.p) && p.p[p.i] == '{' {
			end := strings.IndexByte(p.p[p.i:], '}')
			if end < 0 {
				return p.errAt(start, "Unclosed hexadecimal escape sequence")
			}
			p.write(`\x` + p.p[p.i:p.i+end+1])
			p.i += end + 1
			break
		}
		if p.i+2 > len(p.p) || !isHex(p.p[p.i]) || !isHex(p.p[p.i+1]) {
			return p.errAt(start, "Illegal hexadecimal escape sequence")
		}
		p.write(`\x` + p.p[p.i:p.i+2])
		p.i += 2
	case 'u':
		if p.i+4 > len(p.p) {
			return p.errAt(start, "Illegal Unicode escape sequence")
		}
		for k := 0; k < 4; k++ {
			if !isHex(p.p[p.i+k]) {
				return p.errAt(start, "Illegal Unicode escape sequence")
			}
		}
		p.write(`\x{` + p.p[p.i:p.i+4] + `}`)
		p.i += 4
	case 'p', 'P':
		return p.property(start, c, inClass)
	case 'Q':
		end := strings.Index(p.p[p.i:], `\E`)
		lit := p.p[p.i:]
		if end >= 0 {
			lit = p.p[p.i : p.i+end]
			p.i += end + 2
		} else {
			p.i = len(p.p)
		}
		if inClass {
			for k := 0; k < len(lit); k++ {
				p.write(classLiteral(lit[k]))
			}
		} else {
			p.write(regexp.QuoteMeta(lit))
		}
	case 'E':
		// A stray \E is ignored.
	case 'k':
		return p.errAt(start, "back-references are not supported")
	case 'G', 'X', 'N':
		return p.errAt(start, `\`+string(c)+" is not supported")
	default:
		switch {
		case c >= '1' && c <= '9':
			return p.errAt(start, "back-references are not supported")
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			return p.errAt(start, "Illegal/unsupported escape sequence")
		case c >= utf8.RuneSelf:
			// An escaped non-ASCII character is that character.
			r, n := utf8.DecodeRuneInString(p.p[p.i-1:])
			p.write(regexp.QuoteMeta(string(r)))
			p.i += n - 1
		default:
			p.writeByte('\\')
			p.writeByte(c)
		}
	}
	return nil
}

// property translates \p{Name}, \pN, \P{Name} after the letter c.
func (p *parser) property(start int, c byte, inClass bool) error {
	name := ""
	if p.i < len(p.p) && p.p[p.i] == '{' {
		end := strings.IndexByte(p.p[p.i:], '}')
		if end < 0 {
			return p.errAt(start, "Unclosed character family")
		}
		name = p.p[p.i+1 : p.i+end]
		p.i += end + 1
	} else if p.i < len(p.p) {
		name = p.p[p.i : p.i+1]
		p.i++
	}
	if !p.java {
		p.write(`\` + string(c) + `{` + name + `}`)
		return nil
	}
	if body, ok := javaPosix[name]; ok {
		if c == 'P' && inClass {
			return p.errAt(start, `\P{`+name+`} inside a character class is not supported`)
		}
		p.set(body, c == 'P', inClass)
		return nil
	}
	n := strings.TrimPrefix(strings.TrimPrefix(name, "Is"), "In")
	if strings.HasPrefix(n, "general_category=") || strings.HasPrefix(n, "gc=") || strings.HasPrefix(n, "script=") || strings.HasPrefix(n, "sc=") {
		n = n[strings.IndexByte(n, '=')+1:]
	}
	p.write(`\` + string(c) + `{` + n + `}`)
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// negLookaheadClass rewrites "(?!A|B|...)Y" where every alternative and Y
// match exactly one character and Y carries no quantifier, emitting the
// class Y minus (A|B|...). It reports false, consuming nothing, otherwise.
func (p *parser) negLookaheadClass(start int) bool {
	if strings.Contains(p.p, "(?i") {
		return false // case folding would change the sets
	}
	i := start + 3 // past "(?!"
	var excl [][2]rune
	for {
		rs, next, ok := p.atomRanges(i)
		if !ok {
			return false
		}
		excl = append(excl, rs...)
		i = next
		if i < len(p.p) && p.p[i] == '|' {
			i++
			continue
		}
		if i < len(p.p) && p.p[i] == ')' {
			i++
			break
		}
		return false
	}
	keep, next, ok := p.atomRanges(i)
	if !ok || (next < len(p.p) && strings.IndexByte("*+?{", p.p[next]) >= 0) {
		return false
	}
	p.write(rangesClass(subtract(keep, excl)))
	p.i = next
	return true
}

// atomRanges translates the single-character atom at i and returns its
// character set and the index after it.
func (p *parser) atomRanges(i int) ([][2]rune, int, bool) {
	if i >= len(p.p) {
		return nil, i, false
	}
	sub := &parser{t: &Translator{Dialect: p.t.Dialect}, p: p.p, i: i, java: p.java, dotAll: p.dotAll}
	switch c := p.p[i]; {
	case c == '[':
		if sub.class() != nil {
			return nil, i, false
		}
	case c == '\\':
		if sub.escape(false) != nil {
			return nil, i, false
		}
	case strings.IndexByte("()|*+?{}^$.%", c) >= 0:
		return nil, i, false
	default:
		r, n := utf8.DecodeRuneInString(p.p[i:])
		sub.write(regexp.QuoteMeta(string(r)))
		sub.i = i + n
	}
	re, err := syntax.Parse(sub.t.String(), syntax.Perl)
	if err != nil {
		return nil, i, false
	}
	switch re.Op {
	case syntax.OpCharClass:
		var rs [][2]rune
		for k := 0; k+1 < len(re.Rune); k += 2 {
			rs = append(rs, [2]rune{re.Rune[k], re.Rune[k+1]})
		}
		return rs, sub.i, true
	case syntax.OpLiteral:
		if len(re.Rune) == 1 && re.Flags&syntax.FoldCase == 0 {
			return [][2]rune{{re.Rune[0], re.Rune[0]}}, sub.i, true
		}
	}
	return nil, i, false
}

// subtract removes the ranges in excl from keep.
func subtract(keep, excl [][2]rune) [][2]rune {
	for _, x := range excl {
		var out [][2]rune
		for _, k := range keep {
			if x[1] < k[0] || x[0] > k[1] {
				out = append(out, k)
				continue
			}
			if k[0] < x[0] {
				out = append(out, [2]rune{k[0], x[0] - 1})
			}
			if k[1] > x[1] {
				out = append(out, [2]rune{x[1] + 1, k[1]})
			}
		}
		keep = out
	}
	return keep
}

func rangesClass(rs [][2]rune) string {
	if len(rs) == 0 {
		return `[^\x00-\x{10FFFF}]` // matches nothing
	}
	var b strings.Builder
	b.WriteByte('[')
	for _, r := range rs {
		b.WriteString(`\x{` + strconv.FormatInt(int64(r[0]), 16) + `}`)
		if r[1] != r[0] {
			b.WriteString(`-\x{` + strconv.FormatInt(int64(r[1]), 16) + `}`)
		}
	}
	b.WriteByte(']')
	return b.String()
}

func classLiteral(c byte) string {
	switch c {
	case '\\', ']', '[', '^', '-':
		return `\` + string(c)
	}
	return string(c)
}
