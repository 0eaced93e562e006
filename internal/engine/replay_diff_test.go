package engine

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// replayQueries cover the shapes the shared path takes (STATS first,
// windows, post-STATS filters and sorts, warnings) and those it leaves to
// the reference (LIMIT or SORT first, INLINE STATS, NOW()).
var replayQueries = []string{
	`STATS n = COUNT(*), d = COUNT_DISTINCT(process.command_line) BY host.name, w = DATE_TRUNC(1 minute, @timestamp) | WHERE n >= 2`,
	`WHERE process.name == "sh" | KEEP @timestamp, host.name, process.command_line`,
	`STATS c = COUNT(*) BY host.name | SORT c DESC, host.name | LIMIT 3`,
	`LIMIT 5 | STATS c = COUNT(*) BY process.name`,
	`SORT @timestamp DESC | LIMIT 4 | KEEP @timestamp, host.name`,
	`STATS v = VALUES(process.name), m = MAX(@timestamp) BY process.parent.entity_id`,
	`EVAL x = TO_LONG(process.command_line) | STATS s = SUM(x) BY host.name`,
	`STATS n = COUNT(*)`,
	`INLINE STATS n = COUNT(*) BY host.name | WHERE n > 3 | KEEP host.name, n`,
	`WHERE @timestamp > NOW() - 3 minutes | STATS n = COUNT(*) BY host.name`,
}

func diffRule(t *testing.T, query string, interval, lookback time.Duration, maxSignals int) *rule.Rule {
	t.Helper()
	toml := fmt.Sprintf(`[rule]
rule_id = "diff"
name = "diff"
type = "esql"
severity = "low"
risk_score = 21
interval = "%ds"
from = "now-%ds"
max_signals = %d
query = '''
FROM logs-endpoint.events.process-*
| %s
'''
`, int(interval.Seconds()), int(lookback.Seconds()), maxSignals, query)
	r, err := rule.Parse([]byte(toml), "diff.toml")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// replayEvents returns n events between base and base+span, some exactly on
// minute boundaries (where runs and ranges start and end), in time order.
func replayEvents(rng *rand.Rand, base time.Time, span time.Duration, n int) []string {
	type event struct {
		at   time.Time
		line string
	}
	var evs []event
	for i := 0; i < n; i++ {
		at := base.Add(time.Duration(rng.Int64N(int64(span))))
		if rng.IntN(4) == 0 {
			at = at.Truncate(time.Minute)
		}
		host := fmt.Sprintf("h%d", rng.IntN(3))
		shell := []string{"sh", "bash", "zsh"}[rng.IntN(3)]
		cmd := []string{"whoami", "id", "42", "curl x", "7"}[rng.IntN(5)]
		s, l, a := c(shell, "-c", cmd)
		line := ev(at.Format(time.RFC3339Nano), host, "linux", fmt.Sprintf("P%d", rng.IntN(4)), "python3", s, l, a, nil)
		evs = append(evs, event{at, line})
	}
	slices.SortStableFunc(evs, func(a, b event) int { return a.at.Compare(b.at) })
	lines := make([]string, len(evs))
	for i, e := range evs {
		lines[i] = e.line
	}
	return lines
}

// runReplay replays lines through rp, pushing them again on the reference
// path when Rescan asks, and returns alerts (as JSON) and run reports.
func runReplay(t *testing.T, rp *Replay, lines []string) ([]string, []RunReport, []string) {
	t.Helper()
	ep, _ := doc.BuiltinMapping("logs-endpoint.events.process")
	push := func() {
		dec := doc.NewDecoder(ep, doc.DecodeOptions{Dynamic: true})
		for i, l := range lines {
			d, err := dec.Decode([]byte(l))
			if err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
			rp.Push(d)
		}
	}
	push()
	rescanned := rp.Rescan()
	if len(rescanned) > 0 {
		push()
	}
	alerts, runs, err := rp.Finish(func(id string, at time.Time) string { return id + "@" + at.Format(time.RFC3339) })
	if err != nil {
		t.Fatal(err)
	}
	var js []string
	for _, a := range alerts {
		b, err := a.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		js = append(js, string(b))
	}
	return js, runs, rescanned
}

// TestReplaySharedAgainstReference checks the shared path against the
// reference (one execution per run) over random rules, schedules and data:
// the same alerts in the same order and the same per-run reports.
func TestReplaySharedAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 6))
	intervals := []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 6 * time.Minute}
	lookbacks := []time.Duration{45 * time.Second, time.Minute, 150 * time.Second, 9 * time.Minute, 30 * time.Minute, 3 * time.Hour}
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	cat := &Catalog{}
	shared, trials := 0, 20 // two rounds of the queries; VIGIL_LONG_TESTS=1: ten
	if longTests() {
		trials = 100
	}
	for trial := 0; trial < trials; trial++ {
		query := replayQueries[trial%len(replayQueries)]
		interval := intervals[rng.IntN(len(intervals))]
		lookback := lookbacks[rng.IntN(len(lookbacks))]
		maxSignals := 1 + rng.IntN(4)
		r := diffRule(t, query, interval, lookback, maxSignals)
		cr, err := Compile(r, cat, esql.Options{Now: base})
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		lines := replayEvents(rng, base, time.Duration(1+rng.IntN(40))*time.Minute, 1+rng.IntN(120))
		for _, dups := range []bool{false, true} {
			name := fmt.Sprintf("%d %s every %s from now-%s dups=%v", trial, query, interval, lookback, dups)
			ref := NewReplay([]*CompiledRule{cr})
			ref.Reference, ref.Catalog, ref.KibanaDuplicates = true, cat, dups
			fast := NewReplay([]*CompiledRule{cr})
			fast.Catalog, fast.KibanaDuplicates = cat, dups
			wantAlerts, wantRuns, _ := runReplay(t, ref, lines)
			gotAlerts, gotRuns, rescanned := runReplay(t, fast, lines)
			if len(rescanned) > 0 {
				t.Errorf("%s: time-ordered input rescanned", name)
			}
			if shareable(cr.Query, true) {
				shared++
			}
			if !reflect.DeepEqual(gotRuns, wantRuns) {
				t.Errorf("%s: run reports differ\n got %s\nwant %s", name, summarize(gotRuns), summarize(wantRuns))
			}
			if !slices.Equal(gotAlerts, wantAlerts) {
				t.Errorf("%s: %d alerts, want %d\n got %.600s\nwant %.600s", name, len(gotAlerts), len(wantAlerts), strings.Join(gotAlerts, "\n"), strings.Join(wantAlerts, "\n"))
			}
		}
	}
	if shared < trials/2 {
		t.Errorf("only %d replays took the shared path", shared)
	}
}

