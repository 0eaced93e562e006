package rule

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBuiltinSeedRule(t *testing.T) {
	rules := Builtin()
	if len(rules) != 1 {
		t.Fatalf("want 1 built-in rule, got %d", len(rules))
	}
	r := rules[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"rule_id", r.RuleID, SeedRuleID},
		{"name", r.Name, "Suspicious Python Shell Command Execution"},
		{"version", r.Version, 3},
		{"severity", r.Severity, "medium"},
		{"risk", r.RiskScore, 47},
		{"from", r.From, "now-9m"},
		{"lookback", r.Lookback, 9 * time.Minute},
		{"interval", r.Interval, 5 * time.Minute},
		{"max_signals", r.MaxSignals, 100},
		{"type", r.Type, "esql"},
		{"license", r.License, "Elastic License v2"},
		{"tags", len(r.Tags), 7},
		{"tactic", r.Threat[0].Tactic.ID, "TA0002"},
		{"technique", r.Threat[0].Technique[0].ID, "T1059"},
		{"subtechnique", r.Threat[0].Technique[0].Subtechnique[0].ID, "T1059.006"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// The seed page (version 3) collects event.dataset, not data_stream.dataset (version 4).
	if !strings.Contains(r.Query, "values(event.dataset)") || strings.Contains(r.Query, "data_stream.dataset") {
		t.Errorf("built-in query is not version 3's:\n%s", r.Query)
	}
	if !strings.HasPrefix(r.Note, "## Triage and analysis") {
		t.Errorf("note is not the markdown guide: %.60q", r.Note)
	}
	data, _ := builtinFS.ReadFile("builtin/suspicious_python_shell_command_execution.toml")
	lines := strings.Split(string(data), "\n")
	if got := lines[r.QueryLine-1]; !strings.HasPrefix(got, "FROM logs-endpoint") {
		t.Errorf("QueryLine %d points at %q", r.QueryLine, got)
	}
}

func TestParseDefaultsAndErrors(t *testing.T) {
	base := "[rule]\nrule_id = \"x\"\nname = \"n\"\ntype = \"esql\"\nseverity = \"low\"\nrisk_score = 21\nquery = '''\nFROM a\n'''\n"
	r, err := Parse([]byte(base), "a.toml")
	if err != nil {
		t.Fatal(err)
	}
	if r.Interval != 5*time.Minute || r.From != "now-6m" || r.Lookback != 6*time.Minute || r.MaxSignals != 100 || r.Version != 1 {
		t.Errorf("defaults: interval %v from %s lookback %v max %d version %d", r.Interval, r.From, r.Lookback, r.MaxSignals, r.Version)
	}
	if r.QueryLine != 8 {
		t.Errorf("QueryLine = %d, want 8", r.QueryLine)
	}
	cases := []struct {
		name, src, want string
	}{
		{"syntax", "[rule]\nname = \n", "a.toml:2:"},
		{"severity", strings.Replace(base, `"low"`, `"urgent"`, 1), "a.toml:5: severity \"urgent\""},
		{"risk", strings.Replace(base, "21", "121", 1), "a.toml:6: risk_score 121"},
		{"interval", base + "interval = \"5x\"\n", "interval \"5x\""},
		{"from", base + "from = \"yesterday\"\n", "from \"yesterday\""},
		{"missing name", strings.Replace(base, "name = \"n\"\n", "", 1), "missing required key rule.name"},
		{"no query", strings.Replace(base, "FROM a", "  ", 1), "needs rule.query"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.src), "a.toml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", c.name, err, c.want)
		}
	}
	_, err = Parse([]byte(strings.Replace(base, `"esql"`, `"machine_learning"`, 1)), "a.toml")
	if !errors.Is(err, ErrUnsupportedType) {
		t.Errorf("machine_learning rule: err = %v, want ErrUnsupportedType", err)
	}
	// An eql rule parses, its language defaulting to eql; another language is an error.
	if r, err := Parse([]byte(strings.Replace(base, `"esql"`, `"eql"`, 1)), "a.toml"); err != nil || r.Language != "eql" {
		t.Errorf("eql rule: %v, language %q", err, r.Language)
	}
	if _, err := Parse([]byte(strings.Replace(base, `type = "esql"`, "type = \"eql\"\nlanguage = \"kuery\"", 1)), "a.toml"); err == nil || !strings.Contains(err.Error(), "an eql rule's language is eql") {
		t.Errorf("eql rule in kuery: err = %v", err)
	}
}

