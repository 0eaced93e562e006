package server

import (
	"slices"
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
	var body strings.Builder
	for i, enr := range []string{same, split, same} {
		e := execEvent(base.Add(time.Duration(i)*time.Second), "h", "P", "id")
		e = strings.TrimSuffix(e, "}") + `,"threat":{"enrichments":` + enr + `}}`
		body.WriteString(`{"create":{"_index":"` + processIndex + `","_id":"` + []string{"a", "b", "c"}[i] + `"}}` + "\n" + e + "\n")
	}
	if code, _, resp := do(t, "POST", ts.url+"/_bulk", "", body.String()); code != 200 || strings.Contains(resp, `"errors":true`) {
		t.Fatalf("_bulk: %d %s", code, resp)
	}
	ts.Sync()
	var ids []string
	for _, a := range ts.alerts(t, "").Alerts {
		if anc, _ := a["kibana.alert.ancestors"].([]any); len(anc) == 1 {
			id, _ := anc[0].(map[string]any)["id"].(string)
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if strings.Join(ids, ",") != "a,c" {
		t.Errorf("alerts for events %v, want a and c (b's conditions are on two objects)", ids)
	}
}
