package esql

import (
	"errors"
	"math"
	"slices"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql/agg"
	"vigil/internal/esql/fn"
	"vigil/internal/esql/logical"
)

// evalFn evaluates a compiled expression against one row. The row is a slot
// array shared by the whole plan; x carries per-execution state (warnings,
// argument stack, the source document for KQL()).
type evalFn func(x *ctx, row []doc.Value) doc.Value

// cexpr is a compiled, typed expression: its plan node and, lowered for
// the row executor, its closure.
type cexpr struct {
	t     doc.Type
	node  logical.Expr
	eval  evalFn
	konst bool // foldable: val holds the value
	val   doc.Value
	src   string
	pos   Pos
	// nullLit marks the literal `null` (for "always evaluates to NULL").
	nullLit bool
	// field is the document field a bare column reference reads ("" otherwise).
	field string
	// bucket is set when the value is a fixed time bucket of a document
	// field (DATE_TRUNC(span, @timestamp), directly or through columns).
	bucket *timeBucket
}

// timeBucket is a column's provenance as a time window: the document field
// it truncates and the span, so the engine can tell when a window closed.
type timeBucket struct {
	field string
	span  doc.Value // TimeDuration or DatePeriod
}

// end returns when the window starting at start (a Date or DateNanos key)
// ends, in epoch milliseconds.
func (b *timeBucket) end(start doc.Value) int64 {
	t := start.Time()
	if b.span.T == doc.DatePeriod {
		return t.AddDate(0, int(b.span.I), int(b.span.F)).UnixMilli()
	}
	return t.Add(time.Duration(b.span.I)).UnixMilli()
}

func constExpr(v doc.Value, t doc.Type, src string, pos Pos) *cexpr {
	return &cexpr{t: t, konst: true, val: v, src: src, pos: pos, node: &logical.Lit{Val: v, T: t, Src: src},
		eval: func(*ctx, []doc.Value) doc.Value { return v }}
}

// scope is the schema visible to a command: ordered columns, unique names.
type scope struct {
	cols []*attr
}

// attr is one column. Source fields get a slot only once something reads them.
type attr struct {
	name   string
	t      doc.Type
	slot   int
	src    string // document field name; "" for computed columns
	meta   metaKind
	es     string // mapping type for unsupported-field errors
	konst  *doc.Value
	bucket *timeBucket  // see cexpr.bucket
	col    *logical.Col // its plan column; made on first use for source fields
}

// column returns a's plan column. Source fields get theirs only when
// something refers to them, so a plan keeps the columns it uses, not the
// whole mapping.
func (a *attr) column() *logical.Col {
	if a.col == nil {
		a.col = &logical.Col{Name: a.name, Type: a.t, Field: a.src}
	}
	return a.col
}

type metaKind uint8

const (
	metaNone metaKind = iota
	metaID
	metaIndex
	metaVersion
	metaSource
)

func (s *scope) lookup(name string) *attr {
	for i := len(s.cols) - 1; i >= 0; i-- {
		if s.cols[i].name == name {
			return s.cols[i]
		}
	}
	return nil
}

// add appends a column, replacing (and so moving to the end) any of that name.
func (s *scope) add(a *attr) {
	out := s.cols[:0:0]
	for _, c := range s.cols {
		if c.name != a.name {
			out = append(out, c)
		}
	}
	s.cols = append(out, a)
}

func (s *scope) clone() *scope { return &scope{cols: append([]*attr(nil), s.cols...)} }

var opOf = map[string]fn.Op{"+": fn.Add, "-": fn.Sub, "*": fn.Mul, "/": fn.Div, "%": fn.Mod,
	"==": fn.Eq, "!=": fn.Neq, "<": fn.Lt, "<=": fn.Lte, ">": fn.Gt, ">=": fn.Gte}

func (c *compiler) errf(p Pos, msg string) *cexpr {
	c.errs = append(c.errs, errAt(p, msg))
	return constExpr(doc.Value{}, doc.Null, "", p)
}

// typeErr words a function/operator argument type error like Elasticsearch.
func typeErr(err error, src string, args []Expr, single bool) string {
	arg, expected, found := -1, "", doc.Null
	var te *fn.TypeError
	var ae *agg.TypeError
	var oe *fn.OperandError
	switch {
	case errors.As(err, &te):
		arg, expected, found = te.Arg, te.Expected, te.Found
	case errors.As(err, &ae):
		arg, expected, found = ae.Arg, ae.Expected, ae.Found
	case errors.As(err, &oe):
		return oe.Message(src)
	default:
		return err.Error()
	}
	ord := ""
	if !single {
		ord = ordinal(arg) + " "
	}
	val := ""
	if arg < len(args) {
		val = args[arg].Src()
	}
	return ord + "argument of [" + src + "] must be [" + expected + "], found value [" + val + "] type [" + found.String() + "]"
}

