package eql

import (
	"sort"
	"time"

	"vigil/internal/doc"
	"vigil/internal/prefilter"
)

// Options are the request parameters of an EQL search.
type Options struct {
	// Size caps the results (events or sequences); 0 means Elasticsearch's default, 10.
	Size int
	// CategoryField, TimestampField, TiebreakerField default to
	// event.category, @timestamp and event.sequence (the tiebreaker only when
	// the mapping has it, or always when there is no mapping).
	CategoryField, TimestampField, TiebreakerField string
	// MaxPending caps the pending sequences a Sequencer keeps (default
	// 100000); the oldest are dropped first and counted.
	MaxPending int
	// Lateness is how far behind the newest timestamp an event may arrive
	// at a Sequencer and still be matched in order: events are held until
	// the newest timestamp is Lateness past them. 0 matches on arrival.
	Lateness time.Duration
	// MaxSamplesPerKey is the EQL search's max_samples_per_key: how many
	// samples a sample query returns per join-key combination (default 1,
	// Elasticsearch's; Kibana does not set it).
	MaxSamplesPerKey int
}

// DefaultSize is the size of an EQL search that does not set one.
const DefaultSize = 10

// Query is a compiled EQL query.
type Query struct {
	opts     Options
	sequence bool
	sample   bool          // a sample query: stages unordered (sample.go)
	event    *eventMatcher // event query
	stages   []*stageMatcher
	positive []int // indices of the stages that are not missing events
	until    *stageMatcher
	maxspan  time.Duration
	pipes    []Pipe
	fields   []string
	ts, tb   string
	cond     prefilter.Cond // see EventCondition
}

type eventMatcher struct {
	category string // "" = any
	catField string
	cond     predicate
}

type stageMatcher struct {
	eventMatcher
	keys []evaluator
	// nullable marks the optional (`?field`) keys: only they may join on
	// null; an event with a null non-optional key joins nothing
	// (elasticsearch#79677).
	nullable []bool
	missing  bool
}

// Compile parses and analyzes a query against a mapping (nil accepts any
// field name). Errors are an ErrorList worded like Elasticsearch's.
func Compile(query string, m *doc.Mapping, opts Options) (*Query, error) {
	ast, err := Parse(query)
	if err != nil {
		return nil, err
	}
	if opts.Size <= 0 {
		opts.Size = DefaultSize
	}
	if opts.CategoryField == "" {
		opts.CategoryField = "event.category"
	}
	if opts.TimestampField == "" {
		opts.TimestampField = "@timestamp"
	}
	if opts.TiebreakerField == "" {
		if _, ok := lookup(m, "event.sequence"); m == nil || ok {
			opts.TiebreakerField = "event.sequence"
		}
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = 100000
	}
	if opts.MaxSamplesPerKey <= 0 {
		opts.MaxSamplesPerKey = 1
	}
	c := &compiler{source: &source{src: query}, ends: ast.ends, m: m, fields: map[string]bool{}}
	q := &Query{opts: opts, sequence: ast.Sequence, sample: ast.Sample, maxspan: ast.MaxSpan, pipes: ast.Pipes}
	q.ts = c.resolve(opts.TimestampField)
	q.tb = c.resolve(opts.TiebreakerField)
	cat := c.resolve(opts.CategoryField)
	if ast.Event != nil {
		q.event = c.filter(*ast.Event, cat)
	} else {
		q.compileSequence(c, ast, cat)
	}
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	if ast.Event != nil {
		q.cond = c.eventCond(*ast.Event, cat)
	} else {
		// every stage's events matter, missing-event stages' included
		var alts []prefilter.Cond
		for _, st := range ast.Stages {
			alts = append(alts, c.eventCond(st.Filter, cat))
		}
		if ast.Until != nil {
			alts = append(alts, c.eventCond(ast.Until.Filter, cat))
		}
		q.cond = anyOf(alts)
	}
	q.fields = c.order
	return q, nil
}

