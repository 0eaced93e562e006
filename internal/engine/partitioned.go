package engine

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/exception"
	"vigil/internal/rule"
)

// Partitioned is a live engine on every core: N Live engines, each on its
// own goroutine, with events routed by PartitionOf(PartitionKey) — the
// same split a Kafka topic keyed by agent.id gives across processes, so a
// Kafka consumer runs one Live per partition it owns and this is that
// layout in one process.
//
// Only rules whose STATS groups never span two keys are split
// (KeyedBy(PartitionKey)): real-time rules, when no per-window alert cap
// is set (the cap counts a window's alerts across every key). The others —
// scheduled rules (max_signals is per run), new_terms rules (a value is
// new across every agent), EQL rules (AddEQL), rules without a usable key —
// run on one more engine that receives every event they read, so their
// results are exactly a single Live's. A split rule's group limit is
// shared by its partitions (a pool they publish their groups to).
//
// Time is shared: the watermark is computed over every partition's
// sources (merged at each Flush, plus Observe) and pinned in every
// partition, so a partition whose agents are silent closes its windows as
// the others do; a partition that held no run of a window when the
// watermark passed it treats it as final too (settle), so an event for it
// is late — re-evaluated from the spool, restricted to the partition's
// keys — exactly as in a single engine. MaxFutureSkew and the retention
// floor read the same clock and watermark. The results are a single
// Live's: the same alert ids, group keys and values
// (TestPartitionedDifferential), in a different order.
//
// An event whose key field is multi-valued (agent.id never is in ECS) is
// routed by its first value; its groups of the other values would then be
// evaluated apart from those values' other events.
//
// Like Live, Partitioned is driven from one goroutine; Push returns before
// the event is evaluated, and every other method waits for the events
// pushed before it.
type Partitioned struct {
	opts   LiveOptions
	keyed  []*partition // one per partition; nil when no rule is split
	single *partition   // the rules that are not split; nil when none
	parts  []*partition
	// keyedQ and singleQ route an event: whether any rule of each side
	// reads its index.
	keyedQ, singleQ []*esql.Query
	eql             []*EQLRule // run unsplit (AddEQL)
	partOpts        LiveOptions
	wm              *Watermarks
	watermark       int64
	barrier         sync.WaitGroup
	cbMu            sync.Mutex // OnLate/OnFuture are called from partitions
	replaying       bool
	closed          bool
	busy            bool // work was given since the partitions were last idle
	// Unindexed counts events no index could be named for.
	Unindexed int64
}

type partition struct {
	live    *Live
	rules   map[*CompiledRule]bool
	work    chan func()
	pending []*doc.Document
	owns    func(*doc.Document) bool
}

// pushBatch is how many events a partition is handed at once: enough to
// amortise the channel, few enough to keep partitions busy together.
const pushBatch = 256

// NewPartitioned starts n partitions (n <= 0: GOMAXPROCS); Close stops them.
func NewPartitioned(rules []*CompiledRule, opts LiveOptions, n int) *Partitioned {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	p := &Partitioned{opts: opts, watermark: math.MinInt64}
	if opts.MaxFutureSkew <= 0 {
		opts.MaxFutureSkew = DefaultFutureSkew
	}
	wo := opts.Watermark
	wo.Skew = opts.MaxFutureSkew
	p.wm = NewWatermarks(wo)
	if opts.Clock == nil {
		p.opts.Clock = SystemClock{}
	}
	for _, cb := range []*func(*rule.Rule, *doc.Document, int64){&opts.OnLate, &opts.OnFuture} {
		if f := *cb; f != nil {
			*cb = func(r *rule.Rule, d *doc.Document, t int64) {
				p.cbMu.Lock()
				defer p.cbMu.Unlock()
				f(r, d, t)
			}
		}
	}
	p.partOpts = opts
	var keyed, single []*CompiledRule
	for _, cr := range rules {
		m := Realtime
		if opts.Mode != nil {
			m = opts.Mode(cr.Rule)
		}
		if n > 1 && m == Realtime && opts.MaxAlertsPerWindow <= 0 && cr.Rule.NewTerms == nil && cr.Query != nil && KeyedBy(cr.Query, PartitionKey) {
			keyed = append(keyed, cr)
			p.keyedQ = append(p.keyedQ, cr.Query)
		} else {
			single = append(single, cr)
			p.singleQ = append(p.singleQ, cr.Query)
		}
	}
	if len(keyed) > 0 {
		for i := range n {
			part := p.start(keyed, opts)
			part.owns = func(d *doc.Document) bool { return PartitionOf(d, PartitionKey, n) == i }
			p.keyed = append(p.keyed, part)
		}
		// A rule's group limit is over all its partitions.
		for j := range keyed {
			pool := new(atomic.Int64)
			for _, part := range p.keyed {
				part.live.rules[j].pool = pool
			}
		}
	}
	if len(single) > 0 || len(keyed) == 0 {
		p.single = p.start(single, opts)
		p.single.owns = func(*doc.Document) bool { return true }
	}
	return p
}

