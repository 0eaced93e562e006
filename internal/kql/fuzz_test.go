package kql

import (
	"testing"

	"vigil/internal/doc"
)

// FuzzParse checks that neither dialect's parser panics, that errors are
// positioned, and that canonical printing reads back to the same tree.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		seedClause, `a and b or c`, `not f:(a or b and not c)`, `n:{ a:1 and b:{ c:* } }`,
		`f >= now-1d/d`, `"a \"b\"" c`, `f:foo\ bar\u0041 \and x`, `*:*`, `(*)`, `f*:"x" or g:y*z`,
		`foo_field : (foo \and bar)`, "a\u3000b", "a\u00a0or\u00a0b", `f:((200 and "OK") or 404)`,
		`NOT(foo_field:foo OR foo_field:foo bar)`, `x:\not`, `\t`, `f:foo and`, `not not`, `a:(b and)`,
	} {
		f.Add(s)
	}
	m := doc.NewMapping()
	m.Add(doc.Field{Name: "a", Type: doc.Keyword, ESType: "keyword"})
	m.Add(doc.Field{Name: "f", Type: doc.Text, ESType: "text"})
	d := &doc.Document{Fields: map[string]doc.Value{"a": doc.KeywordOf("x"), "f": doc.TextOf("foo bar")}}
	f.Fuzz(func(t *testing.T, src string) {
		for _, dl := range []Dialect{Kibana, Elasticsearch} {
			n, err := Parse(src, dl)
			if err != nil {
				se, ok := err.(*SyntaxError)
				if !ok || se.Line < 1 || se.Col < 1 {
					t.Fatalf("%v %q: unpositioned error %v", dl, src, err)
				}
				continue
			}
			s := n.String()
			n2, err := Parse(s, dl)
			if err != nil {
				t.Fatalf("%v %q: canonical form %q does not parse: %v", dl, src, s, err)
			}
			if s2 := n2.String(); s2 != s {
				t.Fatalf("%v %q: round trip %q -> %q", dl, src, s, s2)
			}
			if mt, err := Compile(n, m, Options{Dialect: dl}); err == nil {
				mt.Match(d)
			}
			if mt, err := Compile(n, nil, Options{Dialect: dl}); err == nil {
				mt.Match(d)
			}
		}
	})
}
