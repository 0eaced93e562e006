package doc

import (
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// This file is the Decoder: its options, and the walk over a line's
// objects and arrays that ties the pieces together — the JSON scanner
// (jsonscan.go), the field-path trie (pathtrie.go), field plans compiled
// from the mapping (fieldplan.go) that type values (mappedvalue.go,
// convert.go, geopoint.go, dynamicmapping.go), memory slabs (slab.go) and
// document assembly (assemble.go). All of it is written by hand rather
// than on encoding/json for speed: the hunt decodes ~1 GB/s on one core,
// reading, typing and validating only what a query needs.

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
	// other field is skipped without being typed (or validated). A name
	// under a field mapped nested (or the nested field itself) has that
	// field's objects decoded into Document.Nested (see nested.go); without
	// Fields, every nested field's are.
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
	// FirstValuesOnly stops scanning the line once every projected field
	// has a value; the rest of the line is neither read nor validated, and
	// a later duplicate spelling of a field (dotted vs nested) is not
	// merged, nor is a search hit's envelope (_source…) seen after the
	// fields. For callers that only need routing and a timestamp from
	// lines no rule can match. It needs Fields; a projected field that is
	// unmapped (until dynamic mapping types it) or never indexed makes
	// every line scan to its end.
	FirstValuesOnly bool
	// Layout, when set, makes Documents carry their values in Slots by
	// this layout instead of in the Fields map. Without Fields, the
	// projection is the layout's names; with Fields, only those are
	// decoded, and they must be among the layout's names (a decoder that
	// reads less, e.g. a skim, can so share its consumers' bindings).
	Layout *Layout
	// Whole, with a Layout and no Fields, reads every field as a decoder
	// without projection does (typed, validated, dynamically mapped: a line
	// is rejected exactly when it would be) but keeps only the layout's
	// names: for callers that must refuse what Elasticsearch refuses yet
	// read few fields.
	Whole bool
	// AutoID gives a document that has no _id the one AutoID derives from
	// its line, for callers whose queries read METADATA _id; others skip
	// the hashing.
	AutoID bool
	// Source keeps the document's original JSON object in Document.Source
	// (ES|QL's METADATA _source), aliasing the line like other strings
	// under Reuse. Only for callers whose queries read _source: others
	// keep no copy. It is ignored with FirstValuesOnly, which may stop
	// before the object ends.
	Source bool
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
	scanner // the line, the read position and the first error
	path    []byte
	touched []int32
	doc     *Document
	reuse   *Document // the Document Reuse hands out
	slab    []Value   // multi-value storage (see multi)
	lineAt  uintptr   // address of data, to tell strings that alias it
	strs    []byte    // string storage (see keep)
	// A reused Document keeps its map: finish overwrites the names it
	// shows again and deletes only those it no longer shows, cheaper
	// than clearing and refilling.
	gen       uint64  // finish calls so far
	slotsSet  []int32 // with a Layout: the slots the last finish set (a reused Document's to clear)
	shown     []int32 // plans shown by the last finish
	shownNext []int32
	have      int                    // projected fields with a value (see FirstValuesOnly)
	target    int                    // have at which FirstValuesOnly stops; MaxInt without it
	inArray   int                    // open arrays of objects or unmapped values
	hit       bool                   // the line is a search hit (its _source is the document)
	nestedAcc map[string][]*Document // the line's nested objects so far (Document.Nested)
	// A nested field's decoder (see nested.go) decodes each object from
	// the node at prefix, its path.
	prefix string
	start  *pathNode
	// skipUnmapped: unmapped fields are only validated, as no dynamic
	// mapping will type them (not Dynamic, or projected away).
	skipUnmapped bool
}

// NewDecoder compiles a mapping for decoding; m may be nil (an empty mapping).
func NewDecoder(m *Mapping, opts DecodeOptions) *Decoder {
	if m == nil {
		m = NewMapping()
	}
	if opts.Layout != nil && opts.Fields == nil && !opts.Whole {
		opts.Fields = opts.Layout.Names()
	}
	d := &Decoder{m: m, opts: opts, byName: map[string]int32{}, dyn: NewMapping()}
	d.skipUnmapped = !opts.Dynamic || opts.Fields != nil
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
		n := d.node(o.Name)
		n.obj, n.stop = o, o.Disabled
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
		if f.ESType == "alias" && (d.wanted == nil || d.wanted[f.Name]) {
			if ti, ok := d.byName[f.Path]; ok {
				d.plans[ti].aliases = append(d.plans[ti].aliases, d.byName[f.Name])
			}
		}
	}
	for i := range d.plans {
		d.refreshNeed(int32(i))
	}
	d.captureNested()
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
	d.countTarget()
	return d
}

