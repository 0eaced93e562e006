package csvspec

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

// knownFile is the checked-in list of shared-suite and docs-example tests
// that do not pass (see Known).
const knownFile = "testdata/known-failures.txt"

var updateKnown = flag.Bool("update-known", false, "rewrite "+knownFile+" from this run instead of checking it (never in CI)")

const knownHint = "if the change is intended, regenerate the list and review its diff:\n" +
	"\tgo test ./internal/esql/csvspec -run 'TestConformance|TestDocsExamples' -update-known"

// checkKnown compares one suite's outcomes with the entries of knownFile
// that belong to it (owns), or with -update-known rewrites those entries
// and keeps the other suite's.
func checkKnown(t *testing.T, outs []Outcome, owns func(key string) bool) {
	t.Helper()
	src, err := os.ReadFile(knownFile)
	if err != nil && !(*updateKnown && os.IsNotExist(err)) {
		t.Fatal(err)
	}
	all, err := ParseKnown(knownFile, bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	mine, others := Known{}, Known{}
	for key, e := range all {
		if owns(key) {
			mine[key] = e
		} else {
			others[key] = e
		}
	}
	if *updateKnown {
		for key, e := range KnownFrom(outs) {
			others[key] = e
		}
		var b bytes.Buffer
		if err := others.Write(&b); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(knownFile, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", knownFile)
		return
	}
	if stale := mine.Stale(outs); len(stale) > 0 {
		t.Errorf("%s is stale (%d differences):\n%s\n%s", knownFile, len(stale), strings.Join(stale, "\n"), knownHint)
	}
}

// reportOutcome is how a subtest reports an outcome: a pass passes, a skip
// skips with its reason, a failure the list expects (or -update-known is
// about to record) skips as "known failure", and any other failure fails
// with the query and the details.
func reportOutcome(t *testing.T, o Outcome, known Known) {
	switch o.Status {
	case Skipped:
		t.Skip(o.Reason)
	case Failed:
		if e, ok := known[o.Key()]; *updateKnown || ok && e == (KnownEntry{Failed, firstLine(o.Reason)}) {
			t.Skip("known failure: " + o.Reason)
		}
		t.Errorf("%s\n%s\n%s", o.ID(), o.Test.Query, o.Reason)
	}
}

// loadKnown reads knownFile for the subtests' reporting; a missing or bad
// file is checkKnown's to report.
func loadKnown() Known {
	f, err := os.Open(knownFile)
	if err != nil {
		return nil
	}
	defer f.Close()
	k, _ := ParseKnown(knownFile, f)
	return k
}

// TestConformance runs every shared csv-spec test as a subtest and fails
// when the outcomes differ from the known-failures list: a new failure or
// skip, a listed test that now passes or no longer exists.
func TestConformance(t *testing.T) {
	dir := sharedESQL(t)
	var r Runner
	outs, err := r.RunPaths([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) == 0 {
		t.Fatal("no csv-spec tests found in " + dir)
	}
	t.Logf("%s (of %d)", Summarize(outs), len(outs))
	known := loadKnown()
	for _, o := range outs {
		t.Run(o.Key(), func(t *testing.T) { reportOutcome(t, o, known) })
	}
	checkKnown(t, outs, func(key string) bool { return !isDocsExample(key) })
}
