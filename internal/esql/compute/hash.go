package compute

import (
	"hash/maphash"
	"math"

	"vigil/internal/doc"
	"vigil/internal/esql/agg"
)

// Grouper maps the key columns of STATS … BY to dense group ids, numbered
// in order of first appearance (the row engine's group creation order,
// which is its output order). It hashes column by column, never encoding
// a row's key to bytes: one keyword key or one integer-like key use a Go
// map of their typed value; other shapes combine per-column hashes and
// compare the stored keys. A null key value is a key like any other (null
// keys group together); a multi-valued key puts the row in the group of
// each of its values, every combination with the other keys, first key
// slowest, as the row engine does.
type Grouper struct {
	types []doc.Type
	// a single keyword or integer-like key (at most one is set)
	strs   *singleKey[string]
	ints   *singleKey[int64]
	nullID int32 // the null key's group, -1 before it has one
	arena  arena
	// any keys: per group its key values (owned), chained by hash
	seed   maphash.Seed
	mask   uint64 // applied to combined hashes; tests clear it to force collisions
	heads  map[uint64]int32
	next   []int32
	cols   []keyCol // the groups' keys, column by column
	combo  []doc.Value
	elems  [][]doc.Value
	hashes []uint64 // per selected position: its combined key hash
	multi  []bool   // per selected position: a key is multi-valued
	// Add's results
	pos, ids []int32
	n        int32
}

// singleKey is the table of a one-column key of a Go-comparable type.
type singleKey[K comparable] struct {
	ids  map[K]int32
	keys []K // by group id (the zero value for the null group)
}

// NewGrouper returns a grouper for keys of the given types.
func NewGrouper(types []doc.Type) *Grouper {
	g := &Grouper{types: types, nullID: -1, seed: maphash.MakeSeed(), mask: ^uint64(0)}
	switch {
	case len(types) == 1 && RepOf(types[0]) == RepBytes:
		g.strs = &singleKey[string]{ids: map[string]int32{}}
	case len(types) == 1 && RepOf(types[0]) == RepInt:
		g.ints = &singleKey[int64]{ids: map[int64]int32{}}
	default:
		g.heads = map[uint64]int32{}
		g.cols = newKeyCols(types)
	}
	return g
}

// Len is the number of groups.
func (g *Grouper) Len() int { return int(g.n) }

// Add assigns groups to the selected positions of the key blocks (one per
// key type). It returns, in row order, each (position, group) pair: one
// per position unless a key is multi-valued. The slices are the
// grouper's, valid until the next Add.
func (g *Grouper) Add(keys []*Block, sel []int32) (pos, ids []int32) {
	g.pos, g.ids = g.pos[:0], g.ids[:0]
	switch {
	case g.strs != nil && keys[0].Rep == RepBytes:
		addSingle(g, g.strs, keys[0], keys[0].Strs, sel, g.arena.own)
	case g.ints != nil && keys[0].Rep == RepInt:
		addSingle(g, g.ints, keys[0], keys[0].Ints, sel, keepInt)
	default:
		g.addAny(keys, sel)
	}
	return g.pos, g.ids
}

// keepInt "copies" an integer key: it owns no memory.
func keepInt(x int64) int64 { return x }

func (g *Grouper) emit(p, id int32) {
	g.pos = append(g.pos, p)
	g.ids = append(g.ids, id)
}

func (g *Grouper) newID() int32 {
	g.n++
	return g.n - 1
}

// addSingle groups by one typed key column whose stored values are vals;
// own copies a new key out of the page (strings alias the chunk).
func addSingle[K comparable](g *Grouper, t *singleKey[K], b *Block, vals []K, sel []int32, own func(K) K) {
	var zero K
	for _, p := range sel {
		i, n := b.span(p)
		if n == 0 {
			g.emit(p, intern(g, t, true, zero, own))
			continue
		}
		for k := i; k < i+n; k++ {
			g.emit(p, intern(g, t, false, vals[k], own))
		}
	}
}

// intern returns the group of one typed key value (or of null), making it
// if new.
func intern[K comparable](g *Grouper, t *singleKey[K], null bool, x K, own func(K) K) int32 {
	if null {
		if g.nullID < 0 {
			g.nullID = g.newID()
			var zero K
			t.keys = append(t.keys, zero)
		}
		return g.nullID
	}
	id, ok := t.ids[x]
	if !ok {
		id = g.newID()
		x = own(x)
		t.ids[x] = id
		t.keys = append(t.keys, x)
	}
	return id
}