// Dynamic returns the fields this decoder has added by dynamic mapping so far.
func (d *Decoder) Dynamic() *Mapping { return d.dyn }

// Decode parses one JSON document line. The returned Document is fresh.
func (d *Decoder) Decode(line []byte) (*Document, error) {
	// Strings read alias the caller's line; push copies the ones a fresh
	// Document keeps (see keep).
	d.reset(line)
	d.path = d.path[:0]
	d.lineAt = uintptr(unsafe.Pointer(unsafe.SliceData(line)))
	d.resetValues()
	d.inArray = 0
	if d.opts.Reuse {
		d.slab = d.slab[:0]
	}
	var doc *Document
	if d.opts.Reuse || d.opts.ReuseDocument {
		if d.reuse == nil {
			d.reuse = &Document{Fields: map[string]Value{}}
		}
		doc = d.reuse
		*doc = Document{Fields: doc.Fields, Slots: doc.Slots} // finish updates them
	} else {
		doc = &Document{}
	}
	d.doc = doc

	d.skipWS()
	if d.pos >= len(d.data) || d.data[d.pos] != '{' {
		return nil, d.syntax("expected a JSON object")
	}
	d.hit = false
	start := d.pos
	if !d.object(0, 0, d.root, true) {
		if d.err == nil {
			return nil, &DecodeError{Offset: d.pos, Reason: "malformed document"}
		}
		return nil, d.err
	}
	end := d.pos
	d.skipWS()
	if d.pos != len(d.data) && !d.complete() {
		return nil, d.syntax("trailing data after the document")
	}
	d.finish()
	if d.opts.Source && !d.hit && !d.opts.FirstValuesOnly {
		doc.Source = d.sourceText(start, end)
	}
	if d.opts.AutoID && doc.ID == "" {
		doc.ID = AutoID(line)
	}
	return doc, nil
}

