package engine

import (
	"fmt"
	"math"
	"sort"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// Live evaluates rules over an unbounded event stream, for `vigil serve`.
//
// Real-time rules use the same runs as Replay — one every rule interval,
// aligned to the epoch, each over [run - lookback, run] on the rule's
// timestamp — but evaluate them while they are still filling: a monotone
// query (see monotone) is evaluated on Flush whenever a run gained events,
// so its alert exists the moment its condition holds, and is updated as the
// run grows; every run is evaluated a last time ("final") once the
// watermark — the newest event time seen — passes its end by the allowed
// lateness. Alert ids are Kibana-independent (rule and group), so a group
// seen by two overlapping runs is one alert.
//
// Scheduled rules run as Kibana's task manager would on Tick: every
// interval of the clock over [now - lookback, now], with Kibana's catch-up
// windows after downtime and max_signals per window, with per-range alert
// ids as Kibana's.
//
// Live is not safe for concurrent use: the service drives it from one
// goroutine.
type Live struct {
	opts      LiveOptions
	rules     []*liveRule
	watermark int64
	// Replaying suppresses late accounting while the spool is replayed
	// after a restart (those events were counted when they first came).
	Replaying bool
	Unindexed int64
}

// Mode is how the live engine evaluates a rule.
type Mode int

const (
	Realtime Mode = iota
	Scheduled
)

func (m Mode) String() string {
	if m == Scheduled {
		return "scheduled"
	}
	return "realtime"
}

// Clock is the wall clock; tests fake it.
type Clock interface{ Now() time.Time }

// SystemClock is time.Now.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// LiveOptions configure a Live engine.
type LiveOptions struct {
	Mode            func(*rule.Rule) Mode // nil: every rule real-time
	AllowedLateness time.Duration
	// MaxGroups caps the live STATS groups (or buffered rows) per rule:
	// past it, events that would add state are refused and counted
	// (RuleStats.Overflow) instead of growing memory.
	MaxGroups     int
	IndexFallback string
	Clock         Clock
	// ExecUUID names a run's kibana.alert.rule.execution.uuid.
	ExecUUID func(ruleID string, at time.Time) string
	// MaxFutureSkew: an event stamped further than this ahead of the clock
	// is still evaluated but does not move the watermark, so one bad clock
	// cannot close every window (default 1h).
	MaxFutureSkew time.Duration
	// OnLate receives events too late for every run of a real-time rule.
	OnLate func(r *rule.Rule, d *doc.Document, eventTime int64)
}

type liveRule struct {
	cr       *CompiledRule
	mode     Mode
	monotone bool
	interval int64
	lookback int64
	// real-time
	// windowed: the query's STATS groups are time windows of the rule's
	// timestamp (esql's WindowField), so windows older than cutoff are
	// finalised in each run (CloseWindows) and events older than it are late.
	windowed bool
	cutoff   int64
	runs     map[int64]*liveRun
	closed   int64 // newest run time already final; runs at or before it are gone
	late     int64
	noTime   int64
	overflow int64
	// scheduled
	buf     []bufferedDoc
	lastRun int64 // ms; 0 = never
	nextRun int64
}

type liveRun struct {
	at     int64
	exec   *esql.Execution
	events int64
	dirty  bool
}

type bufferedDoc struct {
	t int64
	d *doc.Document
}

// Update is an alert produced by the live engine: new, or a new version of
// one already produced (same ID).
type Update struct {
	Alert *Alert
	Run   time.Time // the run (window end) that produced it
	Final bool      // the run is closed: this is its last word
}

// NewLive prepares the engine.
func NewLive(rules []*CompiledRule, opts LiveOptions) *Live {
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if opts.ExecUUID == nil {
		opts.ExecUUID = func(ruleID string, at time.Time) string {
			return ruleID + "@" + at.UTC().Format(time.RFC3339Nano)
		}
	}
	if opts.MaxGroups <= 0 {
		opts.MaxGroups = math.MaxInt
	}
	if opts.MaxFutureSkew <= 0 {
		opts.MaxFutureSkew = time.Hour
	}
	l := &Live{opts: opts, watermark: math.MinInt64}
	for _, cr := range rules {
		m := Realtime
		if opts.Mode != nil {
			m = opts.Mode(cr.Rule)
		}
		l.rules = append(l.rules, &liveRule{
			cr: cr, mode: m, monotone: monotone(cr.Rule.Query), cutoff: math.MinInt64,
			windowed: cr.Query.WindowField() != "" && cr.Query.WindowField() == timestampField(cr.Rule),
			interval: cr.Rule.Interval.Milliseconds(), lookback: cr.Rule.Lookback.Milliseconds(),
			runs: map[int64]*liveRun{}, closed: math.MinInt64,
		})
	}
	return l
}

// Push routes one document to the rules whose FROM names its index and
// reports whether any took it.
func (l *Live) Push(d *doc.Document) bool {
	index := IndexOf(d, l.opts.IndexFallback)
	if index == "" {
		l.Unindexed++
		return false
	}
	if d.Index == "" {
		d.Index = index
	}
	stream := DataStreamOf(index)
	routed := false
	horizon := int64(math.MaxInt64) // newest credible event time, computed once
	for _, r := range l.rules {
		q := r.cr.Query
		if !q.MatchesIndex(stream) && (stream == index || !q.MatchesIndex(index)) {
			continue
		}
		routed = true
		t, ok := eventTime(d, r.cr.Rule.TimestampField)
		if !ok {
			r.noTime++ // Kibana's range filter never matches it either
			continue
		}
		if r.mode == Scheduled {
			if len(r.buf) >= l.opts.MaxGroups {
				r.overflow++
				continue
			}
			r.buf = append(r.buf, bufferedDoc{t, d})
			continue
		}
		if horizon == math.MaxInt64 {
			horizon = l.opts.Clock.Now().Add(l.opts.MaxFutureSkew).UnixMilli()
		}
		if t <= horizon {
			l.watermark = max(l.watermark, t)
		}
		if r.windowed && t < r.cutoff {
			// Its time window is final in every run: CloseWindows promised
			// the execution no such event.
			if !l.Replaying {
				r.late++
				if l.opts.OnLate != nil {
					l.opts.OnLate(r.cr.Rule, d, t)
				}
			}
			continue
		}
		pushed := false
		first := ceilDiv(t, r.interval) * r.interval
		for at := first; at <= t+r.lookback; at += r.interval {
			if at <= r.closed {
				continue
			}
			run := r.runs[at]
			if run == nil {
				if r.groups() >= l.opts.MaxGroups {
					r.overflow++
					continue
				}
				run = &liveRun{at: at, exec: q.NewExecution()}
				r.runs[at] = run
			} else if r.groups() >= l.opts.MaxGroups {
				r.overflow++
				continue
			}
			run.exec.Push(d)
			run.events++
			run.dirty = true
			pushed = true
		}
		if !pushed && first <= r.closed && !l.Replaying {
			r.late++
			if l.opts.OnLate != nil {
				l.opts.OnLate(r.cr.Rule, d, t)
			}
		}
	}
	return routed
}

// groups is the live state a rule holds, for the MaxGroups cap: open STATS
// groups (or buffered rows) over its open runs.
func (r *liveRule) groups() int {
	n := 0
	for _, run := range r.runs {
		n += execGroups(run.exec)
	}
	return n
}

// Flush evaluates real-time rules: runs that gained events (monotone rules
// only) and runs the watermark has closed. Updates come in run order per
// rule.
func (l *Live) Flush() ([]Update, error) {
	var out []Update
	idx := map[string]int{}
	now := l.opts.Clock.Now()
	lateness := l.opts.AllowedLateness.Milliseconds()
	for _, r := range l.rules {
		if r.mode != Realtime || len(r.runs) == 0 {
			continue
		}
		if cut := l.watermark - lateness; r.windowed && l.watermark != math.MinInt64 && cut > r.cutoff {
			// Finalise the time windows the watermark has passed: their
			// state is freed, their rows kept for the run's evaluation.
			r.cutoff = cut
			for _, run := range r.runs {
				run.exec.CloseWindows(cut)
			}
		}
		times := make([]int64, 0, len(r.runs))
		for at := range r.runs {
			times = append(times, at)
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		for _, at := range times {
			run := r.runs[at]
			final := l.watermark != math.MinInt64 && at+lateness <= l.watermark
			if !final && !(r.monotone && run.dirty) {
				continue
			}
			run.dirty = false
			var res *esql.Result
			var err error
			if final {
				res, err = run.exec.Finish()
			} else {
				res, err = peekExec(r.cr.Query, run.exec)
			}
			if err != nil {
				return out, fmt.Errorf("rule %q run at %s: %w", r.cr.Rule.Name, time.UnixMilli(at).UTC().Format(time.RFC3339), err)
			}
			out = mergeUpdates(out, l.alerts(r, res, at, now, final, false), idx)
			if final {
				delete(r.runs, at)
				r.closed = max(r.closed, at)
			}
		}
	}
	return out, nil
}

// mergeUpdates appends ups to out, replacing an earlier update of the same
// alert in this flush (overlapping runs see the same group): the latest run
// wins, final if either was. idx maps alert ids to positions in out.
func mergeUpdates(out, ups []Update, idx map[string]int) []Update {
	for _, u := range ups {
		if i, ok := idx[u.Alert.ID]; ok {
			u.Final = u.Final || out[i].Final
			out[i] = u
			continue
		}
		idx[u.Alert.ID] = len(out)
		out = append(out, u)
	}
	return out
}

// alerts builds a run's alerts, keeping max_signals of them as Kibana does.
func (l *Live) alerts(r *liveRule, res *esql.Result, at int64, now time.Time, final, kibanaIDs bool) []Update {
	runTime := time.UnixMilli(at).UTC()
	ex := Execution{UUID: l.opts.ExecUUID(r.cr.Rule.RuleID, runTime), Time: now,
		From: runTime.Add(-r.cr.Rule.Lookback), To: runTime, KibanaIDs: kibanaIDs, Indices: r.cr.Query.IndexPatterns()}
	rows := res.Rows
	if m := r.cr.Rule.MaxSignals; m > 0 && len(rows) > m {
		rows = rows[:m]
	}
	by := r.cr.Query.GroupBy()
	seen := map[string]bool{}
	var out []Update
	for _, row := range rows {
		a := BuildAlert(r.cr.Rule, res.Columns, row, by, ex)
		if seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		out = append(out, Update{Alert: a, Run: runTime, Final: final})
	}
	return out
}

// Tick runs every scheduled rule that is due at the clock's now, Kibana's
// way: the first run at once, then one per interval; a run late by more
// than the lookback covers the missed time with up to four catch-up
// windows, each stepped back one interval, oldest first (Kibana's
// getRuleRangeTuples / MAX_RULE_GAP_RATIO).
func (l *Live) Tick() ([]Update, []RunReport, error) {
	now := l.opts.Clock.Now().UTC()
	nowMs := now.UnixMilli()
	var out []Update
	var reports []RunReport
	for _, r := range l.rules {
		if r.mode != Scheduled || (r.lastRun != 0 && nowMs < r.nextRun) {
			continue
		}
		type window struct{ from, to int64 }
		wins := []window{{nowMs - r.lookback, nowMs}}
		if r.lastRun != 0 {
			gap := (nowMs - r.lastRun) - r.lookback
			if gap > 0 {
				n := min(ceilDiv(gap, r.interval), maxRuleGapRatio)
				for i := int64(1); i <= n; i++ {
					wins = append(wins, window{nowMs - r.lookback - i*r.interval, nowMs - i*r.interval})
				}
			}
		}
		execUUID := l.opts.ExecUUID(r.cr.Rule.RuleID, now)
		seen := map[string]bool{}
		for i := len(wins) - 1; i >= 0; i-- {
			w := wins[i]
			exec := r.cr.Query.NewExecution()
			var events int64
			for _, b := range r.buf {
				if b.t >= w.from && b.t <= w.to { // Kibana's range filter: gte and lte
					exec.Push(b.d)
					events++
				}
			}
			res, err := exec.Finish()
			if err != nil {
				return out, reports, fmt.Errorf("rule %q run at %s: %w", r.cr.Rule.Name, now.Format(time.RFC3339), err)
			}
			rep := RunReport{Rule: r.cr.Rule.Name, Time: now, From: time.UnixMilli(w.from).UTC(), To: time.UnixMilli(w.to).UTC(), Events: events, Rows: len(res.Rows), Warnings: res.Warnings}
			rows := res.Rows
			if m := r.cr.Rule.MaxSignals; m > 0 && len(rows) > m {
				rep.Truncated = len(rows) - m
				rows = rows[:m]
			}
			ex := Execution{UUID: execUUID, Time: now, From: rep.From, To: rep.To, KibanaIDs: true, Indices: r.cr.Query.IndexPatterns()}
			by := r.cr.Query.GroupBy()
			for _, row := range rows {
				a := BuildAlert(r.cr.Rule, res.Columns, row, by, ex)
				if seen[a.ID] {
					continue
				}
				seen[a.ID] = true
				rep.Alerts++
				out = append(out, Update{Alert: a, Run: now, Final: true})
			}
			reports = append(reports, rep)
		}
		r.lastRun, r.nextRun = nowMs, nowMs+r.interval
		// Keep what the next run and its possible catch-up windows can read.
		keep := nowMs + r.interval - r.lookback - maxRuleGapRatio*r.interval
		kept := r.buf[:0]
		for _, b := range r.buf {
			if b.t >= keep {
				kept = append(kept, b)
			}
		}
		clear(r.buf[len(kept):])
		r.buf = kept
	}
	return out, reports, nil
}

// maxRuleGapRatio is Kibana's cap on catch-up windows per run.
const maxRuleGapRatio = 4

// NextTick is when Tick next has work (zero when no rule is scheduled).
func (l *Live) NextTick() time.Time {
	var next int64
	for _, r := range l.rules {
		if r.mode != Scheduled {
			continue
		}
		if r.lastRun == 0 {
			return l.opts.Clock.Now()
		}
		if next == 0 || r.nextRun < next {
			next = r.nextRun
		}
	}
	if next == 0 {
		return time.Time{}
	}
	return time.UnixMilli(next)
}

// Horizon is the oldest event time (ms) any rule may still read: events
// older than it can leave the spool.
func (l *Live) Horizon() int64 {
	h := int64(math.MaxInt64)
	now := l.opts.Clock.Now().UnixMilli()
	for _, r := range l.rules {
		switch r.mode {
		case Realtime:
			// An event at t feeds runs up to t+lookback; once those are
			// final it is needed no more.
			if r.closed == math.MinInt64 {
				return math.MinInt64
			}
			h = min(h, r.closed-r.lookback+1)
		case Scheduled:
			h = min(h, now-r.lookback-maxRuleGapRatio*r.interval)
		}
	}
	return h
}

// Advance moves the watermark to an event time seen outside Push (events
// no rule's filters can pass are not pushed, but their time still counts).
func (l *Live) Advance(t int64) {
	if t <= l.opts.Clock.Now().Add(l.opts.MaxFutureSkew).UnixMilli() {
		l.watermark = max(l.watermark, t)
	}
}

// Watermark is the newest event time seen by a real-time rule (ms), or
// math.MinInt64.
func (l *Live) Watermark() int64 { return l.watermark }

// RuleState is what a checkpoint keeps per rule; open runs are rebuilt
// from the spool.
type RuleState struct {
	Closed  int64 `json:"closed"`
	LastRun int64 `json:"last_run,omitempty"`
}

// State returns the checkpoint, by rule_id.
func (l *Live) State() map[string]RuleState {
	st := map[string]RuleState{}
	for _, r := range l.rules {
		st[r.cr.Rule.RuleID] = RuleState{Closed: r.closed, LastRun: r.lastRun}
	}
	return st
}

// Restore applies a checkpoint before the spool is replayed.
func (l *Live) Restore(st map[string]RuleState) {
	for _, r := range l.rules {
		s, ok := st[r.cr.Rule.RuleID]
		if !ok {
			continue
		}
		r.closed = s.Closed
		if s.LastRun != 0 {
			r.lastRun, r.nextRun = s.LastRun, s.LastRun+r.interval
		}
	}
}

// RuleStats describes one rule's live state, for metrics and the API.
type RuleStats struct {
	RuleID   string
	Name     string
	Mode     Mode
	Monotone bool
	OpenRuns int
	Groups   int   // live STATS groups (or events buffered)
	Late     int64 // events too late for every run
	NoTime   int64 // events without a usable timestamp
	Overflow int64 // events refused by the MaxGroups cap
}

// Stats reports every rule's live state.
func (l *Live) Stats() []RuleStats {
	out := make([]RuleStats, 0, len(l.rules))
	for _, r := range l.rules {
		s := RuleStats{RuleID: r.cr.Rule.RuleID, Name: r.cr.Rule.Name, Mode: r.mode, Monotone: r.monotone,
			OpenRuns: len(r.runs), Late: r.late, NoTime: r.noTime, Overflow: r.overflow}
		if r.mode == Scheduled {
			s.Groups = len(r.buf)
		} else {
			s.Groups = r.groups()
		}
		out = append(out, s)
	}
	return out
}