func ordinal(i int) string {
	names := []string{"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"}
	if i < len(names) {
		return names[i]
	}
	return itoa(i+1) + "th"
}

// expr compiles an expression in scope sc.
func (c *compiler) expr(e Expr, sc *scope) *cexpr {
	switch e := e.(type) {
	case *Literal:
		t := e.Val.T
		x := constExpr(e.Val, t, e.Txt, e.P)
		x.nullLit = t == doc.Null
		return x
	case *Ident:
		a := sc.lookup(e.Name)
		if a == nil {
			if c.aggCtx != nil && c.aggCtx.input.lookup(e.Name) != nil {
				return c.errf(e.P, "column ["+e.Name+"] must appear in the STATS BY clause or be used in an aggregate function")
			}
			return c.errf(e.P, c.unknownColumn(e.Name, sc))
		}
		if a.t == doc.Unsupported {
			return c.errf(e.P, "Cannot use field ["+e.Name+"] with unsupported type ["+a.es+"]")
		}
		if a.konst != nil {
			x := constExpr(*a.konst, a.t, e.Txt, e.P)
			return x
		}
		slot := c.use(a)
		x := &cexpr{t: a.t, src: e.Txt, pos: e.P, bucket: a.bucket, node: &logical.Ref{Col: a.column(), Src: e.Txt},
			eval: func(_ *ctx, row []doc.Value) doc.Value { return row[slot] }}
		if a.meta == metaNone {
			x.field = a.src
		}
		return x
	case *Call:
		return c.call(e, sc)
	case *Binary:
		return c.binary(e, sc)
	case *Neg:
		// A signed integer literal is read whole, as Elasticsearch's grammar
		// does (integerValue: (PLUS | MINUS)? INTEGER_LITERAL): -2147483648 is
		// an integer, -9223372036854775808 a long and anything lower a double
		// (capability fix_parsing_large_negative_numbers).
		if lit, ok := e.X.(*Literal); ok && lit.Val.M == nil {
			if v, ok := negIntegerLiteral(lit.Val); ok {
				return constExpr(v, v.T, e.Txt, e.P)
			}
		}
		x := c.expr(e.X, sc)
		t, ev, err := fn.Negate(x.t)
		if err != nil {
			return c.errf(e.P, typeErr(err, e.Txt, []Expr{e.X}, true))
		}
		return c.apply(e.Txt, e.P, t, ev, []*cexpr{x}, logical.Operator, "-")
	case *Logical:
		return c.logical(e, sc)
	case *Not:
		x := c.expr(e.X, sc)
		if x.t != doc.Boolean && x.t != doc.Null {
			return c.errf(e.P, "argument of ["+e.Txt+"] must be [boolean], found value ["+e.X.Src()+"] type ["+x.t.String()+"]")
		}
		site := c.site(e.P, e.Txt)
		node := &logical.Not{X: x.node, Src: e.Txt, At: logical.Pos(e.P)}
		c.siteOf(node, site)
		r := &cexpr{t: doc.Boolean, src: e.Txt, pos: e.P, node: node, eval: func(xc *ctx, row []doc.Value) doc.Value {
			v := x.eval(xc, row)
			if v.IsNull() {
				return v
			}
			if v.IsMulti() {
				xc.fail(site, fn.ErrMultiValue)
				return doc.Value{}
			}
			return doc.Bool(!v.Bool())
		}}
		return c.fold(r, x)
	case *IsNull:
		x := c.expr(e.X, sc)
		not := e.Not
		r := &cexpr{t: doc.Boolean, src: e.Txt, pos: e.P, node: &logical.IsNull{X: x.node, Not: not, Src: e.Txt}, eval: func(xc *ctx, row []doc.Value) doc.Value {
			return doc.Bool(x.eval(xc, row).IsNull() != not)
		}}
		return c.fold(r, x)
	case *In:
		return c.in(e, sc)
	case *Like:
		return c.like(e, sc)
	case *Cast:
		x := c.expr(e.X, sc)
		to, ok := fn.CastType(e.Type)
		if !ok {
			return c.errf(e.TPos, "Unknown data type named ["+e.Type+"]")
		}
		ev, err := fn.Cast(x.t, to)
		if err != nil {
			return c.errf(e.P, typeErr(err, e.Txt, []Expr{e.X}, true))
		}
		return c.apply(e.Txt, e.P, to, ev, []*cexpr{x}, logical.Cast, to.String())
	case *MapExpr:
		return c.errf(e.P, "map expressions are only allowed as command options")
	}
	return c.errf(e.Pos(), "unsupported expression")
}