// Intern returns the group of the key values kv (single values, one per
// key), making it if new: merging the groups of another execution (a
// parallel worker) in its creation order keeps one execution's order.
func (g *Grouper) Intern(kv []doc.Value) int32 {
	v := kv[0]
	fit := v.T == doc.Null || v.T == g.types[0]
	switch {
	case g.strs != nil && fit:
		return intern(g, g.strs, v.T == doc.Null, v.S, g.arena.own)
	case g.ints != nil && fit:
		return intern(g, g.ints, v.T == doc.Null, v.I, keepInt)
	}
	if g.heads == nil {
		g.migrate()
	}
	return g.lookup(kv)
}

// addAny handles every other shape, and blocks not stored as their key
// type declares (whole values). Keys are hashed column by column into a
// hash per position; positions with a multi-valued key go through the
// combinations one by one.
func (g *Grouper) addAny(keys []*Block, sel []int32) {
	if g.heads == nil {
		g.migrate()
	}
	g.hashes = grow(g.hashes, len(sel))
	g.multi = grow(g.multi, len(sel))
	clear(g.hashes)
	clear(g.multi)
	for _, b := range keys {
		g.hashColumn(b, sel)
	}
	g.combo = grow(g.combo, len(keys))
	for len(g.elems) < len(keys) {
		g.elems = append(g.elems, nil)
	}
	for x, p := range sel {
		if !g.multi[x] {
			g.emit(p, g.lookupAt(keys, p, g.hashes[x]&g.mask))
			continue
		}
		for i, b := range keys {
			g.combo[i], g.elems[i] = b.ValueInto(p, g.elems[i])
		}
		g.combos(p, 0)
	}
}

// hashColumn folds block b's key hash into g.hashes for each selected
// position, as hashKey would, and marks the multi-valued ones.
func (g *Grouper) hashColumn(b *Block, sel []int32) {
	th := uint64(b.Type) * typeMul
	for x, p := range sel {
		i, n := b.span(p)
		var h uint64
		switch {
		case n > 1:
			g.multi[x] = true
			continue
		case b.Rep == RepValue:
			h = hashValue(g.seed, b.Vals[i])
		case n == 0:
			h = 0 // hashValue of null
		case b.Rep == RepBytes:
			h = th ^ maphash.String(g.seed, b.Strs[i])
		case b.Rep == RepInt:
			h = mix(th ^ uint64(b.Ints[i]))
		default:
			h = hashValue(g.seed, b.elem(i))
		}
		g.hashes[x] = g.hashes[x]*hashMul ^ h
	}
}

// lookupAt finds or makes the group of position p's single-valued keys,
// whose combined hash is h.
func (g *Grouper) lookupAt(keys []*Block, p int32, h uint64) int32 {
	id, ok := g.heads[h]
	for ; ok && id >= 0; id = g.next[id] {
		if g.sameAt(id, keys, p) {
			return id
		}
	}
	for i, b := range keys {
		g.combo[i] = b.Value(p)
	}
	return g.insert(g.combo, h)
}

// sameAt reports whether group id's key is that of position p of the blocks.
func (g *Grouper) sameAt(id int32, keys []*Block, p int32) bool {
	for k, b := range keys {
		i, n := b.span(p)
		if !g.cols[k].sameAt(id, b, i, n) {
			return false
		}
	}
	return true
}

// combos emits p's group for every combination of its key values from key i on.
func (g *Grouper) combos(p int32, i int) {
	if i == len(g.combo) {
		g.emit(p, g.lookup(g.combo))
		return
	}
	v := g.combo[i]
	if v.M == nil {
		g.combos(p, i+1)
		return
	}
	for _, e := range v.M {
		g.combo[i] = e
		g.combos(p, i+1)
	}
	g.combo[i] = v
}

func (g *Grouper) lookup(kv []doc.Value) int32 {
	var h uint64
	for _, v := range kv {
		h = h*hashMul ^ hashValue(g.seed, v)
	}
	h &= g.mask
	id, ok := g.heads[h]
	for ; ok && id >= 0; id = g.next[id] {
		if g.same(id, kv) {
			return id
		}
	}
	return g.insert(kv, h)
}

// same reports whether group id's key is kv.
func (g *Grouper) same(id int32, kv []doc.Value) bool {
	for k, v := range kv {
		if !g.cols[k].same(id, v) {
			return false
		}
	}
	return true
}

// insert makes a group of key values kv (single values, copied) with hash h.
func (g *Grouper) insert(kv []doc.Value, h uint64) int32 {
	id := g.newID()
	for k, v := range kv {
		g.cols[k].add(v, g.arena.own)
	}
	head, ok := g.heads[h]
	if !ok {
		head = -1
	}
	g.next = append(g.next, head)
	g.heads[h] = id
	return id
}

