package compute

import (
	"unsafe"

	"vigil/internal/doc"
)

// Rep is how a block stores its values.
type Rep uint8

const (
	RepNone   Rep = iota // doc.Null: every position is null, nothing stored
	RepBool              // Bools: boolean
	RepInt               // Ints: integer, long, unsigned_long (bit pattern), datetime (ms), date_nanos, time_duration; integers are held in 64 bits as the row engine holds them, so one loop serves all
	RepDouble            // Floats: double
	RepBytes             // Strs: keyword, text, ip (16-byte form), version
	RepValue             // Vals: any other type, or a column whose values are not all of its type
)

// RepOf is the storage of values of type t.
func RepOf(t doc.Type) Rep {
	switch t {
	case doc.Null:
		return RepNone
	case doc.Boolean:
		return RepBool
	case doc.Integer, doc.Long, doc.UnsignedLong, doc.Date, doc.DateNanos, doc.TimeDuration:
		return RepInt
	case doc.Double:
		return RepDouble
	case doc.Keyword, doc.Text, doc.IP, doc.Version:
		return RepBytes
	}
	return RepValue
}

// Block is one column of a page: Len positions of type Type, each null,
// single or multi-valued.
//
// Values sit in the slice of the block's Rep. Without Offs, position p's
// value is at index p (a null position keeps an unused placeholder there);
// with Offs, position p's values are at Offs[p]:Offs[p+1] (a null position
// may keep one placeholder). A Const block holds one position's worth of
// value (index 0, Nulls[0], Offs[0:2]) that every position shares.
// Nulls[p] marks a null position; nil Nulls means none is null.
//
// RepValue blocks keep whole doc.Values (multi-values in their M) and never
// use Offs or Nulls.
//
// Strs are references: the builder stores the decoded strings as they are,
// so they may alias a chunk buffer the decoder reuses
// (doc.DecodeOptions.Reuse). A string header is that (pointer, length)
// reference; offsets into the chunk would need its base, which documents
// do not carry. Clone copies them out, all into one buffer.
type Block struct {
	Type   doc.Type
	Rep    Rep
	Len    int
	Const  bool
	Nulls  []bool
	Offs   []int32
	Bools  []bool
	Ints   []int64
	Floats []float64
	Strs   []string
	Vals   []doc.Value
}

// pos maps a position to its storage position (0 for a constant).
func (b *Block) pos(p int32) int32 {
	if b.Const {
		return 0
	}
	return p
}

// IsNull reports whether position p is null.
func (b *Block) IsNull(p int32) bool {
	switch b.Rep {
	case RepNone:
		return true
	case RepValue:
		return b.Vals[b.pos(p)].T == doc.Null
	}
	return b.Nulls != nil && b.Nulls[b.pos(p)]
}

// span returns the storage index of position p's first value and its
// number of values (0 for null). For RepValue blocks the index is that of
// the whole value in Vals.
func (b *Block) span(p int32) (int32, int32) {
	q := b.pos(p)
	if b.Rep == RepValue {
		return q, int32(b.Vals[q].Len())
	}
	if b.Rep == RepNone || b.Nulls != nil && b.Nulls[q] {
		return 0, 0
	}
	if b.Offs == nil {
		return q, 1
	}
	return b.Offs[q], b.Offs[q+1] - b.Offs[q]
}

// Plain reports whether every position holds exactly one value stored at
// its own index: the shape the tight loops want.
func (b *Block) Plain() bool {
	return !b.Const && b.Nulls == nil && b.Offs == nil && b.Rep != RepValue && b.Rep != RepNone
}

// Value returns position p as the row engine holds it. Multi-values get a
// fresh M; see ValueInto to reuse one.
func (b *Block) Value(p int32) doc.Value {
	v, _ := b.ValueInto(p, nil)
	return v
}

// ValueInto is Value building a multi-value's elements in scratch (grown
// as needed and returned, so a caller that hands values to something that
// does not keep them can reuse it).
func (b *Block) ValueInto(p int32, scratch []doc.Value) (doc.Value, []doc.Value) {
	if b.Rep == RepValue {
		return b.Vals[b.pos(p)], scratch
	}
	i, n := b.span(p)
	switch n {
	case 0:
		return doc.Value{}, scratch
	case 1:
		return b.elem(i), scratch
	}
	scratch = scratch[:0]
	for k := i; k < i+n; k++ {
		scratch = append(scratch, b.elem(k))
	}
	return doc.Value{T: b.Type, M: scratch}, scratch
}

