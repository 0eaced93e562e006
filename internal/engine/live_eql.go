package engine

// EQL rules in the live engine (`vigil serve`), beside the ES|QL rules of
// live.go and on the same time: the same Watermarks, allowed lateness,
// future quarantine and retention floor.
//
// Real time:
//   - An event query alerts per matching event at the Flush after its Push,
//     the alert a hunt gives the same event (same id: the rule and the
//     event). Events need no order, so none is held.
//   - A sequence is fed to an eql.Sequencer in event-time order: each event
//     is held (Sequencer.Hold) until the watermark less the allowed
//     lateness passes it, then matched (Sequencer.Release) in timestamp,
//     tiebreaker and arrival order — the order a hunt sorts its input in —
//     so events arriving out of order within the allowed lateness give the
//     alerts in-order arrival gives. A sequence alerts at the Flush whose
//     release completes it (its alerts are a hunt's: building blocks and
//     shell, ids from its events); a missing-event stage is decided only
//     once released time passes its maxspan. An event held after time
//     passed it (later than the allowed lateness) is matched at once, out
//     of order, and counted late. State is bounded by maxspan (pending
//     sequences expire as released time passes) and by MaxGroups: pending
//     sequences beyond it are dropped oldest first (counted:
//     RuleStats.SequencesDropped), held events beyond it refused (counted
//     as Overflow, as an ES|QL rule's events past its group limit).
//   - Restart: the checkpoint keeps how far each sequence rule was released
//     (RuleState.Closed); the spool is replayed from that less maxspan
//     (OpenHorizon), which rebuilds every sequence that can still complete,
//     and sequences decided by the checkpointed time (reported before the
//     crash) are not reported again. Those decided after it are derived
//     again with the ids they had, so the store sees no new alert.
//
// Exceptions and the rule's filters (rule.filters) keep events out before
// either mode sees them, as in a hunt.
//
// Scheduled rules run as Kibana's EQL rule executor does, and as
// EQLHunt.Replay replays them: every interval over [now - lookback, now]
// (with catch-up windows), max_signals per window, alert ids independent
// of the run.

import (
	"math"
	"time"

	"vigil/internal/doc"
	"vigil/internal/eql"
	"vigil/internal/exception"
)

// liveEQLRule is an EQL rule in the live engine.
type liveEQLRule struct {
	r                  *EQLRule
	mode               Mode
	interval, lookback int64
	// real time: an event query's matches since the last Flush; a
	// sequence's Sequencer and how far it was released (ms; MinInt64:
	// never), and quiet, the released time of the checkpoint a restart
	// came from (sequences decided by then were reported).
	matched         []*doc.Document
	seq             *eql.Sequencer
	released, quiet int64
	// scheduled
	buf                                     []bufferedDoc
	lastRun, nextRun                        int64
	late, expired, future, noTime, overflow int64
	matchedEvents                           int64 // RuleStats.Matched
	excepted                                []int64
}

// AddEQL adds EQL rules to the engine (before the first Push), each in the
// mode LiveOptions.Mode gives it — but a sample query always runs on its
// schedule, as Kibana runs it: its stages are unordered, so no event tells
// in real time that a sample's set is final.
func (l *Live) AddEQL(rules []*EQLRule) {
	for _, er := range rules {
		m := Realtime
		if l.opts.Mode != nil {
			m = l.opts.Mode(er.Rule)
		}
		if er.Query.IsSample() {
			m = Scheduled
		}
		r := &liveEQLRule{r: er, mode: m, interval: er.Rule.Interval.Milliseconds(), lookback: er.Rule.Lookback.Milliseconds(),
			released: math.MinInt64, quiet: math.MinInt64}
		if m == Realtime {
			if r.seq = er.Query.NewSequencer(); r.seq != nil && l.opts.MaxGroups < math.MaxInt {
				r.seq.MaxPending = l.opts.MaxGroups
			}
		}
		l.eql = append(l.eql, r)
	}
}

// SetEQLExceptions replaces the applied exceptions of the live EQL rule er
// (engine goroutine only), as SetExceptions does for an ES|QL rule.
func (l *Live) SetEQLExceptions(er *EQLRule, a *exception.Applied) {
	er.Exceptions = a
	for _, r := range l.eql {
		if r.r == er {
			r.excepted = nil
		}
	}
}