// site registers a warning site (one per expression that can fail).
func (c *compiler) site(p Pos, src string) int {
	c.sites = append(c.sites, warnSite{pos: p, src: src})
	return len(c.sites) - 1
}

// fold evaluates r at compile time when all its inputs are constant.
func (c *compiler) fold(r *cexpr, inputs ...*cexpr) *cexpr {
	for _, in := range inputs {
		if !in.konst {
			return r
		}
	}
	v := r.eval(c.foldCtx, nil)
	out := constExpr(v, r.t, r.src, r.pos)
	return out
}

// apply wraps a fn.Eval over compiled arguments: arguments are pushed on the
// execution's stack (no per-row allocation); a failure adds the two-line
// warning and yields what the Eval returned with its error: null, except for
// conversions of a multi-value, which keep the elements that converted
// (TO_INTEGER([1, 501379200000]) is 1, per the TO_INTEGER reference page).
func (c *compiler) apply(src string, p Pos, t doc.Type, ev fn.Eval, args []*cexpr, kind logical.CallKind, name string) *cexpr {
	site := c.site(p, src)
	var eval evalFn
	switch len(args) {
	case 1:
		a0 := args[0].eval
		eval = func(x *ctx, row []doc.Value) doc.Value {
			base := len(x.stack)
			x.stack = append(x.stack, a0(x, row))
			v, err := ev(x.stack[base : base+1])
			x.stack = x.stack[:base]
			if err != nil {
				x.fail(site, err)
			}
			return v
		}
	case 2:
		a0, a1 := args[0].eval, args[1].eval
		eval = func(x *ctx, row []doc.Value) doc.Value {
			base := len(x.stack)
			l := a0(x, row)
			r := a1(x, row)
			x.stack = append(x.stack, l, r)
			v, err := ev(x.stack[base : base+2])
			x.stack = x.stack[:base]
			if err != nil {
				x.fail(site, err)
			}
			return v
		}
	default:
		evs := make([]evalFn, len(args))
		for i, a := range args {
			evs[i] = a.eval
		}
		eval = func(x *ctx, row []doc.Value) doc.Value {
			base := len(x.stack)
			for _, a := range evs {
				v := a(x, row)
				x.stack = append(x.stack, v)
			}
			v, err := ev(x.stack[base : base+len(evs)])
			x.stack = x.stack[:base]
			if err != nil {
				x.fail(site, err)
			}
			return v
		}
	}
	node := &logical.Call{Kind: kind, Name: name, T: t, Eval: ev, Src: src, At: logical.Pos(p)}
	c.siteOf(node, site)
	for _, a := range args {
		node.Args = append(node.Args, a.node)
	}
	r := &cexpr{t: t, src: src, pos: p, eval: eval, node: node}
	return c.fold(r, args...)
}

// implicitCast converts a string constant compared with a typed operand
// (datetime, ip, version, boolean, numbers) the way ES's analyzer does.
func (c *compiler) implicitCast(x *cexpr, to doc.Type) *cexpr {
	if !x.konst || x.t != doc.Keyword || to == doc.Keyword || to == doc.Text || to == doc.Null {
		return x
	}
	switch to {
	case doc.Date, doc.DateNanos, doc.IP, doc.Version, doc.Boolean:
	default:
		return x
	}
	ev, err := fn.Cast(doc.Keyword, to)
	if err != nil {
		return x
	}
	return c.apply(x.src, x.pos, to, ev, []*cexpr{x}, logical.Cast, to.String())
}

