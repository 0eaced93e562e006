package csvspec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docsExamples holds the query/result examples of Elasticsearch's ES|QL
// reference documentation (each test names its page in a `// source:`
// line). They run over the shared conformance data sets and, unlike the
// shared suite, every runnable one must pass: a test that cannot pass
// carries a `#[skip:-99.99.99,reason:…]` instruction saying why.
const docsExamplesFile = "testdata/docs-examples.csv-spec"

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
	seen := map[string]bool{}
	for _, tc := range tests {
		if seen[tc.Name] {
			t.Errorf("%s:%d: duplicate test name %s", filepath.Base(tc.File), tc.Line, tc.Name)
		}
		seen[tc.Name] = true
		o := r.Run(lib, tc)
		t.Run(tc.Name, func(t *testing.T) {
			switch o.Status {
			case Skipped:
				if strings.HasPrefix(o.Reason, "data set") {
					t.Errorf("%s: examples must use the shared data sets: %s", o.ID(), o.Reason)
				}
				t.Skip(o.Reason)
			case Failed:
				t.Errorf("%s\n%s\n%s", o.ID(), tc.Query, o.Reason)
			}
		})
	}
}
