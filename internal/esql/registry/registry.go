// Package registry owns the name tables ES|QL resolves calls against: the
// scalar functions of package fn and the aggregates of package agg each
// register once, from init functions, into a Table that is never changed
// afterwards; the analyzer looks names up case-insensitively. It also holds
// the names of every function Elasticsearch's ES|QL has (known.go), so a
// call Vigil cannot evaluate is told apart from one Elasticsearch would
// reject too.
package registry

import "sort"

// Table maps upper-case names to definitions of one kind.
type Table[F any] struct {
	kind   string // "function", "aggregate": names the duplicate in a panic
	byName map[string]F
}

// New makes an empty table for definitions of the given kind.
func New[F any](kind string) *Table[F] {
	return &Table[F]{kind: kind, byName: map[string]F{}}
}

// Add registers f under name, which must be upper case. Registering a name
// twice is a programming error and panics.
func (t *Table[F]) Add(name string, f F) {
	if _, dup := t.byName[name]; dup {
		panic("registry: duplicate " + t.kind + " " + name)
	}
	t.byName[name] = f
}

// Lookup finds a definition by name, case-insensitively (ASCII).
func (t *Table[F]) Lookup(name string) (F, bool) {
	f, ok := t.byName[Upper(name)]
	return f, ok
}

// Names lists the registered names, sorted.
func (t *Table[F]) Names() []string {
	out := make([]string, 0, len(t.byName))
	for n := range t.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Upper upper-cases ASCII letters, leaving other bytes alone (function names
// are ASCII; Java's toUpperCase(Locale.ROOT) would also map a few non-ASCII
// letters, which no registered name contains). It allocates only when s has
// a lower-case letter.
func Upper(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'a' <= c && c <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'a' <= c && c <= 'z' {
					b[j] = c - 32
				}
			}
			return string(b)
		}
	}
	return s
}
