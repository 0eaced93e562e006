package doc

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// DecodeOptions control how a Decoder treats documents.
type DecodeOptions struct {
	// Dynamic types unmapped fields the way Elasticsearch's dynamic mapping
	// would, except that strings become Keyword rather than text+keyword
	// (mirroring the ECS and logs-* index templates, whose dynamic_templates
	// map strings to keyword). ISO-8601 strings become Date (date_detection),
	// integers Long, fractional numbers Double (ESType float, as ES maps
	// them), booleans Boolean. The first value seen fixes the type. Without
	// Dynamic, unmapped fields are ignored (like "dynamic": false).
	Dynamic bool
	// IgnoreMalformed drops a value that cannot be indexed under its mapping
	// instead of rejecting the document (Elasticsearch's ignore_malformed).
	IgnoreMalformed bool
	// KeepIgnoredAbove keeps keyword values longer than ignore_above, as ES|QL
	// returns them on synthetic-source (logsdb) indices. By default they read
	// as absent, as on standard indices.
	KeepIgnoredAbove bool
	// Fields, when non-nil, projects decoding to these dotted names; every
	// other field is skipped without being typed (or validated).
	Fields []string
	// Reuse makes Decode return the same Document every call, its map
	// cleared and refilled, with strings that alias the input line: the
	// Document and its values are only valid until the next Decode and
	// while the line's bytes are unchanged. For callers that read a
	// document and drop it (routing, counting), it saves the line copy and
	// the per-document allocations.
	Reuse bool
	// ReuseDocument makes Decode return the same Document every call, its
	// map cleared and refilled, while its values own their memory as with
	// fresh Documents: values may be kept, the Document may not. For
	// callers such as esql.Execution.Push, which copy values out of the
	// Document and never retain it.
	ReuseDocument bool
}

// DecodeError reports why a line could not be decoded: malformed JSON, or a
// value Elasticsearch would refuse to index (which rejects the whole document).
type DecodeError struct {
	Offset int    // byte offset in the line
	Field  string // dotted field name, empty for JSON syntax errors
	Reason string
}