// migrate moves a single-key grouper to the general table when a block
// arrives stored otherwise than its type declares; ids stay.
func (g *Grouper) migrate() {
	all := make([][]doc.Value, g.n)
	for id := range g.n {
		all[id] = g.Keys(id)
	}
	g.strs, g.ints = nil, nil
	g.heads, g.n = map[uint64]int32{}, 0
	g.cols = newKeyCols(g.types)
	for _, kv := range all {
		g.lookup(kv)
	}
}

// Keys returns group id's key values (their strings owned by the grouper).
func (g *Grouper) Keys(id int32) []doc.Value {
	switch {
	case g.heads != nil:
		kv := make([]doc.Value, len(g.cols))
		for k := range g.cols {
			kv[k] = g.cols[k].get(id)
		}
		return kv
	case id == g.nullID:
		return []doc.Value{{}}
	case g.strs != nil:
		return []doc.Value{{T: g.types[0], S: g.strs.keys[id]}}
	}
	return []doc.Value{{T: g.types[0], I: g.ints.keys[id]}}
}

// hashMul combines the hashes of a key's columns; typeMul spreads a type tag.
const (
	hashMul = 0x9E3779B97F4A7C15
	typeMul = 0xff51afd7ed558ccd
)

// hashValue hashes a key value consistently with sameKey.
func hashValue(seed maphash.Seed, v doc.Value) uint64 {
	h := uint64(v.T) * typeMul
	switch v.T {
	case doc.Null:
		return h
	case doc.Double:
		f := v.F
		if f == 0 {
			f = 0 // -0.0 groups with 0.0
		}
		return mix(h ^ math.Float64bits(f))
	case doc.Keyword, doc.Text, doc.IP, doc.Version, doc.GeoPoint, doc.CartesianPoint, doc.Source:
		return h ^ maphash.String(seed, v.S)
	case doc.DatePeriod:
		return mix(h ^ uint64(v.I) ^ mix(math.Float64bits(v.F)))
	}
	return mix(h ^ uint64(v.I))
}

// mix spreads an integer's bits over the word (a Fibonacci multiply),
// enough for a chained table.
func mix(x uint64) uint64 {
	x *= hashMul
	return x ^ x>>29
}

// sameValue is the row engine's key equality (esql's sameKey, which this
// mirrors until the row executor goes; TestGrouperDifferential and
// TestStatsAgainstRowEngine pin them together): same type and payload;
// equal doubles (0 and -0) group, NaNs by their bits.
func sameValue(x, y doc.Value) bool {
	if x.T != y.T {
		return false
	}
	switch x.T {
	case doc.Null:
		return true
	case doc.Double:
		return x.F == y.F || math.Float64bits(x.F) == math.Float64bits(y.F)
	case doc.Keyword, doc.Text, doc.IP, doc.Version, doc.GeoPoint, doc.CartesianPoint, doc.Source:
		return x.S == y.S
	}
	return x.I == y.I && (x.T != doc.DatePeriod || math.Float64bits(x.F) == math.Float64bits(y.F))
}

// keyCol is one key column of a Grouper's groups: typed (strings or
// integer-likes, with a null flag) while every key value is null or of the
// column's type, whole values otherwise. A group's key costs a few words
// per column instead of a doc.Value.
type keyCol struct {
	t     doc.Type
	rep   Rep // RepBytes, RepInt or RepValue
	nulls []bool
	strs  []string
	ints  []int64
	vals  []doc.Value
}

func newKeyCols(types []doc.Type) []keyCol {
	cols := make([]keyCol, len(types))
	for i, t := range types {
		cols[i] = keyCol{t: t, rep: RepOf(t)}
		if r := cols[i].rep; r != RepBytes && r != RepInt {
			cols[i].rep = RepValue
		}
	}
	return cols
}

func (k *keyCol) get(id int32) doc.Value {
	switch {
	case k.rep == RepValue:
		return k.vals[id]
	case k.nulls[id]:
		return doc.Value{}
	case k.rep == RepBytes:
		return doc.Value{T: k.t, S: k.strs[id]}
	}
	return doc.Value{T: k.t, I: k.ints[id]}
}

// add appends the key value v (single or null) of a new group; own
// copies its string.
func (k *keyCol) add(v doc.Value, own func(string) string) {
	v.S = own(v.S)
	if k.rep != RepValue && !fits(v, k.t) {
		vals := make([]doc.Value, len(k.nulls), len(k.nulls)+1)
		for i := range vals {
			vals[i] = k.get(int32(i))
		}
		k.rep, k.vals, k.nulls, k.strs, k.ints = RepValue, vals, nil, nil, nil
	}
	switch k.rep {
	case RepValue:
		k.vals = append(k.vals, v)
	case RepBytes:
		k.nulls, k.strs = append(k.nulls, v.T == doc.Null), append(k.strs, v.S)
	default:
		k.nulls, k.ints = append(k.nulls, v.T == doc.Null), append(k.ints, v.I)
	}
}

