package spec

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateKnown = flag.Bool("update-known", false, "rewrite testdata/known-failures.txt from this run")

const sharedDir = "../../../../shared/conformance/eql"

// TestConformance runs Elasticsearch's EQL suite and fails on any difference
// from testdata/known-failures.txt: a new failure, or a listed test that now
// passes. It skips when ../shared is absent.
func TestConformance(t *testing.T) {
	if _, err := os.Stat(filepath.Join(sharedDir, "test_queries.toml")); err != nil {
		t.Skip("../shared/conformance/eql not available")
	}
	s, err := Load(sharedDir)
	if err != nil {
		t.Fatal(err)
	}
	outs := s.Run()
	run := KnownFrom(outs)
	path := filepath.Join("testdata", "known-failures.txt")
	if *updateKnown {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := run.Write(f); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	known, err := ParseKnown(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range known.Diff(run) {
		t.Error(d)
	}
	t.Logf("%d tests, %d not passing", len(outs), len(run))
}

func TestKnownDiff(t *testing.T) {
	known := Known{"a": {"failed", "x"}, "b": {"skipped", "y"}}
	run := Known{"a": {"failed", "x"}, "c": {"failed", "z"}}
	d := known.Diff(run)
	if len(d) != 2 || d[0] != "b: now passes; remove it from known-failures.txt" || d[1] != "c: failed (z), not in known-failures.txt" {
		t.Fatalf("diff = %q", d)
	}
	if _, err := ParseKnown("x\tbroken\ty"); err == nil {
		t.Fatal("malformed status accepted")
	}
}