func (e *DecodeError) Error() string {
	if e.Field != "" {
		return "offset " + strconv.Itoa(e.Offset) + ": failed to parse field [" + e.Field + "]: " + e.Reason
	}
	return "offset " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

// fieldPlan is a mapped field compiled for decoding.
type fieldPlan struct {
	name        string
	typ         Type
	es          string
	ignore      bool // Unsupported or nested: the value is skipped entirely
	keepLong    bool
	lower       bool
	ignoreAbove int
	scale       float64
	hasConst    bool
	constant    string
	order       int8 // orderSortDedup, orderSort or orderSource
	subs        []int32
	aliases     []string
	emit        bool // store values of this field in the document
	need        bool // decode this field (emit, or a multi-field of it is emitted)
	isAlias     bool
	isMulti     bool // a multi-field: values come only from its parent
	checkTerm   bool // Lucene rejects keyword terms over 32766 bytes
	dateFmts    []uint8
}

const (
	orderSortDedup = iota
	orderSort
	orderSource
)

// maxDepth bounds JSON nesting so hostile input cannot exhaust the stack.
const maxDepth = 512

// Decoder turns NDJSON lines into Documents typed by a mapping. It reuses
// buffers between calls, so a Decoder must not be used concurrently; the
// Documents it returns are independent of the input line and of later calls.
type Decoder struct {
	m        *Mapping
	opts     DecodeOptions
	plans    []fieldPlan
	byName   map[string]int32
	root     *pathNode
	wanted   map[string]bool // projection: emitted names (nil = all)
	consts   []int32         // constant_keyword plans with a value
	aliasIdx []int32         // alias plans (filled from their target after decoding)
	dyn      *Mapping

	// per-line state
	data    []byte
	src     string // data as a string; unescaped strings are substrings of it
	pos     int
	path    []byte
	buf     []byte
	acc     [][]Value
	touched []int32
	doc     *Document
	err     *DecodeError
	reuse   *Document // the Document Reuse hands out
	backing []Value   // Reuse: multi-value storage kept between calls
}

// pathNode is one dotted-name segment of the trie the decoder walks, so each
// JSON key costs one lookup of the key alone instead of several full-path ones.
type pathNode struct {
	plan int32   // field plan, -1 when none
	obj  *Object // container at this path, nil when none
	want bool    // something to decode lies here or below
	kids map[string]*pathNode
	// With a projection, hot lists the only kids whose values are not
	// simply skipped (wanted, or holding an alias or multi-field, which
	// reject values even unread); a short linear scan beats hashing every
	// key of every line. hotOK is false when kids changed since.
	hot   []hotKid
	hotOK bool
}

type hotKid struct {
	name string
	n    *pathNode
}

// lookup walks a (possibly dotted) key below n; nil when unmapped, or when
// under a projection the value would only be skipped.
func (n *pathNode) lookup(key string) *pathNode {
	for n != nil {
		i := strings.IndexByte(key, '.')
		seg := key
		if i >= 0 {
			seg = key[:i]
		}
		if n.hotOK {
			var next *pathNode
			for _, h := range n.hot {
				if h.name == seg {
					next = h.n
					break
				}
			}
			n = next
		} else {
			n = n.kids[seg]
		}
		if i < 0 {
			return n
		}
		key = key[i+1:]
	}
	return nil
}

// lookupAll is lookup without the projection's shortcut.
func (n *pathNode) lookupAll(key string) *pathNode {
	for n != nil {
		i := strings.IndexByte(key, '.')
		if i < 0 {
			return n.kids[key]
		}
		n = n.kids[key[:i]]
		key = key[i+1:]
	}
	return nil
}

// buildHot fills the hot lists below n and reports whether n itself is hot.
func (d *Decoder) buildHot(n *pathNode) bool {
	special := false
	n.hot = n.hot[:0]
	for name, k := range n.kids {
		if d.buildHot(k) {
			n.hot = append(n.hot, hotKid{name, k})
			special = true
		}
	}
	n.hotOK = true
	if n.plan >= 0 && (d.plans[n.plan].isAlias || d.plans[n.plan].isMulti) {
		special = true
	}
	return special || n.want
}

// node returns the trie node of a dotted name, creating it and its ancestors.
func (d *Decoder) node(name string) *pathNode {
	n := d.root
	for {
		i := strings.IndexByte(name, '.')
		seg := name
		if i >= 0 {
			seg = name[:i]
		}
		c := n.kids[seg]
		if c == nil {
			c = &pathNode{plan: -1, want: d.wanted == nil}
			if n.kids == nil {
				n.kids = map[string]*pathNode{}
			}
			n.kids[seg] = c
			n.hotOK = false // back to the map until hot lists are rebuilt
		}
		n = c
		if i < 0 {
			return n
		}
		name = name[i+1:]
	}
}

// markWanted flags a name and its ancestors for a projection.
func (d *Decoder) markWanted(name string) {
	n := d.root
	for {
		i := strings.IndexByte(name, '.')
		seg := name
		if i >= 0 {
			seg = name[:i]
		}
		n = n.kids[seg]
		if n == nil {
			return
		}
		n.want = true
		if i < 0 {
			return
		}
		name = name[i+1:]
	}
}

// NewDecoder compiles a mapping for decoding; m may be nil (an empty mapping).
func NewDecoder(m *Mapping, opts DecodeOptions) *Decoder {
	if m == nil {
		m = NewMapping()
	}
	d := &Decoder{m: m, opts: opts, byName: map[string]int32{}, dyn: NewMapping()}
	d.root = &pathNode{plan: -1, want: true}
	if opts.Fields != nil {
		d.wanted = map[string]bool{}
		for _, name := range opts.Fields {
			d.wanted[name] = true
			if f, ok := m.Lookup(name); ok && f.ESType == "alias" {
				d.wanted[f.Path] = true
			}
		}
	}
	for _, o := range m.objects {
		d.node(o.Name).obj = o
	}
	fields := m.Fields()
	for _, f := range fields {
		d.addPlan(f)
	}
	for _, f := range fields {
		if f.Parent != "" {
			if pi, ok := d.byName[f.Parent]; ok {
				d.plans[pi].subs = append(d.plans[pi].subs, d.byName[f.Name])
			}
		}
		if f.ESType == "alias" {
			if ti, ok := d.byName[f.Path]; ok {
				d.plans[ti].aliases = append(d.plans[ti].aliases, f.Name)
			}
		}
	}
	for i := range d.plans {
		d.refreshNeed(int32(i))
	}
	if d.wanted != nil {
		for i := range d.plans {
			if d.plans[i].need {
				d.markWanted(d.plans[i].name)
			}
		}
		if opts.Dynamic {
			// Unmapped wanted names get nodes so dynamic mapping can reach them.
			for name := range d.wanted {
				d.node(name)
				d.markWanted(name)
			}
		}
		d.buildHot(d.root)
	}
	return d
}

func (d *Decoder) addPlan(f *Field) int32 {
	p := fieldPlan{name: f.Name, typ: f.Type, es: f.ESType, ignoreAbove: f.IgnoreAbove,
		scale: f.Scaling, keepLong: d.opts.KeepIgnoredAbove}
	p.ignore = f.Type == Unsupported || f.Nested
	p.lower = f.Normalizer == "lowercase"
	if f.ESType == "constant_keyword" && !f.Constant.IsNull() {
		p.hasConst, p.constant = true, f.Constant.S
	}
	p.isAlias = f.ESType == "alias"
	p.isMulti = f.Parent != ""
	if f.Type == Date || f.Type == DateNanos {
		p.dateFmts = compileDateFormats(f.Format)
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
	d.acc = append(d.acc, nil)
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
	p.emit = !p.ignore && !p.isAlias && (d.wanted == nil || d.wanted[p.name])
	p.need = p.emit
	for _, s := range p.subs {
		sp := &d.plans[s]
		sp.emit = !sp.ignore && (d.wanted == nil || d.wanted[sp.name])
		if sp.emit {
			p.need = true
		}
	}
	if p.ignore || p.isAlias {
		p.need = false
	}
}

// Dynamic returns the fields this decoder has added by dynamic mapping so far.
func (d *Decoder) Dynamic() *Mapping { return d.dyn }

// Decode parses one JSON document line. The returned Document is fresh.
func (d *Decoder) Decode(line []byte) (*Document, error) {
	d.data = line
	// Unescaped strings are substrings of src, which aliases the caller's
	// line; finish copies the ones a fresh Document keeps (see own).
	d.src = unsafe.String(unsafe.SliceData(line), len(line))
	d.pos = 0
	d.path = d.path[:0]
	d.err = nil
	for _, t := range d.touched {
		d.acc[t] = d.acc[t][:0]
	}
	d.touched = d.touched[:0]
	var doc *Document
	if d.opts.Reuse || d.opts.ReuseDocument {
		if d.reuse == nil {
			d.reuse = &Document{Fields: map[string]Value{}}
		}
		doc = d.reuse
		fields := doc.Fields
		clear(fields)
		*doc = Document{Fields: fields}
	} else {
		doc = &Document{}
	}
	d.doc = doc

	d.skipWS()
	if d.pos >= len(d.data) || d.data[d.pos] != '{' {
		return nil, d.syntax("expected a JSON object")
	}
	if !d.topObject() {
		if d.err == nil {
			return nil, &DecodeError{Offset: d.pos, Reason: "malformed document"}
		}
		return nil, d.err
	}
	d.skipWS()
	if d.pos != len(d.data) {
		return nil, d.syntax("trailing data after the document")
	}
	d.finish()
	return doc, nil
}

func (d *Decoder) syntax(msg string) error {
	d.err = &DecodeError{Offset: d.pos, Reason: msg}
	return d.err
}

func (d *Decoder) fail(msg string) bool {
	if d.err == nil {
		d.err = &DecodeError{Offset: d.pos, Reason: msg}
	}
	return false
}

func (d *Decoder) fieldFail(field, reason string, off int) bool {
	if d.err == nil {
		d.err = &DecodeError{Offset: off, Field: field, Reason: reason}
	}
	return false
}

var metaKeys = map[string]bool{
	"_index": true, "_id": true, "_version": true, "_score": true, "_source": true,
	"_type": true, "_seq_no": true, "_primary_term": true, "_routing": true,
	"_ignored": true, "_explanation": true, "_shard": true, "_node": true, "_nested": true,
}

// topObject decodes the outermost object: a bare document, or a search hit /
// export line whose _source is the document. Documents cannot hold metadata
// fields (Elasticsearch rejects them), so one such key marks a hit.
func (d *Decoder) topObject() bool {
	d.pos++ // '{'
	hit := false
	first := true
	for {
		d.skipWS()
		if d.pos >= len(d.data) {
			return d.fail("unexpected end of input in object")
		}
		if d.data[d.pos] == '}' {
			d.pos++
			return true
		}
		if !first {
			if d.data[d.pos] != ',' {
				return d.fail("expected ',' or '}' in object")
			}
			d.pos++
			d.skipWS()
		}
		first = false
		key, ok := d.readString()
		if !ok {
			return false
		}
		if !d.colon() {
			return false
		}
		if !hit && metaKeys[key] {
			hit = true
			// Anything decoded so far belonged to the hit envelope, not the document.
			for _, t := range d.touched {
				d.acc[t] = d.acc[t][:0]
			}
			d.touched = d.touched[:0]
		}
		if hit {
			if !d.metaValue(key) {
				return false
			}
			continue
		}
		if !d.member(key, 0, 0, d.root) {
			return false
		}
	}
}

func (d *Decoder) metaValue(key string) bool {
	d.skipWS()
	if d.pos >= len(d.data) {
		return d.fail("unexpected end of input")
	}
	switch key {
	case "_source":
		if d.data[d.pos] != '{' {
			return d.skipValue(0)
		}
		return d.object(0, 1, d.root)
	case "_index", "_id":
		if d.data[d.pos] == '"' {
			s, ok := d.readString()
			if !ok {
				return false
			}
			if !d.opts.Reuse {
				s = strings.Clone(s)
			}
			if key == "_index" {
				d.doc.Index = s
			} else {
				d.doc.ID = s
			}
			return true
		}
	case "_version":
		c := d.data[d.pos]
		if c == '-' || (c >= '0' && c <= '9') {
			s, ok := d.readNumber()
			if !ok {
				return false
			}
			if v, err := strconv.ParseInt(s, 10, 64); err == nil {
				d.doc.Version = v
			}
			return true
		}
	}
	return d.skipValue(0)
}

// object decodes an object's members under the current path.
func (d *Decoder) object(base, depth int, n *pathNode) bool {
	if depth > maxDepth {
		return d.fail("document nested too deeply")
	}
	d.pos++ // '{'
	first := true
	for {
		d.skipWS()
		if d.pos >= len(d.data) {
			return d.fail("unexpected end of input in object")
		}
		if d.data[d.pos] == '}' {
			d.pos++
			return true
		}
		if !first {
			if d.data[d.pos] != ',' {
				return d.fail("expected ',' or '}' in object")
			}
			d.pos++
			d.skipWS()
		}
		first = false
		key, ok := d.readString()
		if !ok {
			return false
		}
		if !d.colon() {
			return false
		}
		if !d.member(key, base, depth, n) {
			return false
		}
	}
}

func (d *Decoder) colon() bool {
	d.skipWS()
	if d.pos >= len(d.data) || d.data[d.pos] != ':' {
		return d.fail("expected ':' after object key")
	}
	d.pos++
	d.skipWS()
	if d.pos >= len(d.data) {
		return d.fail("unexpected end of input after ':'")
	}
	return true
}

// member handles one key: value pair whose parent path is d.path[:base].
func (d *Decoder) member(key string, base, depth int, parent *pathNode) bool {
	if key == "" {
		return d.fieldFail(string(d.path[:base]), "field name cannot be an empty string", d.pos)
	}
	d.path = d.path[:base]
	if base > 0 {
		d.path = append(d.path, '.')
	}
	d.path = append(d.path, key...)
	end := len(d.path)
	ok := d.value(end, depth, parent.lookup(key))
	d.path = d.path[:base]
	return ok
}

// value decodes the value at d.pos for the field named d.path[:end], whose
// trie node is n (nil when the path is unmapped).
func (d *Decoder) value(end, depth int, n *pathNode) bool {
	d.path = d.path[:end]
	if n != nil {
		if n.plan >= 0 {
			return d.leafValue(n.plan, depth)
		}
		if !n.want || (n.obj != nil && n.obj.Disabled) {
			return d.skipValue(depth)
		}
	} else if !d.opts.Dynamic || d.wanted != nil {
		// Unmapped, and nothing will map it: validate the JSON and move on.
		return d.skipValue(depth)
	}
	switch d.data[d.pos] {
	case '{':
		return d.object(end, depth+1, n)
	case '[':
		d.pos++
		first := true
		for {
			d.skipWS()
			if d.pos >= len(d.data) {
				return d.fail("unexpected end of input in array")
			}
			if d.data[d.pos] == ']' {
				d.pos++
				return true
			}
			if !first {
				if d.data[d.pos] != ',' {
					return d.fail("expected ',' or ']' in array")
				}
				d.pos++
				d.skipWS()
				if d.pos >= len(d.data) {
					return d.fail("unexpected end of input in array")
				}
			}
			first = false
			if depth > maxDepth {
				return d.fail("document nested too deeply")
			}
			if !d.value(end, depth+1, n) {
				return false
			}
			d.path = d.path[:end]
			// A dynamic field created by this element types the rest.
			if n != nil && n.plan >= 0 {
				return d.arrayRest(n.plan, depth)
			}
			if n == nil {
				if pi, ok := d.byName[string(d.path)]; ok {
					return d.arrayRest(pi, depth)
				}
			}
		}
	case 'n':
		return d.literal("null")
	}
	// An unmapped scalar.
	off := d.pos
	kind, s, ok := d.scalar()
	if !ok {
		return false
	}
	if n != nil && (n.obj != nil || len(n.kids) > 0) {
		return d.fieldFail(string(d.path), "object mapping tried to parse field as object, but found a concrete value", off)
	}
	if !d.opts.Dynamic {
		return true
	}
	pi := d.dynamicField(kind, s)
	return d.apply(pi, kind, s, off)
}

// arrayRest continues an array (after its first elements) once the field is known.
func (d *Decoder) arrayRest(pi int32, depth int) bool {
	for {
		d.skipWS()
		if d.pos >= len(d.data) {
			return d.fail("unexpected end of input in array")
		}
		if d.data[d.pos] == ']' {
			d.pos++
			return true
		}
		if d.data[d.pos] != ',' {
			return d.fail("expected ',' or ']' in array")
		}
		d.pos++
		d.skipWS()
		if d.pos >= len(d.data) {
			return d.fail("unexpected end of input in array")
		}
		if !d.leafValue(pi, depth+1) {
			return false
		}
	}
}

// dynamicField adds an unmapped field, typed from its first value.
func (d *Decoder) dynamicField(kind int, s string) int32 {
	name := string(d.path)
	f := Field{Name: name}
	switch kind {
	case tokTrue, tokFalse:
		f.Type, f.ESType = Boolean, "boolean"
	case tokNumber:
		if strings.ContainsAny(s, ".eE") {
			f.Type, f.ESType = Double, "float"
		} else {
			f.Type, f.ESType = Long, "long"
		}
	default:
		if len(s) >= 10 && s[4] == '-' {
			if _, ok := parseISODate(s); ok {
				f.Type, f.ESType = Date, "date"
			}
		}
		if f.Type == Null {
			f.Type, f.ESType = Keyword, "keyword"
		}
	}
	// Under a nested object the field is a nested sub-field, which ES|QL cannot read.
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '.' {
			if a := d.root.lookupAll(name[:i]); a != nil && a.obj != nil && a.obj.Nested {
				f.Nested, f.Type = true, Unsupported
				break
			}
		}
	}
	d.dyn.Add(f)
	stored, _ := d.dyn.Lookup(name)
	pi := d.addPlan(stored)
	d.refreshNeed(pi)
	// Register the parent objects so a later scalar there is rejected as ES does.
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '.' {
			a := d.node(name[:i])
			if a.obj != nil || a.plan >= 0 {
				break
			}
			a.obj = &Object{Name: name[:i]}
			d.dyn.AddObject(*a.obj)
		}
	}
	return pi
}

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
	switch d.data[d.pos] {
	case '[':
		if p.typ == GeoPoint {
			if v, ok, handled := d.geoArray(); handled {
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
		first := true
		for {
			d.skipWS()
			if d.pos >= len(d.data) {
				return d.fail("unexpected end of input in array")
			}
			if d.data[d.pos] == ']' {
				d.pos++
				return true
			}
			if !first {
				if d.data[d.pos] != ',' {
					return d.fail("expected ',' or ']' in array")
				}
				d.pos++
				d.skipWS()
				if d.pos >= len(d.data) {
					return d.fail("unexpected end of input in array")
				}
			}
			first = false
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

func (d *Decoder) push(pi int32, v Value) {
	if len(d.acc[pi]) == 0 {
		d.touched = append(d.touched, pi)
	}
	d.acc[pi] = append(d.acc[pi], v)
}

// geoObject reads {"lat":…,"lon":…}.
func (d *Decoder) geoObject(pi int32) bool {
	off := d.pos
	d.pos++
	lat, lon := math.NaN(), math.NaN()
	first := true
	for {
		d.skipWS()
		if d.pos >= len(d.data) {
			return d.fail("unexpected end of input in object")
		}
		if d.data[d.pos] == '}' {
			d.pos++
			break
		}
		if !first {
			if d.data[d.pos] != ',' {
				return d.fail("expected ',' or '}' in object")
			}
			d.pos++
			d.skipWS()
		}
		first = false
		key, ok := d.readString()
		if !ok || !d.colon() {
			return false
		}
		kind, s, ok := d.scalarOrSkip()
		if !ok {
			return false
		}
		if kind == tokNumber || kind == tokString {
			f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err == nil {
				switch key {
				case "lat":
					lat = f
				case "lon":
					lon = f
				}
			}
		}
	}
	v, err := geoPoint(lat, lon)
	if err != nil {
		if d.opts.IgnoreMalformed {
			return true
		}
		return d.fieldFail(d.plans[pi].name, "field must be either [lat], [lon] or [geohash]: "+err.Error(), off)
	}
	if d.plans[pi].emit {
		d.push(pi, v)
	}
	return true
}

// geoArray recognises [lon, lat] (GeoJSON order). handled is false when the
// array holds something else (then it is a list of points).
func (d *Decoder) geoArray() (v Value, ok, handled bool) {
	start := d.pos
	d.pos++
	var nums [3]float64
	n := 0
	for {
		d.skipWS()
		if d.pos >= len(d.data) {
			d.pos = start
			return Value{}, false, false
		}
		c := d.data[d.pos]
		if c == ']' {
			d.pos++
			break
		}
		if n > 0 {
			if c != ',' {
				d.pos = start
				return Value{}, false, false
			}
			d.pos++
			d.skipWS()
			if d.pos >= len(d.data) {
				d.pos = start
				return Value{}, false, false
			}
			c = d.data[d.pos]
		}
		if c != '-' && (c < '0' || c > '9') || n == 3 {
			d.pos = start
			return Value{}, false, false
		}
		s, good := d.readNumber()
		if !good {
			return Value{}, false, true
		}
		f, _ := strconv.ParseFloat(s, 64)
		nums[n] = f
		n++
	}
	if n < 2 {
		d.pos = start
		return Value{}, false, false
	}
	gv, err := geoPoint(nums[1], nums[0])
	if err != nil {
		if d.opts.IgnoreMalformed {
			return Value{}, true, true
		}
		d.fieldFail(d.plans[d.byName[string(d.path)]].name, err.Error(), start)
		return Value{}, false, true
	}
	return gv, true, true
}

// own copies the emitted strings that alias the input line into one
// allocation sized to them, so a kept Document pins only its own values,
// not the whole line (a STATS VALUES over millions of events would
// otherwise hold every matching line).
func (d *Decoder) own() {
	lo := uintptr(unsafe.Pointer(unsafe.StringData(d.src)))
	hi := lo + uintptr(len(d.src))
	in := func(s string) bool {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		return len(s) > 0 && p >= lo && p < hi
	}
	total := 0
	for _, t := range d.touched {
		if !d.plans[t].emit {
			continue
		}
		for _, v := range d.acc[t] {
			if in(v.S) {
				total += len(v.S)
			}
		}
	}
	if total == 0 {
		return
	}
	arena := make([]byte, 0, total)
	for _, t := range d.touched {
		if !d.plans[t].emit {
			continue
		}
		for _, v := range d.acc[t] {
			if in(v.S) {
				arena = append(arena, v.S...)
			}
		}
	}
	// arena is never written again, so strings may share it.
	str := unsafe.String(unsafe.SliceData(arena), len(arena))
	off := 0
	for _, t := range d.touched {
		if !d.plans[t].emit {
			continue
		}
		vals := d.acc[t]
		for i := range vals {
			if in(vals[i].S) {
				n := len(vals[i].S)
				vals[i].S = str[off : off+n]
				off += n
			}
		}
	}
}

// finish builds the document's field map from the accumulated values.
func (d *Decoder) finish() {
	if !d.opts.Reuse {
		d.own()
	}
	nMulti := 0
	for _, t := range d.touched {
		if len(d.acc[t]) > 1 {
			nMulti += len(d.acc[t])
		}
	}
	var backing []Value
	var fields map[string]Value
	switch {
	case d.opts.Reuse:
		backing, fields = d.backing[:0], d.doc.Fields
		if cap(backing) < nMulti {
			backing = make([]Value, 0, nMulti)
			d.backing = backing
		}
	case d.opts.ReuseDocument:
		// Kept values may hold multi-values: their storage stays fresh.
		fields = d.doc.Fields
		if nMulti > 0 {
			backing = make([]Value, 0, nMulti)
		}
	default:
		backing = make([]Value, 0, nMulti) // one allocation for every multi-value
		fields = make(map[string]Value, len(d.touched)+len(d.consts))
	}
	for _, t := range d.touched {
		p := &d.plans[t]
		vals := d.acc[t]
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
				start := len(backing)
				backing = append(backing, vals...)
				v = Value{T: p.typ, M: backing[start:len(backing):len(backing)]}
			}
		}
		fields[p.name] = v
		for _, a := range p.aliases {
			if d.wanted == nil || d.wanted[a] {
				fields[a] = v
			}
		}
	}
	for _, ci := range d.consts {
		p := &d.plans[ci]
		if !p.emit {
			continue
		}
		if _, ok := fields[p.name]; !ok {
			v := KeywordOf(p.constant)
			fields[p.name] = v
			for _, a := range p.aliases {
				if d.wanted == nil || d.wanted[a] {
					fields[a] = v
				}
			}
		}
	}
	d.doc.Fields = fields
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

// --- JSON scanning -------------------------------------------------------

func (d *Decoder) skipWS() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *Decoder) literal(lit string) bool {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		return d.fail("invalid literal")
	}
	d.pos += len(lit)
	return true
}

// scalar reads a string, number or boolean (null and containers are the caller's).
func (d *Decoder) scalar() (int, string, bool) {
	switch c := d.data[d.pos]; {
	case c == '"':
		s, ok := d.readString()
		return tokString, s, ok
	case c == 't':
		return tokTrue, "true", d.literal("true")
	case c == 'f':
		return tokFalse, "false", d.literal("false")
	case c == '-' || (c >= '0' && c <= '9'):
		s, ok := d.readNumber()
		return tokNumber, s, ok
	}
	return 0, "", d.fail("unexpected character " + strconv.QuoteRune(rune(d.data[d.pos])))
}

// scalarOrSkip reads a scalar, or skips null/containers (kind -1).
func (d *Decoder) scalarOrSkip() (int, string, bool) {
	switch d.data[d.pos] {
	case '{', '[', 'n':
		return -1, "", d.skipValue(0)
	}
	return d.scalar()
}

func (d *Decoder) readNumber() (string, bool) {
	start := d.pos
	p := d.pos
	data := d.data
	if p < len(data) && data[p] == '-' {
		p++
	}
	if p >= len(data) {
		d.pos = p
		return "", d.fail("invalid number")
	}
	if data[p] == '0' {
		p++
	} else if data[p] >= '1' && data[p] <= '9' {
		for p < len(data) && data[p] >= '0' && data[p] <= '9' {
			p++
		}
	} else {
		d.pos = p
		return "", d.fail("invalid number")
	}
	if p < len(data) && data[p] == '.' {
		p++
		q := p
		for p < len(data) && data[p] >= '0' && data[p] <= '9' {
			p++
		}
		if p == q {
			d.pos = p
			return "", d.fail("invalid number")
		}
	}
	if p < len(data) && (data[p] == 'e' || data[p] == 'E') {
		p++
		if p < len(data) && (data[p] == '+' || data[p] == '-') {
			p++
		}
		q := p
		for p < len(data) && data[p] >= '0' && data[p] <= '9' {
			p++
		}
		if p == q {
			d.pos = p
			return "", d.fail("invalid number")
		}
	}
	d.pos = p
	return d.src[start:p], true
}

// readString reads a JSON string at d.pos. Strings without escapes are
// substrings of the line's copy, so they cost no allocation.
func (d *Decoder) readString() (string, bool) {
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return "", d.fail("expected a string")
	}
	d.pos++
	start := d.pos
	data := d.data
	if e := nextSpecial(data, start); e < len(data) && data[e] == '"' {
		seg := data[start:e]
		if ascii(seg) || utf8.Valid(seg) {
			d.pos = e + 1
			return d.src[start:e], true
		}
	}
	d.buf = d.buf[:0]
	p := start
	for {
		if p >= len(data) {
			d.pos = p
			return "", d.fail("unterminated string")
		}
		c := data[p]
		switch {
		case c == '"':
			if !utf8.Valid(d.buf) {
				d.pos = start
				return "", d.fail("invalid UTF-8 in string")
			}
			d.pos = p + 1
			return string(d.buf), true
		case c < 0x20:
			d.pos = p
			return "", d.fail("control character in string")
		case c != '\\':
			d.buf = append(d.buf, c)
			p++
			continue
		}
		p++
		if p >= len(data) {
			d.pos = p
			return "", d.fail("unterminated string")
		}
		switch data[p] {
		case '"', '\\', '/':
			d.buf = append(d.buf, data[p])
		case 'b':
			d.buf = append(d.buf, '\b')
		case 'f':
			d.buf = append(d.buf, '\f')
		case 'n':
			d.buf = append(d.buf, '\n')
		case 'r':
			d.buf = append(d.buf, '\r')
		case 't':
			d.buf = append(d.buf, '\t')
		case 'u':
			r, ok := hex4(data, p+1)
			if !ok {
				d.pos = p
				return "", d.fail("invalid \\u escape")
			}
			p += 4
			if r >= 0xD800 && r < 0xDC00 && p+6 < len(data) && data[p+1] == '\\' && data[p+2] == 'u' {
				if r2, ok := hex4(data, p+3); ok && r2 >= 0xDC00 && r2 < 0xE000 {
					r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
					p += 6
				}
			}
			if r >= 0xD800 && r < 0xE000 {
				r = utf8.RuneError // a lone surrogate
			}
			d.buf = utf8.AppendRune(d.buf, r)
		default:
			d.pos = p
			return "", d.fail("invalid escape in string")
		}
		p++
	}
}

