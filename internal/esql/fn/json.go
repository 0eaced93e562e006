package fn

// JSON_EXTRACT(string, path): pulls one value out of a JSON string (or the
// `_source`, which the engine passes as its JSON text) with the JSONPath
// subset Elasticsearch 9.4 documents: optional `$`, dot keys, quoted bracket
// keys and non-negative array indexes. Strings come back unquoted, numbers
// as written, booleans as true/false, objects and arrays as compact JSON; a
// JSON null gives null. Missing paths, bad indexes and invalid JSON give null
// with a warning. The document is scanned lazily, as Elasticsearch's
// streaming parser does: only the bytes up to the value are read.

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"vigil/internal/doc"
)

func init() {
	register(&Func{Name: "JSON_EXTRACT", MinArgs: 2, MaxArgs: 2, Resolve: resolveJSONExtract})
}

// JSONPath is a parsed JSON_EXTRACT path.
type JSONPath struct {
	orig     string
	segs     []jsonSeg
	notExist error // built once: the warning for a missing path
}

type jsonSeg struct {
	key   string
	index int // >= 0 for an array index, -1 for a key
}

// JSONPathError is a malformed path with the 1-based line:col of the fault.
type JSONPathError struct {
	Line, Col int
	Msg, Path string
}

func (e *JSONPathError) Error() string {
	return "line " + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Col) + ": invalid JSON path [" + e.Path + "]: " + e.Msg
}

type jsonPathParser struct {
	p string
	i int
}

