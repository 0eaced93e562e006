package fn

import (
	"strings"
	"testing"

	"vigil/internal/doc"
)

func TestStringFunctions(t *testing.T) {
	mvErr := ErrMultiValue.Error()
	I := doc.Int
	runCalls(t, []callCase{
		{name: "length code points", fn: "LENGTH", args: []doc.Value{kwOf("héllo🙂")}, want: "6", checkT: true, wantT: doc.Integer},
		{name: "length text", fn: "LENGTH", args: []doc.Value{doc.TextOf("abc")}, want: "3"},
		{name: "length null", fn: "LENGTH", args: []doc.Value{nullV}, want: "null", checkT: true, wantT: doc.Integer},
		{name: "length mv", fn: "LENGTH", args: []doc.Value{kwsOf("a", "b")}, err: mvErr},
		{name: "length bad type", fn: "LENGTH", args: []doc.Value{I(1)}, resErr: true, resErrS: "argument first must be [string], found type [integer]"},
		{name: "bit_length", fn: "BIT_LENGTH", args: []doc.Value{kwOf("é")}, want: "16"},
		{name: "byte_length", fn: "BYTE_LENGTH", args: []doc.Value{kwOf("é🙂")}, want: "6"},
		{name: "concat", fn: "CONCAT", args: []doc.Value{kwOf("a"), doc.TextOf("b"), kwOf("c")}, want: "abc", checkT: true, wantT: doc.Keyword},
		{name: "concat null", fn: "CONCAT", args: []doc.Value{kwOf("a"), nullV}, want: "null"},
		{name: "concat mv", fn: "CONCAT", args: []doc.Value{kwOf("a"), kwsOf("b", "c")}, err: mvErr},
		{name: "concat int", fn: "CONCAT", args: []doc.Value{kwOf("a"), I(1)}, resErr: true},
		{name: "substring", fn: "SUBSTRING", args: []doc.Value{kwOf("Hello World"), I(7), I(5)}, want: "World"},
		{name: "substring to end", fn: "SUBSTRING", args: []doc.Value{kwOf("Hello"), I(2)}, want: "ello"},
		{name: "substring zero start", fn: "SUBSTRING", args: []doc.Value{kwOf("Hello"), I(0), I(2)}, want: "He"},
		{name: "substring negative", fn: "SUBSTRING", args: []doc.Value{kwOf("Hello"), I(-3)}, want: "llo"},
		{name: "substring beyond", fn: "SUBSTRING", args: []doc.Value{kwOf("Hello"), I(10), I(2)}, want: ""},
		{name: "substring unicode", fn: "SUBSTRING", args: []doc.Value{kwOf("a🙂b"), I(2), I(1)}, want: "🙂"},
		{name: "substring neg length", fn: "SUBSTRING", args: []doc.Value{kwOf("Hello"), I(1), I(-1)}, err: "java.lang.IllegalArgumentException: Length parameter cannot be negative, found [-1]"},
		{name: "left", fn: "LEFT", args: []doc.Value{kwOf("Hello"), I(2)}, want: "He"},
		{name: "left long", fn: "LEFT", args: []doc.Value{kwOf("Hello"), I(20)}, want: "Hello"},
		{name: "left negative", fn: "LEFT", args: []doc.Value{kwOf("Hello"), I(-1)}, want: ""},
		{name: "right", fn: "RIGHT", args: []doc.Value{kwOf("Héllo"), I(4)}, want: "éllo"},
		{name: "locate", fn: "LOCATE", args: []doc.Value{kwOf("a tiger"), kwOf("ti")}, want: "3", checkT: true, wantT: doc.Integer},
		{name: "locate missing", fn: "LOCATE", args: []doc.Value{kwOf("abc"), kwOf("x")}, want: "0"},
		{name: "locate start", fn: "LOCATE", args: []doc.Value{kwOf("abcabc"), kwOf("b"), I(3)}, want: "5"},
		{name: "locate unicode", fn: "LOCATE", args: []doc.Value{kwOf("🙂ab"), kwOf("b")}, want: "3"},
		{name: "split", fn: "SPLIT", args: []doc.Value{kwOf("a,,b,"), kwOf(",")}, want: "[a, , b, ]"},
		{name: "split none", fn: "SPLIT", args: []doc.Value{kwOf("abc"), kwOf(",")}, want: "abc"},
		{name: "split bad const delim", fn: "SPLIT", args: []doc.Value{kwOf("abc"), kwOf("ab")}, consts: true, resErr: true},
		{name: "trim", fn: "TRIM", args: []doc.Value{kwOf(" \t\u2003 a b \n")}, want: "a b"},
		{name: "trim keeps nbsp", fn: "TRIM", args: []doc.Value{kwOf("\u00a0a ")}, want: "\u00a0a"},
		{name: "ltrim", fn: "LTRIM", args: []doc.Value{kwOf("  a  ")}, want: "a  "},
		{name: "rtrim", fn: "RTRIM", args: []doc.Value{kwOf("  a  ")}, want: "  a"},
		{name: "to_lower mv", fn: "TO_LOWER", args: []doc.Value{kwsOf("AbC", "DÉ")}, want: "[abc, dé]"},
		{name: "to_lower text", fn: "TO_LOWER", args: []doc.Value{doc.TextOf("X")}, want: "x", checkT: true, wantT: doc.Keyword},
		{name: "to_upper", fn: "TO_UPPER", args: []doc.Value{kwOf("straße")}, want: "STRASSE"},
		{name: "to_upper ligature", fn: "TO_UPPER", args: []doc.Value{kwOf("ﬁx")}, want: "FIX"},
		{name: "to_lower final sigma", fn: "TO_LOWER", args: []doc.Value{kwOf("ΟΔΟΣ ΣΑ")}, want: "οδος σα"},
		{name: "to_lower dotted I", fn: "TO_LOWER", args: []doc.Value{kwOf("İ")}, want: "i\u0307"},
		{name: "to_upper null", fn: "TO_UPPER", args: []doc.Value{nullV}, want: "null"},
		{name: "starts_with", fn: "STARTS_WITH", args: []doc.Value{kwOf("powershell.exe"), kwOf("power")}, want: "true", checkT: true, wantT: doc.Boolean},
		{name: "ends_with", fn: "ENDS_WITH", args: []doc.Value{kwOf("powershell.exe"), kwOf(".dll")}, want: "false"},
		{name: "contains", fn: "CONTAINS", args: []doc.Value{kwOf("abc"), kwOf("b")}, want: "true"},
		{name: "contains mv", fn: "CONTAINS", args: []doc.Value{kwsOf("a", "b"), kwOf("b")}, err: mvErr},
		{name: "reverse", fn: "REVERSE", args: []doc.Value{kwOf("Some Text")}, want: "txeT emoS"},
		{name: "reverse graphemes", fn: "REVERSE", args: []doc.Value{kwOf("ae\u0301🇫🇷👍🏽")}, want: "👍🏽🇫🇷e\u0301a"},
		{name: "reverse paren keeps crlf", fn: "REVERSE", args: []doc.Value{kwOf("(a\r\n")}, want: "\r\na("},
		{name: "reverse ascii crlf", fn: "REVERSE", args: []doc.Value{kwOf("a\r\n")}, want: "\n\ra"},
		{name: "space negative const", fn: "SPACE", args: []doc.Value{I(-1)}, consts: true, resErr: true, resErrS: "Number parameter cannot be negative, found [-1]"},
		{name: "space too long", fn: "SPACE", args: []doc.Value{I(2000000)}, err: "java.lang.IllegalArgumentException: Creating strings longer than [1048576] bytes is not supported"},
		{name: "repeat", fn: "REPEAT", args: []doc.Value{kwOf("ab"), I(3)}, want: "ababab"},
		{name: "repeat negative", fn: "REPEAT", args: []doc.Value{kwOf("ab"), I(-1)}, err: "java.lang.IllegalArgumentException: Number parameter cannot be negative, found [-1]"},
		{name: "space", fn: "SPACE", args: []doc.Value{I(3)}, want: "   "},
		{name: "url_encode", fn: "URL_ENCODE", args: []doc.Value{kwOf("a b&c=d/é*~")}, want: "a+b%26c%3Dd%2F%C3%A9*%7E"},
		{name: "url_encode_component", fn: "URL_ENCODE_COMPONENT", args: []doc.Value{kwOf("a b&c=d/é*~")}, want: "a%20b%26c%3Dd%2F%C3%A9%2A~"},
		{name: "url_decode", fn: "URL_DECODE", args: []doc.Value{kwOf("a+b%26c%3D%C3%A9")}, want: "a b&c=é"},
		{name: "url_decode bad", fn: "URL_DECODE", args: []doc.Value{kwOf("a%zz")}, err: `java.lang.IllegalArgumentException: URLDecoder: Illegal hex characters in escape (%) pattern - Error at index 0 in: "zz"`},
		{name: "url_decode bad second", fn: "URL_DECODE", args: []doc.Value{kwOf("%2z")}, err: `java.lang.IllegalArgumentException: URLDecoder: Illegal hex characters in escape (%) pattern - Error at index 1 in: "2z"`},
		{name: "url_decode trailing", fn: "URL_DECODE", args: []doc.Value{kwOf("a%2")}, err: "java.lang.IllegalArgumentException: URLDecoder: Incomplete trailing escape (%) pattern"},
		{name: "to_base64", fn: "TO_BASE64", args: []doc.Value{kwOf("elastic")}, want: "ZWxhc3RpYw=="},
		{name: "from_base64", fn: "FROM_BASE64", args: []doc.Value{kwOf("ZWxhc3RpYw==")}, want: "elastic"},
		{name: "from_base64 unpadded", fn: "FROM_BASE64", args: []doc.Value{kwOf("ZWxhc3RpYw")}, want: "elastic"},
		{name: "from_base64 bad", fn: "FROM_BASE64", args: []doc.Value{kwOf("ZW-h")}, err: "java.lang.IllegalArgumentException: Illegal base64 character 2d"},
	})
}

