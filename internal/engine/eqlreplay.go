package engine

import (
	"time"

	"vigil/internal/doc"
)

// Replay runs the hunt's EQL rules as Kibana's scheduler would (see Replay
// for the ES|QL rules): a run every rule interval, aligned to multiples of
// it since the epoch, each searching [run - lookback, run] on the rule's
// timestamp field (both ends inclusive) with max_signals as the search
// size — the first matches (events, or sequences or samples found within
// the run's window) in timestamp, tiebreaker and input order, as Kibana's EQL search
// (build_eql_search_request.ts: a range filter on the run's window, size
// max_signals) returns them. Alert ids do not depend on the run (an
// event's is the rule and the event, a sequence's its events'), so what
// two overlapping runs find alerts once. RunReport.Events counts the run's
// candidate events (after exceptions: eql.Query.Candidate's), not every
// event of its indices.
func (h *EQLHunt) Replay(execUUID func(rule string, at time.Time) string) (alerts []*Alert, reports []RunReport) {
	for _, r := range h.rules {
		interval := r.r.Rule.Interval.Milliseconds()
		lookback := r.r.Rule.Lookback.Milliseconds()
		runs := map[int64][]*doc.Document{}
		first, last := int64(0), int64(0)
		for _, d := range r.events {
			t, ok := eventTime(d, r.r.Rule.TimestampField)
			if !ok {
				continue
			}
			for at := ceilDiv(t, interval) * interval; at <= t+lookback; at += interval {
				if len(runs) == 0 || at < first {
					first = at
				}
				if len(runs) == 0 || at > last {
					last = at
				}
				runs[at] = append(runs[at], d)
			}
		}
		if len(runs) == 0 {
			continue
		}
		seen := map[string]bool{}
		for at := first; at <= last; at += interval {
			runTime := time.UnixMilli(at).UTC()
			rep := RunReport{Rule: r.r.Rule.Name, Time: runTime, From: runTime.Add(-r.r.Rule.Lookback), To: runTime}
			if events := runs[at]; len(events) > 0 {
				ex := Execution{UUID: execUUID(r.r.Rule.RuleID, runTime), Time: runTime, From: rep.From, To: rep.To, Indices: r.r.index}
				var a []*Alert
				a, rep.Rows, rep.Truncated = r.r.runAlerts(events, ex, seen)
				alerts = append(alerts, a...)
				rep.Events, rep.Alerts = int64(len(events)), len(a)
			}
			reports = append(reports, rep)
			delete(runs, at)
		}
	}
	return alerts, reports
}

// runAlerts is one scheduled run of the rule over the events of its
// window (input order): the search, capped by max_signals, and its alerts
// as a hunt builds them, but for those whose id is in seen (found by an
// earlier run), which it records. rows counts the results (events or
// sequences); truncated, for an event query, the matches max_signals left
// out.
func (r *EQLRule) runAlerts(events []*doc.Document, ex Execution, seen map[string]bool) (alerts []*Alert, rows, truncated int) {
	res := r.Query.Search(events)
	add := func(a *Alert) {
		if !seen[a.ID] {
			seen[a.ID] = true
			alerts = append(alerts, a)
		}
	}
	if r.Query.HasStages() { // a sequence or a sample
		for _, s := range res.Sequences {
			for _, a := range sequenceAlerts(r.Rule, s, ex) {
				add(a)
			}
		}
		return alerts, len(res.Sequences), 0
	}
	for _, d := range res.Events {
		add(eventAlert(r.Rule, d, ex))
	}
	return alerts, len(res.Events), len(events) - len(res.Events)
}

// Exceptions lists what each exception item removed from each EQL rule
// with exceptions (source events, each once), for a replay's summary.
func (h *EQLHunt) Exceptions() []RuleExceptions {
	var out []RuleExceptions
	for _, r := range h.rules {
		if c := exceptionCounts(r.r.Exceptions, r.excepted, nil); c != nil {
			out = append(out, RuleExceptions{Rule: r.r.Rule, Counts: c})
		}
	}
	return out
}