func (c *compiler) binary(e *Binary, sc *scope) *cexpr {
	if e.Op == ":" {
		return c.matchOperator(e, sc)
	}
	l, r := c.expr(e.L, sc), c.expr(e.R, sc)
	if e.Op == "=~" {
		if !(l.t.IsString() || l.t == doc.Null) || !(r.t.IsString() || r.t == doc.Null) {
			return c.errf(e.P, "first argument of ["+e.Txt+"] must be [string], found value ["+e.L.Src()+"] type ["+l.t.String()+"]")
		}
		return c.apply(e.Txt, e.P, doc.Boolean, fn.InsensitiveEquals, []*cexpr{l, r}, logical.Operator, e.Op)
	}
	op := opOf[e.Op]
	if op >= fn.Eq {
		l, r = c.implicitCast(l, r.t), c.implicitCast(r, l.t)
	} else if e.Op == "+" || e.Op == "-" {
		// A string constant added to a time span is a datetime
		// (convert.csv-spec convertToDatePeriodTimeDuration: "2024-01-01" + u::date_period).
		if r.t == doc.DatePeriod || r.t == doc.TimeDuration {
			l = c.implicitCast(l, doc.Date)
		}
		if e.Op == "+" && (l.t == doc.DatePeriod || l.t == doc.TimeDuration) {
			r = c.implicitCast(r, doc.Date)
		}
	}
	t, ev, err := fn.Binary(op, l.t, r.t)
	if err != nil {
		return c.errf(e.P, typeErr(err, e.Txt, []Expr{e.L, e.R}, false))
	}
	if (l.nullLit || r.nullLit) && l.konst && r.konst {
		c.warnOnce("Line " + itoa(e.P.Line) + ":" + itoa(e.P.Col) + ": Expression [" + e.Txt + "] always evaluates to NULL.")
	}
	return c.apply(e.Txt, e.P, t, ev, []*cexpr{l, r}, logical.Operator, e.Op)
}

func (c *compiler) logical(e *Logical, sc *scope) *cexpr {
	l, r := c.expr(e.L, sc), c.expr(e.R, sc)
	for i, x := range []*cexpr{l, r} {
		if x.t != doc.Boolean && x.t != doc.Null {
			sub := e.L
			if i == 1 {
				sub = e.R
			}
			return c.errf(e.P, ordinal(i)+" argument of ["+e.Txt+"] must be [boolean], found value ["+sub.Src()+"] type ["+x.t.String()+"]")
		}
	}
	site := c.site(e.P, e.Txt)
	and := e.And
	// tri reads a boolean operand: 0 false, 1 true, 2 null.
	tri := func(x *ctx, v doc.Value) int {
		if v.IsNull() {
			return 2
		}
		if v.IsMulti() {
			x.fail(site, fn.ErrMultiValue)
			return 2
		}
		if v.Bool() {
			return 1
		}
		return 0
	}
	le, re := l.eval, r.eval
	node := &logical.Logical{And: and, L: l.node, R: r.node, Src: e.Txt, At: logical.Pos(e.P)}
	c.siteOf(node, site)
	res := &cexpr{t: doc.Boolean, src: e.Txt, pos: e.P, node: node, eval: func(x *ctx, row []doc.Value) doc.Value {
		a := tri(x, le(x, row))
		if and && a == 0 {
			return doc.Bool(false)
		}
		if !and && a == 1 {
			return doc.Bool(true)
		}
		b := tri(x, re(x, row))
		if and {
			switch {
			case b == 0:
				return doc.Bool(false)
			case a == 1 && b == 1:
				return doc.Bool(true)
			}
			return doc.Value{}
		}
		switch {
		case b == 1:
			return doc.Bool(true)
		case a == 0 && b == 0:
			return doc.Bool(false)
		}
		return doc.Value{}
	}}
	return c.fold(res, l, r)
}

