// Package grok owns ES|QL GROK patterns: `%{SYNTAX:SEMANTIC[:type]}`
// references into the standard (ECS-flavoured) pattern library, named
// captures `(?<name>…)`, recursive expansion with cycle detection, and
// translation of the Oniguruma/Java regex dialect grok patterns are written in
// into Go's RE2 (linear time, no backtracking).
//
// Semantics follow Elasticsearch: the match is an unanchored search; output
// columns are the capture names sorted by name (esql Grok.Parser
// extractedFields sorts GrokCaptureConfig by name); a name captured more than
// once yields a multi-value; types int → integer, long → long, float and
// double → double (float parses at 32-bit precision first, as Java's
// Float.parseFloat does), boolean → boolean, anything else → keyword
// (GrokCaptureType.fromString defaults to string).
//
// RE2 has no lookaround, atomic groups, possessive quantifiers or
// backreferences. Atomic groups and possessive quantifiers are translated to
// their ordinary forms (the same matches on all but contrived inputs);
// lookaround and backreferences are rejected with an error. The built-in
// library drops the lookbehind guards of BASE10NUM and IPV4, so a number or
// address glued to preceding digits can match where Elasticsearch would not.
// Elasticsearch compiles with Joni's default Ruby syntax, so `^`/`$` anchor
// at line boundaries, `(?m)` means dot-matches-newline and `\h` is a hex
// digit; these are mapped to their RE2 spellings. `\w`, `\b` and `\s` are
// ASCII-only in RE2, Unicode-aware in Joni.
package grok

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"vigil/internal/doc"
)

// Error is a pattern error at a 1-based line:col of the GROK pattern.
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// Field is one output column.
type Field struct {
	Name string
	Type doc.Type
}

type conv uint8

const (
	convString conv = iota
	convInt
	convLong
	convFloat
	convDouble
	convBool
)

var convTypes = [...]doc.Type{convString: doc.Keyword, convInt: doc.Integer, convLong: doc.Long,
	convFloat: doc.Double, convDouble: doc.Double, convBool: doc.Boolean}

func convOf(t string) conv {
	switch t {
	case "int":
		return convInt
	case "long":
		return convLong
	case "float":
		return convFloat
	case "double":
		return convDouble
	case "boolean":
		return convBool
	}
	return convString
}

// Pattern is a compiled grok pattern; immutable and safe for concurrent use.
type Pattern struct {
	source string
	re     *regexp.Regexp
	fields []Field
	groups [][]int // per field: submatch indexes, in pattern order
	convs  []conv  // per field
}

type capture struct {
	name string
	conv conv
}

// maxDepth bounds reference nesting; real libraries nest a handful deep.
const maxDepth = 64

type translator struct {
	lib    map[string]string
	out    strings.Builder
	caps   []capture // in capture-group order (group i+1)
	stack  []string
	inline map[string]string
}

// Compile expands and compiles a grok pattern.
func Compile(pattern string) (*Pattern, error) { return compile(pattern, builtin) }

func compile(pattern string, lib map[string]string) (*Pattern, error) {
	t := &translator{lib: lib}
	// Elasticsearch compiles grok with Joni's default (Ruby) syntax, where ^
	// and $ always anchor at line boundaries: RE2's multi-line mode.
	t.out.WriteString("(?m)")
	if err := t.translate(pattern, 0, true); err != nil {
		return nil, err
	}
	re, err := regexp.Compile(t.out.String())
	if err != nil {
		return nil, &Error{1, 1, "invalid grok pattern: " + err.Error()}
	}
	p := &Pattern{source: pattern, re: re}
	byName := map[string]int{}
	for i, c := range t.caps {
		fi, ok := byName[c.name]
		if !ok {
			fi = len(p.fields)
			byName[c.name] = fi
			p.fields = append(p.fields, Field{Name: c.name, Type: convTypes[c.conv]})
			p.groups = append(p.groups, nil)
			p.convs = append(p.convs, c.conv)
		}
		p.groups[fi] = append(p.groups[fi], i+1)
	}
	idx := make([]int, len(p.fields))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p.fields[idx[a]].Name < p.fields[idx[b]].Name })
	fields, groups, convs := make([]Field, len(idx)), make([][]int, len(idx)), make([]conv, len(idx))
	for i, j := range idx {
		fields[i], groups[i], convs[i] = p.fields[j], p.groups[j], p.convs[j]
	}
	p.fields, p.groups, p.convs = fields, groups, convs
	return p, nil
}

// Source returns the pattern as written.
func (p *Pattern) Source() string { return p.source }

// Regexp returns the translated RE2 expression (for diagnostics).
func (p *Pattern) Regexp() string { return p.re.String() }

// Fields lists the output columns in ES|QL order (sorted by name).
func (p *Pattern) Fields() []Field { return p.fields }