// SWAR constants: one byte value repeated in each lane of a word.
const (
	lanes01 = 0x0101010101010101
	lanes80 = 0x8080808080808080
)

// nextSpecial returns the index of the first byte at or after p that is a
// quote, a backslash or a control character (len(data) when none), eight
// bytes per step: string bodies are most of an NDJSON line.
func nextSpecial(data []byte, p int) int {
	for p+8 <= len(data) {
		x := binary.LittleEndian.Uint64(data[p:])
		q := x ^ ('"' * lanes01)
		b := x ^ ('\\' * lanes01)
		// Per lane: zero after the XOR (a quote or backslash), or below 0x20.
		// Lanes above the first hit may be false positives (borrows), so
		// only the lowest flagged lane is used.
		t := ((q - lanes01) &^ q) | ((b - lanes01) &^ b) | ((x - 0x20*lanes01) &^ x)
		if t &= lanes80; t != 0 {
			return p + bits.TrailingZeros64(t)/8
		}
		p += 8
	}
	for p < len(data) {
		if c := data[p]; c == '"' || c == '\\' || c < 0x20 {
			return p
		}
		p++
	}
	return p
}

// ascii reports whether b is all ASCII, a word at a time.
func ascii(b []byte) bool {
	var acc uint64
	for len(b) >= 8 {
		acc |= binary.LittleEndian.Uint64(b)
		b = b[8:]
	}
	for _, c := range b {
		acc |= uint64(c)
	}
	return acc&lanes80 == 0
}

