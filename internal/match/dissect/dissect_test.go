package dissect

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		pattern, sep, input string
		keys                []string
		want                []string // nil = no match
	}{
		// ES|QL DISSECT documentation example.
		{"%{date} - %{msg} - %{ip}", "", "2023-01-23T12:15:00.000Z - some text - 127.0.0.1",
			[]string{"date", "msg", "ip"}, []string{"2023-01-23T12:15:00.000Z", "some text", "127.0.0.1"}},
		{"%{a} %{b},%{c}", "", "foo bar,baz", []string{"a", "b", "c"}, []string{"foo", "bar", "baz"}},
		{"%{a} %{b},%{c}", "", "foo bar baz", []string{"a", "b", "c"}, nil},
		// Leading and trailing delimiters.
		{"[%{a}] %{b}!", "", "[x] yy!", []string{"a", "b"}, []string{"x", "yy"}},
		{"[%{a}]", "", "x]", []string{"a"}, nil},
		{"[%{a}]", "", "[", []string{"a"}, nil},
		// Skip keys.
		{"%{a} %{?skipme} %{c}", "", "foo bar baz", []string{"a", "c"}, []string{"foo", "baz"}},
		{"%{a} %{} %{c}", "", "foo bar baz", []string{"a", "c"}, []string{"foo", "baz"}},
		// Right padding.
		{"%{a->} %{b} %{c}", "", "foo         bar baz", []string{"a", "b", "c"}, []string{"foo", "bar", "baz"}},
		// Without ->, a doubled delimiter gives the next key an empty value and
		// the walk stops there (Elasticsearch does the same).
		{"%{a} %{b}", "", "foo  bar", []string{"a", "b"}, []string{"foo", ""}},
		// Consecutive delimiters give empty values.
		{"%{a},%{b},%{c},%{d}", "", "foo,,,", []string{"a", "b", "c", "d"}, []string{"foo", "", "", ""}},
		// Append, implicit and ordered.
		{"%{a} %{+a} %{+a}", "", "foo bar baz", []string{"a"}, []string{"foobarbaz"}},
		{"%{a} %{+a} %{+a}", " ", "foo bar baz", []string{"a"}, []string{"foo bar baz"}},
		{"%{a} %{+a/2} %{+a/1}", "", "foo bar baz", []string{"a"}, []string{"foobazbar"}},
		{"%{+a/2} %{+a/1}", "-", "x y", []string{"a"}, []string{"y-x"}},
		// The last key takes the rest.
		{"%{a} %{b}", "", "one two three", []string{"a", "b"}, []string{"one", "two three"}},
		{"%{a}", "", "", []string{"a"}, nil},
		{"%{a}", "", "x", []string{"a"}, []string{"x"}},
		// UTF-8 delimiters and values.
		{"%{a}→%{b}", "", "é→ü", []string{"a", "b"}, []string{"é", "ü"}},
		// Dotted names are plain keys.
		{"%{source.ip}:%{source.port}", "", "10.0.0.1:22", []string{"source.ip", "source.port"}, []string{"10.0.0.1", "22"}},
		// Patterns from the prebuilt ES|QL rules.
		{"%{{?bucket.name.key}=%{Esql.bucket}, %{?host.key}=%{Esql_priv.host}, %{?loc.key}=%{Esql.loc}}", "",
			"{bucketName=mybucket, Host=h.example.com, key=k/o.js}", []string{"Esql.bucket", "Esql_priv.host", "Esql.loc"},
			[]string{"mybucket", "h.example.com", "k/o.js"}},
		{"%{}\"Issuer\":\"%{Esql.issuer}\"%{}", "", `{"a":1,"Issuer":"https://sts.example/","b":2}`,
			[]string{"Esql.issuer"}, []string{"https://sts.example/"}},
		{"%{}static/js/%{Esql.key}", "", "site/static/js/app.js", []string{"Esql.key"}, []string{"app.js"}},
		// Adjacent keys: the delimiter runs to the next %{, as in Elasticsearch.
		{"%{a}%{b} %{c}", "", "x%{b} z", []string{"a", "c"}, []string{"x", "z"}},
	}
	for _, tc := range tests {
		p, err := Compile(tc.pattern, tc.sep)
		if err != nil {
			t.Errorf("Compile(%q): %v", tc.pattern, err)
			continue
		}
		if !reflect.DeepEqual(p.Keys(), tc.keys) {
			t.Errorf("Compile(%q).Keys() = %q, want %q", tc.pattern, p.Keys(), tc.keys)
		}
		got, ok := p.Parse(tc.input)
		if ok != (tc.want != nil) || (ok && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("Parse(%q, %q) = %q, %v; want %q", tc.pattern, tc.input, got, ok, tc.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		pattern, msg string
		col          int
	}{
		{"no keys", "Unable to find any keys or delimiters.", 1},
		{"%{?a} %{}", "Unable to find any keys or delimiters.", 1},
		{"x %{+}", "The key name could not be determined", 3},
		{"%{a} %{*a?}", "multiple modifiers are not allowed", 6},
		{"%{a} %{+a/x}", "The key name could not be determined", 6},
		{"%{a} %{a/1}", "The key name could not be determined", 6},
		{"%{*a} %{&a}", "Reference keys not supported", 1},
	} {
		_, err := Compile(tc.pattern, "")
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Compile(%q) error = %v, want *Error", tc.pattern, err)
			continue
		}
		if !strings.Contains(e.Msg, tc.msg) || e.Col != tc.col {
			t.Errorf("Compile(%q) = %v, want %q at col %d", tc.pattern, e, tc.msg, tc.col)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("%{a} %{b},%{c}", "", "foo bar,baz")
	f.Add("%{a->} %{+a/2} %{?x}|%{}", " ", "a    b|c")
	f.Add("[%{a}]%{b}", "", "[1]2")
	f.Fuzz(func(t *testing.T, pattern, sep, s string) {
		p, err := Compile(pattern, sep)
		if err != nil {
			return
		}
		if vals, ok := p.Parse(s); ok && len(vals) != len(p.Keys()) {
			t.Fatalf("%d values for %d keys", len(vals), len(p.Keys()))
		}
	})
}
