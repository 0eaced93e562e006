package engine

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
)

// Replay simulates Kibana's scheduler over recorded events: a run every
// rule interval, each querying [run - lookback, run] on the rule's timestamp
// field (both ends inclusive, as Kibana's range filter is), keeping at most
// max_signals alerts per run. Run times are aligned to multiples of the
// interval since the Unix epoch, so a replay is reproducible whatever the
// input order. Events are routed to every run whose range holds them, so
// input need not be sorted; every run stays open until Finish.
type Replay struct {
	rules []*replayRule
	// KibanaDuplicates gives alert ids that include each run's range, as
	// Kibana's do for aggregating rules, so a group seen by two overlapping
	// runs raises two alerts. Off: one alert per rule and group.
	KibanaDuplicates bool
	IndexFallback    string
	Unindexed        int64
	// Catalog, when set, lets runs of a rule whose query calls NOW() be
	// compiled with the run's own time, as each Kibana run evaluates it.
	Catalog *Catalog
}

type replayRule struct {
	cr       *CompiledRule
	runs     map[int64]*replayRun // by run time in ms
	noTime   int64                // documents in scope with no usable timestamp
	excepted []int64              // source events removed per exception item
}

type replayRun struct {
	at     int64 // run time, ms since the epoch
	exec   *esql.Execution
	events int64
}

// RunReport is one simulated rule run.
type RunReport struct {
	Rule      string
	Time      time.Time // when the run happens (the range's end)
	From, To  time.Time
	Events    int64 // documents in the run's range
	Rows      int   // query result rows
	Alerts    int   // alerts written by this run (after max_signals and de-duplication)
	Truncated int   // rows dropped by max_signals
	Warnings  []string
}

// NewReplay prepares a replay over the given rules.
func NewReplay(rules []*CompiledRule) *Replay {
	rp := &Replay{}
	for _, cr := range rules {
		rp.rules = append(rp.rules, &replayRule{cr: cr, runs: map[int64]*replayRun{}})
	}
	return rp
}

// Push routes a document to every run of every rule whose range holds it.
func (rp *Replay) Push(d *doc.Document) {
	index, stream, ok := route(d, rp.IndexFallback)
	if !ok {
		rp.Unindexed++
		return
	}
	for _, r := range rp.rules {
		q := r.cr.Query
		if !Reads(q, index, stream) {
			continue
		}
		t, ok := eventTime(d, r.cr.Rule.TimestampField)
		if !ok {
			r.noTime++
			continue
		}
		if r.cr.excepted(d, &r.excepted) {
			continue
		}
		interval := r.cr.Rule.Interval.Milliseconds()
		lookback := r.cr.Rule.Lookback.Milliseconds()
		// Runs at multiples of interval in [t, t+lookback].
		first := ceilDiv(t, interval) * interval
		for at := first; at <= t+lookback; at += interval {
			run := r.runs[at]
			if run == nil {
				run = &replayRun{at: at, exec: rp.runQuery(r, at).NewExecution()}
				r.runs[at] = run
			}
			run.events++
			run.exec.Push(d)
		}
	}
}

// runQuery is the query a run executes: compiled for the run's instant when
// it calls NOW(), else the rule's shared compiled query.
func (rp *Replay) runQuery(r *replayRule, at int64) *esql.Query {
	if rp.Catalog == nil || !strings.Contains(strings.ToUpper(r.cr.Rule.Query), "NOW(") {
		return r.cr.Query
	}
	cr, err := Compile(r.cr.Rule, rp.Catalog, esql.Options{Now: time.UnixMilli(at).UTC()})
	if err != nil {
		return r.cr.Query // it compiled once already; only NOW differs
	}
	return cr.Query
}

// eventTime reads the timestamp a rule's range filter uses: its
// timestamp_override when the document has it, else @timestamp (Kibana's
// fallback when the override field is missing).
func eventTime(d *doc.Document, override string) (int64, bool) {
	if override != "" {
		if v := d.Get(override); !v.IsNull() && !v.IsMulti() && v.T.IsTemporal() {
			return millis(v), true
		}
	}
	v := d.Get("@timestamp")
	if v.IsNull() || v.IsMulti() || !v.T.IsTemporal() {
		return 0, false
	}
	return millis(v), true
}

func millis(v doc.Value) int64 {
	if v.T == doc.DateNanos {
		return v.I / 1e6
	}
	return v.I
}

func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a > 0) == (b > 0) {
		q++
	}
	return q
}

// Finish runs every simulated run in time order and returns alerts (in run
// order) and one report per run, including runs that saw no events between
// the first and the last.
func (rp *Replay) Finish(execUUID func(rule string, at time.Time) string) ([]*Alert, []RunReport, error) {
	var alerts []*Alert
	var reports []RunReport
	for _, r := range rp.rules {
		if len(r.runs) == 0 {
			continue
		}
		var times []int64
		for at := range r.runs {
			times = append(times, at)
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		interval := r.cr.Rule.Interval.Milliseconds()
		seen := map[string]bool{}
		by := r.cr.Query.GroupBy()
		for at := times[0]; at <= times[len(times)-1]; at += interval {
			runTime := time.UnixMilli(at).UTC()
			rep := RunReport{Rule: r.cr.Rule.Name, Time: runTime, From: runTime.Add(-r.cr.Rule.Lookback), To: runTime}
			run := r.runs[at]
			if run == nil {
				reports = append(reports, rep)
				continue
			}
			res, err := run.exec.Finish()
			if err != nil {
				return nil, nil, fmt.Errorf("rule %q run at %s: %w", r.cr.Rule.Name, runTime.Format(time.RFC3339), err)
			}
			rep.Events, rep.Rows, rep.Warnings = run.events, len(res.Rows), res.Warnings
			ex := Execution{UUID: execUUID(r.cr.Rule.RuleID, runTime), Time: runTime, From: rep.From, To: rep.To, KibanaIDs: rp.KibanaDuplicates, Indices: r.cr.Query.IndexPatterns()}
			rows := r.cr.keptRows(res.Columns, res.Rows, nil)
			if max := r.cr.Rule.MaxSignals; len(rows) > max {
				rep.Truncated = len(rows) - max
				rows = rows[:max]
			}
			for _, row := range rows {
				a := BuildAlert(r.cr.Rule, res.Columns, row, by, ex)
				if seen[a.ID] {
					continue
				}
				seen[a.ID] = true
				alerts = append(alerts, a)
				rep.Alerts++
			}
			reports = append(reports, rep)
			delete(r.runs, at) // release the run's state
		}
	}
	return alerts, reports, nil
}