func (pp *jsonPathParser) fail(msg string) error {
	line, col := 1, 1
	for k := 0; k < pp.i && k < len(pp.p); k++ {
		if pp.p[k] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &JSONPathError{Line: line, Col: col, Msg: msg, Path: pp.p}
}

// ParseJSONPath parses a JSON_EXTRACT path by recursive descent:
//
//	path    = [ "$" ] [ key ] { "." key | bracket }
//	bracket = "[" ws ( digits | quoted ) ws "]"
func ParseJSONPath(p string) (*JSONPath, error) {
	pp := &jsonPathParser{p: p}
	jp := &JSONPath{orig: p, notExist: EvalError("java.lang.IllegalArgumentException: path [" + p + "] does not exist")}
	if p == "" {
		return nil, pp.fail("path must not be empty")
	}
	root := false
	if p[0] == '$' {
		pp.i++
		root = true
	}
	first := true
	for pp.i < len(p) {
		c := p[pp.i]
		switch {
		case c == '[':
			seg, err := pp.bracket()
			if err != nil {
				return nil, err
			}
			jp.segs = append(jp.segs, seg)
		case c == '.':
			if first && !root {
				return nil, pp.fail("path must not start with '.'")
			}
			pp.i++
			if pp.i < len(p) && p[pp.i] == '.' {
				return nil, pp.fail("recursive descent (..) is not supported")
			}
			key, err := pp.dotKey()
			if err != nil {
				return nil, err
			}
			jp.segs = append(jp.segs, jsonSeg{key: key, index: -1})
		case first && !root:
			key, err := pp.dotKey()
			if err != nil {
				return nil, err
			}
			jp.segs = append(jp.segs, jsonSeg{key: key, index: -1})
		default:
			return nil, pp.fail("expected '.' or '['")
		}
		first = false
	}
	return jp, nil
}

func (pp *jsonPathParser) dotKey() (string, error) {
	start := pp.i
	for pp.i < len(pp.p) && pp.p[pp.i] != '.' && pp.p[pp.i] != '[' {
		pp.i++
	}
	if pp.i == start {
		return "", pp.fail("expected a key")
	}
	key := pp.p[start:pp.i]
	if key == "*" {
		pp.i = start
		return "", pp.fail("wildcards (*) are not supported")
	}
	return key, nil
}

func (pp *jsonPathParser) ws() {
	for pp.i < len(pp.p) && (pp.p[pp.i] == ' ' || pp.p[pp.i] == '\t') {
		pp.i++
	}
}

func (pp *jsonPathParser) bracket() (jsonSeg, error) {
	pp.i++ // '['
	pp.ws()
	if pp.i >= len(pp.p) {
		return jsonSeg{}, pp.fail("unclosed '['")
	}
	var seg jsonSeg
	switch c := pp.p[pp.i]; {
	case c == '\'' || c == '"':
		key, err := pp.quoted(c)
		if err != nil {
			return jsonSeg{}, err
		}
		seg = jsonSeg{key: key, index: -1}
	case c >= '0' && c <= '9':
		start := pp.i
		for pp.i < len(pp.p) && pp.p[pp.i] >= '0' && pp.p[pp.i] <= '9' {
			pp.i++
		}
		n, err := strconv.Atoi(pp.p[start:pp.i])
		if err != nil {
			pp.i = start
			return jsonSeg{}, pp.fail("array index too large")
		}
		seg = jsonSeg{index: n}
	case c == '-':
		return jsonSeg{}, pp.fail("negative array indices are not supported")
	case c == '*':
		return jsonSeg{}, pp.fail("wildcards (*) are not supported")
	case c == '?':
		return jsonSeg{}, pp.fail("filter expressions are not supported")
	default:
		return jsonSeg{}, pp.fail("expected an array index or a quoted key")
	}
	pp.ws()
	if pp.i >= len(pp.p) || pp.p[pp.i] != ']' {
		if pp.i < len(pp.p) && pp.p[pp.i] == ':' {
			return jsonSeg{}, pp.fail("array slicing is not supported")
		}
		return jsonSeg{}, pp.fail("expected ']'")
	}
	pp.i++
	return seg, nil
}

// quoted reads a quoted bracket key; a backslash escapes the next character.
func (pp *jsonPathParser) quoted(q byte) (string, error) {
	start := pp.i
	pp.i++
	var sb strings.Builder
	for pp.i < len(pp.p) {
		c := pp.p[pp.i]
		switch {
		case c == q:
			pp.i++
			return sb.String(), nil
		case c == '\\' && pp.i+1 < len(pp.p):
			sb.WriteByte(pp.p[pp.i+1])
			pp.i += 2
		default:
			sb.WriteByte(c)
			pp.i++
		}
	}
	pp.i = start
	return "", pp.fail("unclosed quoted key")
}

func resolveJSONExtract(args []doc.Type, consts []*doc.Value) (doc.Type, Eval, error) {
	if !stringOrNull(args[0]) && args[0] != doc.Source {
		return 0, nil, &TypeError{Arg: 0, Expected: "keyword, text or _source", Found: args[0]}
	}
	if !stringOrNull(args[1]) {
		return 0, nil, &TypeError{Arg: 1, Expected: "string", Found: args[1]}
	}
	// A constant path is parsed once; a malformed one fails the query.
	if len(consts) > 1 && consts[1] != nil && consts[1].T != doc.Null && consts[1].M == nil {
		jp, err := ParseJSONPath(consts[1].S)
		if err != nil {
			return 0, nil, err
		}
		return doc.Keyword, strictN(func(a []doc.Value) (doc.Value, error) {
			return jp.Extract(a[0].S)
		}), nil
	}
	return doc.Keyword, strictN(func(a []doc.Value) (doc.Value, error) {
		jp, err := ParseJSONPath(a[1].S)
		if err != nil {
			return doc.Value{}, EvalError("java.lang.IllegalArgumentException: " + err.Error())
		}
		return jp.Extract(a[0].S)
	}), nil
}

var errJSONInvalid = EvalError("java.lang.IllegalArgumentException: invalid JSON input")

// Extract finds the path's value in the JSON text s.
func (jp *JSONPath) Extract(s string) (doc.Value, error) {
	sc := jsonScanner{s: s}
	sc.ws()
	if sc.i >= len(s) {
		return doc.Value{}, errJSONInvalid
	}
	notExist := jp.notExist
	for _, seg := range jp.segs {
		sc.ws()
		if sc.i >= len(s) {
			return doc.Value{}, errJSONInvalid
		}
		switch c := s[sc.i]; {
		case c == '{' && seg.index < 0:
			found, err := sc.findKey(seg.key)
			if err != nil {
				return doc.Value{}, err
			}
			if !found {
				return doc.Value{}, notExist
			}
		case c == '[' && seg.index >= 0:
			found, err := sc.findIndex(seg.index)
			if err != nil {
				return doc.Value{}, err
			}
			if !found {
				return doc.Value{}, EvalError("java.lang.IllegalArgumentException: array index out of bounds")
			}
		default:
			if !jsonValueStart(c) {
				return doc.Value{}, errJSONInvalid
			}
			return doc.Value{}, notExist
		}
	}
	return sc.current()
}

func jsonValueStart(c byte) bool {
	return c == '{' || c == '[' || c == '"' || c == 't' || c == 'f' || c == 'n' || c == '-' || (c >= '0' && c <= '9')
}

// jsonScanner reads JSON text in place.
type jsonScanner struct {
	s string
	i int
}

func (sc *jsonScanner) ws() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

func (sc *jsonScanner) expect(c byte) bool {
	sc.ws()
	if sc.i < len(sc.s) && sc.s[sc.i] == c {
		sc.i++
		return true
	}
	return false
}

// findKey scans the object at sc.i for key and leaves sc.i at its value.
func (sc *jsonScanner) findKey(key string) (bool, error) {
	sc.i++ // '{'
	if sc.expect('}') {
		return false, nil
	}
	for {
		sc.ws()
		if sc.i >= len(sc.s) || sc.s[sc.i] != '"' {
			return false, errJSONInvalid
		}
		name, err := sc.str()
		if err != nil {
			return false, err
		}
		if !sc.expect(':') {
			return false, errJSONInvalid
		}
		sc.ws()
		if name == key {
			return true, nil
		}
		if err := sc.skip(0); err != nil {
			return false, err
		}
		if sc.expect(',') {
			continue
		}
		if sc.expect('}') {
			return false, nil
		}
		return false, errJSONInvalid
	}
}

// findIndex scans the array at sc.i for element n and leaves sc.i at it.
func (sc *jsonScanner) findIndex(n int) (bool, error) {
	sc.i++ // '['
	if sc.expect(']') {
		return false, nil
	}
	for k := 0; ; k++ {
		sc.ws()
		if k == n {
			return true, nil
		}
		if err := sc.skip(0); err != nil {
			return false, err
		}
		if sc.expect(',') {
			continue
		}
		if sc.expect(']') {
			return false, nil
		}
		return false, errJSONInvalid
	}
}

const jsonMaxDepth = 1000

// skip passes over one value, checking its syntax.
func (sc *jsonScanner) skip(depth int) error {
	if depth > jsonMaxDepth {
		return errJSONInvalid
	}
	sc.ws()
	if sc.i >= len(sc.s) {
		return errJSONInvalid
	}
	switch c := sc.s[sc.i]; c {
	case '"':
		return sc.skipStr()
	case '{':
		sc.i++
		if sc.expect('}') {
			return nil
		}
		for {
			sc.ws()
			if sc.i >= len(sc.s) || sc.s[sc.i] != '"' {
				return errJSONInvalid
			}
			if err := sc.skipStr(); err != nil {
				return err
			}
			if !sc.expect(':') {
				return errJSONInvalid
			}
			if err := sc.skip(depth + 1); err != nil {
				return err
			}
			if sc.expect(',') {
				continue
			}
			if sc.expect('}') {
				return nil
			}
			return errJSONInvalid
		}
	case '[':
		sc.i++
		if sc.expect(']') {
			return nil
		}
		for {
			if err := sc.skip(depth + 1); err != nil {
				return err
			}
			if sc.expect(',') {
				continue
			}
			if sc.expect(']') {
				return nil
			}
			return errJSONInvalid
		}
	case 't':
		return sc.lit("true")
	case 'f':
		return sc.lit("false")
	case 'n':
		return sc.lit("null")
	}
	_, err := sc.num()
	return err
}

func (sc *jsonScanner) lit(w string) error {
	if !strings.HasPrefix(sc.s[sc.i:], w) {
		return errJSONInvalid
	}
	sc.i += len(w)
	return nil
}

// num scans a JSON number and returns its text.
func (sc *jsonScanner) num() (string, error) {
	start := sc.i
	s := sc.s
	if sc.i < len(s) && s[sc.i] == '-' {
		sc.i++
	}
	digits := func() int {
		k := sc.i
		for sc.i < len(s) && s[sc.i] >= '0' && s[sc.i] <= '9' {
			sc.i++
		}
		return sc.i - k
	}
	intStart := sc.i
	n := digits()
	if n == 0 || (n > 1 && s[intStart] == '0') {
		return "", errJSONInvalid
	}
	if sc.i < len(s) && s[sc.i] == '.' {
		sc.i++
		if digits() == 0 {
			return "", errJSONInvalid
		}
	}
	if sc.i < len(s) && (s[sc.i] == 'e' || s[sc.i] == 'E') {
		sc.i++
		if sc.i < len(s) && (s[sc.i] == '+' || s[sc.i] == '-') {
			sc.i++
		}
		if digits() == 0 {
			return "", errJSONInvalid
		}
	}
	return s[start:sc.i], nil
}

func (sc *jsonScanner) skipStr() error {
	s := sc.s
	for k := sc.i + 1; k < len(s); k++ {
		switch c := s[k]; {
		case c == '"':
			sc.i = k + 1
			return nil
		case c == '\\':
			k++
		case c < 0x20:
			return errJSONInvalid
		}
	}
	return errJSONInvalid
}

// str reads a string at sc.i, decoding escapes (no copy when there are none).
func (sc *jsonScanner) str() (string, error) {
	s := sc.s
	start := sc.i + 1
	k := start
	for k < len(s) && s[k] != '"' && s[k] != '\\' && s[k] >= 0x20 {
		k++
	}
	if k < len(s) && s[k] == '"' {
		sc.i = k + 1
		return s[start:k], nil
	}
	var b []byte
	b = append(b, s[start:k]...)
	for k < len(s) {
		c := s[k]
		switch {
		case c == '"':
			sc.i = k + 1
			return string(b), nil
		case c < 0x20:
			return "", errJSONInvalid
		case c != '\\':
			b = append(b, c)
			k++
			continue
		}
		if k+1 >= len(s) {
			return "", errJSONInvalid
		}
		e := s[k+1]
		k += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := jsonHex4(s, k)
			if !ok {
				return "", errJSONInvalid
			}
			k += 4
			if utf16.IsSurrogate(r) {
				if r2, ok := jsonHex4(s, k+2); ok && k+1 < len(s) && s[k] == '\\' && s[k+1] == 'u' {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						r = d
						k += 6
					}
				}
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", errJSONInvalid
		}
	}
	return "", errJSONInvalid
}

