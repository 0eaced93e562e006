package prefilter

import (
	"bytes"
	"sort"
	"strings"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/kql"
)

// cnf is a conjunction of clauses; nil (no clause) means "no requirement".
type cnf []clause

// ForQuery derives the prefilter of one ES|QL query. mappings are those that
// type the query's fields (the catalog's and the decoder's): a field yields
// literals only when every mapping that knows it types it as keyword or text
// from the document itself (not constant_keyword). A nil Filter means no
// literal is required (every line passes); errors are the parser's.
func ForQuery(query string, mappings ...*doc.Mapping) (*Filter, error) {
	ast, err := esql.Parse(query)
	if err != nil {
		return nil, err
	}
	d := &deriver{maps: mappings, shadow: map[string]bool{}}
	var req cnf
	// Only commands before the first blocking one filter single events; a
	// WHERE after LIMIT/STATS/SORT sees rows whose membership depends on
	// other events, so the walk stops there.
walk:
	for _, c := range ast.Commands[1:] {
		switch c := c.(type) {
		case *esql.WhereCmd:
			req = and(req, d.expr(c.Cond))
		case *esql.EvalCmd:
			for _, f := range c.Fields {
				d.shadow[f.Name] = true
			}
		case *esql.KeepCmd, *esql.DropCmd:
			// They remove columns but never change a kept column's values.
		default:
			// RENAME, DISSECT, GROK, MV_EXPAND and the blocking commands
			// change what names mean or which rows exist.
			break walk
		}
	}
	if _, ok := ast.Commands[0].(*esql.FromCmd); !ok || len(req) == 0 {
		return nil, nil
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
	return &Filter{alts: [][]clause{req}}, nil
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
	maps   []*doc.Mapping
	shadow map[string]bool // names an EVAL redefined
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

// anyOf is the clause "one of these literal sets", each a conjunction of runs.
func anyOf(alts [][]string) cnf {
	var out cnf
	for _, runs := range alts {
		if len(runs) == 0 {
			return nil // one alternative requires nothing
		}
		var c cnf
		for _, r := range runs {
			c = append(c, clause{newAtom(r)})
		}
		if out == nil {
			out = c
		} else {
			out = or(out, c)
		}
	}
	return out
}

// stringField reports whether name reads a keyword/text value that comes
// verbatim from the line.
func (d *deriver) stringField(name string) bool {
	if d.shadow[name] || name == "" {
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

// fieldOf unwraps a field reference, optionally under TO_LOWER/TO_UPPER
// (harmless: every literal matches case-insensitively).
func (d *deriver) fieldOf(e esql.Expr) (string, bool) {
	for {
		switch x := e.(type) {
		case *esql.Ident:
			return x.Name, d.stringField(x.Name)
		case *esql.Call:
			n := strings.ToLower(x.Name)
			if (n == "to_lower" || n == "to_upper") && len(x.Args) == 1 {
				e = x.Args[0]
				continue
			}
		}
		return "", false
	}
}

func strLit(e esql.Expr) (string, bool) {
	l, ok := e.(*esql.Literal)
	if !ok || !l.Val.T.IsString() || l.Val.IsMulti() {
		return "", false
	}
	return l.Val.S, true
}

func (d *deriver) expr(e esql.Expr) cnf {
	switch x := e.(type) {
	case *esql.Logical:
		if x.And {
			return and(d.expr(x.L), d.expr(x.R))
		}
		return or(d.expr(x.L), d.expr(x.R))
	case *esql.Binary:
		if x.Op != "==" && x.Op != "=~" {
			return nil
		}
		f, r := x.L, x.R
		if _, ok := strLit(f); ok {
			f, r = r, f
		}
		s, ok := strLit(r)
		if _, isField := d.fieldOf(f); !ok || !isField {
			return nil
		}
		return anyOf([][]string{runs(s)})
	case *esql.In:
		if x.Not {
			return nil
		}
		if _, ok := d.fieldOf(x.X); !ok {
			return nil
		}
		var alts [][]string
		for _, it := range x.List {
			s, ok := strLit(it)
			if !ok {
				return nil // a non-literal could equal anything
			}
			alts = append(alts, runs(s))
		}
		return anyOf(alts)
	case *esql.Like:
		if x.Not || x.Regex {
			return nil
		}
		if _, ok := d.fieldOf(x.X); !ok {
			return nil
		}
		var alts [][]string
		for _, p := range x.Patterns {
			s, ok := strLit(p)
			if !ok {
				return nil
			}
			alts = append(alts, likeRuns(s))
		}
		return anyOf(alts)
	case *esql.Call:
		switch strings.ToLower(x.Name) {
		case "starts_with", "ends_with":
			if len(x.Args) != 2 {
				return nil
			}
			s, ok := strLit(x.Args[1])
			if _, isField := d.fieldOf(x.Args[0]); !ok || !isField {
				return nil
			}
			return anyOf([][]string{runs(s)})
		case "kql":
			if len(x.Args) != 1 {
				return nil
			}
			s, ok := strLit(x.Args[0])
			if !ok {
				return nil
			}
			n, err := kql.Parse(s, kql.Elasticsearch)
			if err != nil {
				return nil
			}
			return d.kql(n, "")
		}
	}
	return nil
}

// kql derives requirements from a KQL tree; only field:value matches on
// keyword fields contribute (text fields are analyzed, numbers and dates
// have many spellings).
func (d *deriver) kql(n kql.Node, prefix string) cnf {
	switch x := n.(type) {
	case *kql.Bool:
		var out cnf
		for i, c := range x.Children {
			r := d.kql(c, prefix)
			switch {
			case i == 0:
				out = r
			case x.Op == kql.OpAnd:
				out = and(out, r)
			default:
				out = or(out, r)
			}
		}
		return out
	case *kql.Match:
		if !x.HasField || x.Field.IsPattern() || prefix != "" {
			return nil
		}
		if !d.keywordField(x.Field.Name) {
			return nil
		}
		return anyOf([][]string{kqlRuns(x.Value)})
	}
	return nil
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

// kqlRuns gives the literal runs of a KQL value (wildcards split runs).
func kqlRuns(v kql.Value) []string {
	if v.Wild == nil {
		return runs(v.Text)
	}
	var out []string
	start := 0
	for i := 0; i <= len(v.Text); i++ {
		if i == len(v.Text) || v.Wild[i] {
			out = append(out, runs(v.Text[start:i])...)
			start = i + 1
		}
	}
	return out
}
