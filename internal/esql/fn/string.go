package fn

// String functions. Every string result is keyword (Elasticsearch returns
// keyword for text input too, per the "Supported types" tables of its ES|QL
// function docs). Positions and lengths count Unicode code points, as Java's
// codePoint APIs do in Elasticsearch.

import (
	"encoding/base64"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"vigil/internal/doc"
	"vigil/internal/match/javaregex"
)

// strMaxBytes is Elasticsearch's cap on strings built by REPEAT, SPACE and CONCAT.
const strMaxBytes = 1024 * 1024

func init() {
	strUnary("LENGTH", doc.Integer, func(s string) (doc.Value, error) {
		return doc.Int(int32(utf8.RuneCountInString(s))), nil
	})
	strUnary("BIT_LENGTH", doc.Integer, func(s string) (doc.Value, error) {
		return doc.Int(int32(len(s) * 8)), nil
	})
	strUnary("BYTE_LENGTH", doc.Integer, func(s string) (doc.Value, error) {
		return doc.Int(int32(len(s))), nil
	})
	strUnary("TRIM", doc.Keyword, func(s string) (doc.Value, error) {
		return doc.KeywordOf(strings.TrimFunc(s, strJavaSpace)), nil
	})
	strUnary("LTRIM", doc.Keyword, func(s string) (doc.Value, error) {
		return doc.KeywordOf(strings.TrimLeftFunc(s, strJavaSpace)), nil
	})
	strUnary("RTRIM", doc.Keyword, func(s string) (doc.Value, error) {
		return doc.KeywordOf(strings.TrimRightFunc(s, strJavaSpace)), nil
	})
	strUnary("REVERSE", doc.Keyword, func(s string) (doc.Value, error) {
		return doc.KeywordOf(strReverse(s)), nil
	})
	strUnary("URL_ENCODE", doc.Keyword, func(s string) (doc.Value, error) {
		return doc.KeywordOf(strURLEncode(s, false)), nil
	})
	strUnary("URL_ENCODE_COMPONENT", doc.Keyword, func(s string) (doc.Value, error) {
		return doc.KeywordOf(strURLEncode(s, true)), nil
	})
	strUnary("URL_DECODE", doc.Keyword, strURLDecode)
	strUnary("TO_BASE64", doc.Keyword, func(s string) (doc.Value, error) {
		return doc.KeywordOf(base64.StdEncoding.EncodeToString([]byte(s))), nil
	})
	strUnary("FROM_BASE64", doc.Keyword, strFromBase64)

	// TO_LOWER/TO_UPPER map each value of a multi-value (current Elasticsearch).
	strMapping("TO_LOWER", strToLower)
	strMapping("TO_UPPER", strToUpper)

	strBinaryBool("STARTS_WITH", strings.HasPrefix)
	strBinaryBool("ENDS_WITH", strings.HasSuffix)
	strBinaryBool("CONTAINS", strings.Contains)

	register(&Func{Name: "CONCAT", MinArgs: 1, MaxArgs: -1, Resolve: resolveConcat})
	register(&Func{Name: "SUBSTRING", MinArgs: 2, MaxArgs: 3, Resolve: resolveSubstring})
	register(&Func{Name: "LEFT", MinArgs: 2, MaxArgs: 2, Resolve: resolveLeftRight(true)})
	register(&Func{Name: "RIGHT", MinArgs: 2, MaxArgs: 2, Resolve: resolveLeftRight(false)})
	register(&Func{Name: "LOCATE", MinArgs: 2, MaxArgs: 3, Resolve: resolveLocate})
	register(&Func{Name: "SPLIT", MinArgs: 2, MaxArgs: 2, Resolve: resolveSplit})
	register(&Func{Name: "REPEAT", MinArgs: 2, MaxArgs: 2, Resolve: resolveRepeat})
	register(&Func{Name: "SPACE", MinArgs: 1, MaxArgs: 1, Resolve: resolveSpace})
	register(&Func{Name: "REPLACE", MinArgs: 3, MaxArgs: 3, Resolve: resolveReplace})
}

// strUnary registers a one-string-argument single-value function.
func strUnary(name string, out doc.Type, f func(string) (doc.Value, error)) {
	register(&Func{Name: name, MinArgs: 1, MaxArgs: 1,
		Resolve: func(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
			if err := checkStrings(args); err != nil {
				return 0, nil, err
			}
			return out, strictN(func(a []doc.Value) (doc.Value, error) { return f(a[0].S) }), nil
		}})
}

