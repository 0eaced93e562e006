package esql

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"vigil/internal/esql/agg"
	"vigil/internal/esql/fn"
)

// docs/esql.md must list every function the engine registers, so the
// documented surface never lags the implemented one.
func TestDocsListEveryFunction(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "esql.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range append(fn.Names(), agg.Names()...) {
		if !regexp.MustCompile(`\b` + name + `\b`).Match(data) {
			t.Errorf("docs/esql.md does not mention %s", name)
		}
	}
}
