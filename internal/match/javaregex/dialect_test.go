package javaregex

import (
	"regexp"
	"strings"
	"testing"
)

// TestDialects pins every construct the two dialects read differently, by
// what the translated pattern matches: the leftmost match in input, "" for
// none, or an error substring after "!".
func TestDialects(t *testing.T) {
	cases := []struct {
		pattern, input string
		java, joni     string
	}{
		// '.': Java stops at every line terminator, Ruby only at \n.
		{`a.b`, "a\rb", "", "a\rb"},
		{`a.b`, "a\nb", "", ""},
		// ^ and $: input boundaries in Java, line boundaries in Ruby.
		{`^b$`, "a\nb\nc", "", "b"},
		// (?m): multi-line in Java, dot-all in Ruby.
		{`(?m)^b$`, "a\nb\nc", "b", "b"},
		{`(?m)a.b`, "a\nb", "", "a\nb"},
		// (?s) (?u) (?d) (?U) are Java flags, not Ruby options.
		{`(?s)a.b`, "a\nb", "a\nb", "!Unknown inline modifier"},
		{`(?U)a+?`, "aaa", "a", "!Unknown inline modifier"},
		// \h: horizontal whitespace in Java, a hex digit in Ruby.
		{`x\h`, "x\tx", "x\t", ""},
		{`x\h+`, "xBeef", "", "xBeef"},
		{`x\H`, "x\tx", "", "x\t"},
		// \v: vertical whitespace in Java, the vertical tab in Ruby.
		{`x\v`, "x\n", "x\n", ""},
		{`x\v`, "x\x0B", "x\x0B", "x\x0B"},
		// \s: Java's includes \x0B.
		{`x\s`, "x\x0B", "x\x0B", ""},
		// \Z: Java's is approximated as \z; Ruby's consumes a final \n.
		{`a\Z`, "a\n", "", "a\n"},
		// \p{Alpha}: Java's POSIX name; RE2 has no such Unicode name.
		{`\p{Alpha}+`, "é1ab", "ab", "!invalid character class range"},
		{`\p{L}+`, "1éa", "éa", "éa"},
		// Plain groups capture in Java only (checked in TestNames).
		// Named groups: Ruby also spells them (?P<n>) and (?'n').
		{`(?P<n>a)`, "a", "!Unknown inline modifier", "a"},
		{`(?'n'a)`, "a", "!Unknown inline modifier", "a"},
		{`(?#c)a`, "a", "!Unknown inline modifier", "a"},
		// A brace that is no bound: an error in Java, a literal in Ruby.
		{`a{x}`, "a{x}", "!Illegal repetition", "a{x}"},
		{`a{,2}`, "aaa", "!Illegal repetition", "aa"},
		{`a{2,}`, "aaa", "aaa", "aaa"},
		{`a}+`, "a}}", "a}}", "a}}"},
		// [[:digit:]]: a nested class in Java, a POSIX bracket in Ruby.
		{`[[:digit:]]+`, "a1:dig", ":dig", "1"},
		// \b in a class: an error in Java, backspace in Ruby.
		{`[\b]`, "\b", "!Illegal/unsupported escape sequence", "\b"},
		// The same in both.
		{`[a[bc]]+`, "xcab", "cab", "cab"},
		{`(?i)AB`, "xab", "ab", "ab"},
		{`x*+y`, "xxy", "xxy", "xxy"},
		{`(?>ab)`, "ab", "ab", "ab"},
		{`\Qa.b\E`, "axb a.b", "a.b", "a.b"},
		{`\e\x41\u0042\0103`, "\x1bABC", "\x1bABC", "\x1bABC"},
		{`(?![ab])[a-d]`, "abc", "c", "c"},
		{`a(?=b)`, "ab", "!lookaround", "!lookaround"},
		{`(a)\1`, "aa", "!back-references", "!back-references"},
		{`[a&&b]`, "a", "!intersection", "!intersection"},
		{`(?x)a`, "a", "!comments mode", "!comments mode"},
		{`*a`, "a", "!Dangling", "!Dangling"},
		{`a)`, "a", "!Unmatched closing", "!Unmatched closing"},
	}
	for _, c := range cases {
		for _, d := range []struct {
			name string
			d    Dialect
			want string
		}{{"Java", Java, c.java}, {"Joni", Joni, c.joni}} {
			got := matchOf(c.pattern, d.d, c.input)
			if strings.HasPrefix(d.want, "!") && strings.HasPrefix(got, "!") {
				if !strings.Contains(got, d.want[1:]) {
					t.Errorf("%s %q: error %q, want %q", d.name, c.pattern, got, d.want)
				}
				continue
			}
			if got != d.want {
				t.Errorf("%s %q on %q: %q, want %q", d.name, c.pattern, c.input, got, d.want)
			}
		}
	}
}

// matchOf translates, compiles and runs pattern, returning the leftmost
// match, "" for none, or "!" and the error.
func matchOf(pattern string, d Dialect, input string) string {
	g, _, err := Translate(pattern, d)
	if err != nil {
		return "!" + err.Error()
	}
	re, err := regexp.Compile(g)
	if err != nil {
		return "!" + err.Error()
	}
	return re.FindString(input)
}

