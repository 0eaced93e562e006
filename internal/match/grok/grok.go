// Package grok owns ES|QL GROK patterns: `%{SYNTAX:SEMANTIC[:type]}`
// references into the standard (ECS-flavoured) pattern library, named
// captures `(?<name>…)`, and recursive expansion with cycle detection. The
// regular expressions themselves are written in Joni's Ruby syntax, which
// Elasticsearch compiles grok with; package javaregex translates them to Go's
// RE2 (linear time, no backtracking) and documents the approximations (no
// lookaround or backreferences; atomic groups and possessive quantifiers
// become greedy; `\w`, `\b` and `\s` are ASCII-only).
//
// Semantics follow Elasticsearch: the match is an unanchored search; output
// columns are the capture names sorted by name (esql Grok.Parser
// extractedFields sorts GrokCaptureConfig by name); a name captured more than
// once yields a multi-value; types int → integer, long → long, float and
// double → double (float parses at 32-bit precision first, as Java's
// Float.parseFloat does), boolean → boolean, anything else → keyword
// (GrokCaptureType.fromString defaults to string). The built-in library
// drops the lookbehind guards of BASE10NUM and IPV4, so a number or address
// glued to preceding digits can match where Elasticsearch would not.
package grok

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"vigil/internal/doc"
	"vigil/internal/match/javaregex"
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

// maxDepth bounds reference nesting; real libraries nest a handful deep.
const maxDepth = 64

// expander expands %{NAME:SEMANTIC:type} references for the shared Joni
// translator, remembering each capture's conversion.
type expander struct {
	t      *javaregex.Translator
	lib    map[string]string
	convs  map[int]conv // capture group -> conversion (references only)
	stack  []string
	inline map[string]string
	col    int // 1-based column of the reference being expanded in the user's pattern
}

// Compile expands and compiles a grok pattern.
func Compile(pattern string) (*Pattern, error) { return compile(pattern, builtin) }

func compile(pattern string, lib map[string]string) (*Pattern, error) {
	e := &expander{t: &javaregex.Translator{Dialect: javaregex.Joni}, lib: lib, convs: map[int]conv{}}
	e.t.Reference = e.reference
	if err := e.t.Translate(pattern); err != nil {
		var je *javaregex.Error
		if errors.As(err, &je) {
			return nil, &Error{1, je.Offset + 1, je.Msg}
		}
		return nil, err
	}
	re, err := regexp.Compile(e.t.String())
	if err != nil {
		return nil, &Error{1, 1, "invalid grok pattern: " + err.Error()}
	}
	p := &Pattern{source: pattern, re: re}
	byName := map[string]int{}
	for i, name := range e.t.Names() {
		fi, ok := byName[name]
		if !ok {
			c := e.convs[i+1]
			fi = len(p.fields)
			byName[name] = fi
			p.fields = append(p.fields, Field{Name: name, Type: convTypes[c]})
			p.groups = append(p.groups, nil)
			p.convs = append(p.convs, c)
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

func isNameByte(c byte) bool {
	// Grok's reference syntax uses [A-z0-9], which includes [\]^_ and `.
	return (c >= 'A' && c <= 'z') || (c >= '0' && c <= '9')
}

func isSubnameByte(c byte) bool {
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		strings.IndexByte("@[]_:.-", c) >= 0
}

// reference expands %{NAME[:SEMANTIC[:type]][=DEFINITION]} at src[i:] and
// returns its length, or 0 when the text is not a reference. Errors in the
// user's pattern are reported where they are; errors inside a library
// definition are reported at the reference that pulled it in.
func (e *expander) reference(src string, i int) (int, error) {
	if len(e.stack) == 0 {
		e.col = i + 1
	}
	col := e.col
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
		if def, ok = e.inline[name]; !ok {
			if def, ok = e.lib[name]; !ok {
				return 0, &Error{1, col, fmt.Sprintf("Unable to find pattern [%s] in Grok's pattern dictionary", name)}
			}
		}
	} else {
		if e.inline == nil {
			e.inline = map[string]string{}
		}
		e.inline[name] = def
	}
	for _, s := range e.stack {
		if s == name {
			return 0, &Error{1, col, fmt.Sprintf("circular reference in pattern [%s]: %s -> %s", name, strings.Join(e.stack, " -> "), name)}
		}
	}
	if len(e.stack) >= maxDepth {
		return 0, &Error{1, col, "pattern references nest too deeply"}
	}
	if sub != "" {
		semantic, typ, _ := strings.Cut(sub, ":")
		typ, _, _ = strings.Cut(typ, ":")
		e.convs[e.t.Capture(semantic)] = convOf(typ)
	} else {
		e.t.Write("(?:")
	}
	e.stack = append(e.stack, name)
	if err := e.t.Translate(def); err != nil {
		var je *javaregex.Error
		if errors.As(err, &je) {
			return 0, &Error{1, col, je.Msg}
		}
		return 0, err
	}
	e.stack = e.stack[:len(e.stack)-1]
	e.t.Write(")")
	return j - i, nil
}
