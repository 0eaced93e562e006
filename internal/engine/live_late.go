package engine

import (
	"fmt"
	"math"
	"sort"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
)

// Source yields every event the engine has taken (pushed) whose @timestamp
// lies in [from, to] (ms; it may yield more), in any order. The service
// reads its spool up to the last event pushed.
type Source func(from, to int64, fn func(*doc.Document)) error

// maxRebuildRuns bounds the runs one Reevaluate rebuilds (oldest first),
// so a spread of late events costs bounded memory per pass; the rest wait
// for the next pass.
const maxRebuildRuns = 32

// PendingLate reports whether late events wait for Reevaluate.
func (l *Live) PendingLate() bool {
	for _, r := range l.rules {
		if len(r.reopen) > 0 {
			return true
		}
	}
	return false
}

// Reevaluate rebuilds the runs late events re-opened from src, which holds
// every event pushed so far (the late ones included), and evaluates them:
// a final run a last time — its alerts, new or changed, are marked late —
// and an open run by taking the rebuilt execution in place of its own
// (which never saw the late event, or finalised its time window without
// it) and evaluating it as Flush does. Alert ids are the rule and group, so
// a re-derived alert is the same alert: unchanged, or updated.
func (l *Live) Reevaluate(src Source) ([]Update, error) {
	type rebuild struct {
		r    *liveRule
		at   int64
		exec *esql.Execution
	}
	var todo []*rebuild
	for _, r := range l.rules {
		for at := range r.reopen {
			todo = append(todo, &rebuild{r: r, at: at})
		}
	}
	if len(todo) == 0 {
		return nil, nil
	}
	sort.Slice(todo, func(i, j int) bool { return todo[i].at < todo[j].at })
	if len(todo) > maxRebuildRuns {
		todo = todo[:maxRebuildRuns]
	}
	execs := map[*liveRule]map[int64]*esql.Execution{}
	from, to := int64(math.MaxInt64), int64(math.MinInt64)
	for _, b := range todo {
		delete(b.r.reopen, b.at)
		b.exec = b.r.cr.Query.NewExecution()
		if execs[b.r] == nil {
			execs[b.r] = map[int64]*esql.Execution{}
		}
		execs[b.r][b.at] = b.exec
		if timestampField(b.r.cr.Rule) == "@timestamp" {
			from, to = min(from, b.at-b.r.lookback), max(to, b.at)
		} else { // the spool knows @timestamp only
			from, to = math.MinInt64, math.MaxInt64
		}
	}
	err := src(from, to, func(d *doc.Document) {
		index, stream, ok := route(d, l.opts.IndexFallback)
		if !ok {
			return
		}
		for r, runs := range execs {
			if !Reads(r.cr.Query, index, stream) {
				continue
			}
			t, ok := eventTime(d, r.cr.Rule.TimestampField)
			if !ok || r.cr.excepted(d, nil) {
				continue
			}
			for at := ceilDiv(t, r.interval) * r.interval; at <= t+r.lookback; at += r.interval {
				if e := runs[at]; e != nil {
					passed := e.Matched()
					e.Push(d)
					if r.cr.carriesSource() && e.Matched() > passed {
						l.src.keep(d) // its alert is raised again: with its source
					}
				}
			}
		}
	})
	if err != nil {
		// Put the runs back: the next pass retries them.
		for _, b := range todo {
			b.r.reopen[b.at] = true
		}
		return nil, fmt.Errorf("re-evaluating late events: %w", err)
	}
	var out []Update
	idx := map[string]int{}
	now := l.opts.Clock.Now()
	for _, b := range todo {
		r := b.r
		if r.windowed && r.cutoff != math.MinInt64 {
			b.exec.CloseWindows(r.cutoff)
		}
		if b.at > r.closed {
			// Open (or never opened: all its events came late): the rebuilt
			// execution replaces it; Flush below evaluates it.
			run := r.runs[b.at]
			if run == nil {
				run = &liveRun{at: b.at}
				r.runs[b.at] = run
			}
			r.release(run) // the rebuilt groups are no source's
			run.exec, run.dirty, run.late = b.exec, true, true
			continue
		}
		res, err := b.exec.Finish()
		if err != nil {
			return out, fmt.Errorf("rule %q run at %s: %w", r.cr.Rule.Name, time.UnixMilli(b.at).UTC().Format(time.RFC3339), err)
		}
		out = mergeUpdates(out, l.alerts(r, nil, res, b.at, now, true, true), idx)
	}
	ups, err := l.Flush()
	return mergeUpdates(out, ups, idx), err
}
