package engine

import (
	"time"

	"vigil/internal/doc"
)

// Replay runs the hunt's EQL event-query rules as Kibana's scheduler would
// (see Replay for the ES|QL rules): a run every rule interval, aligned to
// multiples of it since the epoch, each searching [run - lookback, run] on
// the rule's timestamp field (both ends inclusive) with max_signals as the
// search size — the first matches in timestamp, tiebreaker and input
// order, as Kibana's EQL search (build_eql_search_request.ts: a range
// filter on the run's window, size max_signals) returns them. Event alert
// ids do not depend on the run, so an event two overlapping runs find
// alerts once. Sequence rules are not replayed: they are returned in
// skipped. RunReport.Events counts the run's candidate events (the
// matches, after exceptions), not every event of its indices.
func (h *EQLHunt) Replay(execUUID func(rule string, at time.Time) string) (alerts []*Alert, reports []RunReport, skipped []*EQLRule) {
	for _, r := range h.rules {
		if r.r.Query.IsSequence() {
			skipped = append(skipped, r.r)
			continue
		}
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
			events := runs[at]
			if len(events) > 0 {
				res := r.r.Query.Search(events)
				rep.Events, rep.Rows, rep.Truncated = int64(len(events)), len(res.Events), len(events)-len(res.Events)
				ex := Execution{UUID: execUUID(r.r.Rule.RuleID, runTime), Time: runTime, From: rep.From, To: rep.To, Indices: r.r.index}
				for _, d := range res.Events {
					a := eventAlert(r.r.Rule, d, ex)
					if !seen[a.ID] {
						seen[a.ID] = true
						alerts = append(alerts, a)
						rep.Alerts++
					}
				}
			}
			reports = append(reports, rep)
			delete(runs, at)
		}
	}
	return alerts, reports, skipped
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
