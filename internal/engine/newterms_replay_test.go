package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// ntRule is a new_terms rule over logs-test: interval 5m, look-back 10m,
// history 1h (so the gap that can make a sighting new again is 50m).
func ntRule(fields ...string) *rule.Rule {
	return &rule.Rule{RuleID: "r-nt", Name: "test new_terms", Type: "new_terms", Language: "kuery", Severity: "low", MaxSignals: 100,
		Index: []string{"logs-*"}, Query: "event.category:process", Interval: 5 * time.Minute, Lookback: 10 * time.Minute, From: "now-10m",
		NewTerms: &rule.NewTerms{Fields: fields, HistoryWindowStart: "now-1h", History: time.Hour}}
}

// ntEv is a process event at 2026-11-30T<hms> with the given fields (JSON
// members) and id.
func ntEv(hms, id, fields string) string {
	return fmt.Sprintf(`{"_index":"logs-test","_id":%q,"_source":{"@timestamp":"2026-11-30T%sZ","event":{"category":"process"},%s}}`, id, hms, fields)
}

// ntReplay replays one rule over lines.
func ntReplay(t *testing.T, r *rule.Rule, lines ...string) ([]*Alert, []RunReport) {
	t.Helper()
	cr, err := Compile(r, &Catalog{}, esql.Options{Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatalf("%v\n%s", err, lower(r))
	}
	rp := NewNewTermsReplay([]*CompiledRule{cr})
	dec := doc.NewDecoder(nil, doc.DecodeOptions{Dynamic: true})
	for _, l := range lines {
		d, err := dec.Decode([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		rp.Push(d)
	}
	alerts, reps, err := rp.Finish(func(r string, at time.Time) string { return r + "@" + at.Format(time.RFC3339) })
	if err != nil {
		t.Fatal(err)
	}
	return alerts, reps
}

// ntSummary is each alert as "terms first-document run-end".
func ntSummary(alerts []*Alert) []string {
	var out []string
	for _, a := range alerts {
		j, _ := json.Marshal(a.Fields["kibana.alert.new_terms"])
		anc := a.Fields["kibana.alert.ancestors"].([]Ancestor)
		out = append(out, fmt.Sprintf("%s %s %s", j, anc[0].ID, strings.TrimSuffix(a.Fields["vigil.execution.range.lte"].(string), ".000Z")))
	}
	return out
}

func TestNewTermsReplay(t *testing.T) {
	cases := []struct {
		name   string
		fields []string
		max    int
		lines  []string
		want   []string
	}{{
		name:   "single field: first sighting alerts once (two overlapping runs), a recurrence within the gap does not",
		fields: []string{"host.name"},
		lines: []string{
			ntEv("10:01:00", "a1", `"host":{"name":"a"}`),
			ntEv("10:30:00", "a2", `"host":{"name":"a"}`),
			ntEv("11:15:00", "a3", `"host":{"name":"a"}`), // 45m after a2: in every later run's history
		},
		want: []string{`["a"] a1 2026-11-30T10:05:00`},
	}, {
		// Run 11:15 has history [10:15, 11:05): a sighting at 10:15:00.000
		// is inside it (gte), one at 10:14:59.999 outside; both come back at
		// 11:10, after from.
		name:   "a sighting just inside the history window keeps the term old, just outside makes it new",
		fields: []string{"host.name"},
		lines: []string{
			ntEv("10:15:00.000", "in1", `"host":{"name":"inside"}`),
			ntEv("11:10:00.000", "in2", `"host":{"name":"inside"}`),
			ntEv("10:14:59.999", "out1", `"host":{"name":"outside"}`),
			ntEv("11:10:00.000", "out2", `"host":{"name":"outside"}`),
		},
		want: []string{
			`["outside"] out1 2026-11-30T10:15:00`,
			`["inside"] in1 2026-11-30T10:15:00`,
			`["outside"] out2 2026-11-30T11:15:00`,
		},
	}, {
		name:   "an array value gives one term per element",
		fields: []string{"user.name"},
		lines: []string{
			ntEv("10:01:00", "u1", `"user":{"name":["x","y"]}`),
			ntEv("10:02:00", "u2", `"user":{"name":["y","z"]}`),
		},
		want: []string{`["x"] u1 2026-11-30T10:05:00`, `["y"] u1 2026-11-30T10:05:00`, `["z"] u2 2026-11-30T10:05:00`},
	}, {
		name:   "several fields: every combination of their values",
		fields: []string{"host.name", "user.name"},
		lines: []string{
			ntEv("10:01:00", "m1", `"host":{"name":"h"},"user":{"name":["x","y"]}`),
			ntEv("10:20:00", "m2", `"host":{"name":"h"},"user":{"name":"x"}`),        // (h,x) seen 19m ago
			ntEv("10:21:00", "m3", `"host":{"name":["h","h2"]},"user":{"name":"x"}`), // (h2,x) is new
			ntEv("10:22:00", "m4", `"host":{"name":"h3"}`),                           // no user.name: no term
		},
		want: []string{`["h","x"] m1 2026-11-30T10:05:00`, `["h","y"] m1 2026-11-30T10:05:00`, `["h2","x"] m3 2026-11-30T10:25:00`},
	}, {
		name:   "max_signals per run: the third new host waits for the next run that finds it new",
		fields: []string{"host.name"},
		max:    2,
		lines: []string{
			ntEv("10:01:00", "p1", `"host":{"name":"p"}`),
			ntEv("10:02:00", "q1", `"host":{"name":"q"}`),
			ntEv("10:03:00", "r1", `"host":{"name":"r"}`),
		},
		want: []string{`["p"] p1 2026-11-30T10:05:00`, `["q"] q1 2026-11-30T10:05:00`, `["r"] r1 2026-11-30T10:10:00`},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ntRule(c.fields...)
			if c.max > 0 {
				r.MaxSignals = c.max
			}
			alerts, reps := ntReplay(t, r, c.lines...)
			got := ntSummary(alerts)
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("alerts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if c.max > 0 {
				if len(reps) == 0 || reps[0].Truncated != 1 || reps[0].Alerts != 2 {
					t.Errorf("first run report %+v, want 2 alerts and 1 dropped", reps)
				}
			}
		})
	}
}

// TestNewTermsReplayInputOrder: the alerts do not depend on the input
// order (slices are read in time order).
func TestNewTermsReplayInputOrder(t *testing.T) {
	lines := []string{
		ntEv("10:14:59.999", "o1", `"host":{"name":"o"}`),
		ntEv("11:10:00", "o2", `"host":{"name":"o"}`),
		ntEv("10:01:00", "a1", `"host":{"name":"a"}`),
		ntEv("12:30:00", "a2", `"host":{"name":"a"}`),
	}
	fwd, _ := ntReplay(t, ntRule("host.name"), lines...)
	rev := make([]string, len(lines))
	for i, l := range lines {
		rev[len(lines)-1-i] = l
	}
	back, _ := ntReplay(t, ntRule("host.name"), rev...)
	if a, b := strings.Join(ntSummary(fwd), "\n"), strings.Join(ntSummary(back), "\n"); a != b || len(fwd) != 4 {
		t.Errorf("input order changed the alerts:\n%s\nreversed:\n%s", a, b)
	}
}
