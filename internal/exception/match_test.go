package exception

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
)

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

func ecs(t *testing.T) *doc.Mapping {
	m, ok := doc.BuiltinMapping("ecs")
	if !ok {
		t.Fatal("no ecs mapping")
	}
	return m
}

func ent(typ, field, op string, vals ...string) Entry {
	return Entry{Type: typ, Field: field, Operator: op, Value: vals}
}

// TestEntrySemantics checks each entry type and operator against Kibana's
// query for it (EXCEPTIONS.md), on ECS-typed documents.
func TestEntrySemantics(t *testing.T) {
	ip := func(s string) doc.Value { return doc.IPOf(netip.MustParseAddr(s)) }
	lists := map[string][]string{
		"hosts":  {"web-1", "db-1"},
		"nets":   {"10.0.0.0/8", "192.168.1.10-192.168.1.20", "172.16.0.1"},
		"phrase": {"deploy bootstrap"},
	}
	cases := []struct {
		name  string
		entry Entry
		doc   map[string]doc.Value
		want  bool
	}{
		{"match exact", ent(TypeMatch, "host.name", Included, "web-1"), map[string]doc.Value{"host.name": kw("web-1")}, true},
		{"match is case-sensitive on keyword", ent(TypeMatch, "host.name", Included, "WEB-1"), map[string]doc.Value{"host.name": kw("web-1")}, false},
		{"match is whole value", ent(TypeMatch, "host.name", Included, "web"), map[string]doc.Value{"host.name": kw("web-1")}, false},
		{"match star is literal", ent(TypeMatch, "host.name", Included, "web*"), map[string]doc.Value{"host.name": kw("web-1")}, false},
		{"match star literal value", ent(TypeMatch, "host.name", Included, "web*"), map[string]doc.Value{"host.name": kw("web*")}, true},
		{"match any of multi-value", ent(TypeMatch, "host.name", Included, "b"), map[string]doc.Value{"host.name": kw("a", "b")}, true},
		{"match absent field", ent(TypeMatch, "host.name", Included, "b"), map[string]doc.Value{}, false},
		{"match excluded", ent(TypeMatch, "host.name", Excluded, "b"), map[string]doc.Value{"host.name": kw("a")}, true},
		{"match excluded on absent field holds", ent(TypeMatch, "host.name", Excluded, "b"), map[string]doc.Value{}, true},
		{"match excluded multi-value", ent(TypeMatch, "host.name", Excluded, "b"), map[string]doc.Value{"host.name": kw("a", "b")}, false},
		{"match phrase on text field", ent(TypeMatch, "message", Included, "Hello World"), map[string]doc.Value{"message": doc.TextOf("they said hello, world!")}, true},
		{"match phrase order on text", ent(TypeMatch, "message", Included, "world hello"), map[string]doc.Value{"message": doc.TextOf("hello world")}, false},
		{"match on ip field", ent(TypeMatch, "source.ip", Included, "10.1.2.3"), map[string]doc.Value{"source.ip": ip("10.1.2.3")}, true},
		{"match on long field", ent(TypeMatch, "process.pid", Included, "42"), map[string]doc.Value{"process.pid": doc.Long64(42)}, true},
		{"match_any one of", ent(TypeMatchAny, "host.name", Included, "x", "web-1"), map[string]doc.Value{"host.name": kw("web-1")}, true},
		{"match_any none", ent(TypeMatchAny, "host.name", Included, "x", "y"), map[string]doc.Value{"host.name": kw("web-1")}, false},
		{"match_any excluded: none of these", ent(TypeMatchAny, "host.name", Excluded, "x", "y"), map[string]doc.Value{"host.name": kw("web-1")}, true},
		{"match_any excluded: one of these", ent(TypeMatchAny, "host.name", Excluded, "x", "web-1"), map[string]doc.Value{"host.name": kw("web-1")}, false},
		{"wildcard star", ent(TypeWildcard, "process.command_line", Included, "*/opt/deploy/bootstrap.py*"), map[string]doc.Value{"process.command_line": kw("python3 /opt/deploy/bootstrap.py --all")}, true},
		{"wildcard case-sensitive", ent(TypeWildcard, "process.command_line", Included, "*/OPT/*"), map[string]doc.Value{"process.command_line": kw("python3 /opt/deploy/bootstrap.py")}, false},
		{"wildcard question mark", ent(TypeWildcard, "host.name", Included, "web-?"), map[string]doc.Value{"host.name": kw("web-1")}, true},
		{"wildcard question mark is one char", ent(TypeWildcard, "host.name", Included, "web-?"), map[string]doc.Value{"host.name": kw("web-12")}, false},
		{"wildcard anchored", ent(TypeWildcard, "host.name", Included, "web"), map[string]doc.Value{"host.name": kw("web-1")}, false},
		{"wildcard escaped star", ent(TypeWildcard, "host.name", Included, `a\*`), map[string]doc.Value{"host.name": kw("ab")}, false},
		{"wildcard ignore_above not indexed", ent(TypeWildcard, "host.name", Included, "*"), map[string]doc.Value{"host.name": kw(string(make([]byte, 1025)))}, false},
		{"wildcard on text matches a token, lower-cased", ent(TypeWildcard, "message", Included, "Boot*"), map[string]doc.Value{"message": doc.TextOf("run Bootstrap now")}, true},
		{"wildcard excluded", ent(TypeWildcard, "host.name", Excluded, "web-*"), map[string]doc.Value{"host.name": kw("db-1")}, true},
		{"exists", ent(TypeExists, "host.name", Included), map[string]doc.Value{"host.name": kw("a")}, true},
		{"exists absent", ent(TypeExists, "host.name", Included), map[string]doc.Value{}, false},
		{"exists excluded: absent", ent(TypeExists, "host.name", Excluded), map[string]doc.Value{}, true},
		{"exists excluded: present", ent(TypeExists, "host.name", Excluded), map[string]doc.Value{"host.name": kw("a")}, false},
		{"list keyword", Entry{Type: TypeList, Field: "host.name", Operator: Included, List: &ListOf{ID: "hosts", Type: "keyword"}}, map[string]doc.Value{"host.name": kw("db-1")}, true},
		{"list keyword case-sensitive", Entry{Type: TypeList, Field: "host.name", Operator: Included, List: &ListOf{ID: "hosts", Type: "keyword"}}, map[string]doc.Value{"host.name": kw("DB-1")}, false},
		{"list excluded", Entry{Type: TypeList, Field: "host.name", Operator: Excluded, List: &ListOf{ID: "hosts", Type: "keyword"}}, map[string]doc.Value{"host.name": kw("mail-1")}, true},
		{"list ip_range cidr", Entry{Type: TypeList, Field: "source.ip", Operator: Included, List: &ListOf{ID: "nets", Type: "ip_range"}}, map[string]doc.Value{"source.ip": ip("10.9.9.9")}, true},
		{"list ip_range range", Entry{Type: TypeList, Field: "source.ip", Operator: Included, List: &ListOf{ID: "nets", Type: "ip_range"}}, map[string]doc.Value{"source.ip": ip("192.168.1.15")}, true},
		{"list ip_range outside", Entry{Type: TypeList, Field: "source.ip", Operator: Included, List: &ListOf{ID: "nets", Type: "ip_range"}}, map[string]doc.Value{"source.ip": ip("192.168.1.21")}, false},
		{"list ip_range single", Entry{Type: TypeList, Field: "source.ip", Operator: Included, List: &ListOf{ID: "nets", Type: "ip_range"}}, map[string]doc.Value{"source.ip": ip("172.16.0.1")}, true},
		{"list text all tokens", Entry{Type: TypeList, Field: "message", Operator: Included, List: &ListOf{ID: "phrase", Type: "text"}}, map[string]doc.Value{"message": doc.TextOf("Bootstrap the deploy")}, true},
		{"list text missing token", Entry{Type: TypeList, Field: "message", Operator: Included, List: &ListOf{ID: "phrase", Type: "text"}}, map[string]doc.Value{"message": doc.TextOf("deploy it")}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := entryMatches(t, tc.entry, &doc.Document{Fields: tc.doc}, lists); got != tc.want {
				t.Errorf("match = %v, want %v", got, tc.want)
			}
		})
	}
}

