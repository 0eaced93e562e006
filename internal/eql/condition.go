package eql

import (
	"strings"

	"vigil/internal/doc"
	"vigil/internal/prefilter"
)

// EventCondition states, in the prefilter's language-neutral terms, what
// every event the query can use satisfies: for an event query its category
// and condition; for a sequence, one of its stages' (missing-event stages
// included) or its until's: those events change results without being
// returned, so they must pass too. nil when nothing can be stated. Only positive, provable parts are
// translated (sound, never approximated): negations, !=, regexes and
// cidrMatch are left out.
func (q *Query) EventCondition() prefilter.Cond { return q.cond }

// eventCond translates one event filter.
func (c *compiler) eventCond(f EventFilter, catField string) prefilter.Cond {
	var out prefilter.And
	if f.Category != "" {
		out = append(out, &prefilter.FieldMatch{Field: catField, Op: prefilter.Equals, Value: f.Category})
	}
	if f.Cond != nil {
		if x := c.prefilter(f.Cond); x != nil {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// anyOf is the disjunction of conditions, nil when one of them is nil
// (an alternative that requires nothing).
func anyOf(cs []prefilter.Cond) prefilter.Cond {
	for _, x := range cs {
		if x == nil {
			return nil
		}
	}
	if len(cs) == 1 {
		return cs[0]
	}
	return prefilter.Or(cs)
}

// prefilter translates a condition: what holds of the event when it is true.
func (c *compiler) prefilter(e Expr) prefilter.Cond {
	switch x := e.(type) {
	case *Binary:
		switch x.Op {
		case "and":
			return prefilter.And{c.prefilter(x.L), c.prefilter(x.R)}
		case "or":
			return anyOf([]prefilter.Cond{c.prefilter(x.L), c.prefilter(x.R)})
		case "==":
			f, k := x.L, x.R
			if _, ok := c.fieldOf(f); !ok {
				f, k = k, f
			}
			if s, ok := c.stringConst(k); ok {
				return c.match(f, prefilter.Equals, s, false)
			}
		}
	case *In:
		if x.Not {
			return nil
		}
		return c.alternatives(x.X, x.List, func(s string) (prefilter.MatchOp, string) { return prefilter.Equals, s }, x.CI)
	case *Pattern:
		if x.Op == "regex" {
			return nil
		}
		return c.alternatives(x.X, x.Patterns, func(s string) (prefilter.MatchOp, string) {
			if x.Op == ":" && !strings.ContainsAny(s, "*?") {
				return prefilter.Equals, s
			}
			return prefilter.Like, strings.ReplaceAll(s, `\`, `\\`)
		}, x.CI)
	case *Call:
		if len(x.Args) != 2 {
			return nil
		}
		s, ok := c.stringConst(x.Args[1])
		if !ok {
			return nil
		}
		switch canonical(x.Name) {
		case "startsWith":
			return c.match(x.Args[0], prefilter.Prefix, s, x.CI)
		case "endsWith":
			return c.match(x.Args[0], prefilter.Suffix, s, x.CI)
		case "stringContains":
			return c.match(x.Args[0], prefilter.Contains, s, x.CI)
		}
	}
	return nil
}

// alternatives is "field op p" for some p of a constant string list.
func (c *compiler) alternatives(f Expr, list []Expr, op func(string) (prefilter.MatchOp, string), fold bool) prefilter.Cond {
	var alts []prefilter.Cond
	for _, p := range list {
		s, ok := c.stringConst(p)
		if !ok {
			return nil // an alternative that could equal anything
		}
		o, v := op(s)
		alts = append(alts, c.match(f, o, v, fold))
	}
	return anyOf(alts)
}

// stringConst returns the value of a constant string operand.
func (c *compiler) stringConst(e Expr) (string, bool) {
	if !constant(e) {
		return "", false
	}
	v := c.expr(e).ev(&doc.Document{})
	return v.S, v.T == doc.Keyword && v.M == nil
}

// match is "field op s" when f is a mapped field, else nil.
func (c *compiler) match(f Expr, op prefilter.MatchOp, s string, fold bool) prefilter.Cond {
	ref, ok := c.fieldOf(f)
	if !ok {
		return nil
	}
	name := ref.Name
	if c.m != nil {
		name = c.m.AliasTarget(name)
	}
	return &prefilter.FieldMatch{Field: name, Op: op, Value: s, Fold: fold}
}
