package compute

import "vigil/internal/doc"

// Page is a batch of rows as equal-length blocks, plus (optionally) the
// documents the rows came from, for expressions that read the source
// document (KQL()).
type Page struct {
	Len    int
	Blocks []*Block
	Docs   []*doc.Document
}

// Clone returns a page owning all its memory (see Block.Clone). The
// documents are not kept: a cloned page outlives them.
func (p *Page) Clone() *Page {
	c := &Page{Len: p.Len, Blocks: make([]*Block, len(p.Blocks))}
	for i, b := range p.Blocks {
		c.Blocks[i] = b.Clone()
	}
	return c
}

// Field is a column a PageBuilder reads from documents: a source field and
// its type as the plan resolved it, or a document's metadata.
type Field struct {
	Name string
	Type doc.Type
	Meta Meta
}

// Meta selects document metadata instead of a source field.
type Meta uint8

const (
	MetaNone    Meta = iota
	MetaID           // _id (keyword)
	MetaIndex        // _index (keyword)
	MetaVersion      // _version (long; 1 when unknown, as the row engine reads it)
)

// PageBuilder turns batches of decoded documents into pages of the fields
// it was made for. It reuses its blocks: a page is valid until the next
// Build (Clone it to keep it). Not safe for concurrent use.
type PageBuilder struct {
	fields  []Field
	readers []doc.FieldReader
	page    Page
	writers []writer
	// layout and slots bind the fields to the slots of the last Layout
	// seen (-1: not in it; -2: metadata).
	layout *doc.Layout
	slots  []int
	all    []int   // every field's index
	ident  []int32 // every position
}

// NewPageBuilder returns a builder of pages with one block per field, in order.
func NewPageBuilder(fields []Field) *PageBuilder {
	pb := &PageBuilder{fields: fields, readers: make([]doc.FieldReader, len(fields)), writers: make([]writer, len(fields)), slots: make([]int, len(fields))}
	pb.page.Blocks = make([]*Block, len(fields))
	for i, f := range fields {
		pb.readers[i] = doc.NewFieldReader(f.Name)
		pb.page.Blocks[i] = &Block{Type: f.Type, Rep: RepOf(f.Type)}
	}
	return pb
}

// Build lays out docs (any mix of Layout and map documents) as a page,
// every field loaded. Strings are not copied: the page aliases what the
// documents alias.
func (pb *PageBuilder) Build(docs []*doc.Document) *Page {
	p := pb.Start(docs)
	for len(pb.all) < len(pb.fields) {
		pb.all = append(pb.all, len(pb.all))
	}
	for i := len(pb.ident); i < len(docs); i++ {
		pb.ident = append(pb.ident, int32(i))
	}
	pb.Load(pb.all, pb.ident[:len(docs)])
	return p
}

// Start begins a page of docs with no field loaded; Load loads them. A
// lowering can load what a WHERE reads, filter, and load the other fields
// only at the positions kept.
func (pb *PageBuilder) Start(docs []*doc.Document) *Page {
	p := &pb.page
	p.Len, p.Docs = len(docs), docs
	return p
}

// Load fills the blocks of the fields cols (indexes into the builder's
// fields) at the selected positions of the page Start began; their other
// positions are unspecified.
func (pb *PageBuilder) Load(cols []int, sel []int32) {
	p := &pb.page
	docs := p.Docs
	for _, i := range cols {
		b, f := p.Blocks[i], pb.fields[i]
		b.Type, b.Rep = f.Type, RepOf(f.Type)
		if b.Rep == RepNone {
			b.Rep = RepValue // a null-typed column still reads what documents hold
		}
		pb.writers[i].reset(b, p.Len)
	}
	for k, pos := range sel {
		d := docs[pos]
		if d.Layout != nil && d.Layout != pb.layout {
			pb.bind(d.Layout)
		}
		for _, i := range cols {
			w := &pb.writers[i]
			b := w.b
			var v doc.Value
			if s := pb.slots[i]; d.Layout != nil && s >= 0 {
				// The common case inline, without copying the value: a
				// single value of the column's type.
				if sv := &d.Slots[s]; sv.T == b.Type && sv.M == nil && b.Offs == nil {
					switch b.Rep {
					case RepBytes:
						b.Strs[pos] = sv.S
						b.Nulls[pos] = false
						continue
					case RepInt:
						b.Ints[pos] = sv.I
						b.Nulls[pos] = false
						continue
					}
				}
				v = d.Slots[s]
			} else if d.Layout == nil || s == -2 {
				v = pb.value(i, d)
			}
			if !fits(v, b.Type) && b.Rep != RepValue {
				pb.toValues(i, sel[:k])
			}
			w.set(pos, v)
		}
	}
	for _, i := range cols {
		pb.writers[i].finish()
	}
}

// bind maps the fields to the slots of documents laid out by l.
func (pb *PageBuilder) bind(l *doc.Layout) {
	pb.layout = l
	pb.slots = pb.slots[:0]
	for _, f := range pb.fields {
		s := l.Slot(f.Name)
		if f.Meta != MetaNone {
			s = -2
		}
		pb.slots = append(pb.slots, s)
	}
}

// value reads field i of d as the row engine's Push does.
func (pb *PageBuilder) value(i int, d *doc.Document) doc.Value {
	switch pb.fields[i].Meta {
	case MetaID:
		return doc.KeywordOf(d.ID)
	case MetaIndex:
		return doc.KeywordOf(d.Index)
	case MetaVersion:
		v := d.Version
		if v == 0 {
			v = 1
		}
		return doc.Long64(v)
	}
	return pb.readers[i].Get(d)
}

// toValues switches block i to whole values when a document holds a value
// of another type than the column's (possible in map documents): the
// positions loaded so far (done) are re-read.
func (pb *PageBuilder) toValues(i int, done []int32) {
	b := pb.page.Blocks[i]
	b.Rep = RepValue
	w := &pb.writers[i]
	w.reset(b, pb.page.Len)
	for _, j := range done {
		w.set(j, pb.value(i, pb.page.Docs[j]))
	}
}
