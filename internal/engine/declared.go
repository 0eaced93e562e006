package engine

import (
	"strings"

	"vigil/internal/doc"
	"vigil/internal/esql"
)

// declaredColumns returns, for a query that failed with "Unknown column"
// errors, a catalog that also maps those of the unknown names its FROM's
// mappings declare by pattern (doc.Mapping.DeclaredField): fields that
// Elasticsearch maps when a document brings them, so a rule over them
// compiles with no input at hand. It returns nil when there are none.
func declaredColumns(query string, cat esql.Catalog, err error) esql.Catalog {
	names := unknownColumns(err)
	if len(names) == 0 || cat == nil {
		return nil
	}
	ast, perr := esql.Parse(query)
	if perr != nil || len(ast.Commands) == 0 {
		return nil
	}
	from, ok := ast.Commands[0].(*esql.FromCmd)
	if !ok {
		return nil
	}
	m, rerr := cat.Resolve(from.Patterns)
	if rerr != nil {
		return nil
	}
	extra := declareFields(m, names, cat)
	if extra == nil {
		return nil
	}
	return &withFields{cat, extra}
}

// declareFields returns the fields of names that m declares by pattern (nil
// when none), recording them in the catalog so documents are decoded with
// the types the query is compiled with.
func declareFields(m *doc.Mapping, names []string, cat esql.Catalog) *doc.Mapping {
	extra := doc.NewMapping()
	for _, n := range names {
		if f, ok := m.DeclaredField(n); ok {
			extra.Add(f)
		}
	}
	if extra.Len() == 0 {
		return nil
	}
	if c, ok := cat.(*Catalog); ok {
		c.declare(extra)
	}
	return extra
}

// unknownColumns lists the names of an analysis error's "Unknown column [x]".
func unknownColumns(err error) []string {
	var out []string
	for _, e := range esqlErrors(err) {
		if name, ok := unknownColumn(e.Msg); ok {
			out = append(out, name)
		}
	}
	return out
}

// unknownColumn reads the name of an "Unknown column [x]" error message
// (ES|QL's and EQL's wording alike).
func unknownColumn(msg string) (string, bool) {
	if rest, ok := strings.CutPrefix(msg, "Unknown column ["); ok {
		if i := strings.IndexByte(rest, ']'); i > 0 {
			return rest[:i], true
		}
	}
	return "", false
}

// withFields is a catalog with a few more fields where its own has none.
type withFields struct {
	esql.Catalog
	extra *doc.Mapping
}

func (w *withFields) Resolve(patterns []string) (*doc.Mapping, error) {
	m, err := w.Catalog.Resolve(patterns)
	if err != nil {
		return nil, err
	}
	for _, f := range w.extra.Fields() {
		if _, ok := m.Lookup(f.Name); !ok {
			m.Add(*f)
		}
	}
	return m, nil
}
