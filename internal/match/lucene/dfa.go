package lucene

import (
	"fmt"
	"regexp/syntax"
	"sort"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Patterns using intersection (&) or complement (~) have no RE2 form; they
// compile here to a DFA built eagerly from Brzozowski derivatives, which
// handle both operators directly (∂(r&s) = ∂r&∂s, ∂(~r) = ~∂r). Terms are
// hash-consed and unions/intersections kept sorted and de-duplicated, so the
// set of derivatives is finite; the alphabet is split into classes of code
// points no set in the pattern tells apart, so each state has one transition
// per class. Building is bounded like Lucene's determinize work limit.

type tkind uint8

const (
	tNone tkind = iota // ∅, the empty language
	tEps               // the empty string
	tSet               // one code point from a set
	tCat               // a·b
	tRep               // a{min,max}, max -1 = unbounded
	tOr
	tAnd
	tNot
)

type term struct {
	kind     tkind
	set      []rune // tSet: sorted, merged lo/hi pairs
	a, b     int    // tCat children; tRep/tNot child in a
	kids     []int  // tOr / tAnd, sorted ids
	min, max int
	nullable bool
}

type builder struct {
	terms []term
	index map[string]int
	none  int
	eps   int
	all   int // ~∅
	ci    bool
	key   []byte // scratch for intern
}

func newBuilder(ci bool) *builder {
	b := &builder{index: map[string]int{}, ci: ci}
	b.none = b.intern(term{kind: tNone})
	b.eps = b.intern(term{kind: tEps, nullable: true})
	b.all = b.not(b.none)
	return b
}

func (b *builder) intern(t term) int {
	k := b.key[:0]
	k = append(k, byte(t.kind))
	for _, v := range [...]int{t.a, t.b, t.min, t.max} {
		k = strconv.AppendInt(k, int64(v), 36)
		k = append(k, ',')
	}
	for _, r := range t.set {
		k = strconv.AppendInt(k, int64(r), 36)
		k = append(k, ',')
	}
	k = append(k, '|')
	for _, id := range t.kids {
		k = strconv.AppendInt(k, int64(id), 36)
		k = append(k, ',')
	}
	b.key = k
	if id, ok := b.index[string(k)]; ok {
		return id
	}
	b.terms = append(b.terms, t)
	b.index[string(k)] = len(b.terms) - 1
	return len(b.terms) - 1
}

func (b *builder) set(ranges []rune) int {
	rs := normalizeRanges(ranges)
	if len(rs) == 0 {
		return b.none
	}
	return b.intern(term{kind: tSet, set: rs})
}

func normalizeRanges(in []rune) []rune {
	type rg struct{ lo, hi rune }
	rgs := make([]rg, 0, len(in)/2)
	for i := 0; i+1 < len(in); i += 2 {
		rgs = append(rgs, rg{in[i], in[i+1]})
	}
	sort.Slice(rgs, func(i, j int) bool { return rgs[i].lo < rgs[j].lo })
	var out []rune
	for _, r := range rgs {
		if n := len(out); n > 0 && r.lo <= out[n-1]+1 {
			if r.hi > out[n-1] {
				out[n-1] = r.hi
			}
			continue
		}
		out = append(out, r.lo, r.hi)
	}
	return out
}

func negateRanges(rs []rune) []rune {
	rs = normalizeRanges(rs)
	var out []rune
	next := rune(0)
	for i := 0; i+1 < len(rs); i += 2 {
		if rs[i] > next {
			out = append(out, next, rs[i]-1)
		}
		next = rs[i+1] + 1
	}
	if next <= unicode.MaxRune {
		out = append(out, next, unicode.MaxRune)
	}
	return out
}

func (b *builder) cat(x, y int) int {
	switch {
	case x == b.none || y == b.none:
		return b.none
	case x == b.all && y == b.all:
		return b.all
	case x == b.eps:
		return y
	case y == b.eps:
		return x
	}
	if t := b.terms[x]; t.kind == tCat { // keep concatenations right-nested
		return b.cat(t.a, b.cat(t.b, y))
	}
	return b.intern(term{kind: tCat, a: x, b: y, nullable: b.terms[x].nullable && b.terms[y].nullable})
}

func (b *builder) rep(x, lo, hi int) int {
	if b.terms[x].nullable {
		lo = 0
	}
	switch {
	case hi == 0:
		return b.eps
	case x == b.none:
		if lo == 0 {
			return b.eps
		}
		return b.none
	case x == b.eps:
		return b.eps
	case lo == 1 && hi == 1:
		return x
	case lo == 0 && hi < 0 && b.isAnyChar(x):
		return b.all // .* is every string: lets unions absorb it
	}
	return b.intern(term{kind: tRep, a: x, min: lo, max: hi, nullable: lo == 0 || b.terms[x].nullable})
}

func (b *builder) isAnyChar(x int) bool {
	t := b.terms[x]
	return t.kind == tSet && len(t.set) == 2 && t.set[0] == 0 && t.set[1] == unicode.MaxRune
}

func (b *builder) not(x int) int {
	if t := b.terms[x]; t.kind == tNot {
		return t.a
	}
	return b.intern(term{kind: tNot, a: x, nullable: !b.terms[x].nullable})
}

// nary builds a sorted, de-duplicated union or intersection. zero is the
// absorbing element (all for union, none for intersection), unit the neutral.
func (b *builder) nary(kind tkind, xs []int) int {
	zero, unit := b.all, b.none
	if kind == tAnd {
		zero, unit = b.none, b.all
	}
	var flat []int
	for _, x := range xs {
		if t := b.terms[x]; t.kind == kind {
			flat = append(flat, t.kids...)
		} else {
			flat = append(flat, x)
		}
	}
	sort.Ints(flat)
	var kids []int
	nullable := kind == tAnd
	for i, x := range flat {
		if x == zero {
			return zero
		}
		if x == unit || (i > 0 && flat[i-1] == x) {
			continue
		}
		kids = append(kids, x)
		if kind == tOr {
			nullable = nullable || b.terms[x].nullable
		} else {
			nullable = nullable && b.terms[x].nullable
		}
	}
	switch len(kids) {
	case 0:
		return unit
	case 1:
		return kids[0]
	}
	return b.intern(term{kind: kind, kids: kids, nullable: nullable})
}

// deriv returns ∂_r(x).
func (b *builder) deriv(x int, r rune, memo map[[2]int]int) int {
	key := [2]int{x, int(r)}
	if d, ok := memo[key]; ok {
		return d
	}
	t := b.terms[x]
	var d int
	switch t.kind {
	case tNone, tEps:
		d = b.none
	case tSet:
		d = b.none
		i := sort.Search(len(t.set)/2, func(i int) bool { return t.set[2*i+1] >= r })
		if i < len(t.set)/2 && t.set[2*i] <= r {
			d = b.eps
		}
	case tCat:
		d = b.cat(b.deriv(t.a, r, memo), t.b)
		if b.terms[t.a].nullable {
			d = b.nary(tOr, []int{d, b.deriv(t.b, r, memo)})
		}
	case tRep:
		lo, hi := t.min-1, t.max-1
		if lo < 0 {
			lo = 0
		}
		if t.max < 0 {
			hi = -1
		}
		d = b.cat(b.deriv(t.a, r, memo), b.rep(t.a, lo, hi))
	case tOr, tAnd:
		ds := make([]int, len(t.kids))
		for i, k := range t.kids {
			ds[i] = b.deriv(k, r, memo)
		}
		d = b.nary(t.kind, ds)
	case tNot:
		d = b.not(b.deriv(t.a, r, memo))
	}
	memo[key] = d
	return d
}

// collect gathers the boundaries of every set reachable from x.
func (b *builder) collect(x int, seen map[int]bool, bounds map[rune]bool) {
	if seen[x] {
		return
	}
	seen[x] = true
	t := b.terms[x]
	for i := 0; i+1 < len(t.set); i += 2 {
		bounds[t.set[i]] = true
		bounds[t.set[i+1]+1] = true
	}
	switch t.kind {
	case tCat:
		b.collect(t.a, seen, bounds)
		b.collect(t.b, seen, bounds)
	case tRep, tNot:
		b.collect(t.a, seen, bounds)
	case tOr, tAnd:
		for _, k := range t.kids {
			b.collect(k, seen, bounds)
		}
	}
}

// fromNode converts the parsed pattern to a term.
func (b *builder) fromNode(n *node) (int, error) {
	switch n.op {
	case opChar:
		return b.char(n.r), nil
	case opString:
		id := b.eps
		rs := []rune(n.s)
		for i := len(rs) - 1; i >= 0; i-- {
			id = b.cat(b.char(rs[i]), id)
		}
		return id, nil
	case opClass:
		if n.neg {
			return b.set(negateRanges(n.ranges)), nil
		}
		return b.set(n.ranges), nil
	case opAny:
		return b.set([]rune{0, unicode.MaxRune}), nil
	case opAnyString:
		return b.all, nil
	case opEmptyLang:
		return b.none, nil
	case opInterval:
		re, err := syntax.Parse(intervalRegex(n.min, n.max, n.digits), syntax.Perl)
		if err != nil {
			return 0, err
		}
		return b.fromSyntax(re.Simplify())
	case opRepeat:
		x, err := b.fromNode(n.subs[0])
		if err != nil {
			return 0, err
		}
		return b.rep(x, n.min, n.max), nil
	case opCompl:
		x, err := b.fromNode(n.subs[0])
		if err != nil {
			return 0, err
		}
		return b.not(x), nil
	}
	ids := make([]int, len(n.subs))
	for i, s := range n.subs {
		x, err := b.fromNode(s)
		if err != nil {
			return 0, err
		}
		ids[i] = x
	}
	switch n.op {
	case opUnion:
		return b.nary(tOr, ids), nil
	case opInter:
		return b.nary(tAnd, ids), nil
	}
	id := b.eps // opConcat
	for i := len(ids) - 1; i >= 0; i-- {
		id = b.cat(ids[i], id)
	}
	return id, nil
}

func (b *builder) char(r rune) int {
	if b.ci {
		var rs []rune
		for _, f := range foldOrbit(r) {
			rs = append(rs, f, f)
		}
		return b.set(rs)
	}
	return b.set([]rune{r, r})
}

// fromSyntax converts the small RE2 subset intervalRegex produces.
func (b *builder) fromSyntax(re *syntax.Regexp) (int, error) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return b.eps, nil
	case syntax.OpLiteral:
		id := b.eps
		for i := len(re.Rune) - 1; i >= 0; i-- {
			id = b.cat(b.set([]rune{re.Rune[i], re.Rune[i]}), id)
		}
		return id, nil
	case syntax.OpCharClass:
		return b.set(append([]rune(nil), re.Rune...)), nil
	case syntax.OpCapture:
		return b.fromSyntax(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		x, err := b.fromSyntax(re.Sub[0])
		if err != nil {
			return 0, err
		}
		var lo, hi int
		switch re.Op {
		case syntax.OpStar:
			lo, hi = 0, -1
		case syntax.OpPlus:
			lo, hi = 1, -1
		case syntax.OpQuest:
			lo, hi = 0, 1
		default:
			lo, hi = re.Min, re.Max
		}
		return b.rep(x, lo, hi), nil
	case syntax.OpConcat, syntax.OpAlternate:
		ids := make([]int, len(re.Sub))
		for i, s := range re.Sub {
			x, err := b.fromSyntax(s)
			if err != nil {
				return 0, err
			}
			ids[i] = x
		}
		if re.Op == syntax.OpAlternate {
			return b.nary(tOr, ids), nil
		}
		id := b.eps
		for i := len(ids) - 1; i >= 0; i-- {
			id = b.cat(ids[i], id)
		}
		return id, nil
	}
	return 0, fmt.Errorf("unexpected interval regexp op %v", re.Op)
}

