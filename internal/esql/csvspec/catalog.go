package csvspec

import (
	"errors"
	"iter"
	"slices"
	"strings"

	"vigil/internal/doc"
	"vigil/internal/esql"
)

// Catalog serves a Library's data sets to one query: the index name is the
// data set name. It remembers what the query resolved, so Docs yields just
// those documents and a missing data set can be told from an engine bug.
// Use a fresh Catalog per query (Library.Catalog).
type Catalog struct {
	lib      *Library
	resolved []*Dataset
	missing  []string // index names the query asked for that are not loaded
}

var _ esql.Catalog = (*Catalog)(nil)

// Catalog returns a fresh per-query catalog over the library.
func (l *Library) Catalog() *Catalog { return &Catalog{lib: l} }

// Resolve merges the mappings of the data sets the patterns name. Patterns
// may use '*' wildcards; a leading '-' excludes. A pattern naming nothing
// fails with Elasticsearch's "Unknown index [name]".
func (c *Catalog) Resolve(patterns []string) (*doc.Mapping, error) {
	c.resolved, c.missing = c.resolved[:0], c.missing[:0]
	var unknown []string
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		if strings.HasPrefix(p, "-") {
			continue
		}
		if !slices.ContainsFunc(c.lib.names, func(n string) bool { return doc.MatchIndex([]string{p}, n) }) {
			unknown = append(unknown, p)
			if !strings.Contains(p, "*") {
				c.missing = append(c.missing, p)
			}
		}
	}
	if len(unknown) > 0 {
		return nil, errors.New("Unknown index [" + strings.Join(unknown, ",") + "]")
	}
	m := doc.NewMapping()
	for _, n := range c.lib.names {
		if doc.MatchIndex(patterns, n) {
			ds := c.lib.sets[n]
			c.resolved = append(c.resolved, ds)
			m.Merge(ds.Mapping)
		}
	}
	return m, nil
}

// Missing lists the plain index names the last Resolve could not find.
func (c *Catalog) Missing() []string { return slices.Clone(c.missing) }

// Docs yields the documents of the data sets the last Resolve chose, data
// set by data set in CSV order. It reads c when iterated, so it can be
// handed to the engine before the query is compiled.
func (c *Catalog) Docs() iter.Seq[*doc.Document] {
	return func(yield func(*doc.Document) bool) {
		for _, ds := range c.resolved {
			for _, d := range ds.Docs {
				if !yield(d) {
					return
				}
			}
		}
	}
}
