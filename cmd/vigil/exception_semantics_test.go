package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/exception/exceptiontest"
)

// TestExceptionSemantics runs the shared table of exception cases
// (internal/exception/exceptiontest; internal/server runs it through vigil
// serve) through vigil hunt, sweep and --replay, with the items and value
// lists as an --exceptions folder.
func TestExceptionSemantics(t *testing.T) {
	cases, err := exceptiontest.Cases()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ruleFile := filepath.Join(dir, "rule.toml")
	events := filepath.Join(dir, "events.ndjson")
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if err := os.WriteFile(ruleFile, exceptiontest.Rule(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(events, []byte(strings.Join(exceptiontest.Events(now.Add(-2*time.Minute)), "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		exc := filepath.Join(dir, "exc", strings.Repeat("x", i+1)) // one folder per case
		if err := os.MkdirAll(exc, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := c.WriteDir(exc); err != nil {
			t.Fatal(err)
		}
		for _, mode := range []string{"sweep", "--replay"} {
			t.Run(c.Name+"/"+mode, func(t *testing.T) {
				if c.Gap != "" {
					t.Skip("known gap: " + c.Gap)
				}
				args := []string{"hunt", "--rules", ruleFile, "--exceptions", exc, "--now", now.Format(time.RFC3339)}
				if mode != "sweep" {
					args = append(args, mode)
				}
				out, stderr, code := run(t, "", append(args, events)...)
				if code != exitOK {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				if strings.Contains(stderr, "is neither a field") {
					t.Errorf("an item was not applied:\n%s", stderr)
				}
				var got []string
				for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
					var a map[string]any
					if line == "" {
						continue
					}
					if err := json.Unmarshal([]byte(line), &a); err != nil {
						t.Fatalf("%v: %s", err, line)
					}
					id, _ := a["event.id"].(string)
					got = append(got, id)
				}
				slices.Sort(got)
				if !slices.Equal(got, c.Alerts) {
					t.Errorf("alerts for %v, want %v\n%s", got, c.Alerts, stderr)
				}
			})
		}
	}
}
