package eql

import (
	"strings"

	"vigil/internal/doc"
	"vigil/internal/match/lucene"
	"vigil/internal/match/wildcard"
)

// node is a compiled expression: its evaluator, its static type (Null when
// unknown) and whether it reads no field (so it is folded to a constant).
type node struct {
	ev    evaluator
	t     doc.Type
	konst bool
}

type compiler struct {
	*source
	ends   map[Expr]int // from the parser, for quoting expressions
	m      *doc.Mapping
	fields map[string]bool // fields the query reads (resolved names)
	order  []string
}

func constNode(v doc.Value) node {
	return node{ev: func(*doc.Document) doc.Value { return v }, t: v.T, konst: true}
}

// fold evaluates a constant node once.
func fold(n node) node {
	if !n.konst {
		return n
	}
	v := n.ev(&doc.Document{})
	c := constNode(v)
	if v.IsNull() {
		c.t = n.t
	}
	return c
}

// field resolves a field name against the mapping, following aliases.
// Without a mapping every name resolves to itself.
func (c *compiler) field(at int, name string, optional bool) (string, doc.Type, bool) {
	if c.m == nil {
		return name, doc.Null, true
	}
	f, ok := c.m.Lookup(name)
	if !ok {
		if !optional {
			c.errorf(at, "Unknown column [%s]", name)
		}
		return "", doc.Null, false
	}
	if f.ESType == "alias" && f.Path != "" {
		if t, ok := c.m.Lookup(f.Path); ok {
			f = t
		}
	}
	if f.Type == doc.Unsupported {
		c.errorf(at, "Cannot use field [%s] with unsupported type [%s]", name, f.ESType)
	}
	return f.Name, f.Type, true
}

func (c *compiler) use(name string) {
	if !c.fields[name] {
		c.fields[name] = true
		c.order = append(c.order, name)
	}
}

func (c *compiler) expr(e Expr) node {
	switch e := e.(type) {
	case *Literal:
		return constNode(e.Val)
	case *FieldRef:
		name, t, ok := c.field(e.At, e.Name, e.Optional)
		if !ok {
			return constNode(doc.Value{})
		}
		c.use(name)
		r := name
		return node{ev: func(d *doc.Document) doc.Value { return d.Get(r) }, t: t}
	case *Not:
		x := c.expr(e.X)
		return fold(node{ev: not(x.ev), t: doc.Boolean, konst: x.konst})
	case *Neg:
		x := c.expr(e.X)
		c.wantNumeric(e.X, x)
		return fold(node{ev: func(d *doc.Document) doc.Value {
			return arith("-", doc.Long64(0), first(x.ev(d)))
		}, t: x.t, konst: x.konst})
	case *Binary:
		return c.binary(e)
	case *In:
		return c.in(e)
	case *Pattern:
		return c.pattern(e)
	case *Call:
		return c.call(e)
	}
	return constNode(doc.Value{})
}

func (c *compiler) wantNumeric(e Expr, n node) {
	if n.t != doc.Null && !isNumeric(n.t) {
		c.errorf(e.pos(), "argument of [%s] must be [numeric], found value [%s] type [%s]", c.text(e), c.text(e), esTypeName(n.t))
	}
}

// text returns an expression's source text, as Elasticsearch quotes it in errors.
func (c *compiler) text(e Expr) string {
	start, end := exprStart(e), c.ends[e]
	if start < 0 || end > len(c.src) || end <= start {
		return ""
	}
	return strings.TrimSpace(c.src[start:end])
}

// exprStart is where an expression's text begins: an operator's node sits
// at the operator, its text at its left operand.
func exprStart(e Expr) int {
	switch e := e.(type) {
	case *Binary:
		return exprStart(e.L)
	case *In:
		return exprStart(e.X)
	case *Pattern:
		return exprStart(e.X)
	}
	return e.pos()
}

func esTypeName(t doc.Type) string {
	switch t {
	case doc.Keyword:
		return "keyword"
	case doc.Text:
		return "text"
	case doc.Double:
		return "double"
	case doc.Integer:
		return "integer"
	}
	return t.String()
}

func (c *compiler) binary(e *Binary) node {
	l, r := c.expr(e.L), c.expr(e.R)
	k := l.konst && r.konst
	switch e.Op {
	case "and":
		return fold(node{ev: and(l.ev, r.ev), t: doc.Boolean, konst: k})
	case "or":
		return fold(node{ev: or(l.ev, r.ev), t: doc.Boolean, konst: k})
	case "+", "-", "*", "/", "%":
		c.wantNumeric(e.L, l)
		c.wantNumeric(e.R, r)
		op := e.Op
		t := doc.Long
		if l.t == doc.Double || r.t == doc.Double {
			t = doc.Double
		}
		return fold(node{ev: func(d *doc.Document) doc.Value {
			return arith(op, first(l.ev(d)), first(r.ev(d)))
		}, t: t, konst: k})
	}
	// == and != against the null literal test presence (Elasticsearch turns
	// them into IsNull/IsNotNull); other comparisons with null are null.
	if e.Op == "==" || e.Op == "!=" {
		var other *node
		if isNullLit(e.R) {
			other = &l
		} else if isNullLit(e.L) {
			other = &r
		}
		if other != nil {
			x, want := other.ev, e.Op == "=="
			return fold(node{ev: func(d *doc.Document) doc.Value {
				return doc.Bool(x(d).IsNull() == want)
			}, t: doc.Boolean, konst: other.konst})
		}
	}
	c.checkComparable(e, l, r)
	pred := compareOp(e.Op)
	return fold(node{ev: func(d *doc.Document) doc.Value {
		return anyPair(l.ev(d), r.ev(d), pred)
	}, t: doc.Boolean, konst: k})
}

