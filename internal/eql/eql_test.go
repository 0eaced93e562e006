package eql

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
)

const testMapping = `{"properties":{
 "@timestamp":{"type":"date"},
 "event":{"properties":{"category":{"type":"keyword"},"sequence":{"type":"long"},"type":{"type":"keyword"}}},
 "process":{"properties":{"name":{"type":"keyword"},"pid":{"type":"long"},"args":{"type":"keyword"},
   "parent":{"properties":{"pid":{"type":"long"}}},"score":{"type":"double"}}},
 "user":{"properties":{"name":{"type":"keyword"}}},
 "host":{"properties":{"id":{"type":"alias","path":"user.name"}}},
 "source":{"properties":{"ip":{"type":"ip"}}}}}`

// testEvents are one second apart; event.sequence is their id.
var testEvents = []string{
	`{"event":{"category":"process","type":"start"},"process":{"name":"bash","pid":10,"args":["bash","-c","Curl x"],"score":1.5},"user":{"name":"root"},"source":{"ip":"10.1.2.3"}}`,
	`{"event":{"category":"process","type":"start"},"process":{"name":"curl","pid":11,"parent":{"pid":10},"args":["curl","http://x"]},"user":{"name":"Root"}}`,
	`{"event":{"category":"network"},"process":{"name":"curl","pid":11},"user":{"name":"root"},"source":{"ip":"192.168.1.9"}}`,
	`{"event":{"category":["process","file"],"type":"end"},"process":{"name":"BASH.exe","pid":10},"user":{"name":"alice"}}`,
	`{"event":{"category":"file"},"process":{"name":"C:\\Windows\\cmd.exe","pid":12,"score":-2}}`,
}

func testDocs(t testing.TB, m *doc.Mapping, lines []string) []*doc.Document {
	t.Helper()
	docs, _ := testDocLines(t, m, lines)
	return docs
}

// testDocLines decodes test events and returns them with their NDJSON lines.
func testDocLines(t testing.TB, m *doc.Mapping, lines []string) ([]*doc.Document, []string) {
	t.Helper()
	dec := doc.NewDecoder(m, doc.DecodeOptions{})
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	var docs []*doc.Document
	var full []string
	for i, l := range lines {
		l = fmt.Sprintf(`{"@timestamp":%d,"event.sequence":%d,%s`, base+int64(i)*1000, i+1, l[1:])
		d, err := dec.Decode([]byte(l))
		if err != nil {
			t.Fatalf("event %d: %v", i+1, err)
		}
		docs = append(docs, d)
		full = append(full, l)
	}
	return docs, full
}

func mustMapping(t testing.TB) *doc.Mapping {
	t.Helper()
	m, err := doc.ParseMapping([]byte(testMapping))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func ids(docs []*doc.Document) []int64 {
	out := []int64{}
	for _, d := range docs {
		out = append(out, d.Get("event.sequence").I)
	}
	return out
}

// TestEventQueries checks each operator, function, case rule, null and
// multi-value case against hand-computed answers over testEvents.
func TestEventQueries(t *testing.T) {
	m := mustMapping(t)
	docs := testDocs(t, m, testEvents)
	for _, tc := range eventCases {
		q, err := Compile(tc.q, m, Options{})
		if err != nil {
			t.Errorf("%s: %v", tc.q, err)
			continue
		}
		if got := ids(q.Search(docs).Events); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.q, got, tc.want)
		}
		// the per-event matcher agrees with the search
		var viaMatch []int64
		for _, d := range docs {
			if q.Match(d) {
				viaMatch = append(viaMatch, d.Get("event.sequence").I)
			}
		}
		if len(q.pipes) == 0 && !slices.Equal(append([]int64{}, viaMatch...), tc.want) {
			t.Errorf("%s: Match gives %v, want %v", tc.q, viaMatch, tc.want)
		}
	}
}