// strMapping registers a string function applied to every value.
func strMapping(name string, f func(string) string) {
	register(&Func{Name: name, MinArgs: 1, MaxArgs: 1,
		Resolve: func(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
			if err := checkStrings(args); err != nil {
				return 0, nil, err
			}
			return doc.Keyword, func(a []doc.Value) (doc.Value, error) {
				v := a[0]
				switch {
				case v.T == doc.Null:
					return doc.Value{}, nil
				case v.M == nil:
					return doc.KeywordOf(f(v.S)), nil
				}
				out := make([]doc.Value, len(v.M))
				for i, e := range v.M {
					out[i] = doc.KeywordOf(f(e.S))
				}
				return doc.Value{T: doc.Keyword, M: out}, nil
			}, nil
		}})
}

func strBinaryBool(name string, f func(s, x string) bool) {
	register(&Func{Name: name, MinArgs: 2, MaxArgs: 2,
		Resolve: func(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
			if err := checkStrings(args); err != nil {
				return 0, nil, err
			}
			return doc.Boolean, strictN(func(a []doc.Value) (doc.Value, error) {
				return doc.Bool(f(a[0].S, a[1].S)), nil
			}), nil
		}})
}

// strJavaSpace is Java's Character.isWhitespace, which Elasticsearch's TRIM
// family tests code point by code point: Unicode space separators except the
// non-breaking ones, plus the ASCII controls \t \n \v \f \r and \x1c-\x1f.
func strJavaSpace(r rune) bool {
	switch {
	case r == ' ' || (r >= '\t' && r <= '\r') || (r >= 0x1c && r <= 0x1f):
		return true
	case r < 0x80:
		return false
	case r == 0xa0 || r == 0x2007 || r == 0x202f:
		return false
	}
	return unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)
}

// strToLower lower-cases as Java's toLowerCase(Locale.ROOT); the ASCII path
// avoids allocation when nothing changes. Beyond Go's simple mapping it
// handles Java's two context-free specials: İ becomes "i\u0307" and a
// word-final Σ becomes ς.
func strToLower(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strToLowerUnicode(s)
		}
		if 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

