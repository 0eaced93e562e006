package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// eqlRule is a valid EQL rule (an event query).
const eqlRule = "[rule]\nrule_id = \"e\"\nname = \"eql\"\ntype = \"eql\"\nlanguage = \"eql\"\nseverity = \"low\"\nrisk_score = 1\nquery = '''\nprocess where process.name : \"SH\"\n'''\n"

const goodRule = "[rule]\nrule_id = \"g\"\nname = \"good\"\ntype = \"esql\"\nseverity = \"low\"\nrisk_score = 1\nquery = '''\nFROM logs-*\n| WHERE process.name == \"sh\"\n| STATS n = COUNT(*)\n'''\n"

// writeRules writes rule files into a new directory.
func writeRules(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// A folder with one valid rule and three invalid ones (a query with two
// problems after an osquery block and a bad severity, a file that is not
// TOML, a rule type Vigil cannot run): every problem, positioned on the
// query's real line, and the closing count.
func TestRulesValidate(t *testing.T) {
	twoProblems := "[transform]\n[[transform.osquery]]\nlabel = \"l\"\nquery = \"SELECT 1\"\n\n" +
		"[rule]\nrule_id = \"b\"\nname = \"bad\"\ntype = \"esql\"\nseverity = \"urgent\"\nrisk_score = 1\nnosuch = 1\n" +
		"query = '''\nFROM logs-*\n| WHERE proces.name == \"sh\"\n| EVAL x = nosuch.field\n'''\n"
	dir := writeRules(t, map[string]string{
		"a_good.toml":   goodRule,
		"b_bad.toml":    twoProblems,
		"c_broken.toml": "[rule\n",
		"d_ml.toml":     strings.Replace(goodRule, `"esql"`, `"machine_learning"`, 1),
		"e_eql.toml":    eqlRule,
		"f_eql.toml":    strings.Replace(eqlRule, `"SH"`, `"SH" and`, 1),
	})
	p := func(name string) string { return filepath.Join(dir, name) }
	out, stderr, code := run(t, "", "rules", "validate", dir)
	want := p("b_bad.toml") + ":10: severity \"urgent\" is not one of low, medium, high, critical\n" +
		p("b_bad.toml") + ":15:9: Unknown column [proces.name], did you mean [process.name]?\n" +
		p("b_bad.toml") + ":16:12: Unknown column [nosuch.field]\n" +
		p("b_bad.toml") + ":12: unknown key rule.nosuch (not in the detection-rules schema; ignored) (warning)\n" +
		p("c_broken.toml") + ":2:6: expected '.' or ']' to end table name, but got '\\n' instead\n" +
		p("d_ml.toml") + ":4: rule \"good\" has type \"machine_learning\", which Vigil cannot run yet (esql, eql, query, threshold and new_terms rules run)\n" +
		p("f_eql.toml") + ":10:1: mismatched input <EOF> expecting {<expression>}\n" +
		"2 valid, 4 invalid\n"
	if out != want || code != exitUsage {
		t.Errorf("exit %d (want %d), stdout:\n%s\nwant:\n%s\nstderr: %s", code, exitUsage, out, want, stderr)
	}

	out, stderr, code = run(t, "", "rules", "validate", "--format", "json", dir)
	var report struct {
		Rules []struct {
			Path     string
			Valid    bool
			Problems []struct {
				Line, Column int
				Message      string
			}
		}
		Valid, Invalid int
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if code != exitUsage || report.Valid != 2 || report.Invalid != 4 || len(report.Rules) != 6 || !report.Rules[0].Valid ||
		len(report.Rules[1].Problems) != 3 || report.Rules[1].Problems[1].Line != 15 || report.Rules[1].Problems[1].Column != 9 ||
		!report.Rules[4].Valid || !strings.Contains(stderr, "2 valid, 4 invalid") {
		t.Errorf("json report (exit %d): %+v\nstderr: %s", code, report, stderr)
	}

	out, _, code = run(t, "", "rules", "validate", p("a_good.toml"))
	if code != exitOK || out != "1 valid, 0 invalid\n" {
		t.Errorf("valid rule: exit %d, %q", code, out)
	}
	if out, _, code = run(t, "", "rules", "validate"); code != exitOK || out != "1 valid, 0 invalid\n" {
		t.Errorf("built-in rules: exit %d, %q", code, out)
	}
}

// rules list shows every rule file and says why one cannot run.
func TestRulesListStatus(t *testing.T) {
	dir := writeRules(t, map[string]string{
		"a_good.toml": goodRule,
		"b_bad.toml":  strings.Replace(goodRule, "process.name", "nosuch.field", 1),
		"d_ml.toml":   strings.Replace(goodRule, `"esql"`, `"machine_learning"`, 1),
		"e_eql.toml":  eqlRule,
	})
	out, stderr, code := run(t, "", "rules", "list", "--rules", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || len(lines) != 6 || lines[5] != "2 compiled, 2 failed" {
		t.Fatalf("exit %d, stdout:\n%s\nstderr: %s", code, out, stderr)
	}
	for i, want := range []string{"TYPE", " esql ", " cannot run: Unknown column [nosuch.field]", " cannot run: rule \"good\" has type \"machine_learning\"", " eql "} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d lacks %q: %s", i, want, lines[i])
		}
	}
}

// Folder mode of hunt: a broken rule file is reported and skipped like a
// rule whose query does not compile, every problem of each is listed, and
// with no runnable rule left the hunt stops with exit status 2.
func TestHuntRuleFolderRobustness(t *testing.T) {
	twoProblems := strings.Replace(goodRule, "| WHERE process.name == \"sh\"\n", "| WHERE proces.name == \"sh\"\n| EVAL x = nosuch.field\n", 1)
	dir := writeRules(t, map[string]string{
		"a_good.toml":   goodRule,
		"b_bad.toml":    twoProblems,
		"c_broken.toml": "[rule\n",
	})
	_, stderr, code := run(t, "", "hunt", "--rules", dir, sampleData)
	for _, want := range []string{
		"invalid rule skipped: " + filepath.Join(dir, "b_bad.toml") + ":9:9: Unknown column [proces.name], did you mean [process.name]?\n" +
			"  " + filepath.Join(dir, "b_bad.toml") + ":10:12: Unknown column [nosuch.field]\n",
		"invalid rule skipped: " + filepath.Join(dir, "c_broken.toml") + ":2:6: expected",
		`rule "good": `,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != exitOK {
		t.Errorf("exit %d, want %d", code, exitOK)
	}

	for name, files := range map[string]map[string]string{
		"empty folder":     {},
		"unsupported only": {"d_eql.toml": strings.Replace(goodRule, `"esql"`, `"eql"`, 1)},
		"broken only":      {"c_broken.toml": "[rule\n"},
		"bad query only":   {"b_bad.toml": twoProblems},
	} {
		dir := writeRules(t, files)
		_, stderr, code := run(t, "", "hunt", "--fail-on-alert", "--rules", dir, sampleData)
		if code != exitUsage || !strings.Contains(stderr, "no runnable rule") {
			t.Errorf("%s: exit %d (want %d), stderr:\n%s", name, code, exitUsage, stderr)
		}
	}
}

// A rule with COMPLETION is valid but cannot run (no LLM inference
// endpoint): validate counts it valid and says why, positioned at the
// command; rules list marks it; hunt skips it with the reason, and a folder
// of such rules only has no runnable rule.
func TestCompletionRuleCannotRun(t *testing.T) {
	completion := strings.Replace(goodRule, "| STATS n = COUNT(*)\n",
		"| EVAL p = process.name\n| COMPLETION p WITH { \"inference_id\": \"e\" }\n| KEEP completion\n", 1)
	completion = strings.Replace(completion, `rule_id = "g"`, `rule_id = "c"`, 1)
	dir := writeRules(t, map[string]string{"a_good.toml": goodRule, "c_llm.toml": completion})
	reason := filepath.Join(dir, "c_llm.toml") + ":11:3: cannot run: COMPLETION needs an LLM inference endpoint, which Vigil does not have\n"
	out, stderr, code := run(t, "", "rules", "validate", dir)
	want := reason + "2 valid, 0 invalid (1 of the valid cannot run: COMPLETION needs an LLM inference endpoint)\n"
	if out != want || code != exitOK {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s\nstderr: %s", code, out, want, stderr)
	}

	out, _, _ = run(t, "", "rules", "validate", "--format", "json", dir)
	var report struct {
		Rules []struct {
			Valid     bool
			CannotRun *struct {
				Line, Column int
				Message      string
			} `json:"cannot_run"`
		}
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if len(report.Rules) != 2 || report.Rules[0].CannotRun != nil || !report.Rules[1].Valid ||
		report.Rules[1].CannotRun == nil || report.Rules[1].CannotRun.Line != 11 {
		t.Errorf("json report: %s", out)
	}

	out, _, _ = run(t, "", "rules", "list", "--rules", dir)
	if !strings.Contains(out, "cannot run: COMPLETION needs an LLM inference endpoint") {
		t.Errorf("rules list:\n%s", out)
	}

	_, stderr, code = run(t, "", "hunt", "--rules", dir, sampleData)
	if code != exitOK || !strings.Contains(stderr, "rule skipped: "+reason) || strings.Contains(stderr, "invalid rule") {
		t.Errorf("hunt: exit %d, stderr:\n%s", code, stderr)
	}
	only := writeRules(t, map[string]string{"c_llm.toml": completion})
	if _, stderr, code = run(t, "", "hunt", "--rules", only, sampleData); code != exitUsage || !strings.Contains(stderr, "no runnable rule") {
		t.Errorf("hunt, COMPLETION only: exit %d, stderr:\n%s", code, stderr)
	}
}