// pushEQL routes a document (of index) to the EQL rules reading it and
// reports whether any does.
func (l *Live) pushEQL(d *doc.Document, index string, at *eventArrival) bool {
	routed := false
	for _, r := range l.eql {
		if !r.r.reads(index) {
			continue
		}
		routed = true
		t, ok := l.admit(d, r.r.Rule, at, &r.noTime, &r.future) // Elasticsearch's EQL never returns an event without time either
		if !ok {
			continue
		}
		counts := &r.excepted
		if l.Replaying {
			counts = nil
		}
		if exceptedBy(r.r.Exceptions, d, counts) || r.r.filteredOut(d) {
			continue
		}
		accepted := r.r.Query.Candidate(d) // its per-event condition: a rule's events matched
		if accepted && !l.Replaying {
			r.matchedEvents++
		}
		floor := min(l.floor, l.admitted)
		if r.mode == Scheduled {
			floor = scheduledFloorOf(r.lastRun, r.interval, r.lookback)
		}
		switch {
		case t < floor && (r.seq != nil || r.mode == Scheduled): // event queries need no history
			if !l.Replaying {
				r.expired++
				if l.opts.OnLate != nil {
					l.opts.OnLate(r.r.Rule, d, t)
				}
			}
		case r.mode == Scheduled:
			switch {
			case !accepted: // only candidates can take part in results (as EQLHunt keeps)
			case len(r.buf) >= l.opts.MaxGroups:
				r.overflow++
			default:
				r.buf = append(r.buf, bufferedDoc{t, d})
			}
		case r.seq == nil:
			if accepted {
				r.matched = append(r.matched, d)
			}
		case r.seq.Held() >= l.opts.MaxGroups:
			r.overflow++
		default:
			if t < r.released && !l.Replaying {
				r.late++
			}
			r.seq.Hold(d)
		}
	}
	return routed
}

// endOfMilli is the last nanosecond of millisecond ms.
func endOfMilli(ms int64) int64 {
	if ms == math.MinInt64 {
		return math.MinInt64
	}
	return ms*1e6 + 999_999
}

// flushEQL raises the real-time EQL rules' alerts: event queries' matches,
// and the sequences released time completes.
func (l *Live) flushEQL(now time.Time) []Update {
	var out []Update
	lateness := l.opts.AllowedLateness.Milliseconds()
	for _, r := range l.eql {
		if r.mode != Realtime {
			continue
		}
		for _, d := range r.matched {
			t, _ := eventTime(d, r.r.Rule.TimestampField)
			a := eventAlert(r.r.Rule, d, l.eqlExecution(r, t, now))
			mergeEventSources([]*Alert{a}, []*doc.Document{d})
			out = append(out, Update{Alert: a, Run: time.UnixMilli(t).UTC(), Final: true})
		}
		clear(r.matched)
		r.matched = r.matched[:0]
		if r.seq == nil || l.watermark == math.MinInt64 {
			continue
		}
		r.released = max(r.released, l.watermark-lateness)
		for _, s := range r.seq.Release(endOfMilli(r.released)) {
			if s.DecidedAt() <= endOfMilli(r.quiet) {
				continue // reported before the restart
			}
			var events []*doc.Document
			t := int64(math.MinInt64)
			for _, d := range s.Events {
				if d != nil {
					events = append(events, d)
					if et, ok := eventTime(d, r.r.Rule.TimestampField); ok {
						t = max(t, et)
					}
				}
			}
			alerts := sequenceAlerts(r.r.Rule, s, l.eqlExecution(r, t, now))
			mergeEventSources(alerts, events)
			for _, a := range alerts {
				out = append(out, Update{Alert: a, Run: time.UnixMilli(t).UTC(), Final: true})
			}
		}
	}
	return out
}

// eqlExecution is a real-time EQL alert's execution: named for the event
// time (ms) that raised it, so a restart deriving it again names it alike.
func (l *Live) eqlExecution(r *liveEQLRule, t int64, now time.Time) Execution {
	return Execution{UUID: l.opts.ExecUUID(r.r.Rule.RuleID, time.UnixMilli(t).UTC()), Time: now, Indices: r.r.index}
}

// tickEQL runs the scheduled EQL rules due at now (see Tick).
func (l *Live) tickEQL(now time.Time) ([]Update, []RunReport) {
	var out []Update
	var reports []RunReport
	nowMs := now.UnixMilli()
	for _, r := range l.eql {
		if r.mode != Scheduled || (r.lastRun != 0 && nowMs < r.nextRun) {
			continue
		}
		execUUID := l.opts.ExecUUID(r.r.Rule.RuleID, now)
		seen := map[string]bool{}
		wins := scheduleWindows(nowMs, r.lastRun, r.interval, r.lookback)
		for i := len(wins) - 1; i >= 0; i-- {
			w := wins[i]
			var events []*doc.Document
			for _, b := range r.buf {
				if b.t >= w.from && b.t <= w.to { // Kibana's range filter: gte and lte
					events = append(events, b.d)
				}
			}
			rep := RunReport{Rule: r.r.Rule.Name, Time: now, From: time.UnixMilli(w.from).UTC(), To: time.UnixMilli(w.to).UTC(), Events: int64(len(events))}
			ex := Execution{UUID: execUUID, Time: now, From: rep.From, To: rep.To, Indices: r.r.index}
			var alerts []*Alert
			alerts, rep.Rows, rep.Truncated = r.r.runAlerts(events, ex, seen)
			mergeEventSources(alerts, events)
			rep.Alerts = len(alerts)
			for _, a := range alerts {
				out = append(out, Update{Alert: a, Run: now, Final: true})
			}
			reports = append(reports, rep)
		}
		r.lastRun, r.nextRun = nowMs, nowMs+r.interval
		r.buf = keepFrom(r.buf, scheduledFloorOf(r.lastRun, r.interval, r.lookback))
	}
	return out, reports
}

