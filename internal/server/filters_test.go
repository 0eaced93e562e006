package server

import (
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
	ids := ts.alertedEvents(t, evs)
	if ids != "a,c" {
		t.Errorf("alerts for events %s, want kql-01's a and c only", ids)
	}
}