var eventCases = []struct {
	q    string
	want []int64
}{
	{`any where true`, []int64{1, 2, 3, 4, 5}},
	{`process where true`, []int64{1, 2, 4}}, // multi-valued category matches any value
	{`"network" where true`, []int64{3}},
	{`any where false`, []int64{}},
	// equality is case-sensitive; `:` is not
	{`any where process.name == "bash"`, []int64{1}},
	{`any where process.name != "bash"`, []int64{2, 3, 4, 5}},
	{`any where user.name : "ROOT"`, []int64{1, 2, 3}},
	{`any where user.name == "root"`, []int64{1, 3}},
	{`any where process.name : "bash*"`, []int64{1, 4}},
	{`any where process.name : ("curl", "b?sh")`, []int64{1, 2, 3}},
	{`any where process.name : "*\\cmd.exe"`, []int64{5}}, // backslash is literal in patterns
	// like is case-sensitive, like~ not
	{`any where process.name like "bash*"`, []int64{1}},
	{`any where process.name like~ "bash*"`, []int64{1, 4}},
	{`any where process.name like ("cu*", "x")`, []int64{2, 3}},
	{`any where process.name regex "b[a-z]+"`, []int64{1}},
	{`any where process.name regex~ "b[a-z]+(\\.exe)?"`, []int64{1}}, // Lucene folds no ranges
	{`any where process.name regex~ "bash(\\.exe)?"`, []int64{1, 4}},
	// multi-valued fields: any value matches
	{`any where process.args == "-c"`, []int64{1}},
	{`any where process.args : "*curl*"`, []int64{1, 2}},
	// != is a negated term query: a multi-valued field with the value
	// fails it, a document without the field passes it
	{`any where process.args != "bash"`, []int64{2, 3, 4, 5}},
	{`any where not process.args : "*curl*"`, []int64{3, 4, 5}},
	// in / in~ / not in
	{`any where process.pid in (10, 12)`, []int64{1, 4, 5}},
	{`any where process.pid not in (10, 12)`, []int64{2, 3}},
	{`any where user.name in ("root")`, []int64{1, 3}},
	{`any where user.name in~ ("root")`, []int64{1, 2, 3}},
	{`any where user.name not in ("root")`, []int64{2, 4, 5}}, // negated terms query
	// ordering comparisons, ordinal for strings
	{`any where process.pid >= 11`, []int64{2, 3, 5}},
	{`any where process.pid < 11`, []int64{1, 4}},
	{`any where 11 < process.pid`, []int64{5}},
	{`any where user.name > "Z"`, []int64{1, 3, 4}},
	{`any where process.score > 0`, []int64{1}},
	{`any where process.score <= -2.0`, []int64{5}},
	// null semantics
	{`any where process.parent.pid == null`, []int64{1, 3, 4, 5}},
	{`any where process.parent.pid != null`, []int64{2}},
	// `not` over a query is must_not (missing fields pass); over a script
	// it keeps three-valued logic (null stays null and fails)
	{`any where not process.parent.pid == 10`, []int64{1, 3, 4, 5}},
	{`any where not (process.parent.pid > 100)`, []int64{1, 2, 3, 4, 5}},
	{`any where not (process.parent.pid + 0 > 100)`, []int64{2}},
	{`any where not startsWith(user.name, "r")`, []int64{2, 4, 5}},
	{`any where not endsWith(user.name, "t")`, []int64{4}},
	{`any where not cidrMatch(source.ip, "10.0.0.0/8")`, []int64{2, 3, 4, 5}},
	{`any where not (process.parent.pid == 10 and process.pid + 0 == 11)`, []int64{1, 3, 4, 5}},
	{`any where process.parent.pid > 1 or true`, []int64{1, 2, 3, 4, 5}},
	{`any where process.parent.pid > 1 and false`, []int64{}},
	{`any where ?process.missing == null`, []int64{1, 2, 3, 4, 5}},
	// field-to-field and arithmetic
	{`any where process.parent.pid == process.pid - 1`, []int64{2}},
	{`any where process.pid * 2 + 1 == 21`, []int64{1, 4}},
	{`any where process.pid / 4 == 2`, []int64{1, 2, 3, 4}}, // integer division truncates
	{`any where process.pid / 4 == 3`, []int64{5}},
	{`any where process.pid % 5 == 0`, []int64{1, 4}},
	{`any where -process.pid == -12`, []int64{5}},
	{`any where process.pid / 0 == null`, []int64{1, 2, 3, 4, 5}},
	// alias
	{`any where host.id == "alice"`, []int64{4}},
	// IP comparisons and cidrMatch
	{`any where source.ip == "10.1.2.3"`, []int64{1}},
	{`any where source.ip : ("x", "192.168.1.9")`, []int64{3}},
	{`any where cidrMatch(source.ip, "192.168.0.0/16")`, []int64{3}},
	{`any where cidrMatch(source.ip, "10.0.0.0/8", "192.168.1.9/32")`, []int64{1, 3}},
	// string functions
	{`any where startsWith(process.name, "BA")`, []int64{4}},
	{`any where startsWith~(process.name, "BA")`, []int64{1, 4}},
	{`any where endsWith~(process.name, ".EXE")`, []int64{4, 5}},
	{`any where endsWith(process.name, ".EXE")`, []int64{}},
	{`any where stringContains(process.name, "url")`, []int64{2, 3}},
	{`any where stringContains~(process.name, "ASH")`, []int64{1, 4}},
	{`any where length(process.name) == 4`, []int64{1, 2, 3}},
	{`any where indexOf(process.name, "sh") == 2`, []int64{1}},
	{`any where indexOf~(process.name, "sh", 1) == 2`, []int64{1, 4}},
	{`any where indexOf(process.name, "sh", 3) == null and process.pid == 10`, []int64{1, 4}},
	{`any where substring(process.name, 0, 2) == "cu"`, []int64{2, 3}},
	{`any where substring(process.name, -3) == "exe"`, []int64{4, 5}},
	{`any where between(process.name, "\\", ".exe") == "Windows\\cmd"`, []int64{5}},
	{`any where between(process.name, "\\", "\\", true) == "Windows"`, []int64{5}},
	{`any where between~(process.name, "b", ".EXE") == "ASH"`, []int64{4}},
	{`any where concat(process.name, "-", process.pid) == "curl-11"`, []int64{2, 3}},
	{`any where concat(process.name, process.parent.pid) == null`, []int64{1, 3, 4, 5}},
	{`any where string(process.pid) == "12"`, []int64{5}},
	{`any where number("0x0a", 16) == process.pid`, []int64{1, 4}},
	{`any where number("11") == process.pid`, []int64{2, 3}},
	{`any where add(process.pid, 1) == 11 and subtract(process.pid, 1) == 9`, []int64{1, 4}},
	{`any where multiply(process.pid, 2) == 24 and divide(process.pid, 4) == 3 and modulo(process.pid, 5) == 2`, []int64{5}},
	{`any where divide(process.pid, 4.0) == 3.0`, []int64{5}},
	// strings: escapes, raw and triple-quoted
	{`any where process.name == "C:\\Windows\\cmd.exe"`, []int64{5}},
	{`any where process.name == ?"C:\Windows\cmd.exe"`, []int64{5}},
	{`any where process.name == """C:\Windows\cmd.exe"""`, []int64{5}},
	{`any where process.name == "\u{62}ash"`, []int64{1}},
	// pipes
	{`any where true | head 2`, []int64{1, 2}},
	{`any where true | tail 2`, []int64{4, 5}},
	{`any where true | head 4 | tail 2`, []int64{3, 4}},
}

