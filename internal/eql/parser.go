package eql

import (
	"math"
	"strconv"
	"strings"
	"time"

	"vigil/internal/doc"
)

// maxDepth bounds expression nesting so hostile input cannot exhaust the stack.
const maxDepth = 200

type parser struct {
	lx      lexer
	tok     token
	depth   int
	prevEnd int          // end offset of the last token consumed
	ends    map[Expr]int // end offset of every expression
}

// Parse parses a query. On error it returns a partial AST and an ErrorList.
func Parse(query string) (*AST, error) {
	p := &parser{lx: lexer{source: &source{src: query}}, ends: map[Expr]int{}}
	p.next()
	ast := p.statement()
	ast.ends = p.ends
	if len(p.lx.errs) > 0 {
		return ast, p.lx.errs
	}
	return ast, nil
}

func (p *parser) next() {
	p.prevEnd = p.tok.Pos + len(p.tok.Text)
	p.tok = p.lx.next()
}

// mark records where an expression ends (for quoting it in errors).
func (p *parser) mark(x Expr) {
	if _, seen := p.ends[x]; x != nil && !seen { // (x) keeps x's own end
		p.ends[x] = p.prevEnd
	}
}

func (p *parser) errorf(pos int, format string, args ...any) { p.lx.errorf(pos, format, args...) }

func (p *parser) is(text string) bool {
	return (p.tok.Kind == tPunct || p.tok.Kind == tIdent) && p.tok.Text == text
}

func (p *parser) got(text string) bool {
	if p.is(text) {
		p.next()
		return true
	}
	return false
}

func (p *parser) describe() string {
	switch p.tok.Kind {
	case tEOF:
		return "<EOF>"
	case tIllegal:
		return "'" + p.tok.Text + "'"
	}
	return "'" + p.tok.Text + "'"
}

func (p *parser) expect(text string) bool {
	if p.got(text) {
		return true
	}
	p.errorf(p.tok.Pos, "mismatched input %s expecting '%s'", p.describe(), text)
	return false
}

func (p *parser) statement() *AST {
	ast := &AST{}
	switch {
	case p.is("sequence"):
		p.sequence(ast)
	case p.is("sample"):
		p.sample(ast)
	case p.is("join"):
		p.errorf(p.tok.Pos, "Join is not supported")
		return ast
	default:
		f := p.eventFilter()
		ast.Event = &f
	}
	for p.got("|") {
		at := p.tok.Pos
		name := p.tok.Text
		if p.tok.Kind != tIdent {
			p.errorf(at, "mismatched input %s expecting IDENTIFIER", p.describe())
			return ast
		}
		p.next()
		switch name {
		case "head", "tail":
			n := 10
			if p.tok.Kind == tNumber {
				v, err := strconv.Atoi(p.tok.Text)
				if err != nil || v < 0 {
					p.errorf(p.tok.Pos, "Number must be positive, received [%s]", p.tok.Text)
				}
				n = v
				p.next()
			} else if p.is("-") {
				p.errorf(p.tok.Pos, "mismatched input '-' expecting INTEGER_VALUE")
				return ast
			}
			ast.Pipes = append(ast.Pipes, Pipe{At: at, Name: name, N: n})
		default:
			p.errorf(at, "Pipe [%s] is not supported", name)
			// skip its arguments
			for p.tok.Kind != tEOF && !p.is("|") {
				p.next()
			}
		}
	}
	if p.tok.Kind != tEOF {
		p.errorf(p.tok.Pos, "extraneous input %s expecting <EOF>", p.describe())
	}
	return ast
}

func (p *parser) sequence(ast *AST) {
	ast.Sequence = true
	p.next()
	if p.got("by") {
		ast.By = p.joinKeys()
	}
	if p.got("with") {
		p.maxspan(ast)
		if p.is("by") {
			p.errorf(p.tok.Pos, "Please specify sequence [by] before [with] not after")
			p.next()
			p.joinKeys()
		}
	}
	for p.is("[") || p.is("!") {
		ast.Stages = append(ast.Stages, p.stage())
		if len(p.lx.errs) > 0 {
			return
		}
	}
	if p.is("until") {
		p.next()
		st := p.stage()
		ast.Until = &st
	}
	n := 0
	for _, st := range ast.Stages {
		n += st.Runs
	}
	if n < 2 && len(p.lx.errs) == 0 {
		p.errorf(p.tok.Pos, "A sequence requires a minimum of 2 queries, found [%d]", n)
	}
}

