package doc

import (
	"math"
	"slices"
)

// This file compiles a mapping into field plans: for each mapped field,
// what decoding its values costs and keeps (read, validate, show, skip),
// decided once per Decoder rather than per value: at ~1 GB/s a value can
// afford a few flag tests, not a look at the mapping. Dynamic mapping adds
// plans as it goes (see dynamicField).

// fieldPlan is a mapped field compiled for decoding.
type fieldPlan struct {
	// What decoding a value reads comes first, with the values accumulated
	// for the line, within the first cache line: a line touches a few plans
	// among thousands.
	typ       Type
	ignore    bool // Unsupported or nested: the value is skipped entirely
	emit      bool // store values of this field in the document
	need      bool // decode this field (emit, or a multi-field of it is emitted)
	isAlias   bool
	isMulti   bool // a multi-field: values come only from its parent
	counted   bool // a projected field FirstValuesOnly waits for
	order     int8 // orderSortDedup, orderSort or orderSource
	plainMax  int  // > 0: a string value up to this long is its own Value (see refreshNeed)
	acc       []Value
	shownAt   uint64 // Decoder.gen when last put in a Document
	keepLong  bool
	lower     bool
	hasConst  bool
	checkTerm bool // Lucene rejects keyword terms over 32766 bytes

	name        string
	es          string
	ignoreAbove int
	scale       float64
	constant    string
	subs        []int32
	aliases     []int32 // the alias plans that show this field's value
	slot        int     // with a Layout: the field's slot, -1 for none
	dateFmts    []uint8
}

const (
	orderSortDedup = iota
	orderSort
	orderSource
)

// keeps reports whether a plan's values go into documents: under a
// projection those of wanted names; with Whole, those the layout (or an
// alias's slot) shows.
func (d *Decoder) keeps(p *fieldPlan) bool {
	switch {
	case d.wanted != nil:
		return d.wanted[p.name]
	case d.opts.Whole && d.opts.Layout != nil:
		if p.slot >= 0 {
			return true
		}
		return slices.ContainsFunc(p.aliases, func(a int32) bool { return d.plans[a].slot >= 0 })
	}
	return true
}

// countTarget sets the number of projected fields FirstValuesOnly waits
// for, marking their plans. Aliases read their target (itself projected)
// and constants fill in when absent; a projected name that can get no
// value disables the early stop.
func (d *Decoder) countTarget() {
	d.target = math.MaxInt
	if !d.opts.FirstValuesOnly || d.wanted == nil {
		return
	}
	n := 0
	for name := range d.wanted {
		pi, ok := d.byName[name]
		if !ok {
			return
		}
		p := &d.plans[pi]
		switch {
		case p.isAlias, p.hasConst && p.emit:
		case !p.emit:
			return
		default:
			p.counted = true
			n++
		}
	}
	d.target = n
}

func (d *Decoder) addPlan(f *Field) int32 {
	p := fieldPlan{name: f.Name, typ: f.Type, es: f.ESType, ignoreAbove: f.IgnoreAbove,
		scale: f.Scaling, keepLong: d.opts.KeepIgnoredAbove, slot: -1}
	if d.opts.Layout != nil {
		p.slot = d.opts.Layout.Slot(f.Name)
	}
	p.ignore = f.Type == Unsupported || f.Nested
	p.lower = f.Normalizer == "lowercase"
	if f.ESType == "constant_keyword" && !f.Constant.IsNull() {
		p.hasConst, p.constant = true, f.Constant.S
	}
	p.isAlias = f.ESType == "alias"
	p.isMulti = f.Parent != ""
	if f.Type == Date || f.Type == DateNanos {
		p.dateFmts = compileDateFormats(f.Type, f.Format)
	}
	p.checkTerm = f.ESType == "keyword" && !(f.NoIndex && f.NoDocValues)
	switch {
	case f.Type == Text || f.Type == GeoPoint || f.Type == CartesianPoint || f.NoDocValues:
		p.order = orderSource // read from _source
	case f.Type == Keyword || f.Type == IP || f.Type == Version:
		p.order = orderSortDedup // SortedSet doc values
	default:
		p.order = orderSort // SortedNumeric doc values
	}
	idx := int32(len(d.plans))
	d.plans = append(d.plans, p)
	d.byName[f.Name] = idx
	d.node(f.Name).plan = idx
	if p.hasConst {
		d.consts = append(d.consts, idx)
	}
	if p.isAlias {
		d.aliasIdx = append(d.aliasIdx, idx)
	}
	return idx
}

func (d *Decoder) refreshNeed(i int32) {
	p := &d.plans[i]
	p.emit = !p.ignore && !p.isAlias && d.keeps(p)
	// need: read (type and validate) the value; Whole reads every one.
	p.need = p.emit || d.opts.Whole
	for _, s := range p.subs {
		sp := &d.plans[s]
		sp.emit = !sp.ignore && d.keeps(sp)
		if sp.emit {
			p.need = true
		}
	}
	if p.ignore || p.isAlias {
		p.need = false
	}
	p.plainMax = 0
	if p.emit && !p.isMulti && (p.typ == Keyword || p.typ == Text || p.typ == Version) && !p.lower && !p.hasConst &&
		!slices.ContainsFunc(p.subs, func(s int32) bool { return d.plans[s].emit }) {
		// convert returns such strings as they are, up to the first length
		// ignore_above or the term limit could refuse.
		p.plainMax = math.MaxInt
		if p.typ == Keyword && p.ignoreAbove > 0 {
			p.plainMax = p.ignoreAbove
		}
		if p.checkTerm {
			p.plainMax = min(p.plainMax, maxTermBytes)
		}
	}
}
