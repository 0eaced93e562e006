package eql

import (
	"container/heap"
	"sort"
	"strconv"
	"strings"

	"vigil/internal/doc"
)

// Sequence is one matched sequence: its join-key values and one event per
// stage, nil for a missing-event stage (![…]).
type Sequence struct {
	Keys   []doc.Value
	Events []*doc.Document
	last   ordinal // of its last positive event: Elasticsearch's result order
	// decided is the event time (ns) a stream must reach for a Sequencer to
	// report it: its last positive event's, or with a trailing missing
	// stage, just past its first event's plus maxspan.
	decided int64
}

// DecidedAt is the event time (ns) a Sequencer's stream must have reached
// (Release, or an event pushed) for it to report the sequence: a service
// restarting from a checkpointed time knows from it which sequences it had
// reported already.
func (s Sequence) DecidedAt() int64 { return s.decided }

// pending is a partial sequence: the events matched so far.
type pending struct {
	start   int64 // timestamp (ns) of its first positive event, for maxspan
	lastTS  int64 // timestamp of its latest positive event
	last    ordinal
	keys    []doc.Value
	events  []*doc.Document // by stage; nil for missing and unmatched stages
	leading int64           // latest leading missing event before start
	hasLead bool
	doomed  bool // a middle missing event came between two of its events
	decided bool // a waiting sequence has been accepted or discarded
}

// Sequencer matches a sequence query over a stream of events pushed in
// timestamp (then tiebreaker) order, alerting the moment a sequence completes.
//
// It follows Elasticsearch's SequenceMatcher (x-pack/plugin/eql, execution/
// sequence): every event matching the first stage starts a new pending
// sequence for its join key; an event matching stage k takes, for its key,
// the most recent pending sequence at stage k-1 that precedes it and drops
// every older one at that stage (OrdinalGroup.trimBefore removes the match
// and all before it); the taken sequence is then discarded if the event is
// more than maxspan after the sequence's first event, or if an `until` event
// of the same key came since its last match. A completed sequence is
// reported in the order of its last event (Sequence.compareTo orders by the
// current ordinal). Processing one event from the last stage down to the
// first gives the same matches as Elasticsearch's stage-by-stage pass over a
// window, since a stage-k event only ever takes sequences that precede it.
//
// State is bounded: with a maxspan, sequences that can no longer complete
// are expired as time advances; in any case at most MaxPending are kept,
// the oldest dropped first (counted in Dropped).
type Sequencer struct {
	q         *Query
	state     map[string][][]*pending // key → stage → pending sequences, oldest first
	total     int
	seq       int64
	lastTS    int64
	pushes    int
	Dropped   int // pending sequences dropped by the MaxPending cap
	Expired   int // pending sequences expired by maxspan
	Until     int // pending sequences stopped by an until event
	Late      int // events matched out of order: older than the newest minus Lateness
	held      heldEvents
	maxTS     int64
	recent    map[string]*recentTS  // missing stage and key → its latest timestamps
	waiting   waitHeap              // completed sequences waiting out trailing missing stages
	waitKey   map[string][]*pending // the same, by join key
	Missing   int                   // sequences discarded by a missing-event stage
	expiredAt int64                 // the time Release last expired pending sequences at
	// MaxPending, when > 0, overrides the query's Options.MaxPending (a
	// service sets its own per-rule state limit).
	MaxPending int
}

func (s *Sequencer) maxPending() int {
	if s.MaxPending > 0 {
		return s.MaxPending
	}
	return s.q.opts.MaxPending
}

// recentTS keeps the two latest distinct timestamps of a missing stage's
// events for one key: enough to find the latest one strictly before any
// time not older than the newest (events arrive in order).
type recentTS struct {
	ts [2]int64 // ts[0] newest
	n  int      // how many of ts are set
}

func (r *recentTS) add(ts int64) {
	if r.n == 0 || ts != r.ts[0] {
		r.ts[1], r.ts[0] = r.ts[0], ts
		r.n = min(r.n+1, 2)
	}
}

// before returns the latest timestamp strictly before t.
func (r *recentTS) before(t int64) (int64, bool) {
	if r == nil {
		return 0, false
	}
	for _, x := range r.ts[:r.n] {
		if x < t {
			return x, true
		}
	}
	return 0, false
}

// waitHeap orders sequences waiting for their trailing missing stages by
// the time after which no trailing event can discard them.
type waitHeap []*pending

