package esql

import (
	"sort"
	"strings"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql/agg"
	"vigil/internal/esql/fn"
	"vigil/internal/esql/logical"
	"vigil/internal/esql/registry"
	"vigil/internal/match/editdistance"
)

// warnSite is one expression that can emit evaluation warnings.
type warnSite struct {
	pos Pos
	src string
	// asFalse: CASE conditions word their warning "treating result as false".
	asFalse bool
}

// compiler holds analysis state while a query compiles.
type compiler struct {
	q       *Query
	errs    []*Error
	sites   []warnSite
	nslots  int
	loads   []*attr
	foldCtx *ctx
	now     time.Time
	mapping *doc.Mapping
	// kibanaKQL: KQL() reads Kibana's kuery dialect (Options.KibanaKQL).
	kibanaKQL bool
	// kqlOK is true while compiling a WHERE that sits directly over FROM
	// (possibly after other such WHEREs), the only place KQL() may appear.
	kqlOK     bool
	kqlAfter  string
	kqlFields []string
	// aggs collects aggregate calls while compiling one STATS.
	aggCtx      *aggCollector
	compileWarn []string
	// reads, while set, collects the slots of the columns compiled
	// expressions read (what a WHERE or EVAL depends on).
	reads *[]int
	// cmds is the logical plan's commands so far.
	cmds []logical.Command
	// noSuggest: Options.NoSuggestions.
	noSuggest bool
	// nodeSites maps the plan nodes that can fail to their warning sites,
	// for the columnar lowering (Query.siteOf).
	nodeSites map[logical.Expr]int
}

// siteOf records that plan node n fails at warning site.
func (c *compiler) siteOf(n logical.Expr, site int) {
	if c.nodeSites == nil {
		c.nodeSites = map[logical.Expr]int{}
	}
	c.nodeSites[n] = site
}

func (c *compiler) use(a *attr) int {
	if a.slot < 0 {
		a.slot = c.nslots
		c.nslots++
		if a.src != "" || a.meta != metaNone {
			c.loads = append(c.loads, a)
		}
	}
	if c.reads != nil {
		*c.reads = append(*c.reads, a.slot)
	}
	return a.slot
}

func (c *compiler) newSlot() int {
	c.nslots++
	return c.nslots - 1
}

func (c *compiler) warnOnce(w string) {
	for _, x := range c.compileWarn {
		if x == w {
			return
		}
	}
	c.compileWarn = append(c.compileWarn, w)
}

// unknownColumn words ES's error, with its "did you mean" suggestions.
func (c *compiler) unknownColumn(name string, sc *scope) string {
	var cands []string
	lname, d, cols := strings.ToLower(name), maxDist(name), sc.cols
	if c.noSuggest {
		cols = nil
	}
	for _, a := range cols {
		// Bounded returns at once when the length difference exceeds d,
		// skipping the O(n·m) table for most of a mapping's thousands of
		// fields, and stops as soon as no alignment is within d.
		la := strings.ToLower(a.name)
		if editdistance.Bounded([]byte(lname), []byte(la), false, d) <= d {
			cands = append(cands, a.name)
		}
	}
	sort.Strings(cands)
	msg := "Unknown column [" + name + "]"
	switch len(cands) {
	case 0:
	case 1:
		msg += ", did you mean [" + cands[0] + "]?"
	default:
		msg += ", did you mean any of [" + strings.Join(cands, ", ") + "]?"
	}
	return msg
}

func maxDist(s string) int {
	if len(s) < 4 {
		return 0
	}
	if len(s) < 8 {
		return 1
	}
	return 2
}

