package engine

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"vigil/internal/esql"
	"vigil/internal/rule"
)

// TestSharedKQLRulesCompile loads and compiles every one of Elastic's
// prebuilt query, threshold and new_terms rules in ../shared.
func TestSharedKQLRulesCompile(t *testing.T) {
	for _, typ := range []string{"query", "threshold", "new_terms"} {
		dir := filepath.Join("..", "..", "..", "shared", "rules", typ)
		if _, err := os.Stat(dir); err != nil {
			t.Skipf("no %s (../shared absent)", dir)
		}
		res, err := rule.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range append(res.Invalid, res.Skipped...) {
			t.Errorf("%s", e)
		}
		if len(res.Rules) == 0 {
			t.Errorf("%s: no rules", dir)
		}
		for _, r := range res.Rules {
			if r.Type != typ {
				t.Errorf("%s: type %q in the %s folder", r.Path, r.Type, typ)
			}
			if _, err := Compile(r, &Catalog{}, esql.Options{Now: time.Unix(0, 0)}); err != nil {
				t.Errorf("%s: %v\n%s", r.Path, err, lower(r))
			}
		}
		t.Logf("%s: %d rules compiled", typ, len(res.Rules))
	}
}
