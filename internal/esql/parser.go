package esql

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"vigil/internal/doc"
	"vigil/internal/esql/fn"
)

// parser is a hand-written recursive-descent parser over the lexer's tokens.
type parser struct {
	lx      *lexer
	tok     token
	prevEnd int
	spanErr error // deferred time-span literal error
}

// Parse parses an ES|QL query into an AST; errors carry line:col.
func Parse(src string) (*AST, error) {
	p := &parser{lx: newLexer(src)}
	if err := p.advance(); err != nil {
		return nil, err
	}
	q := &AST{Source: src}
	first, err := p.sourceCommand()
	if err != nil {
		return nil, err
	}
	q.Commands = append(q.Commands, first)
	for p.tok.kind == tPipe {
		if err := p.advance(); err != nil {
			return nil, err
		}
		c, err := p.processingCommand()
		if err != nil {
			return nil, err
		}
		q.Commands = append(q.Commands, c)
	}
	if p.tok.kind != tEOF {
		return nil, p.unexpected("{<EOF>, '|'}")
	}
	return q, nil
}

func (p *parser) advance() error {
	p.prevEnd = p.tok.end
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) unexpected(expecting string) error {
	txt := p.tok.text
	if p.tok.kind == tEOF {
		txt = "<EOF>"
	}
	return errAt(p.tok.pos, "mismatched input '"+txt+"' expecting "+expecting)
}

// isKw reports whether the current token is the (case-insensitive) keyword.
func (p *parser) isKw(kw string) bool {
	return p.tok.kind == tIdent && strings.EqualFold(p.tok.text, kw)
}

func (p *parser) expect(k tokKind) (token, error) {
	if p.tok.kind != k {
		return token{}, p.unexpected(tokNames[k])
	}
	t := p.tok
	return t, p.advance()
}

func (p *parser) expectKw(kw string) error {
	if !p.isKw(kw) {
		return p.unexpected("'" + kw + "'")
	}
	return p.advance()
}

func (p *parser) src(start int) string { return p.lx.src[start:p.prevEnd] }