func (p *Partitioned) start(rules []*CompiledRule, opts LiveOptions) *partition {
	part := &partition{live: NewLive(rules, opts), rules: map[*CompiledRule]bool{}}
	part.live.pinned, part.live.pinnedMark = true, math.MinInt64
	for _, cr := range rules {
		part.rules[cr] = true
	}
	p.parts = append(p.parts, part)
	if len(p.parts) > 1 {
		// More than one engine: each on its own goroutine. One alone runs
		// on the caller's, as a Live would, with no hand-off to pay.
		for _, part := range p.parts {
			if part.work == nil {
				part.work = make(chan func(), 16)
				go func() {
					for fn := range part.work {
						fn()
					}
				}()
			}
		}
	}
	return part
}

// run runs fn on the partition's goroutine (queued after its other work),
// or at once when it has none.
func (part *partition) run(fn func()) {
	if part.work == nil {
		fn()
		return
	}
	part.work <- fn
}

// Partitions is the number of partitions the split rules run on (1 when
// none is split).
func (p *Partitioned) Partitions() int { return max(len(p.keyed), 1) }

// Close stops the partitions' goroutines once their work is done; the
// engine is not used after.
func (p *Partitioned) Close() {
	if p.closed {
		return
	}
	p.closed = true
	p.wait()
	for _, part := range p.parts {
		if part.work != nil {
			close(part.work)
		}
	}
}

// Push routes one document to the partitions whose rules read its index
// and reports whether any rule does; it is evaluated asynchronously.
func (p *Partitioned) Push(d *doc.Document) bool {
	index, stream, ok := route(d, p.opts.IndexFallback)
	if !ok {
		p.Unindexed++
		return false
	}
	routed := false
	p.busy = true
	if p.keyed != nil && readsAny(p.keyedQ, index, stream) {
		p.keyed[PartitionOf(d, PartitionKey, len(p.keyed))].add(d)
		routed = true
	}
	if p.single != nil && (readsAny(p.singleQ, index, stream) || p.readsEQL(index)) {
		p.single.add(d)
		routed = true
	}
	return routed
}

func (p *Partitioned) readsEQL(index string) bool {
	for _, er := range p.eql {
		if er.reads(index) {
			return true
		}
	}
	return false
}

func readsAny(qs []*esql.Query, index, stream string) bool {
	for _, q := range qs {
		if Reads(q, index, stream) {
			return true
		}
	}
	return false
}

func (part *partition) add(d *doc.Document) {
	part.pending = append(part.pending, d)
	if len(part.pending) >= pushBatch {
		part.send()
	}
}

// send hands the partition its pending events.
func (part *partition) send() {
	if len(part.pending) == 0 {
		return
	}
	docs, l := part.pending, part.live
	part.pending = make([]*doc.Document, 0, pushBatch)
	part.run(func() {
		for _, d := range docs {
			l.Push(d)
		}
	})
}

// each runs fn on every partition, in parallel, after the events pushed
// so far, and waits for all: afterwards the partitions are idle until the
// next call, so the caller may read them.
func (p *Partitioned) each(fn func(i int, part *partition)) {
	for i, part := range p.parts {
		part.send()
		p.barrier.Add(1)
		part.run(func() {
			defer p.barrier.Done()
			fn(i, part)
		})
	}
	p.barrier.Wait()
	p.busy = false
}

// wait returns once every partition has evaluated what it was given: at
// once when nothing was given since the last wait.
func (p *Partitioned) wait() {
	if p.busy {
		p.each(func(int, *partition) {})
	}
}

// broadcast queues fn on every partition, after the events pushed so far,
// without waiting.
func (p *Partitioned) broadcast(fn func(*Live)) {
	p.busy = true
	for _, part := range p.parts {
		part.send()
		l := part.live
		part.run(func() { fn(l) })
	}
}

// Admit is Live.Admit, for the events pushed after it.
func (p *Partitioned) Admit(floor int64) { p.broadcast(func(l *Live) { l.Admit(floor) }) }

// SetReplaying sets Live.Replaying for the events pushed after it.
func (p *Partitioned) SetReplaying(on bool) {
	if on != p.replaying {
		p.replaying = on
		p.broadcast(func(l *Live) { l.Replaying = on })
	}
}

// Observe is Live.Observe.
func (p *Partitioned) Observe(source string, t int64) {
	p.wm.Observe(source, t, p.opts.Clock.Now().UnixMilli())
}