// valueAppend is ValueInto building a multi-value's elements at the end
// of buf, so that values of earlier positions stay intact: for results
// kept across positions that may alias their arguments.
func (b *Block) valueAppend(p int32, buf []doc.Value) (doc.Value, []doc.Value) {
	if b.Rep == RepValue {
		return b.Vals[b.pos(p)], buf
	}
	i, n := b.span(p)
	if n < 2 {
		v, _ := b.ValueInto(p, nil)
		return v, buf
	}
	start := len(buf)
	for k := i; k < i+n; k++ {
		buf = append(buf, b.elem(k))
	}
	return doc.Value{T: b.Type, M: buf[start:len(buf):len(buf)]}, buf
}

// elem returns the single value at storage index i.
func (b *Block) elem(i int32) doc.Value {
	switch b.Rep {
	case RepBool:
		return doc.Bool(b.Bools[i])
	case RepInt:
		return doc.Value{T: b.Type, I: b.Ints[i]}
	case RepDouble:
		return doc.Float(b.Floats[i])
	case RepBytes:
		return doc.Value{T: b.Type, S: b.Strs[i]}
	}
	return doc.Value{}
}

// Clone returns a copy of b that owns its memory: the strings in one
// allocation. Use it when a page outlives the chunk its strings alias.
func (b *Block) Clone() *Block {
	c := &Block{Type: b.Type, Rep: b.Rep, Len: b.Len, Const: b.Const}
	c.Nulls = cloneSlice(b.Nulls)
	c.Offs = cloneSlice(b.Offs)
	c.Bools = cloneSlice(b.Bools)
	c.Ints = cloneSlice(b.Ints)
	c.Floats = cloneSlice(b.Floats)
	if b.Strs != nil {
		size := 0
		for _, s := range b.Strs {
			size += len(s)
		}
		buf := make([]byte, 0, size)
		c.Strs = make([]string, len(b.Strs))
		for i, s := range b.Strs {
			if s == "" {
				continue
			}
			start := len(buf)
			buf = append(buf, s...)
			c.Strs[i] = unsafe.String(&buf[start], len(s))
		}
	}
	if b.Vals != nil {
		c.Vals = make([]doc.Value, len(b.Vals))
		doc.CloneInto(c.Vals, b.Vals)
	}
	return c
}

func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}

// ConstBlock is a block of n positions that all hold v (a literal).
func ConstBlock(v doc.Value, t doc.Type, n int) *Block {
	b := &Block{Type: t, Rep: RepOf(t), Len: n, Const: true}
	if !fits(v, t) && b.Rep != RepValue {
		b.Rep = RepValue // a literal of another type than declared: keep it whole
	}
	if b.Rep == RepNone && v.T != doc.Null {
		b.Rep = RepValue
	}
	var w writer
	w.reset(b, 1)
	w.set(0, v)
	w.finish()
	b.Len, b.Const = n, true
	return b
}

// writer fills a block position by position, in ascending order. Positions
// it skips are unspecified (a selection's holes); readers read only the
// positions they selected. It starts single-valued and moves to offsets at
// the first multi-value.
type writer struct {
	b       *Block
	next    int32       // in offset mode: the next position whose Offs entry is unset
	spare   []int32     // the offsets of the previous use, for reuse
	nulls   []bool      // the null mask's memory, kept while Nulls is nil
	elems   []doc.Value // RepValue: the multi-values' elements, owned by the block
	sawNull bool
}

// reset prepares b for n positions of its Type and Rep, reusing its slices.
func (w *writer) reset(b *Block, n int) {
	w.b, w.next, w.elems = b, 0, w.elems[:0]
	if b.Offs != nil {
		w.spare = b.Offs[:0]
	}
	if b.Nulls != nil {
		w.nulls = b.Nulls
	}
	b.Len, b.Offs, b.Const = n, nil, false
	b.Nulls = grow(w.nulls, n)
	w.nulls, w.sawNull = b.Nulls, false
	switch b.Rep {
	case RepBool:
		b.Bools = grow(b.Bools, n)
	case RepInt:
		b.Ints = grow(b.Ints, n)
	case RepDouble:
		b.Floats = grow(b.Floats, n)
	case RepBytes:
		b.Strs = grow(b.Strs, n)
	case RepValue:
		b.Vals = grow(b.Vals, n)
		b.Nulls = nil
	}
}

