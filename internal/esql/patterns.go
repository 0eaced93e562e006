package esql

import (
	"vigil/internal/doc"
	"vigil/internal/esql/logical"
	"vigil/internal/match/lucene"
	"vigil/internal/match/wildcard"
)

// compilePattern compiles a LIKE (wildcard) or RLIKE (Lucene regexp) pattern
// once; both are anchored and case-sensitive in ES|QL.
func compilePattern(p string, regex bool) (func(string) bool, error) {
	if regex {
		m, err := lucene.Compile(p, false)
		if err != nil {
			return nil, err
		}
		return m.Match, nil
	}
	m, err := wildcard.Compile(p, false)
	if err != nil {
		return nil, err
	}
	return m.Match, nil
}

// dissectSpec runs DISSECT: new keyword columns from a pattern.
type dissectSpec struct {
	in    evalFn
	pat   *dissectPattern
	slots []int
}

type dissectOp struct {
	x    *ctx
	s    *dissectSpec
	next sink
}

func (s *dissectSpec) build(x *ctx, next sink) sink { return &dissectOp{x, s, next} }
func (o *dissectOp) push(row []doc.Value) bool {
	v := o.s.in(o.x, row)
	if v.M != nil {
		o.pushMulti(row, v)
		return o.next.push(row)
	}
	var vals []string
	ok := false
	if !v.IsNull() {
		vals, ok = o.s.pat.parse(v.S)
	}
	for i, s := range o.s.slots {
		if ok {
			row[s] = doc.KeywordOf(vals[i])
		} else {
			row[s] = doc.Value{}
		}
	}
	return o.next.push(row)
}
func (o *dissectOp) finish() { o.next.finish() }

// pushMulti dissects every value of a multi-valued input: each key gets the
// values of the elements that match, in order, and is null when none does
// (Elasticsearch's dissect.csv-spec multivalueInput).
func (o *dissectOp) pushMulti(row []doc.Value, v doc.Value) {
	acc := make([][]doc.Value, len(o.s.slots))
	for _, e := range v.M {
		if vals, ok := o.s.pat.parse(e.S); ok {
			for i := range acc {
				acc[i] = append(acc[i], doc.KeywordOf(vals[i]))
			}
		}
	}
	for i, s := range o.s.slots {
		row[s] = doc.Multi(doc.Keyword, acc[i])
	}
}

func (c *compiler) dissect(cm *DissectCmd, sc *scope) opSpec {
	x := c.expr(cm.X, sc)
	if !x.t.IsString() && x.t != doc.Null {
		c.errs = append(c.errs, errAt(cm.X.Pos(), "Dissect only supports KEYWORD or TEXT values, found expression ["+cm.X.Src()+"] type ["+x.t.String()+"]"))
		return nil
	}
	p, err := compileDissect(cm.Pattern, cm.AppendSep)
	if err != nil {
		c.errs = append(c.errs, errAt(cm.PatPos, "Invalid pattern for dissect: ["+cm.Pattern+"]"))
		return nil
	}
	spec := &dissectSpec{in: x.eval, pat: p}
	d := &logical.Dissect{X: x.node, Pattern: cm.Pattern}
	for _, k := range p.keys {
		a := &attr{name: k, t: doc.Keyword, slot: c.newSlot(), col: &logical.Col{Name: k, Type: doc.Keyword, By: d}}
		spec.slots = append(spec.slots, a.slot)
		d.Out = append(d.Out, a.col)
		sc.add(a)
	}
	c.cmds = append(c.cmds, d)
	return spec
}

// grokSpec runs GROK: typed columns from named captures.
type grokSpec struct {
	in    evalFn
	pat   *grokPattern
	slots []int
}

type grokOp struct {
	x    *ctx
	s    *grokSpec
	next sink
}

func (s *grokSpec) build(x *ctx, next sink) sink { return &grokOp{x, s, next} }
func (o *grokOp) push(row []doc.Value) bool {
	v := o.s.in(o.x, row)
	if v.M != nil {
		o.pushMulti(row, v)
		return o.next.push(row)
	}
	var vals []doc.Value
	ok := false
	if !v.IsNull() {
		vals, ok = o.s.pat.match(v.S)
	}
	for i, s := range o.s.slots {
		if ok {
			row[s] = vals[i]
		} else {
			row[s] = doc.Value{}
		}
	}
	return o.next.push(row)
}
func (o *grokOp) finish() { o.next.finish() }

// pushMulti matches every value of a multi-valued input, as DISSECT does:
// each column collects the captures of the matching elements in order.
func (o *grokOp) pushMulti(row []doc.Value, v doc.Value) {
	acc := make([][]doc.Value, len(o.s.slots))
	t := make([]doc.Type, len(o.s.slots))
	for _, e := range v.M {
		vals, ok := o.s.pat.match(e.S)
		if !ok {
			continue
		}
		for i, x := range vals {
			if x.IsNull() {
				continue
			}
			t[i] = x.T
			if x.M != nil {
				acc[i] = append(acc[i], x.M...)
			} else {
				acc[i] = append(acc[i], x)
			}
		}
	}
	for i, s := range o.s.slots {
		row[s] = doc.Multi(t[i], acc[i])
	}
}

func (c *compiler) grok(cm *GrokCmd, sc *scope) opSpec {
	x := c.expr(cm.X, sc)
	if !x.t.IsString() && x.t != doc.Null {
		c.errs = append(c.errs, errAt(cm.X.Pos(), "Grok only supports KEYWORD or TEXT values, found expression ["+cm.X.Src()+"] type ["+x.t.String()+"]"))
		return nil
	}
	p, err := compileGrok(cm.Patterns)
	if err != nil {
		c.errs = append(c.errs, errAt(cm.PatPos, "Invalid GROK pattern ["+cm.Patterns[0]+"]: "+err.Error()))
		return nil
	}
	spec := &grokSpec{in: x.eval, pat: p}
	g := &logical.Grok{X: x.node, Patterns: cm.Patterns}
	for _, f := range p.fields {
		a := &attr{name: f.name, t: f.t, slot: c.newSlot(), col: &logical.Col{Name: f.name, Type: f.t, By: g}}
		spec.slots = append(spec.slots, a.slot)
		g.Out = append(g.Out, a.col)
		sc.add(a)
	}
	c.cmds = append(c.cmds, g)
	return spec
}