func lookup(m *doc.Mapping, name string) (*doc.Field, bool) {
	if m == nil {
		return nil, false
	}
	return m.Lookup(name)
}

// resolve maps a request field (timestamp, category…) to the field holding
// its values and records it as read.
func (c *compiler) resolve(name string) string {
	if name == "" {
		return ""
	}
	if c.m != nil {
		name = c.m.AliasTarget(name)
	}
	c.use(name)
	return name
}

func (c *compiler) filter(f EventFilter, catField string) *eventMatcher {
	em := &eventMatcher{category: f.Category, catField: catField}
	if f.Cond == nil {
		em.cond = func(*doc.Document) bool { return true }
		return em
	}
	em.cond = c.cond(f.Cond)
	return em
}

func (q *Query) compileSequence(c *compiler, ast *AST, cat string) {
	nkeys := -1
	mk := func(st Stage) *stageMatcher {
		sm := &stageMatcher{eventMatcher: *c.filter(st.Filter, cat), missing: st.Missing}
		keys := append(append([]Expr(nil), ast.By...), st.By...)
		if nkeys < 0 {
			nkeys = len(keys)
		} else if len(keys) != nkeys {
			at := st.Filter.At
			if len(st.By) > 0 {
				at = st.By[0].pos()
			}
			c.errorf(at, "Inconsistent number of join keys specified; expected [%d] but found [%d]", nkeys-len(ast.By), len(st.By))
		}
		for _, k := range keys {
			sm.keys = append(sm.keys, c.expr(k).ev)
			f, opt := k.(*FieldRef)
			sm.nullable = append(sm.nullable, opt && f.Optional)
		}
		return sm
	}
	for _, st := range ast.Stages {
		sm := mk(st)
		for range st.Runs {
			q.stages = append(q.stages, sm)
		}
	}
	if ast.Until != nil {
		q.until = mk(*ast.Until)
	}
	for i, st := range q.stages {
		if !st.missing {
			q.positive = append(q.positive, i)
		}
	}
	if len(q.positive) == 0 {
		c.errorf(ast.Stages[0].Filter.At, "A sequence requires at least one positive event query; found none")
	}
}

// IsSequence reports whether the query is a sequence.
func (q *Query) IsSequence() bool { return q.sequence }

// HasStages reports whether the query is a sequence or a sample: its
// results are Result.Sequences (one event per stage, join keys), which
// Kibana turns into alert groups alike.
func (q *Query) HasStages() bool { return q.sequence || q.sample }

// IsSample reports whether the query is a sample (`sample by …`): it is
// neither an event query (Match is false) nor a sequence (no Sequencer);
// Search answers it, its results in Result.Sequences as Elasticsearch
// returns samples under hits.sequences.
func (q *Query) IsSample() bool { return q.sample }

// Fields returns the (resolved) fields the query reads, including the
// timestamp, tiebreaker and category fields, for projection.
func (q *Query) Fields() []string { return q.fields }

// MaxSpan is a sequence's maxspan (0: none).
func (q *Query) MaxSpan() time.Duration { return q.maxspan }

// Size is the effective result cap.
func (q *Query) Size() int { return q.opts.Size }

func (m *eventMatcher) match(d *doc.Document) bool {
	if m.category != "" {
		cv := d.Get(m.catField)
		ok := false
		for i := 0; i < cv.Len() && !ok; i++ {
			ok = isString(cv.At(i).T) && cv.At(i).S == m.category
		}
		if !ok {
			return false
		}
	}
	return m.cond(d)
}

// Match reports whether an event satisfies an event query's filter
// (category and condition). It is false for sequences.
func (q *Query) Match(d *doc.Document) bool {
	return q.event != nil && q.event.match(d)
}

// ordinal orders events: timestamp (ns), tiebreaker, then arrival.
type ordinal struct {
	ts  int64
	tb  doc.Value
	seq int64
}

