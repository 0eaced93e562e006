package compute

import (
	"strings"
	"unicode/utf8"
	"unsafe"

	"vigil/internal/doc"
	"vigil/internal/esql/fn"
	"vigil/internal/match/lucene"
	"vigil/internal/match/wildcard"
)

// In tests membership in a constant list, as the row engine's IN: a null
// operand is null, a multi-valued one null with a warning at site; true
// when an item equals it; else null when an item is null or
// multi-valued (or not comparable), false otherwise. items are the list's
// values after the analyzer's implicit casts; each item's type is its T.
// String lists against a string operand compare bytes; integer lists
// against an integer operand compare int64s.
func In(x Expr, items []doc.Value, negate bool, site int) (Expr, error) {
	e := &in{x: x, negate: negate, fp: failPoint{site: site}}
	xt := x.Type()
	e.strs, e.ints = xt.IsString(), xt == doc.Integer || xt == doc.Long
	for _, it := range items {
		single := it.T != doc.Null && it.M == nil
		e.strs = e.strs && single && it.T.IsString()
		e.ints = e.ints && single && (it.T == doc.Integer || it.T == doc.Long)
	}
	for _, it := range items {
		if it.T == doc.Null {
			e.items = append(e.items, inItem{})
			continue
		}
		t := xt
		if t == doc.Null {
			t = it.T
		}
		_, cmp, err := fn.Binary(fn.Eq, t, it.T)
		if err != nil {
			return nil, err
		}
		e.items = append(e.items, inItem{v: it, cmp: cmp})
		e.strList = append(e.strList, it.S)
		e.intList = append(e.intList, it.I)
	}
	if e.strs && len(e.strList) > 16 { // below, comparing lengths first beats hashing
		e.strSet = make(map[string]struct{}, len(e.strList))
		for _, s := range e.strList {
			e.strSet[s] = struct{}{}
		}
	}
	return e, nil
}

type inItem struct {
	v   doc.Value
	cmp fn.Eval // nil for a null item
}

type in struct {
	x          Expr
	negate     bool
	fp         failPoint
	items      []inItem
	strs, ints bool
	strList    []string
	strSet     map[string]struct{}
	intList    []int64
	out        output
	args       [2]doc.Value
}

func (e *in) Type() doc.Type { return doc.Boolean }
func (e *in) number(next *int32) {
	e.x.number(next)
	e.fp.number(next)
}

func (e *in) Eval(c *Ctx, p *Page, sel []int32) *Block {
	b := e.x.Eval(c, p, sel)
	out := e.out.start(doc.Boolean, p.Len)
	fast := e.strs && b.Rep == RepBytes || e.ints && b.Rep == RepInt
	for _, pos := range sel {
		if b.Rep == RepValue {
			e.slow(c, pos, b.Vals[b.pos(pos)])
			continue
		}
		i, n := b.span(pos)
		if n != 1 {
			if n > 1 {
				e.fp.fail(c, pos, fn.ErrMultiValue)
			}
			e.out.w.null(pos)
			continue
		}
		if !fast {
			e.slow(c, pos, b.elem(i))
			continue
		}
		var hit bool
		switch {
		case e.strSet != nil:
			_, hit = e.strSet[b.Strs[i]]
		case e.strs:
			s := b.Strs[i]
			for _, x := range e.strList {
				if x == s {
					hit = true
					break
				}
			}
		default:
			x := b.Ints[i]
			for _, y := range e.intList {
				if x == y {
					hit = true
					break
				}
			}
		}
		out.Nulls[pos] = false
		out.Bools[pos] = hit != e.negate
	}
	return e.out.done()
}

// slow is the row engine's item loop for one position.
func (e *in) slow(c *Ctx, pos int32, v doc.Value) {
	switch {
	case v.T == doc.Null:
		e.out.w.null(pos)
		return
	case v.M != nil:
		e.fp.fail(c, pos, fn.ErrMultiValue)
		e.out.w.null(pos)
		return
	}
	sawNull := false
	for _, it := range e.items {
		if it.cmp == nil || it.v.M != nil {
			sawNull = true
			continue
		}
		e.args[0], e.args[1] = v, it.v
		if r, _ := it.cmp(e.args[:]); r.T != doc.Null && r.I != 0 {
			setTri(&e.out, pos, boolTri(!e.negate))
			return
		}
	}
	if sawNull {
		e.out.w.null(pos)
		return
	}
	setTri(&e.out, pos, boolTri(e.negate))
}

