package kql

import (
	"strings"

	"vigil/internal/prefilter"
)

// Condition states what every document the tree matches holds, in the
// prefilter's language-neutral terms (see prefilter.Cond). Only
// `field:value` matches on a named field say something: they hold on
// keyword fields (KeywordOnly; other types are analyzed or have several
// spellings), case-insensitively in the Elasticsearch dialect (Fold is
// set either way, which only weakens the claim). Negations, ranges,
// existence, nested queries and fieldless or wildcard-field matches
// require nothing.
func Condition(n Node) prefilter.Cond {
	switch x := n.(type) {
	case *Bool:
		kids := make([]prefilter.Cond, len(x.Children))
		for i, c := range x.Children {
			kids[i] = Condition(c)
		}
		if x.Op == OpAnd {
			return prefilter.And(kids)
		}
		return prefilter.Or(kids)
	case *Match:
		if !x.HasField || x.Field.IsPattern() {
			return nil
		}
		m := &prefilter.FieldMatch{Field: x.Field.Name, Op: prefilter.Equals, Value: x.Value.Text, Fold: true, KeywordOnly: true}
		if x.Value.Wild != nil {
			m.Op, m.Value = prefilter.Like, likePattern(x.Value)
		}
		return m
	}
	return nil
}

// likePattern spells a wildcard value in prefilter.Like's glob syntax.
func likePattern(v Value) string {
	var b strings.Builder
	for i := 0; i < len(v.Text); i++ {
		c := v.Text[i]
		switch {
		case v.Wild[i]:
			b.WriteByte('*')
			continue
		case c == '*' || c == '?' || c == '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}