func hex4(data []byte, p int) (rune, bool) {
	if p+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[p : p+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// skipValue skips one JSON value, validating its syntax.
func (d *Decoder) skipValue(depth int) bool {
	if d.fastSkip(depth) {
		return true
	}
	return d.slowSkip(depth)
}

// slowSkip is skipValue's reference path: it words errors and handles deep
// nesting.
func (d *Decoder) slowSkip(depth int) bool {
	if depth > maxDepth {
		return d.fail("document nested too deeply")
	}
	d.skipWS()
	if d.pos >= len(d.data) {
		return d.fail("unexpected end of input")
	}
	switch d.data[d.pos] {
	case '{':
		d.pos++
		first := true
		for {
			d.skipWS()
			if d.pos >= len(d.data) {
				return d.fail("unexpected end of input in object")
			}
			if d.data[d.pos] == '}' {
				d.pos++
				return true
			}
			if !first {
				if d.data[d.pos] != ',' {
					return d.fail("expected ',' or '}' in object")
				}
				d.pos++
				d.skipWS()
			}
			first = false
			if !d.skipString() || !d.colon() || !d.slowSkip(depth+1) {
				return false
			}
		}
	case '[':
		d.pos++
		first := true
		for {
			d.skipWS()
			if d.pos >= len(d.data) {
				return d.fail("unexpected end of input in array")
			}
			if d.data[d.pos] == ']' {
				d.pos++
				return true
			}
			if !first {
				if d.data[d.pos] != ',' {
					return d.fail("expected ',' or ']' in array")
				}
				d.pos++
			}
			first = false
			if !d.slowSkip(depth + 1) {
				return false
			}
		}
	case '"':
		return d.skipString()
	case 'n':
		return d.literal("null")
	}
	_, _, ok := d.scalar()
	return ok
}

// fastSkip is skipValue without recursion or error reporting: it accepts
// exactly the values skipValue accepts and, on anything it would reject (or
// nesting near maxDepth), returns false with d.pos unchanged so skipValue
// can word the error. Skipped values are most of a projected line.
func (d *Decoder) fastSkip(depth int) bool {
	data := d.data
	p := d.pos
	if depth >= maxDepth-1 {
		return false
	}
	var arrays [maxDepth/64 + 1]uint64 // bit k: container k is an array
	top := 0                           // open containers
	for {
		// A value is expected at p.
		p = skipWSAt(data, p)
		if p >= len(data) {
			return false
		}
		switch c := data[p]; {
		case c == '"':
			end, ok := stringEnd(data, p)
			if !ok {
				return false
			}
			p = end
		case c == '{' || c == '[':
			if depth+top+1 > maxDepth-1 {
				return false
			}
			if c == '[' {
				arrays[top/64] |= 1 << (top % 64)
			} else {
				arrays[top/64] &^= 1 << (top % 64)
			}
			top++
			p = skipWSAt(data, p+1)
			if p >= len(data) {
				return false
			}
			if (c == '[' && data[p] == ']') || (c == '{' && data[p] == '}') {
				top--
				p++
				break
			}
			if c == '{' {
				if p = d.keyColon(p); p < 0 {
					return false
				}
			}
			continue
		case c == 't':
			if !hasLit(data, p, "true") {
				return false
			}
			p += 4
		case c == 'f':
			if !hasLit(data, p, "false") {
				return false
			}
			p += 5
		case c == 'n':
			if !hasLit(data, p, "null") {
				return false
			}
			p += 4
		case c == '-' || (c >= '0' && c <= '9'):
			end, ok := numberEnd(data, p)
			if !ok {
				return false
			}
			p = end
		default:
			return false
		}
		// After a value: close containers or move to the next member.
		for {
			if top == 0 {
				d.pos = p
				return true
			}
			p = skipWSAt(data, p)
			if p >= len(data) {
				return false
			}
			inArray := arrays[(top-1)/64]&(1<<((top-1)%64)) != 0
			c := data[p]
			if (inArray && c == ']') || (!inArray && c == '}') {
				top--
				p++
				continue
			}
			if c != ',' {
				return false
			}
			p++
			if !inArray {
				if p = d.keyColon(skipWSAt(data, p)); p < 0 {
					return false
				}
			}
			break
		}
	}
}

// keyColon passes an object key and its colon (and the whitespace after,
// which must not end the input), returning the value's offset or -1.
func (d *Decoder) keyColon(p int) int {
	data := d.data
	if p >= len(data) || data[p] != '"' {
		return -1
	}
	end, ok := stringEnd(data, p)
	if !ok {
		return -1
	}
	p = skipWSAt(data, end)
	if p >= len(data) || data[p] != ':' {
		return -1
	}
	p = skipWSAt(data, p+1)
	if p >= len(data) {
		return -1
	}
	return p
}

func skipWSAt(data []byte, p int) int {
	for p < len(data) {
		switch data[p] {
		case ' ', '\t', '\n', '\r':
			p++
		default:
			return p
		}
	}
	return p
}

// stringEnd finds the end of the string opening at p, as skipString
// accepts it (escapes pass unchecked, control characters do not).
func stringEnd(data []byte, p int) (int, bool) {
	p++
	for {
		p = nextSpecial(data, p)
		if p >= len(data) {
			return 0, false
		}
		switch data[p] {
		case '"':
			return p + 1, true
		case '\\':
			p += 2
		default:
			return 0, false
		}
	}
}

func hasLit(data []byte, p int, lit string) bool {
	return len(data)-p >= len(lit) && string(data[p:p+len(lit)]) == lit
}

// numberEnd is readNumber's grammar without its error reporting.
func numberEnd(data []byte, p int) (int, bool) {
	if data[p] == '-' {
		p++
	}
	if p >= len(data) {
		return 0, false
	}
	if data[p] == '0' {
		p++
	} else if data[p] >= '1' && data[p] <= '9' {
		for p < len(data) && data[p] >= '0' && data[p] <= '9' {
			p++
		}
	} else {
		return 0, false
	}
	if p < len(data) && data[p] == '.' {
		p++
		q := p
		for p < len(data) && data[p] >= '0' && data[p] <= '9' {
			p++
		}
		if p == q {
			return 0, false
		}
	}
	if p < len(data) && (data[p] == 'e' || data[p] == 'E') {
		p++
		if p < len(data) && (data[p] == '+' || data[p] == '-') {
			p++
		}
		q := p
		for p < len(data) && data[p] >= '0' && data[p] <= '9' {
			p++
		}
		if p == q {
			return 0, false
		}
	}
	return p, true
}

// skipString passes over a string without unescaping it.
func (d *Decoder) skipString() bool {
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return d.fail("expected a string")
	}
	p := d.pos + 1
	data := d.data
	for p < len(data) {
		p = nextSpecial(data, p)
		if p >= len(data) {
			break
		}
		c := data[p]
		switch {
		case c == '"':
			d.pos = p + 1
			return true
		case c == '\\':
			p += 2
			continue
		case c < 0x20:
			d.pos = p
			return d.fail("control character in string")
		}
		p++
	}
	d.pos = len(data)
	return d.fail("unterminated string")
}