func strToLowerUnicode(s string) string {
	if !strings.ContainsRune(s, 'İ') && !strings.ContainsRune(s, 'Σ') {
		return strings.ToLower(s)
	}
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i, r := range rs {
		switch r {
		case 'İ':
			b.WriteString("i\u0307")
		case 'Σ':
			// Final sigma: preceded by a cased letter, not followed by one.
			before := i > 0 && unicode.IsLetter(rs[i-1])
			after := i+1 < len(rs) && unicode.IsLetter(rs[i+1])
			if before && !after {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// strUpperSpecial holds Java's one-to-many upper-case mappings (Unicode
// SpecialCasing) that Go's rune-wise ToUpper leaves unchanged.
var strUpperSpecial = strings.NewReplacer(
	"ß", "SS", "ﬀ", "FF", "ﬁ", "FI", "ﬂ", "FL", "ﬃ", "FFI", "ﬄ", "FFL", "ﬅ", "ST", "ﬆ", "ST",
	"ŉ", "\u02bcN", "ǰ", "J\u030c", "ΐ", "\u0399\u0308\u0301", "ΰ", "\u03a5\u0308\u0301",
	"և", "\u0535\u0552", "ẖ", "H\u0331", "ẗ", "T\u0308", "ẘ", "W\u030a", "ẙ", "Y\u030a", "ẚ", "A\u02be",
)

// strToUpper upper-cases as Java's toUpperCase(Locale.ROOT).
func strToUpper(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strUpperSpecial.Replace(strings.ToUpper(s))
		}
	}
	return strings.ToUpper(s)
}

// strReverse reverses by grapheme cluster (Elasticsearch uses a character
// BreakIterator for non-ASCII input). Clusters are approximated as a base
// code point followed by combining marks, variation selectors, emoji
// modifiers and zero-width-joiner sequences; regional-indicator pairs stay
// together.
func strReverse(s string) string {
	// Elasticsearch's byte-reversal fast path also skips strings holding '('
	// (0x28, mistaken there for backspace); the slow path keeps "\r\n" whole.
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || s[i] == '(' {
			ascii = false
			break
		}
	}
	b := make([]byte, len(s))
	if ascii {
		for i := 0; i < len(s); i++ {
			b[len(s)-1-i] = s[i]
		}
		return string(b)
	}
	// Split into clusters, then copy them back in reverse order.
	var bounds []int
	i := 0
	for i < len(s) {
		bounds = append(bounds, i)
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r == '\r' && i < len(s) && s[i] == '\n' {
			i++
			continue
		}
		regional := r >= 0x1F1E6 && r <= 0x1F1FF
		paired := false
		for i < len(s) {
			r2, n2 := utf8.DecodeRuneInString(s[i:])
			if strExtends(r2) {
				i += n2
				continue
			}
			if r2 == 0x200D { // ZWJ joins the next code point too
				i += n2
				if i < len(s) {
					_, n3 := utf8.DecodeRuneInString(s[i:])
					i += n3
				}
				continue
			}
			if regional && !paired && r2 >= 0x1F1E6 && r2 <= 0x1F1FF {
				paired = true
				i += n2
				continue
			}
			break
		}
	}
	bounds = append(bounds, len(s))
	w := 0
	for k := len(bounds) - 2; k >= 0; k-- {
		w += copy(b[w:], s[bounds[k]:bounds[k+1]])
	}
	return string(b)
}

func strExtends(r rune) bool {
	switch {
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0x1F3FB && r <= 0x1F3FF, r >= 0xE0020 && r <= 0xE007F:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc)
}

// strURLEncode encodes like Java's URLEncoder (component=false: space as '+',
// unreserved [A-Za-z0-9.*_-]) or RFC 3986 (component=true: space as %20,
// unreserved [A-Za-z0-9.~_-]); bytes are percent-encoded in upper-case hex.
func strURLEncode(s string, component bool) string {
	const hex = "0123456789ABCDEF"
	safe := func(c byte) bool {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '-', c == '_':
			return true
		case c == '*':
			return !component
		case c == '~':
			return component
		}
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !safe(s[i]) && !(s[i] == ' ' && !component) {
			n++
		}
	}
	if n == 0 && !strings.Contains(s, " ") {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case safe(c):
			b = append(b, c)
		case c == ' ' && !component:
			b = append(b, '+')
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}

// strURLDecode decodes like Java's URLDecoder: '+' is a space, %XX runs are
// UTF-8 (malformed bytes become U+FFFD) and a bad escape fails with
// URLDecoder's message.
func strURLDecode(s string) (doc.Value, error) {
	if !strings.ContainsAny(s, "%+") {
		return doc.KeywordOf(s), nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b = append(b, ' ')
		case '%':
			if i+2 >= len(s) {
				return doc.Value{}, EvalError("java.lang.IllegalArgumentException: URLDecoder: Incomplete trailing escape (%) pattern")
			}
			for k := 1; k <= 2; k++ {
				if !strIsHex(s[i+k]) {
					return doc.Value{}, EvalError("java.lang.IllegalArgumentException: URLDecoder: Illegal hex characters in escape (%) pattern - Error at index " +
						strconv.Itoa(k-1) + " in: \"" + s[i+1:i+3] + "\"")
				}
			}
			v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b = append(b, byte(v))
			i += 2
		default:
			b = append(b, c)
		}
	}
	if !utf8.Valid(b) {
		return doc.KeywordOf(strings.ToValidUTF8(string(b), "\uFFFD")), nil
	}
	return doc.KeywordOf(string(b)), nil
}

func strIsHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// strFromBase64 decodes like Java's Base64.getDecoder(): padding is optional
// but must be correct when present.
func strFromBase64(s string) (doc.Value, error) {
	t := strings.TrimRight(s, "=")
	pad := len(s) - len(t)
	if pad > 2 || (pad > 0 && (len(t)+pad)%4 != 0) {
		return doc.Value{}, EvalError("java.lang.IllegalArgumentException: Input byte array has incorrect ending byte at " + strconv.Itoa(len(t)))
	}
	out, err := base64.RawStdEncoding.DecodeString(t)
	if err != nil {
		if ce, ok := err.(base64.CorruptInputError); ok && int(ce) < len(t) {
			return doc.Value{}, EvalError("java.lang.IllegalArgumentException: Illegal base64 character " + strconv.FormatInt(int64(t[ce]), 16))
		}
		return doc.Value{}, EvalError("java.lang.IllegalArgumentException: Last unit does not have enough valid bits")
	}
	return doc.KeywordOf(string(out)), nil
}

func resolveConcat(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	if err := checkStrings(args); err != nil {
		return 0, nil, err
	}
	return doc.Keyword, strictN(func(a []doc.Value) (doc.Value, error) {
		n := 0
		for _, v := range a {
			n += len(v.S)
		}
		if n > strMaxBytes {
			return doc.Value{}, EvalError("org.elasticsearch.xpack.esql.EsqlClientException: concatenating more than [1048576] bytes is not supported")
		}
		var sb strings.Builder
		sb.Grow(n)
		for _, v := range a {
			sb.WriteString(v.S)
		}
		return doc.KeywordOf(sb.String()), nil
	}), nil
}

