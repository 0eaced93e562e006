package server

import (
	"strings"
	"testing"
	"time"

	"vigil/internal/engine"
	"vigil/internal/exception"
)

// TestExceptionsLive: the live engine applies a rule's exceptions as hunt
// does — a source-field item removes a host's events, an item on an
// Esql.* column and a BY key removes another host's alert — and /metrics
// counts both per rule and item.
func TestExceptionsLive(t *testing.T) {
	set := exception.NewSet()
	seedID := "b42e4b88-fc4a-417b-a45e-4d4a3db9fd41"
	if probs := set.ParseNDJSON([]byte(`{"item_id":"tuned-host","list_id":"tuning","type":"simple","entries":[{"type":"match","field":"host.name","value":"tuned-01","operator":"included"}]}
{"item_id":"probe","list_id":"tuning","type":"simple","entries":[{"type":"match","field":"host.name","value":"out-01","operator":"included"},{"type":"wildcard","field":"Esql.process_command_line_values","value":"sh -c `+fiveCommands[0]+`","operator":"included"}]}
`), "x.ndjson"); len(probs) > 0 {
		t.Fatal(probs)
	}
	withExceptions := func(o *Options) {
		for _, cr := range o.Rules {
			if cr.Rule.RuleID != seedID {
				continue
			}
			cr.Rule.ExceptionsList = []map[string]any{{"list_id": "tuning", "type": "detection"}}
			if problems, err := cr.ApplyExceptions(set, &engine.Catalog{}, time.Now()); err != nil || len(problems) > 0 {
				t.Fatal(err, problems)
			}
		}
	}
	ts := start(t, "", nil, withExceptions)
	defer ts.stop(t)
	base := time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC)
	var evs []string
	for _, host := range []string{"ok-01", "tuned-01", "out-01"} {
		for i, c := range fiveCommands {
			evs = append(evs, execEvent(base.Add(time.Duration(i)*time.Second), host, "P-"+host, c))
		}
	}
	do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, evs...))
	ts.Sync()
	waitFor(t, 3*time.Second, "the ok-01 alert", func() bool { return ts.alerts(t, "?host=ok-01").Total == 1 })
	if n := ts.alerts(t, "").Total; n != 1 {
		t.Errorf("%d alerts, want only ok-01's", n)
	}
	waitFor(t, 3*time.Second, "exception metrics", func() bool {
		_, _, body := do(t, "GET", ts.url+"/metrics", "", "")
		return strings.Contains(body, `vigil_exception_events_removed{item="tuned-host",list="tuning",rule="Suspicious Python Shell Command Execution"} 5`)
	})
}
