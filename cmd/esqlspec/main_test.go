package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	suite, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared", "conformance", "esql"))
	if _, err := os.Stat(suite); err != nil {
		t.Skipf("conformance suite not found at %s", suite)
	}
	tmp := t.TempDir()
	md := filepath.Join(tmp, "report.md")
	bad := filepath.Join(tmp, "bad.csv-spec")
	if err := os.WriteFile(bad, []byte("wrong\nROW a = 1;\n\na:integer\n2\n;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		args     []string
		code     int
		lastLine string // exact final stdout line
		contains string // in stdout
		stderr   string
	}{
		{"pass quietly", []string{"-run", "^likePrefix$", suite}, 0, "1 passed, 0 failed, 0 skipped", "", ""},
		{"verbose", []string{"-v", "-run", "^likePrefix$", suite}, 0, "1 passed, 0 failed, 0 skipped", "PASS where-like.csv-spec:1 likePrefix", ""},
		{"skip line", []string{"-run", "^avgOfInteger-Ignore$", suite}, 0, "0 passed, 0 failed, 1 skipped",
			"SKIP keep.csv-spec:106 avgOfInteger-Ignore: disabled: name ends in -Ignore", ""},
		{"markdown", []string{"-markdown", md, "-run", "^likeSuffix$", filepath.Join(suite, "where-like.csv-spec")}, 0, "1 passed, 0 failed, 0 skipped", "", ""},
		{"failure exits 1", []string{bad}, 1, "0 passed, 1 failed, 0 skipped",
			"FAIL bad.csv-spec:1 wrong: row 1 (spec line 5) column a: expected 2, got 1", ""},
		{"no paths", nil, 2, "", "", "usage: esqlspec"},
		{"bad regex", []string{"-run", "(", suite}, 2, "", "", "esqlspec: -run: error parsing regexp"},
		{"missing path", []string{"/no/such/path"}, 2, "", "", "esqlspec: stat /no/such/path"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb strings.Builder
			code := run(c.args, &out, &errb)
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.code, errb.String())
			}
			lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
			if c.lastLine != "" && lines[len(lines)-1] != c.lastLine {
				t.Errorf("last line %q, want %q", lines[len(lines)-1], c.lastLine)
			}
			if !strings.Contains(out.String(), c.contains) {
				t.Errorf("stdout %q lacks %q", out.String(), c.contains)
			}
			if !strings.Contains(errb.String(), c.stderr) {
				t.Errorf("stderr %q lacks %q", errb.String(), c.stderr)
			}
		})
	}
	b, err := os.ReadFile(md)
	if err != nil || !strings.Contains(string(b), "**1 passed, 0 failed, 0 skipped** of 1 tests") {
		t.Errorf("markdown report: %v\n%s", err, b)
	}
}
