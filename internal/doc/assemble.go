package doc

import (
	"slices"
	"strings"
	"unsafe"
)

// This file assembles a Document from the values decoding accumulated
// per field plan: multi-values in doc-values order (sorted, keywords
// deduplicated) as Elasticsearch returns them, constants, aliases, into
// the Fields map or a Layout's slots, updating a reused Document in place:
// at ~1 GB/s, clearing and refilling its map per line would cost more
// than overwriting the names shown again.

// push adds a value to a plan's accumulated values, copying a string that
// aliases the line into a slab unless Reuse (see keep).
func (d *Decoder) push(pi int32, v Value) {
	p := &d.plans[pi]
	if len(p.acc) == 0 {
		d.touched = append(d.touched, pi)
		if p.counted {
			d.have++
		}
	}
	if !d.opts.Reuse && uintptr(unsafe.Pointer(unsafe.StringData(v.S)))-d.lineAt < uintptr(len(d.data)) {
		v.S = d.keep(v.S)
	}
	p.acc = append(p.acc, v)
}

// resetValues drops the values accumulated for the document.
func (d *Decoder) resetValues() {
	for _, t := range d.touched {
		d.plans[t].acc = d.plans[t].acc[:0]
	}
	d.touched = d.touched[:0]
	d.have = 0
	d.nestedAcc = nil
}

// finish builds the document's field map (or slots) from the accumulated
// values.
func (d *Decoder) finish() {
	d.gen++
	d.shownNext = d.shownNext[:0]
	d.doc.Nested, d.nestedAcc = d.nestedAcc, nil
	if l := d.opts.Layout; l != nil {
		d.doc.Fields, d.doc.Layout = nil, l
		if d.doc.Slots == nil {
			d.doc.Slots = make([]Value, len(l.names))
		} else {
			// Only what the last line set: a skim sets few of many slots.
			for _, s := range d.slotsSet {
				d.doc.Slots[s] = Value{}
			}
		}
		d.slotsSet = d.slotsSet[:0]
		d.collect(nil)
		return
	}
	fields := d.doc.Fields
	reused := fields != nil
	if !reused {
		fields = make(map[string]Value, len(d.touched)+len(d.consts))
	}
	d.collect(fields)
	if reused {
		for _, pi := range d.shown {
			if p := &d.plans[pi]; p.shownAt != d.gen {
				delete(fields, p.name)
			}
		}
		if len(fields) != len(d.shownNext) {
			// The caller added names of its own.
			for name := range fields {
				if pi, ok := d.byName[name]; !ok || d.plans[pi].shownAt != d.gen {
					delete(fields, name)
				}
			}
		}
	}
	d.shown, d.shownNext = d.shownNext, d.shown
	d.doc.Fields = fields
}

// collect shows every emitted field's value (see show): the accumulated
// values, in doc-values order, then constants the line did not set.
func (d *Decoder) collect(fields map[string]Value) {
	for _, t := range d.touched {
		p := &d.plans[t]
		vals := p.acc
		if !p.emit || len(vals) == 0 {
			continue
		}
		var v Value
		if len(vals) == 1 {
			v = vals[0]
		} else {
			switch p.order {
			case orderSortDedup:
				slices.SortFunc(vals, cmpValue)
				vals = slices.CompactFunc(vals, func(a, b Value) bool { return a.S == b.S })
			case orderSort:
				slices.SortStableFunc(vals, cmpValue)
			}
			if len(vals) == 1 {
				v = vals[0]
			} else {
				m := d.multi(len(vals))
				copy(m, vals)
				v = Value{T: p.typ, M: m}
			}
		}
		d.show(fields, t, v)
	}
	for _, ci := range d.consts {
		if p := &d.plans[ci]; p.emit && p.shownAt != d.gen {
			d.show(fields, ci, KeywordOf(p.constant))
		}
	}
}

// show puts a field's value in the document under its name and those of
// its aliases: in fields, or with a Layout (fields nil) in their slots.
func (d *Decoder) show(fields map[string]Value, pi int32, v Value) {
	p := &d.plans[pi]
	p.shownAt = d.gen
	if fields == nil {
		if p.slot >= 0 {
			d.doc.Slots[p.slot] = v
			d.slotsSet = append(d.slotsSet, int32(p.slot))
		}
		for _, a := range p.aliases {
			d.plans[a].shownAt = d.gen
			if s := d.plans[a].slot; s >= 0 {
				d.doc.Slots[s] = v
				d.slotsSet = append(d.slotsSet, int32(s))
			}
		}
		return
	}
	fields[p.name] = v
	d.shownNext = append(d.shownNext, pi)
	for _, a := range p.aliases {
		fields[d.plans[a].name] = v
		d.plans[a].shownAt = d.gen
		d.shownNext = append(d.shownNext, a)
	}
}

// cmpValue orders single values of one type as their doc values sort.
func cmpValue(a, b Value) int {
	switch a.T {
	case Keyword, Text, IP, Version, GeoPoint:
		return strings.Compare(a.S, b.S)
	case Double:
		if a.F < b.F {
			return -1
		}
		if a.F > b.F {
			return 1
		}
		return 0
	case UnsignedLong:
		ua, ub := uint64(a.I), uint64(b.I)
		if ua < ub {
			return -1
		}
		if ua > ub {
			return 1
		}
		return 0
	}
	if a.I < b.I {
		return -1
	}
	if a.I > b.I {
		return 1
	}
	return 0
}