func TestSizeAndOrder(t *testing.T) {
	m := mustMapping(t)
	docs := testDocs(t, m, testEvents)
	slices.Reverse(docs) // input order must not matter
	q, err := Compile(`any where true`, m, Options{Size: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(q.Search(docs).Events); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("got %v", got)
	}
	if q.Size() != 3 {
		t.Fatal("size")
	}
	q, _ = Compile(`any where true`, m, Options{})
	if q.Size() != DefaultSize {
		t.Fatal("default size")
	}
	want := []string{"@timestamp", "event.sequence", "event.category"}
	if !slices.Equal(q.Fields(), want) {
		t.Fatalf("fields %v, want %v", q.Fields(), want)
	}
}

// TestErrors checks positions and Elasticsearch's wording.
func TestErrors(t *testing.T) {
	m := mustMapping(t)
	for _, tc := range []struct{ q, want string }{
		{`process where nope == 1`, `line 1:15: Unknown column [nope]`},
		{`process where process.name == 'x'`, `line 1:31: Use double quotes ["] to define string literals, not single quotes [']`},
		{"process where\n  foo(1)", `line 2:3: Unknown function [foo]`},
		{`process where add(1)`, `line 1:15: error building [add]: wrong number of arguments [1]`},
		{`process where length~(process.name) > 1`, `line 1:15: Function [length] does not support case-insensitive (~) matching`},
		{`process where process.name = "x"`, `line 1:28: Use == instead of = for equality`},
		{`process where true | unique process.name`, `line 1:22: Pipe [unique] is not supported`},
		{`process where true | filter true`, `line 1:22: Pipe [filter] is not supported`},
		{`sequence [process where true]`, `line 1:30: A sequence requires a minimum of 2 queries, found [1]`},
		{`sequence with maxspan=10 [any where true] [any where true]`, `line 1:23: No time unit specified, did you mean [s] as in [10s]?`},
		{`sequence with maxspan=10x [any where true] [any where true]`, `line 1:23: Unrecognized time unit [x] in [10x], please specify one of [ms, s, m, h, d]`},
		{`sequence [any where true] by process.pid [any where true]`, `line 1:43: Inconsistent number of join keys specified; expected [1] but found [0]`},
		{`process where process.name == "a\qb"`, `line 1:33: Illegal escape sequence [\q]`},
		{`process where process.name == "abc`, `line 1:31: unterminated string`},
		{`process where process.name like process.name`, `line 1:33: Comparisons against fields are not (currently) supported; offender [process.name] in [like]`},
		{`process where process.pid == "x"`, `line 1:15: first argument of [process.pid == "x"] must be [keyword], found value [process.pid] type [long]`},
		{`process where`, `line 1:14: mismatched input <EOF> expecting {<expression>}`},
		{`process where process.pid == "a\"b"`, `line 1:15: first argument of [process.pid == "a\"b"] must be [keyword], found value [process.pid] type [long]`},
		{`sample by x [any where true] [any where true]`, `line 1:11: Unknown column [x]`},
		{`sample by process.pid [any where true]`, `line 1:39: A sample requires a minimum of 2 queries, found [1]`},
		{`sample by process.pid with maxspan=1s [any where true] [any where true]`, `line 1:23: mismatched input 'with' expecting '['`},
		{`sample by process.pid [any where true] [any where true] until [any where true]`, `line 1:57: mismatched input 'until' expecting {<EOF>, '|', '['}`},
		{`sample by process.pid [any where true] ![any where true]`, `line 1:40: Missing events are not supported in sample queries`},
		{`sample by process.pid [any where true] with runs=2 [any where true]`, `line 1:23: with runs is not supported in sample queries`},
	} {
		_, err := Compile(tc.q, m, Options{})
		var el ErrorList
		if !errors.As(err, &el) {
			t.Errorf("%s: got %v, want an ErrorList", tc.q, err)
			continue
		}
		if el[0].Error() != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.q, el[0], tc.want)
		}
	}
}

