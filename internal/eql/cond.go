package eql

import (
	"vigil/internal/doc"
)

// predicate decides whether an event passes a condition.
type predicate func(d *doc.Document) bool

// cond compiles a condition in filter position with the semantics
// Elasticsearch's EQL gets by translating it to query DSL (QueryTranslator:
// ql's ExpressionTranslators BinaryComparisons, Nots, InComparisons, Likes,
// and the Scalars translations of cidrMatch, startsWith and stringContains):
//   - `and`/`or` become bool queries, so they are two-valued;
//   - a comparison of a field with a constant is a term/range/wildcard/regexp
//     query: it matches when ANY value of a multi-valued field does, and
//     never a document without the field;
//   - `!=`, `not in` and `not` over such queries are must_not: they match
//     documents without the field, and exclude a multi-valued field when
//     any value matches;
//   - anything else (functions, field-to-field, arithmetic) is a script
//     with three-valued logic, where null does not match (and `not null`
//     is still null).
func (c *compiler) cond(e Expr) predicate {
	switch e := e.(type) {
	case *Binary:
		switch e.Op {
		case "and":
			l, r := c.cond(e.L), c.cond(e.R)
			return func(d *doc.Document) bool { return l(d) && r(d) }
		case "or":
			l, r := c.cond(e.L), c.cond(e.R)
			return func(d *doc.Document) bool { return l(d) || r(d) }
		}
	case *Not:
		if c.isQuery(e.X) {
			x := c.cond(e.X)
			return func(d *doc.Document) bool { return !x(d) }
		}
	}
	if c.isQuery(e) {
		return c.query(e)
	}
	n := c.expr(e)
	if n.t != doc.Null && n.t != doc.Boolean {
		c.errorf(e.pos(), "Condition expression needs to be boolean, found [%s]", esTypeName(n.t))
	}
	return func(d *doc.Document) bool {
		v, known := truth(n.ev(d))
		return known && v
	}
}

// fieldOf returns the field an operand reads, when it is a plain mapped
// field (not an optional field that is unmapped).
func (c *compiler) fieldOf(e Expr) (*FieldRef, bool) {
	f, ok := e.(*FieldRef)
	if !ok {
		return nil, false
	}
	if c.m != nil {
		if _, mapped := c.m.Lookup(f.Name); !mapped {
			return nil, false
		}
	}
	return f, true
}

// constant reports whether an expression reads no field.
func constant(e Expr) bool {
	switch e := e.(type) {
	case *Literal:
		return true
	case *FieldRef:
		return false
	case *Binary:
		return constant(e.L) && constant(e.R)
	case *Not:
		return constant(e.X)
	case *Neg:
		return constant(e.X)
	case *In:
		return constant(e.X) && allConstant(e.List)
	case *Pattern:
		return constant(e.X) && allConstant(e.Patterns)
	case *Call:
		return allConstant(e.Args)
	}
	return false
}

func allConstant(es []Expr) bool {
	for _, e := range es {
		if !constant(e) {
			return false
		}
	}
	return true
}

// isQuery reports whether a condition translates to a query (rather than
// a script): boolean connectives, and field-versus-constant predicates.
func (c *compiler) isQuery(e Expr) bool {
	switch e := e.(type) {
	case *Binary:
		switch e.Op {
		case "and", "or":
			return true
		case "==", "!=", "<", "<=", ">", ">=":
			_, lf := c.fieldOf(e.L)
			_, rf := c.fieldOf(e.R)
			return lf && constant(e.R) || rf && constant(e.L)
		}
	case *Not:
		return c.isQuery(e.X)
	case *In:
		_, f := c.fieldOf(e.X)
		return f && allConstant(e.List)
	case *Pattern:
		_, f := c.fieldOf(e.X)
		return f && allConstant(e.Patterns)
	case *Call:
		if len(e.Args) < 2 {
			return false
		}
		_, f := c.fieldOf(e.Args[0])
		switch name := canonical(e.Name); {
		case name == "cidrMatch", name == "startsWith", name == "stringContains" && !e.CI:
			return f && allConstant(e.Args[1:])
		}
	}
	return false
}

// query compiles a field-versus-constant predicate as its query matches.
func (c *compiler) query(e Expr) predicate {
	switch e := e.(type) {
	case *Binary:
		f, op, k := e.L, e.Op, e.R
		if _, ok := c.fieldOf(e.L); !ok {
			f, k, op = e.R, e.L, swapOp(op)
		}
		fv, kv := c.expr(f), fold(c.expr(k))
		c.checkComparable(e, c.expr(e.L), c.expr(e.R))
		kval := kv.ev(&doc.Document{})
		if kval.IsNull() {
			// field == null is a negated exists query; != null an exists query;
			// other comparisons with null match nothing
			switch op {
			case "==":
				return func(d *doc.Document) bool { return fv.ev(d).IsNull() }
			case "!=":
				return func(d *doc.Document) bool { return !fv.ev(d).IsNull() }
			}
			return func(*doc.Document) bool { return false }
		}
		if op == "!=" {
			eq := compareOp("==")
			return func(d *doc.Document) bool { return anyPair(fv.ev(d), kval, eq).I == 0 }
		}
		pred := compareOp(op)
		return func(d *doc.Document) bool { return anyPair(fv.ev(d), kval, pred).I != 0 }
	case *In:
		in := *e
		in.Not = false
		n := c.expr(&in)
		negate := e.Not
		return func(d *doc.Document) bool {
			v, _ := truth(n.ev(d))
			return v != negate
		}
	}
	// patterns and the translated functions: any value matches; null does not
	n := c.anyValue(e)
	return func(d *doc.Document) bool {
		v, known := truth(n(d))
		return known && v
	}
}

// anyValue evaluates a translated function (cidrMatch, startsWith,
// stringContains) over each value of its field argument: true when one
// value satisfies it, as the terms, prefix or wildcard query it becomes.
func (c *compiler) anyValue(e Expr) evaluator {
	call, ok := e.(*Call)
	if !ok {
		return c.expr(e).ev // patterns already match any value
	}
	c.expr(call) // arity and argument checks
	f, _ := lookupFunction(call.Name)
	fv := c.expr(call.Args[0])
	rest := make([]doc.Value, len(call.Args)-1)
	for i, a := range call.Args[1:] {
		rest[i] = c.expr(a).ev(&doc.Document{})
	}
	ci := call.CI
	return func(d *doc.Document) doc.Value {
		v := fv.ev(d)
		if v.IsNull() {
			return doc.Value{}
		}
		args := make([]doc.Value, 1+len(rest))
		copy(args[1:], rest)
		for i := 0; i < v.Len(); i++ {
			args[0] = v.At(i)
			if r, _ := truth(f.eval(args, ci)); r {
				return vTrue
			}
		}
		return vFalse
	}
}

func swapOp(op string) string {
	switch op {
	case "<":
		return ">"
	case "<=":
		return ">="
	case ">":
		return "<"
	case ">=":
		return "<="
	}
	return op
}
