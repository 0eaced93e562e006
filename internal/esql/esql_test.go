package esql

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"vigil/internal/doc"
)

// testCatalog resolves every pattern to one mapping.
type testCatalog struct{ m *doc.Mapping }

func (c testCatalog) Resolve([]string) (*doc.Mapping, error) { return c.m, nil }

func testMapping() *doc.Mapping {
	m := doc.NewMapping()
	for name, t := range map[string]doc.Type{
		"name": doc.Keyword, "n": doc.Integer, "l": doc.Long, "d": doc.Double, "b": doc.Boolean,
		"tags": doc.Keyword, "msg": doc.Text, "@timestamp": doc.Date, "host.name": doc.Keyword,
		"process.name": doc.Keyword,
	} {
		m.Add(doc.Field{Name: name, Type: t, ESType: t.String()})
	}
	m.Add(doc.Field{Name: "geo", Type: doc.Unsupported, ESType: "geo_shape"})
	return m
}

func kw(s ...string) doc.Value {
	if len(s) == 1 {
		return doc.KeywordOf(s[0])
	}
	vs := make([]doc.Value, len(s))
	for i, x := range s {
		vs[i] = doc.KeywordOf(x)
	}
	return doc.Multi(doc.Keyword, vs)
}

func ints(is ...int32) doc.Value {
	if len(is) == 1 {
		return doc.Int(is[0])
	}
	vs := make([]doc.Value, len(is))
	for i, x := range is {
		vs[i] = doc.Int(x)
	}
	return doc.Multi(doc.Integer, vs)
}

func testDocs() []*doc.Document {
	ts := func(s string) doc.Value {
		t, _ := time.Parse(time.RFC3339, s)
		return doc.TimeOf(t)
	}
	return []*doc.Document{
		{Index: "logs-a", ID: "1", Fields: map[string]doc.Value{"name": kw("alice"), "n": ints(1), "tags": kw("x", "y"), "@timestamp": ts("2024-01-01T00:00:10Z"), "d": doc.Float(1.5)}},
		{Index: "logs-a", ID: "2", Version: 3, Fields: map[string]doc.Value{"name": kw("bob"), "n": ints(2), "tags": kw("y"), "@timestamp": ts("2024-01-01T00:00:50Z")}},
		{Index: "logs-b", ID: "3", Fields: map[string]doc.Value{"name": kw("carol"), "n": ints(3, 4), "@timestamp": ts("2024-01-01T00:01:10Z")}},
		{Index: "logs-b", ID: "4", Fields: map[string]doc.Value{"n": ints(5), "tags": kw("x"), "@timestamp": ts("2024-01-01T00:01:20Z")}},
	}
}

func seq(ds []*doc.Document) func(func(*doc.Document) bool) {
	return func(yield func(*doc.Document) bool) {
		for _, d := range ds {
			if !yield(d) {
				return
			}
		}
	}
}

