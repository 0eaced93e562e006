package esql

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"vigil/internal/doc"
)

// ruleFeatureGaps is what keeps each of Elastic's prebuilt ES|QL rules
// (../shared/rules/esql) from compiling that is Vigil's to implement, not a
// mapping's: the ES|QL features it uses that Vigil lacks. Unknown columns
// (integration fields no shipped mapping names) are not listed; they are
// the mappings' work. Implementing a feature makes this test fail until its
// entries go.
var ruleFeatureGaps = map[string][]string{}

// TestRuleFeatureGaps compiles every prebuilt rule against the ECS mapping
// with every other field it names mapped as keyword, and checks that the
// errors left that are not about fields are exactly ruleFeatureGaps: no rule
// fails on "Unknown function" (a function Elasticsearch has is "not
// supported yet"), and no feature gap goes unlisted.
func TestRuleFeatureGaps(t *testing.T) {
	qs := ruleQueries(t)
	if len(qs) == 0 {
		t.Skip("no rules in ../shared")
	}
	ecs, ok := doc.BuiltinMapping("ecs")
	if !ok {
		t.Skip("no ecs mapping")
	}
	linePos := regexp.MustCompile(`^line \d+:\d+: `)
	got := map[string][]string{}
	for _, name := range slices.Sorted(maps.Keys(qs)) {
		q := qs[name]
		ast, err := Parse(q)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		m := doc.NewMapping()
		for _, f := range ecs.Fields() {
			m.Add(*f)
		}
		addNames(ast, m)
		_, err = Compile(q, dynCatalog{m}, Options{})
		if err == nil {
			continue
		}
		for i, line := range strings.Split(err.Error(), "\nline ") {
			if i > 0 {
				line = "line " + line // one problem, its message possibly over several lines
			}
			msg := linePos.ReplaceAllString(line, "")
			switch {
			case strings.HasPrefix(line, "Found "), strings.HasPrefix(msg, "Unknown column"):
			case strings.Contains(msg, "[keyword]"), strings.Contains(msg, "[KEYWORD]"):
				// a stand-in keyword where the real mapping has a number or boolean
			case strings.Contains(msg, "Unknown function"):
				t.Errorf("%s: %s (a function Elasticsearch lacks too, or one missing from registry.ElasticsearchFunctions)", name, line)
			default:
				got[name] = append(got[name], msg)
			}
		}
	}
	for name, msgs := range got {
		if !slices.Equal(msgs, ruleFeatureGaps[name]) {
			t.Errorf("%s fails on %q, listed %q", name, msgs, ruleFeatureGaps[name])
		}
	}
	for name, msgs := range ruleFeatureGaps {
		if _, ok := got[name]; !ok {
			t.Errorf("%s no longer fails on %q: drop it from ruleFeatureGaps", name, msgs)
		}
	}
	t.Logf("%d of %d rules fail on features Vigil lacks", len(got), len(qs))
}
