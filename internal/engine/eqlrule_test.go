package engine

import (
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/rule"
)

// EQLHunt over hand-made events: max_signals is the search size, taken
// in timestamp order whatever the input order; the rule's index patterns
// route; the candidate cap drops and counts.
func TestEQLHunt(t *testing.T) {
	lines := []string{
		`{"@timestamp":"2026-01-01T00:00:03Z","data_stream":{"type":"logs","dataset":"endpoint.events.process","namespace":"default"},"event":{"category":"process"},"process":{"name":"sh"}}`,
		`{"@timestamp":"2026-01-01T00:00:01Z","data_stream":{"type":"logs","dataset":"endpoint.events.process","namespace":"default"},"event":{"category":"process"},"process":{"name":"sh"}}`,
		`{"@timestamp":"2026-01-01T00:00:02Z","data_stream":{"type":"logs","dataset":"endpoint.events.file","namespace":"default"},"event":{"category":"process"},"process":{"name":"sh"}}`,
		`{"@timestamp":"2026-01-01T00:00:00Z","data_stream":{"type":"logs","dataset":"endpoint.events.process","namespace":"default"},"event":{"category":"process"},"process":{"name":"bash"}}`,
	}
	cases := []struct {
		name       string
		index      []string
		maxSignals int
		maxEvents  int
		wantTimes  []string // original_time of the alerts, in order
		wantWarn   string
	}{
		{"all indices", nil, 100, 0, []string{"2026-01-01T00:00:01.000Z", "2026-01-01T00:00:02.000Z", "2026-01-01T00:00:03.000Z"}, ""},
		{"process index", []string{"logs-endpoint.events.process-*"}, 100, 0, []string{"2026-01-01T00:00:01.000Z", "2026-01-01T00:00:03.000Z"}, ""},
		{"max_signals 1", nil, 1, 0, []string{"2026-01-01T00:00:01.000Z"}, ""},
		{"candidate cap", nil, 100, 2, []string{"2026-01-01T00:00:01.000Z", "2026-01-01T00:00:03.000Z"}, "1 events dropped"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &rule.Rule{RuleID: "r", Name: "r", Type: "eql", Language: "eql", Severity: "low", MaxSignals: c.maxSignals,
				Index: c.index, Query: `process where process.name == "sh"`}
			er, err := CompileEQL(r, &Catalog{})
			if err != nil {
				t.Fatal(err)
			}
			h := NewEQLHunt([]*EQLRule{er})
			h.MaxEvents = c.maxEvents
			dec := doc.NewDecoder((&Catalog{}).DecoderMapping(), doc.DecodeOptions{Dynamic: true, AutoID: true, Fields: h.Fields()})
			for _, l := range lines {
				d, err := dec.Decode([]byte(l))
				if err != nil {
					t.Fatal(err)
				}
				h.Push(d)
			}
			res := h.Finish(time.Unix(0, 0), "x")
			var times []string
			for _, a := range res[0].Alerts {
				times = append(times, a.Fields["kibana.alert.original_time"].(string))
			}
			if strings.Join(times, ",") != strings.Join(c.wantTimes, ",") {
				t.Errorf("alerts at %v, want %v", times, c.wantTimes)
			}
			if got := strings.Join(res[0].Warnings, ";"); !strings.Contains(got, c.wantWarn) || (c.wantWarn == "") != (got == "") {
				t.Errorf("warnings %q, want %q", got, c.wantWarn)
			}
		})
	}
}

// An EQL error is reported at its file:line:col in the rule file.
func TestCompileEQLErrorPosition(t *testing.T) {
	r := &rule.Rule{Path: "r.toml", QueryLine: 10, Type: "eql", Query: "process where\n  process.nam == \"sh\""}
	_, err := CompileEQL(r, &Catalog{})
	if err == nil || !strings.HasPrefix(err.Error(), "r.toml:11:3: ") {
		t.Errorf("err = %v, want it at r.toml:11:3", err)
	}
}
