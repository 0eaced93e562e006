package engine

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/rule"
	"vigil/internal/sample"
)

var eqlLiveBase = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// eqlLiveRule compiles an EQL rule (max_signals 1000, so a hunt is not
// capped) for the live tests.
func eqlLiveRule(t *testing.T, q string) *EQLRule { return eqlTestRule(t, q, 1000) }

// eqlLine is an event of category cat on host at sec seconds past the base,
// from agent a1 (one watermark source).
func eqlLine(cat, host string, ms int) string {
	return fmt.Sprintf(`{"@timestamp":%q,"data_stream":{"type":"logs","dataset":"endpoint.events.%s","namespace":"default"},"event":{"category":[%q]},"host":{"name":%q},"agent":{"id":"a1"},"process":{"name":"sh"}}`,
		eqlLiveBase.Add(time.Duration(ms)*time.Millisecond).Format(time.RFC3339Nano), cat, cat, host)
}

// eqlScenario is 200 events a second apart over three categories and
// seven hosts, and the same shuffled: every 4th event swapped with the one
// 3 s later.
func eqlScenario() (inOrder, shuffled []string) {
	for i := range 200 {
		inOrder = append(inOrder, eqlLine([]string{"process", "file", "network"}[i*7%3], fmt.Sprintf("h%d", i%7), i*1000))
	}
	shuffled = slices.Clone(inOrder)
	for i := 0; i+3 < len(shuffled); i += 4 {
		shuffled[i], shuffled[i+3] = shuffled[i+3], shuffled[i]
	}
	return inOrder, shuffled
}

