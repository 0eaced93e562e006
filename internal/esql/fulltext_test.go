package esql

import (
	"reflect"
	"strings"
	"testing"

	"vigil/internal/doc"
)

func fullTextData() (*doc.Mapping, []*doc.Document) {
	m := doc.NewMapping()
	for name, t := range map[string]doc.Type{"id": doc.Integer, "name": doc.Keyword, "msg": doc.Text, "n": doc.Long, "ok": doc.Boolean} {
		m.Add(doc.Field{Name: name, Type: t, ESType: t.String()})
	}
	text := func(s ...string) doc.Value {
		var vs []doc.Value
		for _, x := range s {
			vs = append(vs, doc.TextOf(x))
		}
		return doc.Multi(doc.Text, vs)
	}
	rows := []map[string]doc.Value{
		{"id": doc.Int(1), "name": kw("svchost.exe"), "msg": text("Refusing to allow a GitHub App to create or update workflow"), "n": doc.Long64(5), "ok": doc.Bool(true)},
		{"id": doc.Int(2), "name": kw("svch0st.exe"), "msg": text("script 26a24ae4-039d guid"), "n": doc.Long64(7)},
		{"id": doc.Int(3), "name": kw("scvhost.exe"), "msg": text("nothing", "to REPORT here")},
		{"id": doc.Int(4), "name": kw("SVCHOST.EXE", "x")},
		{"id": doc.Int(5)},
	}
	var docs []*doc.Document
	for _, f := range rows {
		docs = append(docs, &doc.Document{Index: "t", Fields: f})
	}
	return m, docs
}

// TestFullText checks MATCH and `:` against the match-query semantics
// fulltext.go documents: ids of the matching rows.
func TestFullText(t *testing.T) {
	m, docs := fullTextData()
	for _, tc := range []struct {
		where string
		ids   string
	}{
		// keyword: the whole value, case-sensitive
		{`name : "svchost.exe"`, "1"},
		{`MATCH(name, "svchost.exe")`, "1"},
		{`MATCH(name, "svchost")`, ""},
		{`name : "x"`, "4"}, // any value of a multi-value
		// fuzziness: edits on the whole keyword; a transposition is one edit
		{`MATCH(name, "svchost.exe", {"fuzziness": 1, "max_expansions": 10})`, "1,2,3"},
		{`MATCH(name, "svchost.exe", {"fuzziness": 1, "fuzzy_transpositions": false})`, "1,2"},
		{`MATCH(name, "svchost.exe", {"fuzziness": "AUTO"})`, "1,2,3"},
		{`MATCH(name, "svchost.exe", {"fuzziness": 1, "prefix_length": 3})`, "1,2"},
		// text: analyzed, any term by default; all with operator AND
		{`msg : "workflow"`, "1"},
		{`msg : "WORKFLOW github"`, "1"},
		{`MATCH(msg, "refusing to allow a GitHub App to create or update workflow")`, "1,3"}, // "to" is in row 3
		{`MATCH(msg, "github report", {"operator": "AND"})`, ""},
		{`MATCH(msg, "nothing report", {"operator": "and"})`, "3"}, // terms of all values together
		{`msg : "26a24ae4-ffff"`, "2"},                             // one of the hyphen-split terms
		{`msg : "worklow"`, ""},
		{`MATCH(msg, "worklow", {"fuzziness": "AUTO"})`, "1"},
		{`msg : "--"`, ""}, // no terms: nothing matches
		// a missing field does not match, and NOT keeps it
		{`NOT msg : "guid"`, "1,3,4,5"},
		// other types: the query converted to the field's type
		{`n : 7`, "2"},
		{`n : "5"`, "1"},
		{`ok : true`, "1"},
		// through a cast, the field itself is queried; after EVAL and KEEP too
		{`MATCH(name::STRING, "svchost.exe")`, "1"},
	} {
		t.Run(tc.where, func(t *testing.T) {
			q := "FROM t | WHERE " + tc.where + " | KEEP id | SORT id"
			r, err := Run(q, testCatalog{m}, seq(docs), Options{})
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			var ids []string
			for _, row := range r.Rows {
				ids = append(ids, row[0].String())
			}
			if got := strings.Join(ids, ","); got != tc.ids {
				t.Errorf("%s: ids %q, want %q", q, got, tc.ids)
			}
		})
	}
	r, err := Run(`FROM t | EVAL l = LENGTH(name) | KEEP id, name | WHERE NOT name : "x" AND id < 5 | STATS c = COUNT(*)`, testCatalog{m}, seq(docs), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := render(r); !reflect.DeepEqual(got, []string{"c:long", "3"}) {
		t.Errorf("after EVAL/KEEP: %q", got)
	}
}

func TestFullTextErrors(t *testing.T) {
	m, _ := fullTextData()
	for _, tc := range []struct{ q, want string }{
		{`FROM t | EVAL l = TO_UPPER(name) | WHERE l : "X"`, "line 1:42: [:] operator cannot operate on [l], which is not a field from an index mapping"},
		{`FROM t | EVAL l = TO_UPPER(name) | WHERE MATCH(l, "X")`, "line 1:48: [MATCH] function cannot operate on [l], which is not a field from an index mapping"},
		{`FROM t | WHERE MATCH(name, name)`, "line 1:28: second argument of [MATCH(name, name)] must be a constant, received [name]"},
		{`FROM t | WHERE MATCH(name, "x", {"fuzzy": 1})`, `line 1:33: Invalid option [fuzzy] in [MATCH(name, "x", {"fuzzy": 1})], expected one of [analyzer, auto_generate_synonyms_phrase_query, boost, fuzziness, fuzzy_rewrite, fuzzy_transpositions, lenient, max_expansions, minimum_should_match, operator, prefix_length]`},
		{`FROM t | WHERE MATCH(name, "x", {"fuzziness": 3})`, `line 1:33: Invalid option [fuzziness] in [MATCH(name, "x", {"fuzziness": 3})], cannot cast [3]`},
		{`FROM t | WHERE MATCH(name, "x", {"analyzer": "whitespace"})`, `line 1:33: [MATCH] option [analyzer] is not supported yet`},
		{`FROM t | WHERE MATCH(name)`, "line 1:16: error building [match]: expects between 2 and 3 arguments"},
		{`FROM t | WHERE n : "abc"`, `line 1:20: Invalid query [abc] for [n : "abc"]: org.elasticsearch.xpack.esql.core.InvalidArgumentException: Cannot parse number [abc]`},
	} {
		_, err := Compile(tc.q, testCatalog{m}, Options{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got  %v\n want %s", tc.q, err, tc.want)
		}
	}
}

// BenchmarkMatchText: `text : "query"` over a 4 KB script, the shape of the
// PowerShell rule that uses the operator (a miss scans every token).
func BenchmarkMatchText(b *testing.B) {
	m, _ := fullTextData()
	for _, tc := range []struct{ name, where string }{
		{"or", `WHERE msg : "26a24ae4-039d-4ca4-87b4-2f64180311f0"`},
		{"fuzzy", `WHERE MATCH(msg, "invoke-expression", {"fuzziness": "AUTO"})`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cq, err := Compile("FROM t | "+tc.where+" | STATS c = COUNT(*)", testCatalog{m}, Options{})
			if err != nil {
				b.Fatal(err)
			}
			script := strings.Repeat("$x = [System.Convert]::FromBase64String('QUJD'); Write-Host $x 12345\n", 60)
			d := &doc.Document{Index: "t", Fields: map[string]doc.Value{"msg": doc.TextOf(script)}}
			e := cq.NewExecution()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				e.Push(d)
			}
		})
	}
}
