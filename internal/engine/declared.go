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
	return &withFields{cat, extra}
}

// unknownColumns lists the names of an analysis error's "Unknown column [x]".
func unknownColumns(err error) []string {
	var out []string
	for _, e := range esqlErrors(err) {
		if rest, ok := strings.CutPrefix(e.Msg, "Unknown column ["); ok {
			if i := strings.IndexByte(rest, ']'); i > 0 {
				out = append(out, rest[:i])
			}
		}
	}
	return out
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