// dfaMatcher is an immutable DFA over code-point classes.
type dfaMatcher struct {
	ascii  [utf8.RuneSelf]int32
	bounds []rune // class i covers [bounds[i], bounds[i+1])
	ncls   int
	trans  []int32 // state*ncls + class
	accept []bool
	dead   int32 // the ∅ state, or -1
	live   int32 // the state accepting every string, or -1
}

// maxDFAWork caps states × classes, in the spirit of Lucene's
// DEFAULT_DETERMINIZE_WORK_LIMIT.
const maxDFAWork = 1 << 20

func buildDFA(n *node, ci bool) (*dfaMatcher, error) {
	b := newBuilder(ci)
	start, err := b.fromNode(n)
	if err != nil {
		return nil, &Error{Line: 1, Col: 1, Msg: err.Error()}
	}
	bset := map[rune]bool{0: true}
	b.collect(start, map[int]bool{}, bset)
	bounds := make([]rune, 0, len(bset))
	for r := range bset {
		if r <= unicode.MaxRune {
			bounds = append(bounds, r)
		}
	}
	sort.Slice(bounds, func(i, j int) bool { return bounds[i] < bounds[j] })
	d := &dfaMatcher{bounds: bounds, ncls: len(bounds), dead: -1, live: -1}
	for c := rune(0); c < utf8.RuneSelf; c++ {
		d.ascii[c] = int32(d.class(c))
	}
	stateOf := map[int]int32{start: 0}
	queue := []int{start}
	memo := map[[2]int]int{}
	for qi := 0; qi < len(queue); qi++ {
		x := queue[qi]
		switch x {
		case b.none:
			d.dead = int32(qi)
		case b.all:
			d.live = int32(qi)
		}
		d.accept = append(d.accept, b.terms[x].nullable)
		for c := 0; c < d.ncls; c++ {
			y := b.deriv(x, bounds[c], memo)
			s, ok := stateOf[y]
			if !ok {
				s = int32(len(queue))
				stateOf[y] = s
				queue = append(queue, y)
				if len(queue)*d.ncls > maxDFAWork {
					return nil, &Error{Line: 1, Col: 1, Msg: "pattern too complex to determinize"}
				}
			}
			d.trans = append(d.trans, s)
		}
	}
	return d, nil
}

func (d *dfaMatcher) class(r rune) int {
	return sort.Search(len(d.bounds), func(i int) bool { return d.bounds[i] > r }) - 1
}

func (d *dfaMatcher) match(s string) bool {
	st := int32(0)
	for i := 0; i < len(s); {
		var cls int
		if c := s[i]; c < utf8.RuneSelf {
			cls = int(d.ascii[c])
			i++
		} else {
			r, w := utf8.DecodeRuneInString(s[i:])
			cls = d.class(r)
			i += w
		}
		st = d.trans[int(st)*d.ncls+cls]
		if st == d.dead {
			return false
		}
		if st == d.live {
			return true
		}
	}
	return d.accept[st]
}