// eqlNextTick is when a scheduled EQL rule is next due (ms): 0 for none,
// math.MinInt64 for one never run (due now).
func (l *Live) eqlNextTick() int64 {
	var next int64
	for _, r := range l.eql {
		switch {
		case r.mode != Scheduled:
		case r.lastRun == 0:
			return math.MinInt64
		case next == 0 || r.nextRun < next:
			next = r.nextRun
		}
	}
	return next
}

// eqlFloor is the oldest event time the EQL rules still evaluate (ms), for
// Floor; math.MaxInt64 when there is none.
func (l *Live) eqlFloor() int64 {
	f := int64(math.MaxInt64)
	for _, r := range l.eql {
		if r.mode == Scheduled {
			f = min(f, scheduledFloorOf(r.lastRun, r.interval, r.lookback))
		} else {
			f = min(f, l.floor)
		}
	}
	return f
}

// eqlHorizon is the oldest event time (ms) the EQL rules need the spool to
// keep (all for a restart to rebuild the sequences that can still
// complete), for Horizon (open: OpenHorizon, what a restart replays);
// math.MaxInt64 when none.
func (l *Live) eqlHorizon(open bool) int64 {
	h := int64(math.MaxInt64)
	now := l.opts.Clock.Now().UnixMilli()
	floor := min(l.floor, l.admitted)
	for _, r := range l.eql {
		switch {
		case r.mode == Scheduled && open:
			h = min(h, scheduledFloorOf(r.lastRun, r.interval, r.lookback))
		case r.mode == Scheduled:
			h = min(h, now-r.lookback-maxRuleGapRatio*r.interval)
		case r.seq == nil:
			// An event query alerts as its events come: a restart replays
			// only what was not pushed (by spool position).
			if !open {
				h = min(h, floor)
			}
		case r.released == math.MinInt64:
			return math.MinInt64
		case r.r.Query.MaxSpan() > 0:
			h = min(h, r.released-r.r.Query.MaxSpan().Milliseconds())
		default: // no maxspan: sequences as old as the retention may complete
			h = min(h, floor)
		}
	}
	return h
}

// eqlState adds the EQL rules' checkpoint: how far each real-time rule was
// released, when each scheduled one last ran.
func (l *Live) eqlState(st *Checkpoint) {
	for _, r := range l.eql {
		st.Rules[r.r.Rule.RuleID] = RuleState{Closed: r.released, LastRun: r.lastRun}
	}
}

// eqlRestore applies a checkpoint to the EQL rules (see Restore): a
// sequence rule's released time, held to the restored watermark, becomes
// its quiet time too.
func (l *Live) eqlRestore(st Checkpoint) {
	lateness := l.opts.AllowedLateness.Milliseconds()
	for _, r := range l.eql {
		s, ok := st.Rules[r.r.Rule.RuleID]
		if !ok {
			continue
		}
		if r.seq != nil && s.Closed != math.MinInt64 && s.Closed != 0 && l.watermark != math.MinInt64 {
			r.released = min(s.Closed, l.watermark-lateness)
			r.quiet = r.released
		}
		if s.LastRun != 0 {
			r.lastRun, r.nextRun = s.LastRun, s.LastRun+r.interval
		}
	}
}

// eqlStats reports the EQL rules' live state.
func (l *Live) eqlStats() []RuleStats {
	var out []RuleStats
	for _, r := range l.eql {
		s := RuleStats{RuleID: r.r.Rule.RuleID, Name: r.r.Rule.Name, Mode: r.mode, Monotone: true,
			Late: r.late, Expired: r.expired, Future: r.future, NoTime: r.noTime, Overflow: r.overflow, Matched: r.matchedEvents,
			Exceptions: exceptionCounts(r.r.Exceptions, r.excepted, nil)}
		switch {
		case r.mode == Scheduled:
			s.Groups = len(r.buf)
		case r.seq != nil:
			s.Groups = r.seq.Pending() + r.seq.Held()
			s.SequencesDropped = int64(r.seq.Dropped)
		}
		out = append(out, s)
	}
	return out
}