func (c *compiler) call(e *Call, sc *scope) *cexpr {
	name := strings.ToUpper(e.Name)
	switch name {
	case "CASE":
		return c.caseExpr(e, sc)
	case "NOW":
		if len(e.Args) != 0 {
			return c.errf(e.P, "error building [now]: function does not take arguments")
		}
		c.q.usesNow = true
		return constExpr(doc.TimeOf(c.now), doc.Date, e.Txt, e.P)
	case "KQL":
		return c.kqlCall(e, sc)
	case "WEIGHTED_AVG":
		return c.weightedAvg(e, sc)
	case "MATCH":
		return c.matchCall(e, sc)
	}
	if af, ok := agg.Lookup(name); ok {
		if c.aggCtx == nil {
			return c.errf(e.P, "aggregate function ["+e.Txt+"] not allowed outside STATS command")
		}
		return c.aggCall(af, e, sc)
	}
	f, ok := fn.Lookup(name)
	if !ok {
		if registry.ElasticsearchFunction(name) { // Vigil's gap, not the query's
			return c.errf(e.P, "["+name+"] function is not supported yet")
		}
		return c.errf(e.P, "Unknown function ["+e.Name+"]")
	}
	if e.Star {
		return c.errf(e.P, "Invalid argument [*] for function ["+e.Name+"]")
	}
	if n := len(e.Args); n < f.MinArgs || (f.MaxArgs >= 0 && n > f.MaxArgs) {
		return c.errf(e.P, arityMsg(e, f.MinArgs, f.MaxArgs))
	}
	args := make([]*cexpr, len(e.Args))
	types := make([]doc.Type, len(e.Args))
	consts := make([]*doc.Value, len(e.Args))
	nerr := len(c.errs)
	for i, a := range e.Args {
		args[i] = c.expr(a, sc)
		types[i] = args[i].t
		if args[i].konst {
			v := args[i].val
			consts[i] = &v
		}
	}
	if len(c.errs) > nerr {
		return constExpr(doc.Value{}, doc.Null, e.Txt, e.P)
	}
	t, ev, err := f.Resolve(types, consts)
	// A string literal where a datetime, ip or version is expected is cast
	// to it, as Elasticsearch's analyzer does (date.csv-spec
	// evalDateDiffString: DATE_DIFF("microseconds", d, "2023-12-02T11:00:00.001Z")).
	for tries := 0; err != nil && tries < len(args); tries++ {
		te, ok := err.(*fn.TypeError)
		if !ok || te.Arg >= len(args) || !args[te.Arg].konst || args[te.Arg].t != doc.Keyword {
			break
		}
		to := literalCastTarget(te.Expected)
		if to == doc.Null {
			break
		}
		cx := c.implicitCast(args[te.Arg], to)
		if cx.t != to {
			break
		}
		args[te.Arg], types[te.Arg] = cx, to
		consts[te.Arg] = nil
		if cx.konst {
			v := cx.val
			consts[te.Arg] = &v
		}
		t, ev, err = f.Resolve(types, consts)
	}
	if err != nil {
		return c.errf(e.P, typeErr(err, e.Txt, e.Args, f.MaxArgs == 1))
	}
	x := c.apply(e.Txt, e.P, t, ev, args, logical.Function, name)
	if name == "DATE_TRUNC" && args[0].konst && args[1].field != "" && args[1].t.IsTemporal() &&
		(args[0].val.T == doc.TimeDuration || args[0].val.T == doc.DatePeriod) && !args[0].val.IsMulti() {
		x.bucket = &timeBucket{field: args[1].field, span: args[0].val}
	}
	return x
}

func arityMsg(e *Call, lo, hi int) string {
	name := strings.ToLower(e.Name)
	switch {
	case lo == hi && lo == 1:
		return "error building [" + name + "]: expects exactly one argument"
	case lo == hi:
		return "error building [" + name + "]: expects exactly " + itoa(lo) + " arguments"
	case hi < 0:
		return "error building [" + name + "]: expects at least " + itoa(lo) + " arguments"
	}
	return "error building [" + name + "]: expects between " + itoa(lo) + " and " + itoa(hi) + " arguments"
}

// commonType is the type CASE (and similar) branches unify to: numeric
// types widen (integer < long < double), otherwise types must agree.
func commonType(a, b doc.Type) (doc.Type, bool) {
	switch {
	case a == doc.Null:
		return b, true
	case b == doc.Null, a == b:
		return a, true
	case a.IsNumeric() && b.IsNumeric():
		if a == doc.UnsignedLong || b == doc.UnsignedLong {
			return doc.Null, false
		}
		if a == doc.Double || b == doc.Double {
			return doc.Double, true
		}
		return doc.Long, true
	case a.IsString() && b.IsString():
		// keyword and text mix as text? ES treats them as compatible; the
		// result takes the first branch's type.
		return a, true
	}
	return doc.Null, false
}

