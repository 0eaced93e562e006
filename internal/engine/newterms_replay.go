package engine

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// NewTermsReplay is `vigil hunt --replay` for new_terms rules: Kibana's
// runs (one every interval, aligned to the epoch, each over [run -
// lookback, run]) with each run's history window [run - history, run's
// from] read from the same input (see newterms.go for the semantics).
//
// A run does not hold its history: that would keep each event in every
// run whose days-long history covers it. Instead each rule's events are
// cut into slices of time no longer than the gap that matters, G =
// history - lookback, one execution of the rule's query per slice, which
// keeps each combination's first document and last sighting there. A
// combination's sightings, slice after slice, form clusters whose inner
// gaps are at most G; only a cluster's first document can be new in a
// run: a later sighting b after a at most G earlier would need a run with
// a < run - history and b > run - lookback, i.e. b - a > G. The cluster
// start c (its predecessor's last sighting p) is new in exactly the runs
// with from < c <= run (Kibana keeps first_seen > from,
// build_new_terms_aggregation.ts) and p < run - history. Runs then keep
// max_signals alerts each, oldest first; a combination a run drops stays
// eligible in the next runs that find it new.
//
// Exact when G is at least one second. A rule whose history window is
// shorter than its look-back is not replayed (NewTermsUnreplayable).
type NewTermsReplay struct {
	IndexFallback string
	Unindexed     int64
	rules         []*ntReplayRule
	readers       map[string][]*ntReplayRule
}

// NewTermsUnreplayable says why NewTermsReplay skips a new_terms rule, or
// "": its history window is shorter than its look-back (no prebuilt rule:
// theirs are days against minutes), so Kibana would search a history range
// starting inside the run, which the clusters do not model.
func NewTermsUnreplayable(r *rule.Rule) string {
	if nt := r.NewTerms; nt != nil && nt.History < r.Lookback {
		return fmt.Sprintf("history window (%s) shorter than the look-back (%s): not replayed", nt.HistoryWindowStart, r.From)
	}
	return ""
}

type ntReplayRule struct {
	cr                 *CompiledRule
	interval, lookback int64 // ms
	history            int64 // ms
	width              int64 // slice width, ms
	slices             map[int64]*esql.Execution
	events             map[int64]int64 // per slice, for run reports
	noTime             int64
	excepted           []int64
}

// NewNewTermsReplay prepares a replay of the new_terms rules among rules
// (the others, and those NewTermsUnreplayable names, are ignored).
func NewNewTermsReplay(rules []*CompiledRule) *NewTermsReplay {
	rp := &NewTermsReplay{readers: map[string][]*ntReplayRule{}}
	for _, cr := range rules {
		if cr.Rule.NewTerms == nil || NewTermsUnreplayable(cr.Rule) != "" {
			continue
		}
		r := &ntReplayRule{cr: cr, interval: cr.Rule.Interval.Milliseconds(), lookback: cr.Rule.Lookback.Milliseconds(),
			history: cr.Rule.NewTerms.History.Milliseconds(), slices: map[int64]*esql.Execution{}, events: map[int64]int64{}}
		r.width = min(r.interval, max(r.history-r.lookback, 1000)) // slices no wider than G
		rp.rules = append(rp.rules, r)
	}
	return rp
}

// Rules is the number of new_terms rules replayed.
func (rp *NewTermsReplay) Rules() int { return len(rp.rules) }

// Push routes a document to its rules' slice.
func (rp *NewTermsReplay) Push(d *doc.Document) {
	if len(rp.rules) == 0 {
		return
	}
	index, stream, ok := route(d, rp.IndexFallback)
	if !ok {
		rp.Unindexed++
		return
	}
	for _, r := range readersOf(rp.readers, rp.rules, func(r *ntReplayRule) *esql.Query { return r.cr.Query }, index, stream) {
		t, ok := eventTime(d, r.cr.Rule.TimestampField)
		if !ok {
			r.noTime++
			continue
		}
		if r.cr.excepted(d, &r.excepted) {
			continue
		}
		s := floorDiv(t, r.width)
		exec := r.slices[s]
		if exec == nil {
			exec = r.cr.Query.NewExecution()
			r.slices[s] = exec
		}
		exec.Push(d)
		r.events[s]++
	}
}