// Match searches s for the pattern. On a match it returns one value per
// field (null when the capture did not take part or its text does not
// convert to the field's type).
func (p *Pattern) Match(s string) ([]doc.Value, bool) {
	loc := p.re.FindStringSubmatchIndex(s)
	if loc == nil {
		return nil, false
	}
	out := make([]doc.Value, len(p.fields))
	for fi, gs := range p.groups {
		var vals []doc.Value
		for _, g := range gs {
			a, b := loc[2*g], loc[2*g+1]
			if a < 0 {
				continue
			}
			if v := convert(s[a:b], p.convs[fi]); !v.IsNull() {
				vals = append(vals, v)
			}
		}
		out[fi] = doc.Multi(p.fields[fi].Type, vals)
	}
	return out, true
}

func convert(s string, c conv) doc.Value {
	switch c {
	case convInt:
		if v, err := strconv.ParseInt(s, 10, 32); err == nil {
			return doc.Int(int32(v))
		}
		return doc.Value{}
	case convLong:
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			return doc.Long64(v)
		}
		return doc.Value{}
	case convFloat:
		if v, err := strconv.ParseFloat(s, 32); err == nil {
			return doc.Float(float64(float32(v)))
		}
		return doc.Value{}
	case convDouble:
		if v, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(v, 0) {
			return doc.Float(v)
		}
		return doc.Value{}
	case convBool:
		return doc.Bool(strings.EqualFold(s, "true"))
	}
	return doc.KeywordOf(s)
}

// translate appends the RE2 form of src. top marks the user's own pattern,
// whose offsets are reported in errors; errors inside library definitions
// are reported at the reference that pulled them in.
func (t *translator) translate(src string, at int, top bool) error {
	pos := func(i int) int {
		if top {
			return i + 1
		}
		return at
	}
	fail := func(i int, format string, args ...any) error {
		return &Error{1, pos(i), fmt.Sprintf(format, args...)}
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '%' && i+1 < len(src) && src[i+1] == '{':
			n, err := t.reference(src, i, pos(i))
			if err != nil {
				return err
			}
			if n == 0 { // not grok syntax: a literal %
				t.out.WriteByte('%')
				i++
				continue
			}
			i += n
		case c == '\\':
			if i+1 >= len(src) {
				return fail(i, "trailing backslash")
			}
			d := src[i+1]
			switch {
			case d >= '1' && d <= '9', d == 'k' && i+2 < len(src) && src[i+2] == '<':
				return fail(i, "backreferences are not supported")
			case d == 'Z':
				// End of input or before a final newline.
				t.out.WriteString(`(?:\n?\z)`)
			case d == 'h': // Ruby: a hexadecimal digit
				t.out.WriteString(`[0-9a-fA-F]`)
			case d == 'H':
				t.out.WriteString(`[^0-9a-fA-F]`)
			default:
				t.out.WriteByte('\\')
				t.out.WriteByte(d)
			}
			i += 2
		case c == '[':
			n, err := t.class(src, i, fail)
			if err != nil {
				return err
			}
			i += n
		case c == '(':
			n, err := t.group(src, i, fail)
			if err != nil {
				return err
			}
			i += n
		case c == '*' || c == '+' || c == '?' || c == '}':
			t.out.WriteByte(c)
			i++
			if i < len(src) && src[i] == '+' {
				i++ // possessive quantifier: RE2 has only the greedy form
			}
		default:
			t.out.WriteByte(c)
			i++
		}
	}
	return nil
}

// class copies a bracket expression verbatim, rejecting Java-only nesting
// and intersection, which RE2 would silently read as literals.
func (t *translator) class(src string, i int, fail func(int, string, ...any) error) (int, error) {
	j := i + 1
	if j < len(src) && src[j] == '^' {
		j++
	}
	if j < len(src) && src[j] == ']' {
		j++
	}
	for j < len(src) {
		switch {
		case src[j] == '\\':
			j += 2
			continue
		case src[j] == '[' && j+1 < len(src) && src[j+1] == ':':
			k := strings.Index(src[j:], ":]")
			if k < 0 {
				return 0, fail(j, "unterminated POSIX class")
			}
			j += k + 2
			continue
		case src[j] == '[':
			return 0, fail(j, "nested character classes are not supported")
		case src[j] == '&' && j+1 < len(src) && src[j+1] == '&':
			return 0, fail(j, "character class intersection (&&) is not supported")
		case src[j] == ']':
			t.out.WriteString(src[i : j+1])
			return j + 1 - i, nil
		}
		j++
	}
	return 0, fail(i, "missing closing ]")
}

