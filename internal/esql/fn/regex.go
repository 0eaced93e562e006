package fn

import (
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"
)

// JavaRegex is a java.util.regex pattern translated to Go's RE2 syntax, used
// by REPLACE (and available to RLIKE). Constructs RE2 cannot express
// (lookaround, back-references, class intersection, comments mode) are
// rejected with a positioned error, except a negative lookahead of single
// characters before a single-character atom, which becomes a class
// difference ((?![rn])\w -> \w minus r, n). Known approximations: possessive
// quantifiers and atomic groups behave as greedy ones, `$` matches only at the
// very end (Java also matches before a final line terminator), and (?i) folds
// Unicode case where Java folds ASCII only.
type JavaRegex struct {
	re *regexp.Regexp
}

// JavaRegexError is a pattern Go cannot run, with the 1-based line:col of the
// offending construct in the pattern.
type JavaRegexError struct {
	Line, Col int
	Msg       string
	Pattern   string
}

func (e *JavaRegexError) Error() string {
	return "line " + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Col) + ": " + e.Msg + " in regex [" + e.Pattern + "]"
}

// CompileJavaRegex translates and compiles a Java regular expression.
func CompileJavaRegex(pattern string) (*JavaRegex, error) {
	g, err := TranslateJavaRegex(pattern)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(g)
	if err != nil {
		return nil, &JavaRegexError{Line: 1, Col: 1, Msg: err.Error(), Pattern: pattern}
	}
	return &JavaRegex{re: re}, nil
}

// Regexp exposes the compiled RE2 program.
func (j *JavaRegex) Regexp() *regexp.Regexp { return j.re }

// rxTranslator walks a Java pattern once, writing RE2 syntax.
type rxTranslator struct {
	p      string
	i      int
	out    strings.Builder
	dotAll bool // the pattern sets (?s) somewhere: leave '.' to RE2's flag handling
}

// TranslateJavaRegex rewrites a Java regex into RE2 syntax.
func TranslateJavaRegex(p string) (string, error) {
	t := &rxTranslator{p: p, dotAll: strings.Contains(p, "(?s") || strings.Contains(p, "(?is") || strings.Contains(p, "(?si")}
	if err := t.seq(0); err != nil {
		return "", err
	}
	return t.out.String(), nil
}

