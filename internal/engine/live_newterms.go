package engine

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
)

// new_terms rules in the live engine (vigil serve). Their runs are not
// windows: a rule keeps the value combinations it has seen (TermSeen: the
// first sighting it alerted on and the last sighting), and a combination is
// new when it was not seen within the history window before it — Kibana's
// test (newterms.go) with the run shrunk to the event. Real-time rules
// decide on Flush, over the events pushed since the last one, so an alert
// exists the moment a new combination's first event is evaluated;
// scheduled rules decide on Tick over the events their run buffered, with
// max_signals per run.
//
// The seen combinations are the service's to keep durably (TakeTerms after
// the alerts are stored, RestoreTerms before the spool is replayed,
// PruneTerms as the history window moves), so a restart neither forgets
// history nor loses a new combination: an event replayed from the spool
// whose combination is stored finds it seen, unless it is the very first
// sighting, whose alert is raised again with the same id. Each rule holds
// at most LiveOptions.MaxTerms combinations; a new one past that is
// refused and counted (RuleStats.TermsRefused), not alerted.

// DefaultMaxTerms is LiveOptions.MaxTerms's default.
const DefaultMaxTerms = 1_000_000

// TermSeen is one value combination a new_terms rule has seen (ms).
type TermSeen struct {
	Key         [16]byte
	First, Last int64
}

// RuleTerms are a rule's combinations to store.
type RuleTerms struct {
	RuleID string
	Terms  []TermSeen
}

type liveTerms struct {
	seen    map[[16]byte]TermSeen
	dirty   map[[16]byte]bool
	exec    *esql.Execution // events pushed since the last evaluation
	refused int64
	pruned  int64 // the history start last pruned at (ms)
}

func (r *liveRule) termState() *liveTerms {
	if r.terms == nil {
		r.terms = &liveTerms{seen: map[[16]byte]TermSeen{}, dirty: map[[16]byte]bool{}}
	}
	return r.terms
}

// pushTerms takes a real-time new_terms rule's event for the next Flush.
func (l *Live) pushTerms(r *liveRule, d *doc.Document) {
	ts := r.termState()
	if ts.exec == nil {
		ts.exec = r.cr.Query.NewExecution()
	}
	ts.exec.Push(d)
}

// flushTerms evaluates the events a real-time new_terms rule took since
// the last Flush.
func (l *Live) flushTerms(r *liveRule, now time.Time) ([]Update, error) {
	ts := r.termState()
	if ts.exec == nil {
		return nil, nil
	}
	exec := ts.exec
	ts.exec = nil
	res, err := exec.Finish()
	if err != nil {
		return nil, fmt.Errorf("rule %q: %w", r.cr.Rule.Name, err)
	}
	ups, _ := l.newTerms(r, res, now, 0, time.Time{})
	for _, u := range ups {
		l.src.merge(u.Alert) // its first event was pushed since the last Flush
	}
	return ups, nil
}

// tickTerms is a scheduled new_terms rule's run at now: its buffered
// events, max_signals new combinations at most (those dropped are not
// recorded as seen, so their next sighting alerts).
func (l *Live) tickTerms(r *liveRule, now time.Time) ([]Update, RunReport, error) {
	nowMs := now.UnixMilli()
	rep := RunReport{Rule: r.cr.Rule.Name, Time: now, From: now.Add(-r.cr.Rule.Lookback), To: now}
	exec := r.cr.Query.NewExecution()
	kept := r.buf[:0]
	var docs []*doc.Document
	for _, b := range r.buf {
		if b.t > nowMs { // for a later run
			kept = append(kept, b)
			continue
		}
		exec.Push(b.d)
		docs = append(docs, b.d)
		rep.Events++
	}
	clear(r.buf[len(kept):])
	r.buf = kept
	r.lastRun, r.nextRun = nowMs, nowMs+r.interval
	res, err := exec.Finish()
	if err != nil {
		return nil, rep, fmt.Errorf("rule %q run at %s: %w", r.cr.Rule.Name, now.Format(time.RFC3339), err)
	}
	rep.Rows = len(res.Rows)
	ups, dropped := l.newTerms(r, res, now, r.cr.Rule.MaxSignals, now)
	mergeUpdateSources(ups, docs)
	rep.Alerts, rep.Truncated = len(ups), dropped
	if dropped > 0 {
		l.caps = append(l.caps, CapReport{Rule: r.cr.Rule, Window: now, From: rep.From, Cap: r.cr.Rule.MaxSignals, Dropped: dropped})
	}
	return ups, rep, nil
}

