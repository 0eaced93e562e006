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

// Build lays out docs (any mix of Layout and map documents) as a page.
// Strings are not copied: the page aliases what the documents alias.
func (pb *PageBuilder) Build(docs []*doc.Document) *Page {
	n := len(docs)
	p := &pb.page
	p.Len, p.Docs = n, docs
	for i, f := range pb.fields {
		b := p.Blocks[i]
		b.Type, b.Rep = f.Type, RepOf(f.Type)
		if b.Rep == RepNone {
			b.Rep = RepValue // a null-typed column still reads what documents hold
		}
		pb.writers[i].reset(b, n)
	}
	for j, d := range docs {
		pos := int32(j)
		if d.Layout != nil && d.Layout != pb.layout {
			pb.bind(d.Layout)
		}
		for i := range pb.fields {
			w := &pb.writers[i]
			b := w.b
			var v doc.Value
			if s := pb.slots[i]; d.Layout != nil && s >= 0 {
				// The common case inline, without copying the value: a
				// single value of the column's type.
				if sv := &d.Slots[s]; sv.T == b.Type && sv.M == nil && b.Offs == nil {
					switch b.Rep {
					case RepBytes:
						b.Strs[j] = sv.S
						b.Nulls[j] = false
						continue
					case RepInt:
						b.Ints[j] = sv.I
						b.Nulls[j] = false
						continue
					}
				}
				v = d.Slots[s]
			} else if d.Layout == nil || s == -2 {
				v = pb.value(i, d)
			}
			if !fits(v, b.Type) && b.Rep != RepValue {
				pb.toValues(i, pos, docs)
			}
			w.set(pos, v)
		}
	}
	for i := range pb.writers {
		pb.writers[i].finish()
	}
	return p
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
// positions so far are re-read.
func (pb *PageBuilder) toValues(i int, upto int32, docs []*doc.Document) {
	b := pb.page.Blocks[i]
	b.Rep = RepValue
	w := &pb.writers[i]
	w.reset(b, len(docs))
	for j := int32(0); j < upto; j++ {
		w.set(j, pb.value(i, docs[j]))
	}
}
