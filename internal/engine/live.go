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
// watermark (see Watermarks: per source, combined so that no one source
// steers it, never past the wall clock) passes its end by the allowed
// lateness. Alert ids are Kibana-independent (rule and group), so a group
// seen by two overlapping runs is one alert, and real-time runs are not
// capped by max_signals (see LiveOptions.MaxAlertsPerWindow).
//
// Time is not the attacker's: an event stamped more than MaxFutureSkew
// ahead of the wall clock is quarantined (OnFuture) — it neither enters a
// window nor moves time. An event late for a window (its run is final, or
// its time window was finalised by CloseWindows) is not dropped: the runs
// it belongs to are marked, and Reevaluate rebuilds them from the events
// already taken (the service's spool), raising what the late event
// completes, marked late. Only events older than the watermark less the
// Retention are refused (OnLate).
//
// Scheduled rules run as Kibana's task manager would on Tick: every
// interval of the clock over [now - lookback, now], with Kibana's catch-up
// windows after downtime and max_signals per window, with per-range alert
// ids as Kibana's.
//
// EQL rules (AddEQL) run beside the ES|QL ones on the same time: see
// live_eql.go.
//
// Live is not safe for concurrent use: the service drives it from one
// goroutine.
type Live struct {
	opts  LiveOptions
	rules []*liveRule
	wm    *Watermarks
	// watermark is the combined watermark as of the last Flush (monotone);
	// floor the oldest event time still evaluated (watermark - Retention);
	// admitted the floor the ingest path applied to the events being
	// pushed (see Admit), which may lag floor.
	watermark, floor, admitted int64
	// Replaying suppresses late accounting and re-evaluation while the
	// spool is replayed after a restart (those events were handled when
	// they first came).
	Replaying bool
	Unindexed int64
	caps      []CapReport
	eql       []*liveEQLRule // see live_eql.go
	src       liveSources    // see live_sources.go
	// pinned: a partition of a Partitioned engine, whose watermark is the
	// one pin set over every partition's sources, not its own sources'.
	pinned     bool
	pinnedMark int64
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

// ModeOf is how the engine evaluates a rule.
func (l *Live) ModeOf(r *rule.Rule) Mode {
	if l.opts.Mode == nil {
		return Realtime
	}
	return l.opts.Mode(r)
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
	// (RuleStats.Overflow) instead of growing memory. Real-time rules
	// share it fairly between sources (see groupShare).
	MaxGroups     int
	IndexFallback string
	Clock         Clock
	// ExecUUID names a run's kibana.alert.rule.execution.uuid.
	ExecUUID func(ruleID string, at time.Time) string
	// MaxFutureSkew: an event stamped further than this ahead of the clock
	// is quarantined (OnFuture) — not evaluated, and it does not move time
	// (default DefaultFutureSkew).
	MaxFutureSkew time.Duration
	// Retention is how far behind the watermark (event time) a late event
	// is still evaluated: its runs are rebuilt from the events taken so far,
	// which the caller keeps that long (see Horizon). Older events are
	// refused (OnLate). Default DefaultRetention; negative: no limit.
	Retention time.Duration
	// MaxTerms caps the value combinations a new_terms rule keeps
	// (live_newterms.go; 0: DefaultMaxTerms).
	MaxTerms int
	// MaxSourceBytes caps the event sources kept between two Flushes for
	// query and new_terms rules' alerts (live_sources.go; 0:
	// DefaultMaxSourceBytes).
	MaxSourceBytes int64
	// MaxAlertsPerWindow caps a real-time run's distinct alerts (0: no cap,
	// the default — Kibana's max_signals protects Kibana's per-run writes,
	// and real-time alerts are not per run). Capped runs are reported
	// (TakeCaps). Scheduled rules keep max_signals per run, as Kibana.
	MaxAlertsPerWindow int
	// Watermark tunes the per-source watermarks (Skew is MaxFutureSkew).
	Watermark WatermarkOptions
	// OnLate receives events a real-time rule refuses as older than the
	// retention; OnFuture events quarantined as stamped in the future.
	OnLate, OnFuture func(r *rule.Rule, d *doc.Document, eventTime int64)
}

// DefaultRetention is how far behind the watermark late events are still
// evaluated by default: parallel shippers and agents catching up after an
// outage deliver hours-old batches, and what is kept costs only disk (the
// spool holds just the events some rule can read).
const DefaultRetention = 6 * time.Hour

// CapReport is a cap that kept alerts from being raised: a scheduled run's
// max_signals, or a real-time run's MaxAlertsPerWindow.
type CapReport struct {
	Rule     *rule.Rule
	Window   time.Time // the run's end
	From     time.Time // the run's start
	Cap      int
	Dropped  int // alerts not raised (so far, for a real-time run)
	Realtime bool
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
	late     int64 // events that re-opened runs
	expired  int64 // events older than the retention
	future   int64 // events quarantined as future-dated
	noTime   int64
	overflow int64
	// reopen holds the runs late events belong to, for Reevaluate.
	reopen map[int64]bool
	// Exceptions: source events and alerts removed per item.
	excepted, exceptedRows []int64
	// The group limit's accounting (see admits).
	groupShare
	// scheduled
	buf     []bufferedDoc
	lastRun int64 // ms; 0 = never
	nextRun int64
	// terms: a new_terms rule's seen combinations (live_newterms.go).
	terms *liveTerms
	// match decides the per-event stage once per event; matched counts
	// the events it passed (RuleStats.Matched).
	match   *esql.EventMatcher
	matched int64
}

type liveRun struct {
	at     int64
	exec   *esql.Execution
	events int64
	dirty  bool
	late   bool // rebuilt for a late event: its next alerts are marked late
	// emitted and dropped count alerts under MaxAlertsPerWindow.
	emitted map[string]bool
	dropped int
	// bySource is the groups each source added to exec (see admits).
	bySource map[string]int
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
	Late  bool      // produced by re-evaluating a run for late events
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
		opts.MaxFutureSkew = DefaultFutureSkew
	}
	if opts.Retention == 0 {
		opts.Retention = DefaultRetention
	}
	if opts.MaxTerms <= 0 {
		opts.MaxTerms = DefaultMaxTerms
	}
	if opts.MaxSourceBytes <= 0 {
		opts.MaxSourceBytes = DefaultMaxSourceBytes
	}
	opts.Watermark.Skew = opts.MaxFutureSkew
	l := &Live{opts: opts, wm: NewWatermarks(opts.Watermark), watermark: math.MinInt64, floor: math.MinInt64, admitted: math.MaxInt64}
	l.src.max = opts.MaxSourceBytes
	for _, cr := range rules {
		m := Realtime
		if opts.Mode != nil {
			m = opts.Mode(cr.Rule)
		}
		l.rules = append(l.rules, &liveRule{
			cr: cr, mode: m, monotone: monotone(cr.Query), cutoff: math.MinInt64,
			windowed: cr.Query.WindowField() != "" && cr.Query.WindowField() == timestampField(cr.Rule),
			interval: cr.Rule.Interval.Milliseconds(), lookback: cr.Rule.Lookback.Milliseconds(),
			runs: map[int64]*liveRun{}, closed: math.MinInt64, reopen: map[int64]bool{}, match: cr.Query.NewEventMatcher(),
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
	var at eventArrival
	for _, r := range l.rules {
		q := r.cr.Query
		if !q.MatchesIndex(stream) && (stream == index || !q.MatchesIndex(index)) {
			continue
		}
		routed = true
		t, ok := l.admit(d, r.cr.Rule, &at, &r.noTime, &r.future) // Kibana's range filter never matches an event without time either
		if !ok {
			continue
		}
		if r.except(d, l.Replaying) {
			continue
		}
		if !l.Replaying && (r.mode == Scheduled || r.cr.Rule.NewTerms != nil) && r.match.Match(d) {
			r.matched++ // real-time rules count as their runs decide (below)
		}
		if r.mode == Scheduled {
			if t < r.scheduledFloor() {
				// No run can read it any more (Kibana would miss it too): said,
				// not silently kept.
				if !l.Replaying {
					r.expired++
					if l.opts.OnLate != nil {
						l.opts.OnLate(r.cr.Rule, d, t)
					}
				}
				continue
			}
			if len(r.buf) >= l.opts.MaxGroups {
				r.overflow++
				continue
			}
			r.buf = append(r.buf, bufferedDoc{t, d})
			continue
		}
		if t < min(l.floor, l.admitted) {
			// Its runs can no longer be rebuilt: the spool let them go.
			if !l.Replaying {
				r.expired++
				if l.opts.OnLate != nil {
					l.opts.OnLate(r.cr.Rule, d, t)
				}
			}
			continue
		}
		passed := r.passed()
		if r.cr.Rule.NewTerms != nil {
			l.pushTerms(r, d)
		} else {
			// The first run's execution decides the per-event stage; only
			// an event no run took (late, refused) needs the matcher.
			if passed := l.pushRealtime(r, d, t, at.source); !l.Replaying && (passed > 0 || passed < 0 && r.match.Match(d)) {
				r.matched++
			}
		}
		if r.passed() > passed {
			l.src.keep(d)
		}
	}
	return l.pushEQL(d, index, &at) || routed
}

// eventArrival is what Push reads once per event for all its rules: the
// wall clock (ms) and the event's source.
type eventArrival struct {
	source           string
	clock            int64
	clocked, sourced bool
}

// admit reads an event's time for rule r (counted in noTime when it has
// none), quarantines it when stamped in the future (counted in future,
// offered to OnFuture) and else lets it advance its source's watermark;
// ok is false when the rule must skip the event.
func (l *Live) admit(d *doc.Document, r *rule.Rule, at *eventArrival, noTime, future *int64) (t int64, ok bool) {
	t, ok = eventTime(d, r.TimestampField)
	if !ok {
		*noTime++
		return 0, false
	}
	if !at.clocked {
		at.clock, at.clocked = l.opts.Clock.Now().UnixMilli(), true
	}
	if l.wm.Future(t, at.clock) {
		if !l.Replaying {
			*future++
			if l.opts.OnFuture != nil {
				l.opts.OnFuture(r, d, t)
			}
		}
		return 0, false
	}
	if !at.sourced {
		at.source, at.sourced = SourceOf(d), true
	}
	l.wm.Observe(at.source, t, at.clock)
	return t, true
}

// pushRealtime adds an event to the open runs whose range holds it, and
// marks for Reevaluate the runs it is late for: final runs, and — when its
// time window is already finalised (before the rule's cutoff) — every run,
// since their executions were promised no such event. It returns whether
// the first run that took the event passed it through the per-event stage
// (1, else 0), or -1 when no run took it.
func (l *Live) pushRealtime(r *liveRule, d *doc.Document, t int64, source string) int {
	lateWindow := r.windowed && t < r.cutoff
	late, refused := false, false
	passed := -1
	first := ceilDiv(t, r.interval) * r.interval
	for at := first; at <= t+r.lookback; at += r.interval {
		if at <= r.closed || lateWindow {
			late = true
			if !l.Replaying {
				r.reopen[at] = true
			}
			continue
		}
		if !r.admits(source, l.opts.MaxGroups) {
			refused = true
			continue
		}
		run := r.runs[at]
		if run == nil {
			run = &liveRun{at: at, exec: r.cr.Query.NewExecution()}
			r.runs[at] = run
		}
		before := run.exec.Matched()
		r.push(run, d, source)
		if passed < 0 {
			passed = 0
			if run.exec.Matched() > before {
				passed = 1
			}
		}
		run.events++
		run.dirty = true
	}
	if late && !l.Replaying {
		r.late++
	}
	if refused { // once per event, however many of its runs refused it
		r.overflow++
	}
	return passed
}

// Admit tells the engine the oldest event time the ingest path admitted
// for the events about to be pushed (it refuses older ones itself, on a
// floor read earlier): those events are evaluated even if the floor has
// moved since, and Horizon keeps what rebuilding them needs.
func (l *Live) Admit(floor int64) { l.admitted = floor }

// Floor is the oldest event time every rule still evaluates (ms), or
// math.MinInt64: for real-time rules the watermark less the retention, for
// scheduled ones the start of the oldest window their next run may query.
func (l *Live) Floor() int64 {
	f := l.eqlFloor()
	for _, r := range l.rules {
		if r.mode == Scheduled {
			f = min(f, r.scheduledFloor())
		} else {
			f = min(f, l.floor)
		}
	}
	if f == math.MaxInt64 {
		return math.MinInt64
	}
	return f
}

// scheduledFloor is the oldest event time a scheduled rule's next run (with
// its catch-up windows) may query; before the first run, anything.
func (r *liveRule) scheduledFloor() int64 {
	return scheduledFloorOf(r.lastRun, r.interval, r.lookback)
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
	defer l.src.reset()
	l.advance(now.UnixMilli())
	out = append(out, l.flushEQL(now)...)
	lateness := l.opts.AllowedLateness.Milliseconds()
	for _, r := range l.rules {
		if r.mode == Realtime && r.cr.Rule.NewTerms != nil {
			ups, err := l.flushTerms(r, now)
			if err != nil {
				return out, err
			}
			out = append(out, ups...)
			continue
		}
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
			late := run.late
			run.late = false
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
			out = mergeUpdates(out, l.alerts(r, run, res, at, now, final, late), idx)
			if final {
				r.release(run)
				delete(r.runs, at)
				r.closed = max(r.closed, at)
			}
		}
		r.publish()
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

// alerts builds a real-time run's alerts (run is nil for a final run
// rebuilt by Reevaluate). They are not capped unless MaxAlertsPerWindow
// says so; a cap that drops alerts is reported (TakeCaps).
func (l *Live) alerts(r *liveRule, run *liveRun, res *esql.Result, at int64, now time.Time, final, late bool) []Update {
	runTime := time.UnixMilli(at).UTC()
	ex := Execution{UUID: l.opts.ExecUUID(r.cr.Rule.RuleID, runTime), Time: now,
		From: runTime.Add(-r.cr.Rule.Lookback), To: runTime, Indices: r.cr.Query.IndexPatterns()}
	by := r.cr.Query.GroupBy()
	seen := map[string]bool{}
	limit := l.opts.MaxAlertsPerWindow
	if run == nil {
		run = &liveRun{} // a rebuilt final run: its own count
	}
	if limit > 0 && run.emitted == nil {
		run.emitted = map[string]bool{}
	}
	dropped := 0
	var out []Update
	for _, row := range r.keptRows(res, final) {
		a := BuildAlert(r.cr.Rule, res.Columns, row, by, ex)
		if seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		if r.cr.carriesSource() && !l.src.merge(a) {
			continue // raised before, with its source (live_sources.go)
		}
		if limit > 0 && !run.emitted[a.ID] {
			if len(run.emitted) >= limit {
				dropped++
				continue
			}
			run.emitted[a.ID] = true
		}
		if late {
			a.Fields[LateField] = true
		}
		out = append(out, Update{Alert: a, Run: runTime, Final: final, Late: late})
	}
	if dropped > run.dropped {
		run.dropped = dropped
		l.caps = append(l.caps, CapReport{Rule: r.cr.Rule, Window: runTime, From: ex.From, Cap: limit, Dropped: dropped, Realtime: true})
	}
	return out
}

// LateField marks an alert raised or changed by re-evaluating a run for
// late events.
const LateField = "vigil.alert.late"

// TakeCaps returns the caps applied since the last call.
func (l *Live) TakeCaps() []CapReport {
	c := l.caps
	l.caps = nil
	return c
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
		if r.cr.Rule.NewTerms != nil {
			ups, rep, err := l.tickTerms(r, now)
			if err != nil {
				return out, reports, err
			}
			out, reports = append(out, ups...), append(reports, rep)
			continue
		}
		wins := scheduleWindows(nowMs, r.lastRun, r.interval, r.lookback)
		execUUID := l.opts.ExecUUID(r.cr.Rule.RuleID, now)
		seen := map[string]bool{}
		for i := len(wins) - 1; i >= 0; i-- {
			w := wins[i]
			exec := r.cr.Query.NewExecution()
			var events int64
			var docs []*doc.Document // for alerts carrying their event's source
			for _, b := range r.buf {
				if b.t >= w.from && b.t <= w.to { // Kibana's range filter: gte and lte
					exec.Push(b.d)
					events++
					if r.cr.carriesSource() {
						docs = append(docs, b.d)
					}
				}
			}
			res, err := exec.Finish()
			if err != nil {
				return out, reports, fmt.Errorf("rule %q run at %s: %w", r.cr.Rule.Name, now.Format(time.RFC3339), err)
			}
			rep := RunReport{Rule: r.cr.Rule.Name, Time: now, From: time.UnixMilli(w.from).UTC(), To: time.UnixMilli(w.to).UTC(), Events: events, Rows: len(res.Rows), Warnings: res.Warnings}
			rows := r.keptRows(res, true)
			if m := r.cr.Rule.MaxSignals; m > 0 && len(rows) > m {
				rep.Truncated = len(rows) - m
				rows = rows[:m]
				l.caps = append(l.caps, CapReport{Rule: r.cr.Rule, Window: rep.To, From: rep.From, Cap: m, Dropped: rep.Truncated})
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
			mergeUpdateSources(out[len(out)-rep.Alerts:], docs)
			reports = append(reports, rep)
		}
		r.lastRun, r.nextRun = nowMs, nowMs+r.interval
		// Keep what the next run and its possible catch-up windows can read.
		r.buf = keepFrom(r.buf, r.scheduledFloor())
	}
	ups, reps := l.tickEQL(now)
	return append(out, ups...), append(reports, reps...), nil
}

// window is a scheduled run's range (ms, both ends inclusive).
type window struct{ from, to int64 }

// scheduleWindows is a scheduled run's windows at now: [now - lookback,
// now], then after a gap since lastRun (0: none) its catch-up windows, each
// stepped back one interval (newest first).
func scheduleWindows(now, lastRun, interval, lookback int64) []window {
	wins := []window{{now - lookback, now}}
	if lastRun != 0 {
		if gap := (now - lastRun) - lookback; gap > 0 {
			n := min(ceilDiv(gap, interval), maxRuleGapRatio)
			for i := int64(1); i <= n; i++ {
				wins = append(wins, window{now - lookback - i*interval, now - i*interval})
			}
		}
	}
	return wins
}

// scheduledFloorOf is the oldest event time a scheduled rule's next run
// (with its catch-up windows) may query; before the first run, anything.
func scheduledFloorOf(lastRun, interval, lookback int64) int64 {
	if lastRun == 0 {
		return math.MinInt64
	}
	return lastRun + interval - lookback - maxRuleGapRatio*interval
}

// keepFrom drops, in place, the buffered events older than t (ms).
func keepFrom(buf []bufferedDoc, t int64) []bufferedDoc {
	kept := buf[:0]
	for _, b := range buf {
		if b.t >= t {
			kept = append(kept, b)
		}
	}
	clear(buf[len(kept):])
	return kept
}

// maxRuleGapRatio is Kibana's cap on catch-up windows per run.
const maxRuleGapRatio = 4

// NextTick is when Tick next has work (zero when no rule is scheduled).
func (l *Live) NextTick() time.Time {
	next := l.eqlNextTick()
	if next == math.MinInt64 {
		return l.opts.Clock.Now()
	}
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
// older than it can leave the spool. A real-time rule reads an event at t
// until the runs holding it are final, and again if a late event re-opens
// one of them: late events as old as the floor are evaluated, and their
// runs read back a lookback.
func (l *Live) Horizon() int64 {
	h := l.eqlHorizon(false)
	now := l.opts.Clock.Now().UnixMilli()
	floor := min(l.floor, l.admitted)
	for _, r := range l.rules {
		switch {
		case r.mode == Realtime && r.cr.Rule.NewTerms != nil:
			h = min(h, floor) // no run reads events again; late ones as old as the floor are evaluated
		case r.mode == Realtime:
			if r.closed == math.MinInt64 || floor == math.MinInt64 {
				return math.MinInt64
			}
			h = min(h, r.closed-r.lookback+1, floor-r.lookback)
		default:
			h = min(h, now-r.lookback-maxRuleGapRatio*r.interval)
		}
	}
	return h
}

// OpenHorizon is the oldest event time a run not yet final (or a
// scheduled rule's next run) may read (ms): replaying the spool after a
// restart can skip older events, which only final runs hold, unless they
// are late events still to re-evaluate.
func (l *Live) OpenHorizon() int64 {
	h := l.eqlHorizon(true)
	for _, r := range l.rules {
		if r.mode == Scheduled {
			h = min(h, r.scheduledFloor())
		} else if r.cr.Rule.NewTerms != nil {
			continue // evaluated as they come: only events after the last checkpoint are replayed
		} else if r.closed == math.MinInt64 {
			return math.MinInt64
		} else {
			h = min(h, r.closed-r.lookback+1)
		}
	}
	return h
}

// Observe records an event time from source seen outside Push (events no
// rule's filters can pass are not pushed, but their time still counts).
// Future times are ignored.
func (l *Live) Observe(source string, t int64) {
	l.wm.Observe(source, t, l.opts.Clock.Now().UnixMilli())
}

// advance recomputes the watermark and the retention floor at wall time
// now (ms). The watermark never moves back.
func (l *Live) advance(now int64) {
	v := l.wm.Value(now)
	if l.pinned {
		v = l.pinnedMark
	}
	l.watermark = max(l.watermark, v)
	if l.watermark != math.MinInt64 && l.opts.Retention > 0 {
		l.floor = max(l.floor, l.watermark-l.opts.Retention.Milliseconds())
	}
}

// Watermark is the combined event-time watermark as of the last Flush
// (ms), or math.MinInt64.
func (l *Live) Watermark() int64 { return l.watermark }

// Sources is the number of event sources whose watermarks are tracked.
func (l *Live) Sources() int { return l.wm.Sources() }

// RuleState is what a checkpoint keeps per rule; open runs are rebuilt
// from the spool.
type RuleState struct {
	Closed  int64 `json:"closed"`
	LastRun int64 `json:"last_run,omitempty"`
}

// Checkpoint is the live engine's state that survives a restart.
type Checkpoint struct {
	Rules     map[string]RuleState `json:"rules"`
	Watermark int64                `json:"watermark"`
	Floor     int64                `json:"floor,omitempty"`
	Sources   map[string]int64     `json:"sources,omitempty"`
}

// State returns the checkpoint.
func (l *Live) State() Checkpoint {
	st := Checkpoint{Rules: map[string]RuleState{}, Watermark: l.watermark, Floor: l.floor, Sources: l.wm.State()}
	for _, r := range l.rules {
		st.Rules[r.cr.Rule.RuleID] = RuleState{Closed: r.closed, LastRun: r.lastRun}
	}
	l.eqlState(&st)
	return st
}

// Restore applies a checkpoint before the spool is replayed. Time in it is
// held to the wall clock as time observed is: a checkpoint written after
// future-dated events were believed (an older release, a clock set back)
// cannot keep windows closed — a run it calls final that the wall clock has
// not reached is opened again.
func (l *Live) Restore(st Checkpoint) {
	now := l.opts.Clock.Now().UnixMilli()
	l.wm.Restore(st.Sources, now)
	if st.Watermark != 0 {
		l.watermark = min(st.Watermark, now)
	}
	if st.Floor != 0 {
		l.floor = min(st.Floor, now)
	}
	lateness := l.opts.AllowedLateness.Milliseconds()
	for _, r := range l.rules {
		s, ok := st.Rules[r.cr.Rule.RuleID]
		if !ok {
			continue
		}
		r.closed = s.Closed
		if r.closed != math.MinInt64 && l.watermark != math.MinInt64 && r.closed+lateness > l.watermark {
			r.closed = floorDiv(l.watermark-lateness, r.interval) * r.interval
		}
		if s.LastRun != 0 {
			r.lastRun, r.nextRun = s.LastRun, s.LastRun+r.interval
		}
	}
	l.eqlRestore(st)
}

func floorDiv(a, b int64) int64 { return -ceilDiv(-a, b) }

// RuleStats describes one rule's live state, for metrics and the API.
type RuleStats struct {
	RuleID   string
	Name     string
	Mode     Mode
	Monotone bool
	OpenRuns int
	Groups   int   // live STATS groups (or events buffered)
	Late     int64 // late events that re-opened runs
	Expired  int64 // events refused as older than the retention
	Future   int64 // events quarantined as stamped in the future
	NoTime   int64 // events without a usable timestamp
	Overflow int64 // events refused by the MaxGroups cap
	// Matched counts the events (with a time, not excepted, not replayed)
	// the rule's per-event condition passed: an ES|QL rule's commands
	// before its first STATS, SORT or LIMIT; an EQL event query's filter
	// or any of a sequence's stages' (or its until's).
	Matched int64
	// Terms is a new_terms rule's seen combinations; TermsRefused the new
	// ones refused by the MaxTerms cap.
	Terms        int
	TermsRefused int64
	// SequencesDropped counts an EQL sequence rule's pending sequences
	// dropped by the MaxGroups cap (oldest first).
	SequencesDropped int64
	// Exceptions is what each exception item removed so far (alerts: in
	// final runs).
	Exceptions []ExceptionCount
}

// Stats reports every rule's live state.
func (l *Live) Stats() []RuleStats {
	out := make([]RuleStats, 0, len(l.rules))
	for _, r := range l.rules {
		s := RuleStats{RuleID: r.cr.Rule.RuleID, Name: r.cr.Rule.Name, Mode: r.mode, Monotone: r.monotone,
			OpenRuns: len(r.runs), Late: r.late, Expired: r.expired, Future: r.future, NoTime: r.noTime, Overflow: r.overflow,
			Matched: r.matched, Exceptions: r.cr.exceptionCounts(r.excepted, r.exceptedRows)}
		if r.terms != nil {
			s.Terms, s.TermsRefused = len(r.terms.seen), r.terms.refused
		}
		if r.mode == Scheduled {
			s.Groups = len(r.buf)
		} else {
			s.Groups = r.groups()
		}
		out = append(out, s)
	}
	return append(out, l.eqlStats()...)
}
