package doc

import "strings"

// This file decodes nested fields. Elasticsearch indexes each object of a
// field mapped `nested` as a hidden document of its own, so a `nested`
// query (KQL's `path:{ … }`, an exception's nested entry) asks for its
// conditions on one object; ES|QL does not see such fields at all
// (elastic/elasticsearch#99283; PR #135451's test: "The `nested` field is
// not visible, nor are any of its subfields"). Their values therefore
// never reach Fields or Slots: a Decoder whose projection names a field
// under a nested path (or that has no projection) decodes that path's
// objects into Document.Nested, one Document each, with a decoder of its
// own over the mapping's fields under the path, typed as mapped. Other
// lines, and decoders that ask for no nested field, pay one flag test on
// the nested field's key (pathNode.stop), as for a disabled object.
//
// Known gap: a dotted key that crosses the nested path
// (`"threat.enrichments.indicator.type": "x"`, which Elasticsearch expands
// into one object) is skipped, as before.

// nestedField is a nested path a Decoder decodes.
type nestedField struct {
	path string
	// opts are its decoder's: a projection under path, or with Whole the
	// kept names; Reuse when documents keep none of its objects, which are
	// then only validated.
	opts DecodeOptions
	dec  *Decoder // made on first use: most lines have no nested field
}

// captureNested marks the nested paths whose objects documents carry: with
// a projection, those it names a field under (or the path itself); with
// none, every one. With Whole, every other one is validated. A nested
// field inside another is its decoder's.
func (d *Decoder) captureNested() {
	for _, o := range d.m.objects {
		if !o.Nested || o.Disabled || insideNested(d.m, o.Name) {
			continue
		}
		opts := DecodeOptions{Dynamic: d.opts.Dynamic, IgnoreMalformed: d.opts.IgnoreMalformed, KeepIgnoredAbove: d.opts.KeepIgnoredAbove}
		switch under, all := d.nestedProjection(o.Name); {
		case all:
		case d.opts.Whole && d.opts.Layout != nil:
			opts.Whole, opts.Layout, opts.Reuse = true, NewLayout(under), under == nil
		case under != nil:
			opts.Fields = under
		default:
			continue
		}
		n := d.node(o.Name)
		n.nested, n.stop = &nestedField{path: o.Name, opts: opts}, true
		if d.wanted != nil {
			d.markWanted(o.Name)
		}
	}
}

// nestedProjection returns the names under path a document keeps, and
// whether it keeps all of them.
func (d *Decoder) nestedProjection(path string) (under []string, all bool) {
	var names []string
	switch {
	case d.wanted != nil:
		for n := range d.wanted {
			names = append(names, n)
		}
	case d.opts.Whole && d.opts.Layout != nil:
		names = d.opts.Layout.Names()
	default:
		return nil, true
	}
	for _, n := range names {
		if n == path {
			return nil, true
		}
		if strings.HasPrefix(n, path) && n[len(path)] == '.' {
			under = append(under, n)
		}
	}
	return under, false
}

// nestedView is the mapping a nested path's decoder reads: the fields
// under path typed as mapped (the parent mapping leaves them Unsupported,
// for ES|QL), and the objects under it, nested ones staying nested.
func nestedView(m *Mapping, path string) *Mapping {
	v := NewMapping()
	v.Templates, v.Fallback, v.NoDateDetection, v.DynamicObjects = m.Templates, m.Fallback, m.NoDateDetection, m.DynamicObjects
	prefix := path + "."
	for name, o := range m.objects {
		if strings.HasPrefix(name, prefix) {
			v.objects[name] = o
		}
	}
	for name, f := range m.fields {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		g := *f
		if !insideNested(v, name) {
			g.Nested, g.Type = false, ESTypeOf(g.ESType)
		}
		v.fields[name] = &g
	}
	return v
}

// insideNested reports whether an ancestor of name is a nested object of m.
func insideNested(m *Mapping, name string) bool {
	for i := strings.LastIndexByte(name, '.'); i > 0; i = strings.LastIndexByte(name[:i], '.') {
		if o, ok := m.objects[name[:i]]; ok && o.Nested {
			return true
		}
	}
	return false
}

// nestedValue decodes the value at d.pos of nested field nf into the
// line's nested objects.
func (d *Decoder) nestedValue(nf *nestedField, depth int) bool {
	if nf.dec == nil {
		nf.dec = NewDecoder(nestedView(d.m, nf.path), nf.opts)
		nf.dec.prefix, nf.dec.start = nf.path, nf.dec.node(nf.path)
	}
	sub := nf.dec
	sub.scanner = scanner{data: d.data, src: d.src, pos: d.pos, buf: sub.buf}
	sub.lineAt = d.lineAt
	objs, ok := sub.objects(d.nestedAcc[nf.path], depth)
	d.pos = sub.pos
	if !ok {
		if d.err == nil {
			d.err = sub.err
		}
		return false
	}
	if len(objs) > 0 {
		if d.nestedAcc == nil {
			d.nestedAcc = map[string][]*Document{}
		}
		d.nestedAcc[nf.path] = objs
	}
	return true
}

// objects decodes a nested field's value at d.pos (an object, or arrays of
// objects and nulls, which Elasticsearch flattens) appending a Document per
// object to out.
func (d *Decoder) objects(out []*Document, depth int) ([]*Document, bool) {
	if depth > maxDepth {
		return out, d.fail("document nested too deeply")
	}
	switch d.data[d.pos] {
	case '{':
		d.resetValues()
		if d.opts.Reuse { // only validating
			d.slab = d.slab[:0]
			if d.reuse == nil {
				d.reuse = &Document{}
			}
			d.doc = d.reuse
		} else {
			d.doc = &Document{}
		}
		d.path = append(d.path[:0], d.prefix...)
		if !d.object(len(d.prefix), depth+1, d.start, false) {
			return out, false
		}
		d.finish()
		if d.opts.Reuse {
			return out, true
		}
		return append(out, d.doc), true
	case '[':
		d.pos++
		for first := true; ; first = false {
			more, ok := d.arrayNext(first)
			if !more {
				return out, ok
			}
			if out, ok = d.objects(out, depth+1); !ok {
				return out, false
			}
		}
	case 'n':
		return out, d.literal("null")
	}
	return out, d.fieldFail(d.prefix, "object mapping tried to parse field as object, but found a concrete value", d.pos)
}
