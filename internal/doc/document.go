package doc

import (
	"crypto/sha256"
	"encoding/base64"
)

// Document is one event: its fields flattened to dotted names (the way
// Elasticsearch names object sub-fields) with values typed by a mapping, plus
// the metadata ES|QL's METADATA clause exposes.
//
// Values live either in Fields, by name, or — for documents from a Decoder
// given a Layout — in Slots, by the layout's field numbers, so hot consumers
// bind names to numbers once instead of hashing every name per event. Get,
// Lookup and Range read both forms.
type Document struct {
	Index   string // concrete index name (_index)
	ID      string // _id, empty when unknown (see AutoID)
	Version int64  // _version, 0 when unknown (Elasticsearch reports 1 for a first write)
	// Source is the document's JSON object as it came (_source): a bare
	// line's object, or a search hit's _source. Set only by decoders asked
	// for it (DecodeOptions.Source); empty when unknown.
	Source string
	Fields map[string]Value
	Layout *Layout // when set, Slots holds the values and Fields is unused
	Slots  []Value // Slots[i] is the value of Layout's field i, null when absent
	// Nested holds, by path, the objects of the fields the mapping
	// declares nested that the Decoder was asked for (see nested.go): one
	// Document per object, its fields under their full dotted names, as
	// Elasticsearch indexes each as a hidden document of its own. Their
	// values are never in Fields or Slots: ES|QL does not see nested fields.
	Nested map[string][]*Document
}

// Get returns the value of a field, or null when absent.
func (d *Document) Get(name string) Value {
	v, _ := d.Lookup(name)
	return v
}

// Lookup returns the value of a field and whether the document has one.
func (d *Document) Lookup(name string) (Value, bool) {
	if d.Layout != nil {
		if i, ok := d.Layout.index[name]; ok && d.Slots[i].T != Null {
			return d.Slots[i], true
		}
		return Value{}, false
	}
	v, ok := d.Fields[name]
	return v, ok
}

// AnyNested reports whether fn holds for some object of the nested field
// at path (Elasticsearch's nested query: each object is a document).
func (d *Document) AnyNested(path string, fn func(o *Document) bool) bool {
	for _, o := range d.Nested[path] {
		if fn(o) {
			return true
		}
	}
	return false
}

// Range calls fn for every field with a value, in no particular order,
// until fn returns false.
func (d *Document) Range(fn func(name string, v Value) bool) {
	if d.Layout != nil {
		for i, v := range d.Slots {
			if v.T != Null && !fn(d.Layout.names[i], v) {
				return
			}
		}
		return
	}
	for name, v := range d.Fields {
		if !fn(name, v) {
			return
		}
	}
}

// Layout numbers a fixed set of field names: the slots of the Documents a
// Decoder fills for it. It is immutable and may be shared.
type Layout struct {
	names []string
	index map[string]int
}

// NewLayout numbers names in order, dropping repeats.
func NewLayout(names []string) *Layout {
	l := &Layout{index: make(map[string]int, len(names))}
	for _, n := range names {
		if _, dup := l.index[n]; !dup {
			l.index[n] = len(l.names)
			l.names = append(l.names, n)
		}
	}
	return l
}

// Names returns the field names in slot order; callers must not modify it.
func (l *Layout) Names() []string { return l.names }

// Slot returns the slot number of a field name, or -1 when it has none.
func (l *Layout) Slot(name string) int {
	if i, ok := l.index[name]; ok {
		return i
	}
	return -1
}

// FieldReader reads one field from documents of any form, binding its name
// to a slot once per Layout. It is not safe for concurrent use: give each
// goroutine its own.
type FieldReader struct {
	name   string
	layout *Layout
	slot   int
}

// NewFieldReader returns a reader of the named field.
func NewFieldReader(name string) FieldReader { return FieldReader{name: name} }

// Get returns the field's value in d, or null when absent.
func (r *FieldReader) Get(d *Document) Value {
	if d.Layout == nil {
		return d.Fields[r.name]
	}
	if d.Layout != r.layout {
		r.layout, r.slot = d.Layout, d.Layout.Slot(r.name)
	}
	if r.slot < 0 {
		return Value{}
	}
	return d.Slots[r.slot]
}

// AutoID is the _id of a document that came without one, as Elasticsearch
// gives every document an _id: 20 URL-safe base64 characters, the shape of
// Elasticsearch's auto-generated ids, from the first 120 bits of the
// SHA-256 of the document's line. Deriving it from the bytes rather than
// from the file and line number keeps it stable across runs, thread counts,
// file names, compression and concatenation, and makes the same event read
// from a file and ingested through _bulk one document; identical lines share
// an id, which de-duplicates events shipped twice. (Elasticsearch's own auto
// ids are random: no local scheme can reproduce them.)
func AutoID(line []byte) string {
	h := sha256.Sum256(line)
	return base64.RawURLEncoding.EncodeToString(h[:15])
}