// sample parses `sample [by keys] [stage] [by keys] …`: Elasticsearch's
// grammar has no `with` and no `until` for samples, and its stages no
// runs and no missing events (docs: "The with maxspan and with runs
// statements as well as the until keyword are not supported").
func (p *parser) sample(ast *AST) {
	ast.Sample = true
	p.next()
	if p.got("by") {
		ast.By = p.joinKeys()
	}
	if p.is("with") {
		p.errorf(p.tok.Pos, "mismatched input 'with' expecting '['")
		return
	}
	for p.is("[") || p.is("!") {
		at := p.tok.Pos
		st := p.stage()
		if len(p.lx.errs) > 0 {
			return
		}
		if st.Missing {
			p.errorf(at, "Missing events are not supported in sample queries")
			return
		}
		if st.Runs != 1 {
			p.errorf(at, "with runs is not supported in sample queries")
			return
		}
		ast.Stages = append(ast.Stages, st)
	}
	if p.is("until") {
		p.errorf(p.tok.Pos, "mismatched input 'until' expecting {<EOF>, '|', '['}")
		return
	}
	if len(ast.Stages) < 2 {
		p.errorf(p.tok.Pos, "A sample requires a minimum of 2 queries, found [%d]", len(ast.Stages))
	}
}

func (p *parser) maxspan(ast *AST) {
	at := p.tok.Pos
	if !p.got("maxspan") {
		p.errorf(at, "mismatched input %s expecting 'maxspan'", p.describe())
		return
	}
	if !p.expect("=") {
		return
	}
	if p.tok.Kind != tNumber {
		p.errorf(p.tok.Pos, "mismatched input %s expecting {INTEGER_VALUE, DECIMAL_VALUE}", p.describe())
		return
	}
	n, err := strconv.ParseInt(p.tok.Text, 10, 64)
	numAt := p.tok.Pos
	p.next()
	if err != nil {
		p.errorf(numAt, "Decimal time interval [%s] not supported; please use an integer", p.tok.Text)
		return
	}
	unit := "ms"
	if p.tok.Kind == tIdent && p.tok.Pos == numAt+len(strconv.FormatInt(n, 10)) || p.tok.Kind == tIdent && isUnit(p.tok.Text) {
		unit = p.tok.Text
		p.next()
	} else {
		p.errorf(numAt, "No time unit specified, did you mean [s] as in [%ds]?", n)
		return
	}
	d, ok := unitDur(unit)
	if !ok {
		p.errorf(numAt, "Unrecognized time unit [%s] in [%d%s], please specify one of [ms, s, m, h, d]", unit, n, unit)
		return
	}
	if n > int64(math.MaxInt64/d) {
		p.errorf(numAt, "maxspan [%d%s] is too large", n, unit)
		return
	}
	ast.MaxSpan = time.Duration(n) * d
}

func isUnit(s string) bool { _, ok := unitDur(s); return ok }

func unitDur(u string) (time.Duration, bool) {
	switch strings.ToLower(u) {
	case "ms":
		return time.Millisecond, true
	case "s":
		return time.Second, true
	case "m":
		return time.Minute, true
	case "h":
		return time.Hour, true
	case "d":
		return 24 * time.Hour, true
	}
	return 0, false
}

func (p *parser) stage() Stage {
	st := Stage{Runs: 1}
	if p.got("!") {
		st.Missing = true
	}
	if !p.expect("[") {
		return st
	}
	st.Filter = p.eventFilter()
	p.expect("]")
	if p.got("by") {
		st.By = p.joinKeys()
	}
	if p.is("with") {
		p.next()
		at := p.tok.Pos
		if !p.got("runs") {
			p.errorf(at, "mismatched input %s expecting 'runs'", p.describe())
			return st
		}
		p.expect("=")
		n, err := strconv.Atoi(p.tok.Text)
		if p.tok.Kind != tNumber || err != nil || n < 1 || n > 100 {
			p.errorf(p.tok.Pos, "A positive runs value greater than 0 and lower than 100 is required; found [%s]", p.tok.Text)
		}
		p.next()
		st.Runs = n
	}
	return st
}