// strIndexStart turns ES|QL's 1-based start (0 treated as 1, negative
// counting from the end) into a clamped 0-based code point index.
func strIndexStart(count int, start int64) int {
	var i int64
	switch {
	case start > 0:
		i = start - 1
	case start < 0:
		i = int64(count) + start
	}
	if i < 0 {
		i = 0
	}
	if i > int64(count) {
		i = int64(count)
	}
	return int(i)
}

// strByteOffset returns the byte offset of code point index cp in s.
func strByteOffset(s string, cp int) int {
	if cp <= 0 {
		return 0
	}
	n := 0
	for i := range s {
		if n == cp {
			return i
		}
		n++
	}
	return len(s)
}

func resolveSubstring(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	if !stringOrNull(args[0]) {
		return 0, nil, &TypeError{Arg: 0, Expected: "string", Found: args[0]}
	}
	for i := 1; i < len(args); i++ {
		if !integerOrNull(args[i]) {
			return 0, nil, &TypeError{Arg: i, Expected: "integer", Found: args[i]}
		}
	}
	return doc.Keyword, strictN(func(a []doc.Value) (doc.Value, error) {
		s := a[0].S
		count := utf8.RuneCountInString(s)
		from := strIndexStart(count, a[1].I)
		to := count
		if len(a) > 2 {
			l := a[2].I
			if l < 0 {
				return doc.Value{}, EvalError("java.lang.IllegalArgumentException: Length parameter cannot be negative, found [" + strconv.FormatInt(l, 10) + "]")
			}
			if int64(from)+l < int64(count) {
				to = from + int(l)
			}
		}
		bf := strByteOffset(s, from)
		bt := bf + strByteOffset(s[bf:], to-from)
		return doc.KeywordOf(s[bf:bt]), nil
	}), nil
}

func resolveLeftRight(left bool) func([]doc.Type, []*doc.Value) (doc.Type, Eval, error) {
	return func(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
		if !stringOrNull(args[0]) {
			return 0, nil, &TypeError{Arg: 0, Expected: "string", Found: args[0]}
		}
		if !integerOrNull(args[1]) {
			return 0, nil, &TypeError{Arg: 1, Expected: "integer", Found: args[1]}
		}
		return doc.Keyword, strictN(func(a []doc.Value) (doc.Value, error) {
			s, n := a[0].S, a[1].I
			if n <= 0 {
				return doc.KeywordOf(""), nil
			}
			count := utf8.RuneCountInString(s)
			if n >= int64(count) {
				return doc.KeywordOf(s), nil
			}
			if left {
				return doc.KeywordOf(s[:strByteOffset(s, int(n))]), nil
			}
			return doc.KeywordOf(s[strByteOffset(s, count-int(n)):]), nil
		}), nil
	}
}

func resolveLocate(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	for i := 0; i < 2; i++ {
		if !stringOrNull(args[i]) {
			return 0, nil, &TypeError{Arg: i, Expected: "string", Found: args[i]}
		}
	}
	if len(args) > 2 && !integerOrNull(args[2]) {
		return 0, nil, &TypeError{Arg: 2, Expected: "integer", Found: args[2]}
	}
	return doc.Integer, strictN(func(a []doc.Value) (doc.Value, error) {
		s, sub := a[0].S, a[1].S
		if len(s) < len(sub) {
			return doc.Int(0), nil
		}
		var start int64
		if len(a) > 2 {
			start = a[2].I
		}
		from := strByteOffset(s, strIndexStart(utf8.RuneCountInString(s), start))
		idx := strings.Index(s[from:], sub)
		if idx < 0 {
			return doc.Int(0), nil
		}
		return doc.Int(int32(1 + utf8.RuneCountInString(s[:from+idx]))), nil
	}), nil
}

func resolveSplit(args []doc.Type, consts []*doc.Value) (doc.Type, Eval, error) {
	if err := checkStrings(args); err != nil {
		return 0, nil, err
	}
	// Elasticsearch only splits on one byte; a constant delimiter is checked up front.
	const msg = "delimiter must be single byte for now"
	if len(consts) > 1 && consts[1] != nil && !consts[1].IsNull() && consts[1].M == nil && len(consts[1].S) != 1 {
		return 0, nil, EvalError(msg)
	}
	return doc.Keyword, strictN(func(a []doc.Value) (doc.Value, error) {
		s, d := a[0].S, a[1].S
		if len(d) != 1 {
			return doc.Value{}, EvalError("org.elasticsearch.xpack.esql.core.InvalidArgumentException: " + msg)
		}
		n := strings.Count(s, d)
		if n == 0 {
			return doc.KeywordOf(s), nil
		}
		out := make([]doc.Value, 0, n+1)
		for {
			i := strings.IndexByte(s, d[0])
			if i < 0 {
				out = append(out, doc.KeywordOf(s))
				break
			}
			out = append(out, doc.KeywordOf(s[:i]))
			s = s[i+1:]
		}
		return doc.Value{T: doc.Keyword, M: out}, nil
	}), nil
}