func isNullLit(e Expr) bool {
	l, ok := e.(*Literal)
	return ok && l.Val.IsNull()
}

// checkComparable rejects comparisons of a string with a number, as
// Elasticsearch's verifier does.
func (c *compiler) checkComparable(e *Binary, l, r node) {
	if l.t == doc.Null || r.t == doc.Null {
		return
	}
	ok := isString(l.t) == isString(r.t) || l.t == doc.IP || r.t == doc.IP || l.t.IsTemporal() || r.t.IsTemporal()
	if !ok {
		c.errorf(e.L.pos(), "first argument of [%s] must be [%s], found value [%s] type [%s]",
			c.text(e.L)+" "+e.Op+" "+c.text(e.R), esTypeName(r.t), c.text(e.L), esTypeName(l.t))
	}
}

func (c *compiler) in(e *In) node {
	x := c.expr(e.X)
	list := make([]node, len(e.List))
	k := x.konst
	for i, le := range e.List {
		list[i] = c.expr(le)
		k = k && list[i].konst
	}
	ci, negate := e.CI, e.Not
	ev := func(d *doc.Document) doc.Value {
		v := x.ev(d)
		if v.IsNull() {
			return doc.Value{}
		}
		for _, n := range list {
			w := n.ev(d)
			if r := anyPair(v, w, func(a, b doc.Value) bool { return equalCI(a, b, ci) }); r.I != 0 {
				return doc.Bool(!negate)
			}
		}
		return doc.Bool(negate)
	}
	return fold(node{ev: ev, t: doc.Boolean, konst: k})
}

// equalCI is equality with optional case-insensitive string comparison.
func equalCI(a, b doc.Value, ci bool) bool {
	if ci && isString(a.T) && isString(b.T) {
		return strings.EqualFold(a.S, b.S)
	}
	c, ok := compareScalars(a, b)
	return ok && c == 0
}

// matcher tests one string against one pattern of a like/regex/: operator.
type matcher func(s string) bool

func (c *compiler) pattern(e *Pattern) node {
	x := c.expr(e.X)
	var ms []matcher
	var dyn []node // non-constant operands of `:`: compared case-insensitively
	var consts []doc.Value
	for _, pe := range e.Patterns {
		n := c.expr(pe)
		if !n.konst {
			if e.Op != ":" {
				c.errorf(pe.pos(), "Comparisons against fields are not (currently) supported; offender [%s] in [%s]", c.text(pe), e.Op)
				continue
			}
			dyn = append(dyn, n)
			continue
		}
		v := n.ev(&doc.Document{})
		if !isString(v.T) {
			if e.Op != ":" {
				c.errorf(pe.pos(), "second argument of [%s] must be [string], found value [%s] type [%s]", e.Op, c.text(pe), esTypeName(v.T))
				continue
			}
			consts = append(consts, v)
			continue
		}
		m := c.compilePattern(pe.pos(), e.Op, v.S, e.CI)
		if m != nil {
			ms = append(ms, m)
		}
		if e.Op == ":" {
			consts = append(consts, v) // for non-string values (an IP's text form)
		}
	}
	ev := func(d *doc.Document) doc.Value {
		v := x.ev(d)
		if v.IsNull() {
			return doc.Value{}
		}
		for i := 0; i < v.Len(); i++ {
			el := v.At(i)
			if isString(el.T) {
				for _, m := range ms {
					if m(el.S) {
						return vTrue
					}
				}
			}
			for _, cv := range consts {
				if !isString(el.T) && equalCI(el, cv, true) {
					return vTrue
				}
			}
			for _, n := range dyn {
				if anyPair(el, n.ev(d), func(a, b doc.Value) bool { return equalCI(a, b, true) }).I != 0 {
					return vTrue
				}
			}
		}
		return vFalse
	}
	return node{ev: ev, t: doc.Boolean}
}

func (c *compiler) compilePattern(at int, op, p string, ci bool) matcher {
	if op == "regex" {
		m, err := lucene.Compile(p, ci)
		if err != nil {
			c.errorf(at, "Invalid regex pattern [%s]: %v", p, err)
			return nil
		}
		return m.Match
	}
	// EQL wildcards are `*` and `?`; a backslash is a literal character.
	m, err := wildcard.Compile(strings.ReplaceAll(p, `\`, `\\`), ci)
	if err != nil {
		c.errorf(at, "Invalid pattern [%s]: %v", p, err)
		return nil
	}
	return m.Match
}