func (t *rxTranslator) errAt(pos int, msg string) error {
	line, col := 1, 1
	for k := 0; k < pos && k < len(t.p); k++ {
		if t.p[k] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &JavaRegexError{Line: line, Col: col, Msg: msg, Pattern: t.p}
}

// seq translates until the end of the pattern or the ')' closing a group at depth.
func (t *rxTranslator) seq(depth int) error {
	afterAtom := false // a quantifier may follow
	for t.i < len(t.p) {
		c := t.p[t.i]
		switch c {
		case ')':
			if depth == 0 {
				return t.errAt(t.i, "Unmatched closing ')'")
			}
			return nil
		case '(':
			if err := t.group(depth); err != nil {
				return err
			}
			afterAtom = true
			continue
		case '[':
			if err := t.class(); err != nil {
				return err
			}
			afterAtom = true
			continue
		case '\\':
			if err := t.escape(false); err != nil {
				return err
			}
			afterAtom = true
			continue
		case '*', '+', '?':
			if !afterAtom {
				return t.errAt(t.i, "Dangling meta character '"+string(c)+"'")
			}
			t.out.WriteByte(c)
			t.i++
			t.quantSuffix()
			afterAtom = false
			continue
		case '{':
			if !afterAtom {
				return t.errAt(t.i, "Illegal repetition")
			}
			end := t.i + 1
			for end < len(t.p) && (t.p[end] >= '0' && t.p[end] <= '9' || t.p[end] == ',') {
				end++
			}
			if end >= len(t.p) || t.p[end] != '}' || end == t.i+1 || t.p[t.i+1] == ',' {
				return t.errAt(t.i, "Illegal repetition")
			}
			t.out.WriteString(t.p[t.i : end+1])
			t.i = end + 1
			t.quantSuffix()
			afterAtom = false
			continue
		case '.':
			if t.dotAll {
				t.out.WriteByte('.')
			} else {
				// Java's '.' also stops at \r, \u0085, \u2028 and \u2029.
				t.out.WriteString(`[^\n\r\x{85}\x{2028}\x{2029}]`)
			}
		case '^', '$', '|':
			t.out.WriteByte(c)
			t.i++
			afterAtom = false
			continue
		default:
			t.out.WriteByte(c)
		}
		t.i++
		afterAtom = true
	}
	return nil
}

// quantSuffix copies a lazy '?' and drops a possessive '+' (approximated as greedy).
func (t *rxTranslator) quantSuffix() {
	if t.i < len(t.p) {
		switch t.p[t.i] {
		case '?':
			t.out.WriteByte('?')
			t.i++
		case '+':
			t.i++
		}
	}
}

func (t *rxTranslator) group(depth int) error {
	start := t.i
	t.i++ // '('
	if strings.HasPrefix(t.p[t.i:], "?") {
		rest := t.p[t.i+1:]
		switch {
		case strings.HasPrefix(rest, ":"):
			t.out.WriteString("(?:")
			t.i += 2
		case strings.HasPrefix(rest, ">"):
			t.out.WriteString("(?:") // atomic group: approximated
			t.i += 2
		case strings.HasPrefix(rest, "!"):
			// A negative lookahead of single characters before a single
			// character becomes a class difference: (?![ab])[a-z] -> [c-z].
			if t.negLookaheadClass(start) {
				return nil
			}
			return t.errAt(start, "lookaround groups are not supported")
		case strings.HasPrefix(rest, "="),
			strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, "<!"):
			return t.errAt(start, "lookaround groups are not supported")
		case strings.HasPrefix(rest, "<"):
			end := strings.IndexByte(rest, '>')
			if end < 2 {
				return t.errAt(start, "named capturing group is missing trailing '>'")
			}
			t.out.WriteString("(?P<" + rest[1:end] + ">")
			t.i += 1 + end + 1
		default:
			// Inline flags: (?idmsuxU-idmsuxU) or (?flags:...)
			k := 0
			var flags strings.Builder
			neg := false
			for k < len(rest) && rest[k] != ')' && rest[k] != ':' {
				f := rest[k]
				switch f {
				case 'i', 'm', 's', 'U':
					flags.WriteByte(f)
				case '-':
					neg = true
					flags.WriteByte(f)
				case 'u', 'd':
					// Unicode case / UNIX_LINES: no RE2 equivalent needed.
				case 'x':
					return t.errAt(start, "comments mode (?x) is not supported")
				default:
					return t.errAt(start+2+k, "Unknown inline modifier")
				}
				k++
			}
			if k >= len(rest) {
				return t.errAt(start, "Unclosed group")
			}
			fs := flags.String()
			if neg && strings.HasSuffix(fs, "-") {
				fs = strings.TrimSuffix(fs, "-")
			}
			if rest[k] == ')' {
				if fs != "" {
					t.out.WriteString("(?" + fs + ")")
				}
				t.i += 1 + k + 1
				return nil
			}
			t.out.WriteString("(?" + fs + ":")
			t.i += 1 + k + 1
		}
	} else {
		t.out.WriteByte('(')
	}
	if err := t.seq(depth + 1); err != nil {
		return err
	}
	if t.i >= len(t.p) {
		return t.errAt(start, "Unclosed group")
	}
	t.out.WriteByte(')')
	t.i++
	return nil
}

// class translates a character class, flattening Java's nested unions.
func (t *rxTranslator) class() error {
	t.out.WriteByte('[')
	return t.classBody(true)
}

func (t *rxTranslator) classBody(outer bool) error {
	start := t.i
	t.i++ // '['
	if t.i < len(t.p) && t.p[t.i] == '^' {
		if !outer {
			return t.errAt(t.i, "negated nested character classes are not supported")
		}
		t.out.WriteByte('^')
		t.i++
	}
	first := true
	for t.i < len(t.p) {
		c := t.p[t.i]
		switch {
		case c == ']' && !first:
			if outer {
				t.out.WriteByte(']')
			}
			t.i++
			return nil
		case c == ']':
			t.out.WriteString(`\]`)
			t.i++
		case c == '[':
			if err := t.classBody(false); err != nil {
				return err
			}
		case c == '&' && strings.HasPrefix(t.p[t.i:], "&&"):
			return t.errAt(t.i, "character class intersection (&&) is not supported")
		case c == '\\':
			if err := t.escape(true); err != nil {
				return err
			}
		default:
			t.out.WriteByte(c)
			t.i++
		}
		first = false
	}
	return t.errAt(start, "Unclosed character class")
}

