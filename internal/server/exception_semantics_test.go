package server

import (
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/exception/exceptiontest"
	"vigil/internal/rule"
)

// TestExceptionSemanticsServe runs the shared table of exception cases
// (internal/exception/exceptiontest; cmd/vigil runs it through vigil hunt
// and --replay) through the service: the rule compiled and its exceptions
// applied as `vigil serve --exceptions` does, the events posted to _bulk,
// the alerts read back from /api/alerts once every event is evaluated.
func TestExceptionSemanticsServe(t *testing.T) {
	cases, err := exceptiontest.Cases()
	if err != nil {
		t.Fatal(err)
	}
	r, err := rule.Parse(exceptiontest.Rule(), "rule.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if c.Gap != "" {
				t.Skip("known gap: " + c.Gap)
			}
			set, err := c.Set()
			if err != nil {
				t.Fatal(err)
			}
			rc := *r // the list whose id is the rule's, as vigil serve attaches it
			rc.ExceptionsList = []map[string]any{{"id": rc.RuleID, "list_id": rc.RuleID, "type": "rule_default", "namespace_type": "single"}}
			cr, err := engine.Compile(&rc, &engine.Catalog{}, esql.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Items) > 0 {
				if problems, err := cr.ApplyExceptions(set, &engine.Catalog{}, time.Now()); err != nil || len(problems) > 0 {
					t.Fatal(err, problems)
				}
			}
			ts := start(t, "", nil, func(o *Options) { o.Rules = []*engine.CompiledRule{cr} })
			defer ts.stop(t)
			evs := exceptiontest.Events(time.Now().UTC().Add(-time.Minute))
			if code, _, body := do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, evs...)); code != 200 || strings.Contains(body, `"errors":true`) {
				t.Fatalf("_bulk: %d %s", code, body)
			}
			ts.Sync()
			var got []string
			for _, a := range ts.alerts(t, "").Alerts {
				id, _ := a["event.id"].(string)
				got = append(got, id)
			}
			slices.Sort(got)
			if !slices.Equal(got, c.Alerts) {
				t.Errorf("alerts for %v, want %v", got, c.Alerts)
			}
		})
	}
}
