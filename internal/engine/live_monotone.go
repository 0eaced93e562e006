package engine

import (
	"vigil/internal/esql"
	"vigil/internal/esql/logical"
)

// monotone reports whether a query's result can only gain rows as events
// arrive in a window, so the live engine may alert the moment a row
// appears instead of waiting for the window to close. It holds when
// nothing before the last STATS bounds its input (SORT, LIMIT, INLINE
// STATS) and every command after it is SORT, KEEP, DROP, RENAME, EVAL or
// a WHERE whose condition can only turn true as aggregates grow:
// `agg >= c` / `agg > c` for COUNT, COUNT_DISTINCT, MAX (and `<=`/`<` for
// MIN), any condition on BY columns alone, and AND/OR of those (columns
// are followed through EVAL aliases and RENAMEs; other computed columns
// have no known direction). Anything else is evaluated when its window
// closes. A query without STATS streams rows per event and is monotone
// unless it sorts or limits explicitly.
func monotone(q *esql.Query) bool {
	cmds := q.Plan().Commands
	last := -1
	for i, c := range cmds {
		if st, ok := c.(*logical.Stats); ok && !st.Inline {
			last = i
		}
	}
	for i, c := range cmds {
		if last >= 0 && i >= last {
			break
		}
		switch c := c.(type) {
		case *logical.Sort:
			return false
		case *logical.Limit:
			if !c.Implicit {
				return false
			}
		case *logical.Stats:
			if c.Inline {
				return false
			}
		}
	}
	if last < 0 {
		return true
	}
	st := cmds[last].(*logical.Stats)
	for _, c := range cmds[last+1:] {
		switch c := c.(type) {
		case *logical.Sort, *logical.Project, *logical.Eval:
		case *logical.Limit:
			if !c.Implicit {
				return false
			}
		case *logical.Where:
			if !monotoneCond(c.Cond, st) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// direction says how a column of st's output moves as events arrive: +1
// only grows, -1 only shrinks, 2 is fixed per group (a BY key), 0 unknown.
func direction(c *logical.Col, st *logical.Stats) int {
	c = c.Origin()
	if _, ok := c.By.(*logical.Eval); ok && perGroup(c.Expr, st) {
		return 2 // computed from BY keys alone
	}
	if c.By != st {
		return 0
	}
	if !c.Aggregated {
		return 2
	}
	if a, ok := c.Expr.(*logical.Agg); ok {
		switch a.Name {
		case "COUNT", "COUNT_DISTINCT", "MAX":
			return 1
		case "MIN":
			return -1
		}
	}
	return 0
}

func monotoneCond(e logical.Expr, st *logical.Stats) bool {
	if perGroup(e, st) {
		return true
	}
	switch x := e.(type) {
	case *logical.Logical:
		return monotoneCond(x.L, st) && monotoneCond(x.R, st)
	case *logical.Call:
		if x.Kind != logical.Operator || len(x.Args) != 2 {
			return false
		}
		l, lok := x.Args[0].(*logical.Ref)
		r, rok := x.Args[1].(*logical.Ref)
		_, llit := x.Args[0].(*logical.Lit)
		_, rlit := x.Args[1].(*logical.Lit)
		switch {
		case lok && rlit:
			switch x.Name {
			case ">=", ">":
				return direction(l.Col, st) == 1
			case "<=", "<":
				return direction(l.Col, st) == -1
			}
		case rok && llit:
			switch x.Name {
			case "<=", "<":
				return direction(r.Col, st) == 1
			case ">=", ">":
				return direction(r.Col, st) == -1
			}
		}
	}
	return false
}

// perGroup: the expression reads BY columns and constants only, so its
// value is fixed per group.
func perGroup(e logical.Expr, st *logical.Stats) bool {
	ok := true
	logical.Walk(e, func(x logical.Expr) bool {
		switch x := x.(type) {
		case *logical.Ref:
			ok = ok && direction(x.Col, st) == 2
		case *logical.Agg, *logical.KQL:
			ok = false
		}
		return ok
	})
	return ok
}
