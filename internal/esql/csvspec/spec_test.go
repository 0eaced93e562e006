package csvspec

import (
	"errors"
	"reflect"
	"testing"
)

const sampleSpec = `// leading comment
simple
from employees | keep emp_no | limit 1;

emp_no:integer
10001
;

withEverything#[skip:-8.12.99,reason:spaces kept since 8.13]
required_capability: case_mv
skip_flattened_rewrite: field_extract_multivalue_null
# comment between headers and query

// tag::x[]
FROM employees
| EVAL x = CASE(a, "b")
// end::x[]
;
warning:Line 2:12: evaluation of [CASE(a, \"b\")] failed
warning:Line 2:12: java.lang.IllegalArgumentException: x
ignoreOrder:true

// tag::x-result[]
a:i | b:k|c : date | COUNT(x::long):long | s:string
 1  | foo|null| [1, 2] |
 2  | [a\, b, c] |NULL| [3] | "x|y"
// end::x-result[]
;

emptyResult-Ignore
row a = 1 | where false;

a:integer
;
`

func TestParseSpec(t *testing.T) {
	tests, err := ParseSpec("sample.csv-spec", []byte(sampleSpec))
	if err != nil {
		t.Fatal(err)
	}
	if len(tests) != 3 {
		t.Fatalf("got %d tests, want 3", len(tests))
	}
	s := tests[0]
	if s.Name != "simple" || s.Line != 2 || s.Query != "from employees | keep emp_no | limit 1" || s.QueryLine != 3 {
		t.Errorf("simple: got name %q line %d query %q qline %d", s.Name, s.Line, s.Query, s.QueryLine)
	}
	if !reflect.DeepEqual(s.Columns, []Column{{"emp_no", "integer"}}) || len(s.Rows) != 1 || s.Rows[0][0].Vals[0] != "10001" {
		t.Errorf("simple: table %+v rows %+v", s.Columns, s.Rows)
	}

	w := tests[1]
	checks := []struct {
		what      string
		got, want any
	}{
		{"name", w.Name, "withEverything"},
		{"instructions", w.Instructions, map[string]string{"skip": "-8.12.99", "reason": "spaces kept since 8.13"}},
		{"capabilities", w.Capabilities, []string{"case_mv"}},
		{"headers", len(w.Headers), 2},
		{"query", w.Query, "FROM employees\n| EVAL x = CASE(a, \"b\")"},
		{"query line", w.QueryLine, 15},
		{"warning", w.Warnings[0], `Line 2:12: evaluation of [CASE(a, \"b\")] failed`},
		{"regexes", len(w.WarningRegexes), 0},
		{"second warning", w.Warnings[1], "Line 2:12: java.lang.IllegalArgumentException: x"},
		{"ignoreOrder", w.IgnoreOrder, true},
		{"columns", w.Columns, []Column{{"a", "i"}, {"b", "k"}, {"c", "date"}, {"COUNT(x::long)", "long"}, {"s", "string"}}},
		{"row 1", w.Rows[0], []Cell{{Vals: []string{"1"}}, {Vals: []string{"foo"}}, {Null: true}, {Vals: []string{"1", "2"}}, {Vals: []string{""}}}},
		{"row 2", w.Rows[1], []Cell{{Vals: []string{"2"}}, {Vals: []string{"a, b", "c"}}, {Null: true}, {Vals: []string{"3"}}, {Vals: []string{"x|y"}}}},
		{"row lines", w.RowLines, []int{25, 26}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("withEverything %s: got %#v, want %#v", c.what, c.got, c.want)
		}
	}
	e := tests[2]
	if !e.Ignored || e.Name != "emptyResult-Ignore" || len(e.Rows) != 0 || len(e.Columns) != 1 {
		t.Errorf("emptyResult: %+v", e)
	}
}

func TestParseSpecErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"unterminated query", "t\nfrom x\n| keep a\n", "f:3:1: test [t] (line 1): end of file before the query's closing ';'"},
		{"unterminated table", "t\nrow a=1;\na:i\n1\n", "f:4:1: test [t] (line 1): end of file before the result's closing ';'"},
		{"header without type", "t\nrow a=1;\na:i | b\n;\n", `f:3:7: invalid table header column "b": want name:type`},
		{"empty type", "t\nrow a=1;\na: \n;\n", `f:3:1: a type is always expected in the table header; found "a:"`},
		{"bad instruction", "t#[skip]\nrow a=1;\na:i\n;\n", `f:1:3: expected instruction in [k1:v1,k2:v2] format; got "skip"`},
		{"bad ignoreOrder", "t\nrow a=1;\nignoreOrder:maybe\na:i\n;\n", `f:3:13: ignoreOrder must be true or false, found "maybe"`},
		{"open multi-value", "t\nrow a=1;\na:i\n[1, 2\n;\n", `f:4:1: incomplete multi-value "[1, 2": no closing ']'`},
		{"unterminated quote", "t\nrow a=1;\na:k\n\"abc\n;\n", "f:4:1: unterminated quoted cell at column 1"},
		{"empty query", "t\n;\n", "f:2:1: test [t] has an empty query"},
		{"mixed warnings", "t\nrow a=1;\nwarning:x\n  warningRegex:y\na:i\n;\n", "f:4:3: cannot mix warnings and regex warnings in one test"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseSpec("f", []byte(c.src))
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a *SpecError", err)
			}
			if err.Error() != c.want {
				t.Errorf("got  %q\nwant %q", err.Error(), c.want)
			}
		})
	}
}

func TestParseCell(t *testing.T) {
	cases := []struct {
		in   string
		want Cell
	}{
		{"null", Cell{Null: true}},
		{" Null ", Cell{Null: true}},
		{"", Cell{Vals: []string{""}}},
		{"  x y  ", Cell{Vals: []string{"x y"}}},
		{"[a, b]", Cell{Vals: []string{"a", "b"}}},
		{"[a]", Cell{Vals: []string{"a"}}},
		{`[a\,b, c]`, Cell{Vals: []string{"a,b", "c"}}},
		{`a\,b`, Cell{Vals: []string{`a\,b`}}}, // escapes only matter inside [...]
		{"[a, b,]", Cell{Vals: []string{"a", "b"}}},
		{"\x00 null", Cell{Null: true}},
		{"\x00 q ", Cell{Vals: []string{" q "}}},
		// Quotes inside a multi-value are CSV quoting, as Elasticsearch's reader has it.
		{`["foo", "zoo", "bar"]`, Cell{Vals: []string{"foo", "zoo", "bar"}}},
		{`["[a]   [b]"]`, Cell{Vals: []string{"[a]   [b]"}}},
		{`["", "x"]`, Cell{Vals: []string{"", "x"}}},
		{`["say ""hi"""]`, Cell{Vals: []string{`say "hi"`}}},
	}
	for _, c := range cases {
		got, err := parseCell(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseCell(%q) = %#v, %v; want %#v", c.in, got, err, c.want)
		}
	}
}

func TestIsHeaderLine(t *testing.T) {
	cases := map[string]bool{
		"required_capability: x":      true,
		"request_stored: skip":        true,
		"from employees":              false,
		"ROW a = 1":                   false,
		"x::long":                     false,
		"a:":                          true,
		":x":                          false,
		"FROM idx | EVAL a = b:c":     false,
		"skip-flattened: x":           true,
		"ROW x = \"a:b\" | keep x":    false,
		"some_function(x):something ": false,
	}
	for in, want := range cases {
		if got := isHeaderLine(in); got != want {
			t.Errorf("isHeaderLine(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzParseSpec(f *testing.F) {
	f.Add(sampleSpec)
	f.Add("t\nrow a=1;\na:i\n1\n;\n")
	f.Add("t#[skip:-8.0.0,reason:x]\nrequired_capability: y\nrow a=[1,2];\nwarningRegex:.*\nignoreOrder:true\na:i|b:k\n[1,2]|\"q\"\"|\"\n;\n")
	f.Add("t\nfrom x\n")
	f.Fuzz(func(t *testing.T, src string) {
		tests, err := ParseSpec("fuzz", []byte(src))
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) || se.Line < 1 || se.Col < 1 {
				t.Fatalf("error without position: %v", err)
			}
			return
		}
		for _, tc := range tests {
			if tc.Name == "" || tc.Query == "" {
				t.Fatalf("bad test %+v", tc)
			}
			if len(tc.Rows) != len(tc.RowLines) {
				t.Fatalf("rows %d, row lines %d", len(tc.Rows), len(tc.RowLines))
			}
			for _, r := range tc.Rows {
				for _, c := range r {
					if !c.Null && len(c.Vals) == 0 {
						t.Fatalf("cell with no values in %q", src)
					}
				}
			}
		}
	})
}
