package esql

import (
	"encoding/binary"
	"math"
	"slices"
	"sort"

	"vigil/internal/doc"
	"vigil/internal/esql/agg"
	"vigil/internal/esql/fn"
)

// sink receives rows. push returns false when no more rows are wanted
// (a LIMIT is satisfied); finish flushes buffered rows downstream.
type sink interface {
	push(row []doc.Value) bool
	finish()
}

// ctx is per-execution state threaded through evaluators.
type ctx struct {
	q     *Query
	stack []doc.Value
	doc   *doc.Document
	warn  *warnings
	width int
}

// warnings collects evaluation warnings as Elasticsearch words them: per
// expression a header line then up to 20 exception lines, de-duplicated.
type warnings struct {
	sites  *[]warnSite
	counts []int
	lines  []string
	seen   map[string]bool
}

func newWarnings(sites *[]warnSite) *warnings {
	return &warnings{sites: sites, counts: make([]int, len(*sites)), seen: map[string]bool{}}
}

func (w *warnings) add(line string) {
	if !w.seen[line] {
		w.seen[line] = true
		w.lines = append(w.lines, line)
	}
}

func (x *ctx) fail(site int, err error) {
	w := x.warn
	for site >= len(w.counts) { // sites registered after this ctx was made (folding)
		w.counts = append(w.counts, 0)
	}
	s := (*w.sites)[site]
	pre := "Line " + itoa(s.pos.Line) + ":" + itoa(s.pos.Col) + ": "
	if w.counts[site] == 0 {
		how := "null"
		if s.asFalse {
			how = "false"
		}
		w.add(pre + "evaluation of [" + s.src + "] failed, treating result as " + how + ". Only first 20 failures recorded.")
	}
	if w.counts[site] < 20 {
		w.add(pre + err.Error())
	}
	w.counts[site]++
}

// merge folds another execution's warnings in (parallel workers).
func (w *warnings) merge(o *warnings) {
	for i, n := range o.counts {
		for i >= len(w.counts) {
			w.counts = append(w.counts, 0)
		}
		w.counts[i] += n
	}
	for _, l := range o.lines {
		w.add(l)
	}
}

// ---- streaming operators ----

type whereSpec struct{ cond evalFn }
type whereOp struct {
	x    *ctx
	cond evalFn
	next sink
}

func (s *whereSpec) build(x *ctx, next sink) sink { return &whereOp{x, s.cond, next} }
func (o *whereOp) push(row []doc.Value) bool {
	v := o.cond(o.x, row)
	if v.T == doc.Boolean && v.M == nil && v.I != 0 {
		return o.next.push(row)
	}
	return true
}
func (o *whereOp) finish() { o.next.finish() }

type evalSpec struct {
	slots []int
	evals []evalFn
}
type evalOp struct {
	x    *ctx
	s    *evalSpec
	next sink
}

func (s *evalSpec) build(x *ctx, next sink) sink { return &evalOp{x, s, next} }
func (o *evalOp) push(row []doc.Value) bool {
	for i, e := range o.s.evals {
		row[o.s.slots[i]] = e(o.x, row)
	}
	return o.next.push(row)
}
func (o *evalOp) finish() { o.next.finish() }

type limitSpec struct{ n int }
type limitOp struct {
	n, seen int
	next    sink
}

func (s *limitSpec) build(_ *ctx, next sink) sink { return &limitOp{n: s.n, next: next} }
func (o *limitOp) push(row []doc.Value) bool {
	if o.seen >= o.n {
		return false
	}
	o.seen++
	if !o.next.push(row) {
		return false
	}
	return o.seen < o.n
}
func (o *limitOp) finish() { o.next.finish() }

type mvExpandSpec struct{ in, out int }
type mvExpandOp struct {
	s    *mvExpandSpec
	next sink
}

func (s *mvExpandSpec) build(_ *ctx, next sink) sink { return &mvExpandOp{s, next} }
func (o *mvExpandOp) push(row []doc.Value) bool {
	v := row[o.s.in]
	if v.M == nil {
		row[o.s.out] = v
		return o.next.push(row)
	}
	for _, e := range v.M {
		row[o.s.out] = e
		if !o.next.push(row) {
			return false
		}
	}
	return true
}
func (o *mvExpandOp) finish() { o.next.finish() }

