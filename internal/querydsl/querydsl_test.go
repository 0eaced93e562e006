package querydsl

import (
	"strings"
	"testing"

	"vigil/internal/doc"
	"vigil/internal/kql"
)

// TestFilters translates one filter per DSL construct and filter-level
// rule (disabled, negate, legacy, combined) to the KQL it means.
func TestFilters(t *testing.T) {
	cases := []struct {
		name, filters string
		want          string // KQL; "" with no error: no active filter
	}{
		{"null", `null`, ""},
		{"empty", `[]`, ""},
		{"kibana phrase filter", `[{"meta":{"type":"phrase","key":"event.action","params":{"query":"Process Create (rule: ProcessCreate)"},"disabled":false,"negate":false},"$state":{"store":"appState"},"query":{"match_phrase":{"event.action":{"query":"Process Create (rule: ProcessCreate)"}}}}]`,
			`event.action:"Process Create (rule: ProcessCreate)"`},
		{"match_phrase short", `[{"query":{"match_phrase":{"a":"x y"}}}]`, `a:"x y"`},
		{"disabled dropped", `[{"meta":{"disabled":true},"query":{"term":{"a":"x"}}},{"query":{"term":{"b":"y"}}}]`, `b:"y"`},
		{"all disabled", `[{"meta":{"disabled":true},"query":{"term":{"a":"x"}}}]`, ""},
		{"negate", `[{"meta":{"negate":true},"query":{"term":{"a":"x"}}}]`, `not a:"x"`},
		{"two filters and", `[{"query":{"term":{"a":"x"}}},{"meta":{"negate":true},"query":{"exists":{"field":"b"}}}]`, `a:"x" and not b:*`},
		{"match", `[{"query":{"match":{"msg":{"query":"foo* bar","operator":"OR"}}}}]`, `msg:foo\* bar`},
		{"legacy match phrase", `[{"query":{"match":{"a":{"query":"x","type":"phrase"}}}}]`, `a:"x"`},
		{"term number", `[{"query":{"term":{"process.pid":{"value":4}}}}]`, `process.pid:"4"`},
		{"term bool", `[{"query":{"term":{"ok":true}}}]`, `ok:"true"`},
		{"terms", `[{"query":{"terms":{"a":["x","y"],"boost":1}}}]`, `a:"x" or a:"y"`},
		{"terms empty", `[{"query":{"terms":{"a":[]}}}]`, `not *`},
		{"wildcard", `[{"query":{"wildcard":{"a":{"value":"/usr/*/py\\*"}}}}]`, `a:/usr/*/py\*`},
		{"wildcard short", `[{"query":{"wildcard":{"a":"x"}}}]`, `a:x`},
		{"prefix", `[{"query":{"prefix":{"a":"/opt/"}}}]`, `a:/opt/*`},
		{"range", `[{"query":{"range":{"n":{"gte":1,"lt":"5"}}}}]`, `n >= 1 and n < 5`},
		{"range legacy", `[{"query":{"range":{"n":{"from":1,"to":5,"include_upper":false}}}}]`, `n >= 1 and n < 5`},
		{"range unbounded", `[{"query":{"range":{"n":{"gte":null}}}}]`, `n:*`},
		{"legacy exists filter", `[{"meta":{"type":"exists","key":"a"},"exists":{"field":"a"}}]`, `a:*`},
		{"exists pattern", `[{"query":{"exists":{"field":"process.*"}}}]`, `process.*:*`},
		{"literal star field", `[{"query":{"term":{"a*":"x"}}}]`, `"a*":"x"`},
		{"bool", `[{"query":{"bool":{"must":[{"term":{"a":"x"}}],"filter":{"term":{"b":"y"}},"must_not":[{"term":{"c":"z"}}]}}}]`, `a:"x" and b:"y" and not c:"z"`},
		{"bool should alone", `[{"query":{"bool":{"should":[{"term":{"a":"x"}},{"term":{"b":"y"}}]}}}]`, `a:"x" or b:"y"`},
		{"bool should beside filter is optional", `[{"query":{"bool":{"filter":[{"term":{"a":"x"}}],"should":[{"term":{"b":"y"}}]}}}]`, `a:"x"`},
		{"bool should minimum 1", `[{"query":{"bool":{"filter":[{"term":{"a":"x"}}],"should":[{"term":{"b":"y"}},{"term":{"c":"z"}}],"minimum_should_match":1}}}]`, `a:"x" and (b:"y" or c:"z")`},
		{"bool should all", `[{"query":{"bool":{"should":[{"term":{"b":"y"}},{"term":{"c":"z"}}],"minimum_should_match":"100%"}}}]`, `b:"y" and c:"z"`},
		{"bool should more than there are", `[{"query":{"bool":{"should":[{"term":{"b":"y"}}],"minimum_should_match":2}}}]`, `not *`},
		{"bool empty", `[{"query":{"bool":{}}}]`, `*`},
		{"nested", `[{"query":{"nested":{"path":"items","query":{"bool":{"must":[{"term":{"items.name":"a"}},{"range":{"items.qty":{"gt":2}}}]}}}}}]`, `items:{ name:"a" and qty > 2 }`},
		{"match_all", `[{"query":{"match_all":{}}}]`, `*`},
		{"match_none", `[{"query":{"match_none":{}}}]`, `not *`},
		{"query_string star", `[{"query":{"query_string":{"query":"*","analyze_wildcard":true}}}]`, `*`},
		{"combined and", `[{"meta":{"type":"combined","relation":"AND","params":[{"query":{"term":{"a":"x"}}},{"meta":{"negate":true},"query":{"term":{"b":"y"}}}]}}]`, `a:"x" and not b:"y"`},
		{"combined or", `[{"meta":{"type":"combined","relation":"OR","params":[{"query":{"term":{"a":"x"}}},{"query":{"term":{"b":"y"}}}]}}]`, `a:"x" or b:"y"`},
		{"combined or with a disabled member matches all", `[{"meta":{"type":"combined","relation":"OR","params":[{"query":{"term":{"a":"x"}}},{"meta":{"disabled":true},"query":{"term":{"b":"y"}}}]}}]`, `*`},
		{"combined negated", `[{"meta":{"type":"combined","negate":true,"params":[{"query":{"term":{"a":"x"}}},{"query":{"term":{"b":"y"}}}]}}]`, `not (a:"x" and b:"y")`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := Filters([]byte(c.filters))
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if n != nil {
				got = n.String()
				// The printed KQL reads back (lowered rules carry it as text).
				back, err := kql.Parse(got, kql.Kibana)
				if err != nil || back.String() != got {
					t.Errorf("%s does not read back: %v %v", got, back, err)
				}
			}
			if got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

// TestFiltersRejected: DSL Vigil cannot honour is an error naming the
// clause, unsupported or malformed, never a dropped condition.
func TestFiltersRejected(t *testing.T) {
	cases := []struct {
		name, filters, want string
		unsupported         bool
	}{
		{"lucene query_string", `[{"query":{"query_string":{"query":"a:b AND c"}}}]`, "filters[0].query.query_string: query_string (Lucene syntax)", true},
		{"regexp", `[{"query":{"bool":{"must":[{"term":{"a":"x"}},{"regexp":{"a":"x.*"}}]}}}]`, "filters[0].query.bool.must[1].regexp: regexp queries are not supported", true},
		{"case-insensitive term", `[{"query":{"term":{"a":{"value":"x","case_insensitive":true}}}}]`, "term with case_insensitive", true},
		{"question mark wildcard", `[{"query":{"wildcard":{"a":"x?"}}}]`, "with ?", true},
		{"match operator and", `[{"query":{"match":{"a":{"query":"x y","operator":"and"}}}}]`, "operator and", true},
		{"match fuzziness", `[{"query":{"match":{"a":{"query":"x","fuzziness":"AUTO"}}}}]`, "fuzziness", true},
		{"phrase slop", `[{"query":{"match_phrase":{"a":{"query":"x y","slop":2}}}}]`, "slop", true},
		{"range format", `[{"query":{"range":{"t":{"gte":"01/01/2024","format":"dd/MM/yyyy"}}}}]`, "range with format", true},
		{"terms lookup", `[{"query":{"terms":{"a":{"index":"i","id":"1","path":"p"}}}}]`, "terms lookup", true},
		{"minimum should 2 of 3", `[{"query":{"bool":{"should":[{"term":{"a":"x"}},{"term":{"a":"y"}},{"term":{"a":"z"}}],"minimum_should_match":2}}}]`, "minimum_should_match 2 of 3", true},
		{"unknown option", `[{"query":{"exists":{"field":"a","x":1}}}]`, "option x", true},
		{"script legacy filter", `[{"meta":{"type":"script"},"script":{"script":{"source":"true"}}}]`, "filters[0].script: script queries", true},
		{"not an array", `{"query":{}}`, "must be an array", false},
		{"not JSON", `[`, "not JSON", false},
		{"empty clause", `[{"query":{}}]`, "empty query clause", false},
		{"empty legacy filter", `[{"meta":{}}]`, "filters[0]: empty query clause", false},
		{"two clause keys", `[{"query":{"term":{"a":"x"},"exists":{"field":"b"}}}]`, "one key, not exists, term", false},
		{"term two fields", `[{"query":{"term":{"a":"x","b":"y"}}}]`, "names one field", false},
		{"term object value", `[{"query":{"term":{"a":{"value":{"x":1}}}}}]`, "value must be", false},
		{"nested field outside path", `[{"query":{"nested":{"path":"items","query":{"term":{"other":"x"}}}}}]`, "not under the nested path", false},
		{"filter not an object", `[1]`, "a filter must be an object", false},
		{"combined or reports a bad member beside a disabled one", `[{"meta":{"type":"combined","relation":"OR","params":[{"meta":{"disabled":true},"query":{"term":{"b":"y"}}},{"query":{"regexp":{"a":"x"}}}]}}]`, "filters[0].meta.params[1].query.regexp", true},
		{"combined without params", `[{"meta":{"type":"combined"}}]`, "params must be an array", false},
		{"deep", `[{"query":` + strings.Repeat(`{"bool":{"must":`, 200) + `{"match_all":{}}` + strings.Repeat(`}}`, 200) + `}]`, "nested too deeply", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := Filters([]byte(c.filters))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, %v; want error %q", n, err, c.want)
			}
			if IsUnsupported(err) != c.unsupported {
				t.Errorf("unsupported = %v, want %v (%v)", IsUnsupported(err), c.unsupported, err)
			}
		})
	}
}

// TestFiltersMatch runs translated filters through the KQL matcher (Kibana
// dialect, as rules compile them) against documents: the meaning of
// negate, disabled, term on keywords (case-sensitive) and ranges.
func TestFiltersMatch(t *testing.T) {
	m := doc.NewMapping()
	m.Add(doc.Field{Name: "event.action", Type: doc.Keyword, ESType: "keyword"})
	m.Add(doc.Field{Name: "process.pid", Type: doc.Long, ESType: "long"})
	m.Add(doc.Field{Name: "message", Type: doc.Text, ESType: "text"})
	docs := map[string]*doc.Document{
		"create": {Fields: map[string]doc.Value{"event.action": doc.KeywordOf("Process Create"), "process.pid": doc.Long64(4), "message": doc.TextOf("python ran a shell")}},
		"lower":  {Fields: map[string]doc.Value{"event.action": doc.KeywordOf("process create"), "process.pid": doc.Long64(10)}},
		"bare":   {Fields: map[string]doc.Value{}},
	}
	cases := []struct {
		name, filters string
		want          []string // the documents that pass, sorted
	}{
		{"phrase on keyword is exact", `[{"query":{"match_phrase":{"event.action":"Process Create"}}}]`, []string{"create"}},
		{"negated", `[{"meta":{"negate":true},"query":{"match_phrase":{"event.action":"Process Create"}}}]`, []string{"bare", "lower"}},
		{"disabled passes all", `[{"meta":{"disabled":true},"query":{"match_all":{}}},{"query":{"exists":{"field":"event.action"}}}]`, []string{"create", "lower"}},
		{"term number", `[{"query":{"term":{"process.pid":4}}}]`, []string{"create"}},
		{"range", `[{"query":{"range":{"process.pid":{"gt":4,"lte":10}}}}]`, []string{"lower"}},
		{"match on text any token", `[{"query":{"match":{"message":"Shell perl"}}}]`, []string{"create"}},
		{"phrase on text in order", `[{"query":{"match_phrase":{"message":"shell python"}}}]`, nil},
		{"wildcard case-sensitive", `[{"query":{"wildcard":{"event.action":"process*"}}}]`, []string{"lower"}},
		{"should or must_not", `[{"query":{"bool":{"should":[{"term":{"process.pid":10}},{"bool":{"must_not":{"exists":{"field":"process.pid"}}}}]}}}]`, []string{"bare", "lower"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := Filters([]byte(c.filters))
			if err != nil {
				t.Fatal(err)
			}
			// Through text, as a lowered rule carries the filter.
			back, err := kql.Parse(n.String(), kql.Kibana)
			if err != nil {
				t.Fatal(err)
			}
			mt, err := kql.Compile(back, m, kql.Options{Dialect: kql.Kibana})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, name := range []string{"bare", "create", "lower"} {
				if mt.Match(docs[name]) {
					got = append(got, name)
				}
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("%s: passes %v, want %v", n, got, c.want)
			}
		})
	}
}

// FuzzFilters: any input translates or fails cleanly, and a translation
// prints KQL that reads back to itself.
func FuzzFilters(f *testing.F) {
	f.Add([]byte(`[{"meta":{"negate":true},"query":{"bool":{"should":[{"term":{"a":"x"}},{"range":{"n":{"gte":1}}}],"minimum_should_match":"50%"}}}]`))
	f.Add([]byte(`[{"meta":{"type":"combined","relation":"OR","params":[{"exists":{"field":"a"}},{"query":{"wildcard":{"b":"x\\*y*"}}}]}}]`))
	f.Add([]byte(`[{"query":{"nested":{"path":"p","query":{"match":{"p.q":"and or not"}}}}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Filters(data)
		if err != nil || n == nil {
			return
		}
		s := n.String()
		back, err := kql.Parse(s, kql.Kibana)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if back.String() != s {
			t.Fatalf("%s reads back as %s", s, back)
		}
	})
}
