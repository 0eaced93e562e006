package engine

import (
	"sort"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

func TestMonotone(t *testing.T) {
	cases := []struct {
		q    string
		want bool
	}{
		{rule.Builtin()[0].Query, true}, // the seed rule: COUNT_DISTINCT >= 5 AND ... >= 4, SORT
		{"FROM logs-* | WHERE process.name == \"sh\"", true},
		{"FROM logs-* | SORT @timestamp | LIMIT 5", false},
		{"FROM logs-* | STATS n = COUNT(*) BY host.name | WHERE n > 10", true},
		{"FROM logs-* | STATS n = COUNT(*) BY host.name | WHERE n < 10", false},
		{"FROM logs-* | STATS m = MIN(x) BY host.name | WHERE m <= 3", true},
		{"FROM logs-* | STATS n = COUNT(*) BY host.name | WHERE 10 <= n", true},
		{"FROM logs-* | STATS n = COUNT(*) BY host.name | WHERE host.name LIKE \"web*\" AND n >= 2", true},
		{"FROM logs-* | STATS n = COUNT(*) BY host.name | WHERE n >= 2 | LIMIT 3", false},
		{"FROM logs-* | STATS n = COUNT(*) BY host.name | EVAL k = n * 2 | WHERE k > 4", false},
		{"FROM logs-* | STATS s = SUM(x) BY host.name | WHERE s > 4", false},
		{"FROM logs-* | LIMIT 10 | STATS n = COUNT(*) BY host.name | WHERE n > 1", false},
		{"FROM logs-* | STATS n = COUNT(*) BY host.name | RENAME n AS c | EVAL k = c | WHERE k >= 3", true},
		{"FROM logs-* | STATS n = COUNT(*) BY h = host.name | EVAL u = TO_UPPER(h) | WHERE u == \"WEB\"", true},
		{"FROM logs-* | STATS n = COUNT(*), m = MIN(x) BY host.name | EVAL n = m | WHERE n > 3", false},
		{"FROM logs-* | STATS n = COUNT(*) BY host.name | WHERE n > 3 | MV_EXPAND host.name", false},
		{"FROM logs-* | INLINE STATS n = COUNT(*) BY host.name | STATS c = COUNT(*) | WHERE c > 3", false},
	}
	user := doc.NewMapping()
	user.Add(doc.Field{Name: "x", Type: doc.Long, ESType: "long"})
	for _, tc := range cases {
		q, err := esql.Compile(tc.q, &Catalog{User: user}, esql.Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		if got := monotone(q); got != tc.want {
			t.Errorf("monotone(%q) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func liveFixture(t *testing.T, mutate func(*rule.Rule)) (*CompiledRule, *doc.Decoder) {
	t.Helper()
	r := rule.Builtin()[0]
	if mutate != nil {
		mutate(r)
	}
	cr, err := Compile(r, &Catalog{}, esql.Options{Now: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	ep, _ := doc.BuiltinMapping("logs-endpoint.events.process")
	return cr, doc.NewDecoder(ep, doc.DecodeOptions{Dynamic: true})
}

func pushLines(t *testing.T, l *Live, dec *doc.Decoder, lines []string) {
	t.Helper()
	for i, s := range lines {
		d, err := dec.Decode([]byte(s))
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		l.Push(d)
	}
}

// The seed rule alerts at the fifth distinct command line, not when the
// window closes; the final evaluation repeats the same alert id; a late
// event is counted and offered to the late path.
func TestLiveRealtimeFiresOnArrival(t *testing.T) {
	cr, dec := liveFixture(t, nil)
	var late []int64
	clock := &fakeClock{time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)}
	l := NewLive([]*CompiledRule{cr}, LiveOptions{AllowedLateness: time.Minute, Clock: clock,
		OnLate: func(_ *rule.Rule, _ *doc.Document, t int64) { late = append(late, t) }})
	lines := burst("h1", "P1", time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC))
	pushLines(t, l, dec, lines[:4])
	if ups, _ := l.Flush(); len(ups) != 0 {
		t.Fatalf("four commands alerted: %d", len(ups))
	}
	pushLines(t, l, dec, lines[4:])
	ups, err := l.Flush()
	if err != nil || len(ups) != 1 || ups[0].Final {
		t.Fatalf("fifth command: %d updates (final %v), %v", len(ups), len(ups) > 0 && ups[0].Final, err)
	}
	id := ups[0].Alert.ID
	// The same group in the sweep (hunt) has the same id.
	sw := NewSweep([]*CompiledRule{cr})
	pushSweep(t, sw, dec, lines)
	res, _ := sw.Finish(clock.t, "x")
	if len(res[0].Alerts) != 1 || res[0].Alerts[0].ID != id {
		t.Fatalf("hunt id differs")
	}
	// Nothing new: no update.
	if ups, _ := l.Flush(); len(ups) != 0 {
		t.Fatalf("re-flush produced %d updates", len(ups))
	}
	// Once h1 has been silent for the idle time, an event from h9 moves
	// the watermark (to the wall clock at most): both runs (10:15, 10:20)
	// close, each reporting the group finally.
	clock.t = clock.t.Add(6 * time.Minute)
	s, cl, a := c("sh", "-c", "ls")
	pushLines(t, l, dec, []string{ev("2026-11-20T10:34:00Z", "h9", "linux", "P9", "python3", s, cl, a, nil)})
	ups, _ = l.Flush()
	finals := 0
	for _, u := range ups {
		if !u.Final || u.Alert.ID != id {
			t.Fatalf("unexpected update %+v", u)
		}
		finals++
	}
	if finals != 1 {
		t.Fatalf("final updates %d, want 1 (runs 10:15 and 10:20 closing at once: one per alert)", finals)
	}
	// 10:12 is now too late for every run: it re-opens them, and their
	// re-evaluation from every event taken updates the alert, marked late.
	lateLine := ev("2026-11-20T10:12:30Z", "h1", "linux", "P1", "python3", s, cl, a, nil)
	pushLines(t, l, dec, []string{lateLine})
	if len(late) != 0 || l.Stats()[0].Late != 1 || !l.PendingLate() {
		t.Fatalf("late events %v / %d", late, l.Stats()[0].Late)
	}
	ups, err = l.Reevaluate(linesSource(t, dec, append(append([]string{}, lines...), lateLine)))
	if err != nil || len(ups) != 1 || ups[0].Alert.ID != id || !ups[0].Late || ups[0].Alert.Fields[LateField] != true {
		t.Fatalf("re-evaluation: %+v, %v", ups, err)
	}
	// The checkpoint keeps the closed runs, and a restored engine refuses
	// what they covered (the spool replays nothing twice).
	st := l.State()
	l2 := NewLive([]*CompiledRule{cr}, LiveOptions{Clock: clock})
	l2.Restore(st)
	l2.Replaying = true
	pushLines(t, l2, dec, lines)
	if ups, _ := l2.Flush(); len(ups) != 0 || l2.Stats()[0].Late != 0 {
		t.Fatalf("restored engine re-alerted closed windows: %d", len(ups))
	}
}

func pushSweep(t *testing.T, sw *Sweep, dec *doc.Decoder, lines []string) {
	for _, s := range lines {
		d, err := dec.Decode([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		sw.Push(d)
	}
}

// A capped rule refuses state past its limit and counts it.
func TestLiveGroupCap(t *testing.T) {
	cr, dec := liveFixture(t, nil)
	l := NewLive([]*CompiledRule{cr}, LiveOptions{MaxGroups: 3, Clock: &fakeClock{time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)}})
	at := time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC)
	for _, p := range []string{"P1", "P2", "P3"} { // three groups, each in two runs
		pushLines(t, l, dec, burst("h1", p, at))
	}
	st := l.Stats()[0]
	if st.Overflow == 0 || st.Groups > 3 {
		t.Fatalf("cap not applied: %+v", st)
	}
}

// Scheduled mode on a fake clock: Kibana's windows [now-9m, now] every 5m,
// max_signals per window, per-range alert ids, and catch-up windows after
// downtime. Runs on interval boundaries match the replay's.
func TestLiveScheduledKibanaRuns(t *testing.T) {
	cr, dec := liveFixture(t, func(r *rule.Rule) { r.MaxSignals = 2 })
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	clock := &fakeClock{base}
	l := NewLive([]*CompiledRule{cr}, LiveOptions{Mode: func(*rule.Rule) Mode { return Scheduled }, Clock: clock,
		ExecUUID: func(id string, at time.Time) string { return id + "@" + at.Format(time.RFC3339) }})
	var lines []string
	// Three groups in 10:02 (max_signals 2 keeps two), one at 10:07.
	lines = append(lines, burst("h1", "P1", base.Add(2*time.Minute))...)
	lines = append(lines, burst("h2", "P2", base.Add(2*time.Minute+10*time.Second))...)
	lines = append(lines, burst("h3", "P3", base.Add(2*time.Minute+20*time.Second))...)
	pushLines(t, l, dec, lines) // at 10:00: 10:07 would be stamped too far ahead
	h4 := burst("h4", "P4", base.Add(7*time.Minute))
	lines = append(lines, h4...)

	type run struct {
		from, to        string
		alerts, dropped int
	}
	var got []run
	var ids []string
	tick := func() {
		ups, reps, err := l.Tick()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reps {
			got = append(got, run{r.From.Format("15:04"), r.To.Format("15:04"), r.Alerts, r.Truncated})
		}
		for _, u := range ups {
			ids = append(ids, u.Alert.ID)
		}
	}
	tick() // 10:00, the first run: nothing yet in [09:51, 10:00]
	clock.t = base.Add(3 * time.Minute)
	tick() // not due
	for _, m := range []int{5, 10} {
		clock.t = base.Add(time.Duration(m) * time.Minute)
		if m == 5 {
			pushLines(t, l, dec, h4)
		}
		if next := l.NextTick(); !next.Equal(clock.t) {
			t.Fatalf("next tick %v, want %v", next, clock.t)
		}
		tick()
	}
	want := []run{
		{"09:51", "10:00", 0, 0},
		{"09:56", "10:05", 2, 1}, // three groups, max_signals 2
		{"10:01", "10:10", 2, 2}, // h1-h3 again (new range ids) and h4: two kept
	}
	if len(got) != len(want) {
		t.Fatalf("runs %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("run %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// The replay simulates the same schedule: same alert ids.
	rp := NewReplay([]*CompiledRule{cr})
	rp.KibanaDuplicates = true
	pushReplay(t, rp, dec, lines)
	alerts, _, _ := rp.Finish(func(id string, at time.Time) string { return id + "@" + at.Format(time.RFC3339) })
	var rids []string
	for _, a := range alerts {
		rids = append(rids, a.ID)
	}
	sort.Strings(rids)
	if len(ids) != 4 {
		t.Fatalf("scheduled alerts %d, want 4", len(ids))
	}
	for _, id := range ids { // the replay also has the 10:15 run, beyond the clock
		if i := sort.SearchStrings(rids, id); i == len(rids) || rids[i] != id {
			t.Fatalf("scheduled alert %s not in the replay's", id)
		}
	}

	// Down from 10:10 to 10:31: gap = 21m - 9m = 12m → ceil(12/5) = 3
	// catch-up windows, oldest first, then the current one.
	got = nil
	clock.t = base.Add(31 * time.Minute)
	tick()
	wantCatchup := []run{{"10:07", "10:16", 1, 0}, {"10:12", "10:21", 0, 0}, {"10:17", "10:26", 0, 0}, {"10:22", "10:31", 0, 0}}
	if len(got) != len(wantCatchup) {
		t.Fatalf("catch-up runs %+v", got)
	}
	for i := range wantCatchup {
		if got[i] != wantCatchup[i] {
			t.Fatalf("catch-up run %d: %+v, want %+v", i, got[i], wantCatchup[i])
		}
	}
	// At most four catch-up windows, however long the downtime.
	got = nil
	clock.t = base.Add(5 * time.Hour)
	tick()
	if len(got) != 5 {
		t.Fatalf("long downtime ran %d windows, want 1+4", len(got))
	}
}

func pushReplay(t *testing.T, rp *Replay, dec *doc.Decoder, lines []string) {
	for _, s := range lines {
		d, err := dec.Decode([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		rp.Push(d)
	}
}

// An event from the far future is quarantined: it neither enters a window
// nor closes one.
func TestLiveFutureEventKeepsWatermark(t *testing.T) {
	cr, dec := liveFixture(t, nil)
	clock := &fakeClock{time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)}
	l := NewLive([]*CompiledRule{cr}, LiveOptions{Clock: clock})
	pushLines(t, l, dec, burst("h1", "P1", time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC))[:1])
	wm := l.Watermark()
	s, cl, a := c("sh", "-c", "ls")
	pushLines(t, l, dec, []string{ev("2099-01-01T00:00:00Z", "h9", "linux", "P9", "python3", s, cl, a, nil)})
	l.Observe("h9", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	if l.Watermark() != wm {
		t.Fatalf("watermark moved to %v", time.UnixMilli(l.Watermark()))
	}
	if ups, _ := l.Flush(); len(ups) != 0 || l.Stats()[0].OpenRuns != 2 || l.Stats()[0].Future != 1 {
		t.Fatalf("windows closed: %d updates, %+v", len(ups), l.Stats()[0])
	}
}

// linesSource is a Source over decoded lines (the spool, in tests).
func linesSource(t *testing.T, dec *doc.Decoder, lines []string) Source {
	t.Helper()
	var docs []*doc.Document
	for _, s := range lines {
		d, err := dec.Decode([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	return func(from, to int64, fn func(*doc.Document)) error {
		for _, d := range docs {
			fn(d)
		}
		return nil
	}
}
