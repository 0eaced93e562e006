package esql

import (
	"unsafe"

	"vigil/internal/doc"
)

// rowBuffer keeps rows a blocking operator must hold until Finish (INLINE
// STATS' input) compactly: only their non-null slots, with strings and
// multi-value elements copied into shared chunks. A row of a wide query
// (`KEEP *` loads every mapped field: thousands of slots) holds a few dozen
// values, so a full-width copy would cost a hundred times the row's data;
// that, not the data, is what made INLINE STATS over Defend events need
// gigabytes.
type rowBuffer struct {
	slots []int32     // the slot of each kept value
	vals  []doc.Value // the kept values, rows one after another
	ends  []int       // ends[i]: where row i's values end in slots and vals
	strs  []byte      // current chunk for strings
	elems []doc.Value // current chunk for multi-value elements
}

// Chunk sizes: large enough that a chunk allocation is rare per row, small
// enough that the unused tail of the last one is negligible.
const (
	rowStrChunk  = 64 << 10
	rowElemChunk = 1 << 10
)

// add copies row in and returns the bytes it now holds for it (an
// estimate: values at their in-memory size, strings at their length).
func (b *rowBuffer) add(row []doc.Value) int64 {
	n0 := len(b.vals)
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
		b.slots = append(b.slots, int32(i))
		b.vals = append(b.vals, v)
	}
	b.ends = append(b.ends, len(b.vals))
	return int64(len(b.vals)-n0)*(valueBytes+4) + int64(extra) + 8
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

func (b *rowBuffer) len() int { return len(b.ends) }

// load writes row i into row, which holds the row load last wrote (or
// is all null): the slots that row set are cleared first, so a full-width
// row is not cleared per row.
func (b *rowBuffer) load(i int, row []doc.Value, prev int) {
	if prev >= 0 {
		for _, s := range b.slots[b.start(prev):b.ends[prev]] {
			row[s] = doc.Value{}
		}
	}
	from := b.start(i)
	for j, s := range b.slots[from:b.ends[i]] {
		row[s] = b.vals[from+j]
	}
}

func (b *rowBuffer) start(i int) int {
	if i == 0 {
		return 0
	}
	return b.ends[i-1]
}

// appendBuffer moves o's rows after b's (o is not used afterwards; the
// chunks its values point into stay alive through them).
func (b *rowBuffer) appendBuffer(o *rowBuffer) {
	base := len(b.vals)
	b.slots = append(b.slots, o.slots...)
	b.vals = append(b.vals, o.vals...)
	for _, e := range o.ends {
		b.ends = append(b.ends, base+e)
	}
	*o = rowBuffer{}
}
