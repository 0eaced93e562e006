package esql

import (
	"unsafe"

	"vigil/internal/doc"
)

// rowBuffer keeps rows a blocking operator must hold until Finish (INLINE
// STATS' input, SORT's and LIMIT's rows) compactly: only their non-null
// slots, with strings and multi-value elements copied into shared chunks
// (rows of the per-event stage may alias a reused line buffer: see
// Execution.Push). A row of a wide query
// (`KEEP *` loads every mapped field: thousands of slots) holds a few dozen
// values, so a full-width copy would cost a hundred times the row's data;
// that, not the data, is what made INLINE STATS over Defend events need
// gigabytes.
type rowBuffer struct {
	segs  []*rowSeg   // rows in order; the last is being filled
	n     int         // rows
	strs  []byte      // current chunk for strings
	elems []doc.Value // current chunk for multi-value elements
}

// rowSeg is a run of rows: segments of bounded size make appending rows,
// and whole buffers (merging parallel workers), cost no copying of what
// is already kept.
type rowSeg struct {
	slots []int32     // the slot of each kept value
	vals  []doc.Value // the kept values, rows one after another
	ends  []int32     // ends[i]: where row i's values end in slots and vals
}

// rowSegValues is how many values a segment takes (4 MiB of them).
const rowSegValues = 1 << 16

// Chunk sizes: large enough that a chunk allocation is rare per row, small
// enough that the unused tail of the last one is negligible.
const (
	rowStrChunk  = 64 << 10
	rowElemChunk = 1 << 10
)

// add copies row in and returns the bytes it now holds for it (an
// estimate: values at their in-memory size, strings at their length).
func (b *rowBuffer) add(row []doc.Value) int64 {
	if len(b.segs) == 0 || len(b.segs[len(b.segs)-1].vals) >= rowSegValues {
		b.segs = append(b.segs, &rowSeg{vals: make([]doc.Value, 0, 1024), slots: make([]int32, 0, 1024)})
	}
	sg := b.segs[len(b.segs)-1]
	n0 := len(sg.vals)
	var extra int
	for i, v := range row {
		if v.T == doc.Null && v.M == nil {
			continue
		}
		extra += len(v.S)
		if v.M != nil {
			m := b.ownElems(len(v.M))
			copy(m, v.M)
			for j := range m {
				m[j].S = b.own(m[j].S)
				extra += len(m[j].S)
			}
			v.M = m
			extra += len(m) * int(valueBytes)
		}
		v.S = b.own(v.S)
		sg.slots = append(sg.slots, int32(i))
		sg.vals = append(sg.vals, v)
	}
	sg.ends = append(sg.ends, int32(len(sg.vals)))
	b.n++
	return int64(len(sg.vals)-n0)*(valueBytes+4) + int64(extra) + 4
}

// own copies s into the string chunk.
func (b *rowBuffer) own(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > rowStrChunk/4 {
		return string([]byte(s)) // a large string gets its own allocation
	}
	if cap(b.strs)-len(b.strs) < len(s) {
		b.strs = make([]byte, 0, rowStrChunk)
	}
	start := len(b.strs)
	b.strs = append(b.strs, s...)
	return unsafe.String(&b.strs[start], len(s))
}

// ownElems returns n fresh multi-value element slots.
func (b *rowBuffer) ownElems(n int) []doc.Value {
	if n > rowElemChunk/4 {
		return make([]doc.Value, n)
	}
	if cap(b.elems)-len(b.elems) < n {
		b.elems = make([]doc.Value, 0, rowElemChunk)
	}
	start := len(b.elems)
	b.elems = b.elems[:start+n]
	return b.elems[start : start+n : start+n]
}

func (b *rowBuffer) len() int { return b.n }

// each loads the rows in order into row, a full-width row that must start
// all null, and calls f, until f returns false. Only the slots the last
// row set are cleared between rows: clearing a wide row per row would cost
// more than the rows.
func (b *rowBuffer) each(row []doc.Value, f func([]doc.Value) bool) {
	var prev []int32
	for _, sg := range b.segs {
		from := int32(0)
		for _, end := range sg.ends {
			for _, s := range prev {
				row[s] = doc.Value{}
			}
			prev = sg.slots[from:end]
			for j, s := range prev {
				row[s] = sg.vals[int(from)+j]
			}
			from = end
			if !f(row) {
				return
			}
		}
	}
}

// rowRef locates one row of a rowBuffer, for operators that reorder rows
// (SORT). It stays valid when the buffer grows or is appended to another.
type rowRef struct {
	seg       *rowSeg
	from, end int32
}

// last returns the row add added last.
func (b *rowBuffer) last() rowRef {
	sg := b.segs[len(b.segs)-1]
	r := rowRef{seg: sg, end: sg.ends[len(sg.ends)-1]}
	if n := len(sg.ends); n > 1 {
		r.from = sg.ends[n-2]
	}
	return r
}

// load writes the row into row, first clearing the slots prev (the row
// loaded into it before, or the zero rowRef) set.
func (r rowRef) load(row []doc.Value, prev rowRef) {
	if prev.seg != nil {
		for _, s := range prev.seg.slots[prev.from:prev.end] {
			row[s] = doc.Value{}
		}
	}
	for j, s := range r.seg.slots[r.from:r.end] {
		row[s] = r.seg.vals[int(r.from)+j]
	}
}

// appendBuffer moves o's rows after b's (o is not used afterwards).
func (b *rowBuffer) appendBuffer(o *rowBuffer) {
	b.segs = append(b.segs, o.segs...)
	b.n += o.n
	*o = rowBuffer{}
}