func boolTri(b bool) uint8 {
	if b {
		return triTrue
	}
	return triFalse
}

// Like tests a string against constant patterns (LIKE, or RLIKE with
// regex), with the matchers the row engine compiles: null operand null,
// multi-valued null with a warning at site; true on the first matching
// pattern, null on reaching a null pattern (patterns[i] nil). An
// uncompilable pattern is an error.
func Like(x Expr, patterns []*string, regex, negate bool, site int) (Expr, error) {
	e := &like{x: x, negate: negate, fp: failPoint{site: site}}
	for _, p := range patterns {
		if p == nil {
			e.ms = append(e.ms, nil)
			continue
		}
		var m func(string) bool
		if regex {
			lm, err := lucene.Compile(*p, false)
			if err != nil {
				return nil, err
			}
			m = lm.Match
		} else {
			wm, err := wildcard.Compile(*p, false)
			if err != nil {
				return nil, err
			}
			m = wm.Match
		}
		e.ms = append(e.ms, m)
	}
	return e, nil
}

type like struct {
	x      Expr
	negate bool
	ms     []func(string) bool
	fp     failPoint
	out    output
}

func (e *like) Type() doc.Type { return doc.Boolean }
func (e *like) number(next *int32) {
	e.x.number(next)
	e.fp.number(next)
}

func (e *like) Eval(c *Ctx, p *Page, sel []int32) *Block {
	b := e.x.Eval(c, p, sel)
	e.out.start(doc.Boolean, p.Len)
	if b.Rep == RepBytes && b.Plain() {
		for _, pos := range sel {
			setTri(&e.out, pos, e.match(b.Strs[pos]))
		}
		return e.out.done()
	}
	eachString(c, &e.fp, &e.out, b, sel, func(pos int32, s string) { setTri(&e.out, pos, e.match(s)) })
	return e.out.done()
}

// match is the predicate's value for one string.
func (e *like) match(s string) uint8 {
	for _, m := range e.ms {
		if m == nil {
			return triNull
		}
		if m(s) {
			return boolTri(!e.negate)
		}
	}
	return boolTri(e.negate)
}

// eachString calls f for the selected positions of b holding a single
// string; null positions are null, multi-valued ones null with a failure
// at fp. RepValue blocks (values of other types) are read as the row
// engine would read their S.
func eachString(c *Ctx, fp *failPoint, out *output, b *Block, sel []int32, f func(pos int32, s string)) {
	for _, pos := range sel {
		var s string
		if b.Rep == RepValue {
			v := b.Vals[b.pos(pos)]
			if v.T == doc.Null || v.M != nil {
				if v.M != nil {
					fp.fail(c, pos, fn.ErrMultiValue)
				}
				out.w.null(pos)
				continue
			}
			s = v.S
		} else {
			i, n := b.span(pos)
			if n != 1 {
				if n > 1 {
					fp.fail(c, pos, fn.ErrMultiValue)
				}
				out.w.null(pos)
				continue
			}
			s = b.Strs[i]
		}
		f(pos, s)
	}
}

// MatchAny is true where any value of x is byte-equal to one of strs and
// false elsewhere, null included: a KQL term query on a keyword field.
func MatchAny(x Expr, strs []string) Expr { return &matchAny{x: x, strs: strs} }

type matchAny struct {
	x    Expr
	strs []string
	out  output
}

func (e *matchAny) Type() doc.Type     { return doc.Boolean }
func (e *matchAny) number(next *int32) { e.x.number(next) }

func (e *matchAny) Eval(c *Ctx, p *Page, sel []int32) *Block {
	b := e.x.Eval(c, p, sel)
	out := e.out.start(doc.Boolean, p.Len)
	for _, pos := range sel {
		hit := false
		if b.Rep == RepBytes {
			i, n := b.span(pos)
			for k := i; k < i+n && !hit; k++ {
				hit = e.has(b.Strs[k])
			}
		} else if b.Rep == RepValue {
			v := b.Vals[b.pos(pos)]
			for k := range v.Len() {
				if x := v.At(k); x.T.IsString() && e.has(x.S) {
					hit = true
					break
				}
			}
		}
		out.Bools[pos] = hit
	}
	return e.out.done()
}

