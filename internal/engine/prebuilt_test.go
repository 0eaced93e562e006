package engine

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"vigil/internal/esql"
	"vigil/internal/rule"
)

const prebuiltESQL = "../../../shared/rules/esql"

// TestPrebuiltRulesCompile compiles every prebuilt ES|QL rule in
// ../shared/rules/esql against the built-in mappings, with no input at
// all, and checks the failures (and the valid rules Vigil cannot run) against testdata/prebuilt_esql_failures.txt:
// a rule that fails must be listed with (part of) its error, and a listed
// rule must still fail, so the list cannot silently grow and shrinks as
// features and mappings land.
func TestPrebuiltRulesCompile(t *testing.T) {
	checkPrebuiltCompile(t, prebuiltESQL, "testdata/prebuilt_esql_failures.txt", "ES|QL", func(r *rule.Rule) error {
		cr, err := Compile(r, &Catalog{}, esql.Options{})
		if err == nil {
			err = cr.CannotRun() // valid, but not runnable here
		}
		return err
	})
}

// TestPrebuiltEQLRulesCompile does the same for the prebuilt EQL rules of
// ../shared/rules/eql, against testdata/prebuilt_eql_failures.txt.
func TestPrebuiltEQLRulesCompile(t *testing.T) {
	checkPrebuiltCompile(t, "../../../shared/rules/eql", "testdata/prebuilt_eql_failures.txt", "EQL", func(r *rule.Rule) error {
		_, err := CompileEQL(r, &Catalog{})
		return err
	})
}

// checkPrebuiltCompile compiles every rule file of dir and checks the
// failures against the expected-failures list (see TestPrebuiltRulesCompile).
func checkPrebuiltCompile(t *testing.T, dir, list, lang string, compile func(*rule.Rule) error) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.toml"))
	if len(files) == 0 {
		t.Skip("shared rules absent")
	}
	expected := readExpectedFailures(t, list)
	byReason := map[string][]string{}
	compiled := 0
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".toml")
		r, err := rule.LoadFile(f)
		if err == nil {
			err = compile(r)
		}
		want, listed := expected[name]
		delete(expected, name)
		switch {
		case err == nil && listed:
			t.Errorf("%s compiles now: remove it from %s", name, list)
		case err == nil:
			compiled++
		case !listed:
			t.Errorf("%s does not compile (not an expected failure):\n%v", name, err)
		case !strings.Contains(err.Error(), want):
			t.Errorf("%s fails for another reason than %q:\n%v", name, want, err)
		default:
			byReason[want] = append(byReason[want], name)
		}
	}
	for name := range expected {
		t.Errorf("%s lists %s, which is not among the rules", list, name)
	}
	reasons := make([]string, 0, len(byReason))
	for r := range byReason {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		t.Logf("%d failing with %q: %s", len(byReason[r]), r, strings.Join(byReason[r], ", "))
	}
	t.Logf("%d of %d prebuilt %s rules compile with no input", compiled, len(files), lang)
}

func readExpectedFailures(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, ok := strings.Cut(line, "\t")
		if !ok || reason == "" {
			t.Fatalf("%s:%d: want RULE<tab>REASON", path, n)
		}
		out[name] = reason
	}
	return out
}
