package csvspec

import (
	"os"
	"strings"
	"testing"
)

// docsExamples holds the query/result examples of Elasticsearch's ES|QL
// reference documentation (each test names its page in a `// source:`
// line). They run over the shared conformance data sets and, unlike the
// shared suite, every runnable one must pass: a test that cannot pass
// carries a `#[skip:-99.99.99,reason:…]` instruction saying why, and is in
// the known-failures list like every skip; a listed failure still fails.
const docsExamplesFile = "testdata/docs-examples.csv-spec"

// isDocsExample tells the known-failures entries of this suite from the
// shared suite's.
func isDocsExample(key string) bool { return strings.HasPrefix(key, "docs-examples/") }

func TestDocsExamples(t *testing.T) {
	dir := sharedESQL(t)
	lib, err := LoadLibrary(dir)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(docsExamplesFile)
	if err != nil {
		t.Fatal(err)
	}
	tests, err := ParseSpec(docsExamplesFile, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(tests) == 0 {
		t.Fatal("no tests in " + docsExamplesFile)
	}
	var r Runner
	known := loadKnown()
	outs := make([]Outcome, 0, len(tests))
	for _, tc := range tests {
		o := r.Run(lib, tc)
		outs = append(outs, o)
		t.Run(tc.Name, func(t *testing.T) {
			switch {
			case o.Status == Skipped && strings.HasPrefix(o.Reason, "data set"):
				t.Errorf("%s: examples must use the shared data sets: %s", o.ID(), o.Reason)
			case o.Status == Failed:
				// Never a known failure: fix it or give it a skip instruction.
				t.Errorf("%s\n%s\n%s", o.ID(), tc.Query, o.Reason)
				return
			}
			reportOutcome(t, o, known)
		})
	}
	checkKnown(t, outs, isDocsExample)
}