func (h waitHeap) Len() int           { return len(h) }
func (h waitHeap) Less(i, j int) bool { return h[i].start < h[j].start }
func (h waitHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *waitHeap) Push(x any)        { *h = append(*h, x.(*pending)) }
func (h *waitHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// heldEvents is a min-heap of events waiting for the lateness window to pass.
type heldEvents []heldEvent

type heldEvent struct {
	o ordinal
	d *doc.Document
}

func (h heldEvents) Len() int           { return len(h) }
func (h heldEvents) Less(i, j int) bool { return h[i].o.less(h[j].o) }
func (h heldEvents) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *heldEvents) Push(x any)        { *h = append(*h, x.(heldEvent)) }
func (h *heldEvents) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// NewSequencer returns a streaming executor for a sequence query (nil for
// an event query, whose events Match decides one by one).
func (q *Query) NewSequencer() *Sequencer {
	if !q.sequence {
		return nil
	}
	return &Sequencer{q: q, state: map[string][][]*pending{}, recent: map[string]*recentTS{}, waitKey: map[string][]*pending{}}
}

// Pending is the number of partial sequences held.
func (s *Sequencer) Pending() int { return s.total }

// Push feeds the next event and returns the sequences completed by the
// events it releases: itself, or with a Lateness, the held events the
// newest timestamp has moved Lateness past. Events without a timestamp are
// ignored.
func (s *Sequencer) Push(d *doc.Document) []Sequence {
	s.seq++
	o, ok := s.q.ordinalOf(d, s.seq)
	if !ok {
		return nil
	}
	lateness := int64(s.q.opts.Lateness)
	if lateness <= 0 {
		return s.push(d, o)
	}
	s.maxTS = max(s.maxTS, o.ts)
	heap.Push(&s.held, heldEvent{o, d})
	var out []Sequence
	for len(s.held) > 0 && s.held[0].o.ts < s.maxTS-lateness {
		e := heap.Pop(&s.held).(heldEvent)
		out = append(out, s.push(e.d, e.o)...)
	}
	return out
}

// Hold queues an event without matching it yet, for a caller that decides
// when time has passed it (Release): a service whose event time is a
// watermark over many sources, not the newest event. It reports false for
// an event without a timestamp, which is ignored.
func (s *Sequencer) Hold(d *doc.Document) bool {
	s.seq++
	o, ok := s.q.ordinalOf(d, s.seq)
	if ok {
		heap.Push(&s.held, heldEvent{o, d})
	}
	return ok
}

// Held is the number of events Hold queued that Release has not matched.
func (s *Sequencer) Held() int { return len(s.held) }

// Release matches, in timestamp, tiebreaker and Hold order, the held
// events stamped at or before t (ns), then lets the stream's time reach t:
// sequences waiting on a trailing missing stage whose maxspan t passes are
// decided, and pending sequences that can no longer complete expire. An
// event held after time passed it is matched on the next Release, out of
// order (counted in Late).
func (s *Sequencer) Release(t int64) []Sequence {
	var out []Sequence
	for len(s.held) > 0 && s.held[0].o.ts <= t {
		e := heap.Pop(&s.held).(heldEvent)
		out = append(out, s.push(e.d, e.o)...)
	}
	if t > s.lastTS {
		s.lastTS = t
		out = append(out, s.deadlines()...)
		// expiring walks every key: once per half maxspan of time keeps the
		// state within 1.5 maxspan at a cost independent of the call rate
		if ms := int64(s.q.maxspan); ms > 0 && t-s.expiredAt >= ms/2 {
			s.expiredAt = t
			s.expire()
		}
	}
	return out
}

// Flush ends the stream: held events are matched, then pending sequences
// can no longer complete and are released.
func (s *Sequencer) Flush() []Sequence {
	var out []Sequence
	for len(s.held) > 0 {
		e := heap.Pop(&s.held).(heldEvent)
		out = append(out, s.push(e.d, e.o)...)
	}
	// the stream ended: no trailing missing event came (as Elasticsearch
	// decides at the end of its search, elasticsearch#145323)
	var rest []Sequence
	for _, p := range s.waiting {
		if !p.decided {
			rest = append(rest, s.decide(p, 0, false)...)
		}
	}
	sortSequences(rest)
	out = append(out, rest...)
	s.waiting, s.waitKey = nil, map[string][]*pending{}
	s.state = map[string][][]*pending{}
	s.total = 0
	return out
}

// sortSequences orders sequences as Elasticsearch returns them: by their
// last positive event.
func sortSequences(seqs []Sequence) {
	sort.SliceStable(seqs, func(i, j int) bool { return seqs[i].last.less(seqs[j].last) })
}

