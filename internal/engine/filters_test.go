package engine

import (
	"strings"
	"testing"
	"time"

	"vigil/internal/esql"
	"vigil/internal/querydsl"
	"vigil/internal/rule"
)

// ruleFilter reads filters JSON as a rule file's rule.filters would be.
func ruleFilter(t *testing.T, filters string) *rule.Rule {
	t.Helper()
	n, err := querydsl.Filters([]byte(filters))
	if err != nil {
		t.Fatal(err)
	}
	return &rule.Rule{Filter: n}
}

// A rule's filters AND with its query in every KQL rule type (here query
// and threshold): the phrase filter of the shared Kibana export keeps
// only process-creation events, a negated filter removes root's.
func TestKQLRuleFilters(t *testing.T) {
	lines := []string{
		kqlEv(0, `"process.name":"curl","event.action":"Process Create (rule: ProcessCreate)","user.name":"alice"`),
		kqlEv(1, `"process.name":"curl","event.action":"Process Terminate","user.name":"alice"`),
		kqlEv(2, `"process.name":"curl","event.action":"Process Create (rule: ProcessCreate)","user.name":"root"`),
		kqlEv(3, `"process.name":"curl","user.name":"bob"`),
	}
	const filters = `[{"meta":{"type":"phrase","key":"event.action","params":{"query":"Process Create (rule: ProcessCreate)"},"disabled":false,"negate":false},"$state":{"store":"appState"},"query":{"match_phrase":{"event.action":{"query":"Process Create (rule: ProcessCreate)"}}}},
		{"meta":{"negate":true},"query":{"term":{"user.name":"root"}}},
		{"meta":{"disabled":true},"query":{"match_none":{}}}]`
	r := ruleFilter(t, filters)
	r.Type, r.Query = "query", "process.name:curl"
	var ids []string
	for _, a := range kqlSweep(t, r, lines...) {
		ids = append(ids, a.Fields["kibana.alert.ancestors"].([]Ancestor)[0].ID)
	}
	if len(ids) != 1 || !strings.HasPrefix(ids[0], "e0-") {
		t.Errorf("alerts for %v, want the event at minute 0 only", ids)
	}

	th := ruleFilter(t, filters)
	th.Type, th.Query, th.Threshold = "threshold", "", &rule.Threshold{Value: 1}
	alerts := kqlSweep(t, th, lines...)
	if len(alerts) != 1 || alerts[0].Fields["kibana.alert.threshold_result.count"] != int64(1) {
		t.Errorf("threshold alerts %d, want 1 with count 1: %v", len(alerts), alerts)
	}
}

// A filter the rule's fields cannot take is a compile error that names
// the filters, not the query.
func TestKQLRuleFilterError(t *testing.T) {
	r := ruleFilter(t, `[{"query":{"range":{"@timestamp":{"gte":"not a date"}}}}]`)
	r.Type, r.Query, r.Path, r.QueryLine = "query", "a:b", "r.toml", 7
	_, err := Compile(r, &Catalog{}, esql.Options{})
	if err == nil || !strings.Contains(err.Error(), "r.toml:7: rule.filters: ") {
		t.Errorf("err = %v", err)
	}
}

// EQL rules' filters keep events out of every stage, as the exceptions
// do (TestEQLExceptions): the sequence needs h2's second event, which the
// negated filter removes.
func TestEQLRuleFilters(t *testing.T) {
	ev := func(at, host, name string) string {
		return `{"@timestamp":"2026-01-01T00:00:0` + at + `Z","event":{"category":"process"},"host":{"name":"` + host + `"},"process":{"name":"` + name + `"}}`
	}
	lines := []string{ev("1", "h1", "a"), ev("2", "h1", "b"), ev("3", "h2", "a"), ev("4", "h2", "b")}
	cases := []struct{ query, filters, want string }{
		{`process where true`, `[]`, "h1 h1 h2 h2"},
		{`process where true`, `[{"query":{"term":{"process.name":"a"}}}]`, "h1 h2"},
		{`sequence by host.name [process where process.name == "a"] [process where process.name == "b"]`, `[]`, "h1 h1 h2 h2"},
		{`sequence by host.name [process where process.name == "a"] [process where process.name == "b"]`,
			`[{"meta":{"negate":true},"query":{"bool":{"filter":[{"term":{"host.name":"h2"}},{"term":{"process.name":"b"}}]}}}]`, "h1 h1"},
	}
	for _, c := range cases {
		r := ruleFilter(t, c.filters)
		r.RuleID, r.Name, r.Type, r.Language, r.Severity, r.MaxSignals, r.Query = "r", "r", "eql", "eql", "low", 100, c.query
		er, err := CompileEQL(r, &Catalog{})
		if err != nil {
			t.Fatal(err)
		}
		h := NewEQLHunt([]*EQLRule{er})
		h.UnindexedMatchAll = true
		pushEQLLines(t, h, lines)
		var hosts []string
		for _, a := range h.Finish(time.Unix(0, 0), "x")[0].Alerts {
			if a.Fields["kibana.alert.group.id"] == a.ID {
				continue // a sequence's shell alert has no source event
			}
			at := a.Fields["kibana.alert.original_time"].(string) // 2026-01-01T00:00:0S.000Z: event S
			hosts = append(hosts, []string{"", "h1", "h1", "h2", "h2"}[at[18]-'0'])
		}
		if got := strings.Join(hosts, " "); got != c.want {
			t.Errorf("%s with %s: alerts for %q, want %q", c.query, c.filters, got, c.want)
		}
	}
}