func TestParseForms(t *testing.T) {
	for _, q := range []string{
		`process where true // comment`,
		`/* c */ process where true`,
		"any where `process.name` == \"x\"",
		`any where process.pid == 1e1`,
		`any where -(1) == -1`,
		`sequence by user.name with maxspan=5m [process where true] by process.pid [file where true] by process.parent.pid until [process where false] by process.pid`,
		`sequence with maxspan=500ms [process where true] with runs=3 [file where true]`,
		`sequence [process where true] ![file where true] [network where true]`,
	} {
		if _, err := Parse(q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	ast, _ := Parse(`sequence with maxspan=2h [process where true] with runs=3 [file where true]`)
	if ast.MaxSpan != 2*time.Hour || len(ast.Stages) != 2 || ast.Stages[0].Runs != 3 {
		t.Fatalf("ast %+v", ast)
	}
}

// FuzzParse: the parser never panics, and every error has a position inside the query.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`process where process.name : ("a*", "b") and not x in~ (1, 2.5, null)`,
		`sequence by a with maxspan=1d [any where a == ?"x\y"] by b [file where """q"""] until [x where y]| head 3 | tail 1`,
		`any where concat(a, "\u{1F600}") like~ "*" or -(-3) % 2 != b`,
		`'`, `"`, `"""`, "`", `process where ((((`,
		`sample by ?user.name, process.pid [process where true] by process.parent.pid [file where true] by process.pid | tail 2`,
	} {
		f.Add(s)
	}
	m := mustMapping(f)
	docs := testDocs(f, m, testEvents)
	f.Add(`any where substring(process.name, -100, 3) : between(process.name, "", "", true) and indexOf(process.name, "", 99) == number("0x", 16)`)
	f.Fuzz(func(t *testing.T, q string) {
		_, err := Compile(q, nil, Options{})
		if err == nil {
			// a query that compiles also runs, against a mapping and without
			if qm, err := Compile(q, m, Options{}); err == nil {
				qm.Search(docs)
			}
			return
		}
		var el ErrorList
		if !errors.As(err, &el) {
			t.Fatalf("%q: error %v is not an ErrorList", q, err)
		}
		lines := strings.Count(q, "\n") + 1
		for _, e := range el {
			if e.Line < 1 || e.Line > lines || e.Col < 1 {
				t.Fatalf("%q: error outside the query: %v", q, e)
			}
		}
	})
}