func (p *parser) sourceCommand() (Command, error) {
	pos := p.tok.pos
	switch {
	case p.isKw("from"):
		return p.fromCmd(pos)
	case p.isKw("row"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		fs, err := p.fields()
		if err != nil {
			return nil, err
		}
		return &RowCmd{cmdBase{pos}, fs}, nil
	case p.isKw("show"), p.isKw("ts"), p.isKw("explain"):
		return p.unsupported(pos)
	}
	return nil, p.unexpected("{'explain', 'from', 'row', 'show', 'ts'}")
}

func (p *parser) fromCmd(pos Pos) (Command, error) {
	// Index patterns are lexed raw: they contain '-', '*', ':' and dots.
	c := &FromCmd{cmdBase: cmdBase{pos}}
	for {
		if err := p.lx.skipSpace(); err != nil {
			return nil, err
		}
		var pat token
		var err error
		if p.lx.off < len(p.lx.src) && p.lx.src[p.lx.off] == '"' {
			pat, err = p.lx.lexString(p.lx.off, p.lx.posAt(p.lx.off))
		} else {
			pat, err = p.lx.scanRaw()
		}
		if err != nil {
			return nil, err
		}
		if pat.val == "" {
			p.tok = pat
			return nil, errAt(pat.pos, "missing index pattern")
		}
		c.Patterns = append(c.Patterns, pat.val)
		p.tok = pat
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind != tComma {
			break
		}
		// Continue raw scanning after the comma.
		p.lx.off = p.tok.end
	}
	if p.isKw("metadata") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		for {
			t := p.tok
			if t.kind != tIdent && t.kind != tQIdent {
				return nil, p.unexpected("UNQUOTED_SOURCE")
			}
			c.Metadata = append(c.Metadata, NamePattern{t.pos, t.val})
			if err := p.advance(); err != nil {
				return nil, err
			}
			if p.tok.kind != tComma {
				break
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

func (p *parser) processingCommand() (Command, error) {
	pos := p.tok.pos
	if p.tok.kind != tIdent {
		return nil, p.unexpected("a processing command")
	}
	kw := strings.ToLower(p.tok.text)
	switch kw {
	case "where", "eval", "stats", "inlinestats", "keep", "drop", "rename", "sort", "limit", "mv_expand", "dissect", "grok", "inline", "completion":
	default:
		return p.unsupported(pos)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	switch kw {
	case "completion":
		return p.completionCmd(pos)
	case "where":
		e, err := p.boolExpr()
		if err != nil {
			return nil, err
		}
		return &WhereCmd{cmdBase{pos}, e}, nil
	case "eval":
		fs, err := p.fields()
		if err != nil {
			return nil, err
		}
		return &EvalCmd{cmdBase{pos}, fs}, nil
	case "inline":
		if err := p.expectKw("stats"); err != nil {
			return nil, err
		}
		return p.statsCmd(pos, true)
	case "stats", "inlinestats":
		return p.statsCmd(pos, kw == "inlinestats")
	case "keep", "drop":
		names, err := p.namePatterns()
		if err != nil {
			return nil, err
		}
		if kw == "keep" {
			return &KeepCmd{cmdBase{pos}, names}, nil
		}
		return &DropCmd{cmdBase{pos}, names}, nil
	case "rename":
		c := &RenameCmd{cmdBase: cmdBase{pos}}
		for {
			a, err := p.namePattern()
			if err != nil {
				return nil, err
			}
			if p.tok.kind == tAssign {
				if err := p.advance(); err != nil {
					return nil, err
				}
				b, err := p.namePattern()
				if err != nil {
					return nil, err
				}
				c.Old, c.New = append(c.Old, b), append(c.New, a)
			} else {
				if err := p.expectKw("as"); err != nil {
					return nil, err
				}
				b, err := p.namePattern()
				if err != nil {
					return nil, err
				}
				c.Old, c.New = append(c.Old, a), append(c.New, b)
			}
			if p.tok.kind != tComma {
				return c, nil
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
	case "sort":
		c := &SortCmd{cmdBase: cmdBase{pos}}
		for {
			e, err := p.boolExpr()
			if err != nil {
				return nil, err
			}
			k := SortKey{X: e}
			if p.isKw("asc") {
				if err := p.advance(); err != nil {
					return nil, err
				}
			} else if p.isKw("desc") {
				k.Desc = true
				if err := p.advance(); err != nil {
					return nil, err
				}
			}
			if p.isKw("nulls") {
				if err := p.advance(); err != nil {
					return nil, err
				}
				k.NullsSet = true
				switch {
				case p.isKw("first"):
					k.NullsFirst = true
				case p.isKw("last"):
				default:
					return nil, p.unexpected("{'first', 'last'}")
				}
				if err := p.advance(); err != nil {
					return nil, err
				}
			}
			c.Keys = append(c.Keys, k)
			if p.tok.kind != tComma {
				return c, nil
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
	case "limit":
		t, err := p.expect(tInt)
		if err != nil {
			return nil, err
		}
		n, perr := strconv.Atoi(t.text)
		if perr != nil || n < 0 {
			return nil, errAt(t.pos, "Invalid value for LIMIT ["+t.text+"], expecting a non negative integer")
		}
		return &LimitCmd{cmdBase{pos}, n}, nil
	case "mv_expand":
		n, err := p.namePattern()
		if err != nil {
			return nil, err
		}
		return &MvExpandCmd{cmdBase{pos}, n}, nil
	case "dissect":
		x, err := p.primary()
		if err != nil {
			return nil, err
		}
		pt, err := p.expect(tString)
		if err != nil {
			return nil, err
		}
		c := &DissectCmd{cmdBase: cmdBase{pos}, X: x, Pattern: pt.val, PatPos: pt.pos}
		for p.tok.kind == tIdent && !p.isKw("") {
			opt := p.tok
			if err := p.advance(); err != nil {
				return nil, err
			}
			if _, err := p.expect(tAssign); err != nil {
				return nil, err
			}
			v, err := p.expect(tString)
			if err != nil {
				return nil, err
			}
			if !strings.EqualFold(opt.text, "append_separator") {
				return nil, errAt(opt.pos, "Invalid option for dissect: ["+opt.text+"]")
			}
			c.AppendSep = v.val
			if p.tok.kind != tComma {
				break
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		return c, nil
	case "grok":
		x, err := p.primary()
		if err != nil {
			return nil, err
		}
		pt, err := p.expect(tString)
		if err != nil {
			return nil, err
		}
		c := &GrokCmd{cmdBase: cmdBase{pos}, X: x, Patterns: []string{pt.val}, PatPos: pt.pos}
		for p.tok.kind == tComma {
			if err := p.advance(); err != nil {
				return nil, err
			}
			pt, err := p.expect(tString)
			if err != nil {
				return nil, err
			}
			c.Patterns = append(c.Patterns, pt.val)
		}
		return c, nil
	}
	panic("unreachable")
}

// completionCmd parses COMPLETION's arguments: `[target =] prompt WITH
// { "inference_id": "…", … }`, or `WITH endpoint` (Elasticsearch 9.1).
func (p *parser) completionCmd(pos Pos) (Command, error) {
	f, err := p.field()
	if err != nil {
		return nil, err
	}
	c := &CompletionCmd{cmdBase: cmdBase{pos}, Target: "completion", Prompt: f.X}
	if f.NamePos != f.X.Pos() { // `target = prompt`
		c.Target = f.Name
	}
	if err := p.expectKw("with"); err != nil {
		return nil, err
	}
	if p.tok.kind == tLBrace {
		m, err := p.mapLiteral()
		if err != nil {
			return nil, err
		}
		c.Options = m.(*MapExpr)
		return c, nil
	}
	if c.ID, _, err = p.qualifiedName(); err != nil {
		return nil, err
	}
	return c, nil
}

// unsupported consumes a command Vigil does not run, balancing brackets, up
// to the next top-level pipe.
func (p *parser) unsupported(pos Pos) (Command, error) {
	start := p.tok.off
	name := strings.ToUpper(p.tok.text)
	if name == "LOOKUP" {
		name = "LOOKUP JOIN"
	}
	depth := 0
	for p.tok.kind != tEOF {
		switch p.tok.kind {
		case tLParen, tLBrack, tLBrace:
			depth++
		case tRParen, tRBrack, tRBrace:
			depth--
		case tPipe:
			if depth <= 0 {
				return &UnsupportedCmd{cmdBase{pos}, name, p.src(start)}, nil
			}
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	return &UnsupportedCmd{cmdBase{pos}, name, p.src(start)}, nil
}

func (p *parser) statsCmd(pos Pos, inline bool) (Command, error) {
	c := &StatsCmd{cmdBase: cmdBase{pos}, Inline: inline}
	if !p.isKw("by") && p.tok.kind != tPipe && p.tok.kind != tEOF {
		fs, err := p.fieldsWhere(true)
		if err != nil {
			return nil, err
		}
		c.Aggs = fs
	}
	if p.isKw("by") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		fs, err := p.fieldsWhere(false)
		if err != nil {
			return nil, err
		}
		c.By = fs
	}
	return c, nil
}

func (p *parser) fields() ([]Field, error) { return p.fieldsWhere(false) }

func (p *parser) fieldsWhere(allowWhere bool) ([]Field, error) {
	var out []Field
	for {
		f, err := p.field()
		if err != nil {
			return nil, err
		}
		if allowWhere && p.isKw("where") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			w, err := p.boolExpr()
			if err != nil {
				return nil, err
			}
			f.Where = w
		}
		out = append(out, f)
		if p.tok.kind != tComma {
			return out, nil
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
}

// field parses `qualifiedName = expr` or a bare expression.
func (p *parser) field() (Field, error) {
	// Look ahead for "name =": save lexer state to backtrack.
	if p.tok.kind == tIdent || p.tok.kind == tQIdent {
		save, saveTok, savePrev := *p.lx, p.tok, p.prevEnd
		name, npos, err := p.qualifiedName()
		if err == nil && p.tok.kind == tAssign {
			if err := p.advance(); err != nil {
				return Field{}, err
			}
			x, err := p.boolExpr()
			if err != nil {
				return Field{}, err
			}
			return Field{Name: name, NamePos: npos, X: x}, nil
		}
		*p.lx, p.tok, p.prevEnd = save, saveTok, savePrev
	}
	x, err := p.boolExpr()
	if err != nil {
		return Field{}, err
	}
	name := x.Src()
	if id, ok := x.(*Ident); ok {
		name = id.Name // `a`.b names the column a.b
	}
	return Field{Name: name, NamePos: x.Pos(), X: x}, nil
}

// qualifiedName parses ident(.ident)*; back-quoted parts are taken verbatim.
func (p *parser) qualifiedName() (string, Pos, error) {
	pos := p.tok.pos
	var b strings.Builder
	for {
		if p.tok.kind != tIdent && p.tok.kind != tQIdent {
			return "", pos, p.unexpected("{UNQUOTED_IDENTIFIER, QUOTED_IDENTIFIER}")
		}
		b.WriteString(p.tok.val)
		if err := p.advance(); err != nil {
			return "", pos, err
		}
		if p.tok.kind != tDot || p.tok.off != p.prevEnd {
			return b.String(), pos, nil
		}
		b.WriteByte('.')
		if err := p.advance(); err != nil {
			return "", pos, err
		}
	}
}

// namePattern parses a name that may contain `*`, joining adjacent tokens.
func (p *parser) namePattern() (NamePattern, error) {
	pos := p.tok.pos
	var b strings.Builder
	n := 0
	for {
		switch p.tok.kind {
		case tIdent, tQIdent, tStar, tDot:
		case tInt:
			if n == 0 {
				return NamePattern{}, p.unexpected("{UNQUOTED_ID_PATTERN, QUOTED_IDENTIFIER}")
			}
		default:
			if n == 0 {
				return NamePattern{}, p.unexpected("{UNQUOTED_ID_PATTERN, QUOTED_IDENTIFIER}")
			}
			return NamePattern{pos, b.String()}, nil
		}
		if n > 0 && p.tok.off != p.prevEnd {
			return NamePattern{pos, b.String()}, nil
		}
		if p.tok.kind == tIdent && n == 0 && (p.isKw("as")) {
			return NamePattern{}, p.unexpected("{UNQUOTED_ID_PATTERN, QUOTED_IDENTIFIER}")
		}
		b.WriteString(p.tok.val)
		n++
		if err := p.advance(); err != nil {
			return NamePattern{}, err
		}
	}
}

func (p *parser) namePatterns() ([]NamePattern, error) {
	var out []NamePattern
	for {
		n, err := p.namePattern()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
		if p.tok.kind != tComma {
			return out, nil
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
}

// Expression grammar, loosest first: OR, AND, NOT, predicates (comparison,
// IN, LIKE, IS NULL), additive, multiplicative, unary minus, cast, primary.

func (p *parser) boolExpr() (Expr, error) {
	start, pos := p.tok.off, p.tok.pos
	l, err := p.andExpr()
	if err != nil {
		return nil, err
	}
	for p.isKw("or") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		r, err := p.andExpr()
		if err != nil {
			return nil, err
		}
		l = &Logical{node{pos, p.src(start)}, false, l, r}
	}
	return l, nil
}

func (p *parser) andExpr() (Expr, error) {
	start, pos := p.tok.off, p.tok.pos
	l, err := p.notExpr()
	if err != nil {
		return nil, err
	}
	for p.isKw("and") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		r, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		l = &Logical{node{pos, p.src(start)}, true, l, r}
	}
	return l, nil
}

func (p *parser) notExpr() (Expr, error) {
	if p.isKw("not") {
		start, pos := p.tok.off, p.tok.pos
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		return &Not{node{pos, p.src(start)}, x}, nil
	}
	return p.predicate()
}

func (p *parser) predicate() (Expr, error) {
	start, pos := p.tok.off, p.tok.pos
	l, err := p.additive()
	if err != nil {
		return nil, err
	}
	var op string
	switch p.tok.kind {
	case tEq, tNeq, tLt, tLte, tGt, tGte, tCIEq, tColon:
		// ':' is the full-text MATCH operator (field : "query").
		op = p.tok.text
	}
	if op != "" {
		if err := p.advance(); err != nil {
			return nil, err
		}
		r, err := p.additive()
		if err != nil {
			return nil, err
		}
		return &Binary{node{pos, p.src(start)}, op, l, r}, nil
	}
	for {
		not := false
		if p.isKw("not") {
			// NOT here must introduce IN / LIKE / RLIKE.
			save, saveTok, savePrev := *p.lx, p.tok, p.prevEnd
			if err := p.advance(); err != nil {
				return nil, err
			}
			if !p.isKw("in") && !p.isKw("like") && !p.isKw("rlike") {
				*p.lx, p.tok, p.prevEnd = save, saveTok, savePrev
				return l, nil
			}
			not = true
		}
		switch {
		case p.isKw("is"):
			if err := p.advance(); err != nil {
				return nil, err
			}
			neg := false
			if p.isKw("not") {
				neg = true
				if err := p.advance(); err != nil {
					return nil, err
				}
			}
			if err := p.expectKw("null"); err != nil {
				return nil, err
			}
			l = &IsNull{node{pos, p.src(start)}, l, neg}
		case p.isKw("in"):
			if err := p.advance(); err != nil {
				return nil, err
			}
			if _, err := p.expect(tLParen); err != nil {
				return nil, err
			}
			var list []Expr
			for {
				e, err := p.boolExpr()
				if err != nil {
					return nil, err
				}
				list = append(list, e)
				if p.tok.kind != tComma {
					break
				}
				if err := p.advance(); err != nil {
					return nil, err
				}
			}
			if _, err := p.expect(tRParen); err != nil {
				return nil, err
			}
			l = &In{node{pos, p.src(start)}, l, list, not}
		case p.isKw("like"), p.isKw("rlike"):
			regex := p.isKw("rlike")
			if err := p.advance(); err != nil {
				return nil, err
			}
			var pats []Expr
			if p.tok.kind == tLParen {
				if err := p.advance(); err != nil {
					return nil, err
				}
				for {
					e, err := p.primary()
					if err != nil {
						return nil, err
					}
					pats = append(pats, e)
					if p.tok.kind != tComma {
						break
					}
					if err := p.advance(); err != nil {
						return nil, err
					}
				}
				if _, err := p.expect(tRParen); err != nil {
					return nil, err
				}
			} else {
				e, err := p.primary()
				if err != nil {
					return nil, err
				}
				pats = []Expr{e}
			}
			l = &Like{node{pos, p.src(start)}, l, pats, regex, not}
		default:
			return l, nil
		}
	}
}

func (p *parser) additive() (Expr, error) {
	start, pos := p.tok.off, p.tok.pos
	l, err := p.multiplicative()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tPlus || p.tok.kind == tMinus {
		op := p.tok.text
		if err := p.advance(); err != nil {
			return nil, err
		}
		r, err := p.multiplicative()
		if err != nil {
			return nil, err
		}
		l = &Binary{node{pos, p.src(start)}, op, l, r}
	}
	return l, nil
}

func (p *parser) multiplicative() (Expr, error) {
	start, pos := p.tok.off, p.tok.pos
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tStar || p.tok.kind == tSlash || p.tok.kind == tPercent {
		op := p.tok.text
		if err := p.advance(); err != nil {
			return nil, err
		}
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &Binary{node{pos, p.src(start)}, op, l, r}
	}
	return l, nil
}

func (p *parser) unary() (Expr, error) {
	if p.tok.kind == tMinus || p.tok.kind == tPlus {
		start, pos := p.tok.off, p.tok.pos
		neg := p.tok.kind == tMinus
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		if !neg {
			return x, nil
		}
		return &Neg{node{pos, p.src(start)}, x}, nil
	}
	return p.castExpr()
}

func (p *parser) castExpr() (Expr, error) {
	start, pos := p.tok.off, p.tok.pos
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tCast {
		if err := p.advance(); err != nil {
			return nil, err
		}
		t := p.tok
		if t.kind != tIdent {
			return nil, p.unexpected("UNQUOTED_IDENTIFIER")
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		x = &Cast{node{pos, p.src(start)}, x, t.text, t.pos}
	}
	return x, nil
}

var timeUnits = map[string]bool{}

func init() {
	for _, u := range []string{"millisecond", "milliseconds", "ms", "second", "seconds", "sec", "s",
		"minute", "minutes", "min", "m", "hour", "hours", "h", "day", "days", "d",
		"week", "weeks", "w", "month", "months", "mo", "quarter", "quarters", "q",
		"year", "years", "yr", "y"} {
		timeUnits[u] = true
	}
}

func (p *parser) primary() (Expr, error) {
	t := p.tok
	start, pos := t.off, t.pos
	switch t.kind {
	case tInt, tDecimal:
		if err := p.advance(); err != nil {
			return nil, err
		}
		// A number followed by a time unit is a time-span literal.
		if p.tok.kind == tIdent && timeUnits[strings.ToLower(p.tok.text)] && t.kind == tInt {
			unit := p.tok.text
			if err := p.advance(); err != nil {
				return nil, err
			}
			n, err := strconv.ParseInt(t.text, 10, 64)
			if err != nil {
				return nil, errAt(pos, "Number ["+t.text+"] is too large")
			}
			v, err := fn.ParseTimeSpan(n, unit)
			if err != nil {
				return nil, errAt(pos, err.Error())
			}
			return &Literal{node{pos, p.src(start)}, v}, nil
		}
		v, err := numberValue(t)
		if err != nil {
			return nil, err
		}
		return &Literal{node{pos, p.src(start)}, v}, nil
	case tString:
		if err := p.advance(); err != nil {
			return nil, err
		}
		return &Literal{node{pos, p.src(start)}, doc.KeywordOf(t.val)}, nil
	case tLParen:
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, err := p.boolExpr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen); err != nil {
			return nil, err
		}
		return x, nil
	case tLBrack:
		return p.listLiteral()
	case tLBrace:
		return p.mapLiteral()
	case tParam:
		return nil, errAt(pos, "query parameters are not supported")
	case tIdent, tQIdent:
		if t.kind == tIdent {
			switch strings.ToLower(t.text) {
			case "null":
				if err := p.advance(); err != nil {
					return nil, err
				}
				return &Literal{node{pos, t.text}, doc.Value{}}, nil
			case "true", "false":
				if err := p.advance(); err != nil {
					return nil, err
				}
				return &Literal{node{pos, t.text}, doc.Bool(strings.EqualFold(t.text, "true"))}, nil
			}
		}
		name, _, err := p.qualifiedName()
		if err != nil {
			return nil, err
		}
		if p.tok.kind == tLParen && t.kind == tIdent && !strings.Contains(name, ".") {
			return p.call(name, start, pos)
		}
		return &Ident{node{pos, p.src(start)}, name}, nil
	}
	return nil, p.unexpected("an expression")
}

func (p *parser) call(name string, start int, pos Pos) (Expr, error) {
	if err := p.advance(); err != nil { // (
		return nil, err
	}
	c := &Call{Name: name}
	if p.tok.kind == tStar {
		c.Star = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	} else if p.tok.kind != tRParen {
		for {
			e, err := p.boolExpr()
			if err != nil {
				return nil, err
			}
			c.Args = append(c.Args, e)
			if p.tok.kind != tComma {
				break
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
	}
	if _, err := p.expect(tRParen); err != nil {
		return nil, err
	}
	c.node = node{pos, p.src(start)}
	return c, nil
}

// listLiteral parses `[c, c, …]` of constants of one kind.
func (p *parser) listLiteral() (Expr, error) {
	start, pos := p.tok.off, p.tok.pos
	if err := p.advance(); err != nil {
		return nil, err
	}
	var elems []doc.Value
	for p.tok.kind != tRBrack {
		neg := false
		if p.tok.kind == tMinus {
			neg = true
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		t := p.tok
		var v doc.Value
		switch {
		case t.kind == tInt || t.kind == tDecimal:
			txt := t.text
			if neg {
				t.text = "-" + t.text
			}
			var err error
			v, err = numberValue(t)
			t.text = txt
			if err != nil {
				return nil, err
			}
		case t.kind == tString && !neg:
			v = doc.KeywordOf(t.val)
		case t.kind == tIdent && !neg && (strings.EqualFold(t.text, "true") || strings.EqualFold(t.text, "false")):
			v = doc.Bool(strings.EqualFold(t.text, "true"))
		case t.kind == tIdent && !neg && strings.EqualFold(t.text, "null"):
		default:
			return nil, p.unexpected("a constant")
		}
		elems = append(elems, v)
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind == tComma {
			if err := p.advance(); err != nil {
				return nil, err
			}
		} else if p.tok.kind != tRBrack {
			return nil, p.unexpected("{',', ']'}")
		}
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	// Mixed integer/long/double lists widen to the widest numeric type.
	var t doc.Type
	for _, e := range elems {
		if e.T > t && e.T.IsNumeric() && (t == doc.Null || t.IsNumeric()) {
			t = e.T
		} else if t == doc.Null {
			t = e.T
		}
	}
	for i, e := range elems {
		if t.IsNumeric() && e.T.IsNumeric() && e.T != t {
			elems[i] = widen(e, t)
		}
	}
	return &Literal{node{pos, p.src(start)}, doc.Multi(t, elems)}, nil
}

func widen(v doc.Value, t doc.Type) doc.Value {
	switch t {
	case doc.Long:
		return doc.Long64(v.I)
	case doc.Double:
		return doc.Float(v.AsFloat())
	case doc.UnsignedLong:
		return doc.ULong(uint64(v.I))
	}
	return v
}

func (p *parser) mapLiteral() (Expr, error) {
	start, pos := p.tok.off, p.tok.pos
	if err := p.advance(); err != nil {
		return nil, err
	}
	m := &MapExpr{}
	for p.tok.kind != tRBrace {
		k, err := p.expect(tString)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tColon); err != nil {
			return nil, err
		}
		v, err := p.primary()
		if err != nil {
			return nil, err
		}
		m.Keys, m.Vals = append(m.Keys, k.val), append(m.Vals, v)
		if p.tok.kind != tComma {
			break
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if _, err := p.expect(tRBrace); err != nil {
		return nil, err
	}
	m.node = node{pos, p.src(start)}
	return m, nil
}

// numberValue types a numeric literal as ES does: integers fitting int32 are
// integer, then long, then unsigned_long, then double; decimals are double.
func numberValue(t token) (doc.Value, error) {
	if t.kind == tDecimal {
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil && !math.IsInf(f, 0) {
			return doc.Value{}, errAt(t.pos, "Invalid decimal ["+t.text+"]")
		}
		return doc.Float(f), nil
	}
	if i, err := strconv.ParseInt(t.text, 10, 64); err == nil {
		if i >= math.MinInt32 && i <= math.MaxInt32 {
			return doc.Int(int32(i)), nil
		}
		return doc.Long64(i), nil
	}
	if u, err := strconv.ParseUint(t.text, 10, 64); err == nil {
		return doc.ULong(u), nil
	}
	f, _ := new(big.Float).SetString(t.text)
	if f == nil {
		return doc.Value{}, errAt(t.pos, "Invalid number ["+t.text+"]")
	}
	d, _ := f.Float64()
	return doc.Float(d), nil
}