func (p *parser) joinKeys() []Expr {
	var keys []Expr
	for {
		keys = append(keys, p.expr())
		if !p.got(",") {
			return keys
		}
	}
}

func (p *parser) eventFilter() EventFilter {
	f := EventFilter{At: p.tok.Pos}
	switch {
	case p.is("any"):
		p.next()
	case p.tok.Kind == tIdent && !p.is("where"):
		f.Category = p.tok.Val
		p.next()
	case p.tok.Kind == tString:
		f.Category = p.tok.Val
		p.next()
	default:
		p.errorf(p.tok.Pos, "mismatched input %s expecting {'any', STRING, IDENTIFIER}", p.describe())
		return f
	}
	if !p.expect("where") {
		return f
	}
	f.Cond = p.expr()
	return f
}

func (p *parser) expr() Expr {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		p.errorf(p.tok.Pos, "expression nested too deeply")
		p.tok = token{Kind: tEOF, Pos: len(p.lx.src)}
		p.lx.pos = len(p.lx.src)
		return &Literal{At: p.tok.Pos}
	}
	return p.or()
}

func (p *parser) or() (out Expr) {
	defer func() { p.mark(out) }()
	x := p.and()
	for p.is("or") {
		at := p.tok.Pos
		p.next()
		x = &Binary{At: at, Op: "or", L: x, R: p.and()}
	}
	return x
}

func (p *parser) and() (out Expr) {
	defer func() { p.mark(out) }()
	x := p.not()
	for p.is("and") {
		at := p.tok.Pos
		p.next()
		x = &Binary{At: at, Op: "and", L: x, R: p.not()}
	}
	return x
}

func (p *parser) not() (out Expr) {
	defer func() { p.mark(out) }()
	if p.is("not") {
		at := p.tok.Pos
		p.next()
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return p.expr()
		}
		return &Not{At: at, X: p.not()}
	}
	return p.predicate()
}

func (p *parser) predicate() (out Expr) {
	defer func() { p.mark(out) }()
	x := p.additive()
	at := p.tok.Pos
	switch {
	case p.tok.Kind == tPunct && (p.is("==") || p.is("!=") || p.is("<") || p.is("<=") || p.is(">") || p.is(">=")):
		op := p.tok.Text
		p.next()
		return &Binary{At: at, Op: op, L: x, R: p.additive()}
	case p.is("="):
		p.errorf(at, "Use == instead of = for equality")
		p.next()
		return &Binary{At: at, Op: "==", L: x, R: p.additive()}
	case p.is(":"):
		p.next()
		return &Pattern{At: at, X: x, Op: ":", CI: true, Patterns: p.patternList()}
	case p.is("like"), p.is("like~"), p.is("regex"), p.is("regex~"):
		op := strings.TrimSuffix(p.tok.Text, "~")
		ci := strings.HasSuffix(p.tok.Text, "~")
		p.next()
		return &Pattern{At: at, X: x, Op: op, CI: ci, Patterns: p.patternList()}
	case p.is("in"), p.is("in~"):
		ci := p.tok.Text == "in~"
		p.next()
		return &In{At: at, X: x, CI: ci, List: p.parenList()}
	case p.is("not"):
		p.next()
		if !p.is("in") && !p.is("in~") {
			p.errorf(p.tok.Pos, "mismatched input %s expecting {'in', 'in~'}", p.describe())
			return x
		}
		ci := p.tok.Text == "in~"
		p.next()
		return &In{At: at, X: x, CI: ci, Not: true, List: p.parenList()}
	}
	return x
}

// patternList reads one operand or a parenthesized list of them.
func (p *parser) patternList() []Expr {
	if p.is("(") {
		return p.parenList()
	}
	return []Expr{p.additive()}
}

func (p *parser) parenList() []Expr {
	if !p.expect("(") {
		return nil
	}
	var list []Expr
	for {
		list = append(list, p.expr())
		if !p.got(",") {
			break
		}
	}
	p.expect(")")
	return list
}