// sourceText is the line's bytes [start, end) as Document.Source:
// aliasing the line under Reuse, else copied.
func (d *Decoder) sourceText(start, end int) string {
	s := d.src[start:end]
	if !d.opts.Reuse {
		s = d.keep(s)
	}
	return s
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
		start := d.pos
		if !d.object(0, 1, d.root, false) {
			return false
		}
		if d.opts.Source && !d.opts.FirstValuesOnly {
			d.doc.Source = d.sourceText(start, d.pos)
		}
		return true
	case "_index", "_id":
		if d.data[d.pos] == '"' {
			s, ok := d.readString()
			if !ok {
				return false
			}
			if !d.opts.Reuse {
				s = d.keep(s)
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

// object decodes an object's members under the current path. top marks
// the line's outermost object: a bare document, or a search hit / export
// line whose _source is the document. Documents cannot hold metadata
// fields (Elasticsearch rejects them), so one such key marks a hit.
//
// Plain keys (no escapes, valid UTF-8, a colon right after) and the
// separators between members are read inline: they are most of a line's
// tokens.
func (d *Decoder) object(base, depth int, n *pathNode, top bool) bool {
	if depth > maxDepth {
		return d.fail("document nested too deeply")
	}
	data := d.data
	p := skipWSAt(data, d.pos+1)
	if p >= len(data) {
		d.pos = p
		return d.fail("unexpected end of input in object")
	}
	if data[p] == '}' {
		d.pos = p + 1
		return true
	}
	hit := false
	var prev *pathNode // the last kid predict found in this object
	for {
		var k objKey
		plain := false
		if p < len(data) && data[p] == '"' {
			e, head, isASCII, dotted := keyScan(data, p+1)
			if e+2 < len(data) && data[e] == '"' && data[e+1] == ':' {
				k.head, k.dotted = head, dotted
				q := e + 2
				if data[q] <= ' ' {
					q = skipWSAt(data, q)
				}
				if q < len(data) && (isASCII || utf8.Valid(data[p+1:e])) {
					k.name = d.src[p+1 : e]
					d.pos = q
					plain = true
				}
			}
		}
		if !plain {
			d.pos = p
			if k, plain = d.slowKey(); !plain {
				return false
			}
		}
		if top && !hit && len(k.name) > 1 && k.name[0] == '_' && metaKeys[k.name] {
			hit, d.hit = true, true
			// Anything decoded so far belonged to the hit envelope, not the document.
			d.resetValues()
		}
		var ok bool
		var kid *pathNode
		if n == nil || n.slots != nil || n.hotOK || k.dotted {
			kid = n.lookup(k.name, k.head, k.dotted) // hot lists are cheaper already
		} else if kid = predict(n, prev, k.name); kid != nil {
			prev = kid
		}
		switch {
		case hit:
			ok = d.metaValue(k.name)
		case k.name == "":
			return d.fieldFail(string(d.path[:base]), "field name cannot be an empty string", d.pos)
		case kid == nil && d.skipUnmapped:
			// Unmapped, and nothing will map it: validate the JSON and move on.
			ok = d.skipValue(depth)
		default:
			ok = d.member(k.name, kid, base, depth)
		}
		if !ok {
			return false
		}
		if d.complete() {
			return true
		}
		p = d.pos
		if p < len(data) && data[p] == ',' {
			p++
			if p < len(data) && data[p] <= ' ' {
				p = skipWSAt(data, p)
			}
			continue
		}
		p = skipWSAt(data, p)
		if p >= len(data) {
			d.pos = p
			return d.fail("unexpected end of input in object")
		}
		switch data[p] {
		case ',':
			p = skipWSAt(data, p+1)
		case '}':
			d.pos = p + 1
			return true
		default:
			d.pos = p
			return d.fail("expected ',' or '}' in object")
		}
	}
}

// complete reports whether FirstValuesOnly may stop: every projected field
// has its values, and no array is open (its later elements could add more).
func (d *Decoder) complete() bool { return d.have >= d.target && d.inArray == 0 }

// objKey is an object member's name with its keyInfo.
type objKey struct {
	name   string
	head   uint64
	dotted bool
}

// slowKey reads the key at d.pos that object's fast path declined (escapes,
// whitespace, errors) and its colon, leaving d.pos at the value.
func (d *Decoder) slowKey() (objKey, bool) {
	name, ok := d.readString()
	if !ok || !d.colon() {
		return objKey{}, false
	}
	head, _, dotted := keyInfo(unsafe.Slice(unsafe.StringData(name), len(name)))
	return objKey{name, head, dotted}, true
}

// member decodes the value of the member key, whose parent path is
// d.path[:base] and trie node n (nil when unmapped).
// Only values decoded below a container extend d.path: leaves name
// themselves by their plan, and skipped values need no name.
func (d *Decoder) member(key string, n *pathNode, base, depth int) bool {
	if n != nil {
		if n.plan >= 0 {
			return d.leafValue(n.plan, depth)
		}
		if !n.want || n.stop {
			if n.nested != nil {
				return d.nestedValue(n.nested, depth)
			}
			return d.skipValue(depth)
		}
	}
	d.path = d.path[:base]
	if base > 0 {
		d.path = append(d.path, '.')
	}
	d.path = append(d.path, key...)
	ok := d.value(len(d.path), depth, n)
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
		if !n.want || n.stop {
			if n.nested != nil {
				return d.nestedValue(n.nested, depth)
			}
			return d.skipValue(depth)
		}
	} else if !d.opts.Dynamic || d.wanted != nil {
		// Unmapped, and nothing will map it: validate the JSON and move on.
		return d.skipValue(depth)
	}
	switch d.data[d.pos] {
	case '{':
		return d.object(end, depth+1, n, false)
	case '[':
		d.inArray++
		ok := d.array(end, depth, n)
		d.inArray--
		return ok
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

// array decodes the elements of an array of objects or unmapped values.
func (d *Decoder) array(end, depth int, n *pathNode) bool {
	d.pos++
	for first := true; ; first = false {
		if more, ok := d.arrayNext(first); !more {
			return ok
		}
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
}

// arrayRest continues an array (after its first elements) once the field is known.
func (d *Decoder) arrayRest(pi int32, depth int) bool {
	for {
		if more, ok := d.arrayNext(false); !more {
			return ok
		}
		if !d.leafValue(pi, depth+1) {
			return false
		}
	}
}