// rxPosix maps Java's \p{...} POSIX and java* names to RE2 class contents.
var rxPosix = map[string]string{
	"Lower": `a-z`, "Upper": `A-Z`, "ASCII": `\x00-\x7F`, "Alpha": `a-zA-Z`,
	"Digit": `0-9`, "Alnum": `a-zA-Z0-9`, "Punct": `!-/:-@\[-` + "`" + `{-~`,
	"Graph": `!-~`, "Print": ` -~`, "Blank": ` \t`, "Cntrl": `\x00-\x1F\x7F`,
	"XDigit": `0-9a-fA-F`, "Space": ` \t\n\x0B\f\r`,
	"javaLowerCase": `\p{Ll}`, "javaUpperCase": `\p{Lu}`, "javaWhitespace": `\s\x0B\x1C-\x1F`,
	"IsAlphabetic": `\p{L}\p{Nl}`, "IsDigit": `\p{Nd}`, "IsLetter": `\p{L}`,
	"IsLowercase": `\p{Ll}`, "IsUppercase": `\p{Lu}`, "IsWhite_Space": `\s\x0B\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}`,
}

const (
	rxHSpace = ` \t\x{A0}\x{1680}\x{180E}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}`
	rxVSpace = `\n\x0B\f\r\x{85}\x{2028}\x{2029}`
	rxJSpace = ` \t\n\x0B\f\r`
)

