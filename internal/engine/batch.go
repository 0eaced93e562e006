package engine

import (
	"vigil/internal/doc"
	"vigil/internal/esql"
)

// maxBatch bounds the documents a docBatch gathers before it is pushed.
// Small pages keep the columnar stage's blocks in cache and the batch's
// pointer-holding memory, which the GC scans every cycle, small (256
// measured no worse than 1024 in instructions, with a quarter of it).
const maxBatch = 256

// docBatch gathers the documents of one chunk that a rule with a columnar
// query (esql.Query.Columnar) sees, for esql.Execution.PushBatch. The
// sweep's decoder reuses one Document and its multi-value storage per
// line, so each document is copied: its metadata, the rule's fields into
// a layout of their own, multi-values into the batch's memory; its nested
// objects (KQL nested queries read them) are the line's own and shared.
// Strings still alias the chunk, so a batch is pushed before the chunk is
// released.
type docBatch struct {
	fields []string
	layout *doc.Layout
	from   *doc.Layout // the layout slots maps from
	slots  []int       // per field: its slot in from (-1: absent)
	docs   []*doc.Document
	store  []doc.Document
	vals   []doc.Value
	elems  []doc.Value
}

func newDocBatch(q *esql.Query) *docBatch {
	fields := q.Fields()
	b := &docBatch{fields: fields, layout: doc.NewLayout(fields)}
	b.store = make([]doc.Document, maxBatch)
	b.vals = make([]doc.Value, maxBatch*len(fields))
	return b
}

// add copies d into the batch; it returns false, adding nothing, for a
// document without a layout (the caller pushes it itself, after flushing).
func (b *docBatch) add(d *doc.Document) bool {
	if d.Layout == nil {
		return false
	}
	if d.Layout != b.from {
		b.from = d.Layout
		b.slots = b.slots[:0]
		for _, f := range b.fields {
			b.slots = append(b.slots, d.Layout.Slot(f))
		}
	}
	n, nf := len(b.docs), len(b.fields)
	c := &b.store[n]
	*c = doc.Document{Index: d.Index, ID: d.ID, Version: d.Version, Layout: b.layout, Slots: b.vals[n*nf : (n+1)*nf : (n+1)*nf], Nested: d.Nested}
	for i, s := range b.slots {
		v := doc.Value{}
		if s >= 0 {
			v = d.Slots[s]
		}
		if v.M != nil {
			start := len(b.elems)
			b.elems = append(b.elems, v.M...)
			v.M = b.elems[start:len(b.elems):len(b.elems)]
		}
		c.Slots[i] = v
	}
	b.docs = append(b.docs, c)
	return true
}

// full reports that the batch must be pushed before another add.
func (b *docBatch) full() bool { return len(b.docs) == maxBatch }

// flush pushes the batch into e and empties it.
func (b *docBatch) flush(e *esql.Execution) {
	if len(b.docs) == 0 {
		return
	}
	e.PushBatch(b.docs)
	// The copies are left as they are, pointing into a pooled chunk
	// buffer the next batch overwrites: clearing them cost write
	// barriers for nothing.
	b.docs = b.docs[:0]
	b.elems = b.elems[:0]
}
