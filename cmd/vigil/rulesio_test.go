package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"vigil/internal/rule"
)

const kibanaSample = "../../../shared/samples/kibana/custom-consolidated-rules.ndjson"

// TestRulesImportExportRoundTrip imports the shared Kibana export, validates
// the folder, exports it and compares every rule key and exception line with
// the original (minus rule.KibanaRegenerated and the action connectors).
func TestRulesImportExportRoundTrip(t *testing.T) {
	orig, err := os.ReadFile(kibanaSample)
	if err != nil {
		t.Skip("shared samples absent:", err)
	}
	dir := t.TempDir()
	out, errOut, code := run(t, "", "rules", "import", kibanaSample, "--out", dir)
	if code != 0 || !strings.Contains(out, "imported 9 rules, 2 exception lists, 2 exception items") {
		t.Fatalf("import: code %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "custom-consolidated-rules.ndjson:14: skipped: action connector") {
		t.Errorf("connectors not reported with their line:\n%s", errOut)
	}
	exc, err := os.ReadFile(filepath.Join(dir, "exceptions", "custom-consolidated-rules.ndjson"))
	if err != nil || !bytes.Contains(exc, []byte(`"field":" host.name"`)) {
		t.Fatalf("leading-space field not kept verbatim (%v):\n%s", err, exc)
	}
	// Validation: the folder loads; the rules with Kibana filters (three
	// query rules with a phrase filter, EQL, new_terms and threshold with
	// none) run; threat_match and machine_learning rules do not, which
	// validate reports per rule.
	vout, _, _ := run(t, "", "rules", "validate", dir)
	if !strings.Contains(vout, "7 valid, 2 invalid") || strings.Contains(vout, "filters") ||
		!strings.Contains(vout, `has type "threat_match"`) || !strings.Contains(vout, `has type "machine_learning"`) {
		t.Errorf("validate: %s", vout)
	}

	exp, errOut, code := run(t, "", "rules", "export", "--rules", dir)
	if code != 0 {
		t.Fatalf("export: code %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(exp), "\n")
	var sum map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil || sum["exported_count"] != 13.0 || sum["exported_rules_count"] != 9.0 || sum["exported_exception_list_item_count"] != 2.0 {
		t.Errorf("summary %s (%v)", lines[len(lines)-1], err)
	}
	want, got := kibanaObjects(t, orig), kibanaObjects(t, []byte(exp))
	if len(got) != len(want) {
		t.Errorf("%d objects exported, want %d", len(got), len(want))
	}
	for id, w := range want {
		if !reflect.DeepEqual(w, got[id]) {
			for k := range w {
				if !reflect.DeepEqual(w[k], got[id][k]) {
					t.Errorf("%s key %s: got %v, want %v", id, k, got[id][k], w[k])
				}
			}
		}
	}
}

// kibanaObjects returns an export's rules (by rule_id, regenerated keys and
// nulls removed) and exception lists and items (by list_id/item_id).
func kibanaObjects(t *testing.T, data []byte) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, line := range bytes.Split(data, []byte("\n")) {
		var obj map[string]any
		if json.Unmarshal(line, &obj) != nil {
			continue
		}
		switch {
		case obj["rule_id"] != nil:
			out["rule "+obj["rule_id"].(string)] = rule.KibanaComparable(obj)
		case obj["item_id"] != nil:
			out["item "+obj["item_id"].(string)] = obj
		case obj["list_id"] != nil:
			out["list "+obj["list_id"].(string)] = obj
		}
	}
	return out
}

// TestRulesImportBadLines: bad lines are reported as file:line and skipped;
// the good ones are imported.
func TestRulesImportBadLines(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ndjson")
	os.WriteFile(in, []byte(strings.Join([]string{
		`{"rule_id":"ok","type":"query","language":"kuery","query":"a:1","name":"n","description":"d","risk_score":1,"severity":"low"}`,
		`not json`,
		`{"rule_id":"","type":"query"}`,
		`{"item_id":"i","list_id":"l","type":"simple","entries":[]}`,
		`{"list_id":"l","type":"detection"}`,
		`{"something":"else"}`,
	}, "\n")), 0o644)
	out, errOut, code := run(t, "", "rules", "import", in, "--out", filepath.Join(dir, "rules"))
	if code != 0 || !strings.Contains(out, "imported 1 rules, 1 exception lists, 0 exception items") || !strings.Contains(out, "1 lines skipped, 3 bad") {
		t.Fatalf("code %d\n%s%s", code, out, errOut)
	}
	for _, pos := range []string{"in.ndjson:2: not a JSON object", "in.ndjson:3: rule without a rule_id", "in.ndjson:4: ", "in.ndjson:6: skipped"} {
		if !strings.Contains(errOut, pos) {
			t.Errorf("missing %q in\n%s", pos, errOut)
		}
	}
}

// TestImportedKibanaRulesRun hunts with the shared export's rules: its
// three query rules AND the filter-bar phrase filter on event.action with
// their query, so the process-termination event does not alert; the
// ES|QL rule, which has no filters, alerts on both events.
func TestImportedKibanaRulesRun(t *testing.T) {
	if _, err := os.Stat(kibanaSample); err != nil {
		t.Skip("shared samples absent:", err)
	}
	dir := t.TempDir()
	if _, errOut, code := run(t, "", "rules", "import", kibanaSample, "--out", dir); code != 0 {
		t.Fatalf("import: code %d\n%s", code, errOut)
	}
	stdin := `{"_index":"logs-test","_id":"create","_source":{"@timestamp":"2026-11-20T10:00:00Z","event":{"action":"Process Create (rule: ProcessCreate)"},"process":{"parent":{"name":"EXCEL.EXE"}}}}
{"_index":"logs-test","_id":"terminate","_source":{"@timestamp":"2026-11-20T10:01:00Z","event":{"action":"Process Terminate"},"process":{"parent":{"name":"EXCEL.EXE"}}}}
`
	out, errOut, code := run(t, stdin, "hunt", "--rules", dir, "--now", "2026-11-20T10:05:00Z", "-")
	if code != exitOK {
		t.Fatalf("hunt: code %d\n%s", code, errOut)
	}
	for _, want := range []string{
		`rule "test_kql_rule": 2 events in scope, 1 matched its filter, 1 alerts`,
		`rule "test_kql_with_alert_suppression": 2 events in scope, 1 matched its filter, 1 alerts`,
		`rule "test_kql_with_alert_supprestion_and_investigation_fileds": 2 events in scope, 1 matched its filter, 1 alerts`,
		`rule "test_esql_rule_with_shared_rule_exception": 2 events in scope, 2 matched its filter, 2 alerts`,
		`rule "test_eql_rule"`, `rule "test_new_terms_rule_with_shared_rule_exception"`, `rule "test_threshold_with_rule_exception"`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("summary lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Count(out, `"terminate"`) != 1 || strings.Count(out, `"create"`) != 4 {
		t.Errorf("want the create event in 4 alerts, terminate in 1:\n%s", out)
	}
	// The query rules' alerts carry their filters in the rule's parameters.
	if n := strings.Count(out, `"filters":[{"$state":{"store":"appState"},"meta":{"disabled":false,"key":"event.action"`); n != 3 {
		t.Errorf("%d alerts carry kibana.alert.rule.parameters.filters, want 3:\n%s", n, out)
	}
}