func (p *parser) additive() (out Expr) {
	defer func() { p.mark(out) }()
	x := p.multiplicative()
	for p.tok.Kind == tPunct && (p.is("+") || p.is("-")) {
		at, op := p.tok.Pos, p.tok.Text
		p.next()
		x = &Binary{At: at, Op: op, L: x, R: p.multiplicative()}
	}
	return x
}

func (p *parser) multiplicative() (out Expr) {
	defer func() { p.mark(out) }()
	x := p.unary()
	for p.tok.Kind == tPunct && (p.is("*") || p.is("/") || p.is("%")) {
		at, op := p.tok.Pos, p.tok.Text
		p.next()
		x = &Binary{At: at, Op: op, L: x, R: p.unary()}
	}
	return x
}

func (p *parser) unary() (out Expr) {
	defer func() { p.mark(out) }()
	if p.tok.Kind == tPunct && (p.is("-") || p.is("+")) {
		at, op := p.tok.Pos, p.tok.Text
		p.next()
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return p.expr()
		}
		x := p.unary()
		if op == "+" {
			return x
		}
		if l, ok := x.(*Literal); ok && l.Val.T.IsNumeric() {
			v := l.Val
			if v.T == doc.Double {
				v.F = -v.F
			} else {
				v.I = -v.I
			}
			return &Literal{At: at, Val: v}
		}
		return &Neg{At: at, X: x}
	}
	return p.primary()
}

func (p *parser) primary() (out Expr) {
	defer func() { p.mark(out) }()
	t := p.tok
	switch t.Kind {
	case tNumber:
		p.next()
		if i, err := strconv.ParseInt(t.Text, 10, 64); err == nil {
			return &Literal{At: t.Pos, Val: doc.Long64(i)}
		}
		f, err := strconv.ParseFloat(t.Text, 64)
		if err != nil || math.IsInf(f, 0) {
			p.errorf(t.Pos, "Number [%s] is too large", t.Text)
		}
		return &Literal{At: t.Pos, Val: doc.Float(f)}
	case tString:
		p.next()
		return &Literal{At: t.Pos, Val: doc.KeywordOf(t.Val)}
	case tIdent:
		switch t.Text {
		case "true", "false":
			p.next()
			return &Literal{At: t.Pos, Val: doc.Bool(t.Text == "true")}
		case "null":
			p.next()
			return &Literal{At: t.Pos}
		case "and", "or", "not", "in", "in~", "like", "like~", "regex", "regex~", "where", "by", "with", "until", "sequence", "sample", "join", "any":
			p.errorf(t.Pos, "mismatched input '%s' expecting {<expression>}", t.Text)
			p.next()
			return &Literal{At: t.Pos}
		}
		p.next()
		if p.is("(") && !strings.HasPrefix(t.Text, "`") {
			return p.call(t)
		}
		if strings.HasSuffix(t.Val, "~") {
			p.errorf(t.Pos, "mismatched input '%s'", t.Text)
		}
		return &FieldRef{At: t.Pos, Name: t.Val}
	case tPunct:
		switch t.Text {
		case "(":
			p.next()
			x := p.expr()
			p.expect(")")
			return x
		case "?":
			p.next()
			if p.tok.Kind != tIdent || p.tok.Pos != t.Pos+1 {
				p.errorf(p.tok.Pos, "mismatched input %s expecting IDENTIFIER", p.describe())
				return &Literal{At: t.Pos}
			}
			f := &FieldRef{At: t.Pos, Name: p.tok.Val, Optional: true}
			p.next()
			return f
		}
	}
	p.errorf(t.Pos, "mismatched input %s expecting {<expression>}", p.describe())
	if t.Kind != tEOF {
		p.next()
	}
	return &Literal{At: t.Pos}
}

func (p *parser) call(name token) Expr {
	c := &Call{At: name.Pos, Name: strings.TrimSuffix(name.Text, "~"), CI: strings.HasSuffix(name.Text, "~")}
	p.next() // (
	if p.got(")") {
		return c
	}
	for {
		c.Args = append(c.Args, p.expr())
		if !p.got(",") {
			break
		}
	}
	p.expect(")")
	return c
}