func (c *compiler) in(e *In, sc *scope) *cexpr {
	x := c.expr(e.X, sc)
	type item struct {
		ev  evalFn
		cmp fn.Eval
	}
	var items []item
	var all = []*cexpr{x}
	node := &logical.In{X: x.node, Not: e.Not, Src: e.Txt, At: logical.Pos(e.P)}
	// strs holds the list when it is string constants against a string:
	// equality is then byte equality, tested without an evaluation each.
	strs, allStrs := []string{}, x.t.IsString()
	for _, le := range e.List {
		v := c.expr(le, sc)
		all = append(all, v)
		if allStrs && v.konst && v.t.IsString() && !v.val.IsNull() && !v.val.IsMulti() {
			strs = append(strs, v.val.S)
		} else {
			allStrs = false
		}
		if v.t == doc.Null {
			items = append(items, item{ev: v.eval})
			node.List = append(node.List, v.node)
			continue
		}
		v = c.implicitCast(v, x.t)
		node.List = append(node.List, v.node)
		xt := x.t
		if xt == doc.Null {
			xt = v.t
		}
		_, cmp, err := fn.Binary(fn.Eq, xt, v.t)
		if err != nil {
			return c.errf(le.Pos(), nth(len(items)+2)+" argument of ["+e.Txt+"] must be ["+x.t.String()+"], found value ["+le.Src()+"] type ["+v.t.String()+"]")
		}
		items = append(items, item{ev: v.eval, cmp: cmp})
	}
	site := c.site(e.P, e.Txt)
	c.siteOf(node, site)
	not := e.Not
	xe := x.eval
	r := &cexpr{t: doc.Boolean, src: e.Txt, pos: e.P, node: node, eval: func(xc *ctx, row []doc.Value) doc.Value {
		v := xe(xc, row)
		if v.IsNull() {
			return v
		}
		if v.IsMulti() {
			xc.fail(site, fn.ErrMultiValue)
			return doc.Value{}
		}
		if allStrs {
			return doc.Bool(slices.Contains(strs, v.S) != not)
		}
		sawNull := false
		for _, it := range items {
			w := it.ev(xc, row)
			if w.IsNull() || it.cmp == nil {
				sawNull = true
				continue
			}
			if w.IsMulti() {
				sawNull = true
				continue
			}
			base := len(xc.stack)
			xc.stack = append(xc.stack, v, w)
			res, _ := it.cmp(xc.stack[base : base+2])
			xc.stack = xc.stack[:base]
			if !res.IsNull() && res.Bool() {
				return doc.Bool(!not)
			}
		}
		if sawNull {
			return doc.Value{}
		}
		return doc.Bool(not)
	}}
	return c.fold(r, all...)
}

func (c *compiler) like(e *Like, sc *scope) *cexpr {
	x := c.expr(e.X, sc)
	if !x.t.IsString() && x.t != doc.Null {
		return c.errf(e.P, "argument of ["+e.Txt+"] must be [string], found value ["+e.X.Src()+"] type ["+x.t.String()+"]")
	}
	var ms []func(string) bool
	node := &logical.Like{X: x.node, Regex: e.Regex, Not: e.Not, Src: e.Txt, At: logical.Pos(e.P)}
	for _, pe := range e.Patterns {
		p := c.expr(pe, sc)
		if !p.konst {
			return c.errf(pe.Pos(), "pattern must be a constant, found ["+pe.Src()+"]")
		}
		if p.val.IsNull() {
			// A null pattern makes the predicate null.
			ms = append(ms, nil)
			node.Patterns = append(node.Patterns, nil)
			continue
		}
		if !p.t.IsString() {
			return c.errf(pe.Pos(), "pattern must be a string, found ["+pe.Src()+"] type ["+p.t.String()+"]")
		}
		m, err := compilePattern(p.val.S, e.Regex)
		if err != nil {
			return c.errf(pe.Pos(), "Invalid pattern ["+p.val.S+"]: "+err.Error())
		}
		ms = append(ms, m)
		pat := p.val.S
		node.Patterns = append(node.Patterns, &pat)
	}
	site := c.site(e.P, e.Txt)
	c.siteOf(node, site)
	not := e.Not
	xe := x.eval
	r := &cexpr{t: doc.Boolean, src: e.Txt, pos: e.P, node: node, eval: func(xc *ctx, row []doc.Value) doc.Value {
		v := xe(xc, row)
		if v.IsNull() {
			return v
		}
		if v.IsMulti() {
			xc.fail(site, fn.ErrMultiValue)
			return doc.Value{}
		}
		for _, m := range ms {
			if m == nil {
				return doc.Value{}
			}
			if m(v.S) {
				return doc.Bool(!not)
			}
		}
		return doc.Bool(not)
	}}
	return c.fold(r, x)
}

// nth words a 1-based position as ES's IN errors do ("2nd", "3rd", "11th").
func nth(i int) string {
	suf := "th"
	if i%100 < 11 || i%100 > 13 {
		switch i % 10 {
		case 1:
			suf = "st"
		case 2:
			suf = "nd"
		case 3:
			suf = "rd"
		}
	}
	return itoa(i) + suf
}

// negIntegerLiteral negates an integer literal into the narrowest type that
// holds the result; ok is false for other literals.
func negIntegerLiteral(v doc.Value) (doc.Value, bool) {
	switch v.T {
	case doc.Long:
		if n := -v.I; n >= math.MinInt32 && n <= math.MaxInt32 {
			return doc.Int(int32(n)), true
		}
		return doc.Long64(-v.I), true
	case doc.UnsignedLong:
		u := uint64(v.I)
		if u == 1<<63 {
			return doc.Long64(math.MinInt64), true
		}
		return doc.Float(-float64(u)), true
	}
	return doc.Value{}, false
}
