package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A rule whose INLINE STATS needs more than --memory-limit is stopped with
// a message naming it, the command (positioned in the rule file) and the
// limit; the other rule's alerts are still written, and the exit status is
// 5. With the default limit both rules run.
func TestHuntMemoryLimitStopsOneRule(t *testing.T) {
	dir := t.TempDir()
	rule := func(file, name, query string) {
		body := fmt.Sprintf("[rule]\nrule_id = %q\nname = %q\ntype = \"esql\"\nseverity = \"low\"\nrisk_score = 1\nquery = '''\n%s\n'''\n", name, name, query)
		if err := os.WriteFile(filepath.Join(dir, file), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rule("hungry.toml", "hungry", "FROM logs-*\n| INLINE STATS users = VALUES(myapp.user)\n| WHERE MV_COUNT(users) > 1000000\n| KEEP myapp.user")
	rule("small.toml", "small", "FROM logs-*\n| WHERE myapp.login.failures > 8\n| KEEP myapp.user, myapp.login.failures")
	var in strings.Builder
	for i := range 3000 {
		failures := 0
		if i%30 == 0 {
			failures = 9
		}
		fmt.Fprintf(&in, `{"data_stream":{"type":"logs","dataset":"myapp","namespace":"default"},"myapp":{"user":"user-%d","login":{"failures":%d}}}`+"\n", i, failures)
	}
	input := filepath.Join(dir, "in.ndjson")
	os.WriteFile(input, []byte(in.String()), 0o644)

	out, stderr, code := run(t, "", "hunt", "--rules", dir, "--memory-limit", "64KiB", input)
	if code != exitMemory {
		t.Fatalf("exit %d, want %d: %s", code, exitMemory, stderr)
	}
	want := `rule "hungry" stopped: ` + filepath.Join(dir, "hungry.toml") + ":9:3: INLINE STATS needs more than the memory limit of 64 KiB (--memory-limit)"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	if !strings.Contains(stderr, `matched its filter, stopped at the memory limit`) {
		t.Errorf("summary does not say the rule stopped:\n%s", stderr)
	}
	if n := strings.Count(out, "\n"); n != 100 || !strings.Contains(out, `"myapp.user":"user-30"`) {
		t.Errorf("small rule: %d alerts, want 100:\n%.300s", n, out)
	}

	out, stderr, code = run(t, "", "hunt", "--rules", dir, input)
	if code != exitOK || strings.Count(out, "\n") != 100 || strings.Contains(stderr, "stopped") {
		t.Errorf("default limit: exit %d, %d alerts:\n%s", code, strings.Count(out, "\n"), stderr)
	}
}

// vigil query stops a query over its limit with exit status 5.
func TestQueryMemoryLimit(t *testing.T) {
	input := filepath.Join(t.TempDir(), "in.ndjson")
	var in strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&in, `{"login_name":"user-%d"}`+"\n", i)
	}
	os.WriteFile(input, []byte(in.String()), 0o644)
	_, stderr, code := run(t, "", "query", "--memory-limit", "32KiB", "FROM x | STATS v = VALUES(login_name)", input)
	if code != exitMemory || !strings.Contains(stderr, "STATS at line 1:10 needs more than the memory limit of 32 KiB") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
}

func TestParseByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1GiB", 1 << 30, true}, {"512MiB", 512 << 20, true}, {"64kib", 64 << 10, true},
		{"2G", 2e9, true}, {"800 MB", 800e6, true}, {"1048576", 1 << 20, true}, {"none", -1, true},
		{"", 0, false}, {"GiB", 0, false}, {"-1GiB", 0, false}, {"0", 0, false}, {"1.5GiB", 0, false},
		{"12 parsecs", 0, false}, {"99999999999TiB", 0, false},
	} {
		got, err := parseByteSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
