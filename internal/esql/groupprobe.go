package esql

import "vigil/internal/doc"

// GroupProbe tells which groups of an aggregating query a document feeds:
// it runs the query's per-event stage and evaluates the STATS keys on each
// row that reaches it, without aggregating. Evidence capture replays a
// rule's input through it to find the rows behind each alert, so the hot
// path (Execution) carries no per-group row lists. Not safe for concurrent
// use.
type GroupProbe struct {
	e    *Execution
	keys *keySink
}

// NewGroupProbe returns a probe, or nil when the query's first blocking
// command is not its last STATS (no STATS, an INLINE STATS, a SORT or
// LIMIT first, or a second STATS later): the rows before that command do
// not map one to one onto the result's groups.
func (q *Query) NewGroupProbe() *GroupProbe {
	s, ok := q.head.(*statsSpec)
	if !ok || s.inline || q.plan.LastStats() != q.plan.Aggregating() {
		return nil
	}
	e := &Execution{q: q, row: make([]doc.Value, q.nslots)}
	e.x = &ctx{q: q, warn: newWarnings(&q.sites), width: q.nslots, mem: account{b: newBudget(0)}}
	k := &keySink{x: e.x, s: s, kv: make([]doc.Value, len(s.keys))}
	e.head = k
	e.counted = k
	e.first = buildChain(e.x, q.stage1, k)
	return &GroupProbe{e: e, keys: k}
}

// maxProbeCombos bounds the groups one document is reported in (its
// multi-valued keys multiply).
const maxProbeCombos = 256

// Groups calls fn with the encoded group key (GroupKey) of every group d's
// rows feed. d must be routed to the query (MatchesIndex) by the caller.
func (p *GroupProbe) Groups(d *doc.Document, fn func(key string)) {
	p.keys.fn = fn
	p.e.done = false
	p.e.Push(d)
	p.keys.fn = nil
}

// GroupKey encodes a group's BY values (in the query's GroupBy order) as
// GroupProbe reports them: equal keys, nulls included, encode equally.
func GroupKey(kv []doc.Value) string { return string(encodeKey(nil, kv)) }

// keySink evaluates the STATS keys of each row and reports every key
// combination a multi-valued key makes, as statsOp.addCombos groups them.
type keySink struct {
	x   *ctx
	s   *statsSpec
	kv  []doc.Value
	buf []byte
	n   int
	fn  func(string)
}

func (k *keySink) push(row []doc.Value) bool {
	for i, f := range k.s.keys {
		k.kv[i] = f(k.x, row)
	}
	k.n = 0
	k.combos(0)
	return true
}

func (k *keySink) combos(i int) {
	if k.n >= maxProbeCombos {
		return
	}
	if i == len(k.kv) {
		k.n++
		k.buf = encodeKey(k.buf[:0], k.kv)
		k.fn(string(k.buf))
		return
	}
	v := k.kv[i]
	if v.M == nil {
		k.combos(i + 1)
		return
	}
	for _, e := range v.M {
		k.kv[i] = e
		k.combos(i + 1)
	}
	k.kv[i] = v
}

func (k *keySink) finish() {}