func run(t *testing.T, q string) *Result {
	t.Helper()
	r, err := Run(q, testCatalog{testMapping()}, seq(testDocs()), Options{Now: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return r
}

// render turns a result into "col:type|…" plus rows of Value strings.
func render(r *Result) []string {
	var hdr []string
	for _, c := range r.Columns {
		hdr = append(hdr, c.Name+":"+c.Type.String())
	}
	out := []string{strings.Join(hdr, "|")}
	for _, row := range r.Rows {
		var cells []string
		for _, v := range row {
			cells = append(cells, v.String())
		}
		out = append(out, strings.Join(cells, "|"))
	}
	return out
}

func TestParseOK(t *testing.T) {
	tests := []struct {
		q    string
		cmds int
	}{
		{"FROM logs-* METADATA _id, _version, _index", 1},
		{`FROM "logs-*", other | WHERE a.b.c == 1 // comment`, 2},
		{"row a = 1 /* c */ | eval b = a + 1, c = -a * 2 | keep b, c*", 3},
		{"FROM x | STATS c = COUNT(*), COUNT(y) WHERE y > 1 BY DATE_TRUNC(1 hour, @timestamp)", 2},
		{"FROM x | INLINESTATS c = COUNT(*) BY h | INLINE STATS d = MAX(c)", 3},
		{"FROM x | SORT a DESC NULLS FIRST, b ASC, c | LIMIT 10", 3},
		{"FROM x | RENAME a AS b, c = d | DROP e*", 3},
		{"FROM x | WHERE a NOT IN (1, 2) AND b NOT LIKE (\"x*\", \"y\") OR c IS NOT NULL AND d RLIKE \"a.*\"", 2},
		{"FROM x | EVAL `weird``name` = `a.b`::long, t = 1 week, u = 2h, v = 3 quarters", 2},
		{`FROM x | DISSECT msg "%{a} %{b}" APPEND_SEPARATOR=","`, 2},
		{`FROM x | GROK msg """%{WORD:w} %{INT:n:int}"""`, 2},
		{`FROM x | LOOKUP JOIN t ON a | ENRICH p ON x WITH y = z`, 3},
		{`FROM x | COMPLETION r = p WITH { "inference_id": "e" } | KEEP r`, 3},
		{"FROM x | MV_EXPAND tags", 2},
	}
	for _, tc := range tests {
		a, err := Parse(tc.q)
		if err != nil {
			t.Errorf("%s: %v", tc.q, err)
			continue
		}
		if len(a.Commands) != tc.cmds {
			t.Errorf("%s: %d commands, want %d", tc.q, len(a.Commands), tc.cmds)
		}
	}
}

func TestParseExprShape(t *testing.T) {
	a, err := Parse("ROW x = NOT a == 1 AND b OR c, y = 1 + 2 * 3, COUNT(*)")
	if err != nil {
		t.Fatal(err)
	}
	fs := a.Commands[0].(*RowCmd).Fields
	or, ok := fs[0].X.(*Logical)
	if !ok || or.And {
		t.Fatalf("top is not OR: %#v", fs[0].X)
	}
	and := or.L.(*Logical)
	if _, ok := and.L.(*Not); !ok || !and.And {
		t.Fatalf("NOT should bind tighter than AND: %#v", and.L)
	}
	add := fs[1].X.(*Binary)
	if add.Op != "+" || add.R.(*Binary).Op != "*" {
		t.Fatalf("precedence: %#v", add)
	}
	if fs[2].Name != "COUNT(*)" || !fs[2].X.(*Call).Star {
		t.Fatalf("unnamed field named by source: %q", fs[2].Name)
	}
	if p := fs[1].X.(*Binary).R.Pos(); p != (Pos{1, 40}) {
		t.Fatalf("pos %v", p)
	}
}

func TestLiteralTypes(t *testing.T) {
	tests := map[string]doc.Type{
		"1": doc.Integer, "2147483648": doc.Long, "9223372036854775808": doc.UnsignedLong,
		"18446744073709551616": doc.Double, "1.5": doc.Double, "1e3": doc.Double, `"s"`: doc.Keyword,
		"true": doc.Boolean, "null": doc.Null, "1 minute": doc.TimeDuration, "1h": doc.TimeDuration, "3 min": doc.TimeDuration,
		"2 weeks": doc.DatePeriod, "1 year": doc.DatePeriod, "1 day": doc.DatePeriod,
	}
	for src, want := range tests {
		a, err := Parse("ROW x = " + src)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		got := a.Commands[0].(*RowCmd).Fields[0].X.(*Literal).Val.T
		if got != want {
			t.Errorf("%s: type %v, want %v", src, got, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ q, want string }{
		{"FROM x | WHERE", "line 1:15: mismatched input '<EOF>'"},
		{"FROM x\n| EVAL a = (1 + 2", "line 2:18:"},
		{"ROW a = \"unterminated", "line 1:9: token recognition error"},
		{"ROW a = 1 | LIMIT x", "line 1:19:"},
		{"SELECT 1", "line 1:1:"},
		{"ROW a = 1 /* open", "line 1:11: unterminated comment"},
		{"ROW a = 1 | SORT a NULLS MIDDLE", "line 1:26:"},
		{`ROW a = "\q"`, "line 1:9: token recognition error"},
	}
	for _, tc := range tests {
		_, err := Parse(tc.q)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want prefix %q", tc.q, err, tc.want)
		}
	}
}

func TestAnalyzerErrors(t *testing.T) {
	cat := testCatalog{testMapping()}
	tests := []struct{ q, want string }{
		{"FROM x\n| WHERE proces.name == \"a\"", "line 2:9: Unknown column [proces.name], did you mean [process.name]?"},
		{"FROM x | EVAL y = foo(n)", "line 1:19: Unknown function [foo]"},
		{"FROM x | EVAL y = n + \"a\"", "line 1:19: second argument of [n + \"a\"] must be [datetime or numeric], found value [\"a\"] type [keyword]"},
		{"FROM x | EVAL y = COUNT(n)", "line 1:19: aggregate function [COUNT(n)] not allowed outside STATS command"},
		{"FROM x | EVAL y = 1 | WHERE KQL(\"a:b\")", "line 1:29: [KQL] function cannot be used after EVAL"},
		{"FROM x | WHERE zz > 1 AND yy < 2", "Found 2 problems\nline 1:16: Unknown column [zz]\nline 1:27: Unknown column [yy]"},
		{"FROM x | KEEP nope", "line 1:15: Unknown column [nope]"},
		{"FROM x | EVAL g = geo", "line 1:19: Cannot use field [geo] with unsupported type [geo_shape]"},
		{"FROM x | ENRICH p", "line 1:10: ENRICH is not supported yet"},
		{"FROM x | WHERE name LIKE name", "line 1:26: pattern must be a constant"},
		{"FROM x | STATS n", "line 1:16: column [n] must appear in the STATS BY clause or be used in an aggregate function"},
		{"FROM x | EVAL k = KQL(\"a:b\")", "line 1:19: [KQL] function is only supported in WHERE and STATS commands"},
		{"FROM x | KEEP zz*", "line 1:15: No matches found for pattern [zz*]"},
		{"FROM x | EVAL y = n::nosuch", "line 1:22: Unknown data type named [nosuch]"},
		{"FROM x | WHERE n", "line 1:16: Condition expression needs to be boolean, found [INTEGER]"},
	}
	for _, tc := range tests {
		_, err := Compile(tc.q, cat, Options{})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %q", tc.q, err, tc.want)
		}
	}
}

func TestExec(t *testing.T) {
	tests := []struct {
		name, q string
		want    []string
		warn    []string
	}{
		{"where keeps true only", "FROM logs-* | WHERE n > 1 | KEEP name, n | SORT name",
			[]string{"name:keyword|n:integer", "bob|2", "null|5"},
			[]string{"Line 1:21: evaluation of [n > 1] failed, treating result as null. Only first 20 failures recorded.",
				"Line 1:21: java.lang.IllegalArgumentException: single-value function encountered multi-value"}},
		{"in with null", `ROW a = "x" | EVAL b = a IN ("a", null), c = a IN ("x", null), d = a NOT IN ("a")`,
			[]string{"a:keyword|b:boolean|c:boolean|d:boolean", "x|null|true|true"}, nil},
		{"three valued logic", "ROW t = true, f = false, u = null::boolean | EVAL a = u AND f, b = u OR t, c = u AND t, d = NOT u",
			[]string{"t:boolean|f:boolean|u:boolean|a:boolean|b:boolean|c:boolean|d:boolean", "true|false|null|false|true|null|null"}, nil},
		{"is null on multi", "FROM logs-* | WHERE tags IS NULL | KEEP name",
			[]string{"name:keyword", "carol"}, nil},
		{"stats by multi key and null key", "FROM logs-* | STATS c = COUNT(*) BY tags | SORT tags",
			[]string{"c:long|tags:keyword", "2|x", "2|y", "1|null"}, nil},
		{"stats no by, exprs over aggs", "FROM logs-* | STATS c = COUNT(*) + 1, COUNT(name), s = SUM(n) WHERE n < 5",
			[]string{"c:long|COUNT(name):long|s:long", "5|3|3"},
			[]string{"Line 1:69: evaluation of [n < 5] failed, treating result as null. Only first 20 failures recorded.",
				"Line 1:69: java.lang.IllegalArgumentException: single-value function encountered multi-value"}},
		{"stats by expression named by text", "FROM logs-* | STATS c = COUNT(*) BY DATE_TRUNC(1 minute, @timestamp) | SORT c",
			[]string{"c:long|DATE_TRUNC(1 minute, @timestamp):datetime", "2|2024-01-01T00:00:00.000Z", "2|2024-01-01T00:01:00.000Z"}, nil},
		{"stats without by over nothing", "FROM logs-* | WHERE n > 100 | STATS c = COUNT(*), m = MAX(n)",
			[]string{"c:long|m:integer", "0|null"},
			[]string{"Line 1:21: evaluation of [n > 100] failed, treating result as null. Only first 20 failures recorded.",
				"Line 1:21: java.lang.IllegalArgumentException: single-value function encountered multi-value"}},
		{"by without aggs", "FROM logs-* | STATS BY name | SORT name",
			[]string{"name:keyword", "alice", "bob", "carol", "null"}, nil},
		{"sort nulls and multi", "FROM logs-* | SORT n DESC | KEEP n",
			[]string{"n:integer", "5", "[3, 4]", "2", "1"}, nil},
		{"sort asc nulls last default", "FROM logs-* | SORT name | KEEP name",
			[]string{"name:keyword", "alice", "bob", "carol", "null"}, nil},
		{"sort nulls first", "FROM logs-* | SORT name ASC NULLS FIRST | KEEP name | LIMIT 2",
			[]string{"name:keyword", "null", "alice"}, nil},
		{"eval shadowing moves column", "ROW a = 1, b = 2 | EVAL a = a + 10, c = a * 2",
			[]string{"b:integer|a:integer|c:integer", "2|11|22"}, nil},
		{"keep precedence", "ROW ab = 1, ac = 2, b = 3 | KEEP a*, b, ab",
			[]string{"ac:integer|b:integer|ab:integer", "2|3|1"}, nil},
		{"drop and rename", "ROW a = 1, b = 2, c = 3 | DROP b | RENAME a AS x, y = c",
			[]string{"x:integer|y:integer", "1|3"}, nil},
		{"metadata", "FROM logs-* METADATA _id, _index, _version | WHERE name == \"bob\" | KEEP _id, _index, _version",
			[]string{"_id:keyword|_index:keyword|_version:long", "2|logs-a|3"}, nil},
		{"mv_expand", "FROM logs-* | WHERE name == \"alice\" | MV_EXPAND tags | KEEP tags",
			[]string{"tags:keyword", "x", "y"}, nil},
		{"limit before stats", "FROM logs-* | LIMIT 2 | STATS c = COUNT(*)",
			[]string{"c:long", "2"}, nil},
		{"like and list forms", `FROM logs-* | WHERE name LIKE ("a*", "c*") | KEEP name`,
			[]string{"name:keyword", "alice", "carol"}, nil},
		{"not like", `FROM logs-* | WHERE name NOT LIKE "a*" | KEEP name`,
			[]string{"name:keyword", "bob", "carol"}, nil},
		{"rlike", `FROM logs-* | WHERE name RLIKE "b.b" | KEEP name`,
			[]string{"name:keyword", "bob"}, nil},
		{"case lazy with multi condition", `ROW a = [true, false] | EVAL c = CASE(a, "y", "n")`,
			[]string{"a:boolean|c:keyword", "[true, false]|n"},
			[]string{"Line 1:34: evaluation of [CASE(a, \"y\", \"n\")] failed, treating result as false. Only first 20 failures recorded.",
				"Line 1:34: java.lang.IllegalArgumentException: single-value function encountered multi-value"}},
		{"case null condition is false", `ROW a = null::boolean | EVAL c = CASE(a, 1, 2)`,
			[]string{"a:boolean|c:integer", "null|2"}, nil},
		{"null fold warning", "ROW a = 1 | EVAL b = 1 + null",
			[]string{"a:integer|b:integer", "1|null"},
			[]string{"Line 1:22: Expression [1 + null] always evaluates to NULL."}},
		{"now", "ROW t = NOW()",
			[]string{"t:datetime", "2024-01-02T00:00:00.000Z"}, nil},
		{"implicit limit", "ROW a = [1, 2, 3] | MV_EXPAND a | LIMIT 2",
			[]string{"a:integer", "1", "2"}, nil},
		{"dissect", `ROW m = "a-b" | DISSECT m "%{x}-%{y}"`,
			[]string{"m:keyword|x:keyword|y:keyword", "a-b|a|b"}, nil},
		{"dissect append", `ROW m = "a b c" | DISSECT m "%{+x} %{+x} %{y}" APPEND_SEPARATOR="-"`,
			[]string{"m:keyword|x:keyword|y:keyword", "a b c|a-b|c"}, nil},
		{"grok", `ROW m = "a 12" | GROK m "%{WORD:w} %{INT:n:int}"`,
			[]string{"m:keyword|n:integer|w:keyword", "a 12|12|a"}, nil},
		{"inline stats", "FROM logs-* | WHERE name IS NOT NULL | INLINE STATS c = COUNT(*) | KEEP name, c | SORT name",
			[]string{"name:keyword|c:long", "alice|3", "bob|3", "carol|3"}, nil},
		{"string to date comparison", `FROM logs-* | WHERE @timestamp > "2024-01-01T00:01:00Z" | KEEP name`,
			[]string{"name:keyword", "carol", "null"}, nil},
		{"text vs keyword types", `ROW a = "x"::text | EVAL b = a, c = a::keyword`,
			[]string{"a:text|b:text|c:keyword", "x|x|x"}, nil},
		{"eval constant propagates to like", `FROM logs-* | EVAL p = "b*" | WHERE name LIKE p | KEEP name`,
			[]string{"name:keyword", "bob"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.q)
			if got := render(r); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s\n got %q\nwant %q", tc.q, got, tc.want)
			}
			if !reflect.DeepEqual(r.Warnings, tc.warn) && !(len(r.Warnings) == 0 && len(tc.warn) == 0) {
				t.Errorf("%s\n warnings %q\n     want %q", tc.q, r.Warnings, tc.warn)
			}
		})
	}
}