func keyOf(vals []doc.Value) string {
	var b strings.Builder
	for _, v := range vals {
		if v.IsNull() {
			b.WriteString("\x00n")
			continue
		}
		b.WriteString(strconv.Itoa(int(v.T)))
		b.WriteByte(':')
		b.WriteString(v.String())
		b.WriteByte(0)
	}
	return b.String()
}

// keyVals evaluates a stage's join keys; ok is false when a non-optional
// key is null.
func (st *stageMatcher) keyVals(d *doc.Document) (vals []doc.Value, ok bool) {
	vals = make([]doc.Value, len(st.keys))
	for i, k := range st.keys {
		vals[i] = first(k(d))
		if vals[i].IsNull() && !st.nullable[i] {
			return nil, false
		}
	}
	return vals, true
}

func (s *Sequencer) push(d *doc.Document, o ordinal) []Sequence {
	q := s.q
	if o.ts < s.lastTS {
		s.Late++
	}
	s.lastTS = max(s.lastTS, o.ts)
	var out []Sequence
	if q.until != nil && q.until.match(d) {
		vals, ok := q.until.keyVals(d)
		k := keyOf(vals)
		if groups, found := s.state[k]; ok && found {
			for _, g := range groups {
				s.total -= len(g)
				s.Until += len(g)
			}
			delete(s.state, k)
		}
	}
	pos := q.positive
	lastPos := pos[len(pos)-1]
	if len(pos) < len(q.stages) {
		// missing-event stages: remember when they happened, per key
		for i, st := range q.stages {
			if !st.missing || !st.match(d) {
				continue
			}
			vals, ok := st.keyVals(d)
			if !ok {
				continue
			}
			k := keyOf(vals)
			r := s.recent[missingKey(i, k)]
			if r == nil {
				r = &recentTS{}
				s.recent[missingKey(i, k)] = r
			}
			r.add(o.ts)
			if i > lastPos {
				out = append(out, s.trailing(k, o.ts)...)
			}
		}
	}
	for j := len(pos) - 1; j >= 1; j-- {
		st := q.stages[pos[j]]
		if !st.match(d) {
			continue
		}
		vals, ok := st.keyVals(d)
		if !ok {
			continue
		}
		k := keyOf(vals)
		groups := s.state[k]
		if groups == nil || len(groups[j-1]) == 0 {
			continue
		}
		g := groups[j-1]
		p := g[len(g)-1]
		s.total -= len(g)
		clear(g)
		groups[j-1] = g[:0]
		if q.maxspan > 0 && o.ts-p.start > int64(q.maxspan) {
			s.gc(k, groups)
			continue
		}
		// a missing stage between the previous positive stage and this one
		// must have no event strictly between their timestamps
		for m := pos[j-1] + 1; m < pos[j]; m++ {
			if x, ok := s.recent[missingKey(m, k)].before(o.ts); ok && x > p.lastTS {
				p.doomed = true
			}
		}
		p.events[pos[j]] = d
		p.lastTS, p.last = o.ts, o
		if j == len(pos)-1 {
			s.gc(k, groups)
			out = append(out, s.complete(p, k)...)
		} else {
			groups[j] = append(groups[j], p)
			s.total++
		}
	}
	if st := q.stages[pos[0]]; st.match(d) {
		if vals, ok := st.keyVals(d); ok {
			k := keyOf(vals)
			p := &pending{start: o.ts, lastTS: o.ts, last: o, keys: vals, events: make([]*doc.Document, len(q.stages))}
			p.events[pos[0]] = d
			for m := range pos[0] { // leading missing stages: the latest event before
				if x, ok := s.recent[missingKey(m, k)].before(o.ts); ok && (!p.hasLead || x > p.leading) {
					p.leading, p.hasLead = x, true
				}
			}
			if len(pos) == 1 {
				out = append(out, s.complete(p, k)...)
			} else {
				groups := s.state[k]
				if groups == nil {
					groups = make([][]*pending, len(pos)-1)
					s.state[k] = groups
				}
				groups[0] = append(groups[0], p)
				s.total++
			}
		}
	}
	out = append(out, s.deadlines()...)
	s.pushes++
	if q.maxspan > 0 && s.pushes%1024 == 0 {
		s.expire()
	}
	if s.total > s.maxPending() {
		s.evict()
	}
	return out
}

func missingKey(stage int, key string) string { return strconv.Itoa(stage) + "\x01" + key }

