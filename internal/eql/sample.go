package eql

import (
	"slices"
	"strings"

	"vigil/internal/doc"
)

// Samples (`sample by k… [stage] [stage] …`) are answered as
// Elasticsearch's SampleIterator (x-pack/plugin/eql, execution/sample)
// answers them:
//   - the join-key combinations are the composite-aggregation buckets every
//     stage has (a multi-valued key puts an event in one bucket per value;
//     a null key only buckets for an optional `?field`, whose composite
//     source has missing_bucket), visited in ascending key order, nulls
//     first, as the composite aggregation pages them;
//   - per combination, each stage's candidates are its first
//     stages+max_samples_per_key-1 events in index order (the final _msearch
//     asks for that many hits with terminate_after and no sort; Vigil's
//     index order is input order, as one shard bulk-loaded in order);
//   - a backtracking pass picks up to max_samples_per_key samples of
//     distinct events, one per stage in stage order (SampleIterator.match);
//   - the search stops once size samples are found.
//
// Timestamps play no part: stages are unordered and there is no maxspan
// (an event without one can take part).

// maxKeyCombos bounds the join-key combinations one event's multi-valued
// keys expand to, so a hostile event cannot exhaust memory.
const maxKeyCombos = 1024

// sampleGroup is one join-key combination's candidates, per stage.
type sampleGroup struct {
	keys  []doc.Value
	cands [][]*doc.Document
}

// searchSamples runs a sample query over a batch of events in index order.
func (q *Query) searchSamples(docs []*doc.Document) Result {
	per := len(q.stages) + q.opts.MaxSamplesPerKey - 1
	groups := map[string]*sampleGroup{}
	for _, d := range docs {
		for i, st := range q.stages {
			if !st.match(d) {
				continue
			}
			for _, vals := range st.keyCombos(d) {
				k := keyOf(vals)
				g := groups[k]
				if g == nil {
					g = &sampleGroup{keys: vals, cands: make([][]*doc.Document, len(q.stages))}
					groups[k] = g
				}
				if len(g.cands[i]) < per {
					g.cands[i] = append(g.cands[i], d)
				}
			}
		}
	}
	var full []*sampleGroup
	for _, g := range groups {
		if !slices.ContainsFunc(g.cands, func(c []*doc.Document) bool { return len(c) == 0 }) {
			full = append(full, g)
		}
	}
	slices.SortFunc(full, func(a, b *sampleGroup) int { return compareKeys(a.keys, b.keys) })
	n := q.headLimit()
	var r Result
	for _, g := range full {
		for _, events := range pickSamples(g.cands, q.opts.MaxSamplesPerKey) {
			r.Sequences = append(r.Sequences, Sequence{Keys: g.keys, Events: events})
			if len(r.Sequences) == n {
				r.Sequences = applyPipes(q, r.Sequences)
				return r
			}
		}
	}
	r.Sequences = applyPipes(q, r.Sequences)
	return r
}

// Candidate reports whether an event can take part in a result of the
// query, for callers that collect events for Search: an event query's
// match; for a sequence or a sample an event matching one of its stages
// (missing-event ones included) or its until: an event matching none
// changes no pending sequence (only the clock, and expiry by the clock
// drops only what a later match would reject for maxspan anyway).
func (q *Query) Candidate(d *doc.Document) bool {
	if q.event != nil {
		return q.event.match(d)
	}
	if q.until != nil && q.until.match(d) {
		return true
	}
	for _, st := range q.stages {
		if st.match(d) {
			return true
		}
	}
	return false
}

// keyCombos returns the join-key combinations an event buckets under: the
// cross product of its keys' values (nil when a non-optional key is null).
func (st *stageMatcher) keyCombos(d *doc.Document) [][]doc.Value {
	vals := make([]doc.Value, len(st.keys))
	multi := false
	for i, k := range st.keys {
		vals[i] = k(d)
		if vals[i].IsNull() && !st.nullable[i] {
			return nil
		}
		multi = multi || vals[i].M != nil
	}
	if !multi { // the common case: one combination
		return [][]doc.Value{vals}
	}
	combos := [][]doc.Value{nil}
	for _, v := range vals {
		values := []doc.Value{v}
		if v.M != nil {
			values = v.M
		}
		next := make([][]doc.Value, 0, len(combos)*len(values))
		for _, c := range combos {
			for _, x := range values {
				if len(next) == maxKeyCombos {
					break
				}
				next = append(next, append(slices.Clip(c), x))
			}
		}
		combos = next
	}
	return combos
}

// compareKeys orders join-key combinations as the composite aggregation
// pages them: ascending per key, nulls (optional keys' missing bucket)
// first; values of different kinds by their encoding, to stay total.
func compareKeys(a, b []doc.Value) int {
	for i := range a {
		x, y := a[i], b[i]
		switch {
		case x.IsNull() && y.IsNull():
			continue
		case x.IsNull():
			return -1
		case y.IsNull():
			return 1
		}
		c, ok := compareScalars(x, y)
		if !ok {
			c = strings.Compare(keyOf([]doc.Value{x}), keyOf([]doc.Value{y}))
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// maxSampleSteps bounds the backtracking of one join-key combination:
// stages whose few candidates overlap can make the search exponential in
// the number of stages when no sample exists.
const maxSampleSteps = 1 << 20

// pickSamples chooses up to max samples of distinct events, one per
// stage, trying each stage's candidates in order with backtracking (the
// first sample is the first such choice in that order).
func pickSamples(cands [][]*doc.Document, max int) [][]*doc.Document {
	var out [][]*doc.Document
	partial := make([]*doc.Document, 0, len(cands))
	steps := 0
	var walk func(stage int)
	walk = func(stage int) {
		for _, d := range cands[stage] {
			if len(out) == max || steps == maxSampleSteps {
				return
			}
			steps++
			if slices.Contains(partial, d) {
				continue
			}
			partial = append(partial, d)
			if stage == len(cands)-1 {
				out = append(out, slices.Clone(partial))
			} else {
				walk(stage + 1)
			}
			partial = partial[:len(partial)-1]
		}
	}
	walk(0)
	return out
}