func (e *matchAny) has(s string) bool {
	for _, x := range e.strs {
		if x == s {
			return true
		}
	}
	return false
}

// arena holds strings kernels build, for the life of one output.
type arena struct{ buf []byte }

func (a *arena) reset() { a.buf = a.buf[:0] }

// own returns a copy of s kept for good (group keys): a full arena
// starts a new chunk instead of growing, so nothing is copied twice.
func (a *arena) own(s string) string {
	if len(a.buf)+len(s) > cap(a.buf) {
		a.buf = make([]byte, 0, max(len(s), 32<<10))
	}
	return a.add(s)
}

// add returns the concatenation of parts as a string in the arena;
// earlier strings stay valid when it grows (they keep the old array).
func (a *arena) add(parts ...string) string {
	start := len(a.buf)
	for _, p := range parts {
		a.buf = append(a.buf, p...)
	}
	if len(a.buf) == start {
		return ""
	}
	return unsafe.String(&a.buf[start], len(a.buf)-start)
}

// ToLower and ToUpper map every value (a multi-value stays one, without
// warning, as current Elasticsearch does); ASCII strings are mapped here,
// others by the registered function so Java's special cases hold.
func ToLower(x Expr) (Expr, error) { return caseMap(x, "TO_LOWER", 'A', 'Z') }

// ToUpper: see ToLower.
func ToUpper(x Expr) (Expr, error) { return caseMap(x, "TO_UPPER", 'a', 'z') }

func caseMap(x Expr, name string, lo, hi byte) (Expr, error) {
	f, _ := fn.Lookup(name)
	_, ev, err := f.Resolve([]doc.Type{x.Type()}, []*doc.Value{nil})
	if err != nil {
		return nil, err
	}
	return &caseMapper{x: x, ev: ev, lo: lo, hi: hi}, nil
}

type caseMapper struct {
	x      Expr
	ev     fn.Eval
	lo, hi byte
	out    output
	arena  arena
	elems  []doc.Value
	arg    [1]doc.Value
}

func (e *caseMapper) Type() doc.Type     { return doc.Keyword }
func (e *caseMapper) number(next *int32) { e.x.number(next) }

// mapOne maps one string: ASCII here, the rest by the function.
func (e *caseMapper) mapOne(s string) string {
	change := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= utf8.RuneSelf {
			e.arg[0] = doc.KeywordOf(s)
			v, _ := e.ev(e.arg[:])
			return v.S
		}
		change = change || e.lo <= ch && ch <= e.hi
	}
	if !change {
		return s
	}
	start := len(e.arena.buf)
	e.arena.buf = append(e.arena.buf, s...)
	b := e.arena.buf[start:]
	for i, ch := range b {
		if e.lo <= ch && ch <= e.hi {
			b[i] = ch ^ 0x20
		}
	}
	return unsafe.String(&b[0], len(b))
}

func (e *caseMapper) Eval(c *Ctx, p *Page, sel []int32) *Block {
	b := e.x.Eval(c, p, sel)
	e.arena.reset()
	out := e.out.start(doc.Keyword, p.Len)
	if b.Rep != RepBytes {
		// Values of other types: the function itself, position by position.
		for _, pos := range sel {
			e.arg[0] = b.Value(pos)
			v, _ := e.ev(e.arg[:])
			e.out.w.set(pos, v)
		}
		return e.out.done()
	}
	for _, pos := range sel {
		i, n := b.span(pos)
		switch n {
		case 0:
			e.out.w.null(pos)
		case 1:
			if out.Offs == nil {
				out.Nulls[pos] = false
				out.Strs[pos] = e.mapOne(b.Strs[i])
				continue
			}
			e.out.w.set(pos, doc.KeywordOf(e.mapOne(b.Strs[i])))
		default:
			e.elems = e.elems[:0]
			for k := i; k < i+n; k++ {
				e.elems = append(e.elems, doc.KeywordOf(e.mapOne(b.Strs[k])))
			}
			e.out.w.set(pos, doc.Value{T: doc.Keyword, M: e.elems})
		}
	}
	return e.out.done()
}