// complete handles a sequence whose positive stages all matched: decided
// now, or, with trailing missing stages, once no trailing event can
// discard it any more.
func (s *Sequencer) complete(p *pending, k string) []Sequence {
	if s.q.positive[len(s.q.positive)-1] == len(s.q.stages)-1 {
		return s.decide(p, 0, false)
	}
	heap.Push(&s.waiting, p)
	s.waitKey[k] = append(s.waitKey[k], p)
	return nil
}

// trailing applies a trailing missing-stage event at ts to the waiting
// sequences of its key that it follows: the first such event decides them.
func (s *Sequencer) trailing(k string, ts int64) []Sequence {
	var out []Sequence
	ws := s.waitKey[k]
	n := 0
	for _, p := range ws {
		switch {
		case p.decided:
		case ts > p.lastTS:
			out = append(out, s.decide(p, ts, true)...)
		default:
			ws[n] = p
			n++
		}
	}
	clear(ws[n:])
	if n == 0 {
		delete(s.waitKey, k)
	} else {
		s.waitKey[k] = ws[:n]
	}
	return out
}

// deadlines decides the waiting sequences whose maxspan has passed: a
// trailing event now could no longer discard them. Without a maxspan any
// later event could, so they wait for Flush.
func (s *Sequencer) deadlines() []Sequence {
	var out []Sequence
	ms := int64(s.q.maxspan)
	for ms > 0 && len(s.waiting) > 0 && s.waiting[0].start+ms < s.lastTS {
		p := heap.Pop(&s.waiting).(*pending)
		if !p.decided {
			out = append(out, s.decide(p, 0, false)...)
		}
	}
	return out
}

// decide accepts or discards a sequence whose positive stages matched,
// given the first trailing missing event after it (if any), with the
// conditions of Elasticsearch's TumblingWindow.doCheckMissingEvents.
func (s *Sequencer) decide(p *pending, trail int64, hasTrail bool) []Sequence {
	p.decided = true
	q := s.q
	ms := int64(q.maxspan)
	first, last := q.stages[0].missing, q.stages[len(q.stages)-1].missing
	bigger := func(a int64, aok bool, b int64, bok bool) bool {
		return !aok || !bok || ms > 0 && b-a > ms
	}
	ok := !p.doomed && (!hasTrail && !p.hasLead ||
		!p.hasLead && first ||
		!hasTrail && last ||
		first && last && bigger(p.leading, p.hasLead, trail, hasTrail) ||
		first && !last && bigger(p.leading, p.hasLead, p.lastTS, true) ||
		!first && last && bigger(p.start, true, trail, hasTrail))
	if !ok {
		s.Missing++
		return nil
	}
	at := p.lastTS
	if last {
		at = p.start + ms + 1 // deadlines: start+maxspan < lastTS
	}
	return []Sequence{{Keys: p.keys, Events: p.events, last: p.last, decided: at}}
}

// gc forgets a key whose groups are all empty.
func (s *Sequencer) gc(k string, groups [][]*pending) {
	for _, g := range groups {
		if len(g) > 0 {
			return
		}
	}
	delete(s.state, k)
}

// expire drops pending sequences whose first event is more than maxspan
// before the latest timestamp: no later event can complete them.
func (s *Sequencer) expire() {
	cutoff := s.lastTS - int64(s.q.maxspan)
	s.dropBefore(cutoff, &s.Expired)
	// missing events that old decide nothing for live or future sequences
	for k, r := range s.recent {
		if r.ts[0] < cutoff {
			delete(s.recent, k)
		}
	}
}

// dropBefore removes pending sequences that started before cutoff.
func (s *Sequencer) dropBefore(cutoff int64, counter *int) {
	for k, groups := range s.state {
		for i, g := range groups {
			n := 0
			for _, p := range g {
				if p.start >= cutoff {
					g[n] = p
					n++
				}
			}
			*counter += len(g) - n
			s.total -= len(g) - n
			clear(g[n:])
			groups[i] = g[:n]
		}
		s.gc(k, groups)
	}
}

// evict enforces MaxPending by dropping the oldest quarter of the cap.
func (s *Sequencer) evict() {
	starts := make([]int64, 0, s.total)
	for _, groups := range s.state {
		for _, g := range groups {
			for _, p := range g {
				starts = append(starts, p.start)
			}
		}
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	keep := s.maxPending() * 3 / 4
	cutoff := starts[len(starts)-keep-1] + 1
	s.dropBefore(cutoff, &s.Dropped)
}
