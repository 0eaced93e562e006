package server

import (
	"strings"
	"testing"
	"time"

	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// KQL query and threshold rules run in the service as their sweep does:
// one alert per matching event, one per bucket reaching the threshold.
func TestServeKQLRules(t *testing.T) {
	mk := func(r *rule.Rule) *engine.CompiledRule {
		r.Name, r.Severity, r.Language, r.MaxSignals, r.Index = r.RuleID, "low", "kuery", 100, []string{"logs-endpoint.events.process-*"}
		r.Interval, r.Lookback = 5*time.Minute, 9*time.Minute
		cr, err := engine.Compile(r, &engine.Catalog{}, esql.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return cr
	}
	rules := []*engine.CompiledRule{
		mk(&rule.Rule{RuleID: "kql-query", Type: "query", Query: `process.command_line:"sh -c whoami"`}),
		mk(&rule.Rule{RuleID: "kql-threshold", Type: "threshold", Query: "process.name:sh", Threshold: &rule.Threshold{Fields: []string{"host.name"}, Value: 3}}),
	}
	ts := start(t, "", nil, func(o *Options) { o.Rules = rules })
	defer ts.stop(t)
	base := time.Now().UTC().Add(-time.Minute)
	var evs []string
	for i, c := range []string{"whoami", "id", "uname", "whoami"} {
		evs = append(evs, execEvent(base.Add(time.Duration(i)*time.Second), "kql-01", "P-K", c))
	}
	evs = append(evs, execEvent(base, "kql-02", "P-K2", "id"))
	if code, _, body := do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, evs...)); code != 200 || strings.Contains(body, `"errors":true`) {
		t.Fatalf("_bulk: %d %s", code, body)
	}
	ts.Sync()
	var byRule map[string]int
	waitFor(t, 5*time.Second, "alerts of both rules", func() bool {
		ts.TickNow()
		byRule = map[string]int{}
		for _, a := range ts.alerts(t, "").Alerts {
			byRule[a["kibana.alert.rule.rule_id"].(string)]++
		}
		return byRule["kql-query"] == 2 && byRule["kql-threshold"] == 1
	})
}
