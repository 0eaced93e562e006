package engine

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// srcEv is a process event at 2026-11-30T<hms>Z on host, running name.
func srcEv(hms, host, name string) string {
	return `{"@timestamp":"2026-11-30T` + hms + `.000Z","data_stream":{"type":"logs","dataset":"endpoint.events.process","namespace":"default"},` +
		`"agent":{"id":"a1"},"host":{"name":"` + host + `"},"process":{"name":"` + name + `"}}`
}

// sourceRule is a query, new_terms or threshold rule on process events run
// every 5 minutes over 10 (runs overlap: an event is in two).
func sourceRule(tb testing.TB, typ string) *CompiledRule {
	tb.Helper()
	r := &rule.Rule{RuleID: "src-" + typ, Name: typ, Type: typ, Language: "kuery", Severity: "low", RiskScore: 21, MaxSignals: 100,
		Index: []string{"logs-endpoint.events.process-*"}, Query: "process.name:sh", Interval: 5 * time.Minute, Lookback: 10 * time.Minute}
	switch typ {
	case "new_terms":
		r.NewTerms = &rule.NewTerms{Fields: []string{"host.name"}, History: time.Hour}
	case "threshold":
		r.Threshold = &rule.Threshold{Fields: []string{"host.name"}, Value: 2}
	}
	cr, err := Compile(r, &Catalog{}, esql.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return cr
}

// The live engine's query and new_terms alerts carry their event's
// source (host.name here, which the lowered query does not keep), real
// time and scheduled, after a late event's re-evaluation too; every
// update the engine gives carries it (a re-derived alert is skipped, not
// raised without it), unless the source cap refused it, which is counted.
// Each step pushes events (a leading "late:" re-evaluates after the
// flush) and lists the alerts raised as "host@hh:mm:ss".
func TestLiveAlertSources(t *testing.T) {
	type step struct {
		events []string
		want   string
	}
	cases := []struct {
		name     string
		typ      string
		mode     Mode
		maxBytes int64
		steps    []step
		dropped  int64
	}{
		{name: "query", typ: "query", steps: []step{
			{[]string{srcEv("11:00:00", "h1", "sh"), srcEv("11:00:01", "h2", "ls")}, "h1@11:00:00"},
			// the open runs evaluated again: h1's alert is not re-raised
			{[]string{srcEv("11:01:00", "h3", "sh")}, "h3@11:01:00"},
			// time passes: the runs are final, nothing new
			{[]string{srcEv("11:40:00", "h4", "ls")}, ""},
			// a late match: its final runs rebuilt from the spool
			{[]string{"late:" + srcEv("11:02:00", "h5", "sh")}, "h1@11:00:00,h3@11:01:00,h5@11:02:00"},
		}},
		{name: "query past the source cap", typ: "query", maxBytes: 1, steps: []step{
			{[]string{srcEv("11:00:00", "h1", "sh")}, "-@11:00:00"},
		}, dropped: 1},
		{name: "query scheduled", typ: "query", mode: Scheduled, steps: []step{
			{[]string{srcEv("11:55:00", "h1", "sh"), srcEv("11:56:00", "h2", "ls")}, "h1@11:55:00"},
		}},
		{name: "new_terms", typ: "new_terms", steps: []step{
			{[]string{srcEv("11:00:00", "h1", "sh"), srcEv("11:00:01", "h1", "sh"), srcEv("11:00:02", "h2", "ls")}, "h1@11:00:00"},
			{[]string{srcEv("11:01:00", "h1", "sh"), srcEv("11:01:01", "h2", "sh")}, "h2@11:01:01"},
		}},
		{name: "new_terms scheduled", typ: "new_terms", mode: Scheduled, steps: []step{
			{[]string{srcEv("11:55:00", "h1", "sh"), srcEv("11:56:00", "h1", "sh")}, "h1@11:55:00"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cr := sourceRule(t, tc.typ)
			l := NewLive([]*CompiledRule{cr}, LiveOptions{Clock: fixedClock(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)),
				Mode: func(*rule.Rule) Mode { return tc.mode }, MaxSourceBytes: tc.maxBytes})
			dec := doc.NewDecoder(nil, doc.DecodeOptions{Dynamic: true, AutoID: true, Source: KeepSources([]*CompiledRule{cr}, nil)})
			var spool []string
			spoolSrc := func(from, to int64, fn func(*doc.Document)) error {
				for _, line := range spool {
					d, err := dec.Decode([]byte(line))
					if err != nil {
						return err
					}
					fn(d)
				}
				return nil
			}
			for i, st := range tc.steps {
				for _, line := range st.events {
					line = strings.TrimPrefix(line, "late:")
					spool = append(spool, line)
					d, err := dec.Decode([]byte(line))
					if err != nil {
						t.Fatal(err)
					}
					l.Push(d)
				}
				var ups []Update
				var err error
				if tc.mode == Scheduled {
					ups, _, err = l.Tick()
				} else if ups, err = l.Flush(); err == nil && strings.HasPrefix(st.events[0], "late:") {
					ups, err = l.Reevaluate(spoolSrc)
				}
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, u := range ups {
					host, ok := u.Alert.Fields["host.name"].(string)
					if !ok {
						host = "-"
					}
					got = append(got, fmt.Sprintf("%s@%s", host, u.Alert.Fields["kibana.alert.original_time"].(string)[11:19]))
				}
				slices.Sort(got)
				if g := strings.Join(got, ","); g != st.want {
					t.Errorf("step %d: alerts %q, want %q", i+1, g, st.want)
				}
				if len(l.src.byID) != 0 {
					t.Errorf("step %d: %d sources kept after the evaluation", i+1, len(l.src.byID))
				}
			}
			if l.SourcesDropped() != tc.dropped {
				t.Errorf("sources dropped %d, want %d", l.SourcesDropped(), tc.dropped)
			}
		})
	}
}

// Push keeps the source of the events a query rule's WHERE passes, not
// of the others.
func TestLiveKeepsMatchedSourcesOnly(t *testing.T) {
	cr := sourceRule(t, "query")
	l := NewLive([]*CompiledRule{cr}, LiveOptions{Clock: fixedClock(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))})
	dec := doc.NewDecoder(nil, doc.DecodeOptions{Dynamic: true, AutoID: true, Source: true})
	want := 0
	for i, name := range []string{"ls", "sh", "id", "sh"} {
		d, err := dec.Decode([]byte(srcEv(fmt.Sprintf("11:00:0%d", i), "h", name)))
		if err != nil {
			t.Fatal(err)
		}
		l.Push(d)
		if name == "sh" {
			want += len(d.Source)
		}
	}
	if len(l.src.byID) != 2 || l.src.bytes != int64(want) {
		t.Errorf("kept %d sources (%d bytes), want 2 (%d bytes)", len(l.src.byID), l.src.bytes, want)
	}
}