// ntCandidate is a cluster start: a sighting that may be new.
type ntCandidate struct {
	hit  termHit
	prev int64 // the previous cluster's last sighting
	has  bool  // whether there is one
	row  []doc.Value
	done bool // alerted
}

// Finish runs every rule's runs and returns their alerts (run order per
// rule) and one report per run that found a new combination.
func (rp *NewTermsReplay) Finish(execUUID func(rule string, at time.Time) string) ([]*Alert, []RunReport, error) {
	var alerts []*Alert
	var reports []RunReport
	for _, r := range rp.rules {
		a, rep, err := r.finish(execUUID)
		if err != nil {
			return nil, nil, err
		}
		alerts, reports = append(alerts, a...), append(reports, rep...)
	}
	return alerts, reports, nil
}

func (r *ntReplayRule) finish(execUUID func(rule string, at time.Time) string) ([]*Alert, []RunReport, error) {
	name := r.cr.Rule.Name
	// Each combination's sightings, slice by slice.
	byKey := map[[16]byte][]termHit{}
	var keys [][16]byte
	var cols []esql.Column
	for _, s := range runTimes(r.slices) {
		res, err := r.slices[s].Finish()
		delete(r.slices, s)
		if err != nil {
			return nil, nil, fmt.Errorf("rule %q: %w", name, err)
		}
		hits := newTermsHits(res)
		if hits == nil {
			continue
		}
		if cols == nil {
			cols = hits.columns()
		}
		for _, h := range hits.hits {
			if byKey[h.key] == nil {
				keys = append(keys, h.key)
			}
			byKey[h.key] = append(byKey[h.key], h)
		}
	}
	gap := r.history - r.lookback
	var cands []*ntCandidate
	for _, k := range keys {
		hs := byKey[k] // slices in time order, so sightings are too
		var last int64
		for i, h := range hs {
			if i == 0 || h.first-last > gap {
				cands = append(cands, &ntCandidate{hit: h, prev: last, has: i > 0})
			}
			last = max(last, h.last)
		}
	}
	// The runs each candidate is new in.
	runs := map[int64][]*ntCandidate{}
	for _, c := range cands {
		lo := ceilDiv(c.hit.first, r.interval) * r.interval // run >= c
		if c.has {
			lo = max(lo, (floorDiv(c.prev+r.history, r.interval)+1)*r.interval) // run - history > prev
		}
		for at := lo; at < c.hit.first+r.lookback; at += r.interval { // from < c
			runs[at] = append(runs[at], c)
		}
	}
	by := r.cr.Query.GroupBy()
	var alerts []*Alert
	var reports []RunReport
	for _, at := range runTimes(runs) {
		cs := runs[at]
		slices.SortStableFunc(cs, func(x, y *ntCandidate) int { return cmp.Compare(x.hit.first, y.hit.first) })
		runTime := time.UnixMilli(at).UTC()
		rep := RunReport{Rule: name, Time: runTime, From: runTime.Add(-r.cr.Rule.Lookback), To: runTime, Rows: len(cs), Events: r.runEvents(at)}
		ex := Execution{UUID: execUUID(r.cr.Rule.RuleID, runTime), Time: runTime, From: rep.From, To: rep.To, Indices: r.cr.Query.IndexPatterns()}
		for _, c := range cs {
			if c.done {
				continue
			}
			row := termRow(c.hit)
			if len(r.cr.keptRows(cols, [][]doc.Value{row}, nil)) == 0 {
				c.done = true // an exception on the alert row
				continue
			}
			if m := r.cr.Rule.MaxSignals; m > 0 && rep.Alerts >= m {
				rep.Truncated++
				continue
			}
			c.done = true
			alerts = append(alerts, BuildAlert(r.cr.Rule, cols, row, by, ex))
			rep.Alerts++
		}
		reports = append(reports, rep)
	}
	return alerts, reports, nil
}

// runEvents counts the events of the slices starting in the run's range
// (its events, give or take the slices the range's ends cut).
func (r *ntReplayRule) runEvents(at int64) int64 {
	var n int64
	for s := floorDiv(at-r.lookback, r.width); s*r.width < at; s++ {
		if s*r.width >= at-r.lookback {
			n += r.events[s]
		}
	}
	return n
}

// runTimes are a map's int64 keys in order.
func runTimes[V any](m map[int64]V) []int64 {
	ks := make([]int64, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
