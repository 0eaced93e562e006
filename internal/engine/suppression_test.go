package engine

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"vigil/internal/rule"
)

// TestSuppress checks hand-computed suppression groups: each alert is
// "host user minute" (- for a missing field), the rule's times are minutes
// after 10:00, and want lists the kept alerts as
// "index:docs_count:start-end:terms" in input order.
func TestSuppress(t *testing.T) {
	base := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	type in struct {
		host, user string
		min        int
	}
	tests := []struct {
		name string
		s    *rule.Suppression
		in   []in
		want []string
	}{
		{"one field per execution", &rule.Suppression{GroupBy: []string{"host.name"}, SuppressMissing: true},
			[]in{{"a", "x", 0}, {"b", "x", 1}, {"a", "y", 5}, {"a", "z", 2}},
			[]string{"0:2:0-5:[a]", "1:0:1-1:[b]"}},
		{"two fields", &rule.Suppression{GroupBy: []string{"host.name", "user.name"}, SuppressMissing: true},
			[]in{{"a", "x", 0}, {"b", "x", 1}, {"a", "x", 5}, {"a", "y", 2}},
			[]string{"0:1:0-5:[a x]", "1:0:1-1:[b x]", "3:0:2-2:[a y]"}},
		{"three fields, one an array sorted", &rule.Suppression{GroupBy: []string{"host.name", "user.name", "tags"}, SuppressMissing: true},
			[]in{{"a", "x", 0}, {"a", "x", 3}},
			[]string{"0:1:0-3:[a x [p q]]"}},
		{"duration windows from each window's first alert", &rule.Suppression{GroupBy: []string{"host.name"}, Duration: 5 * time.Minute, SuppressMissing: true},
			// a: 0,4 | 5,9 | 12 ; input out of time order for a at 9 and 4
			[]in{{"a", "x", 0}, {"a", "x", 9}, {"a", "x", 4}, {"a", "x", 5}, {"a", "x", 12}, {"b", "x", 4}},
			[]string{"0:1:0-4:[a]", "3:1:5-9:[a]", "4:0:12-12:[a]", "5:0:4-4:[b]"}},
		{"missing fields suppressed together", &rule.Suppression{GroupBy: []string{"host.name"}, SuppressMissing: true},
			[]in{{"-", "x", 0}, {"-", "y", 1}, {"a", "x", 2}},
			[]string{"0:1:0-1:[<nil>]", "2:0:2-2:[a]"}},
		{"missing fields not suppressed", &rule.Suppression{GroupBy: []string{"host.name", "user.name"}},
			[]in{{"-", "x", 0}, {"-", "x", 1}, {"a", "-", 2}, {"a", "x", 3}, {"a", "x", 4}},
			[]string{"0:-", "1:-", "2:-", "3:1:3-4:[a x]"}},
		{"no suppression", nil,
			[]in{{"a", "x", 0}, {"a", "x", 1}},
			[]string{"0:-", "1:-"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &rule.Rule{RuleID: "r1", Suppression: tc.s}
			var alerts []*Alert
			for i, e := range tc.in {
				f := map[string]any{
					"kibana.alert.original_time": base.Add(time.Duration(e.min) * time.Minute).Format(alertTime),
					"@timestamp":                 "2026-02-01T00:00:00.000Z",
					"idx":                        i,
					"tags":                       []any{"q", "p"},
				}
				if e.host != "-" {
					f["host.name"] = e.host
				}
				if e.user != "-" {
					f["user"] = map[string]any{"name": e.user} // nested, as a merged source
				}
				alerts = append(alerts, &Alert{ID: fmt.Sprint("orig", i), RuleID: r.RuleID, Fields: f, rule: r})
			}
			var got []string
			for _, a := range Suppress(alerts) {
				f := a.Fields
				n, ok := f["kibana.alert.suppression.docs_count"]
				if !ok {
					got = append(got, fmt.Sprintf("%d:-", f["idx"]))
					continue
				}
				var vals []any
				for _, term := range f["kibana.alert.suppression.terms"].([]SuppressionTerm) {
					vals = append(vals, term.Value)
				}
				minute := func(k string) int {
					tm, _ := time.Parse(time.RFC3339Nano, f[k].(string))
					return int(tm.Sub(base).Minutes())
				}
				got = append(got, fmt.Sprintf("%d:%d:%d-%d:%v", f["idx"], n, minute("kibana.alert.suppression.start"), minute("kibana.alert.suppression.end"), vals))
				if a.ID != f["kibana.alert.uuid"] || a.ID == fmt.Sprint("orig", f["idx"]) {
					t.Errorf("alert %d: id %q not the suppressed group's", f["idx"], a.ID)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestSuppressIDs: windows of one group get distinct ids and one instance id;
// groups of two rules with equal terms stay apart.
func TestSuppressIDs(t *testing.T) {
	s := &rule.Suppression{GroupBy: []string{"host.name"}, Duration: time.Minute, SuppressMissing: true}
	r1, r2 := &rule.Rule{RuleID: "r1", Suppression: s}, &rule.Rule{RuleID: "r2", Suppression: s}
	mk := func(r *rule.Rule, ts string) *Alert {
		return &Alert{RuleID: r.RuleID, rule: r, Fields: map[string]any{"host.name": "a", "kibana.alert.original_time": ts}}
	}
	out := Suppress([]*Alert{mk(r1, "2026-01-01T00:00:00Z"), mk(r1, "2026-01-01T00:05:00Z"), mk(r2, "2026-01-01T00:00:00Z")})
	if len(out) != 3 {
		t.Fatalf("got %d alerts, want 3", len(out))
	}
	if out[0].ID == out[1].ID || out[0].ID == out[2].ID {
		t.Errorf("ids not distinct: %s %s %s", out[0].ID, out[1].ID, out[2].ID)
	}
	if out[0].Fields["kibana.alert.instance.id"] != out[1].Fields["kibana.alert.instance.id"] || out[0].Fields["kibana.alert.instance.id"] == out[2].Fields["kibana.alert.instance.id"] {
		t.Errorf("instance ids: want one per rule and terms")
	}
}

// Array values are sorted as lodash sortBy sorts them: numbers numerically
// (10 after 9), strings by text; a missing field is null.
func TestSuppressionTermsSorted(t *testing.T) {
	f := map[string]any{"n": []any{int64(10), float64(9)}, "s": []any{"b", "a", "B"}}
	got, missing := suppressionTerms(f, []string{"n", "s", "x"})
	want := []SuppressionTerm{{"n", []any{float64(9), int64(10)}}, {"s", []any{"B", "a", "b"}}, {"x", nil}}
	if !reflect.DeepEqual(got, want) || !missing {
		t.Errorf("got %v (missing %v), want %v", got, missing, want)
	}
}
