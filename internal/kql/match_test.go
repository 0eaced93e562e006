package kql

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
)

func testMapping() *doc.Mapping {
	m := doc.NewMapping()
	add := func(name string, t doc.Type, es string) { m.Add(doc.Field{Name: name, Type: t, ESType: es}) }
	add("event.action", doc.Keyword, "keyword")
	add("process.args", doc.Keyword, "keyword")
	add("process.name", doc.Keyword, "keyword")
	m.Add(doc.Field{Name: "process.name.text", Type: doc.Text, ESType: "match_only_text", Parent: "process.name"})
	add("process.pid", doc.Long, "long")
	add("message", doc.Text, "text")
	add("host.ip", doc.IP, "ip")
	add("@timestamp", doc.Date, "date")
	add("event.success", doc.Boolean, "boolean")
	m.Add(doc.Field{Name: "tag", Type: doc.Keyword, ESType: "keyword", IgnoreAbove: 8})
	add("items", doc.Unsupported, "nested")
	add("items.name", doc.Keyword, "keyword")
	add("items.qty", doc.Long, "long")
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

func ip(s ...string) doc.Value {
	vs := make([]doc.Value, len(s))
	for i, x := range s {
		vs[i] = doc.IPOf(netip.MustParseAddr(x))
	}
	return doc.Multi(doc.IP, vs)
}

func ts(s string) doc.Value {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return doc.TimeOf(t)
}

func testDocs() []*doc.Document {
	return []*doc.Document{
		{ID: "1", Fields: map[string]doc.Value{
			"event.action": kw("exec"), "process.args": kw("python", "-c", "print"), "process.name": kw("Python3"),
			"message": doc.TextOf("The quick brown fox jumps"), "host.ip": ip("10.1.2.3"), "process.pid": doc.Long64(42),
			"@timestamp": ts("2024-01-02T10:00:00Z"), "event.success": doc.Bool(true), "tag": kw("short"),
		}, Nested: map[string][]*doc.Document{"items": {
			{Fields: map[string]doc.Value{"items.name": kw("widget"), "items.qty": doc.Long64(3)}},
			{Fields: map[string]doc.Value{"items.name": kw("gadget"), "items.qty": doc.Long64(9)}},
		}}},
		{ID: "2", Fields: map[string]doc.Value{
			"event.action": kw("EXEC"), "process.args": kw("bash", "-CL"), "process.name": kw("bash"),
			"message": doc.TextOf("lazy dog; quick-fox"), "host.ip": ip("192.168.0.1", "::1"),
			"process.pid": doc.Multi(doc.Long, []doc.Value{doc.Long64(7), doc.Long64(100)}),
			"@timestamp":  ts("2024-01-03T00:00:00Z"), "event.success": doc.Bool(false), "tag": kw("waytoolongvalue"),
		}},
		{ID: "3", Fields: map[string]doc.Value{
			"event.action": kw("fork"), "process.args": kw("-lc"), "@timestamp": ts("2023-12-31T23:59:59.999Z"),
		}},
		{ID: "4", Fields: map[string]doc.Value{}},
	}
}

var testNow = time.Date(2024, 1, 2, 12, 0, 0, 0, time.UTC)

func matching(t *testing.T, q string, d Dialect, m *doc.Mapping) string {
	t.Helper()
	n, err := Parse(q, d)
	if err != nil {
		t.Fatalf("%v: Parse(%q): %v", d, q, err)
	}
	mt, err := Compile(n, m, Options{Dialect: d, Now: testNow})
	if err != nil {
		t.Fatalf("%v: Compile(%q): %v", d, q, err)
	}
	var ids []string
	for _, doc := range testDocs() {
		if mt.Match(doc) {
			ids = append(ids, doc.ID)
		}
	}
	return strings.Join(ids, ",")
}

const both = "both"

func TestMatch(t *testing.T) {
	cases := []struct {
		q       string
		es, kib string // expected matching IDs per dialect; kib == both means same as es
	}{
		// Keyword terms: Elasticsearch ignores case by default, Kibana does not.
		{`event.action:exec`, "1,2", "1"},
		{`event.action:EXEC`, "1,2", "2"},
		{`event.action:"exec"`, "1,2", "1"},
		{`event.action:ex*`, "1,2", "1"},
		{`event.action:*X*`, "1,2", "2"},
		{`event.action:ex\*`, "", both},
		{`event.action:*`, "1,2,3", both},
		{`not event.action:*`, "4", both},
		{`not event.action:exec`, "3,4", "2,3,4"},
		{`NOT (event.action:exec OR event.action:fork)`, "4", "2,4"},
		// Multi-valued fields match when any value does.
		{`process.args:-c`, "1", both},
		{`process.args:-cl`, "2", ""},
		{`process.args:("-c" or "-cl" or "-lc")`, "1,2,3", "1,3"},
		{`process.args:(python and -c)`, "1", both},
		{`process.args:(python and not print)`, "", both},
		// Missing fields: the clause fails, its negation holds.
		{`nosuch:foo`, "", both},
		{`not nosuch:foo`, "1,2,3,4", both},
		// Text fields are analyzed; a multi-field reads its parent's value.
		{`process.name.text:python3`, "1", both},
		{`process.name:python3`, "1", ""},
		{`message:quick`, "1,2", both},
		{`message:QUICK`, "1,2", both},
		{`message:quick brown`, "1,2", both},
		{`message:"quick brown"`, "1", both},
		{`message:"brown quick"`, "", both},
		{`message:"quick fox"`, "2", both},
		{`message:(quick and lazy)`, "2", both},
		{`message:qu*`, "1,2", both},
		{`message:"qu*"`, "", both},
		// Typed values.
		{`host.ip:10.0.0.0/8`, "1", both},
		{`host.ip:"::1"`, "2", both},
		{`host.ip:192.168.0.1`, "2", both},
		{`process.pid:42`, "1", both},
		{`process.pid >= 50`, "2", both},
		{`process.pid<10`, "2", both},
		{`process.pid > 1000`, "", both},
		{`event.success:true`, "1", both},
		{`event.success:false`, "2", both},
		{`@timestamp:2024-01-02`, "1", both},
		{`@timestamp >= 2024-01-02`, "1,2", both},
		{`@timestamp < 2024`, "3", both},
		{`@timestamp <= 2023-12-31`, "3", both},
		{`@timestamp > 2023-12-31`, "1,2", both},
		{`@timestamp > now-1d`, "1,2", both},
		{`@timestamp >= now/d`, "1,2", both},
		{`@timestamp < now/d`, "3", both},
		{`@timestamp:"2024-01-03T00:00:00.000Z"`, "2", both},
		// The date itself is read by doc.ParseISODateParts: offsets (also
		// after a bare hour), month precision rounding up to its end.
		{`@timestamp:"2024-01-03T01:00:00+01:00"`, "2", both},
		{`@timestamp >= "2024-01-02T11+01"`, "1,2", both},
		{`@timestamp > "2024-01-02T11+01"`, "2", both},
		{`@timestamp <= 2023-12`, "3", both},
		{`@timestamp > 2023-12`, "1,2", both},
		// String ranges compare bytes.
		{`event.action < f`, "1,2", both},
		{`event.action >= "fork"`, "3", both},
		// ignore_above: longer keyword values are not indexed.
		{`tag:short`, "1", both},
		{`tag:waytoolongvalue`, "", both},
		{`tag:*`, "1,2", both},
		// Field name patterns.
		{`process.*:bash`, "2", both},
		{`process.a*:-C*`, "1,2", "2"},
		{`*:quick`, "1,2", both},
		// Precedence: Kibana and binds tighter; Elasticsearch groups right.
		{`event.action:fork and process.args:-lc or event.action:exec`, "3", "1,3"},
		{`event.action:exec or process.args:-lc and event.action:fork`, "1,2,3", "1,3"},
		// Fieldless terms: lenient multi_match over all fields.
		{`quick`, "1,2", both},
		{`bash`, "2", both},
		{`EXEC`, "2", both},
		{`42`, "1", both},
		{`"quick brown"`, "1", both},
		{`pyth*`, "1", both},
		// Match all.
		{`*`, "1,2,3,4", both},
		{`*:*`, "1,2,3,4", both},
		{``, "1,2,3,4", both},
		{`(*:*)`, "1,2,3,4", both},
		// Nested (object semantics over flattened documents).
		{`items:{ name:widget and qty > 1 }`, "1", both},
		{`items:{ name:widget and qty > 5 }`, "", both}, // qty 9 is another object's
		{`items:{ name:gadget and qty > 5 }`, "1", both},
		{`items:{ name:widget } and items:{ qty > 5 }`, "1", both},
		{`items:{ not name:widget }`, "1", both},
		{`not items:{ name:* }`, "2,3,4", both},
		{`items.name:widget`, "", both},    // outside a nested query, nested fields are not the document's
		{`items:{ widget }`, "error", "1"}, // see TestNestedFieldless
		// Escapes.
		{`message:"The quick brown fox jumps"`, "1", both},
		{`event.action:\u0065xec`, "1,2", "1"},
	}
	m := testMapping()
	for _, c := range cases {
		kib := c.kib
		if kib == both {
			kib = c.es
		}
		if c.es == "error" {
			// covered by a dedicated test
		} else if got := matching(t, c.q, Elasticsearch, m); got != c.es {
			t.Errorf("Elasticsearch %q: got [%s], want [%s]", c.q, got, c.es)
		}
		if got := matching(t, c.q, Kibana, m); got != kib {
			t.Errorf("Kibana %q: got [%s], want [%s]", c.q, got, kib)
		}
	}
}

func TestCaseInsensitiveOption(t *testing.T) {
	n, _ := Parse(`event.action:exec`, Elasticsearch)
	f := false
	mt, err := Compile(n, testMapping(), Options{Dialect: Elasticsearch, CaseInsensitive: &f})
	if err != nil {
		t.Fatal(err)
	}
	tr := true
	mk, err := Compile(n, testMapping(), Options{Dialect: Kibana, CaseInsensitive: &tr})
	if err != nil {
		t.Fatal(err)
	}
	d2 := testDocs()[1]
	if mt.Match(d2) || !mk.Match(d2) {
		t.Errorf("CaseInsensitive override ignored: es(cs)=%v kibana(ci)=%v", mt.Match(d2), mk.Match(d2))
	}
}

func TestNilMappingTypesByValue(t *testing.T) {
	cases := []struct{ q, want string }{
		{`event.action:exec`, "1,2"},
		{`process.pid >= 50`, "2"},
		{`host.ip:10.0.0.0/8`, "1"},
		{`message:quick`, "1,2"},
		{`process.*:bash`, "2"},
		{`@timestamp:2024-01-02`, "1"},
	}
	for _, c := range cases {
		if got := matching(t, c.q, Elasticsearch, nil); got != c.want {
			t.Errorf("%q: got [%s], want [%s]", c.q, got, c.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, q := range []string{
		`process.pid:abc`,
		`process.pid > abc`,
		`@timestamp:yesterday`,
		`@timestamp < "2024-01-02t10:00:00Z"`, // lower-case t is not a date
		`@timestamp < "2024-01-02+01:00"`,     // a zone needs an hour
		`host.ip:foo`,
		`event.success:maybe`,
		`not_nested:{ a:b }`,
		`process.args:{ a:b }`,
	} {
		for _, d := range []Dialect{Kibana, Elasticsearch} {
			n, err := Parse(q, d)
			if err != nil {
				t.Errorf("%v: Parse(%q): %v", d, q, err)
				continue
			}
			_, err = Compile(n, testMapping(), Options{Dialect: d})
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("%v: Compile(%q) = %v, want *SyntaxError", d, q, err)
			}
		}
	}
}

func TestFields(t *testing.T) {
	n, _ := Parse(`event.action:exec and process.name.text:x and process.a*:y`, Elasticsearch)
	mt, err := Compile(n, testMapping(), Options{Dialect: Elasticsearch})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(mt.Fields(), ",")
	if want := "event.action,process.args,process.name,process.name.text"; got != want {
		t.Errorf("Fields() = %s, want %s", got, want)
	}
}

func TestDefaultFieldsAndNanos(t *testing.T) {
	m := testMapping()
	m.Add(doc.Field{Name: "event.created", Type: doc.DateNanos, ESType: "date_nanos"})
	d := &doc.Document{Fields: map[string]doc.Value{
		"message":       doc.TextOf("quick"),
		"process.name":  kw("quick"),
		"event.created": doc.DateNano(time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC).UnixNano()),
	}}
	cases := []struct {
		q        string
		defaults []string
		want     bool
	}{
		{`quick`, []string{"process.*"}, true},
		{`QUICK`, []string{"process.name"}, false}, // multi_match on keyword: exact
		{`QUICK`, []string{"process.*"}, true},     // process.name.text is analyzed
		{`QUICK`, []string{"message"}, true},       // text is analyzed
		{`quick`, []string{"event.*"}, false},
		{`event.created:2024-01-02`, nil, true},
		{`event.created >= "2024-01-02T03:04:05.124Z"`, nil, false},
		{`event.created > "2024-01-02T03:04:05.122Z"`, nil, true},
	}
	for _, c := range cases {
		n, err := Parse(c.q, Elasticsearch)
		if err != nil {
			t.Fatal(err)
		}
		mt, err := Compile(n, m, Options{Dialect: Elasticsearch, DefaultFields: c.defaults})
		if err != nil {
			t.Fatalf("%q: %v", c.q, err)
		}
		if got := mt.Match(d); got != c.want {
			t.Errorf("%q with defaults %v: got %v, want %v", c.q, c.defaults, got, c.want)
		}
	}
}

func TestNestedFieldless(t *testing.T) {
	n, err := Parse(`items:{ widget }`, Elasticsearch)
	if err != nil {
		t.Fatal(err)
	}
	var se *SyntaxError
	if _, err := Compile(n, testMapping(), Options{Dialect: Elasticsearch}); !errors.As(err, &se) || se.Col != 9 {
		t.Errorf("want a positioned error at 1:9, got %v", err)
	}
}
