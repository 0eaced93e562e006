package compute

import (
	"math"
	"math/bits"
	"unsafe"

	"vigil/internal/doc"
	"vigil/internal/esql/fn"
)

// Binary lowers an arithmetic or comparison operator. It resolves the
// operator with fn.Binary (the same result type and, for what the typed
// loops do not cover, the same evaluator) and picks a loop specialised to
// the operand types.
//
// Operands are checked per position in Elasticsearch's order (its
// generated evaluators test each argument in turn): a null left operand
// gives null; a multi-valued one gives null and the multi-value warning;
// then the same for the right operand. A null-typed operand (the literal
// `null`) resolves to fn's always-null evaluator, as Elasticsearch folds
// the expression to null before evaluating it (FoldNull): the result is
// null everywhere with no operand checked, so `mv / null` does not warn.
// The operands are still evaluated, for their own failures, as the row
// engine evaluates them.
func Binary(op fn.Op, l, r Expr, site int) (Expr, error) {
	t, ev, err := fn.Binary(op, l.Type(), r.Type())
	if err != nil {
		return nil, err
	}
	e := &binary{op: op, l: l, r: r, t: t, ev: ev, fp: failPoint{site: site}}
	e.kind = kernelFor(op, l.Type(), r.Type(), t)
	return e, nil
}

// kernel says which typed loop a binary operator runs.
type kernel uint8

const (
	kGeneric   kernel = iota
	kNull             // a null-typed operand: null, nothing checked
	kCmpInt           // int64 against int64 (integer, long, same-type dates)
	kCmpUint          // unsigned_long
	kCmpFloat         // numbers with a double: both widened to float64
	kCmpStr           // byte-wise (keyword/text, ip)
	kCmpBool          // == and != of booleans
	kArithInt         // integer result
	kArithLong        // long result from integers and longs
	kArithUlong
	kArithFloat
)

func kernelFor(op fn.Op, l, r, t doc.Type) kernel {
	if l == doc.Null || r == doc.Null {
		return kNull
	}
	intLike := func(x doc.Type) bool { return x == doc.Integer || x == doc.Long }
	if op >= fn.Eq {
		switch {
		case intLike(l) && intLike(r), l == r && l.IsTemporal():
			return kCmpInt
		case l == doc.UnsignedLong && r == doc.UnsignedLong:
			return kCmpUint
		case l.IsNumeric() && r.IsNumeric() && (l == doc.Double || r == doc.Double):
			return kCmpFloat
		case l.IsString() && r.IsString(), l == doc.IP && r == doc.IP:
			return kCmpStr
		case l == doc.Boolean && r == doc.Boolean:
			return kCmpBool
		}
		return kGeneric
	}
	switch {
	case t == doc.Integer && l == doc.Integer && r == doc.Integer:
		return kArithInt
	case t == doc.Long && intLike(l) && intLike(r):
		return kArithLong
	case t == doc.UnsignedLong && l == t && r == t:
		return kArithUlong
	case t == doc.Double && l.IsNumeric() && r.IsNumeric():
		return kArithFloat
	}
	return kGeneric
}

type binary struct {
	op     fn.Op
	l, r   Expr
	t      doc.Type
	ev     fn.Eval
	kind   kernel
	fp     failPoint
	out    output
	fl, fr []float64 // widening scratch
	args   [2]doc.Value
}

func (e *binary) Type() doc.Type { return e.t }

func (e *binary) number(next *int32) {
	e.l.number(next)
	e.r.number(next)
	e.fp.number(next)
}

func (e *binary) Eval(c *Ctx, p *Page, sel []int32) *Block {
	lb := e.l.Eval(c, p, sel)
	rb := e.r.Eval(c, p, sel)
	out := e.out.start(e.t, p.Len)
	kind := e.kind
	if !repsFit(kind, lb, rb) {
		kind = kGeneric
	}
	switch kind {
	case kNull:
		for _, p := range sel {
			e.out.w.null(p)
		}
	case kCmpInt:
		compare(e, c, lb.Ints, rb.Ints, lb, rb, sel, out)
	case kCmpUint:
		compare(e, c, asUint(lb.Ints), asUint(rb.Ints), lb, rb, sel, out)
	case kCmpFloat:
		e.fl, e.fr = widen(lb, e.fl), widen(rb, e.fr)
		compare(e, c, e.fl, e.fr, lb, rb, sel, out)
	case kCmpStr:
		compare(e, c, lb.Strs, rb.Strs, lb, rb, sel, out)
	case kCmpBool:
		e.visit(c, lb, rb, sel, func(p, i, j int32) { out.Bools[p] = (lb.Bools[i] == rb.Bools[j]) == (e.op == fn.Eq) })
	case kArithInt, kArithLong, kArithUlong:
		e.arithInts(c, lb, rb, sel, out)
	case kArithFloat:
		e.fl, e.fr = widen(lb, e.fl), widen(rb, e.fr)
		e.visit(c, lb, rb, sel, func(p, i, j int32) {
			if f, ok := floatArith(e.op, e.fl[i], e.fr[j]); ok {
				out.Floats[p] = f
			} else {
				e.slow(c, p, lb, rb, i, j)
			}
		})
	default:
		e.visit(c, lb, rb, sel, func(p, i, j int32) { e.slow(c, p, lb, rb, i, j) })
	}
	return e.out.done()
}

