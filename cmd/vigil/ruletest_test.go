package main

import (
	"fmt"
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
	// A rule in another folder, named by a relative path: the seed rule
	// with its threshold lowered to 4 command lines.
	seed, err := os.ReadFile(filepath.Join("..", "..", "internal", "rule", "builtin", "suspicious_python_shell_command_execution.toml"))
	if err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "rules"), 0o755)
	os.Mkdir(filepath.Join(dir, "tests"), 0o755)
	os.WriteFile(filepath.Join(dir, "rules", "lowered.toml"), []byte(strings.Replace(string(seed), "count_distinct >= 5", "count_distinct >= 4", 1)), 0o644)
	var events strings.Builder
	for _, c := range []string{"whoami", "curl a", "find b", "grep c"} {
		fmt.Fprintf(&events, `{ "@timestamp" = "now-1m", "host.os.type" = "linux", "event.type" = "start", "event.action" = "exec", "process.parent.name" = "python3", "process.name" = "sh", "process.args" = ["sh", "-c", "x"], "process.command_line" = %q },`, c)
	}
	os.WriteFile(filepath.Join(dir, "tests", "lowered_test.toml"), []byte("rule = \"../rules/lowered.toml\"\nnow = \"2026-01-01T12:00:00Z\"\n[[tests]]\nname = \"four lines alert\"\nevents = ["+events.String()+"]\n[[tests.expect]]\nfields = { \"Esql.process_command_line_count_distinct\" = 4 }\n"), 0o644)
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
		{"rule by relative path", []string{"test", filepath.Join(dir, "tests")}, exitOK, "ok   " + filepath.Join(dir, "tests", "lowered_test.toml") + ":3: four lines alert", ""},
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