// group translates an opening parenthesis and its (?…) prefix.
func (t *translator) group(src string, i int, fail func(int, string, ...any) error) (int, error) {
	rest := src[i:]
	switch {
	case strings.HasPrefix(rest, "(?<=") || strings.HasPrefix(rest, "(?<!"):
		return 0, fail(i, "lookbehind is not supported")
	case strings.HasPrefix(rest, "(?=") || strings.HasPrefix(rest, "(?!"):
		return 0, fail(i, "lookahead is not supported")
	case strings.HasPrefix(rest, "(?>"):
		t.out.WriteString("(?:") // atomic group: RE2 has no backtracking to suppress
		return 3, nil
	case strings.HasPrefix(rest, "(?#"):
		k := strings.IndexByte(rest, ')')
		if k < 0 {
			return 0, fail(i, "unterminated comment")
		}
		return k + 1, nil
	case strings.HasPrefix(rest, "(?<"), strings.HasPrefix(rest, "(?P<"), strings.HasPrefix(rest, "(?'"):
		open := strings.IndexAny(rest, "<'")
		closer := byte('>')
		if rest[open] == '\'' {
			closer = '\''
		}
		k := strings.IndexByte(rest[open+1:], closer)
		if k <= 0 {
			return 0, fail(i, "invalid group name")
		}
		name := rest[open+1 : open+1+k]
		t.caps = append(t.caps, capture{name: name})
		t.out.WriteByte('(')
		return open + k + 2, nil
	case strings.HasPrefix(rest, "(?"):
		// Option groups (?imx-imx) and (?imx-imx:…). Ruby's m is RE2's s
		// (dot matches newline); RE2 has no extended (x) mode.
		j := 2
		for j < len(rest) && (rest[j] == '-' || (rest[j] >= 'a' && rest[j] <= 'z')) {
			j++
		}
		if j == len(rest) || (rest[j] != ')' && rest[j] != ':') {
			t.out.WriteString("(?")
			return 2, nil
		}
		t.out.WriteString("(?")
		for _, f := range []byte(rest[2:j]) {
			switch f {
			case 'm':
				f = 's'
			case 'x':
				return 0, fail(i, "extended mode (?x) is not supported")
			}
			t.out.WriteByte(f)
		}
		return j, nil
	}
	// Plain groups capture nothing grok reports; keep the regexp cheap.
	t.out.WriteString("(?:")
	return 1, nil
}

func isNameByte(c byte) bool {
	// Grok's reference syntax uses [A-z0-9], which includes [\]^_ and `.
	return (c >= 'A' && c <= 'z') || (c >= '0' && c <= '9')
}

func isSubnameByte(c byte) bool {
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		strings.IndexByte("@[]_:.-", c) >= 0
}

// reference expands %{NAME[:SEMANTIC[:type]][=DEFINITION]} at src[i:] and
// returns its length, or 0 when the text is not a reference.
func (t *translator) reference(src string, i, col int) (int, error) {
	j := i + 2
	for j < len(src) && isNameByte(src[j]) {
		j++
	}
	name := src[i+2 : j]
	if name == "" {
		return 0, nil
	}
	var sub, def string
	hasDef := false
	if j < len(src) && src[j] == ':' {
		k := j + 1
		for k < len(src) && isSubnameByte(src[k]) {
			k++
		}
		sub = src[j+1 : k]
		if sub == "" {
			return 0, nil
		}
		j = k
	}
	if j < len(src) && src[j] == '=' {
		k := j + 1
		for k < len(src) && src[k] != '{' && src[k] != '}' {
			k++
		}
		def, hasDef = src[j+1:k], true
		j = k
	}
	if j >= len(src) || src[j] != '}' {
		return 0, nil
	}
	j++
	if !hasDef {
		var ok bool
		if def, ok = t.inline[name]; !ok {
			if def, ok = t.lib[name]; !ok {
				return 0, &Error{1, col, fmt.Sprintf("Unable to find pattern [%s] in Grok's pattern dictionary", name)}
			}
		}
	} else {
		if t.inline == nil {
			t.inline = map[string]string{}
		}
		t.inline[name] = def
	}
	for _, s := range t.stack {
		if s == name {
			return 0, &Error{1, col, fmt.Sprintf("circular reference in pattern [%s]: %s -> %s", name, strings.Join(t.stack, " -> "), name)}
		}
	}
	if len(t.stack) >= maxDepth {
		return 0, &Error{1, col, "pattern references nest too deeply"}
	}
	if sub != "" {
		semantic, typ, _ := strings.Cut(sub, ":")
		typ, _, _ = strings.Cut(typ, ":")
		t.caps = append(t.caps, capture{name: semantic, conv: convOf(typ)})
		t.out.WriteByte('(')
	} else {
		t.out.WriteString("(?:")
	}
	t.stack = append(t.stack, name)
	if err := t.translate(def, col, false); err != nil {
		return 0, err
	}
	t.stack = t.stack[:len(t.stack)-1]
	t.out.WriteByte(')')
	return j - i, nil
}
