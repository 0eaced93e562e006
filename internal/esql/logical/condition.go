package logical

import (
	"vigil/internal/kql"
	"vigil/internal/prefilter"
)

// EventCondition states, in the prefilter's language-neutral terms, what
// every event that can contribute a row to the result satisfies: the
// conditions of the WHEREs that filter single events, with each column
// followed to the source field it holds. nil when nothing can be stated
// (ROW, or no such WHERE).
//
// The walk covers the commands before the first STATS or LIMIT: each turns
// one row into rows that still carry only that event's values (EVAL,
// KEEP/DROP/RENAME, DISSECT, GROK, MV_EXPAND), so a row a later WHERE keeps
// came from an event that passes it; SORT commutes with such a WHERE. A
// STATS or LIMIT makes a row depend on other events.
func (p *Plan) EventCondition() prefilter.Cond {
	if p.Source().Patterns == nil {
		return nil
	}
	var out prefilter.And
walk:
	for _, cmd := range p.Commands[1:] {
		switch c := cmd.(type) {
		case *Where:
			if x := condition(c.Cond); x != nil {
				out = append(out, x)
			}
		case *Eval, *Project, *Dissect, *Grok, *MvExpand, *Sort:
		default:
			break walk
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// condition translates a boolean expression: what holds of the event when
// it is true.
func condition(e Expr) prefilter.Cond {
	switch x := e.(type) {
	case *Logical:
		l, r := condition(x.L), condition(x.R)
		if x.And {
			return prefilter.And{l, r}
		}
		if l == nil || r == nil {
			return nil
		}
		return prefilter.Or{l, r}
	case *Call:
		if x.Kind == Operator && (x.Name == "==" || x.Name == "=~") && len(x.Args) == 2 {
			f, l := x.Args[0], x.Args[1]
			if _, ok := stringLit(f); ok {
				f, l = l, f
			}
			if s, ok := stringLit(l); ok {
				return match(f, s, prefilter.Equals, x.Name == "=~")
			}
		}
		if x.Kind == Function && len(x.Args) == 2 {
			s, ok := stringLit(x.Args[1])
			switch {
			case ok && x.Name == "STARTS_WITH":
				return match(x.Args[0], s, prefilter.Prefix, false)
			case ok && x.Name == "ENDS_WITH":
				return match(x.Args[0], s, prefilter.Suffix, false)
			}
		}
	case *In:
		if x.Not {
			return nil
		}
		var alts prefilter.Or
		for _, it := range x.List {
			s, ok := stringLit(it)
			if !ok {
				return nil // an alternative that could equal anything
			}
			m := match(x.X, s, prefilter.Equals, false)
			if m == nil {
				return nil
			}
			alts = append(alts, m)
		}
		return alts
	case *Like:
		if x.Not || x.Regex {
			return nil
		}
		var alts prefilter.Or
		for _, pat := range x.Patterns {
			if pat == nil {
				return nil
			}
			m := match(x.X, *pat, prefilter.Like, false)
			if m == nil {
				return nil
			}
			alts = append(alts, m)
		}
		return alts
	case *KQL:
		return kql.Condition(x.AST)
	}
	return nil
}

// match is "field op s" when f reads a source field, else nil.
func match(f Expr, s string, op prefilter.MatchOp, fold bool) prefilter.Cond {
	field, folded, ok := sourceField(f)
	if !ok {
		return nil
	}
	return &prefilter.FieldMatch{Field: field, Op: op, Value: s, Fold: fold || folded}
}

func stringLit(e Expr) (string, bool) {
	l, ok := e.(*Lit)
	if !ok || !l.T.IsString() || l.Val.IsNull() || l.Val.IsMulti() {
		return "", false
	}
	return l.Val.S, true
}

// sourceField follows a string expression to the source field whose value
// (or, through MV_EXPAND, one of whose values) it is, case aside: through
// TO_LOWER/TO_UPPER, EVAL aliases and RENAMEs (a renamed column keeps its
// Field). A column an EVAL, DISSECT or GROK computes otherwise is no field.
func sourceField(e Expr) (field string, folded, ok bool) {
	for i := 0; i < 64; i++ { // chains are short; the bound is a guard
		switch x := e.(type) {
		case *Call:
			if x.Kind != Function || len(x.Args) != 1 || x.Name != "TO_LOWER" && x.Name != "TO_UPPER" {
				return "", false, false
			}
			e, folded = x.Args[0], true
		case *Ref:
			c := x.Col
			switch by := c.By.(type) {
			case nil:
				return c.Field, folded, c.Field != "" && c.Meta == ""
			case *Eval:
				e = c.Expr
			case *MvExpand:
				e = &Ref{Col: by.In}
			default:
				return "", false, false
			}
		default:
			return "", false, false
		}
	}
	return "", false, false
}
