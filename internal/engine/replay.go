package engine

import (
	"fmt"
	"sort"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
)

// Replay simulates Kibana's scheduler over recorded events: a run every rule
// interval, each querying [run - lookback, run] on the rule's timestamp
// field (both ends inclusive, as Kibana's range filter is), keeping at most
// max_signals alerts per run. Run times are aligned to multiples of the
// interval since the Unix epoch, so a replay is reproducible whatever the
// input order. Every run stays open until Finish.
//
// Rules whose runs can share work take the shared path (replay_slices.go):
// each event is evaluated once and runs merge per-slice states. The others
// take the reference path here: each event is routed to, and evaluated by,
// every run whose range holds it.
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
	// Reference runs every rule on the reference path (for differential
	// tests and measurements).
	Reference bool
	// rescanning: Rescan switched some rules to the reference path, and
	// Push feeds only those.
	rescanning bool
	// readers lists by index the rules whose FROM reads it: matching the
	// patterns for every event and rule is costly.
	readers map[string][]*replayRule
}

type replayRule struct {
	cr       *CompiledRule
	decided  bool                 // the path is chosen (on the first Push)
	fast     *sliceReplay         // the shared path, or nil
	runs     map[int64]*replayRun // the reference path's runs, by run time in ms
	noTime   int64                // documents in scope with no usable timestamp
	rescan   bool                 // re-read on the reference path (Rescan)
	excepted []int64              // source events removed per exception item
	// exceptedRows counts per output-stage item the alerts it removed:
	// each group once (once per run range under KibanaDuplicates), as
	// alerts are raised (see add).
	exceptedRows []int64
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
		if !rp.rescanning {
			rp.Unindexed++
		}
		return
	}
	if rp.readers == nil {
		rp.readers = map[string][]*replayRule{}
	}
	for _, r := range readersOf(rp.readers, rp.rules, func(r *replayRule) *esql.Query { return r.cr.Query }, index, stream) {
		if rp.rescanning && !r.rescan {
			continue
		}
		q := r.cr.Query
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
		if !r.decided {
			r.decided = true
			if !rp.Reference && !r.rescan && shareable(q, rp.Catalog != nil) {
				r.fast = newSliceReplay(interval, lookback)
			}
		}
		if r.fast != nil {
			r.fast.push(q, d, t)
			continue
		}
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

// Rescan is called after the input was read once. Rules on the shared path
// whose events did not arrive in time order switch to the reference path,
// whose results follow input order exactly; it returns their names, and when
// there are any the caller pushes the whole input again (only those rules
// take it). A caller that cannot read the input again (stdin) skips Rescan:
// those rules' results are then those of a time-sorted input (the same
// rows, groups in time order).
func (rp *Replay) Rescan() []string {
	names := rp.Unordered()
	for _, r := range rp.rules {
		if r.fast != nil && r.fast.unordered {
			*r = replayRule{cr: r.cr, decided: true, runs: map[int64]*replayRun{}, rescan: true}
		}
	}
	rp.rescanning = len(names) > 0
	return names
}

// Unordered names the rules on the shared path whose events did not arrive
// in time order (what Rescan would move).
func (rp *Replay) Unordered() []string {
	var names []string
	for _, r := range rp.rules {
		if r.fast != nil && r.fast.unordered {
			names = append(names, r.cr.Rule.Name)
		}
	}
	return names
}

// runQuery is the query a run executes: compiled for the run's instant when
// it calls NOW(), else the rule's shared compiled query.
func (rp *Replay) runQuery(r *replayRule, at int64) *esql.Query {
	if rp.Catalog == nil || !r.cr.Query.UsesNow() {
		return r.cr.Query
	}
	cr, err := Compile(r.cr.Rule, rp.Catalog, esql.Options{Now: time.UnixMilli(at).UTC(), MemoryLimit: r.cr.Query.MemoryLimit()})
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
		rr := &runAlerts{rp: rp, r: r, seen: map[string]bool{}, hidden: map[string]bool{}, by: r.cr.Query.GroupBy(), execUUID: execUUID}
		var err error
		if r.fast != nil {
			err = rr.fromSlices()
		} else {
			err = rr.fromRuns()
		}
		if err != nil {
			return nil, nil, err
		}
		alerts, reports = append(alerts, rr.alerts...), append(reports, rr.reports...)
	}
	return alerts, reports, nil
}

// Exceptions lists, after Finish, what each exception item removed from
// each rule with exceptions: source events (each once, however many runs
// its time falls in) and alerts (each hidden alert once, as each alert is
// raised once). Rules in the order NewReplay was given them.
func (rp *Replay) Exceptions() []RuleExceptions {
	var out []RuleExceptions
	for _, r := range rp.rules {
		if c := r.cr.exceptionCounts(r.excepted, r.exceptedRows); c != nil {
			out = append(out, RuleExceptions{Rule: r.cr.Rule, Counts: c})
		}
	}
	return out
}