// grow returns s resliced (or reallocated) to n elements; their contents
// are unspecified.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, max(n, 2*cap(s)))
	}
	return s[:n]
}

// null makes position p null.
func (w *writer) null(p int32) {
	b := w.b
	if b.Rep == RepValue {
		b.Vals[p] = doc.Value{}
		return
	}
	if b.Offs != nil {
		w.fill(p)
		b.Offs = append(b.Offs, b.Offs[p])
		w.next = p + 1
	}
	b.Nulls[p] = true
	w.sawNull = true
}

// set writes v (null, single or multi-valued, of the block's type) at p.
func (w *writer) set(p int32, v doc.Value) {
	b := w.b
	if b.Rep == RepValue {
		if v.M != nil { // v's elements may be a kernel's scratch
			start := len(w.elems)
			w.elems = append(w.elems, v.M...)
			v.M = w.elems[start:len(w.elems):len(w.elems)]
		}
		b.Vals[p] = v
		return
	}
	if v.T == doc.Null {
		w.null(p)
		return
	}
	b.Nulls[p] = false
	if v.M == nil && b.Offs == nil {
		b.put(p, v)
		return
	}
	if b.Offs == nil {
		// First multi-value: positions before p keep their values at their index.
		b.Offs = grow(w.spare, int(p)+1)
		for q := range b.Offs {
			b.Offs[q] = int32(q)
		}
		w.next = p
		b.truncate(int(p))
	}
	w.fill(p)
	if v.M == nil {
		b.append(v)
	} else {
		for _, e := range v.M {
			b.append(e)
		}
	}
	b.Offs = append(b.Offs, int32(b.storedLen()))
	w.next = p + 1
}

// fill gives skipped positions before p no values.
func (w *writer) fill(p int32) {
	b := w.b
	for w.next < p {
		b.Offs = append(b.Offs, b.Offs[w.next])
		w.next++
	}
}

// finish completes the offsets of the positions after the last written,
// and drops the null mask when no position was null.
func (w *writer) finish() {
	if w.b.Offs != nil {
		w.fill(int32(w.b.Len))
	}
	if !w.sawNull {
		w.b.Nulls = nil
	}
}

// put stores a single value at storage index i (single-valued mode).
func (b *Block) put(i int32, v doc.Value) {
	switch b.Rep {
	case RepBool:
		b.Bools[i] = v.I != 0
	case RepInt:
		b.Ints[i] = v.I
	case RepDouble:
		b.Floats[i] = v.F
	case RepBytes:
		b.Strs[i] = v.S
	}
}

func (b *Block) append(v doc.Value) {
	switch b.Rep {
	case RepBool:
		b.Bools = append(b.Bools, v.I != 0)
	case RepInt:
		b.Ints = append(b.Ints, v.I)
	case RepDouble:
		b.Floats = append(b.Floats, v.F)
	case RepBytes:
		b.Strs = append(b.Strs, v.S)
	}
}

func (b *Block) truncate(n int) {
	switch b.Rep {
	case RepBool:
		b.Bools = b.Bools[:n]
	case RepInt:
		b.Ints = b.Ints[:n]
	case RepDouble:
		b.Floats = b.Floats[:n]
	case RepBytes:
		b.Strs = b.Strs[:n]
	}
}

func (b *Block) storedLen() int {
	switch b.Rep {
	case RepBool:
		return len(b.Bools)
	case RepInt:
		return len(b.Ints)
	case RepDouble:
		return len(b.Floats)
	case RepBytes:
		return len(b.Strs)
	}
	return 0
}

// fits reports whether v can be stored in a block of type t without
// losing its own type or its elements' (the row engine would see them).
func fits(v doc.Value, t doc.Type) bool {
	if v.T == doc.Null {
		return true
	}
	if v.T != t {
		return false
	}
	for _, e := range v.M {
		if e.T != t {
			return false
		}
	}
	return true
}