func TestReplace(t *testing.T) {
	runCalls(t, []callCase{
		{name: "simple", fn: "REPLACE", args: []doc.Value{kwOf("Hello World"), kwOf("World"), kwOf("Universe")}, consts: true, want: "Hello Universe"},
		{name: "group ref", fn: "REPLACE", args: []doc.Value{kwOf("john smith"), kwOf(`(\w+) (\w+)`), kwOf("$2, $1")}, consts: true, want: "smith, john"},
		{name: "escaped dollar", fn: "REPLACE", args: []doc.Value{kwOf("a"), kwOf("a"), kwOf(`\$1`)}, consts: true, want: "$1"},
		{name: "non const regex", fn: "REPLACE", args: []doc.Value{kwOf("a.b.c"), kwOf(`\.`), kwOf("-")}, want: "a-b-c"},
		{name: "bad group", fn: "REPLACE", args: []doc.Value{kwOf("a"), kwOf("a"), kwOf("$2")}, err: "java.lang.IndexOutOfBoundsException: No group 2"},
		{name: "case insensitive", fn: "REPLACE", args: []doc.Value{kwOf("Cmd.EXE /c"), kwOf(`(?i)cmd\.exe`), kwOf("X")}, consts: true, want: "X /c"},
		{name: "possessive", fn: "REPLACE", args: []doc.Value{kwOf("${abc}"), kwOf(`\$\{(\w++)\}`), kwOf("$1")}, consts: true, want: "abc"},
		{name: "quoted", fn: "REPLACE", args: []doc.Value{kwOf("a.b*c"), kwOf(`\Q.b*\E`), kwOf("")}, consts: true, want: "ac"},
		{name: "dot stops at CR", fn: "REPLACE", args: []doc.Value{kwOf("ab\rcd"), kwOf(`b.`), kwOf("X")}, consts: true, want: "ab\rcd"},
		{name: "lookahead rejected", fn: "REPLACE", args: []doc.Value{kwOf("a"), kwOf(`a(?!b)`), kwOf("")}, consts: true, resErr: true,
			resErrS: "line 1:2: lookaround groups are not supported in regex [a(?!b)]"},
		{name: "backtick rule", fn: "REPLACE", args: []doc.Value{kwOf("I`E`X a`b w`nd c`d"), kwOf("[A-Za-z0-9_-]`(?![rntb]|\\r|\\n|\\d)[A-Za-z0-9_-]"), kwOf("🔥")}, consts: true, want: "🔥`X a`b w`nd 🔥"},
		{name: "bad regex warns", fn: "REPLACE", args: []doc.Value{kwOf("a"), kwOf(`(`), kwOf("")},
			err: "java.util.regex.PatternSyntaxException: line 1:1: Unclosed group in regex [(]"},
		{name: "null", fn: "REPLACE", args: []doc.Value{nullV, kwOf("a"), kwOf("b")}, want: "null"},
		{name: "emoji", fn: "REPLACE", args: []doc.Value{kwOf("a1b22"), kwOf(`[0-9]`), kwOf("🔥")}, consts: true, want: "a🔥b🔥🔥"},
	})
}

func TestRepeatLimit(t *testing.T) {
	f, _ := Lookup("REPEAT")
	_, ev, _ := f.Resolve([]doc.Type{doc.Keyword, doc.Integer}, []*doc.Value{nil, nil})
	if _, err := ev([]doc.Value{kwOf(strings.Repeat("x", 1024)), doc.Int(2000)}); err == nil {
		t.Fatal("want size error")
	}
}
