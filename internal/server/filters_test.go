package server

import (
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/querydsl"
	"vigil/internal/rule"
)

// A query rule's Kibana filters apply in the service as in a sweep
// (TestKQLRuleFilters): the negated phrase filter keeps kql-02's events
// from alerting, a disabled filter changes nothing.
func TestServeKQLRuleFilters(t *testing.T) {
	f, err := querydsl.Filters([]byte(`[{"meta":{"negate":true},"query":{"match_phrase":{"host.name":"kql-02"}}},{"meta":{"disabled":true},"query":{"match_none":{}}}]`))
	if err != nil {
		t.Fatal(err)
	}
	r := &rule.Rule{RuleID: "kql-filtered", Name: "kql-filtered", Type: "query", Query: "process.name:sh", Filter: f,
		Severity: "low", Language: "kuery", MaxSignals: 100, Index: []string{"logs-endpoint.events.process-*"},
		Interval: 5 * time.Minute, Lookback: 9 * time.Minute}
	cr, err := engine.Compile(r, &engine.Catalog{}, esql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := start(t, "", nil, func(o *Options) { o.Rules = []*engine.CompiledRule{cr} })
	defer ts.stop(t)
	base := time.Now().UTC().Add(-time.Minute)
	evs := []string{
		execEvent(base, "kql-01", "P1", "id"), execEvent(base.Add(time.Second), "kql-02", "P2", "id"),
		execEvent(base.Add(2*time.Second), "kql-01", "P1", "whoami"),
	}
	var body strings.Builder // with _ids, as the alerts carry only their event's identity
	for i, e := range evs {
		body.WriteString(`{"create":{"_index":"` + processIndex + `","_id":"` + []string{"a", "b", "c"}[i] + `"}}` + "\n" + e + "\n")
	}
	if code, _, resp := do(t, "POST", ts.url+"/_bulk", "", body.String()); code != 200 || strings.Contains(resp, `"errors":true`) {
		t.Fatalf("_bulk: %d %s", code, resp)
	}
	ts.Sync()
	var ids []string
	for _, a := range ts.alerts(t, "").Alerts {
		anc, _ := a["kibana.alert.ancestors"].([]any)
		if len(anc) == 1 {
			id, _ := anc[0].(map[string]any)["id"].(string)
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if strings.Join(ids, ",") != "a,c" {
		t.Errorf("alerts for events %v, want kql-01's a and c only", ids)
	}
}