func TestIntervals(t *testing.T) {
	good := map[string]time.Duration{"5m": 5 * time.Minute, "30s": 30 * time.Second, "1h": time.Hour, "2d": 48 * time.Hour}
	for s, want := range good {
		if got, err := ParseInterval(s); err != nil || got != want {
			t.Errorf("ParseInterval(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "m", "0m", "5", "-5m", "5mm", "1.5m"} {
		if _, err := ParseInterval(s); err == nil {
			t.Errorf("ParseInterval(%q) accepted", s)
		}
	}
}

// Every ES|QL rule Elastic ships must load with its metadata intact.
func TestElasticRulesLoad(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "rules", "esql")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("shared rules not available:", err)
	}
	res, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rules) != 109 || len(res.Skipped) != 0 {
		t.Fatalf("loaded %d rules, skipped %d; want 109 and 0", len(res.Rules), len(res.Skipped))
	}
	for _, r := range res.Rules {
		if r.QueryLine == 0 || r.Lookback <= 0 || r.Interval <= 0 {
			t.Errorf("%s: query line %d lookback %v interval %v", r.Path, r.QueryLine, r.Lookback, r.Interval)
		}
	}
	if got := Select(res.Rules, "b42e4b88-fc4a-417b-a45e-4d4a3db9fd41"); len(got) != 1 {
		t.Errorf("select by rule_id found %d", len(got))
	}
	if got := Select(res.Rules, "suspicious python shell command execution"); len(got) != 1 {
		t.Errorf("select by name found %d", len(got))
	}
}