// repsFit reports whether the operand blocks are stored as the kernel reads them.
func repsFit(k kernel, l, r *Block) bool {
	switch k {
	case kGeneric, kNull:
		return true
	case kCmpStr:
		return l.Rep == RepBytes && r.Rep == RepBytes
	case kCmpBool:
		return l.Rep == RepBool && r.Rep == RepBool
	case kCmpFloat, kArithFloat:
		return (l.Rep == RepInt || l.Rep == RepDouble) && (r.Rep == RepInt || r.Rep == RepDouble)
	}
	return l.Rep == RepInt && r.Rep == RepInt
}

// visit calls f(p, i, j) for each selected position p whose operands are
// single values (at storage indexes i and j), after the null and
// multi-value checks in Elasticsearch's order; other positions are null.
// f writes the value of p (its null flag is cleared first).
func (e *binary) visit(c *Ctx, lb, rb *Block, sel []int32, f func(p, i, j int32)) {
	out := &e.out
	for _, p := range sel {
		i, n := lb.span(p)
		if n != 1 {
			e.reject(c, out, p, n)
			continue
		}
		j, m := rb.span(p)
		if m != 1 {
			e.reject(c, out, p, m)
			continue
		}
		out.b.Nulls[p] = false
		f(p, i, j)
	}
}

// reject makes p null, with the multi-value warning when it has n > 1 values.
func (e *binary) reject(c *Ctx, out *output, p, n int32) {
	if n > 1 {
		e.fp.fail(c, p, fn.ErrMultiValue)
	}
	out.w.null(p)
}

// slow evaluates position p with the resolved evaluator (operands single
// and non-null), for the cases no typed loop covers and for the failures
// of those that do: the result and the message are the row engine's.
func (e *binary) slow(c *Ctx, p int32, lb, rb *Block, i, j int32) {
	e.args[0], e.args[1] = lb.elem(i), rb.elem(j)
	if lb.Rep == RepValue {
		e.args[0] = lb.Vals[lb.pos(p)]
	}
	if rb.Rep == RepValue {
		e.args[1] = rb.Vals[rb.pos(p)]
	}
	v, err := e.ev(e.args[:])
	if err != nil {
		e.fp.fail(c, p, err)
	}
	if v.T == doc.Null {
		e.out.w.null(p)
		return
	}
	if e.out.b.Rep == RepValue {
		e.out.b.Vals[p] = v
		return
	}
	e.out.b.put(p, v)
}

// asUint views unsigned_long bit patterns as uint64.
func asUint(s []int64) []uint64 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(&s[0])), len(s))
}

// widen returns a numeric block's stored values as float64 (as
// doc.Value.AsFloat does), using scratch for integer types.
func widen(b *Block, scratch []float64) []float64 {
	if b.Rep == RepDouble {
		return b.Floats
	}
	scratch = grow(scratch, len(b.Ints))
	if b.Type == doc.UnsignedLong {
		for i, x := range b.Ints {
			scratch[i] = float64(uint64(x))
		}
	} else {
		for i, x := range b.Ints {
			scratch[i] = float64(x)
		}
	}
	return scratch
}

type ordered interface {
	~int64 | ~uint64 | ~float64 | ~string
}

// compare runs a comparison over typed values; Go's operators on these
// types are Java's primitive comparisons (NaN unequal and unordered) and
// byte-wise string order. The fast paths write no null flag: the output
// has none unless a null is written.
func compare[T ordered](e *binary, c *Ctx, a, b []T, lb, rb *Block, sel []int32, out *Block) {
	switch {
	case lb.Plain() && rb.Const && rb.Nulls == nil && rb.Offs == nil:
		cmpConst(e.op, a, b[0], sel, out.Bools)
	case lb.Plain() && rb.Plain():
		cmpPairs(e.op, a, b, sel, out.Bools)
	default:
		e.visit(c, lb, rb, sel, func(p, i, j int32) { out.Bools[p] = cmpOne(e.op, a[i], b[j]) })
	}
}