// BenchmarkLiveQueryRuleSources: a real-time query rule over batches of
// 100 events, 1 in 10 a match, each batch a second after the last (runs
// close as time passes), with and without sources kept: the decoder's
// copy of each line, the matches' kept until the Flush and merged into
// their alerts.
func BenchmarkLiveQueryRuleSources(b *testing.B) {
	for _, keep := range []bool{false, true} {
		b.Run(fmt.Sprintf("sources=%v", keep), func(b *testing.B) {
			cr := sourceRule(b, "query")
			l := NewLive([]*CompiledRule{cr}, LiveOptions{Clock: fixedClock(time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC))})
			dec := doc.NewDecoder(nil, doc.DecodeOptions{Dynamic: true, AutoID: true, Source: keep})
			base := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
			batch := func(i int) [][]byte {
				var lines [][]byte
				hms := base.Add(time.Duration(i) * time.Second).Format("15:04:05")
				for j := range 100 {
					name := "ls"
					if j%10 == 0 {
						name = "sh"
					}
					lines = append(lines, []byte(srcEv(hms, fmt.Sprint("h", j), name)))
				}
				return lines
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				lines := batch(i % 80000)
				b.StartTimer()
				for _, line := range lines {
					d, err := dec.Decode(line)
					if err != nil {
						b.Fatal(err)
					}
					l.Push(d)
				}
				if _, err := l.Flush(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The decoder keeps sources only for rules that read them: an ES|QL-only
// (or threshold-only) engine keeps none.
func TestKeepSources(t *testing.T) {
	compile := func(r *rule.Rule) *CompiledRule {
		cr, err := Compile(r, &Catalog{}, esql.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return cr
	}
	seed := compile(rule.Builtin()[0])
	reader := *rule.Builtin()[0]
	reader.Query = "FROM logs-* METADATA _source | KEEP _source"
	eqlRule, err := CompileEQL(&rule.Rule{RuleID: "e", Name: "e", Type: "eql", Language: "eql", Query: "process where true"}, &Catalog{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		rules []*CompiledRule
		eql   []*EQLRule
		want  bool
	}{
		{"ES|QL", []*CompiledRule{seed}, nil, false},
		{"threshold", []*CompiledRule{seed, sourceRule(t, "threshold")}, nil, false},
		{"query", []*CompiledRule{seed, sourceRule(t, "query")}, nil, true},
		{"new_terms", []*CompiledRule{sourceRule(t, "new_terms")}, nil, true},
		{"METADATA _source", []*CompiledRule{compile(&reader)}, nil, true},
		{"EQL", nil, []*EQLRule{eqlRule}, true},
	} {
		if got := KeepSources(tc.rules, tc.eql); got != tc.want {
			t.Errorf("%s: KeepSources %v, want %v", tc.name, got, tc.want)
		}
	}
}
