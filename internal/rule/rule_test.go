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
	_, err = Parse([]byte(strings.Replace(base, `"esql"`, `"eql"`, 1)), "a.toml")
	if !errors.Is(err, ErrUnsupportedType) {
		t.Errorf("eql rule: err = %v, want ErrUnsupportedType", err)
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