// entryMatches compiles an item of one entry against ECS and matches d.
func entryMatches(t *testing.T, e Entry, d *doc.Document, lists map[string][]string) bool {
	t.Helper()
	it := &Item{ItemID: "i", ListID: "l", Type: "simple", Entries: []Entry{e}}
	if err := it.Validate(); err != nil {
		t.Fatal(err)
	}
	m, err := Compile([]*Item{it}, ecs(t), lists)
	if err != nil {
		t.Fatal(err)
	}
	return m.Match(d) == 0
}

// TestNestedEntry: a nested entry's inner entries hold on one object of
// the field (ES nested query) where ECS maps the path nested; on an object
// path, flattened values match only when unambiguous.
func TestNestedEntry(t *testing.T) {
	obj := func(kv ...string) *doc.Document {
		d := &doc.Document{Fields: map[string]doc.Value{}}
		for i := 0; i < len(kv); i += 2 {
			d.Fields["threat.enrichments."+kv[i]] = kw(kv[i+1])
		}
		return d
	}
	enr := func(objs ...*doc.Document) *doc.Document {
		return &doc.Document{Fields: map[string]doc.Value{}, Nested: map[string][]*doc.Document{"threat.enrichments": objs}}
	}
	both := Entry{Type: TypeNested, Field: "threat.enrichments", Entries: []Entry{ent(TypeMatch, "matched.field", Included, "source.ip"), ent(TypeMatch, "indicator.type", Included, "ipv4-addr")}}
	parent := Entry{Type: TypeNested, Field: "process.parent", Entries: []Entry{ent(TypeMatch, "name", Included, "sh"), ent(TypeExists, "pid", Included)}}
	cases := []struct {
		name  string
		entry Entry
		doc   *doc.Document
		want  bool
	}{
		{"one object holds both", both, enr(obj("matched.field", "source.ip", "indicator.type", "ipv4-addr")), true},
		{"split across objects", both, enr(obj("matched.field", "source.ip", "indicator.type", "url"), obj("matched.field", "url.full", "indicator.type", "ipv4-addr")), false},
		{"second object holds both", both, enr(obj("matched.field", "url.full"), obj("matched.field", "source.ip", "indicator.type", "ipv4-addr")), true},
		{"case-sensitive inside", both, enr(obj("matched.field", "SOURCE.IP", "indicator.type", "ipv4-addr")), false},
		{"no objects", both, enr(), false},
		{"flattened values are not objects", both, obj("matched.field", "source.ip", "indicator.type", "ipv4-addr"), false},
		{"inner excluded, per object", Entry{Type: TypeNested, Field: "threat.enrichments", Entries: []Entry{ent(TypeMatch, "matched.field", Excluded, "url.full")}},
			enr(obj("matched.field", "url.full"), obj("matched.field", "source.ip")), true},
		{"inner excluded, every object", Entry{Type: TypeNested, Field: "threat.enrichments", Entries: []Entry{ent(TypeMatch, "matched.field", Excluded, "url.full")}},
			enr(obj("matched.field", "url.full")), false},
		{"object path, one value each", parent, &doc.Document{Fields: map[string]doc.Value{"process.parent.name": kw("sh"), "process.parent.pid": doc.Long64(1)}}, true},
		{"object path, ambiguous", parent, &doc.Document{Fields: map[string]doc.Value{"process.parent.name": kw("sh", "bash"), "process.parent.pid": doc.Long64(1)}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := entryMatches(t, tc.entry, tc.doc, nil); got != tc.want {
				t.Errorf("match = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestItemCombination: AND within an item, OR across items, os_types.
func TestItemCombination(t *testing.T) {
	a := &Item{ItemID: "a", ListID: "l", Entries: []Entry{ent(TypeMatch, "host.name", Included, "h"), ent(TypeMatch, "user.name", Included, "root")}}
	b := &Item{ItemID: "b", ListID: "l", Entries: []Entry{ent(TypeMatch, "process.name", Included, "ansible")}}
	linux := &Item{ItemID: "c", ListID: "l", OSTypes: []string{"linux"}, Entries: []Entry{ent(TypeMatch, "process.name", Included, "bash")}}
	m, err := Compile([]*Item{a, b, linux}, ecs(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		doc  map[string]doc.Value
		want int
	}{
		{"both entries of a", map[string]doc.Value{"host.name": kw("h"), "user.name": kw("root")}, 0},
		{"one entry of a only", map[string]doc.Value{"host.name": kw("h"), "user.name": kw("bob")}, -1},
		{"item b", map[string]doc.Value{"host.name": kw("x"), "process.name": kw("ansible")}, 1},
		{"os linux", map[string]doc.Value{"host.os.type": kw("linux"), "process.name": kw("bash")}, 2},
		{"os caseless field", map[string]doc.Value{"host.os.name.caseless": kw("linux"), "process.name": kw("bash")}, 2},
		{"os windows", map[string]doc.Value{"host.os.type": kw("windows"), "process.name": kw("bash")}, -1},
		{"os missing", map[string]doc.Value{"process.name": kw("bash")}, -1},
	}
	for _, tc := range cases {
		if got := m.Match(&doc.Document{Fields: tc.doc}); got != tc.want {
			t.Errorf("%s: item %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestApply checks stage selection, rejection and expiry.
func TestApply(t *testing.T) {
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	src := &Item{ItemID: "src", ListID: "l", Entries: []Entry{ent(TypeWildcard, "process.parent.executable", Included, "/usr/bin/ansible*")}}
	col := &Item{ItemID: "col", ListID: "l", Entries: []Entry{ent(TypeWildcard, "Esql.process_command_line_values", Included, "*bootstrap*"), ent(TypeMatch, "host.name", Included, "h")}}
	bad := &Item{ItemID: "bad", ListID: "l", Entries: []Entry{ent(TypeMatch, " host.name", Included, "h")}}
	mixed := &Item{ItemID: "mixed", ListID: "l", Entries: []Entry{ent(TypeMatch, "Esql.x", Included, "1"), ent(TypeMatch, "user.name", Included, "u")}}
	old := &Item{ItemID: "old", ListID: "l", ExpireTime: &past, Entries: []Entry{ent(TypeMatch, "host.name", Included, "h")}}
	live := &Item{ItemID: "live", ListID: "l", ExpireTime: &future, Entries: []Entry{ent(TypeMatch, "host.name", Included, "h")}}
	a, err := Apply([]*Item{src, col, bad, mixed, old, live}, View{Source: ecs(t), Output: []string{"host.name", "Esql.process_command_line_values", "Esql.x"}}, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(m *Matcher) (out []string) {
		for i := 0; i < m.Len(); i++ {
			out = append(out, m.Item(i).ItemID)
		}
		return out
	}
	if got := ids(a.Source); len(got) != 2 || got[0] != "src" || got[1] != "live" {
		t.Errorf("source items %v, want [src live]", got)
	}
	if got := ids(a.Output); len(got) != 1 || got[0] != "col" {
		t.Errorf("output items %v, want [col]", got)
	}
	if len(a.Rejected) != 2 || len(a.Expired) != 1 || a.Expired[0] != old {
		t.Fatalf("rejected %v expired %v", a.Rejected, a.Expired)
	}
	for _, want := range []string{`" host.name"`, "whitespace", `"Esql.x"`} {
		found := false
		for _, e := range a.Rejected {
			found = found || strings.Contains(e.Error(), want)
		}
		if !found {
			t.Errorf("no rejection mentions %s: %v", want, a.Rejected)
		}
	}
	row := &doc.Document{Fields: map[string]doc.Value{"host.name": kw("h"), "Esql.process_command_line_values": kw("x", "python /opt/bootstrap.py")}}
	if a.Output.Match(row) != 0 {
		t.Error("output item does not match its row")
	}
}

// BenchmarkMatch: the per-event cost a source-stage matcher adds (a few
// items of each common kind, against an event none of them matches).
func BenchmarkMatch(b *testing.B) {
	m, _ := doc.BuiltinMapping("ecs")
	items := []*Item{
		{ItemID: "a", ListID: "l", Entries: []Entry{ent(TypeMatch, "host.name", Included, "web-1"), ent(TypeMatch, "user.name", Included, "root")}},
		{ItemID: "b", ListID: "l", OSTypes: []string{"linux"}, Entries: []Entry{ent(TypeWildcard, "process.parent.executable", Included, "/usr/bin/ansible*")}},
		{ItemID: "c", ListID: "l", Entries: []Entry{ent(TypeMatchAny, "process.name", Included, "a", "b", "c", "d")}},
	}
	mt, err := Compile(items, m, nil)
	if err != nil {
		b.Fatal(err)
	}
	d := &doc.Document{Fields: map[string]doc.Value{"host.name": kw("web-2"), "user.name": kw("root"), "host.os.type": kw("linux"),
		"process.parent.executable": kw("/usr/bin/python3"), "process.name": kw("sh")}}
	b.ReportAllocs()
	for b.Loop() {
		if mt.Match(d) >= 0 {
			b.Fatal("matched")
		}
	}
}

// TestValueListMatchesMatchAny: a keyword value list (a hash set) decides
// as match_any over the same values (compiled through KQL's phrase
// matcher), on random documents: the fast path against the reference.
func TestValueListMatchesMatchAny(t *testing.T) {
	vals := []string{"a", "B", "web-1", "db 2", "x*"}
	pool := append(slices.Clone(vals), "A", "b", "web-", "db", "x", "")
	lists := map[string][]string{"v": vals}
	for _, op := range []string{Included, Excluded} {
		fast, err := Compile([]*Item{{ItemID: "l", Entries: []Entry{{Type: TypeList, Field: "user.name", Operator: op, List: &ListOf{ID: "v", Type: "keyword"}}}}}, ecs(t), lists)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := Compile([]*Item{{ItemID: "r", Entries: []Entry{ent(TypeMatchAny, "user.name", op, vals...)}}}, ecs(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for range 2000 {
			var picked []string
			for range rng.IntN(4) {
				picked = append(picked, pool[rng.IntN(len(pool))])
			}
			d := &doc.Document{Fields: map[string]doc.Value{}}
			if len(picked) > 0 {
				d.Fields["user.name"] = kw(picked...)
			}
			if f, r := fast.Match(d), ref.Match(d); f != r {
				t.Fatalf("%s %q: list %d, match_any %d", op, picked, f, r)
			}
		}
	}
}