// ---- sort ----

type sortKey struct {
	eval       evalFn
	desc       bool
	nullsFirst bool
}
type sortSpec struct{ keys []sortKey }
type sortOp struct {
	x    *ctx
	s    *sortSpec
	rows [][]doc.Value
	keys [][]doc.Value
	// topN > 0 when a LIMIT follows: only the best topN rows can matter, so
	// the buffer is compacted whenever it doubles past that.
	topN int
	next sink
}

func (s *sortSpec) build(x *ctx, next sink) sink { return &sortOp{x: x, s: s, next: next} }
func (o *sortOp) push(row []doc.Value) bool {
	ks := make([]doc.Value, len(o.s.keys))
	for i, k := range o.s.keys {
		v := k.eval(o.x, row)
		// A multi-valued key sorts by its minimum ascending, maximum descending.
		if v.M != nil {
			best := v.M[0]
			for _, e := range v.M[1:] {
				c := fn.Compare(e, best)
				if (k.desc && c > 0) || (!k.desc && c < 0) {
					best = e
				}
			}
			v = best
		}
		ks[i] = v
	}
	o.rows = append(o.rows, slices.Clone(row))
	o.keys = append(o.keys, ks)
	if o.topN > 0 && len(o.rows) >= 2*o.topN+64 {
		o.compact()
	}
	return true
}

// compact keeps the first topN rows in sort order (stable, so ties keep
// arrival order as a full sort would).
func (o *sortOp) compact() {
	idx := o.order()
	if len(idx) > o.topN {
		idx = idx[:o.topN]
	}
	rows := make([][]doc.Value, len(idx))
	keys := make([][]doc.Value, len(idx))
	for i, j := range idx {
		rows[i], keys[i] = o.rows[j], o.keys[j]
	}
	o.rows, o.keys = rows, keys
}

func (o *sortOp) order() []int {
	idx := make([]int, len(o.rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return o.less(o.keys[idx[i]], o.keys[idx[j]]) < 0 })
	return idx
}