func (a ordinal) less(b ordinal) bool {
	if a.ts != b.ts {
		return a.ts < b.ts
	}
	if c, ok := compareScalars(a.tb, b.tb); ok && c != 0 {
		return c < 0
	}
	if a.tb.IsNull() != b.tb.IsNull() {
		return b.tb.IsNull() // missing tiebreakers sort last
	}
	return a.seq < b.seq
}

// ordinalOf reads an event's ordinal; ok is false without a timestamp
// (Elasticsearch's EQL requires one: such events are never returned).
func (q *Query) ordinalOf(d *doc.Document, seq int64) (ordinal, bool) {
	v := first(d.Get(q.ts))
	o := ordinal{seq: seq}
	switch {
	case v.T == doc.Date:
		o.ts = v.I * 1e6
	case v.T == doc.DateNanos:
		o.ts = v.I
	case v.T == doc.Long || v.T == doc.Integer:
		o.ts = v.I * 1e6
	default:
		return o, false
	}
	if q.tb != "" {
		o.tb = first(d.Get(q.tb))
	}
	return o, true
}

// headLimit is how many results a search may stop after: the smallest
// head when every pipe is a head (results never depend on later events),
// else -1 (a tail needs them all).
func (q *Query) headLimit() int {
	n := q.opts.Size
	for _, p := range q.pipes {
		if p.Name != "head" {
			return -1
		}
		n = min(n, p.N)
	}
	return n
}

// applyPipes applies the head/tail pipes in order, then the size (from the
// end the last pipe kept).
func applyPipes[T any](q *Query, xs []T) []T {
	tail := false
	for _, p := range q.pipes {
		tail = p.Name == "tail"
		xs = cut(xs, p.N, tail)
	}
	return cut(xs, q.opts.Size, tail)
}

// Result is the answer of a batch search.
type Result struct {
	Events    []*doc.Document // event query hits, in order
	Sequences []Sequence      // sequence (or sample) matches, in Elasticsearch's order
	Dropped   int             // pending sequences dropped by the cap
}

// Search runs the query over a batch of events, as Elasticsearch's EQL search
// does over an index: events ordered by timestamp and tiebreaker, results
// capped by size and head/tail. A sample reads the events in the order given
// (index order, see sample.go).
func (q *Query) Search(docs []*doc.Document) Result {
	if q.sample { // unordered: no timestamps, docs in index order
		return q.searchSamples(docs)
	}
	type ev struct {
		o ordinal
		d *doc.Document
	}
	evs := make([]ev, 0, len(docs))
	for i, d := range docs {
		if o, ok := q.ordinalOf(d, int64(i)); ok {
			evs = append(evs, ev{o, d})
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].o.less(evs[j].o) })
	n := q.headLimit()
	var r Result
	if !q.sequence {
		for _, e := range evs {
			if q.event.match(e.d) {
				r.Events = append(r.Events, e.d)
				if len(r.Events) == n {
					break
				}
			}
		}
		r.Events = applyPipes(q, r.Events)
		return r
	}
	s := q.NewSequencer()
	if len(q.positive) < len(q.stages) {
		n = -1 // sequences waiting on missing stages may complete out of order
	}
	for _, e := range evs {
		r.Sequences = append(r.Sequences, s.push(e.d, e.o)...)
		if len(r.Sequences) >= n && n >= 0 {
			break
		}
	}
	r.Sequences = append(r.Sequences, s.Flush()...)
	sortSequences(r.Sequences)
	r.Dropped = s.Dropped
	r.Sequences = applyPipes(q, r.Sequences)
	return r
}

// cut keeps the first (or last) n elements.
func cut[T any](xs []T, n int, tail bool) []T {
	if len(xs) <= n {
		return xs
	}
	if tail {
		return xs[len(xs)-n:]
	}
	return xs[:n]
}
