package prefilter

import (
	"bytes"
	"sort"
	"strings"

	"vigil/internal/doc"
)

// cnf is a conjunction of clauses; nil (no clause) means "no requirement".
type cnf []clause

// New derives the byte filter of a condition every event a query keeps
// satisfies (see Cond). mappings are those that type the event's fields
// (the catalog's and the decoder's): a FieldMatch yields literals only
// when every mapping that knows its field types it as keyword or text from
// the document itself (not constant_keyword), and a KeywordOnly one only
// when they all type it keyword. A nil Filter means no literal is required
// (every line passes).
func New(c Cond, mappings ...*doc.Mapping) *Filter {
	d := &deriver{maps: mappings}
	req := d.cnf(c)
	if len(req) == 0 {
		return nil
	}
	for i, c := range req {
		req[i] = minimal(c)
	}
	// Most selective clauses first, so most lines fail after one search:
	// long literals are rare; a clause is as weak as its shortest alternative.
	sort.SliceStable(req, func(i, j int) bool {
		a, b := weakest(req[i]), weakest(req[j])
		if a != b {
			return a > b
		}
		return len(req[i]) < len(req[j])
	})
	return &Filter{alts: [][]clause{req}}
}

// cnf turns a condition into required literals.
func (d *deriver) cnf(c Cond) cnf {
	switch c := c.(type) {
	case And:
		var out cnf
		for _, x := range c {
			out = and(out, d.cnf(x))
		}
		return out
	case Or:
		var out cnf
		for i, x := range c {
			r := d.cnf(x)
			if i == 0 {
				out = r
			} else {
				out = or(out, r)
			}
		}
		return out
	case *FieldMatch:
		if !d.stringField(c.Field) || c.KeywordOnly && !d.keywordField(c.Field) {
			return nil
		}
		if c.Op == Like {
			return allOf(likeRuns(c.Value))
		}
		return allOf(runs(c.Value))
	}
	return nil
}

// minimal drops alternatives that contain another alternative ("bash" when
// "sh" is there): the clause accepts the same lines with fewer searches.
func minimal(c clause) clause {
	var out clause
	for i, a := range c {
		redundant := false
		for j, b := range c {
			if i != j && bytes.Contains(a.lit, b.lit) && (len(a.lit) > len(b.lit) || j < i) {
				redundant = true
				break
			}
		}
		if !redundant {
			out = append(out, a)
		}
	}
	return out
}

func weakest(c clause) int {
	n := 1 << 30
	for _, a := range c {
		n = min(n, len(a.lit))
	}
	return n
}

type deriver struct {
	maps []*doc.Mapping
}

func and(a, b cnf) cnf {
	out := append(append(cnf{}, a...), b...)
	if len(out) > maxClauses {
		out = out[:maxClauses]
	}
	return out
}

// or distributes: (A1∧A2)∨(B1∧B2) = ∧ (Ai∨Bj). Either side without
// requirements makes the disjunction requirement-free.
func or(a, b cnf) cnf {
	if len(a) == 0 || len(b) == 0 {
		return nil
	}
	var out cnf
	for _, x := range a {
		for _, y := range b {
			if len(out) == maxClauses {
				return out
			}
			out = append(out, append(append(clause{}, x...), y...))
		}
	}
	return out
}

// allOf requires every literal run (one clause each); no run, nothing.
func allOf(runs []string) cnf {
	var out cnf
	for _, r := range runs {
		out = append(out, clause{newAtom(r)})
	}
	return out
}

// stringField reports whether name reads a keyword/text value that comes
// verbatim from the line.
func (d *deriver) stringField(name string) bool {
	if name == "" {
		return false
	}
	known := false
	for _, m := range d.maps {
		if m == nil {
			continue
		}
		f, ok := m.Lookup(name)
		if !ok {
			continue
		}
		known = true
		if !f.Type.IsString() || f.ESType == "constant_keyword" || f.Nested {
			return false
		}
		if f.ESType == "alias" {
			if t, ok := m.Lookup(f.Path); !ok || !t.Type.IsString() || t.ESType == "constant_keyword" {
				return false
			}
		}
	}
	return known
}

func (d *deriver) keywordField(name string) bool {
	if !d.stringField(name) {
		return false
	}
	for _, m := range d.maps {
		if m == nil {
			continue
		}
		if f, ok := m.Lookup(name); ok && f.Type != doc.Keyword {
			return false
		}
	}
	return true
}

// runs splits a literal at bytes JSON may escape (" \ / and controls): each
// run must appear verbatim in a line without \u escapes.
func runs(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || escapable(s[i]) {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// Non-ASCII bytes split runs too: their case variants are other byte
// sequences, which ASCII folding would miss.
func escapable(c byte) bool { return c == '"' || c == '\\' || c == '/' || c < 0x20 || c >= 0x80 }

// likeRuns gives the literal runs of an ES|QL LIKE pattern: * and ? are
// wildcards, \ escapes the next character.
func likeRuns(p string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		out = append(out, runs(cur.String())...)
		cur.Reset()
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*', '?':
			flush()
		case '\\':
			if i+1 < len(p) {
				i++
				cur.WriteByte(p[i])
			}
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}
