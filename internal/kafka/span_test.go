package kafka

import (
	"testing"

	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

func TestSpanning(t *testing.T) {
	cases := []struct {
		query string
		spans bool
	}{
		{`FROM logs-* | WHERE process.name == "sh"`, false},
		{`FROM logs-* | STATS n = COUNT(*) BY agent.id, host.name`, false},
		{`FROM logs-* | STATS n = COUNT(*) BY host.id`, false},
		{`FROM logs-* | STATS n = COUNT(*) BY user.name`, true},
		{`FROM logs-* | STATS n = COUNT(*)`, true},
		{`FROM logs-* | SORT @timestamp | LIMIT 5`, true},
	}
	for _, c := range cases {
		cr, err := engine.Compile(&rule.Rule{RuleID: "r", Name: "r", Type: "esql", Language: "esql", Query: c.query}, &engine.Catalog{}, esql.Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		if got := len(spanning([]*engine.CompiledRule{cr})) == 1; got != c.spans {
			t.Errorf("%s: spans %v, want %v", c.query, got, c.spans)
		}
	}
	if s := spanning(seedRules(t)); len(s) != 0 {
		t.Errorf("the seed rule groups by agent.id, yet spans: %v", s[0].Rule.Name)
	}
}
