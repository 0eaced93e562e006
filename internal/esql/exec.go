package esql

import (
	"container/heap"
	"encoding/binary"
	"hash/maphash"
	"math"
	"slices"
	"sort"

	"vigil/internal/doc"
	"vigil/internal/esql/agg"
	"vigil/internal/esql/fn"
	"vigil/internal/esql/logical"
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
	mem   account // what the blocking commands hold (budget.go)
}

// warnings collects evaluation warnings as Elasticsearch words them: per
// expression a header line then up to 20 exception lines, de-duplicated.
type warnings struct {
	sites  *[]warnSite
	counts []int // failures per site
	lines  []string
	seen   map[string]bool
	// recorded lists the failures that made lines, in order: merging
	// replays them, so that executions merged in input order keep exactly
	// the first 20 failures per site that one execution would have.
	recorded []failure
}

type failure struct {
	site int
	msg  string
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

func (x *ctx) fail(site int, err error) { x.warn.record(site, err.Error()) }

// record counts a failure at site, and words it while the site has had
// fewer than 20.
func (w *warnings) record(site int, msg string) {
	for site >= len(w.counts) { // sites registered after this ctx was made (folding)
		w.counts = append(w.counts, 0)
	}
	if w.counts[site] < 20 {
		s := (*w.sites)[site]
		pre := "Line " + itoa(s.pos.Line) + ":" + itoa(s.pos.Col) + ": "
		if w.counts[site] == 0 {
			how := "null"
			if s.asFalse {
				how = "false"
			}
			w.add(pre + "evaluation of [" + s.src + "] failed, treating result as " + how + ". Only first 20 failures recorded.")
		}
		w.add(pre + msg)
		w.recorded = append(w.recorded, failure{site, msg})
	}
	w.counts[site]++
}

// merge folds in the warnings of an execution over later input (parallel
// workers, merged in input order): its recorded failures are replayed, so
// the lines are those of one execution over both inputs, then its
// unrecorded failures are counted.
func (w *warnings) merge(o *warnings) {
	replayed := make([]int, len(o.counts))
	for _, f := range o.recorded {
		w.record(f.site, f.msg)
		replayed[f.site]++
	}
	for i, n := range o.counts {
		for i >= len(w.counts) {
			w.counts = append(w.counts, 0)
		}
		w.counts[i] += n - replayed[i]
	}
}

// ---- streaming operators ----

// reads (of whereSpec and evalSpec) are the slots the expressions read.
type whereSpec struct {
	cond  evalFn
	reads []int
}
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
	reads []int
	node  *logical.Eval // the plan command, whose Cols are slots' columns
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

type limitSpec struct {
	n     int
	label cmdRef // for MemoryError; no position for the implicit LIMIT
}
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
type sortSpec struct {
	keys  []sortKey
	label cmdRef // for MemoryError
}
type sortOp struct {
	x    *ctx
	s    *sortSpec
	rows rowBuffer // compact copies, in arrival order
	refs []rowRef  // the rows, in the order of keys
	keys [][]doc.Value
	held int64 // bytes charged for rows and keys
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
	n := o.rows.add(row)
	o.refs = append(o.refs, o.rows.last())
	doc.CloneInto(ks, ks)
	o.keys = append(o.keys, ks)
	n += rowBytes(ks)
	o.held += n
	if !o.x.mem.charge(n, o.s.label) {
		return false
	}
	if o.topN > 0 && len(o.refs) >= 2*o.topN+64 {
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
	var rows rowBuffer
	refs := make([]rowRef, len(idx))
	keys := make([][]doc.Value, len(idx))
	row := make([]doc.Value, o.x.width)
	var held int64
	prev := rowRef{}
	for i, j := range idx {
		o.refs[j].load(row, prev)
		prev = o.refs[j]
		held += rows.add(row) + rowBytes(o.keys[j])
		refs[i], keys[i] = rows.last(), o.keys[j]
	}
	o.rows, o.refs, o.keys = rows, refs, keys
	o.x.mem.charge(held-o.held, o.s.label)
	o.held = held
}

func (o *sortOp) order() []int {
	idx := make([]int, len(o.refs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return o.less(o.keys[idx[i]], o.keys[idx[j]]) < 0 })
	return idx
}

func (o *sortOp) merge(other *sortOp) {
	o.rows.appendBuffer(&other.rows)
	o.refs = append(o.refs, other.refs...)
	o.keys = append(o.keys, other.keys...)
	o.held += other.held
	other.held = 0 // the account that held it is adopted too
	if o.topN > 0 && len(o.refs) > o.topN {
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
	row := make([]doc.Value, o.x.width)
	prev := rowRef{}
	for _, i := range o.order() {
		o.refs[i].load(row, prev)
		prev = o.refs[i]
		if o.x.mem.err != nil || !o.next.push(row) {
			break
		}
	}
	o.rows, o.refs, o.keys = rowBuffer{}, nil, nil
	o.x.mem.charge(-o.held, o.s.label)
	o.held = 0
	o.next.finish()
}

// ---- stats ----

type postEval struct {
	slot int
	eval evalFn
	// aggFrom, aggTo delimit the aggregates (indexes into statsSpec.aggs)
	// the expression reads.
	aggFrom, aggTo int
	// plain: the expression is a bare aggregate call, so evaluating it
	// copies the aggregate's result and can neither fail nor warn.
	plain bool
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
	// early and late split a closing group's output row (see closeBefore):
	// early is what the survival test reads, plus every post evaluation
	// that could warn; late holds the plain aggregate columns nothing reads
	// before the row is known to be kept.
	early, late emitPart
	label       cmdRef // for MemoryError
}

// emitPart is a subset of a STATS output row: aggregates and post
// evaluations, by index.
type emitPart struct{ aggs, posts []int }

// splitEmit sets early and late for a survival test that reads the given
// slots.
func (s *statsSpec) splitEmit(reads []int) {
	s.early, s.late = emitPart{}, emitPart{}
	early := make([]bool, len(s.aggs))
	for i, p := range s.post {
		if !p.plain || slices.Contains(reads, p.slot) {
			s.early.posts = append(s.early.posts, i)
			for j := p.aggFrom; j < p.aggTo; j++ {
				early[j] = true
			}
		} else {
			s.late.posts = append(s.late.posts, i)
		}
	}
	for j, e := range early {
		if e {
			s.early.aggs = append(s.early.aggs, j)
		} else {
			s.late.aggs = append(s.late.aggs, j)
		}
	}
}

type group struct {
	keys   []doc.Value
	states []agg.State
	seq    int    // creation order, which is output order
	next   *group // another group with the same key hash
	closed bool   // closed by closeBefore; it lingers in order until compacted
	// result caches the aggregates' results for INLINE STATS, whose every
	// input row of the group shows the same values: one Result per group,
	// not one copy (of a VALUES list as long as the input) per row.
	result []doc.Value
}

// window holds the groups of one time window, which close together: a
// hash per window, dropped whole, spares the deletions that would clutter
// one long-lived hash.
type window struct {
	groups map[uint64]*group // by key hash, collisions chained
	order  []*group          // creation order
}

// closedRow is the output row of a group whose window closed early.
type closedRow struct {
	seq int
	row []doc.Value
}

// statsOp hashes rows into groups. Memory grows with groups, not rows
// (INLINE STATS must also keep its input rows to annotate them, compactly:
// rowBuffer).
type statsOp struct {
	x *ctx
	s *statsSpec
	// groups holds the groups that never close (no window key, or a null
	// one) by hash of their encoded keys, collisions chained.
	groups map[uint64]*group
	seed   maphash.Seed
	order  []*group // creation order
	open   int      // groups not closed
	dead   int      // closed groups still in order
	buf    []byte
	kv     []doc.Value
	rows   rowBuffer // INLINE STATS input
	next   sink
	seq    int         // next group's creation number
	closed []closedRow // rows of groups closed by closeBefore that may still be output
	arena  groupArena
	// windows holds the other groups by the end of their time window;
	// ends is a min-heap of its keys, so closeBefore touches only the
	// groups that close. last caches the window of the latest key.
	windows  map[int64]*window
	ends     endHeap
	last     *window
	lastKey  doc.Value
	sizeHint int         // groups the latest window had when the next one began
	closing  []*group    // closeBefore's scratch
	scratch  []doc.Value // closeBefore's row before the survival test
	// sizers lists the aggregates whose states grow with their input
	// (VALUES), which charge what they grow by.
	sizers []int
	// unindex unregisters the INLINE STATS results indexed for the set
	// functions (fn.IndexMulti).
	unindex []func()
}

// sizer is an aggregation state that reports the bytes it holds.
type sizer interface{ Bytes() int64 }

func (s *statsSpec) build(x *ctx, next sink) sink {
	o := &statsOp{x: x, s: s, groups: map[uint64]*group{}, seed: maphash.MakeSeed(), kv: make([]doc.Value, len(s.keys)), next: next}
	for i, a := range s.aggs {
		if _, ok := a.factory().(sizer); ok {
			o.sizers = append(o.sizers, i)
		}
	}
	return o
}

func (o *statsOp) push(row []doc.Value) bool {
	for i, k := range o.s.keys {
		o.kv[i] = k(o.x, row)
	}
	if o.s.inline {
		o.x.mem.charge(o.rows.add(row), o.s.label)
	}
	o.addCombos(row, 0)
	return o.x.mem.err == nil
}

// groupBytes is what a group is counted at, without what its growing
// states hold.
func (o *statsOp) groupBytes(g *group) int64 {
	return 96 + rowBytes(g.keys) + int64(len(g.states))*stateBytes
}

// heldBy is what a group's growing states hold.
func (o *statsOp) heldBy(g *group) int64 {
	var n int64
	for _, i := range o.sizers {
		if st := g.states[i]; st != nil {
			n += st.(sizer).Bytes()
		}
	}
	return n
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
	g, slot := o.find(kv)
	if g == nil && create {
		g = o.arena.newGroup(kv, o.s.aggs)
		o.insert(g, slot)
		o.x.mem.charge(o.groupBytes(g), o.s.label)
	}
	return g
}

// groupSlot is where a key's group goes: its hash and its window (nil for
// groups that never close).
type groupSlot struct {
	h      uint64
	groups map[uint64]*group
	w      *window
}

func (o *statsOp) find(kv []doc.Value) (*group, groupSlot) {
	o.buf = encodeKey(o.buf[:0], kv)
	slot := groupSlot{h: maphash.Bytes(o.seed, o.buf), groups: o.groups, w: o.windowOf(kv)}
	if slot.w != nil {
		slot.groups = slot.w.groups
	}
	for g := slot.groups[slot.h]; g != nil; g = g.next {
		if sameKey(g.keys, kv) {
			return g, slot
		}
	}
	return nil, slot
}

// insert makes g, new to o, the group at slot, last in creation order.
func (o *statsOp) insert(g *group, slot groupSlot) {
	groups, h, w := slot.groups, slot.h, slot.w
	g.seq, g.next = o.seq, groups[h]
	o.seq++
	groups[h] = g
	o.order = append(o.order, g)
	o.open++
	if w != nil {
		w.order = append(w.order, g)
	}
}

// closes reports whether a key's groups close with a time window.
func (o *statsOp) closes(kv []doc.Value) bool {
	if o.s.window < 0 || o.s.inline {
		return false
	}
	k := kv[o.s.window]
	return !k.IsNull() && !k.IsMulti() && k.T.IsTemporal()
}

// windowOf returns the window a key's groups close with, made on first
// use, or nil when they never close.
func (o *statsOp) windowOf(kv []doc.Value) *window {
	if !o.closes(kv) {
		return nil
	}
	k := kv[o.s.window]
	if o.last != nil && k.T == o.lastKey.T && k.I == o.lastKey.I {
		return o.last // consecutive rows mostly share a window
	}
	end := o.s.bucket.end(k)
	w := o.windows[end]
	if w == nil {
		if o.windows == nil {
			o.windows = map[int64]*window{}
		}
		if o.last != nil {
			o.sizeHint = min(len(o.last.order), 1<<16)
		}
		// Windows of a steady stream hold about as many groups each:
		// sizing the hash from the last one spares growing it step by step.
		w = &window{groups: make(map[uint64]*group, o.sizeHint)}
		o.windows[end] = w
		heap.Push(&o.ends, end)
	}
	o.last, o.lastKey = w, k
	return w
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
		if len(o.sizers) > 0 && slices.Contains(o.sizers, i) {
			sz := g.states[i].(sizer)
			n := sz.Bytes()
			g.states[i].Add(v)
			o.x.mem.charge(sz.Bytes()-n, o.s.label)
			continue
		}
		g.states[i].Add(v)
	}
}

// merge folds other's groups into o. With take, other is dropped after:
// a group new to o moves over with its states instead of being copied,
// which keeps a parallel sweep's serial merge cheap.
func (o *statsOp) merge(other *statsOp, take bool) {
	for _, c := range other.closed {
		o.closed = append(o.closed, closedRow{seq: o.seq, row: c.row})
		o.seq++
	}
	for _, og := range other.liveOrder() {
		g, slot := o.find(og.keys)
		if g == nil && take {
			o.insert(og, slot)
			continue
		}
		if g == nil {
			g = o.arena.newGroup(og.keys, o.s.aggs)
			o.insert(g, slot)
		}
		// The other execution's account, adopted by this one, holds og:
		// what merging adds is what g grows by.
		n := o.heldBy(g)
		for i := range g.states {
			g.states[i].Merge(og.states[i])
		}
		o.x.mem.charge(o.heldBy(g)-n, o.s.label)
	}
	o.rows.appendBuffer(&other.rows)
}

// liveOrder returns the open groups in creation order. Closed groups it
// drops from order go back to the arena.
func (o *statsOp) liveOrder() []*group {
	if o.dead > 0 {
		live := o.order[:0]
		for _, g := range o.order {
			if !g.closed {
				live = append(live, g)
			} else {
				o.arena.release(g, o.open)
			}
		}
		clear(o.order[len(live):])
		o.order, o.dead = live, 0
	}
	return o.order
}

func (o *statsOp) finish() {
	// STATS without BY yields one row even over no input.
	if len(o.s.keys) == 0 && o.open == 0 {
		o.lookup(nil, true)
	}
	if o.s.inline {
		o.finishInline()
		return
	}
	o.emitRows(o.next.push)
	o.next.finish()
}

// finishInline annotates every buffered input row with its group's
// aggregates, in input order.
func (o *statsOp) finishInline() {
	kv := make([]doc.Value, len(o.s.keys))
	o.rows.each(make([]doc.Value, o.x.width), func(row []doc.Value) bool {
		for j, k := range o.s.keys {
			kv[j] = k(o.x, row)
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
		return o.next.push(row) && o.x.mem.err == nil
	})
	o.rows = rowBuffer{}
	for _, drop := range o.unindex {
		drop()
	}
	o.unindex = nil
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
	order := o.liveOrder()
	items := make([]item, 0, len(order)+len(o.closed))
	for _, g := range order {
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
// watermark (epoch ms): its row is kept only when survive says the
// row-local commands after STATS would keep it, and its aggregation state
// is dropped. The columns survive reads are computed first, the rest only
// for kept rows. It returns how many groups closed.
func (o *statsOp) closeBefore(watermark int64, survive func([]doc.Value) bool) int {
	closing := o.popWindows(watermark)
	if len(closing) == 0 {
		return 0
	}
	if o.scratch == nil {
		o.scratch = make([]doc.Value, o.x.width)
	}
	row := o.scratch
	for _, g := range closing {
		for i, s := range o.s.keySlots {
			row[s] = g.keys[i]
		}
		o.emitPart(g, row, o.s.early)
		if survive(row) {
			kept := slices.Clone(row)
			o.emitPart(g, kept, o.s.late)
			o.closed = append(o.closed, closedRow{seq: g.seq, row: kept})
			o.x.mem.charge(rowBytes(kept), o.s.label)
		}
	}
	clear(row)
	o.dropAll(closing)
	return len(closing)
}

// dropAll drops popWindows' groups, giving back what they held.
func (o *statsOp) dropAll(closing []*group) {
	for _, g := range closing {
		o.x.mem.charge(-o.groupBytes(g)-o.heldBy(g), o.s.label)
		o.drop(g)
	}
	clear(closing)
	o.closing = closing[:0]
	if o.dead > len(o.order)/2 {
		o.liveOrder()
	}
}

// popWindows removes the windows ending at or before watermark and returns
// their groups in creation order, as a walk over all groups would meet
// them (the order warnings are raised in), in o.closing's array.
func (o *statsOp) popWindows(watermark int64) []*group {
	if o.s.window < 0 || o.s.inline {
		return nil
	}
	closing, windows := o.closing[:0], 0
	for len(o.ends) > 0 && o.ends[0] <= watermark {
		end := heap.Pop(&o.ends).(int64)
		w := o.windows[end]
		closing = append(closing, w.order...)
		delete(o.windows, end)
		if o.last == w {
			o.last = nil
		}
		windows++
	}
	if windows > 1 {
		slices.SortFunc(closing, func(a, b *group) int { return a.seq - b.seq })
	}
	return closing
}

// drop empties a closed group (its window is gone already): it stays in
// order until liveOrder compacts it, then serves a new group.
func (o *statsOp) drop(g *group) {
	for i, st := range g.states {
		if !agg.Reset(st) {
			g.states[i] = nil
		}
	}
	clear(g.keys)
	g.next, g.closed, g.result = nil, true, nil
	o.open--
	o.dead++
}

func (o *statsOp) emit(g *group, row []doc.Value) {
	if g != nil && o.s.inline && g.result == nil {
		g.result = make([]doc.Value, len(o.s.aggs))
		for i := range o.s.aggs {
			g.result[i] = g.states[i].Result()
			// Every row of the group shows this value: index it once for
			// the set functions (finishInline unregisters it).
			if len(g.result[i].M) >= fn.MvIndexMin {
				o.unindex = append(o.unindex, fn.IndexMulti(g.result[i]))
			}
		}
	}
	for i, a := range o.s.aggs {
		switch {
		case g == nil:
			row[a.slot] = doc.Value{}
		case g.result != nil:
			row[a.slot] = g.result[i] // shared: multi-values are never written in place
		default:
			row[a.slot] = g.states[i].Result()
		}
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

// emitPart computes part of a group's output row (its keys are in place).
func (o *statsOp) emitPart(g *group, row []doc.Value, part emitPart) {
	for _, i := range part.aggs {
		row[o.s.aggs[i].slot] = g.states[i].Result()
	}
	for _, i := range part.posts {
		p := &o.s.post[i]
		row[p.slot] = p.eval(o.x, row)
	}
}

// groupArena hands out groups, their keys and fresh aggregation states,
// reusing closed groups or else from chunks, so that a new group costs no
// allocation of its own: with windows closing, most groups of a detection
// query live for one window.
type groupArena struct {
	free   []*group // closed, emptied groups
	groups []group
	keys   []doc.Value
	states []agg.State
	batch  []agg.State // scratch for agg.NewStates
	chunk  int         // groups per refill, doubling up to maxArenaChunk
	made   int         // groups handed out so far
}

const maxArenaChunk = 256

// maxArenaFree bounds the free list, with the number of open groups
// (see release): an execution that absorbs other executions' groups
// (Absorb) creates few of its own, and an unbounded list would keep every
// group it ever closed.
const maxArenaFree = 16 * maxArenaChunk

// release keeps a closed group for reuse, or leaves it to the collector.
// As many as are open are kept: windows close in waves about as large as
// the open set, and the next wave of new groups reuses them instead of
// allocating (and collecting) as many again. An arena that has made no
// group keeps none: a parallel sweep's merge target takes its chunks'
// groups over (Absorb) and would never reuse one.
func (a *groupArena) release(g *group, open int) {
	if a.made > 0 && len(a.free) < max(maxArenaFree, open) {
		a.free = append(a.free, g)
	}
}

func (a *groupArena) newGroup(kv []doc.Value, aggs []*aggSpec) *group {
	a.made++
	if n := len(a.free); n > 0 {
		g := a.free[n-1]
		a.free[n-1] = nil
		a.free = a.free[:n-1]
		doc.CloneInto(g.keys, kv)
		for i, st := range g.states {
			if st == nil {
				g.states[i] = aggs[i].factory()
			}
		}
		g.closed = false
		return g
	}
	if len(a.groups) == 0 {
		a.refill(len(kv), aggs)
	}
	g := &a.groups[0]
	a.groups = a.groups[1:]
	nk, na := len(kv), len(aggs)
	g.keys, a.keys = a.keys[:nk:nk], a.keys[nk:]
	doc.CloneInto(g.keys, kv)
	g.states, a.states = a.states[:na:na], a.states[na:]
	return g
}

func (a *groupArena) refill(nk int, aggs []*aggSpec) {
	a.chunk = min(max(2*a.chunk, 1), maxArenaChunk)
	n, na := a.chunk, len(aggs)
	a.groups = make([]group, n)
	a.keys = make([]doc.Value, n*nk)
	a.states = make([]agg.State, n*na)
	if cap(a.batch) < n {
		a.batch = make([]agg.State, n)
	}
	b := a.batch[:n]
	for i, s := range aggs {
		agg.NewStates(s.factory, b)
		for j, st := range b {
			a.states[j*na+i] = st
		}
	}
	clear(b)
}

// endHeap is a min-heap of window ends (container/heap).
type endHeap []int64

func (h endHeap) Len() int           { return len(h) }
func (h endHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h endHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *endHeap) Push(x any)        { *h = append(*h, x.(int64)) }
func (h *endHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
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
		case doc.Keyword, doc.Text, doc.IP, doc.Version, doc.GeoPoint, doc.CartesianPoint, doc.Source:
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

// sameKey reports whether two group keys encode equally (encodeKey).
func sameKey(a, b []doc.Value) bool {
	for i, x := range a {
		y := b[i]
		if x.T != y.T {
			return false
		}
		switch x.T {
		case doc.Null:
		case doc.Double:
			if x.F != y.F && math.Float64bits(x.F) != math.Float64bits(y.F) {
				return false // equal floats (0 and -0) group; NaNs by their bits
			}
		case doc.Keyword, doc.Text, doc.IP, doc.Version, doc.GeoPoint, doc.CartesianPoint, doc.Source:
			if x.S != y.S {
				return false
			}
		default:
			if x.I != y.I || x.T == doc.DatePeriod && math.Float64bits(x.F) != math.Float64bits(y.F) {
				return false
			}
		}
	}
	return true
}

// ---- buffers and output ----

// bufferSink collects rows (compact copies) up to an optional cap.
type bufferSink struct {
	x     *ctx
	label cmdRef // the command that buffers, for MemoryError
	rows  rowBuffer
	cap   int // <0: unbounded
}

func (b *bufferSink) push(row []doc.Value) bool {
	if b.cap >= 0 && b.rows.len() >= b.cap {
		return false
	}
	if !b.x.mem.charge(b.rows.add(row), b.label) {
		return false
	}
	return b.cap < 0 || b.rows.len() < b.cap
}

// merge appends other's rows up to the cap.
func (b *bufferSink) merge(other *bufferSink) {
	if b.cap < 0 || b.rows.len()+other.rows.len() <= b.cap {
		b.rows.appendBuffer(&other.rows)
		return
	}
	other.rows.each(make([]doc.Value, b.x.width), func(row []doc.Value) bool {
		if b.rows.len() >= b.cap {
			return false
		}
		b.rows.add(row) // other's bytes, adopted with its account, cover it
		return true
	})
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
