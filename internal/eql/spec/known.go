package spec

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Known is the checked-in list of tests that do not pass: name → "failed"
// or "skipped" and the first line of the reason. Its file format is the
// csv-spec suite's (internal/esql/csvspec): one "name\tstatus\treason" line
// per test, sorted, after a header of # comments.
type Known map[string][2]string

const knownHeader = `# Known failures and skips of Vigil's EQL conformance run (cmd/eqlspec over ../shared/conformance/eql).
# One line per test that does not pass, sorted: TEST <TAB> failed|skipped <TAB> the runner's reason (first line).
# go test fails when a run differs from this list in either direction. Regenerate it (never by CI) with
#   go test ./internal/eql/spec -run TestConformance -update-known
`

// Status is "passed", "failed" or "skipped", with the reason for the latter two.
func (o Outcome) Status() (string, string) {
	switch {
	case o.Skipped != "":
		return "skipped", o.Skipped
	case o.Passed():
		return "passed", ""
	case o.Err != nil:
		first, _, _ := strings.Cut(o.Err.Error(), "\n")
		return "failed", first
	}
	return "failed", fmt.Sprintf("got %v, want %v", o.Got, o.Expected[0])
}

// KnownFrom lists every outcome that did not pass.
func KnownFrom(outs []Outcome) Known {
	k := Known{}
	for _, o := range outs {
		if st, why := o.Status(); st != "passed" {
			k[o.Name] = [2]string{st, why}
		}
	}
	return k
}

// ParseKnown reads the file format; a malformed line is an error with its line number.
func ParseKnown(text string) (Known, error) {
	k := Known{}
	for i, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 || f[1] != "failed" && f[1] != "skipped" {
			return nil, fmt.Errorf("known-failures.txt:%d: want NAME<TAB>failed|skipped<TAB>REASON", i+1)
		}
		k[f[0]] = [2]string{f[1], f[2]}
	}
	return k, nil
}

// Write writes the list in its file format.
func (k Known) Write(w io.Writer) error {
	var b strings.Builder
	b.WriteString(knownHeader)
	names := make([]string, 0, len(k))
	for n := range k {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&b, "%s\t%s\t%s\n", n, k[n][0], k[n][1])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Diff describes how a run differs from the list: new failures (or changed
// statuses) and listed tests that now pass.
func (k Known) Diff(run Known) []string {
	var d []string
	for n, e := range run {
		if want, ok := k[n]; !ok {
			d = append(d, fmt.Sprintf("%s: %s (%s), not in known-failures.txt", n, e[0], e[1]))
		} else if want[0] != e[0] {
			d = append(d, fmt.Sprintf("%s: now %s (%s), listed as %s", n, e[0], e[1], want[0]))
		}
	}
	for n := range k {
		if _, ok := run[n]; !ok {
			d = append(d, n+": now passes; remove it from known-failures.txt")
		}
	}
	slices.Sort(d)
	return d
}