// advance merges the partitions' sources into the shared watermarks and
// returns the watermark at wall time now; the partitions must be idle.
func (p *Partitioned) advance(now int64) int64 {
	for _, part := range p.parts {
		for k, m := range part.live.wm.sources {
			p.wm.merge(k, m)
		}
	}
	p.watermark = max(p.watermark, p.wm.Value(now))
	return p.watermark
}

// merge records another set's view of a source (the newest of both).
func (w *Watermarks) merge(source string, o *sourceMark) {
	m := w.sources[source]
	if m == nil {
		if len(w.sources) >= w.opts.MaxSources {
			w.forget()
		}
		m = &sourceMark{t: o.t, seen: o.seen}
		w.sources[source] = m
	}
	m.t, m.seen = max(m.t, o.t), max(m.seen, o.seen)
}

// Flush is Live.Flush over every partition, on the shared watermark.
func (p *Partitioned) Flush() ([]Update, error) {
	p.wait()
	w := p.advance(p.opts.Clock.Now().UnixMilli())
	ups := make([][]Update, len(p.parts))
	errs := make([]error, len(p.parts))
	p.each(func(i int, part *partition) {
		part.live.pinnedMark = w
		ups[i], errs[i] = part.live.Flush()
		part.live.settle()
	})
	return joinUpdates(ups, errs)
}