// same reports whether group id's key value is v.
func (k *keyCol) same(id int32, v doc.Value) bool {
	switch {
	case k.rep == RepValue:
		return sameValue(k.vals[id], v)
	case k.nulls[id]:
		return v.T == doc.Null
	case v.T != k.t:
		return false
	case k.rep == RepBytes:
		return k.strs[id] == v.S
	}
	return k.ints[id] == v.I
}

// sameAt is same for the single or null value of a block position
// (storage index i, n values).
func (k *keyCol) sameAt(id int32, b *Block, i, n int32) bool {
	switch {
	case b.Rep == RepValue:
		return k.same(id, b.Vals[i])
	case n == 0:
		return k.same(id, doc.Value{})
	case k.rep == RepValue || k.nulls[id] || b.Type != k.t:
		return k.same(id, b.elem(i))
	case b.Rep == RepBytes:
		return k.rep == RepBytes && k.strs[id] == b.Strs[i]
	case b.Rep == RepInt:
		return k.rep == RepInt && k.ints[id] == b.Ints[i]
	}
	return k.same(id, b.elem(i))
}

// Aggregates holds the aggregate states of a Grouper's groups: one
// mergeable agg.State per group and aggregate, made in chunks of
// stateChunk groups (agg.NewStates makes a chunk's states in one
// allocation; chunks never move, so nothing is copied as groups grow).
type Aggregates struct {
	factories []agg.Factory
	chunks    [][][]agg.State // [aggregate][group/stateChunk][group%stateChunk]
	groups    int             // groups with states
	scratch   []doc.Value
}

const stateChunk = 1024

// NewAggregates returns states for the aggregates of the given factories.
func NewAggregates(factories []agg.Factory) *Aggregates {
	return &Aggregates{factories: factories, chunks: make([][][]agg.State, len(factories))}
}

// ensure makes states for groups up to n, in batches that grow with the
// number of groups (most STATS have few), up to a chunk.
func (a *Aggregates) ensure(n int) {
	for a.groups < n {
		used := a.groups % stateChunk
		k := min(max(used, 16), stateChunk-used)
		for i, f := range a.factories {
			c := a.chunks[i]
			if used == 0 {
				c = append(c, nil)
			}
			last := c[len(c)-1]
			if len(last)+k > cap(last) { // only the chunk's pointers move
				last = append(make([]agg.State, 0, min(max(2*cap(last), len(last)+k), stateChunk)), last...)
			}
			last = last[:len(last)+k]
			agg.NewStates(f, last[len(last)-k:])
			c[len(c)-1] = last
			a.chunks[i] = c
		}
		a.groups += k
	}
}

// Merge folds the states of group from of other (aggregates of the same
// functions, from another execution) into those of group id, making them
// if needed (id < groups).
func (a *Aggregates) Merge(id int32, other *Aggregates, from int32, groups int) {
	a.ensure(groups)
	for i := range a.factories {
		a.State(i, id).Merge(other.State(i, from))
	}
}

// State returns aggregate i's state of group id.
func (a *Aggregates) State(i int, id int32) agg.State {
	return a.chunks[i][id/stateChunk][id%stateChunk]
}

// Add folds into aggregate i the values of arg at pos[k] for group
// ids[k], as the row engine's STATS does per row: a nil arg (COUNT(*))
// adds a null per row; a null value is skipped. The states get values
// that may alias the page (they copy what they keep).
func (a *Aggregates) Add(i int, arg *Block, pos, ids []int32, groups int) {
	a.ensure(groups)
	chunks := a.chunks[i]
	if arg == nil {
		for _, id := range ids {
			chunks[id/stateChunk][id%stateChunk].Add(doc.Value{})
		}
		return
	}
	var v doc.Value
	typed := arg.Rep == RepBytes || arg.Rep == RepInt
	v.T = arg.Type
	for k, p := range pos {
		st := chunks[ids[k]/stateChunk][ids[k]%stateChunk]
		if i, n := arg.span(p); typed && n == 1 {
			// A single value made in place.
			if arg.Rep == RepBytes {
				v.S = arg.Strs[i]
			} else {
				v.I = arg.Ints[i]
			}
			st.Add(v)
			continue
		}
		var mv doc.Value
		mv, a.scratch = arg.ValueInto(p, a.scratch)
		if mv.T != doc.Null {
			st.Add(mv)
		}
	}
}