func summarize(runs []RunReport) string {
	var b strings.Builder
	for _, r := range runs {
		if r.Events > 0 {
			fmt.Fprintf(&b, "%s ev=%d rows=%d alerts=%d dropped=%d warn=%d; ", r.Time.Format("15:04:05"), r.Events, r.Rows, r.Alerts, r.Truncated, len(r.Warnings))
		}
	}
	return fmt.Sprintf("%d runs: %s", len(runs), b.String())
}

// Input out of time order: the shared path cannot follow input order, so
// Rescan sends the rule to the reference path and the second read gives the
// reference's results.
func TestReplayRescansUnorderedInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	r := diffRule(t, replayQueries[0], 5*time.Minute, 9*time.Minute, 2)
	cr, err := Compile(r, &Catalog{}, esql.Options{Now: base})
	if err != nil {
		t.Fatal(err)
	}
	lines := replayEvents(rng, base, 30*time.Minute, 200)
	rng.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	ref := NewReplay([]*CompiledRule{cr})
	ref.Reference = true
	wantAlerts, wantRuns, _ := runReplay(t, ref, lines)
	fast := NewReplay([]*CompiledRule{cr})
	gotAlerts, gotRuns, rescanned := runReplay(t, fast, lines)
	if !slices.Equal(rescanned, []string{"diff"}) {
		t.Errorf("rescanned %v, want [diff]", rescanned)
	}
	if !reflect.DeepEqual(gotRuns, wantRuns) || !slices.Equal(gotAlerts, wantAlerts) {
		t.Errorf("after the rescan: %d alerts %s, want %d %s", len(gotAlerts), summarize(gotRuns), len(wantAlerts), summarize(wantRuns))
	}
}

// A 5-day look-back over an hour of data: ~1,200 runs, every event in all
// of them; the shared path computes a handful of distinct results.
func BenchmarkReplayLongLookback(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	t := &testing.T{}
	r := diffRule(t, replayQueries[0], 6*time.Minute, 5*24*time.Hour, 100)
	cr, err := Compile(r, &Catalog{}, esql.Options{Now: base})
	if err != nil {
		b.Fatal(err)
	}
	lines := replayEvents(rng, base, time.Hour, 2000)
	ep, _ := doc.BuiltinMapping("logs-endpoint.events.process")
	dec := doc.NewDecoder(ep, doc.DecodeOptions{Dynamic: true})
	var docs []*doc.Document
	for _, l := range lines {
		d, err := dec.Decode([]byte(l))
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, d)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rp := NewReplay([]*CompiledRule{cr})
		for _, d := range docs {
			rp.Push(d)
		}
		if _, _, err := rp.Finish(func(string, time.Time) string { return "" }); err != nil {
			b.Fatal(err)
		}
	}
}