func jsonHex4(s string, k int) (rune, bool) {
	if k+4 > len(s) {
		return 0, false
	}
	v, err := strconv.ParseUint(s[k:k+4], 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}

// current renders the value at sc.i as JSON_EXTRACT returns it.
func (sc *jsonScanner) current() (doc.Value, error) {
	sc.ws()
	if sc.i >= len(sc.s) {
		return doc.Value{}, errJSONInvalid
	}
	switch c := sc.s[sc.i]; c {
	case '"':
		v, err := sc.str()
		if err != nil {
			return doc.Value{}, err
		}
		return doc.KeywordOf(v), nil
	case 't', 'f', 'n':
		w := jsonLitWord(c)
		if err := sc.lit(w); err != nil {
			return doc.Value{}, err
		}
		if c == 'n' {
			return doc.Value{}, nil
		}
		return doc.KeywordOf(w), nil
	case '{', '[':
		var b []byte
		b, err := sc.compact(b, 0)
		if err != nil {
			return doc.Value{}, err
		}
		return doc.KeywordOf(string(b)), nil
	}
	n, err := sc.num()
	if err != nil {
		return doc.Value{}, err
	}
	return doc.KeywordOf(n), nil
}

// compact re-serialises the value at sc.i without whitespace, re-escaping
// strings the way Jackson writes them.
func (sc *jsonScanner) compact(b []byte, depth int) ([]byte, error) {
	if depth > jsonMaxDepth {
		return nil, errJSONInvalid
	}
	sc.ws()
	if sc.i >= len(sc.s) {
		return nil, errJSONInvalid
	}
	switch c := sc.s[sc.i]; c {
	case '"':
		v, err := sc.str()
		if err != nil {
			return nil, err
		}
		return jsonQuote(b, v), nil
	case '{', '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		sc.i++
		b = append(b, c)
		if sc.expect(closer) {
			return append(b, closer), nil
		}
		for {
			if c == '{' {
				sc.ws()
				if sc.i >= len(sc.s) || sc.s[sc.i] != '"' {
					return nil, errJSONInvalid
				}
				k, err := sc.str()
				if err != nil {
					return nil, err
				}
				b = jsonQuote(b, k)
				if !sc.expect(':') {
					return nil, errJSONInvalid
				}
				b = append(b, ':')
			}
			var err error
			if b, err = sc.compact(b, depth+1); err != nil {
				return nil, err
			}
			if sc.expect(',') {
				b = append(b, ',')
				continue
			}
			if sc.expect(closer) {
				return append(b, closer), nil
			}
			return nil, errJSONInvalid
		}
	case 't', 'f', 'n':
		w := jsonLitWord(c)
		if err := sc.lit(w); err != nil {
			return nil, err
		}
		return append(b, w...), nil
	}
	n, err := sc.num()
	if err != nil {
		return nil, err
	}
	return append(b, n...), nil
}

func jsonQuote(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func jsonLitWord(c byte) string {
	switch c {
	case 't':
		return "true"
	case 'f':
		return "false"
	}
	return "null"
}
