package javaregex

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTranslateJava pins the RE2 spelling of Java constructs.
func TestTranslateJava(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{in: `a\d+`, want: `a\d+`},
		{in: `x*+y`, want: `x*y`},
		{in: `(?<n>a)`, want: `(a)`},
		{in: `(?>ab)`, want: `(?:ab)`},
		{in: `[a[bc]]`, want: `[abc]`},
		{in: `\s`, want: `[ \t\n\x0B\f\r]`},
		{in: `\p{Alpha}`, want: `[a-zA-Z]`},
		{in: `\u00e9\x41\0101`, want: `\x{00e9}\x41\x{41}`},
		{in: `a{2,3}?`, want: `a{2,3}?`},
		{in: "(?i)a", want: "(?i)a"},
		{in: `(?![ab])[a-d]`, want: `[\x{63}-\x{64}]`},
		{in: `(?!x|\d)\w`, want: `[\x{41}-\x{5a}\x{5f}\x{61}-\x{77}\x{79}-\x{7a}]`},
		{in: `(?!a)b*`, err: "line 1:1: lookaround groups are not supported in regex [(?!a)b*]"},
		{in: `a(?=b)`, err: "line 1:2: lookaround groups are not supported in regex [a(?=b)]"},
		{in: `(a)\1`, err: "line 1:4: back-references are not supported in regex [(a)\\1]"},
		{in: `[a&&b]`, err: "line 1:3: character class intersection (&&) is not supported in regex [[a&&b]]"},
		{in: "a\n{x", err: "line 2:1: Illegal repetition in regex [a\n{x]"},
		{in: `*a`, err: "line 1:1: Dangling meta character '*' in regex [*a]"},
		{in: `[abc`, err: "line 1:1: Unclosed character class in regex [[abc]"},
	}
	for _, c := range cases {
		got, _, err := Translate(c.in, Java)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: got %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

// The rules' REPLACE patterns must all translate (or be knowingly rejected).
func TestRulePatternsTranslate(t *testing.T) {
	for _, p := range []string{`:[0-9]+$`, `\..*$`, `\.$`, `\\+`, `^.*\\|\$$`, `eyJ[A-Za-z0-9_-]+[.][A-Za-z0-9_-]+[.][A-Za-z0-9_-]+`} {
		if _, err := Compile(p); err != nil {
			t.Errorf("%q: %v", p, err)
		}
	}
}

// Every REPLACE pattern in the shared Elastic rules must compile.
func TestSharedRuleReplacePatterns(t *testing.T) {
	files, _ := filepath.Glob("../../../../shared/rules/esql/*.toml")
	if len(files) == 0 {
		t.Skip("shared rules not present")
	}
	call := regexp.MustCompile(`(?is)\breplace\(\s*[^,]+,\s*("""(.*?)"""|"((?:[^"\\]|\\.)*)")`)
	unescape := strings.NewReplacer(`\\`, `\`, `\"`, `"`, `\n`, "\n", `\t`, "\t", `\r`, "\r")
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(b), -1) {
			p := m[2]
			if !strings.HasPrefix(m[1], `"""`) {
				p = unescape.Replace(m[3])
			}
			n++
			if _, err := Compile(p); err != nil {
				t.Errorf("%s: %q: %v", filepath.Base(f), p, err)
			}
		}
	}
	if n < 40 {
		t.Errorf("found only %d REPLACE patterns", n)
	}
}