// escape translates one backslash escape; inClass means inside [...].
func (t *rxTranslator) escape(inClass bool) error {
	start := t.i
	if t.i+1 >= len(t.p) {
		return t.errAt(start, "Unexpected internal error")
	}
	c := t.p[t.i+1]
	t.i += 2
	set := func(body string, neg bool) {
		switch {
		case inClass && !neg:
			t.out.WriteString(body)
		case inClass: // negated set inside a class: RE2 has no nested negation
			t.out.WriteString(`\P{Any}`) // unreachable in practice; keeps syntax valid
		case neg:
			t.out.WriteString("[^" + body + "]")
		default:
			t.out.WriteString("[" + body + "]")
		}
	}
	switch c {
	case 'd', 'D', 'w', 'W', 't', 'n', 'r', 'f', 'a':
		t.out.WriteByte('\\')
		t.out.WriteByte(c)
	case 'b', 'B', 'A', 'z':
		if inClass {
			return t.errAt(start, "Illegal/unsupported escape sequence")
		}
		t.out.WriteByte('\\')
		t.out.WriteByte(c)
	case 'Z':
		if inClass {
			return t.errAt(start, "Illegal/unsupported escape sequence")
		}
		t.out.WriteString(`\z`)
	case 's':
		set(rxJSpace, false)
	case 'S':
		if inClass {
			t.out.WriteString(`\S`)
		} else {
			set(rxJSpace, true)
		}
	case 'h':
		set(rxHSpace, false)
	case 'H':
		if inClass {
			return t.errAt(start, `\H inside a character class is not supported`)
		}
		set(rxHSpace, true)
	case 'v':
		set(rxVSpace, false)
	case 'V':
		if inClass {
			return t.errAt(start, `\V inside a character class is not supported`)
		}
		set(rxVSpace, true)
	case 'R':
		if inClass {
			return t.errAt(start, "Illegal/unsupported escape sequence")
		}
		t.out.WriteString(`(?:\r\n|[` + rxVSpace + `])`)
	case 'e':
		t.out.WriteString(`\x1B`)
	case 'c':
		if t.i >= len(t.p) {
			return t.errAt(start, "Illegal control escape sequence")
		}
		t.out.WriteString(`\x{` + strconv.FormatInt(int64(t.p[t.i]^64), 16) + `}`)
		t.i++
	case '0':
		k := t.i
		for k < len(t.p) && k < t.i+3 && t.p[k] >= '0' && t.p[k] <= '7' {
			k++
		}
		if k == t.i {
			return t.errAt(start, "Illegal octal escape sequence")
		}
		v, _ := strconv.ParseInt(t.p[t.i:k], 8, 32)
		if v > 0377 {
			k--
			v, _ = strconv.ParseInt(t.p[t.i:k], 8, 32)
		}
		t.out.WriteString(`\x{` + strconv.FormatInt(v, 16) + `}`)
		t.i = k
	case 'x':
		if t.i < len(t.p) && t.p[t.i] == '{' {
			end := strings.IndexByte(t.p[t.i:], '}')
			if end < 0 {
				return t.errAt(start, "Unclosed hexadecimal escape sequence")
			}
			t.out.WriteString(`\x` + t.p[t.i:t.i+end+1])
			t.i += end + 1
			break
		}
		if t.i+2 > len(t.p) || !strIsHex(t.p[t.i]) || !strIsHex(t.p[t.i+1]) {
			return t.errAt(start, "Illegal hexadecimal escape sequence")
		}
		t.out.WriteString(`\x` + t.p[t.i:t.i+2])
		t.i += 2
	case 'u':
		if t.i+4 > len(t.p) {
			return t.errAt(start, "Illegal Unicode escape sequence")
		}
		for k := 0; k < 4; k++ {
			if !strIsHex(t.p[t.i+k]) {
				return t.errAt(start, "Illegal Unicode escape sequence")
			}
		}
		t.out.WriteString(`\x{` + t.p[t.i:t.i+4] + `}`)
		t.i += 4
	case 'p', 'P':
		name := ""
		if t.i < len(t.p) && t.p[t.i] == '{' {
			end := strings.IndexByte(t.p[t.i:], '}')
			if end < 0 {
				return t.errAt(start, "Unclosed character family")
			}
			name = t.p[t.i+1 : t.i+end]
			t.i += end + 1
		} else if t.i < len(t.p) {
			name = t.p[t.i : t.i+1]
			t.i++
		}
		if body, ok := rxPosix[name]; ok {
			if c == 'P' && inClass {
				return t.errAt(start, `\P{`+name+`} inside a character class is not supported`)
			}
			set(body, c == 'P')
			break
		}
		n := strings.TrimPrefix(strings.TrimPrefix(name, "Is"), "In")
		if strings.HasPrefix(n, "general_category=") || strings.HasPrefix(n, "gc=") || strings.HasPrefix(n, "script=") || strings.HasPrefix(n, "sc=") {
			n = n[strings.IndexByte(n, '=')+1:]
		}
		t.out.WriteString(`\` + string(c) + `{` + n + `}`)
	case 'Q':
		end := strings.Index(t.p[t.i:], `\E`)
		lit := t.p[t.i:]
		if end >= 0 {
			lit = t.p[t.i : t.i+end]
			t.i += end + 2
		} else {
			t.i = len(t.p)
		}
		if inClass {
			for k := 0; k < len(lit); k++ {
				t.out.WriteString(rxClassLiteral(lit[k]))
			}
		} else {
			t.out.WriteString(regexp.QuoteMeta(lit))
		}
	case 'E':
		// A stray \E is ignored by Java.
	case 'k':
		return t.errAt(start, "named back-references are not supported")
	case 'G', 'X', 'N':
		return t.errAt(start, `\`+string(c)+" is not supported")
	default:
		switch {
		case c >= '1' && c <= '9':
			return t.errAt(start, "back-references are not supported")
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			return t.errAt(start, "Illegal/unsupported escape sequence")
		case c >= utf8.RuneSelf:
			// An escaped non-ASCII character is that character.
			r, n := utf8.DecodeRuneInString(t.p[t.i-1:])
			t.out.WriteString(regexp.QuoteMeta(string(r)))
			t.i += n - 1
		default:
			t.out.WriteByte('\\')
			t.out.WriteByte(c)
		}
	}
	return nil
}

// negLookaheadClass rewrites "(?!A|B|...)Y" where every alternative and Y
// match exactly one character and Y carries no quantifier, emitting the
// class Y minus (A|B|...). It reports false, consuming nothing, otherwise.
func (t *rxTranslator) negLookaheadClass(start int) bool {
	if strings.Contains(t.p, "(?i") {
		return false // case folding would change the sets
	}
	i := start + 3 // past "(?!"
	var excl [][2]rune
	for {
		rs, next, ok := t.atomRanges(i)
		if !ok {
			return false
		}
		excl = append(excl, rs...)
		i = next
		if i < len(t.p) && t.p[i] == '|' {
			i++
			continue
		}
		if i < len(t.p) && t.p[i] == ')' {
			i++
			break
		}
		return false
	}
	keep, next, ok := t.atomRanges(i)
	if !ok || (next < len(t.p) && strings.IndexByte("*+?{", t.p[next]) >= 0) {
		return false
	}
	t.out.WriteString(rxRangesClass(rxSubtract(keep, excl)))
	t.i = next
	return true
}

// atomRanges translates the single-character atom at i and returns its
// character set and the index after it.
func (t *rxTranslator) atomRanges(i int) ([][2]rune, int, bool) {
	if i >= len(t.p) {
		return nil, i, false
	}
	sub := &rxTranslator{p: t.p, i: i, dotAll: t.dotAll}
	switch c := t.p[i]; {
	case c == '[':
		if sub.class() != nil {
			return nil, i, false
		}
	case c == '\\':
		if sub.escape(false) != nil {
			return nil, i, false
		}
	case strings.IndexByte("()|*+?{}^$.", c) >= 0:
		return nil, i, false
	default:
		r, n := utf8.DecodeRuneInString(t.p[i:])
		sub.out.WriteString(regexp.QuoteMeta(string(r)))
		sub.i = i + n
	}
	re, err := syntax.Parse(sub.out.String(), syntax.Perl)
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

// rxSubtract removes the ranges in excl from keep.
func rxSubtract(keep, excl [][2]rune) [][2]rune {
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

func rxRangesClass(rs [][2]rune) string {
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

func rxClassLiteral(c byte) string {
	switch c {
	case '\\', ']', '[', '^', '-':
		return `\` + string(c)
	}
	return string(c)
}

// ReplaceAll replaces every match as Java's Matcher.replaceAll does: "$n" and
// "${name}" insert groups (an unmatched group inserts nothing), a backslash
// quotes the next character.
func (j *JavaRegex) ReplaceAll(s, repl string) (string, error) {
	matches := j.re.FindAllStringSubmatchIndex(s, -1)
	if matches == nil {
		return s, nil
	}
	literal := !strings.ContainsAny(repl, `$\`)
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, m := range matches {
		b.WriteString(s[last:m[0]])
		if literal {
			b.WriteString(repl)
		} else if err := j.expand(&b, s, repl, m); err != nil {
			return "", err
		}
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

func (j *JavaRegex) expand(b *strings.Builder, s, repl string, m []int) error {
	groups := j.re.NumSubexp()
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch c {
		case '\\':
			i++
			if i >= len(repl) {
				return EvalError("java.lang.IllegalArgumentException: character to be escaped is missing")
			}
			b.WriteByte(repl[i])
		case '$':
			i++
			if i >= len(repl) {
				return EvalError("java.lang.IllegalArgumentException: Illegal group reference: group index is missing")
			}
			g := -1
			if repl[i] == '{' {
				end := strings.IndexByte(repl[i:], '}')
				if end < 0 {
					return EvalError("java.lang.IllegalArgumentException: named capturing group is missing trailing '}'")
				}
				name := repl[i+1 : i+end]
				g = j.re.SubexpIndex(name)
				if g < 0 {
					return EvalError("java.lang.IllegalArgumentException: No group with name {" + name + "}")
				}
				i += end
			} else {
				if repl[i] < '0' || repl[i] > '9' {
					return EvalError("java.lang.IllegalArgumentException: Illegal group reference")
				}
				g = int(repl[i] - '0')
				if g > groups {
					return EvalError("java.lang.IndexOutOfBoundsException: No group " + strconv.Itoa(g))
				}
				// Java keeps taking digits while the group number stays valid.
				for i+1 < len(repl) && repl[i+1] >= '0' && repl[i+1] <= '9' {
					ng := g*10 + int(repl[i+1]-'0')
					if ng > groups {
						break
					}
					g = ng
					i++
				}
			}
			if m[2*g] >= 0 {
				b.WriteString(s[m[2*g]:m[2*g+1]])
			}
		default:
			b.WriteByte(c)
		}
	}
	return nil
}