func joinUpdates(ups [][]Update, errs []error) ([]Update, error) {
	var out []Update
	for _, u := range ups {
		out = append(out, u...)
	}
	for _, err := range errs {
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// settle treats the runs the watermark has passed as final in a rule that
// held none of them (nothing of theirs reached this partition): an event
// for one is late, as it is in the partitions that did hold one, and the
// spool before them can go (Horizon).
func (l *Live) settle() {
	if l.watermark == math.MinInt64 {
		return
	}
	cut := l.watermark - l.opts.AllowedLateness.Milliseconds()
	for _, r := range l.rules {
		if r.mode != Realtime {
			continue
		}
		b := floorDiv(cut, r.interval) * r.interval
		for at := range r.runs {
			b = min(b, at-r.interval) // an open run (a failed Flush) stays open
		}
		r.closed = max(r.closed, b)
		if r.windowed && len(r.runs) == 0 {
			r.cutoff = max(r.cutoff, cut)
		}
	}
}

// PendingLate is Live.PendingLate over every partition.
func (p *Partitioned) PendingLate() bool {
	p.wait()
	for _, part := range p.parts {
		if part.live.PendingLate() {
			return true
		}
	}
	return false
}

// Reevaluate is Live.Reevaluate over every partition with late events;
// each rebuilds its runs from the events of src it owns.
func (p *Partitioned) Reevaluate(src Source) ([]Update, error) {
	p.wait()
	var out []Update
	for _, part := range p.parts { // the partitions are idle: src is read on this goroutine
		if !part.live.PendingLate() {
			continue
		}
		owns := part.owns
		ups, err := part.live.Reevaluate(func(from, to int64, fn func(*doc.Document)) error {
			return src(from, to, func(d *doc.Document) {
				if owns(d) {
					fn(d)
				}
			})
		})
		part.live.settle()
		out = append(out, ups...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// AddEQL is Live.AddEQL: EQL rules run unsplit (a sequence's events may
// come from several agents), on the engine of the unsplit rules.
func (p *Partitioned) AddEQL(rules []*EQLRule) {
	if len(rules) == 0 {
		return
	}
	if p.single == nil {
		p.single = p.start(nil, p.partOpts)
		p.single.owns = func(*doc.Document) bool { return true }
	}
	p.eql = append(p.eql, rules...)
	l := p.single.live
	p.each(func(_ int, part *partition) {
		if part.live == l {
			l.AddEQL(rules)
		}
	})
}

// SetEQLExceptions is Live.SetEQLExceptions.
func (p *Partitioned) SetEQLExceptions(er *EQLRule, a *exception.Applied) {
	p.wait()
	if p.single != nil {
		p.single.live.SetEQLExceptions(er, a)
	}
}

// ModeOf is Live.ModeOf.
func (p *Partitioned) ModeOf(r *rule.Rule) Mode {
	if p.opts.Mode == nil {
		return Realtime
	}
	return p.opts.Mode(r)
}

// RestoreTerms is Live.RestoreTerms: new_terms rules are never split.
func (p *Partitioned) RestoreTerms(ruleID string, terms []TermSeen) {
	p.each(func(_ int, part *partition) { part.live.RestoreTerms(ruleID, terms) })
}

// TakeTerms is Live.TakeTerms over every partition.
func (p *Partitioned) TakeTerms() []RuleTerms {
	p.wait()
	var out []RuleTerms
	for _, part := range p.parts {
		out = append(out, part.live.TakeTerms()...)
	}
	return out
}

// PruneTerms is Live.PruneTerms over every partition.
func (p *Partitioned) PruneTerms() map[string]int64 {
	p.wait()
	out := map[string]int64{}
	for _, part := range p.parts {
		for id, cut := range part.live.PruneTerms() {
			out[id] = cut
		}
	}
	return out
}

// Tick is Live.Tick: scheduled rules are never split.
func (p *Partitioned) Tick() ([]Update, []RunReport, error) {
	p.wait()
	if p.single == nil {
		return nil, nil, nil
	}
	return p.single.live.Tick()
}

// NextTick is Live.NextTick.
func (p *Partitioned) NextTick() time.Time {
	p.wait()
	if p.single == nil {
		return time.Time{}
	}
	return p.single.live.NextTick()
}

// TakeCaps is Live.TakeCaps over every partition.
func (p *Partitioned) TakeCaps() []CapReport {
	p.wait()
	var out []CapReport
	for _, part := range p.parts {
		out = append(out, part.live.TakeCaps()...)
	}
	return out
}

// lowest is the minimum of fn over the partitions, once they are idle.
func (p *Partitioned) lowest(fn func(*Live) int64) int64 {
	p.wait()
	v := int64(math.MaxInt64)
	for _, part := range p.parts {
		v = min(v, fn(part.live))
	}
	return v
}

// Floor is Live.Floor: the lowest of the partitions'.
func (p *Partitioned) Floor() int64 { return p.lowest((*Live).Floor) }

// Horizon is Live.Horizon: the lowest of the partitions'.
func (p *Partitioned) Horizon() int64 { return p.lowest((*Live).Horizon) }

// OpenHorizon is Live.OpenHorizon: the lowest of the partitions'.
func (p *Partitioned) OpenHorizon() int64 { return p.lowest((*Live).OpenHorizon) }

// Watermark is the shared watermark as of the last Flush.
func (p *Partitioned) Watermark() int64 { return p.watermark }

// Sources is the number of event sources tracked (as of the last Flush).
func (p *Partitioned) Sources() int { return p.wm.Sources() }

// SourcesDropped is Live.SourcesDropped summed over the partitions.
func (p *Partitioned) SourcesDropped() int64 {
	p.wait()
	var n int64
	for _, part := range p.parts {
		n += part.live.SourcesDropped()
	}
	return n
}

// SetExceptions is Live.SetExceptions in every partition holding the rule.
func (p *Partitioned) SetExceptions(cr *CompiledRule, a *exception.Applied) {
	p.wait()
	cr.Exceptions = a
	for _, part := range p.parts {
		if part.rules[cr] {
			part.live.SetExceptions(cr, a)
		}
	}
}

// State is Live.State: a rule's runs are final up to the lowest point
// every partition holding it has reached.
func (p *Partitioned) State() Checkpoint {
	p.wait()
	st := Checkpoint{Rules: map[string]RuleState{}, Watermark: p.watermark, Floor: math.MaxInt64, Sources: p.wm.State()}
	for _, part := range p.parts {
		ps := part.live.State()
		st.Floor = min(st.Floor, ps.Floor)
		for id, rs := range ps.Rules {
			if old, ok := st.Rules[id]; ok {
				rs.Closed = min(rs.Closed, old.Closed)
			}
			st.Rules[id] = rs
		}
	}
	return st
}

// Restore is Live.Restore in every partition.
func (p *Partitioned) Restore(st Checkpoint) {
	now := p.opts.Clock.Now().UnixMilli()
	p.wm.Restore(st.Sources, now)
	if st.Watermark != 0 {
		p.watermark = min(st.Watermark, now)
	}
	w := p.watermark
	p.each(func(_ int, part *partition) {
		part.live.pinnedMark = w
		part.live.Restore(st)
	})
}

// Stats is Live.Stats with each rule's counts summed over its partitions
// (open runs: the most any partition holds).
func (p *Partitioned) Stats() []RuleStats {
	p.wait()
	var out []RuleStats
	at := map[string]int{}
	for _, part := range p.parts {
		for _, s := range part.live.Stats() {
			i, ok := at[s.RuleID]
			if !ok {
				at[s.RuleID] = len(out)
				out = append(out, s)
				continue
			}
			o := &out[i]
			o.OpenRuns = max(o.OpenRuns, s.OpenRuns)
			o.Groups += s.Groups
			o.Late += s.Late
			o.Expired += s.Expired
			o.Future += s.Future
			o.NoTime += s.NoTime
			o.Overflow += s.Overflow
			o.Matched += s.Matched
			o.Terms += s.Terms
			o.TermsRefused += s.TermsRefused
			for j := range o.Exceptions {
				o.Exceptions[j].Events += s.Exceptions[j].Events
				o.Exceptions[j].Alerts += s.Exceptions[j].Alerts
			}
		}
	}
	return out
}