func cmpConst[T ordered](op fn.Op, a []T, k T, sel []int32, out []bool) {
	switch op {
	case fn.Eq:
		for _, p := range sel {
			out[p] = a[p] == k
		}
	case fn.Neq:
		for _, p := range sel {
			out[p] = a[p] != k
		}
	case fn.Lt:
		for _, p := range sel {
			out[p] = a[p] < k
		}
	case fn.Lte:
		for _, p := range sel {
			out[p] = a[p] <= k
		}
	case fn.Gt:
		for _, p := range sel {
			out[p] = a[p] > k
		}
	case fn.Gte:
		for _, p := range sel {
			out[p] = a[p] >= k
		}
	}
}

func cmpPairs[T ordered](op fn.Op, a, b []T, sel []int32, out []bool) {
	for _, p := range sel {
		out[p] = cmpOne(op, a[p], b[p])
	}
}

func cmpOne[T ordered](op fn.Op, x, y T) bool {
	switch op {
	case fn.Eq:
		return x == y
	case fn.Neq:
		return x != y
	case fn.Lt:
		return x < y
	case fn.Lte:
		return x <= y
	case fn.Gt:
		return x > y
	}
	return x >= y
}

// arithInts runs + - * / % over integers, longs and unsigned longs; any
// overflow or division by zero goes to slow for the row engine's message.
func (e *binary) arithInts(c *Ctx, lb, rb *Block, sel []int32, out *Block) {
	a, b := lb.Ints, rb.Ints
	var f func(x, y int64) (int64, bool)
	switch e.kind {
	case kArithInt:
		f = func(x, y int64) (int64, bool) {
			r, ok := longArith(e.op, x, y)
			return r, ok && r == int64(int32(r)) || ok && (e.op == fn.Div || e.op == fn.Mod)
		}
	case kArithLong:
		f = func(x, y int64) (int64, bool) { return longArith(e.op, x, y) }
	default:
		f = func(x, y int64) (int64, bool) { return ulongArith(e.op, x, y) }
	}
	e.visit(c, lb, rb, sel, func(p, i, j int32) {
		if r, ok := f(a[i], b[j]); ok {
			if e.kind == kArithInt {
				r = int64(int32(r)) // Java's MIN_VALUE / -1 wraps
			}
			out.Ints[p] = r
		} else {
			e.slow(c, p, lb, rb, i, j)
		}
	})
}

func longArith(op fn.Op, x, y int64) (int64, bool) {
	switch op {
	case fn.Add:
		s := x + y
		return s, (x^s)&(y^s) >= 0
	case fn.Sub:
		s := x - y
		return s, (x^y)&(x^s) >= 0
	case fn.Mul:
		hi, lo := bits.Mul64(uint64(abs64(x)), uint64(abs64(y)))
		if hi != 0 || lo > math.MaxInt64 || x == math.MinInt64 || y == math.MinInt64 {
			return 0, x == 0 || y == 0
		}
		if (x < 0) != (y < 0) {
			return -int64(lo), true
		}
		return int64(lo), true
	case fn.Div:
		if y == 0 {
			return 0, false
		}
		return x / y, true
	}
	if y == 0 {
		return 0, false
	}
	return x % y, true
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func ulongArith(op fn.Op, x, y int64) (int64, bool) {
	a, b := uint64(x), uint64(y)
	switch op {
	case fn.Add:
		s, carry := bits.Add64(a, b, 0)
		return int64(s), carry == 0
	case fn.Sub:
		s, borrow := bits.Sub64(a, b, 0)
		return int64(s), borrow == 0
	case fn.Mul:
		hi, lo := bits.Mul64(a, b)
		return int64(lo), hi == 0
	case fn.Div:
		if b == 0 {
			return 0, false
		}
		return int64(a / b), true
	}
	if b == 0 {
		return 0, false
	}
	return int64(a % b), true
}

// floatArith computes a double result; ok is false for a non-finite one,
// which fails in Elasticsearch (with a message slow words).
func floatArith(op fn.Op, x, y float64) (float64, bool) {
	var f float64
	switch op {
	case fn.Add:
		f = x + y
	case fn.Sub:
		f = x - y
	case fn.Mul:
		f = x * y
	case fn.Div:
		f = x / y
	default:
		f = math.Mod(x, y)
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}
