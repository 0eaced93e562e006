package main

import "testing"

func TestRenderMarkdown(t *testing.T) {
	cases := []struct{ in, want string }{
		{"## Triage", ansiBold + ansiUnder + "Triage" + ansiReset},
		{"- run `whoami` now", "  • run " + ansiCyan + "whoami" + ansiReset + " now"},
		{"> **Disclaimer**:", ansiDim + "│ " + ansiBold + "Disclaimer" + ansiReset + ":" + ansiReset},
		{"see [docs](https://x.y/z)", "see docs <https://x.y/z>"},
		{"plain", "plain"},
	}
	for _, c := range cases {
		if got := renderMarkdown(c.in); got != c.want {
			t.Errorf("renderMarkdown(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
