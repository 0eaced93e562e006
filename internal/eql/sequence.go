package eql

import (
	"container/heap"
	"sort"
	"strconv"
	"strings"

	"vigil/internal/doc"
)

// Sequence is one matched sequence: its join-key values and one event per stage.
type Sequence struct {
	Keys   []doc.Value
	Events []*doc.Document
}

// pending is a partial sequence: the events matched so far.
type pending struct {
	start  int64 // timestamp (ns) of its first event, for maxspan
	events []*doc.Document
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
	q       *Query
	state   map[string][][]*pending // key → stage → pending sequences, oldest first
	total   int
	seq     int64
	lastTS  int64
	pushes  int
	Dropped int // pending sequences dropped by the MaxPending cap
	Expired int // pending sequences expired by maxspan
	Until   int // pending sequences stopped by an until event
	Late    int // events matched out of order: older than the newest minus Lateness
	held    heldEvents
	maxTS   int64
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

// NewSequencer returns a streaming executor for a sequence query.
func (q *Query) NewSequencer() *Sequencer {
	return &Sequencer{q: q, state: map[string][][]*pending{}}
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

// Flush ends the stream: held events are matched, then pending sequences
// can no longer complete and are released.
func (s *Sequencer) Flush() []Sequence {
	var out []Sequence
	for len(s.held) > 0 {
		e := heap.Pop(&s.held).(heldEvent)
		out = append(out, s.push(e.d, e.o)...)
	}
	s.state = map[string][][]*pending{}
	s.total = 0
	return out
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
	last := len(q.stages) - 1
	for stage := last; stage >= 1; stage-- {
		st := q.stages[stage]
		if !st.match(d) {
			continue
		}
		vals, ok := st.keyVals(d)
		if !ok {
			continue
		}
		k := keyOf(vals)
		groups := s.state[k]
		if groups == nil || len(groups[stage-1]) == 0 {
			continue
		}
		g := groups[stage-1]
		p := g[len(g)-1]
		s.total -= len(g)
		clear(g)
		groups[stage-1] = g[:0]
		if q.maxspan > 0 && o.ts-p.start > int64(q.maxspan) {
			s.gc(k, groups)
			continue
		}
		p.events = append(p.events, d)
		if stage == last {
			out = append(out, Sequence{Keys: vals, Events: p.events})
			s.gc(k, groups)
		} else {
			groups[stage] = append(groups[stage], p)
			s.total++
		}
	}
	if st := q.stages[0]; st.match(d) {
		if vals, ok := st.keyVals(d); ok {
			k := keyOf(vals)
			groups := s.state[k]
			if groups == nil {
				groups = make([][]*pending, last)
				s.state[k] = groups
			}
			groups[0] = append(groups[0], &pending{start: o.ts, events: append(make([]*doc.Document, 0, len(q.stages)), d)})
			s.total++
		}
	}
	s.pushes++
	if q.maxspan > 0 && s.pushes%1024 == 0 {
		s.expire()
	}
	if s.total > q.opts.MaxPending {
		s.evict()
	}
	return out
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
	keep := s.q.opts.MaxPending * 3 / 4
	cutoff := starts[len(starts)-keep-1] + 1
	s.dropBefore(cutoff, &s.Dropped)
}
