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
	touched []int32
	doc     *Document
	err     *DecodeError
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
	have      int // projected fields with a value (see FirstValuesOnly)
	target    int // have at which FirstValuesOnly stops; MaxInt without it
	inArray   int // open arrays of objects or unmapped values
	// skipUnmapped: unmapped fields are only validated, as no dynamic
	// mapping will type them (not Dynamic, or projected away).
	skipUnmapped bool
}

// pathNode is one dotted-name segment of the trie the decoder walks, so each
// JSON key costs one lookup of the key alone instead of several full-path ones.
type pathNode struct {
	plan int32   // field plan, -1 when none
	obj  *Object // container at this path, nil when none
	want bool    // something to decode lies here or below
	kids map[string]*pathNode
	// With a projection, hot lists the only kids an undotted key can reach
	// to some effect: wanted ones, and aliases and multi-fields, which
	// reject values even unread (any other kid's value is skipped). hotOK
	// is false when kids changed since. slots, when not nil, finds the one
	// hot kid a key can be with one multiply (see hotSlot): cheaper than
	// hashing the key for the map, or comparing it with each hot kid.
	hot   []hotKid
	hotOK bool
	slots *[64]uint8 // hot index by hotSlot
	mul   uint64
	// Without hot lists, lines of one source repeat their keys in the same
	// order: first is the kid the last object here began with, next the
	// sibling that followed this node last time. A key equal to the
	// prediction skips the map (see predict).
	firstName, nextName string
	first, next         *pathNode
}

// hotSlot hashes a key's head and length to a slot; NewDecoder picks for
// each node a multiplier that gives its hot kids distinct slots.
func hotSlot(head uint64, n int, mul uint64) uint {
	return uint(((head ^ uint64(n)) * mul) >> 58)
}

type hotKid struct {
	head uint64 // the name's first 8 bytes, zero-padded (see keyInfo)
	name string
	n    *pathNode
}

// lookup finds the kid named by an object key: head and dotted are its
// keyInfo. nil when unmapped, or when under a projection the value would
// only be skipped.
func (n *pathNode) lookup(key string, head uint64, dotted bool) *pathNode {
	if n == nil || n.slots == nil || dotted {
		return n.lookupSlow(key, head, dotted)
	}
	h := &n.hot[n.slots[hotSlot(head, len(key), n.mul)]]
	if h.head != head || len(h.name) != len(key) || (len(key) > 8 && h.name[8:] != key[8:]) {
		return nil
	}
	return h.n
}

// lookupSlow is lookup without slots.
func (n *pathNode) lookupSlow(key string, head uint64, dotted bool) *pathNode {
	if n == nil || !n.hotOK || dotted {
		// The full trie: member skips what a hot list would have left out.
		return n.lookupAll(key)
	}
	for _, h := range n.hot[1:] {
		if h.head == head && h.name == key {
			return h.n
		}
	}
	return nil
}

// lookupAll walks a (possibly dotted) key below n; nil when unmapped.
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

// buildHot fills the hot lists at and below n.
func (d *Decoder) buildHot(n *pathNode) {
	// hot[0] matches no key (a key's head is 0 when it is empty): slots
	// point there when no hot kid has their hash.
	n.hot = append(n.hot[:0], hotKid{head: ^uint64(0)})
	for name, k := range n.kids {
		d.buildHot(k)
		if k.want || (k.plan >= 0 && (d.plans[k.plan].isAlias || d.plans[k.plan].isMulti)) {
			head, _, _ := keyInfo([]byte(name))
			n.hot = append(n.hot, hotKid{head, name, k})
		}
	}
	n.hotOK = true
	n.slots = nil
	var slots [64]uint8
	for try, mul := 0, uint64(0x9E3779B97F4A7C15); try < 64; try, mul = try+1, mul+0xC6A4A7935BD1E996 {
		clear(slots[:])
		ok := true
		for i, h := range n.hot[1:] {
			s := &slots[hotSlot(h.head, len(h.name), mul|1)]
			if *s != 0 {
				ok = false
				break
			}
			*s = uint8(i + 1)
		}
		if ok {
			n.slots, n.mul = &slots, mul|1
			return
		}
	}
}

// keyInfo reads a key: its first 8 bytes packed little-endian and
// zero-padded (hotKid.head), whether it is ASCII, and whether it holds a
// dot.
func keyInfo(k []byte) (head uint64, isASCII, dotted bool) {
	isASCII = true
	for i, c := range k {
		if i < 8 {
			head |= uint64(c) << (8 * i)
		}
		isASCII = isASCII && c < utf8.RuneSelf
		dotted = dotted || c == '.'
	}
	return head, isASCII, dotted
}