func (o *sortOp) merge(other *sortOp) {
	o.rows = append(o.rows, other.rows...)
	o.keys = append(o.keys, other.keys...)
	if o.topN > 0 && len(o.rows) > o.topN {
		o.compact()
	}
}
func (o *sortOp) less(a, b []doc.Value) int {
	for i, k := range o.s.keys {
		x, y := a[i], b[i]
		switch {
		case x.IsNull() && y.IsNull():
			continue
		case x.IsNull():
			if k.nullsFirst {
				return -1
			}
			return 1
		case y.IsNull():
			if k.nullsFirst {
				return 1
			}
			return -1
		}
		c := fn.Compare(x, y)
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}
func (o *sortOp) finish() {
	for _, i := range o.order() {
		if !o.next.push(o.rows[i]) {
			break
		}
	}
	o.rows, o.keys = nil, nil
	o.next.finish()
}

// ---- stats ----

type postEval struct {
	slot int
	eval evalFn
}

type statsSpec struct {
	keys       []evalFn
	keySlots   []int
	aggs       []*aggSpec
	post       []postEval
	inline     bool
	nslotsHint int
	// window is the index of the first key that is a time bucket of a
	// document field (-1 when none); bucket is its provenance.
	window int
	bucket *timeBucket
}

type group struct {
	keys   []doc.Value
	states []agg.State
	seq    int // creation order, which is output order
}

// closedRow is the output row of a group whose window closed early.
type closedRow struct {
	seq int
	row []doc.Value
}

// statsOp hashes rows into groups. Memory grows with groups, not rows
// (INLINE STATS must also keep its input rows to annotate them).
type statsOp struct {
	x      *ctx
	s      *statsSpec
	groups map[string]*group
	order  []*group
	buf    []byte
	kv     []doc.Value
	rows   [][]doc.Value // INLINE STATS input
	next   sink
	seq    int         // next group's creation number
	closed []closedRow // rows of groups closed by closeBefore that may still be output
}

func (s *statsSpec) build(x *ctx, next sink) sink {
	return &statsOp{x: x, s: s, groups: map[string]*group{}, kv: make([]doc.Value, len(s.keys)), next: next}
}

func (o *statsOp) push(row []doc.Value) bool {
	for i, k := range o.s.keys {
		o.kv[i] = k(o.x, row)
	}
	if o.s.inline {
		o.rows = append(o.rows, slices.Clone(row))
	}
	o.addCombos(row, 0)
	return true
}

// addCombos puts the row in every group its (multi-valued) keys make.
func (o *statsOp) addCombos(row []doc.Value, i int) {
	if i == len(o.kv) {
		g := o.lookup(o.kv, true)
		o.addRow(g, row)
		return
	}
	v := o.kv[i]
	if v.M == nil {
		o.addCombos(row, i+1)
		return
	}
	for _, e := range v.M {
		o.kv[i] = e
		o.addCombos(row, i+1)
	}
	o.kv[i] = v
}

func (o *statsOp) lookup(kv []doc.Value, create bool) *group {
	o.buf = encodeKey(o.buf[:0], kv)
	if g, ok := o.groups[string(o.buf)]; ok {
		return g
	}
	if !create {
		return nil
	}
	g := &group{keys: slices.Clone(kv), states: make([]agg.State, len(o.s.aggs)), seq: o.seq}
	o.seq++
	for i, a := range o.s.aggs {
		g.states[i] = a.factory()
	}
	o.groups[string(o.buf)] = g
	o.order = append(o.order, g)
	return g
}

func (o *statsOp) addRow(g *group, row []doc.Value) {
	for i, a := range o.s.aggs {
		if a.filter != nil {
			f := a.filter(o.x, row)
			if f.T != doc.Boolean || f.M != nil || f.I == 0 {
				continue
			}
		}
		if a.arg == nil {
			g.states[i].Add(doc.Value{}) // COUNT(*) counts every Add
			continue
		}
		v := a.arg(o.x, row)
		if v.IsNull() {
			continue
		}
		g.states[i].Add(v)
	}
}

func (o *statsOp) merge(other *statsOp) {
	for _, c := range other.closed {
		o.closed = append(o.closed, closedRow{seq: o.seq, row: c.row})
		o.seq++
	}
	for _, og := range other.order {
		g := o.lookup(og.keys, true)
		for i := range g.states {
			g.states[i].Merge(og.states[i])
		}
	}
	o.rows = append(o.rows, other.rows...)
}

func (o *statsOp) finish() {
	// STATS without BY yields one row even over no input.
	if len(o.s.keys) == 0 && len(o.order) == 0 {
		o.lookup(nil, true)
	}
	if o.s.inline {
		for _, row := range o.rows {
			kv := make([]doc.Value, len(o.s.keys))
			for i, k := range o.s.keys {
				kv[i] = k(o.x, row)
			}
			// A multi-valued key matches no single group; ES leaves the
			// aggregates null then.
			multi := false
			for _, v := range kv {
				multi = multi || v.M != nil
			}
			var g *group
			if !multi {
				g = o.lookup(kv, false)
			}
			o.emit(g, row)
			if !o.next.push(row) {
				break
			}
		}
		o.next.finish()
		return
	}
	o.emitRows(o.next.push)
	o.next.finish()
}

// emitRows pushes every group's output row to push, stopping when it
// returns false: in group creation order, closed groups included, and for a
// single key the null group first (Elasticsearch's single-key block hashes
// reserve group 0 for null). Each row is a fresh slice the receiver may write.
func (o *statsOp) emitRows(push func([]doc.Value) bool) {
	type item struct {
		g   *group
		row []doc.Value
		seq int
	}
	items := make([]item, 0, len(o.order)+len(o.closed))
	for _, g := range o.order {
		items = append(items, item{g: g, seq: g.seq})
	}
	for _, c := range o.closed {
		items = append(items, item{row: c.row, seq: c.seq})
	}
	if len(o.closed) > 0 {
		sort.Slice(items, func(i, j int) bool { return items[i].seq < items[j].seq })
	}
	// Null keys never close, so the null group is always an open one.
	if len(o.s.keys) == 1 {
		for i, it := range items {
			if it.g != nil && it.g.keys[0].IsNull() && i > 0 {
				items = append([]item{it}, slices.Delete(slices.Clone(items), i, i+1)...)
				break
			}
		}
	}
	for _, it := range items {
		row := make([]doc.Value, o.x.width)
		if it.g != nil {
			o.emit(it.g, row)
		} else {
			copy(row, it.row)
		}
		if !push(row) {
			return
		}
	}
}

// closeBefore finalises every group whose time window ends at or before
// watermark (epoch ms): its row is computed now, kept only when survive says
// the row-local commands after STATS would keep it, and its aggregation
// state is dropped. It returns how many groups closed.
func (o *statsOp) closeBefore(watermark int64, survive func([]doc.Value) bool) int {
	if o.s.window < 0 || o.s.inline {
		return 0
	}
	n := 0
	kept := o.order[:0]
	for _, g := range o.order {
		k := g.keys[o.s.window]
		if k.IsNull() || k.IsMulti() || !k.T.IsTemporal() || o.s.bucket.end(k) > watermark {
			kept = append(kept, g)
			continue
		}
		row := make([]doc.Value, o.x.width)
		o.emit(g, row)
		if survive(row) {
			o.closed = append(o.closed, closedRow{seq: g.seq, row: row})
		}
		o.buf = encodeKey(o.buf[:0], g.keys)
		delete(o.groups, string(o.buf))
		n++
	}
	clear(o.order[len(kept):])
	o.order = kept
	return n
}

func (o *statsOp) emit(g *group, row []doc.Value) {
	for i, a := range o.s.aggs {
		if g == nil {
			row[a.slot] = doc.Value{}
			continue
		}
		row[a.slot] = g.states[i].Result()
	}
	for i, s := range o.s.keySlots {
		if g != nil {
			row[s] = g.keys[i]
		}
	}
	for _, p := range o.s.post {
		row[p.slot] = p.eval(o.x, row)
	}
}

// encodeKey writes a group key: type tag then payload for each value, so
// equal keys (including nulls) encode equally.
func encodeKey(b []byte, kv []doc.Value) []byte {
	for _, v := range kv {
		b = append(b, byte(v.T))
		switch v.T {
		case doc.Null:
		case doc.Double:
			f := v.F
			if f == 0 {
				f = 0 // -0.0 groups with 0.0
			}
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
		case doc.Keyword, doc.Text, doc.IP, doc.Version, doc.GeoPoint, doc.CartesianPoint:
			b = binary.AppendUvarint(b, uint64(len(v.S)))
			b = append(b, v.S...)
		default:
			b = binary.LittleEndian.AppendUint64(b, uint64(v.I))
			if v.T == doc.DatePeriod {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.F))
			}
		}
	}
	return b
}

// ---- buffers and output ----

// bufferSink collects rows (copies) up to an optional cap.
type bufferSink struct {
	rows [][]doc.Value
	cap  int // <0: unbounded
}

func (b *bufferSink) push(row []doc.Value) bool {
	if b.cap >= 0 && len(b.rows) >= b.cap {
		return false
	}
	b.rows = append(b.rows, slices.Clone(row))
	return b.cap < 0 || len(b.rows) < b.cap
}
func (b *bufferSink) finish() {}

// outputSink projects the final columns.
type outputSink struct {
	slots []int
	rows  [][]doc.Value
}

func (o *outputSink) push(row []doc.Value) bool {
	out := make([]doc.Value, len(o.slots))
	for i, s := range o.slots {
		out[i] = row[s]
	}
	o.rows = append(o.rows, out)
	return true
}
func (o *outputSink) finish() {}

// nopSink discards.
type nopSink struct{}

func (nopSink) push([]doc.Value) bool { return true }
func (nopSink) finish()               {}