// runAlerts turns one rule's run results into reports and alerts.
type runAlerts struct {
	rp       *Replay
	r        *replayRule
	seen     map[string]bool // alert ids raised
	hidden   map[string]bool // group keys (with the range, under KibanaDuplicates) an exception removed
	by       []string
	execUUID func(rule string, at time.Time) string
	alerts   []*Alert
	reports  []RunReport
}

func (rr *runAlerts) report(at int64) RunReport {
	runTime := time.UnixMilli(at).UTC()
	return RunReport{Rule: rr.r.cr.Rule.Name, Time: runTime, From: runTime.Add(-rr.r.cr.Rule.Lookback), To: runTime}
}

// add records a run that saw events: res is its result, and repeat says
// that the previous run had the very same result (same events), so that,
// alert ids not depending on the run, every row is a duplicate already.
func (rr *runAlerts) add(rep RunReport, events int64, res *esql.Result, repeat bool) {
	cr := rr.r.cr
	rep.Events, rep.Rows, rep.Warnings = events, len(res.Rows), res.Warnings
	fresh := !repeat || rr.rp.KibanaDuplicates
	rows := res.Rows
	if cr.Exceptions != nil && cr.Exceptions.Output.Len() > 0 {
		rows = nil
		for _, row := range res.Rows {
			i := cr.exceptedRow(res.Columns, row)
			if i < 0 {
				rows = append(rows, row)
				continue
			}
			// Counted once per alert it hides, as alerts are raised once
			// however many overlapping runs find the row.
			key := groupKey(res.Columns, row, rr.by)
			if rr.rp.KibanaDuplicates {
				key += "\x00" + rep.From.String() + "/" + rep.To.String()
			}
			if fresh && !rr.hidden[key] {
				rr.hidden[key] = true
				if rr.r.exceptedRows == nil {
					rr.r.exceptedRows = make([]int64, cr.Exceptions.Output.Len())
				}
				rr.r.exceptedRows[i]++
			}
		}
	}
	if max := cr.Rule.MaxSignals; len(rows) > max {
		rep.Truncated = len(rows) - max
		rows = rows[:max]
	}
	if fresh {
		ex := Execution{UUID: rr.execUUID(cr.Rule.RuleID, rep.Time), Time: rep.Time, From: rep.From, To: rep.To, KibanaIDs: rr.rp.KibanaDuplicates, Indices: cr.Query.IndexPatterns()}
		for _, row := range rows {
			a := BuildAlert(cr.Rule, res.Columns, row, rr.by, ex)
			if rr.seen[a.ID] {
				continue
			}
			rr.seen[a.ID] = true
			rr.alerts = append(rr.alerts, a)
			rep.Alerts++
		}
	}
	rr.reports = append(rr.reports, rep)
}

// fromRuns is the reference path: each run finishes its own execution.
func (rr *runAlerts) fromRuns() error {
	r := rr.r
	if len(r.runs) == 0 {
		return nil
	}
	var times []int64
	for at := range r.runs {
		times = append(times, at)
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	interval := r.cr.Rule.Interval.Milliseconds()
	for at := times[0]; at <= times[len(times)-1]; at += interval {
		rep := rr.report(at)
		run := r.runs[at]
		if run == nil {
			rr.reports = append(rr.reports, rep)
			continue
		}
		res, err := run.exec.Finish()
		if err != nil {
			return fmt.Errorf("rule %q run at %s: %w", r.cr.Rule.Name, rep.Time.Format(time.RFC3339), err)
		}
		rr.add(rep, run.events, res, false)
		delete(r.runs, at) // release the run's state
	}
	return nil
}

// fromSlices is the shared path: runs over the same slices share a result.
func (rr *runAlerts) fromSlices() error {
	r := rr.r
	idx := r.fast.sorted()
	sr := r.fast.results(r.cr.Query, idx)
	err := r.fast.runs(idx, func(at int64, run sliceRun) error {
		rep := rr.report(at)
		if run.lo > run.hi {
			rr.reports = append(rr.reports, rep)
			return nil
		}
		res, err := sr.result(run)
		if err != nil {
			return fmt.Errorf("rule %q run at %s: %w", r.cr.Rule.Name, rep.Time.Format(time.RFC3339), err)
		}
		rr.add(rep, sr.events(run), res, !sr.fresh)
		return nil
	})
	for _, sl := range r.fast.slices {
		sl.exec.Release() // what merging did not hand on to a finished copy
	}
	r.fast = nil
	return err
}