// Java's flags last until the end of the group that sets them; RE2 scopes
// them alike, and '.' must follow (?s) and (?-s) as RE2's flag does.
func TestJavaFlagScope(t *testing.T) {
	for _, c := range []struct{ pattern, input, want string }{
		{`(?s)a.b`, "a\nb", "a\nb"},
		{`(?ms)a.b`, "a\nb", "a\nb"},
		{`(?s:a.)b.`, "a\nb\n", ""},
		{`(?s:a.)b.`, "a\nbc", "a\nbc"},
		{`((?s)a.)b.`, "a\nb\n", ""},
		{`(?s)(?-s:a.)`, "a\n", ""},
		{`(?s)(?-s)a.`, "a\r", ""},
		{`(?s)a(.)`, "a\r", "a\r"},
	} {
		if got := matchOf(c.pattern, Java, c.input); got != c.want {
			t.Errorf("%q on %q: %q, want %q", c.pattern, c.input, got, c.want)
		}
	}
}

// Groups are numbered as the source dialect numbers them and named apart
// from RE2, so grok's dotted names and Java's ${name} both work.
func TestNames(t *testing.T) {
	for _, c := range []struct {
		pattern string
		d       Dialect
		want    []string
		err     string
	}{
		{`(a)(?<x>b)(?:c)`, Java, []string{"", "x"}, ""},
		{`(a)(?<x>b)(?:c)`, Joni, []string{"x"}, ""},
		{`(?<source.ip>a)(?'b'c)(?P<c>d)`, Joni, []string{"source.ip", "b", "c"}, ""},
		{`(?<a1>x)`, Java, []string{"a1"}, ""},
		{`(?<1a>x)`, Java, nil, "capturing group name does not start with a Latin letter"},
		{`(?<a.b>x)`, Java, nil, "named capturing group is missing trailing '>'"},
		{`(?<a>x)(?<a>y)`, Java, nil, "Named capturing group <a> is already defined"},
		{`(?<>x)`, Joni, nil, "invalid group name"},
	} {
		_, names, err := Translate(c.pattern, c.d)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.pattern, err, c.err)
			}
			continue
		}
		if err != nil || strings.Join(names, ",") != strings.Join(c.want, ",") || len(names) != len(c.want) {
			t.Errorf("%q: names %q, %v; want %q", c.pattern, names, err, c.want)
		}
	}
}

func TestReplaceAll(t *testing.T) {
	for _, c := range []struct{ pattern, s, repl, want, err string }{
		{`(\w+)@(?<host>\w+)`, "bob@example x", "${host}:$1", "example:bob x", ""},
		{`a(b)?`, "ac", "[$1]", "[]c", ""},
		{`a`, "aa", `\$`, "$$", ""},
		{`(a)`, "a", "$12", "a2", ""},
		{`a`, "a", "$1", "", "java.lang.IndexOutOfBoundsException: No group 1"},
		{`a`, "a", "${x}", "", "java.lang.IllegalArgumentException: No group with name {x}"},
		{`a`, "a", "$", "", "group index is missing"},
		{`a`, "a", `\`, "", "character to be escaped is missing"},
	} {
		re, err := Compile(c.pattern)
		if err != nil {
			t.Fatalf("%q: %v", c.pattern, err)
		}
		got, err := re.ReplaceAll(c.s, c.repl)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q %q: error %v, want %q", c.pattern, c.repl, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q on %q with %q: %q, %v; want %q", c.pattern, c.s, c.repl, got, err, c.want)
		}
	}
}

// A Reference sees every "%{" outside classes and may expand it in place.
func TestReference(t *testing.T) {
	tr := &Translator{Dialect: Joni}
	tr.Reference = func(src string, i int) (int, error) {
		if !strings.HasPrefix(src[i:], "%{D}") {
			return 0, nil
		}
		tr.Capture("d")
		if err := tr.Translate(`\d+`); err != nil {
			return 0, err
		}
		tr.Write(")")
		return 4, nil
	}
	if err := tr.Translate(`x%{D}[%{D}]%{E}`); err != nil {
		t.Fatal(err)
	}
	if got, want := tr.String(), `x(\d+)[%{D}]%\{E\}`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if len(tr.Names()) != 1 || tr.Names()[0] != "d" {
		t.Errorf("names %q", tr.Names())
	}
}

// FuzzTranslate: any input translates or fails with a positioned *Error,
// never panics; what translates compiles in RE2 or is reported by Compile,
// and a Java translation keeps one RE2 group per reported name.
func FuzzTranslate(f *testing.F) {
	for _, s := range []string{`a\d+`, `(?i)x*+`, `[a[b]]`, `\Qa\E`, `(?<n>a)|b{1,2}`, `\p{L}\u0041\x{1F600}`,
		`[\s\S]`, `\0777`, `(?m)^a$`, `[[:alpha:]]{,3}`, `(?'n'a)(?#c)`, `(?![ab])[a-d]`, `(?s:a.)b.`, `\h\H\v\Z`} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, p string, joni bool) {
		d := Java
		if joni {
			d = Joni
		}
		g, names, err := Translate(p, d)
		if err != nil {
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("untyped error %T", err)
			}
			if e.Offset < 0 || e.Offset > len(p) || e.Line < 1 || e.Col < 1 {
				t.Fatalf("error position %d %d:%d for %q", e.Offset, e.Line, e.Col, p)
			}
			return
		}
		re, err := regexp.Compile(g)
		if err != nil {
			return // Compile reports these at 1:1
		}
		if re.NumSubexp() != len(names) {
			t.Fatalf("%q -> %q: %d groups, %d names", p, g, re.NumSubexp(), len(names))
		}
		if d == Java {
			jr, err := Compile(p)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := jr.ReplaceAll("abc $1 ${x}", "[$0]"); err != nil {
				t.Fatal(err)
			}
		}
	})
}
