package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `vigil test`: the built-in rules' tests pass (exit 0), a failing test
// exits 1 with its diff, a broken test file exits 2 with its position.
func TestTestCommand(t *testing.T) {
	dir := t.TempDir()
	malformed := filepath.Join(dir, "bad_test.toml")
	os.WriteFile(malformed, []byte("rule = \"x\"\n[[tests]]\nname = \"a\"\nalerts = zero\n"), 0o644)
	failing := filepath.Join("..", "..", "internal", "ruletest", "testdata", "broken_test.toml")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"built-in", []string{"test"}, exitOK, "passed, 0 failed\n", ""},
		{"built-in json", []string{"test", "--format", "json"}, exitOK, `"failed": 0,`, ""},
		{"failing file", []string{"test", failing}, exitTestFailed, "FAIL " + failing + ":30: wrong field values", "3 test(s) failed"},
		{"failing dir", []string{"test", filepath.Dir(failing)}, exitTestFailed, "field Esql.process_command_line_count_distinct: want 6, got 5", ""},
		{"malformed", []string{"test", malformed}, exitUsage, "", malformed + ":4: "},
		{"no tests in dir", []string{"test", filepath.Join("..", "..", "docs")}, exitUsage, "", "no *_test.toml file"},
		{"missing path", []string{"test", filepath.Join(dir, "nope")}, exitInput, "", "no such file"},
		{"bad format", []string{"test", "--format", "xml"}, exitUsage, "", "want text or json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, "", tc.args...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
		})
	}
}
