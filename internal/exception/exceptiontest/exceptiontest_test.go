package exceptiontest

import (
	"slices"
	"testing"
	"time"
)

// The table loads, names each case once, every case's items load as
// Kibana's schema allows, and the expected alerts are events of the table.
func TestCases(t *testing.T) {
	cases, err := Cases()
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 20 {
		t.Fatalf("%d cases", len(cases))
	}
	ids := map[string]bool{"e1": true, "e2": true, "e3": true, "e4": true}
	if n := len(Events(time.Unix(0, 0))); n != len(ids) {
		t.Fatalf("%d events, want %d", n, len(ids))
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.Name] {
			t.Errorf("case %q twice", c.Name)
		}
		seen[c.Name] = true
		if _, err := c.Set(); err != nil {
			t.Error(err)
		}
		if !slices.IsSorted(c.Alerts) {
			t.Errorf("%s: alerts %v not sorted", c.Name, c.Alerts)
		}
		for _, a := range c.Alerts {
			if !ids[a] {
				t.Errorf("%s: alert %q is no event of the table", c.Name, a)
			}
		}
	}
}
