package server

import (
	"strings"
	"testing"
	"time"

	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// TestServeKQLNested: in vigil serve, a query rule's nested KQL holds only
// when one object of threat.enrichments (mapped nested) meets every
// condition, as in a sweep (cmd/vigil TestHuntKQLNested).
func TestServeKQLNested(t *testing.T) {
	r := &rule.Rule{RuleID: "kql-nested", Name: "kql-nested", Type: "query", Language: "kuery", Severity: "low", MaxSignals: 100,
		Query: `threat.enrichments:{ matched.field:"source.ip" and indicator.type:"ipv4-addr" }`,
		Index: []string{"logs-*"}, Interval: 5 * time.Minute, Lookback: 9 * time.Minute}
	cr, err := engine.Compile(r, &engine.Catalog{}, esql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := start(t, "", nil, func(o *Options) { o.Rules = []*engine.CompiledRule{cr} })
	defer ts.stop(t)
	base := time.Now().UTC().Add(-time.Minute)
	same := `[{"matched":{"field":"url.full"},"indicator":{"type":"url"}},{"matched":{"field":"source.ip"},"indicator":{"type":"ipv4-addr"}}]`
	split := `[{"matched":{"field":"source.ip"},"indicator":{"type":"url"}},{"matched":{"field":"url.full"},"indicator":{"type":"ipv4-addr"}}]`
	var evs []string
	for i, enr := range []string{same, split, same} {
		e := execEvent(base.Add(time.Duration(i)*time.Second), "h", "P", "id")
		evs = append(evs, strings.TrimSuffix(e, "}")+`,"threat":{"enrichments":`+enr+`}}`)
	}
	if ids := ts.alertedEvents(t, evs); ids != "a,c" {
		t.Errorf("alerts for events %s, want a and c (b's conditions are on two objects)", ids)
	}
}