// keyScan is nextSpecial for a key starting at p, fused with keyInfo of
// data[p:e]: one pass, a word at a time.
func keyScan(data []byte, p int) (e int, head uint64, isASCII, dotted bool) {
	const dots = '.' * lanes01
	var acc, hits uint64
	for q := p; q+8 <= len(data); q += 8 {
		x := word(data, q)
		t := specialLanes(x)
		if t != 0 {
			x &= 1<<(8*(bits.TrailingZeros64(t)/8)) - 1
		}
		if q == p {
			head = x
		}
		acc |= x
		y := x ^ dots
		hits |= (y - lanes01) &^ y
		if t != 0 {
			return q + bits.TrailingZeros64(t)/8, head, acc&lanes80 == 0, hits&lanes80 != 0
		}
	}
	// Too near the end of the line for whole words.
	e = nextSpecial(data, p)
	head, isASCII, dotted = keyInfo(data[p:e])
	return e, head, isASCII, dotted
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
			n.hotOK, n.slots = false, nil // back to the map until hot lists are rebuilt
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
		if f.ESType == "alias" && (d.wanted == nil || d.wanted[f.Name]) {
			if ti, ok := d.byName[f.Path]; ok {
				d.plans[ti].aliases = append(d.plans[ti].aliases, d.byName[f.Name])
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
	d.countTarget()
	return d
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
	if !d.object(0, 0, d.root, true) {
		if d.err == nil {
			return nil, &DecodeError{Offset: d.pos, Reason: "malformed document"}
		}
		return nil, d.err
	}
	d.skipWS()
	if d.pos != len(d.data) && !d.complete() {
		return nil, d.syntax("trailing data after the document")
	}
	d.finish()
	if d.opts.AutoID && doc.ID == "" {
		doc.ID = AutoID(line)
	}
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
		return d.object(0, 1, d.root, false)
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
			hit = true
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

// predict is n.lookup of an undotted key on a map-backed node, for the key
// after prev (nil: the object's first key): the kid that came there last
// time is checked before the map is asked.
func predict(n, prev *pathNode, key string) *pathNode {
	name, kid := &n.firstName, &n.first
	if prev != nil {
		name, kid = &prev.nextName, &prev.next
	}
	if *kid != nil && *name == key {
		return *kid
	}
	found := n.kids[key]
	if found != nil {
		*name, *kid = strings.Clone(key), found // key may alias the line
	}
	return found
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

// member decodes the value of the member key, whose parent path is
// d.path[:base] and trie node n (nil when unmapped).
// Only values decoded below a container extend d.path: leaves name
// themselves by their plan, and skipped values need no name.
func (d *Decoder) member(key string, n *pathNode, base, depth int) bool {
	if n != nil {
		if n.plan >= 0 {
			return d.leafValue(n.plan, depth)
		}
		if !n.want || (n.obj != nil && n.obj.Disabled) {
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
		if !n.want || (n.obj != nil && n.obj.Disabled) {
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

// arrayNext moves to an array's next element, past its ',' unless first:
// more is false once the closing ']' is consumed, and ok false on a syntax
// error.
func (d *Decoder) arrayNext(first bool) (more, ok bool) {
	d.skipWS()
	if d.pos >= len(d.data) {
		return false, d.fail("unexpected end of input in array")
	}
	if d.data[d.pos] == ']' {
		d.pos++
		return false, true
	}
	if !first {
		if d.data[d.pos] != ',' {
			return false, d.fail("expected ',' or ']' in array")
		}
		d.pos++
		d.skipWS()
		if d.pos >= len(d.data) {
			return false, d.fail("unexpected end of input in array")
		}
	}
	return true, true
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

// dynamicField adds an unmapped field, typed by the mapping's dynamic
// templates and its first value's JSON type (Mapping.DynamicField).
func (d *Decoder) dynamicField(kind int, s string) int32 {
	name := string(d.path)
	f, _ := d.m.DynamicField(name, d.m.DetectKind(s, kind == tokString, kind == tokTrue || kind == tokFalse))
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
	d.countTarget()
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
func (d *Decoder) geoArray(pi int32) (v Value, ok, handled bool) {
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
		d.fieldFail(d.plans[pi].name, err.Error(), start)
		return Value{}, false, true
	}
	return gv, true, true
}

// strSlab is the size of one allocation of string storage (see keep).
const strSlab = 2048

// keep copies a string that aliases the line into storage shared by a few
// lines' values and never written again, so a kept value pins neither the
// line (a STATS VALUES over millions of events would otherwise hold every
// matching line) nor more than one slab, at a fraction of an allocation
// per line.
func (d *Decoder) keep(s string) string {
	if s == "" {
		return "" // not even a pointer into the line
	}
	i := len(d.strs)
	if cap(d.strs)-i < len(s) {
		d.strs, i = make([]byte, 0, max(len(s), strSlab)), 0
	}
	d.strs = append(d.strs, s...)
	return unsafe.String(&d.strs[i], len(s))
}

// multiSlab is how many values one allocation of multi-value storage
// holds: it serves several lines, and a kept multi-value pins one slab.
const multiSlab = 32 // 2 KB

// multi returns storage for a multi-value of n values. With Reuse it is
// the decoder's, rewritten each line; otherwise kept values own it.
func (d *Decoder) multi(n int) []Value {
	i := len(d.slab)
	if cap(d.slab)-i < n {
		size := multiSlab
		if d.opts.Reuse {
			size = 2 * cap(d.slab) // grows once to the largest line's need
		}
		d.slab, i = make([]Value, 0, max(n, size)), 0
	}
	d.slab = d.slab[:i+n]
	return d.slab[i : i+n : i+n]
}

// finish builds the document's field map (or slots) from the accumulated
// values.
func (d *Decoder) finish() {
	d.gen++
	d.shownNext = d.shownNext[:0]
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
	if s, ok := d.plainString(); ok {
		return s, true
	}
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return "", d.fail("expected a string")
	}
	d.pos++
	start := d.pos
	data := d.data
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

// plainString reads the string at d.pos when it needs no unescaping and is
// valid UTF-8 (nearly every string), as a substring of the line. Otherwise
// it reports false and leaves d.pos unchanged.
func (d *Decoder) plainString() (string, bool) {
	data, p := d.data, d.pos
	if p >= len(data) || data[p] != '"' {
		return "", false
	}
	e, isASCII := stringScan(data, p+1)
	if e >= len(data) || data[e] != '"' || !(isASCII || utf8.Valid(data[p+1:e])) {
		return "", false
	}
	d.pos = e + 1
	return d.src[p+1 : e], true
}

// stringScan is nextSpecial fused with ascii of data[p:e], in one pass.
func stringScan(data []byte, p int) (e int, isASCII bool) {
	var acc uint64
	for q := p; q+8 <= len(data); q += 8 {
		x := word(data, q)
		if t := specialLanes(x); t != 0 {
			n := bits.TrailingZeros64(t) / 8
			acc |= x & (1<<(8*n) - 1)
			return q + n, acc&lanes80 == 0
		}
		acc |= x
	}
	e = nextSpecial(data, p)
	return e, ascii(data[p:e])
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
		if t := specialLanes(word(data, p)); t != 0 {
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

// word loads the 8 bytes at data[p:] little-endian; the caller has checked
// p+8 <= len(data). Without the slice expression and its bounds checks:
// it runs for every word of every string.
func word(data []byte, p int) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(data)), p)), 8))
}

// specialLanes flags (0x80 in its lane) each byte of the word x that is a
// quote, a backslash or below 0x20. Lanes above the first hit may be false
// positives (borrows), so only the lowest flagged lane is to be used.
func specialLanes(x uint64) uint64 {
	q := x ^ ('"' * lanes01)
	b := x ^ ('\\' * lanes01)
	return (((q - lanes01) &^ q) | ((b - lanes01) &^ b) | ((x - 0x20*lanes01) &^ x)) & lanes80
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
	// Most skipped values are strings: no need for fastSkip's machinery.
	if end, ok := stringEnd(d.data, d.pos); ok && depth <= maxDepth {
		d.pos = end
		return true
	}
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
// can word the error. Skipped values are most of a projected line, so it
// is one loop: strings (keys and values alike) are scanned inline.
func (d *Decoder) fastSkip(depth int) bool {
	data := d.data
	p := d.pos
	if depth >= maxDepth-1 {
		return false
	}
	var arrays [maxDepth/64 + 1]uint64 // bit k: container k is an array
	top := 0                           // open containers
	isKey := false                     // a key is expected at p, not a value
	for {
		if p < len(data) && data[p] <= ' ' {
			p = skipWSAt(data, p)
		}
		if p >= len(data) {
			return false
		}
		c := data[p]
		if c == '"' {
			p++
			for {
				if p+8 <= len(data) {
					t := specialLanes(word(data, p))
					if t == 0 {
						p += 8
						continue
					}
					p += bits.TrailingZeros64(t) / 8
				} else if p = nextSpecial(data, p); p >= len(data) {
					return false
				}
				if data[p] == '"' {
					break
				}
				if data[p] != '\\' {
					return false
				}
				p += 2
			}
			p++
			if isKey {
				if p < len(data) && data[p] <= ' ' {
					p = skipWSAt(data, p)
				}
				if p >= len(data) || data[p] != ':' {
					return false
				}
				p++
				isKey = false
				continue
			}
		} else if isKey {
			return false
		} else {
			switch {
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
				if data[p] == c+2 { // ']' and '}' come two after '[' and '{'
					top--
					p++
					break
				}
				isKey = c == '{'
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
		}
		// After a value: close containers or move to the next member.
		for {
			if top == 0 {
				d.pos = p
				return true
			}
			if p < len(data) && data[p] <= ' ' {
				p = skipWSAt(data, p)
			}
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
			isKey = !inArray
			break
		}
	}
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
// accepts it (escapes pass unchecked, control characters do not); false
// when there is none.
func stringEnd(data []byte, p int) (int, bool) {
	if p >= len(data) || data[p] != '"' {
		return 0, false
	}
	p++
	for {
		if p+8 <= len(data) {
			t := specialLanes(word(data, p))
			if t == 0 {
				p += 8
				continue
			}
			p += bits.TrailingZeros64(t) / 8
		} else if p = nextSpecial(data, p); p >= len(data) {
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