// Parse reports every problem of a file, in file order, each positioned.
func TestParseReportsEveryProblem(t *testing.T) {
	src := `[metadata]
maturity = 1
[rule]
rule_id = "x"
name = "n"
type = "esql"
severity = "urgent"
risk_score = 121
interval = "5x"
tags = "one"
query = '''
FROM a
'''
`
	_, err := Parse([]byte(src), "a.toml")
	want := []string{
		`a.toml:2: metadata.maturity must be a string, not an integer`,
		`a.toml:7: severity "urgent" is not one of low, medium, high, critical`,
		`a.toml:8: risk_score 121 is outside 0..100`,
		`a.toml:9: interval "5x": want a positive number and a unit (s, m, h, d)`,
		`a.toml:10: rule.tags must be an array of strings, not a string`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("got\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
	_, err = Parse([]byte("[metadata]\nmaturity = \"x\"\n"), "b.toml")
	if err == nil || err.Error() != "b.toml: missing required table [rule]" {
		t.Errorf("no [rule]: %v", err)
	}
	_, err = Parse([]byte("[rule]\ntype = \"esql\"\nname = \" \"\nquery = \"FROM a\"\n"), "c.toml")
	if err == nil || strings.Count(err.Error(), "missing required key") != 4 {
		t.Errorf("want the 4 missing keys, got %v", err)
	}
}

// Keys outside the schema are warnings, keys it knows but Vigil ignores
// are type-checked, and neither stops the rule.
func TestParseSchemaKeys(t *testing.T) {
	base := "[rule]\nrule_id = \"x\"\nname = \"n\"\ntype = \"esql\"\nseverity = \"low\"\nrisk_score = 21\nquery = \"FROM a\"\n"
	r, err := Parse([]byte(base+"frobnicate = 1\nbuilding_block_type = \"default\"\n[rule.alert_suppression]\ngroup_by = [\"a\"]\n[extra]\nx = 1\n"), "a.toml")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range r.Warnings {
		got = append(got, w.Error())
	}
	want := "a.toml:8: unknown key rule.frobnicate (not in the detection-rules schema; ignored)\n" +
		"a.toml:12: unknown key extra (not in the detection-rules schema; ignored)"
	if strings.Join(got, "\n") != want {
		t.Errorf("warnings:\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
	_, err = Parse([]byte(base+"building_block_type = 3\n"), "a.toml")
	if err == nil || err.Error() != "a.toml:8: rule.building_block_type must be a string, not an integer" {
		t.Errorf("ignored key's type: %v", err)
	}
}

// The query's line is the [rule] table's query, not an earlier
// [[transform.osquery]] query or a "query =" inside the note.
func TestQueryLine(t *testing.T) {
	src := "[metadata]\nmaturity = \"production\"\n[transform]\n[[transform.osquery]]\nlabel = \"x\"\nquery = \"SELECT 1\"\n\n" +
		"[rule]\nnote = '''\nquery = nope\n'''\nrule_id = \"x\"\nname = \"n\"\ntype = \"esql\"\nseverity = \"low\"\nrisk_score = 21\n" +
		"query = '''\nFROM a\n| LIMIT 1\n'''\n"
	r, err := Parse([]byte(src), "a.toml")
	if err != nil {
		t.Fatal(err)
	}
	if r.QueryLine != 18 {
		t.Errorf("QueryLine = %d, want 18", r.QueryLine)
	}
	r, err = Parse([]byte(strings.Replace(src, "query = '''\nFROM a", "query = '''FROM a", 1)), "a.toml")
	if err != nil || r.QueryLine != 17 {
		t.Errorf("query on the quotes' line: QueryLine = %d (%v), want 17", r.QueryLine, err)
	}
}

// For every shipped rule, QueryLine is the line of the query's first line.
func TestElasticRulesQueryLine(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "rules", "esql")
	files, err := Files(dir)
	if err != nil {
		t.Skip("shared rules not available:", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Parse(data, f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		first, _, _ := strings.Cut(r.Query, "\n")
		lines := strings.Split(string(data), "\n")
		if r.QueryLine < 1 || !strings.HasSuffix(lines[r.QueryLine-1], first) {
			t.Errorf("%s: QueryLine %d, want the line of %q", f, r.QueryLine, first)
		}
		if len(r.Warnings) > 0 {
			t.Errorf("%s: schema warnings on an Elastic rule: %v", f, r.Warnings)
		}
	}
}

// A file that is not a valid rule is reported and skipped; the others load.
func TestLoadSkipsInvalidFiles(t *testing.T) {
	dir := t.TempDir()
	good := "[rule]\nrule_id = \"x\"\nname = \"n\"\ntype = \"esql\"\nseverity = \"low\"\nrisk_score = 21\nquery = \"FROM a\"\n"
	for name, src := range map[string]string{
		"a_broken.toml":  "[rule\nname = 1\n",
		"b_good.toml":    good,
		"c_invalid.toml": strings.Replace(good, `"low"`, `"urgent"`, 1),
		"d_ml.toml":      strings.Replace(good, `"esql"`, `"machine_learning"`, 1),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rules) != 1 || res.Rules[0].Path != filepath.Join(dir, "b_good.toml") || len(res.Skipped) != 1 || len(res.Invalid) != 2 {
		t.Fatalf("rules %d, skipped %v, invalid %v", len(res.Rules), res.Skipped, res.Invalid)
	}
	if !strings.Contains(res.Invalid[0].Error(), "a_broken.toml:2:6: expected") || !strings.Contains(res.Invalid[1].Error(), "c_invalid.toml:5: severity") {
		t.Errorf("invalid: %v", res.Invalid)
	}
}

// The Kibana parameters an alert carries are read from the rule file.
func TestParseAlertParameters(t *testing.T) {
	src := "[rule]\nrule_id = \"x\"\nname = \"n\"\ntype = \"esql\"\nseverity = \"low\"\nrisk_score = 21\nquery = \"FROM a\"\n" +
		"author = [\"Someone\"]\nbuilding_block_type = \"default\"\nrule_name_override = \"rule.name\"\nnamespace = \"ns\"\n" +
		"timeline_id = \"tl\"\ntimeline_title = \"TL\"\n" +
		"[[rule.severity_mapping]]\nfield = \"a\"\noperator = \"equals\"\nseverity = \"high\"\nvalue = \"x\"\n" +
		"[[rule.risk_score_mapping]]\nfield = \"s\"\noperator = \"equals\"\nvalue = \"\"\n" +
		"[[rule.exceptions_list]]\nid = \"e\"\nlist_id = \"e\"\nnamespace_type = \"single\"\ntype = \"detection\"\n" +
		"[[rule.related_integrations]]\npackage = \"endpoint\"\nversion = \"^9.0.0\"\n" +
		"[[rule.required_fields]]\nname = \"a\"\ntype = \"keyword\"\necs = false\n" +
		"[rule.meta]\nfrom = \"1m\"\n[rule.investigation_fields]\nfield_names = [\"a\"]\n[rule.alert_suppression]\ngroup_by = [\"a\"]\n"
	r, err := Parse([]byte(src), "a.toml")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"severity_mapping", r.SeverityMapping[0]["severity"], "high"},
		{"risk_score_mapping", r.RiskScoreMapping[0]["field"], "s"},
		{"exceptions_list", r.ExceptionsList[0]["namespace_type"], "single"},
		{"related_integrations", r.RelatedIntegrations[0]["package"], "endpoint"},
		{"required_fields", r.RequiredFields[0]["ecs"], false},
		{"building_block_type", r.BuildingBlockType, "default"},
		{"rule_name_override", r.RuleNameOverride, "rule.name"},
		{"namespace", r.Namespace, "ns"},
		{"timeline", r.TimelineID + "/" + r.TimelineTitle, "tl/TL"},
		{"meta", r.Meta["from"], "1m"},
		{"investigation_fields", len(r.InvestigationFields["field_names"].([]any)), 1},
		{"alert_suppression", len(r.AlertSuppression["group_by"].([]any)), 1},
		{"prebuilt", r.Prebuilt(), false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if _, err := Parse([]byte(strings.Replace(src, "[[rule.severity_mapping]]", "severity_mapping = 3\n[[rule.x]]", 1)), "a.toml"); err == nil ||
		!strings.Contains(err.Error(), "rule.severity_mapping must be an array of tables") {
		t.Errorf("a mistyped mapping: %v", err)
	}
}

// Kibana holds Elastic's rules as prebuilt (immutable): Vigil's built-in
// rules and rule files Elastic authored.
func TestPrebuilt(t *testing.T) {
	for _, c := range []struct {
		r    Rule
		want bool
	}{
		{Rule{Path: "builtin:seed.toml"}, true},
		{Rule{Path: "rules/x.toml", Author: []string{"Elastic"}}, true},
		{Rule{Path: "rules/x.toml", Author: []string{"Elastic", "Contributor"}}, true},
		{Rule{Path: "rules/x.toml", Author: []string{"Someone"}}, false},
		{Rule{Path: "rules/x.toml"}, false},
	} {
		if got := c.r.Prebuilt(); got != c.want {
			t.Errorf("%v %v: prebuilt %v", c.r.Path, c.r.Author, got)
		}
	}
	if !Builtin()[0].Prebuilt() {
		t.Error("the built-in rule is not prebuilt")
	}
}