// strictStrings evaluates a string function of single values the way its
// generated evaluator does: arguments checked in order (null gives null;
// multi-valued gives null and a warning at fp), then f on the strings.
type strictStrings struct {
	t      doc.Type
	args   []Expr
	fp     failPoint
	out    output
	blocks []*Block
	strs   []string
	f      func(e *strictStrings, c *Ctx, pos int32, s []string)
	arena  arena
	ev     fn.Eval // the registered function, for what f leaves to it
	vals   []doc.Value
}

func (e *strictStrings) Type() doc.Type     { return e.t }
func (e *strictStrings) number(next *int32) { numberArgs(next, e.args, &e.fp) }

func (e *strictStrings) Eval(c *Ctx, p *Page, sel []int32) *Block {
	e.blocks = evalArgs(c, p, sel, e.args, e.blocks)
	e.arena.reset()
	e.out.start(e.t, p.Len)
	e.strs = grow(e.strs, len(e.args))
positions:
	for _, pos := range sel {
		for k, b := range e.blocks {
			var s string
			var n int32
			if b.Rep == RepValue {
				v := b.Vals[b.pos(pos)]
				n, s = int32(v.Len()), v.S
			} else {
				var i int32
				i, n = b.span(pos)
				if n == 1 {
					s = b.Strs[i]
				}
			}
			if n != 1 {
				if n > 1 {
					e.fp.fail(c, pos, fn.ErrMultiValue)
				}
				e.out.w.null(pos)
				continue positions
			}
			e.strs[k] = s
		}
		e.out.b.Nulls[pos] = false
		e.f(e, c, pos, e.strs)
	}
	return e.out.done()
}

// slow hands position pos to the registered function (its strings are
// keyword values: the string functions read only S).
func (e *strictStrings) slow(c *Ctx, pos int32, s []string) {
	e.vals = e.vals[:0]
	for _, x := range s {
		e.vals = append(e.vals, doc.KeywordOf(x))
	}
	v, err := e.ev(e.vals)
	if err != nil {
		e.fp.fail(c, pos, err)
	}
	e.out.w.set(pos, v)
}

func stringFunc(name string, t doc.Type, site int, args []Expr, f func(e *strictStrings, c *Ctx, pos int32, s []string)) (Expr, error) {
	fd, ok := fn.Lookup(name)
	if !ok {
		return nil, &fn.TypeError{}
	}
	types := make([]doc.Type, len(args))
	for i, a := range args {
		types[i] = a.Type()
	}
	_, ev, err := fd.Resolve(types, make([]*doc.Value, len(args)))
	if err != nil {
		return nil, err
	}
	return &strictStrings{t: t, args: args, fp: failPoint{site: site}, f: f, ev: ev}, nil
}

// StartsWith is STARTS_WITH(x, prefix).
func StartsWith(x, prefix Expr, site int) (Expr, error) {
	return stringFunc("STARTS_WITH", doc.Boolean, site, []Expr{x, prefix}, func(e *strictStrings, c *Ctx, pos int32, s []string) {
		e.out.b.Bools[pos] = strings.HasPrefix(s[0], s[1])
	})
}

// EndsWith is ENDS_WITH(x, suffix).
func EndsWith(x, suffix Expr, site int) (Expr, error) {
	return stringFunc("ENDS_WITH", doc.Boolean, site, []Expr{x, suffix}, func(e *strictStrings, c *Ctx, pos int32, s []string) {
		e.out.b.Bools[pos] = strings.HasSuffix(s[0], s[1])
	})
}

// Length is LENGTH(x), in code points.
func Length(x Expr, site int) (Expr, error) {
	return stringFunc("LENGTH", doc.Integer, site, []Expr{x}, func(e *strictStrings, c *Ctx, pos int32, s []string) {
		e.out.b.Ints[pos] = int64(utf8.RuneCountInString(s[0]))
	})
}

// concatMax is Elasticsearch's cap on CONCAT's result; longer ones are
// left to the function, which fails with its message.
const concatMax = 1 << 20

// Concat is CONCAT(args...).
func Concat(site int, args ...Expr) (Expr, error) {
	return stringFunc("CONCAT", doc.Keyword, site, args, func(e *strictStrings, c *Ctx, pos int32, s []string) {
		n := 0
		for _, x := range s {
			n += len(x)
		}
		if n > concatMax {
			e.slow(c, pos, s)
			return
		}
		e.out.b.Strs[pos] = e.arena.add(s...)
	})
}
