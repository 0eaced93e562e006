package doc

// This file reads the value of a mapped field and types it by the field's
// plan, as Elasticsearch would index it (convert.go converts one scalar,
// geopoint.go reads geo_point's object and array forms): arrays of values,
// objects where the type refuses them, and the common case — a plain
// string for a keyword or text field — without convert's generality.
// Values are typed as they are scanned, from the line's bytes, rather than
// decoded into a generic tree and typed in a second pass: that pass and
// its allocations would cost more than the scan at ~1 GB/s.

// leafValue decodes the value of a mapped field (a scalar, an array of them, or
// an object where the type allows one).
func (d *Decoder) leafValue(pi int32, depth int) bool {
	p := &d.plans[pi]
	if p.isAlias {
		off := d.pos
		if d.data[d.pos] == 'n' {
			return d.literal("null")
		}
		if !d.skipValue(depth) {
			return false
		}
		return d.fieldFail(p.name, "cannot write to a field alias", off)
	}
	if p.isMulti {
		// {"process.name.caseless": …} would need process.name to be an object.
		off := d.pos
		if !d.skipValue(depth) {
			return false
		}
		return d.fieldFail(p.name, "cannot add a value to multi-field; its parent is not an object", off)
	}
	if p.ignore || !p.need {
		return d.skipValue(depth)
	}
	if p.plainMax > 0 && d.data[d.pos] == '"' {
		// The common case, without apply's generality.
		off := d.pos
		if s, ok := d.plainString(); ok {
			if len(s) > p.plainMax {
				return d.apply(pi, tokString, s, off)
			}
			d.push(pi, Value{T: p.typ, S: s})
			return true
		}
	}
	switch d.data[d.pos] {
	case '[':
		if p.typ == GeoPoint {
			if v, ok, handled := d.geoArray(pi); handled {
				if !ok {
					return false
				}
				if !v.IsNull() {
					d.push(pi, v)
				}
				return true
			}
		}
		d.pos++
		for first := true; ; first = false {
			if more, ok := d.arrayNext(first); !more {
				return ok
			}
			if depth > maxDepth {
				return d.fail("document nested too deeply")
			}
			if !d.leafValue(pi, depth+1) {
				return false
			}
		}
	case '{':
		off := d.pos
		if p.typ == GeoPoint {
			return d.geoObject(pi)
		}
		if !d.skipValue(depth) {
			return false
		}
		if d.opts.IgnoreMalformed {
			return true
		}
		return d.fieldFail(p.name, "field of type ["+p.es+"] cannot hold an object", off)
	case 'n':
		return d.literal("null")
	}
	off := d.pos
	kind, s, ok := d.scalar()
	if !ok {
		return false
	}
	return d.apply(pi, kind, s, off)
}

// apply converts a scalar for a field and each of its multi-fields.
func (d *Decoder) apply(pi int32, kind int, s string, off int) bool {
	p := &d.plans[pi]
	if p.emit {
		v, err := p.convert(kind, s)
		if err != nil {
			if err != errSkip && !d.opts.IgnoreMalformed {
				return d.fieldFail(p.name, err.Error(), off)
			}
		} else {
			d.push(pi, v)
		}
	} else if !d.opts.IgnoreMalformed {
		// Still validate: a bad parent value rejects the document even when
		// only a multi-field is read.
		if _, err := p.convert(kind, s); err != nil && err != errSkip {
			return d.fieldFail(p.name, err.Error(), off)
		}
	}
	for _, si := range p.subs {
		sp := &d.plans[si]
		if !sp.emit {
			if d.opts.Whole && !d.opts.IgnoreMalformed {
				// A bad multi-field value rejects the document, kept or not.
				if _, err := sp.convert(kind, s); err != nil && err != errSkip {
					return d.fieldFail(sp.name, err.Error(), off)
				}
			}
			continue
		}
		v, err := sp.convert(kind, s)
		if err != nil {
			if err != errSkip && !d.opts.IgnoreMalformed {
				return d.fieldFail(sp.name, err.Error(), off)
			}
			continue
		}
		d.push(si, v)
	}
	return true
}