// eqlDecode decodes lines for rules as the service does: projected to what
// they and the watermark read, with _ids and sources.
func eqlDecode(t *testing.T, er *EQLRule, lines []string, more ...*EQLRule) []*doc.Document {
	t.Helper()
	dec := doc.NewDecoder((&Catalog{}).DecoderMapping(), doc.DecodeOptions{Dynamic: true, AutoID: true, Source: true,
		Fields: append(NewEQLHunt(append([]*EQLRule{er}, more...)).Fields(), SourceFields()...)})
	var out []*doc.Document
	for _, l := range lines {
		d, err := dec.Decode([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// huntIDs are the alert ids an EQL hunt gives over the lines.
func huntIDs(t *testing.T, er *EQLRule, lines []string) []string {
	t.Helper()
	h := NewEQLHunt([]*EQLRule{er})
	for _, d := range eqlDecode(t, er, lines) {
		h.Push(d)
	}
	var ids []string
	for _, a := range h.Finish(eqlLiveBase, "x")[0].Alerts {
		ids = append(ids, a.ID)
	}
	sort.Strings(ids)
	return ids
}

func newEQLLive(er *EQLRule, opts LiveOptions) *Live {
	if opts.Clock == nil {
		opts.Clock = &fakeClock{eqlLiveBase.Add(time.Hour)}
	}
	l := NewLive(nil, opts)
	l.AddEQL([]*EQLRule{er})
	return l
}

// liveIDs pushes the lines one by one, flushing after each, then moves
// time an hour past the base; it returns the ids of the alerts raised.
func liveIDs(t *testing.T, l *Live, docs []*doc.Document) []string {
	t.Helper()
	var ids []string
	flush := func() {
		ups, err := l.Flush()
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range ups {
			ids = append(ids, u.Alert.ID)
		}
	}
	for _, d := range docs {
		l.Push(d)
		flush()
	}
	// every source but a1 falls silent: a1's time is the watermark
	if c, ok := l.opts.Clock.(*fakeClock); ok {
		c.t = c.t.Add(10 * time.Minute)
	}
	l.Observe("a1", eqlLiveBase.Add(time.Hour).UnixMilli())
	flush()
	sort.Strings(ids)
	return ids
}

// Real-time EQL sequences give a hunt's alerts (same ids), whether events
// arrive in order or out of order within the allowed lateness; without
// the lateness the shuffle changes them (the test can fail).
func TestLiveEQLSequencesMatchHunt(t *testing.T) {
	inOrder, shuffled := eqlScenario()
	for qi, q := range []string{
		`sequence by host.name with maxspan=20s [process where true] [file where true] [network where true]`,
		`sequence by host.name with maxspan=10s [process where true] [file where true] ![network where true]`,
		`sequence by host.name with maxspan=30s [process where true] [file where true] until [network where host.name == "h3"]`,
		`process where host.name in ("h1", "h2")`,
	} {
		er := eqlLiveRule(t, q)
		want := huntIDs(t, er, inOrder)
		if len(want) == 0 {
			t.Fatalf("%s: the scenario gives no alert", q)
		}
		for _, tc := range []struct {
			name     string
			lines    []string
			lateness time.Duration
			same     bool
		}{
			{"in order", inOrder, 0, true},
			{"shuffled, lateness 5s", shuffled, 5 * time.Second, true},
			{"shuffled, no lateness", shuffled, 0, qi != 1}, // only the missing-event query's alerts change
		} {
			l := newEQLLive(er, LiveOptions{AllowedLateness: tc.lateness})
			got := liveIDs(t, l, eqlDecode(t, er, tc.lines))
			if slices.Equal(got, want) != tc.same {
				t.Errorf("%s, %s: %d alerts, hunt %d (same: %v, want %v)", q, tc.name, len(got), len(want), slices.Equal(got, want), tc.same)
			}
			if st := l.Stats()[0]; tc.same && tc.lateness > 0 && st.Late != 0 {
				t.Errorf("%s, %s: %d late events", q, tc.name, st.Late)
			}
		}
	}
}

// A rule's filters (rule.filters) keep events out of a served EQL rule as
// out of a hunt's: the same alerts.
func TestLiveEQLRuleFilters(t *testing.T) {
	r := ruleFilter(t, `[{"meta":{"negate":true},"query":{"bool":{"filter":[{"term":{"host.name":"h2"}},{"term":{"process.name":"b"}}]}}}]`)
	r.RuleID, r.Name, r.Type, r.Language, r.Severity, r.MaxSignals = "r", "r", "eql", "eql", "low", 100
	r.Query = `sequence by host.name [process where process.name == "a"] [process where process.name == "b"]`
	er, err := CompileEQL(r, &Catalog{})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i, h := range []string{"h1", "h1", "h2", "h2"} {
		lines = append(lines, fmt.Sprintf(`{"@timestamp":"2026-11-20T10:00:0%dZ","data_stream":{"type":"logs","dataset":"x","namespace":"default"},"event":{"category":"process"},"host":{"name":%q},"process":{"name":%q}}`, i, h, "ab"[i%2:i%2+1]))
	}
	want := huntIDs(t, er, lines)
	if len(want) != 3 { // h1's sequence only
		t.Fatalf("hunt: %d alerts, want 3", len(want))
	}
	if got := liveIDs(t, newEQLLive(er, LiveOptions{}), eqlDecode(t, er, lines)); !slices.Equal(got, want) {
		t.Errorf("served: %v, want the hunt's %v", got, want)
	}
}

// An event query alerts at the Flush after its event, before time moves,
// with the event's source merged as a hunt's alert has it.
func TestLiveEQLEventAlertsAtOnce(t *testing.T) {
	er := eqlLiveRule(t, `process where host.name == "h1"`)
	l := newEQLLive(er, LiveOptions{AllowedLateness: time.Minute})
	docs := eqlDecode(t, er, []string{eqlLine("process", "h1", 0)})
	l.Push(docs[0])
	ups, _ := l.Flush()
	if len(ups) != 1 || ups[0].Alert.Fields["host.name"] != "h1" || ups[0].Alert.Fields["agent.id"] != "a1" {
		t.Fatalf("updates %+v, want one alert with the event's source", ups)
	}
}

// A trailing missing-event stage is decided once the watermark passes
// maxspan after the sequence's start, not before; a missing event inside
// maxspan discards the sequence.
func TestLiveEQLMissingDecidedByWatermark(t *testing.T) {
	er := eqlLiveRule(t, `sequence by host.name with maxspan=10s [process where true] [file where true] ![network where true]`)
	for _, tc := range []struct {
		name    string
		network bool // a network event at 5 s
		want    []int
	}{{"no missing event", false, []int{0, 0, 3}}, {"missing event at 5s", true, []int{0, 0, 0}}} {
		l := newEQLLive(er, LiveOptions{})
		lines := []string{eqlLine("process", "h1", 0), eqlLine("file", "h1", 1000)}
		if tc.network {
			lines = append(lines, eqlLine("network", "h1", 5000))
		}
		for _, d := range eqlDecode(t, er, lines) {
			l.Push(d)
		}
		var got []int
		for _, at := range []int{9999, 10000, 10001} { // watermark (ms past the base)
			l.Observe("a1", eqlLiveBase.Add(time.Duration(at)*time.Millisecond).UnixMilli())
			ups, _ := l.Flush()
			got = append(got, len(ups))
		}
		// decided when the watermark's millisecond ends past start+maxspan
		if tc.want[2] == 3 {
			tc.want = []int{0, 3, 0}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: alerts per flush %v, want %v", tc.name, got, tc.want)
		}
	}
}

// The state cap: pending sequences past MaxGroups are dropped, oldest
// first (counted in SequencesDropped), and events that would be held past
// it are refused (Overflow).
func TestLiveEQLStateCap(t *testing.T) {
	er := eqlLiveRule(t, `sequence by host.name [process where true] [file where true]`)
	var lines []string
	for i := range 20 {
		lines = append(lines, eqlLine("process", fmt.Sprintf("h%d", i), i*1000))
	}
	docs := eqlDecode(t, er, lines)
	l := newEQLLive(er, LiveOptions{MaxGroups: 8})
	for _, d := range docs {
		l.Push(d)
		l.Flush()
	}
	st := l.Stats()[0]
	if st.SequencesDropped == 0 || st.Groups > 8 || st.Overflow != 0 {
		t.Errorf("released at once: %+v, want sequences dropped, at most 8 held", st)
	}
	l = newEQLLive(er, LiveOptions{MaxGroups: 8, AllowedLateness: time.Hour})
	for _, d := range docs {
		l.Push(d)
		l.Flush()
	}
	if st := l.Stats()[0]; st.Overflow != 12 || st.Groups != 8 {
		t.Errorf("held: %+v, want 12 refused, 8 held", st)
	}
}

// A restart from a checkpoint rebuilds the open sequences from the spool
// (the events from OpenHorizon on): the sequence completed before the
// checkpoint is not raised again, the one completed after it (before the
// crash) is raised again with the same ids, and the one open at the crash
// completes once.
func TestLiveEQLRestart(t *testing.T) {
	er := eqlLiveRule(t, `sequence by host.name with maxspan=1m [process where true] [file where true]`)
	docs := eqlDecode(t, er, []string{
		eqlLine("process", "h1", 0), eqlLine("file", "h1", 1000), // before the checkpoint
		eqlLine("process", "h2", 2000), eqlLine("file", "h2", 3000), // after it, before the crash
		eqlLine("process", "h3", 4000), // open at the crash
		eqlLine("file", "h3", 5000),    // after the restart
	})
	ids := func(ups []Update) []string {
		var out []string
		for _, u := range ups {
			out = append(out, u.Alert.ID)
		}
		return out
	}
	var spool []*doc.Document
	push := func(l *Live, ds ...*doc.Document) []string {
		for _, d := range ds {
			l.Push(d)
		}
		ups, _ := l.Flush()
		return ids(ups)
	}
	l := newEQLLive(er, LiveOptions{})
	first := push(l, docs[:2]...)
	st := l.State()
	second := push(l, docs[2:5]...)
	spool = append(spool, docs[:5]...)
	if len(first) != 3 || len(second) != 3 {
		t.Fatalf("before the crash: %d and %d alerts, want 3 and 3", len(first), len(second))
	}
	// the crash: a new engine from the checkpoint and the spool
	l = newEQLLive(er, LiveOptions{})
	l.Restore(st)
	from := l.OpenHorizon()
	l.Replaying = true
	for _, d := range spool {
		if tm, _ := eventTime(d, ""); tm >= from {
			l.Push(d)
		}
	}
	l.Replaying = false
	replayed, _ := l.Flush()
	if got := ids(replayed); !slices.Equal(got, second) {
		t.Errorf("after the restart: alerts %v, want the second sequence's again %v", got, second)
	}
	if third := push(l, docs[5]); len(third) != 3 || slices.Contains(third, first[0]) || slices.Contains(third, second[0]) {
		t.Errorf("the open sequence: %v, want its three alerts once", third)
	}
}

// Scheduled EQL rules run as Kibana's: a window over [now - lookback, now]
// every interval, the events or sequences found in it (ids as a hunt's),
// nothing before the next interval. 10:02 finds them; 10:03 is not due;
// 10:07 (10:01–10:07) and 10:12 miss them.
func TestLiveEQLScheduled(t *testing.T) {
	for _, tc := range []struct {
		q, runs  string
		buffered int // kept for catch-up windows: a sequence's events, an event query's matches
	}{
		{`sequence by host.name with maxspan=1m [process where true] [file where true]`, "1/3,-,1/0,1/0", 2},
		{`file where true`, "1/1,-,1/0,1/0", 1},
		{`sample by host.name [process where true] [file where true]`, "1/3,-,1/0,1/0", 2},
	} {
		er := eqlLiveRule(t, tc.q)
		lines := []string{eqlLine("process", "h1", 0), eqlLine("file", "h1", 1000)}
		want := huntIDs(t, er, lines)
		clock := &fakeClock{eqlLiveBase.Add(2 * time.Minute)}
		l := newEQLLive(er, LiveOptions{Clock: clock, Mode: func(*rule.Rule) Mode { return Scheduled }})
		for _, d := range eqlDecode(t, er, lines) {
			l.Push(d)
		}
		var runs []string
		for _, step := range []time.Duration{0, time.Minute, 4 * time.Minute, 5 * time.Minute} {
			clock.t = clock.t.Add(step)
			if l.NextTick().After(clock.t) {
				runs = append(runs, "-")
				continue
			}
			ups, reps, err := l.Tick()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range ups {
				got = append(got, u.Alert.ID)
			}
			sort.Strings(got)
			if len(got) > 0 && !slices.Equal(got, want) {
				t.Errorf("%s, run at %s: alerts %v, want the hunt's %v", tc.q, clock.t.Format("15:04"), got, want)
			}
			runs = append(runs, fmt.Sprintf("%d/%d", len(reps), len(got)))
		}
		if got := strings.Join(runs, ","); got != tc.runs {
			t.Errorf("%s: runs %s, want %s", tc.q, got, tc.runs)
		}
		if st := l.Stats()[0]; st.Groups != tc.buffered {
			t.Errorf("%s: %d events buffered, want %d", tc.q, st.Groups, tc.buffered)
		}
	}
}

// BenchmarkLiveEQLSequence is the real-time sequence path: 10,000 events
// over 97 keys, held and released with a 5 s lateness, a flush per 100;
// one key in 97 completes sequences (alerts are rare, matching is not).
func BenchmarkLiveEQLSequence(b *testing.B) {
	t := &testing.T{}
	er := eqlLiveRule(t, `sequence by host.name with maxspan=20s [process where true] [file where true] [network where host.name == "h0"]`)
	var lines []string
	for i := range 10_000 {
		lines = append(lines, eqlLine([]string{"process", "file", "network"}[i*7%3], fmt.Sprintf("h%d", i%97), i*100))
	}
	docs := eqlDecode(t, er, lines)
	alerts := 0
	for b.Loop() {
		l := newEQLLive(er, LiveOptions{AllowedLateness: 5 * time.Second})
		for i, d := range docs {
			l.Push(d)
			if i%100 == 99 {
				ups, _ := l.Flush()
				alerts += len(ups)
			}
		}
	}
	if alerts == 0 {
		b.Fatal("no alert")
	}
	b.ReportMetric(float64(len(docs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// The EQL scenario set (`vigil sample --eql`: 26 Linux/macOS rules, their
// attacks, near misses and background) served in real time gives every
// rule the hunt's alerts, ids included: in input order, and with the input
// shuffled within the allowed lateness (neighbours 10 s apart swapped).
func TestLiveEQLScenarios(t *testing.T) {
	if _, err := os.Stat(sharedEQLRules); err != nil {
		t.Skip("shared rules absent")
	}
	cfg := sample.DefaultConfig()
	cfg.EQL = sample.EQLScenarios
	raw, err := os.ReadFile(writeSample(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var rules []*EQLRule
	for _, s := range sample.EQLScenarios {
		er, err := CompileEQL(loadScenarioRule(t, s), &Catalog{})
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, er)
	}
	h := NewEQLHunt(rules)
	docs := eqlDecode(t, rules[0], lines, rules[1:]...)
	for _, d := range docs {
		h.Push(d)
	}
	want := map[string][]string{}
	alerts := 0
	for _, rr := range h.Finish(eqlLiveBase, "x") {
		for _, a := range rr.Alerts {
			want[a.RuleID] = append(want[a.RuleID], a.ID)
			alerts++
		}
	}
	if alerts == 0 {
		t.Fatal("the hunt raised no alert")
	}
	shuffled := slices.Clone(docs)
	for i := 0; i+1 < len(shuffled); i += 2 {
		a, _ := eventTime(shuffled[i], "")
		b, _ := eventTime(shuffled[i+1], "")
		if b-a <= 10_000 {
			shuffled[i], shuffled[i+1] = shuffled[i+1], shuffled[i]
		}
	}
	for _, tc := range []struct {
		name string
		docs []*doc.Document
	}{{"in order", docs}, {"shuffled", shuffled}} {
		// the wall clock past the data: nothing is future, all is released at the end
		last, _ := eventTime(docs[len(docs)-1], "")
		clock := &fakeClock{time.UnixMilli(last).Add(time.Hour)}
		l := NewLive(nil, LiveOptions{Clock: clock, AllowedLateness: time.Minute})
		l.AddEQL(rules)
		got := map[string][]string{}
		collect := func() {
			ups, err := l.Flush()
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range ups {
				got[u.Alert.RuleID] = append(got[u.Alert.RuleID], u.Alert.ID)
			}
		}
		for i, d := range tc.docs {
			l.Push(d)
			if i%64 == 63 {
				collect()
			}
		}
		clock.t = clock.t.Add(10 * time.Minute) // every source falls silent
		l.Observe("end", clock.t.UnixMilli())
		collect()
		for id, w := range want {
			g := got[id]
			slices.Sort(g)
			slices.Sort(w)
			if !slices.Equal(g, w) {
				t.Errorf("%s: rule %s: %d alerts served, %d hunted", tc.name, id, len(g), len(w))
			}
		}
		for id, g := range got {
			if want[id] == nil {
				t.Errorf("%s: rule %s: %d alerts served, none hunted", tc.name, id, len(g))
			}
		}
	}
}
