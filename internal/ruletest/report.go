package ruletest

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Report writes results for people: a line per test (ok or FAIL with its
// position), the differences under each failure, and a summary. It returns
// the number of failed tests.
func Report(w io.Writer, results []*FileResult) int {
	passed, failed := 0, 0
	for _, f := range results {
		for _, c := range f.Cases {
			if c.Passed() {
				passed++
				fmt.Fprintf(w, "ok   %s:%d: %s\n", f.Path, c.Line, c.Name)
				continue
			}
			failed++
			fmt.Fprintf(w, "FAIL %s:%d: %s (rule %q, %d alert(s))\n", f.Path, c.Line, c.Name, f.Rule, c.Alerts)
			for _, d := range c.Diff {
				fmt.Fprintf(w, "  - %s\n", strings.ReplaceAll(d, "\n", "\n  "))
			}
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", passed, failed)
	return failed
}

// ReportJSON writes results as one JSON document (for CI): every test with
// its file, line, rule, pass/fail and differences.
func ReportJSON(w io.Writer, results []*FileResult) int {
	type test struct {
		File   string   `json:"file"`
		Line   int      `json:"line"`
		Rule   string   `json:"rule"`
		Name   string   `json:"name"`
		Passed bool     `json:"passed"`
		Alerts int      `json:"alerts"`
		Diff   []string `json:"diff,omitempty"`
	}
	out := struct {
		Passed int    `json:"passed"`
		Failed int    `json:"failed"`
		Tests  []test `json:"tests"`
	}{Tests: []test{}}
	for _, f := range results {
		for _, c := range f.Cases {
			if c.Passed() {
				out.Passed++
			} else {
				out.Failed++
			}
			out.Tests = append(out.Tests, test{f.Path, c.Line, f.Rule, c.Name, c.Passed(), c.Alerts, c.Diff})
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(out)
	return out.Failed
}
