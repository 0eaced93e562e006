package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHuntExceptions: the seed rule over the sample data (4 alerts) with
// an exception on a source field (build-02's interpreter, linux only), one
// on an Esql.* output column (web-01's probe: case-sensitive, so ci-07's
// `sh -C whoami` keeps its alert), an expired item and one naming a field
// the rule cannot see; the same alerts in every execution path.
func TestHuntExceptions(t *testing.T) {
	exc := filepath.Join("testdata", "exceptions")
	for _, extra := range [][]string{nil, {"--threads", "1"}, {"--no-prefilter"}, {"--threads", "3", "--chunk-size", "4096"}} {
		args := append([]string{"hunt", "--now", "2026-11-20T11:00:00Z", "--exceptions", exc}, extra...)
		out, stderr, code := run(t, "", append(args, sampleData)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", extra, code, stderr)
		}
		if n := strings.Count(out, "\n"); n != 2 {
			t.Errorf("%v: %d alerts, want 2", extra, n)
		}
		for _, host := range []string{"mac-03.corp.example", "ci-07"} {
			if !strings.Contains(out, `"host.name":"`+host+`"`) {
				t.Errorf("%v: no alert for %s", extra, host)
			}
		}
		for _, want := range []string{
			"exception approved-build-python (approved build interpreter) of list b42e4b88-fc4a-417b-a45e-4d4a3db9fd41: 5 source events removed, 0 alerts removed",
			"exception whoami-probe (monitoring probe) of list b42e4b88-fc4a-417b-a45e-4d4a3db9fd41: 0 source events removed, 1 alerts removed",
			`exception item "expired" expired at 2026-11-01T00:00:00Z`,
			`exceptions/seed-tuning.ndjson:5: exception item "unseen-field" (list "b42e4b88-fc4a-417b-a45e-4d4a3db9fd41") not applied: "Esql.not_a_column" is neither a field of the rule's source indices nor a column of its result`,
			"872 matched its filter, 2 alerts",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", extra, want, stderr)
			}
		}
	}
	// Replay applies the same exceptions.
	out, stderr, code := run(t, "", "hunt", "--replay", "--exceptions", exc, sampleData)
	if n := strings.Count(out, "\n"); code != exitOK || n != 2 {
		t.Errorf("replay: exit %d, %d alerts, want 2:\n%s", code, n, stderr)
	}
}

// TestHuntExceptionsBadInput: a bad line is reported with file:line and
// skipped, a missing path is a usage error.
func TestHuntExceptionsBadInput(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "e.ndjson")
	os.WriteFile(f, []byte(`{"item_id":"x","list_id":"b42e4b88-fc4a-417b-a45e-4d4a3db9fd41","type":"simple","entries":[{"type":"match","field":"host.name","value":"ci-07","operator":"included"}]}`+"\n{broken\n"), 0o644)
	out, stderr, code := run(t, "", "hunt", "--now", "2026-11-20T11:00:00Z", "--exceptions", f, sampleData)
	if code != exitOK || strings.Count(out, "\n") != 3 || !strings.Contains(stderr, "e.ndjson:2:") {
		t.Errorf("exit %d, %d alerts:\n%s", code, strings.Count(out, "\n"), stderr)
	}
	if _, _, code := run(t, "", "hunt", "--exceptions", filepath.Join(dir, "nope"), sampleData); code != exitUsage {
		t.Errorf("missing --exceptions path: exit %d", code)
	}
}
