package engine

import (
	"slices"
	"sort"

	"vigil/internal/doc"
	"vigil/internal/esql"
)

// The shared replay. A rule with interval I and look-back L runs at every
// multiple of I over [run−L, run], so each event lies in about L/I runs:
// with from = now-5d and interval = 6m, 1,200 of them. Instead of pushing
// the event into every run, the timeline is cut into slices at every range
// end (multiples of I) and every range start (multiples of I shifted by
// −L): the boundary instants themselves are slices of their own, since
// ranges include both ends. Each run's range is then a contiguous run of
// slices. An event goes, once, into its slice's execution (so the per-event
// stage is evaluated once per event and rule), and a run's result is the
// merge of its slices' executions in time order.
//
// Two runs whose ranges hold the same non-empty slices see the same events
// and give the same result, which is computed once: with a 5-day look-back
// over a few hours of data, the ~1,200 runs see a few dozen distinct sets.
// A run whose set extends the previous one's at its end merges only the new
// slices.
//
// Exactness. Merging keeps STATS groups in the order of the merged
// executions, and warnings in the order one execution would record
// them (Execution.Merge), so the result is the reference's (one execution
// per run, fed in input order) when the rule's events arrive in slice order
// — a time-sorted input. The rule is marked unordered otherwise, and the
// caller re-reads the input on the reference path (Replay.Rescan). Queries
// whose blocking stage does not start with STATS (SORT, INLINE STATS, LIMIT)
// and queries that read NOW(), whose result differs per run, always take the
// reference path.

// sliceReplay is the shared replay state of one rule.
type sliceReplay struct {
	interval, lookback int64 // ms
	offset             int64 // range starts modulo interval
	per                int64 // slices per interval: 2 (offset 0) or 4
	slices             map[int64]*slice
	last               int64 // highest slice index pushed so far
	firstRun, lastRun  int64 // the first and last run holding an event (ms)
	unordered          bool
}

type slice struct {
	exec   *esql.Execution
	events int64
}

// shareable reports whether q's runs can be computed from merged slices:
// its blocking stage starts with STATS, whose groups merge in order by
// copy, and its result does not depend on the run's time (no NOW() when
// the replay recompiles per run). A LIMIT first is left to the reference:
// merging its row buffer hands the rows over (rowbuf), and a slice is
// merged into many runs.
func shareable(q *esql.Query, perRunNow bool) bool {
	if perRunNow && q.UsesNow() {
		return false
	}
	agg := q.Stages().Aggregating
	return len(agg) > 0 && agg[0] == "STATS"
}

func newSliceReplay(interval, lookback int64) *sliceReplay {
	s := &sliceReplay{interval: interval, lookback: lookback, slices: map[int64]*slice{}, last: -1 << 62}
	s.offset = ((-lookback)%interval + interval) % interval
	s.per = 2
	if s.offset != 0 {
		s.per = 4
	}
	return s
}

// sliceOf numbers the slice holding instant t: per interval, the instant
// k·I, the open span after it, and with a non-zero offset the instant
// k·I+offset and the open span after that.
func (s *sliceReplay) sliceOf(t int64) int64 {
	k := floorDiv(t, s.interval)
	r := t - k*s.interval
	var sub int64
	switch {
	case r == 0:
		sub = 0
	case s.offset == 0 || r < s.offset:
		sub = 1
	case r == s.offset:
		sub = 2
	default:
		sub = 3
	}
	return k*s.per + sub
}

// push adds an event at time t (ms). An event no run covers (a look-back
// shorter than the interval leaves gaps) is dropped, as the reference does.
func (s *sliceReplay) push(q *esql.Query, d *doc.Document, t int64) {
	first := ceilDiv(t, s.interval) * s.interval
	last := floorDiv(t+s.lookback, s.interval) * s.interval
	if first > last {
		return
	}
	i := s.sliceOf(t)
	sl := s.slices[i]
	if sl == nil {
		if len(s.slices) == 0 {
			s.firstRun, s.lastRun = first, last
		}
		sl = &slice{exec: q.NewExecution()}
		s.slices[i] = sl
	}
	s.firstRun, s.lastRun = min(s.firstRun, first), max(s.lastRun, last)
	if i < s.last {
		s.unordered = true
	}
	s.last = max(s.last, i)
	sl.events++
	sl.exec.Push(d)
}

// sliceRun is a run's share of the slices: the non-empty ones from index
// lo to hi of the sorted list (lo > hi: none).
type sliceRun struct{ lo, hi int }

// sorted returns the indices of the non-empty slices in time order.
func (s *sliceReplay) sorted() []int64 {
	idx := make([]int64, 0, len(s.slices))
	for i := range s.slices {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	return idx
}

// runs calls f for every run from the first whose range holds an event to
// the last, in time order, with the run's time and slices (idx: sorted).
func (s *sliceReplay) runs(idx []int64, f func(at int64, sr sliceRun) error) error {
	if len(idx) == 0 {
		return nil
	}
	for at := s.firstRun; at <= s.lastRun; at += s.interval {
		from, to := s.sliceOf(at-s.lookback), s.sliceOf(at)
		lo := sort.Search(len(idx), func(i int) bool { return idx[i] >= from })
		hi := sort.Search(len(idx), func(i int) bool { return idx[i] > to }) - 1
		if err := f(at, sliceRun{lo, hi}); err != nil {
			return err
		}
	}
	return nil
}

// sliceResults computes run results from slices, reusing the previous
// result for a run over the same slices and extending the previous merge
// when a run only adds slices at the end.
type sliceResults struct {
	q       *esql.Query
	s       *sliceReplay
	idx     []int64 // sorted non-empty slice indices
	prefix  []int64 // prefix[i]: events in slices idx[:i]
	merged  *esql.Execution
	cur     sliceRun // the slices merged holds, and res is the result of
	res     *esql.Result
	fresh   bool // res was computed for the current run, not reused
	started bool
}

func (s *sliceReplay) results(q *esql.Query, idx []int64) *sliceResults {
	sr := &sliceResults{q: q, s: s, idx: idx, prefix: make([]int64, len(idx)+1)}
	for i, k := range idx {
		sr.prefix[i+1] = sr.prefix[i] + s.slices[k].events
	}
	return sr
}

// events is the number of events in a run's range.
func (sr *sliceResults) events(r sliceRun) int64 {
	if r.lo > r.hi {
		return 0
	}
	return sr.prefix[r.hi+1] - sr.prefix[r.lo]
}

// result returns the query's result over the run's slices.
func (sr *sliceResults) result(r sliceRun) (*esql.Result, error) {
	if sr.started && r == sr.cur {
		sr.fresh = false
		return sr.res, nil
	}
	from := r.lo
	if sr.started && r.lo == sr.cur.lo && r.hi > sr.cur.hi {
		from = sr.cur.hi + 1
	} else {
		sr.merged = sr.q.NewExecution()
	}
	for i := from; i <= r.hi; i++ {
		sr.merged.Merge(sr.s.slices[sr.idx[i]].exec)
	}
	// Finish consumes an execution: finish a copy, keeping merged to extend.
	fin := sr.q.NewExecution()
	fin.Merge(sr.merged)
	res, err := fin.Finish()
	if err != nil {
		return nil, err
	}
	sr.cur, sr.res, sr.fresh, sr.started = r, res, true, true
	return res, nil
}
