package doc

import (
	"reflect"
	"testing"
)

func TestSplitIndexPatterns(t *testing.T) {
	got := SplitIndexPatterns("a,b*, -c ,,")
	if want := []string{"a", "b*", "-c"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q want %q", got, want)
	}
}

func TestMatchIndex(t *testing.T) {
	cases := []struct {
		patterns string
		index    string
		want     bool
	}{
		{"logs-*", "logs-endpoint.events.process-default", true},
		{"logs-*", "metrics-x", false},
		{"logs-endpoint.events.process-*", ".ds-logs-endpoint.events.process-default-2022.02.15-000001", true},
		{"logs-*", ".ds-logs-a-000001", true},
		{"*", ".hidden", false},
		{".h*", ".hidden", true},
		{"employees", "employees", true},
		{"employees", "employees2", false},
		{"logs-*,-logs-b*", "logs-b1", false},
		{"logs-*,-logs-b*", "logs-a1", true},
		{"logs-*,-logs-b*,logs-b1", "logs-b1", true},
		{"-logs-a", "logs-a", false},
		{"logs-a,-logs-a", "logs-a", true}, // no wildcard before: "-logs-a" is a (missing) name
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"remote:logs-*", "logs-a", false},
		{"logs-*::data", "logs-a", true},
		{"logs-*::failures", "logs-a", false},
	}
	for _, c := range cases {
		if got := MatchIndex(SplitIndexPatterns(c.patterns), c.index); got != c.want {
			t.Errorf("MatchIndex(%q, %q) = %v, want %v", c.patterns, c.index, got, c.want)
		}
	}
}