func convertTo(v doc.Value, t doc.Type) doc.Value {
	if v.IsNull() || v.T == t {
		return v
	}
	if t.IsString() && v.T.IsString() {
		v.T = t
		if v.M != nil {
			m := make([]doc.Value, len(v.M))
			for i, e := range v.M {
				e.T = t
				m[i] = e
			}
			v.M = m
		}
		return v
	}
	if !t.IsNumeric() {
		return v
	}
	if v.M != nil {
		out := make([]doc.Value, len(v.M))
		for i, e := range v.M {
			out[i] = widen(e, t)
		}
		return doc.Value{T: t, M: out}
	}
	return widen(v, t)
}

// caseExpr compiles CASE lazily: only the chosen branch is evaluated. A null
// condition is false; a multi-valued one is false with a warning.
func (c *compiler) caseExpr(e *Call, sc *scope) *cexpr {
	if len(e.Args) < 2 {
		return c.errf(e.P, "error building [case]: expects at least two arguments")
	}
	nerr := len(c.errs)
	args := make([]*cexpr, len(e.Args))
	for i, a := range e.Args {
		args[i] = c.expr(a, sc)
	}
	if len(c.errs) > nerr {
		return constExpr(doc.Value{}, doc.Null, e.Txt, e.P)
	}
	t := doc.Null
	for i, a := range args {
		isCond := i%2 == 0 && i+1 < len(args)
		if isCond {
			if a.t != doc.Boolean && a.t != doc.Null {
				return c.errf(e.P, ordinal(i)+" argument of ["+e.Txt+"] must be [boolean], found value ["+e.Args[i].Src()+"] type ["+a.t.String()+"]")
			}
			continue
		}
		nt, ok := commonType(t, a.t)
		if !ok {
			return c.errf(e.Args[i].Pos(), ordinal(i)+" argument of ["+e.Txt+"] must be ["+t.String()+"], found value ["+e.Args[i].Src()+"] type ["+a.t.String()+"]")
		}
		t = nt
	}
	// CASE yields keyword for text arms (ES fix_case_partial_fold_keyword_type).
	if t == doc.Text {
		t = doc.Keyword
	}
	site := c.site(e.P, e.Txt)
	c.sites[site].asFalse = true
	// Partial folding: constant conditions are decided now (a multi-valued
	// constant warns once here, as ES's partiallyFold does).
	type branch struct {
		cond  evalFn // nil: always taken (else or constant true)
		value evalFn
	}
	var branches []branch
	var elseV evalFn = func(*ctx, []doc.Value) doc.Value { return doc.Value{} }
	node := &logical.Case{T: t, Src: e.Txt, At: logical.Pos(e.P)}
	c.siteOf(node, site)
	allConst := true
	for i := 0; i+1 < len(args); i += 2 {
		cond, val := args[i], args[i+1]
		if cond.konst {
			v := cond.val
			if v.IsMulti() {
				c.foldCtx.fail(site, fn.ErrMultiValue)
				continue
			}
			if v.IsNull() || !v.Bool() {
				continue
			}
			branches = append(branches, branch{nil, val.eval})
			node.When, node.Then = append(node.When, nil), append(node.Then, val.node)
			if !val.konst {
				allConst = false
			}
			goto built
		}
		allConst = false
		branches = append(branches, branch{cond.eval, val.eval})
		node.When, node.Then = append(node.When, cond.node), append(node.Then, val.node)
	}
	if len(args)%2 == 1 {
		last := args[len(args)-1]
		elseV = last.eval
		node.Else = last.node
		if !last.konst {
			allConst = false
		}
	}
built:
	conv := func(v doc.Value) doc.Value { return convertTo(v, t) }
	r := &cexpr{t: t, src: e.Txt, pos: e.P, node: node, eval: func(x *ctx, row []doc.Value) doc.Value {
		for _, b := range branches {
			if b.cond == nil {
				return conv(b.value(x, row))
			}
			v := b.cond(x, row)
			if v.IsNull() {
				continue
			}
			if v.IsMulti() {
				x.fail(site, fn.ErrMultiValue)
				continue
			}
			if v.Bool() {
				return conv(b.value(x, row))
			}
		}
		return conv(elseV(x, row))
	}}
	if allConst {
		v := r.eval(c.foldCtx, nil)
		return constExpr(v, t, e.Txt, e.P)
	}
	return r
}

