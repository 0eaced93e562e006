package main

import (
	"compress/gzip"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const recentRule = `[rule]
rule_id = "recent"
name = "Recent activity"
type = "esql"
severity = "low"
risk_score = 21
query = '''
FROM logs-endpoint.events.process-*
| WHERE @timestamp >= NOW() - 30 minutes
| STATS n = COUNT(*) BY host.name
| KEEP host.name, n
'''
`

// In a sweep NOW() is the input's newest timestamp (the sample's last event
// is at 10:59:58.38), --now overrides it, and stdin, which cannot be read
// twice, keeps the current time; the summary says which.
func TestHuntNowIsNewestEvent(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "recent.toml"), []byte(recentRule), 0o644)
	sample, err := os.ReadFile(sampleData)
	if err != nil {
		t.Fatal(err)
	}
	zr, _ := gzip.NewReader(strings.NewReader(string(sample)))
	plain, _ := io.ReadAll(zr)
	for _, tc := range []struct {
		name, stdin string
		args        []string
		alerts      int // -1: depends on the wall clock
		note        string
	}{
		{"file", "", []string{sampleData}, 9, "uses NOW(): evaluated at 2026-11-20T10:59:58.38Z (the newest event in the input)"},
		{"--now", "", []string{"--now", "2030-01-01T00:00:00Z", sampleData}, 0, "uses NOW(): evaluated at 2030-01-01T00:00:00Z (--now)"},
		{"stdin", string(plain), []string{"-"}, -1, "(the current time: stdin cannot be read twice, give --now)"},
	} {
		args := append([]string{"hunt", "--rules", dir}, tc.args...)
		out, stderr, code := run(t, tc.stdin, args...)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", tc.name, code, stderr)
		}
		if n := strings.Count(out, "\n"); tc.alerts >= 0 && n != tc.alerts {
			t.Errorf("%s: %d alerts, want %d", tc.name, n, tc.alerts)
		}
		if !strings.Contains(stderr, tc.note) {
			t.Errorf("%s: summary lacks %q:\n%s", tc.name, tc.note, stderr)
		}
	}
	// A rule without NOW() gets no note.
	if _, stderr, _ := run(t, "", "hunt", sampleData); strings.Contains(stderr, "NOW()") {
		t.Errorf("NOW() note for the built-in rule:\n%s", stderr)
	}
}

// A replay of input out of time order re-reads it for the rules on the
// shared path and gives the alerts and run reports of the sorted input.
func TestHuntReplayUnorderedInput(t *testing.T) {
	f, _ := os.Open(sampleData)
	zr, _ := gzip.NewReader(f)
	data, _ := io.ReadAll(zr)
	f.Close()
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	sorted := filepath.Join(t.TempDir(), "sorted.ndjson")
	os.WriteFile(sorted, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	rand.New(rand.NewPCG(3, 3)).Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	shuffled := filepath.Join(t.TempDir(), "shuffled.ndjson")
	os.WriteFile(shuffled, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	want, wantErr, _ := run(t, "", "hunt", "--replay", "--replay-reference", shuffled)
	got, gotErr, code := run(t, "", "hunt", "--replay", shuffled)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, gotErr)
	}
	if !strings.Contains(gotErr, "input is not in time order; re-reading it for 1 rule(s)") {
		t.Errorf("no re-read reported:\n%.400s", gotErr)
	}
	if got != want || runTable(gotErr) != runTable(wantErr) {
		t.Errorf("shuffled replay differs from the reference:\n%s\n%s", runTable(gotErr), runTable(wantErr))
	}
	// Stdin cannot be re-read: the replay says so and keeps the same rows.
	stdinOut, stdinErr, _ := run(t, strings.Join(lines, "\n")+"\n", "hunt", "--replay", "-")
	if !strings.Contains(stdinErr, "stdin cannot be re-read, so the groups of 1 rule(s)") || strings.Count(stdinOut, "\n") != strings.Count(want, "\n") {
		t.Errorf("replay of shuffled stdin: %d alerts, want %d:\n%.400s", strings.Count(stdinOut, "\n"), strings.Count(want, "\n"), stdinErr)
	}
	if _, sortedErr, _ := run(t, "", "hunt", "--replay", sorted); strings.Contains(sortedErr, "re-reading") {
		t.Errorf("sorted input re-read:\n%.400s", sortedErr)
	}
}

// runTable is a replay summary without its timing line.
func runTable(stderr string) string {
	_, rest, _ := strings.Cut(stderr, "\nRUN")
	return rest
}