func TestImplicitLimit(t *testing.T) {
	docs := make([]*doc.Document, 1500)
	for i := range docs {
		docs[i] = &doc.Document{Fields: map[string]doc.Value{"n": doc.Int(int32(i))}}
	}
	for q, want := range map[string]int{"FROM x": 1000, "FROM x | LIMIT 1200": 1200, "FROM x | LIMIT 20000": 1500, "FROM x | LIMIT 5 | EVAL y = 1": 5} {
		r, err := Run(q, testCatalog{testMapping()}, seq(docs), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Rows) != want {
			t.Errorf("%s: %d rows, want %d", q, len(r.Rows), want)
		}
	}
}

func TestWarningCap(t *testing.T) {
	docs := make([]*doc.Document, 30)
	for i := range docs {
		docs[i] = &doc.Document{Fields: map[string]doc.Value{"n": ints(int32(i), 1<<30+int32(i))}}
	}
	r, err := Run("FROM x | EVAL y = n + 1", testCatalog{testMapping()}, seq(docs), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Header plus one de-duplicated exception line.
	if len(r.Warnings) != 2 {
		t.Fatalf("warnings %q", r.Warnings)
	}
}

func TestMergeParallel(t *testing.T) {
	q, err := Compile("FROM x | STATS c = COUNT(*), v = VALUES(name) BY tags | SORT tags", testCatalog{testMapping()}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := q.NewExecution(), q.NewExecution()
	for i, d := range testDocs() {
		if i%2 == 0 {
			a.Push(d)
		} else {
			b.Push(d)
		}
	}
	a.Merge(b)
	r, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"c:long|v:keyword|tags:keyword", "2|alice|x", "2|[alice, bob]|y", "1|carol|null"}
	if got := render(r); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
}

func TestQueryIntrospection(t *testing.T) {
	q, err := Compile("FROM logs-*, -logs-b METADATA _id | WHERE n > 0 | EVAL z = name | STATS c = COUNT(*) BY z | SORT c", testCatalog{testMapping()}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := q.Fields(); !reflect.DeepEqual(got, []string{"n", "name"}) {
		t.Errorf("Fields %q", got)
	}
	st := q.Stages()
	if !reflect.DeepEqual(st.PerEvent, []string{"FROM", "WHERE", "EVAL"}) || !reflect.DeepEqual(st.Aggregating, []string{"STATS", "SORT"}) {
		t.Errorf("Stages %+v", st)
	}
	if !q.MatchesIndex("logs-a") || q.MatchesIndex("logs-b") || q.MatchesIndex("metrics") {
		t.Error("MatchesIndex")
	}
}

func sharedDir(t testing.TB) string {
	d := filepath.Join("..", "..", "..", "shared")
	if _, err := os.Stat(d); err != nil {
		t.Skip("shared material absent")
	}
	return d
}

func ruleQueries(t testing.TB) map[string]string {
	files, _ := filepath.Glob(filepath.Join(sharedDir(t), "rules", "esql", "*.toml"))
	out := map[string]string{}
	for _, f := range files {
		var r struct {
			Rule struct {
				Query string `toml:"query"`
			} `toml:"rule"`
		}
		if _, err := toml.DecodeFile(f, &r); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = r.Rule.Query
	}
	return out
}

func TestParseAllRules(t *testing.T) {
	qs := ruleQueries(t)
	if len(qs) == 0 {
		t.Skip("no rules")
	}
	for name, q := range qs {
		if _, err := Parse(q); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func seedQuery(t testing.TB) string {
	b, err := os.ReadFile(filepath.Join(sharedDir(t), "seed", "suspicious-python-shell-command-execution.txt"))
	if err != nil {
		t.Skip(err)
	}
	s := string(b)
	i := strings.Index(s, "FROM logs-endpoint")
	j := strings.Index(s[i:], "\nFramework")
	q := strings.TrimSpace(s[i : i+j])
	return strings.TrimSuffix(q, "Framework: MITRE ATT&CKTM")
}

func seedDocs() []*doc.Document {
	base := time.Date(2024, 5, 1, 10, 0, 5, 0, time.UTC)
	mk := func(i int, cmd string, sec int, parent string) *doc.Document {
		return &doc.Document{Index: ".ds-logs-endpoint.events.process-default-2024.05.01-000001", ID: "id" + string(rune('a'+i)), Fields: map[string]doc.Value{
			"@timestamp":               doc.TimeOf(base.Add(time.Duration(sec) * time.Second)),
			"host.os.type":             kw("linux"),
			"event.type":               kw("start"),
			"event.action":             kw("exec"),
			"process.parent.name":      kw("Python3.11"),
			"process.name":             kw("sh"),
			"process.args":             kw("sh", "-c", cmd),
			"process.command_line":     doc.KeywordOf("sh -c " + cmd),
			"process.parent.entity_id": kw(parent),
			"agent.id":                 kw("agent-1"),
			"host.name":                kw("web-1"),
			"event.dataset":            kw("endpoint.events.process"),
			"data_stream.namespace":    kw("default"),
		}}
	}
	ds := []*doc.Document{
		mk(0, "whoami", 0, "P1"), mk(1, "uname -a", 5, "P1"), mk(2, "env | grep AWS", 10, "P1"),
		mk(3, "find / -name id_rsa", 15, "P1"), mk(4, "curl http://x/a.sh", 20, "P1"),
		// Same parent, next minute: its own window, too few commands.
		mk(5, "wget http://x/b", 70, "P1"),
		// Another parent with only 2 commands.
		mk(6, "whoami", 1, "P2"), mk(7, "id", 2, "P2"),
	}
	// Not python: filtered out by the WHERE.
	odd := mk(8, "curl evil", 3, "P1")
	odd.Fields["process.parent.name"] = kw("node")
	// Wrong event.action: filtered by KQL().
	fork := mk(9, "hostname", 4, "P1")
	fork.Fields["event.action"] = kw("fork")
	return append(ds, odd, fork)
}

func TestSeedRule(t *testing.T) {
	q := seedQuery(t)
	m, ok := doc.BuiltinMapping("logs-endpoint.events.process")
	if !ok {
		t.Skip("no built-in endpoint mapping")
	}
	r, err := Run(q, testCatalog{m}, seq(seedDocs()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range r.Columns {
		names = append(names, c.Name)
	}
	wantCols := []string{"Esql.process_command_line_count_distinct", "Esql.patterns_count_distinct",
		"Esql.process_command_line_values", "Esql.host_name_values", "Esql.agent_id_values",
		"Esql.event_dataset_values", "Esql.data_stream_namespace_values",
		"process.parent.entity_id", "agent.id", "host.name", "Esql.time_window_date_trunc"}
	if !reflect.DeepEqual(names, wantCols) {
		t.Fatalf("columns %q", names)
	}
	if len(r.Rows) != 1 {
		t.Fatalf("rows %v", render(r))
	}
	row := r.Rows[0]
	// 5 distinct command lines in P1's 10:00 window: discovery (whoami,
	// uname), grep, find, curl → 4 patterns.
	if row[0].String() != "5" || row[1].String() != "4" || row[7].String() != "P1" ||
		row[10].String() != "2024-05-01T10:00:00.000Z" || row[3].String() != "web-1" {
		t.Errorf("row %v", render(r))
	}
	if row[2].Len() != 5 {
		t.Errorf("command line values %v", row[2])
	}
}

func FuzzLexer(f *testing.F) {
	f.Add(`FROM a | WHERE b == "c\t" /* x */ // y`)
	f.Add("ROW `a``b` = \"\"\"raw\"\"\" , c = 1.5e3, d = 1 minute")
	for _, q := range fuzzSeeds() {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lx := newLexer(s)
		for i := 0; i < 10000; i++ {
			tok, err := lx.next()
			if err != nil || tok.kind == tEOF {
				return
			}
		}
	})
}

func FuzzParse(f *testing.F) {
	f.Add("FROM a | STATS c = COUNT(*) BY b | SORT c DESC NULLS LAST | LIMIT 3")
	for _, q := range fuzzSeeds() {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := Parse(s); err == nil {
			// Whatever parses must also analyze without panicking.
			_, _ = Compile(s, testCatalog{testMapping()}, Options{})
		}
	})
}

func fuzzSeeds() []string {
	d := filepath.Join("..", "..", "..", "shared", "rules", "esql")
	files, _ := filepath.Glob(filepath.Join(d, "*.toml"))
	out := []string{`FROM logs-* METADATA _source | EVAL m = JSON_EXTRACT(_source, "a.b") | COMPLETION r = m WITH {"inference_id": "e"}`}
	for _, f := range files[:min(len(files), 10)] {
		var r struct {
			Rule struct{ Query string } `toml:"rule"`
		}
		if _, err := toml.DecodeFile(f, &r); err == nil {
			out = append(out, r.Rule.Query)
		}
	}
	return out
}

func BenchmarkPushSeedRule(b *testing.B) {
	q := seedQuery(b)
	m, ok := doc.BuiltinMapping("logs-endpoint.events.process")
	if !ok {
		b.Skip("no built-in endpoint mapping")
	}
	cq, err := Compile(q, testCatalog{m}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	// "row" pushes one document at a time, "batch" pages of 1024
	// (Execution.PushBatch); ns/op is per document either way. Documents
	// are laid out as the hunt's decoder makes them.
	seed := seedDocs()
	var names []string
	for _, d := range seed {
		for f := range d.Fields {
			if !slices.Contains(names, f) {
				names = append(names, f)
			}
		}
	}
	l := doc.NewLayout(names)
	ds := make([]*doc.Document, 1024)
	for i := range ds {
		s := seed[i%len(seed)]
		d := &doc.Document{Index: s.Index, ID: s.ID, Layout: l, Slots: make([]doc.Value, len(names))}
		for j, f := range names {
			d.Slots[j] = s.Fields[f]
		}
		ds[i] = d
	}
	for _, mode := range []string{"row", "batch"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			e := cq.NewExecution()
			for i := 0; i < b.N; i += len(ds) {
				if mode == "row" {
					for _, d := range ds[:min(len(ds), b.N-i)] {
						e.Push(d)
					}
				} else {
					e.PushBatch(ds[:min(len(ds), b.N-i)])
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(max(e.Matched(), 1)), "ns/passing")
		})
	}
}

var _ = slices.Clone[[]int]

func TestSortLimitTopNAcrossWorkers(t *testing.T) {
	q, err := Compile("FROM x | SORT n DESC | LIMIT 3 | KEEP n", testCatalog{testMapping()}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	workers := []*Execution{q.NewExecution(), q.NewExecution()}
	for i := 0; i < 1000; i++ {
		workers[i%2].Push(&doc.Document{Fields: map[string]doc.Value{"n": doc.Int(int32(i))}})
	}
	workers[0].Merge(workers[1])
	r, err := workers[0].Finish()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"n:integer", "999", "998", "997"}
	if got := render(r); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
	if n := len(workers[0].head.(*sortOp).refs); n != 0 {
		t.Errorf("buffer not drained: %d", n)
	}
}

func TestLimitStopsEarly(t *testing.T) {
	q, err := Compile("FROM x | LIMIT 2", testCatalog{testMapping()}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := q.NewExecution()
	for i, d := range testDocs() {
		e.Push(d)
		if done := e.Done(); done != (i >= 1) {
			t.Fatalf("after %d docs Done=%v", i+1, done)
		}
	}
	r, _ := e.Finish()
	if len(r.Rows) != 2 || q.Limit() != 2 {
		t.Fatalf("rows %d limit %d", len(r.Rows), q.Limit())
	}
}

func TestGroupByAndLimit(t *testing.T) {
	q, err := Compile("FROM x | STATS c = COUNT(*) BY host.name, `process`.name | WHERE c > 1", testCatalog{testMapping()}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := q.GroupBy(); !reflect.DeepEqual(got, []string{"host.name", "process.name"}) {
		t.Errorf("GroupBy %q", got)
	}
	if q.Limit() != DefaultLimit {
		t.Errorf("Limit %d", q.Limit())
	}
}

// TestPushLaidOutDocuments: documents whose values sit in slots by a
// doc.Layout (as the hunt's decoders make them) give the same answers as
// the same documents with a Fields map, with layouts changing midway.
func TestPushLaidOutDocuments(t *testing.T) {
	m, ok := doc.BuiltinMapping("logs-endpoint.events.process")
	if !ok {
		t.Skip("no built-in endpoint mapping")
	}
	queries := []string{
		`FROM logs-* | WHERE process.name == "sh" AND KQL("process.args:-c and process.parent.name:python*") | STATS n = COUNT(*), c = VALUES(process.command_line) BY host.name`,
		`FROM logs-* | WHERE KQL("process.*:whoami") | KEEP process.command_line | SORT process.command_line`,
		`FROM logs-* METADATA _id | EVAL k = CASE(process.command_line LIKE "*curl*", "curl", "other") | STATS COUNT_DISTINCT(k) BY agent.id`,
	}
	if _, err := os.Stat(filepath.Join(sharedDir(t), "seed")); err == nil {
		queries = append(queries, seedQuery(t))
	}
	for _, q := range queries {
		cq, err := Compile(q, testCatalog{m}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		// Two layouts: the query's fields plus noise, in different orders.
		names := append([]string{"not.read"}, cq.Fields()...)
		reversed := slices.Clone(names)
		slices.Reverse(reversed)
		layouts := []*doc.Layout{doc.NewLayout(names), doc.NewLayout(reversed)}
		byMap, bySlots := cq.NewExecution(), cq.NewExecution()
		for i, d := range seedDocs() {
			byMap.Push(d)
			l := layouts[i%2]
			laid := &doc.Document{Index: d.Index, ID: d.ID, Version: d.Version, Layout: l, Slots: make([]doc.Value, len(l.Names()))}
			for j, name := range l.Names() {
				laid.Slots[j] = d.Get(name)
			}
			bySlots.Push(laid)
		}
		want, err := byMap.Finish()
		if err != nil {
			t.Fatal(err)
		}
		got, err := bySlots.Finish()
		if err != nil {
			t.Fatal(err)
		}
		if g, w := render(got), render(want); !reflect.DeepEqual(g, w) || len(w) < 2 {
			t.Errorf("%s:\nslots %q\nmap   %q", q, g, w)
		}
	}
}

// BenchmarkCompileSeedRule times analysis and planning of the seed rule
// over the endpoint mapping (a rule compiles once; vigil query per run).
func BenchmarkCompileSeedRule(b *testing.B) {
	q := seedQuery(b)
	m, ok := doc.BuiltinMapping("logs-endpoint.events.process")
	if !ok {
		b.Skip("no built-in endpoint mapping")
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(q, testCatalog{m}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// The length bound in unknownColumn's search must keep every suggestion
// within the edit distance (lengths 2 apart included, 3 apart not), and
// Options.NoSuggestions must drop the search.
func TestUnknownColumnSuggestions(t *testing.T) {
	m := doc.NewMapping()
	for _, f := range []string{"process.name", "process.nam", "process.names", "process.nameXY", "process.nameXYZ", "Process.Name", "proc.name"} {
		m.Add(doc.Field{Name: f, Type: doc.Keyword, ESType: "keyword"})
	}
	cat := testCatalog{m}
	_, err := Compile("FROM x | KEEP process.namX", cat, Options{})
	want := "line 1:15: Unknown column [process.namX], did you mean any of [Process.Name, process.nam, process.name, process.nameXY, process.names]?"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	_, err = Compile("FROM x | KEEP process.namX", cat, Options{NoSuggestions: true})
	if want := "line 1:15: Unknown column [process.namX]"; err == nil || err.Error() != want {
		t.Errorf("NoSuggestions: got %v, want %s", err, want)
	}
}
