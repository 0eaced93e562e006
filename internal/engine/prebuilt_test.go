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
// all, and checks the failures against testdata/prebuilt_esql_failures.txt:
// a rule that fails must be listed with (part of) its error, and a listed
// rule must still fail, so the list cannot silently grow and shrinks as
// features and mappings land.
func TestPrebuiltRulesCompile(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(prebuiltESQL, "*.toml"))
	if len(files) == 0 {
		t.Skip("shared rules absent")
	}
	expected := readExpectedFailures(t, "testdata/prebuilt_esql_failures.txt")
	byReason := map[string][]string{}
	compiled := 0
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".toml")
		r, err := rule.LoadFile(f)
		if err == nil {
			_, err = Compile(r, &Catalog{}, esql.Options{})
		}
		want, listed := expected[name]
		delete(expected, name)
		switch {
		case err == nil && listed:
			t.Errorf("%s compiles now: remove it from testdata/prebuilt_esql_failures.txt", name)
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
		t.Errorf("testdata/prebuilt_esql_failures.txt lists %s, which is not among the rules", name)
	}
	reasons := make([]string, 0, len(byReason))
	for r := range byReason {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		t.Logf("%d failing with %q: %s", len(byReason[r]), r, strings.Join(byReason[r], ", "))
	}
	t.Logf("%d of %d prebuilt ES|QL rules compile with no input", compiled, len(files))
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
