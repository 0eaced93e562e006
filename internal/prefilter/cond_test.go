package prefilter

import (
	"testing"

	"vigil/internal/doc"
)

// TestNew derives filters from conditions directly, as a language other
// than ES|QL would hand them over.
func TestNew(t *testing.T) {
	m := doc.NewMapping()
	m.Add(doc.Field{Name: "k", Type: doc.Keyword, ESType: "keyword"})
	m.Add(doc.Field{Name: "t", Type: doc.Text, ESType: "text"})
	m.Add(doc.Field{Name: "c", Type: doc.Keyword, ESType: "constant_keyword"})
	m.Add(doc.Field{Name: "n", Type: doc.Long, ESType: "long"})
	eq := func(f, v string) *FieldMatch { return &FieldMatch{Field: f, Op: Equals, Value: v} }
	for _, tc := range []struct {
		name string
		c    Cond
		want string
	}{
		{"nil", nil, "<none>"},
		{"keyword equals", eq("k", "bash"), "bash"},
		{"text equals", eq("t", "bash"), "bash"},
		{"keyword-only on text", &FieldMatch{Field: "t", Value: "bash", KeywordOnly: true}, "<none>"},
		{"keyword-only on keyword", &FieldMatch{Field: "k", Value: "bash", KeywordOnly: true}, "bash"},
		{"constant_keyword", eq("c", "logs"), "<none>"},
		{"number", eq("n", "12"), "<none>"},
		{"unmapped", eq("u", "bash"), "<none>"},
		{"like runs", &FieldMatch{Field: "k", Op: Like, Value: `*py\*x?on*`}, "py*x & on"},
		{"and keeps both", And{eq("k", "bash"), nil, eq("t", "root")}, "bash & root"},
		{"or distributes", Or{eq("k", "bash"), And{eq("k", "zsh"), eq("t", "h1")}}, "bash|zsh & bash|h1"},
		{"or with nothing", Or{eq("k", "bash"), eq("n", "1")}, "<none>"},
		{"empty literal", eq("k", ""), "<none>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := New(tc.c, m).String(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