func resolveRepeat(args []doc.Type, consts []*doc.Value) (doc.Type, Eval, error) {
	if !stringOrNull(args[0]) {
		return 0, nil, &TypeError{Arg: 0, Expected: "string", Found: args[0]}
	}
	if !integerOrNull(args[1]) {
		return 0, nil, &TypeError{Arg: 1, Expected: "integer", Found: args[1]}
	}
	// A negative constant count fails the query (Repeat.toEvaluator).
	if len(consts) > 1 && consts[1] != nil && consts[1].T == doc.Integer && consts[1].M == nil && consts[1].I < 0 {
		return 0, nil, EvalError("Number parameter cannot be negative, found [" + strconv.FormatInt(consts[1].I, 10) + "]")
	}
	return doc.Keyword, strictN(func(a []doc.Value) (doc.Value, error) {
		s, n := a[0].S, a[1].I
		if n < 0 {
			return doc.Value{}, EvalError("java.lang.IllegalArgumentException: Number parameter cannot be negative, found [" + strconv.FormatInt(n, 10) + "]")
		}
		if int64(len(s))*n > strMaxBytes {
			return doc.Value{}, EvalError("java.lang.IllegalArgumentException: Creating repeated strings with more than [1048576] bytes is not supported")
		}
		return doc.KeywordOf(strings.Repeat(s, int(n))), nil
	}), nil
}

// strSpaceCheck is Space.checkNumber's validation.
func strSpaceCheck(n int64) string {
	switch {
	case n < 0:
		return "Number parameter cannot be negative, found [" + strconv.FormatInt(n, 10) + "]"
	case n > strMaxBytes:
		return "Creating strings longer than [1048576] bytes is not supported"
	}
	return ""
}

func resolveSpace(args []doc.Type, consts []*doc.Value) (doc.Type, Eval, error) {
	if !integerOrNull(args[0]) {
		return 0, nil, &TypeError{Arg: 0, Expected: "integer", Found: args[0]}
	}
	// A bad constant fails the query (Space.toEvaluator checks it).
	if len(consts) > 0 && consts[0] != nil && consts[0].T == doc.Integer && consts[0].M == nil {
		if msg := strSpaceCheck(consts[0].I); msg != "" {
			return 0, nil, EvalError(msg)
		}
	}
	return doc.Keyword, strictN(func(a []doc.Value) (doc.Value, error) {
		n := a[0].I
		if msg := strSpaceCheck(n); msg != "" {
			return doc.Value{}, EvalError("java.lang.IllegalArgumentException: " + msg)
		}
		return doc.KeywordOf(strings.Repeat(" ", int(n))), nil
	}), nil
}

func resolveReplace(args []doc.Type, consts []*doc.Value) (doc.Type, Eval, error) {
	if err := checkStrings(args); err != nil {
		return 0, nil, err
	}
	// A constant pattern compiles once; a bad one fails the query, as in
	// Elasticsearch (Replace.toEvaluator rethrows PatternSyntaxException).
	if len(consts) > 1 && consts[1] != nil && consts[1].T != doc.Null && consts[1].M == nil {
		re, err := javaregex.Compile(consts[1].S)
		if err != nil {
			return 0, nil, err
		}
		return doc.Keyword, strictN(func(a []doc.Value) (doc.Value, error) {
			out, err := re.ReplaceAll(a[0].S, a[2].S)
			if err != nil {
				return doc.Value{}, err
			}
			return doc.KeywordOf(out), nil
		}), nil
	}
	return doc.Keyword, strictN(func(a []doc.Value) (doc.Value, error) {
		re, err := javaregex.Compile(a[1].S)
		if err != nil {
			return doc.Value{}, EvalError("java.util.regex.PatternSyntaxException: " + err.Error())
		}
		out, err := re.ReplaceAll(a[0].S, a[2].S)
		if err != nil {
			return doc.Value{}, err
		}
		return doc.KeywordOf(out), nil
	}), nil
}