// newTerms checks an execution's combinations against the seen ones and
// builds the alerts of the new ones (at most limit when limit > 0). run is
// the scheduled run's time; zero for real time, whose alerts name the
// aligned run their event falls in.
func (l *Live) newTerms(r *liveRule, res *esql.Result, now time.Time, limit int, run time.Time) (ups []Update, dropped int) {
	hits := newTermsHits(res)
	if hits == nil {
		return nil, 0
	}
	ts := r.termState()
	history := r.cr.Rule.NewTerms.History.Milliseconds()
	slices.SortStableFunc(hits.hits, func(x, y termHit) int { return cmp.Compare(x.first, y.first) })
	cols := hits.columns()
	by := r.cr.Query.GroupBy()
	for _, h := range hits.hits {
		s, ok := ts.seen[h.key]
		alert := false
		switch {
		case !ok || s.Last < h.first-history:
			if !ok && len(ts.seen) >= l.opts.MaxTerms {
				ts.refused++
				continue
			}
			if limit > 0 && len(ups) >= limit {
				dropped++
				continue
			}
			s, alert = TermSeen{Key: h.key, First: h.first, Last: h.last}, true
		case h.first == s.First:
			// The sighting alerted on, again (the spool replayed after a
			// restart): the same alert, which the store finds unchanged.
			s.Last, alert = max(s.Last, h.last), true
		case h.last > s.Last:
			s.Last = h.last
		default:
			continue
		}
		ts.seen[h.key] = s
		ts.dirty[h.key] = true
		if !alert {
			continue
		}
		row := termRow(h)
		if len(r.cr.keptRows(cols, [][]doc.Value{row}, &r.exceptedRows)) == 0 {
			continue
		}
		at := run
		if at.IsZero() {
			at = time.UnixMilli(ceilDiv(h.first, r.interval) * r.interval).UTC()
		}
		ex := Execution{UUID: l.opts.ExecUUID(r.cr.Rule.RuleID, at), Time: now, From: at.Add(-r.cr.Rule.Lookback), To: at,
			Indices: r.cr.Query.IndexPatterns()}
		ups = append(ups, Update{Alert: BuildAlert(r.cr.Rule, cols, row, by, ex), Run: at, Final: true})
	}
	return ups, dropped
}

// RestoreTerms gives a new_terms rule the combinations stored for it
// (before the spool is replayed).
func (l *Live) RestoreTerms(ruleID string, terms []TermSeen) {
	for _, r := range l.rules {
		if r.cr.Rule.RuleID != ruleID || r.cr.Rule.NewTerms == nil {
			continue
		}
		ts := r.termState()
		for _, t := range terms {
			ts.seen[t.Key] = t
		}
	}
}

// TakeTerms returns the combinations changed since the last call, per
// rule: the service stores them once the alerts they raised are stored.
func (l *Live) TakeTerms() []RuleTerms {
	var out []RuleTerms
	for _, r := range l.rules {
		if r.terms == nil || len(r.terms.dirty) == 0 {
			continue
		}
		rt := RuleTerms{RuleID: r.cr.Rule.RuleID}
		for k := range r.terms.dirty {
			if s, ok := r.terms.seen[k]; ok {
				rt.Terms = append(rt.Terms, s)
			}
		}
		clear(r.terms.dirty)
		out = append(out, rt)
	}
	return out
}

// PruneTerms forgets the combinations last seen before each new_terms
// rule's history window, which now starts at the watermark less the
// history: they would be new again. It returns that start per rule id (ms)
// for the service to prune its store alike. A rule is pruned again once its
// history start moved a minute: each pass reads every combination.
func (l *Live) PruneTerms() map[string]int64 {
	if l.watermark == math.MinInt64 {
		return nil
	}
	out := map[string]int64{}
	for _, r := range l.rules {
		if r.cr.Rule.NewTerms == nil {
			continue
		}
		cut := l.watermark - r.cr.Rule.NewTerms.History.Milliseconds()
		ts := r.termState()
		if ts.pruned != 0 && cut-ts.pruned < time.Minute.Milliseconds() {
			continue
		}
		ts.pruned = cut
		out[r.cr.Rule.RuleID] = cut
		for k, s := range ts.seen {
			if s.Last < cut {
				delete(ts.seen, k)
				delete(ts.dirty, k)
			}
		}
	}
	return out
}
