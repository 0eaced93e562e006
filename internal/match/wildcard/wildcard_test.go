package wildcard

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern string
		ci      bool
		kind    Kind
		yes     []string
		no      []string
	}{
		// where-like.csv-spec cases (employees first names).
		{"Eberhar*", false, KindPrefix, []string{"Eberhardt"}, []string{"eberhardt", "Eberha"}},
		{"*uhito", false, KindSuffix, []string{"Kazuhito"}, []string{"Kazuhitos"}},
		{"*har*", false, KindContains, []string{"Eberhardt", "Berhard", "Charlene", "Sudharsan"}, []string{"Georgi"}},
		{"?berhar*", false, KindGeneral, []string{"Eberhardt"}, []string{"berhardt", "XXberhardt"}},
		{"Eberhardt", false, KindExact, []string{"Eberhardt"}, []string{"Eberhardt ", "eberhardt"}},
		{"Part?", false, KindGeneral, []string{"Parto"}, []string{"Part", "Partoo"}},
		{"?????????*", false, KindGeneral, []string{"Chirstian", "Sreekrishna"}, []string{"Georgi", "Eberhard"}},
		{"*", false, KindAll, []string{"", "x"}, nil},
		{"**", false, KindAll, []string{"", "abc"}, nil},
		{"", false, KindExact, []string{""}, []string{"a"}},
		{`Eberhar\*`, false, KindExact, []string{"Eberhar*"}, []string{"Eberhardt"}},
		{`C:\\*`, false, KindPrefix, []string{`C:\foo\bar.exe`}, []string{`C:foo`}},
		{`C:\\\\*`, false, KindPrefix, []string{`C:\\x`}, []string{`C:\foo\bar.exe`}},
		{`a\?b`, false, KindExact, []string{"a?b"}, []string{"axb"}},
		{"employ?es", false, KindGeneral, []string{"employees"}, []string{"employes"}},
		{"employ??es", false, KindGeneral, nil, []string{"employees"}},
		// `?` is one code point, not one byte.
		{"?", false, KindGeneral, []string{"é", "😀", "a"}, []string{"", "ab", "éé"}},
		{"a?c", false, KindGeneral, []string{"aЛc"}, []string{"ac"}},
		// General multi-segment patterns.
		{"a*b*c", false, KindGeneral, []string{"abc", "aXbYc", "abbbc", "acbc"}, []string{"ab", "acb", "bac"}},
		{"*a*a*a*", false, KindGeneral, []string{"aaa", "xaxaxa"}, []string{"aa", "xxxxxxxxxa"}},
		{"ab*ba", false, KindGeneral, []string{"abba", "ab-ba"}, []string{"aba"}},
		{"*x?z*", false, KindGeneral, []string{"xyz", "__xaz__"}, []string{"xz"}},
		{"a*?", false, KindGeneral, []string{"ab", "abc"}, []string{"a"}},
		{"*.exe", false, KindSuffix, []string{"cmd.exe"}, []string{"cmd.exe2"}},
		// Case-insensitive.
		{"geor*", true, KindGeneral, []string{"GEORGI", "georgy"}, []string{"Gorge"}},
		{"*ЛЬ*", true, KindGeneral, []string{"свердловль район"}, []string{"район"}},
		{"k", true, KindGeneral, []string{"K", "\u212a"}, []string{"x"}},
		{"*", true, KindAll, []string{"anything"}, nil},
	}
	for _, tc := range tests {
		m, err := Compile(tc.pattern, tc.ci)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tc.pattern, err)
		}
		if m.Kind() != tc.kind {
			t.Errorf("Compile(%q).Kind() = %d, want %d", tc.pattern, m.Kind(), tc.kind)
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
		pattern string
		col     int
	}{
		{`abc\`, 4},
		{`\a`, 1},
		{`x*\.`, 3},
		{`\`, 1},
	} {
		_, err := Compile(tc.pattern, false)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("Compile(%q) error = %v, want *Error", tc.pattern, err)
		}
		if e.Col != tc.col || e.Msg != errEscape {
			t.Errorf("Compile(%q) = %v, want col %d", tc.pattern, e, tc.col)
		}
	}
}

func TestLiterals(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    []string
	}{
		{"*", nil},
		{"abc", []string{"abc"}},
		{"*python*-c*", []string{"python", "-c"}},
		{`a?b\*c*d`, []string{"a", "b*c", "d"}},
	} {
		m := MustCompile(tc.pattern, false)
		if got := m.Literals(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Literals(%q) = %q, want %q", tc.pattern, got, tc.want)
		}
	}
}

func TestEscape(t *testing.T) {
	for _, s := range []string{"", "plain", `a*b?c\d`, `\\`} {
		m := MustCompile(Escape(s), false)
		if !m.Match(s) || m.Kind() != KindExact {
			t.Errorf("Escape(%q) = %q does not match itself exactly", s, Escape(s))
		}
	}
}

// reference translates a valid pattern to an RE2 regexp, as an oracle.
func reference(p string, ci bool) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?s)")
	if ci {
		b.WriteString("(?i)")
	}
	b.WriteString("^")
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '\\':
			i++
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func FuzzMatch(f *testing.F) {
	f.Add("*a*b?c*", "xxaxxbycz", false)
	f.Add("?berhar*", "Eberhardt", false)
	f.Add(`C:\\*`, `C:\foo`, false)
	f.Add("GEOR*", "georgi", true)
	f.Add("*é?*", "aéb", false)
	f.Add(`\`, "", false)
	f.Fuzz(func(t *testing.T, pattern, s string, ci bool) {
		m, err := Compile(pattern, ci)
		if err != nil {
			return
		}
		got := m.Match(s)
		if !strings.ContainsRune(pattern, 0xFFFD) && !strings.ContainsRune(s, 0xFFFD) && isValid(pattern) && isValid(s) {
			if want := reference(pattern, ci).MatchString(s); got != want && !ci {
				t.Fatalf("Match(%q, %q) = %v, reference %v", pattern, s, got, want)
			}
		}
		if got {
			for _, l := range m.Literals() {
				if !ci && !strings.Contains(s, l) {
					t.Fatalf("match %q of %q lacks literal %q", s, pattern, l)
				}
			}
		}
	})
}

func isValid(s string) bool { return strings.ToValidUTF8(s, "") == s }

func BenchmarkMatch(b *testing.B) {
	line := strings.Repeat("/usr/bin/something --flag value ", 8) + "python3 -c 'import os'"
	for _, bc := range []struct{ name, pattern string }{
		{"contains", "*python3 -c*"},
		{"general", "*python*-c*import*"},
		{"general-question", "*pyth?n*-c*"},
	} {
		m := MustCompile(bc.pattern, false)
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(line)))
			for i := 0; i < b.N; i++ {
				if !m.Match(line) {
					b.Fatal("no match")
				}
			}
		})
	}
}

func BenchmarkMatchCaseInsensitive(b *testing.B) {
	line := strings.Repeat("/usr/bin/something --flag value ", 8) + "PYTHON3 -c 'import os'"
	m := MustCompile("*python3 -c*", true)
	b.SetBytes(int64(len(line)))
	for i := 0; i < b.N; i++ {
		if !m.Match(line) {
			b.Fatal("no match")
		}
	}
}