// kqlCall compiles KQL("query"): only in a WHERE over FROM, evaluated
// against the source document.
func (c *compiler) kqlCall(e *Call, sc *scope) *cexpr {
	if !c.kqlOK {
		return c.errf(e.P, "[KQL] function is only supported in WHERE and STATS commands")
	}
	if len(e.Args) != 1 {
		return c.errf(e.P, arityMsg(e, 1, 1))
	}
	a := c.expr(e.Args[0], sc)
	if !a.konst || !a.t.IsString() {
		return c.errf(e.Args[0].Pos(), "argument of ["+e.Txt+"] must be a constant string, found value ["+e.Args[0].Src()+"] type ["+a.t.String()+"]")
	}
	if strings.Contains(strings.ToLower(a.val.S), "now") {
		c.q.usesNow = true // KQL date math ("now-1d") reads the clock too
	}
	n, m, fields, err := compileKQL(a.val.S, c.mapping, c.now, c.kibanaKQL)
	if err != nil {
		return c.errf(e.Args[0].Pos(), "Invalid KQL query ["+a.val.S+"]: "+err.Error())
	}
	c.kqlFields = append(c.kqlFields, fields...)
	node := &logical.KQL{Query: a.val.S, AST: n, Match: m, Fields: fields, Src: e.Txt}
	return &cexpr{t: doc.Boolean, src: e.Txt, pos: e.P, node: node, eval: func(x *ctx, _ []doc.Value) doc.Value {
		if x.doc == nil {
			return doc.Value{}
		}
		return doc.Bool(m(x.doc))
	}}
}

// weightedAvg compiles WEIGHTED_AVG(v, w) as Elasticsearch plans it, through
// its surrogate SUM(v * w) / SUM(w) in double arithmetic (WEIGHTED_AVG
// reference page; result type double).
func (c *compiler) weightedAvg(e *Call, sc *scope) *cexpr {
	if c.aggCtx == nil {
		return c.errf(e.P, "aggregate function ["+e.Txt+"] not allowed outside STATS command")
	}
	if len(e.Args) != 2 || e.Star {
		return c.errf(e.P, arityMsg(e, 2, 2))
	}
	v, w := e.Args[0], e.Args[1]
	n := func(txt string) node { return node{P: e.P, Txt: txt} }
	prod := &Binary{node: n(v.Src() + " * " + w.Src()), Op: "*", L: v, R: w}
	num := &Call{node: n("SUM(" + prod.Txt + ")"), Name: "SUM", Args: []Expr{prod}}
	den := &Call{node: n("SUM(" + w.Src() + ")"), Name: "SUM", Args: []Expr{w}}
	numD := &Call{node: n("TO_DOUBLE(" + num.Txt + ")"), Name: "TO_DOUBLE", Args: []Expr{num}}
	div := &Binary{node: n(e.Txt), Op: "/", L: numD, R: den}
	return c.expr(div, sc)
}

// literalCastTarget picks the type a string literal is implicitly cast to for
// a parameter described as expected (a TypeError's wording), or Null.
func literalCastTarget(expected string) doc.Type {
	for _, w := range strings.FieldsFunc(expected, func(r rune) bool { return r == ' ' || r == ',' }) {
		switch w {
		case "datetime", "date":
			return doc.Date
		case "ip":
			return doc.IP
		case "version":
			return doc.Version
		}
	}
	return doc.Null
}
