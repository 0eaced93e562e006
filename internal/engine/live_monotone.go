package engine

import (
	"strings"

	"vigil/internal/esql"
)

// monotone reports whether a query's result can only gain rows as events
// arrive in a window, so the live engine may alert the moment a row
// appears instead of waiting for the window to close. It holds when
// nothing before the last STATS bounds its input (SORT, LIMIT, INLINE
// STATS) and every command after it is SORT, KEEP, DROP or a WHERE whose
// condition can only turn true as aggregates grow: `agg >= c` / `agg > c`
// for COUNT, COUNT_DISTINCT, MAX (and `<=`/`<` for MIN), any condition on
// BY columns alone, and AND/OR of those. Anything else is evaluated when
// its window closes. A query without STATS streams rows per event and is
// monotone unless it sorts or limits explicitly.
func monotone(query string) bool {
	ast, err := esql.Parse(query)
	if err != nil {
		return false
	}
	cmds := ast.Commands
	last := -1
	for i, c := range cmds {
		if st, ok := c.(*esql.StatsCmd); ok && !st.Inline {
			last = i
		}
	}
	for i, c := range cmds {
		if last >= 0 && i >= last {
			break
		}
		switch c := c.(type) {
		case *esql.SortCmd, *esql.LimitCmd, *esql.UnsupportedCmd:
			return false
		case *esql.StatsCmd:
			if c.Inline {
				return false
			}
		}
	}
	if last < 0 {
		return true
	}
	st := cmds[last].(*esql.StatsCmd)
	dir := map[string]int{} // +1 grows, -1 shrinks, 2 constant (BY)
	for _, f := range st.By {
		dir[f.Name] = 2
	}
	for _, f := range st.Aggs {
		call, ok := f.X.(*esql.Call)
		if !ok {
			continue
		}
		switch strings.ToLower(call.Name) {
		case "count", "count_distinct", "max":
			dir[f.Name] = 1
		case "min":
			dir[f.Name] = -1
		}
	}
	for _, c := range cmds[last+1:] {
		switch c := c.(type) {
		case *esql.SortCmd, *esql.KeepCmd, *esql.DropCmd:
		case *esql.WhereCmd:
			if !monotoneCond(c.Cond, dir) {
				return false
			}
		case *esql.EvalCmd:
			for _, f := range c.Fields {
				delete(dir, f.Name) // a computed column: direction unknown
			}
		default:
			return false
		}
	}
	return true
}

func monotoneCond(e esql.Expr, dir map[string]int) bool {
	if onlyConstant(e, dir) {
		return true
	}
	switch x := e.(type) {
	case *esql.Logical:
		return monotoneCond(x.L, dir) && monotoneCond(x.R, dir)
	case *esql.Binary:
		l, lok := x.L.(*esql.Ident)
		r, rok := x.R.(*esql.Ident)
		_, llit := x.L.(*esql.Literal)
		_, rlit := x.R.(*esql.Literal)
		switch {
		case lok && rlit:
			switch x.Op {
			case ">=", ">":
				return dir[l.Name] == 1
			case "<=", "<":
				return dir[l.Name] == -1
			}
		case rok && llit:
			switch x.Op {
			case "<=", "<":
				return dir[r.Name] == 1
			case ">=", ">":
				return dir[r.Name] == -1
			}
		}
	}
	return false
}

// onlyConstant: the expression reads BY columns and literals only, so its
// value is fixed per group.
func onlyConstant(e esql.Expr, dir map[string]int) bool {
	ok := true
	var walk func(esql.Expr)
	walk = func(e esql.Expr) {
		switch x := e.(type) {
		case *esql.Ident:
			ok = ok && dir[x.Name] == 2
		case *esql.Literal:
		case *esql.Call:
			for _, a := range x.Args {
				walk(a)
			}
		case *esql.Binary:
			walk(x.L)
			walk(x.R)
		case *esql.Logical:
			walk(x.L)
			walk(x.R)
		case *esql.Not:
			walk(x.X)
		case *esql.IsNull:
			walk(x.X)
		case *esql.In:
			walk(x.X)
			for _, a := range x.List {
				walk(a)
			}
		case *esql.Like:
			walk(x.X)
		default:
			ok = false
		}
	}
	walk(e)
	return ok
}
