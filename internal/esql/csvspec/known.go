package csvspec

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
)

// KnownEntry is what the known-failures list records about a test that does
// not pass: whether it fails or is skipped, and the first line of the
// runner's reason (for a failure, the way it fails).
type KnownEntry struct {
	Status Status // Failed or Skipped
	Reason string
}

// Known is the checked-in list of tests that do not pass, by Outcome.Key.
// Comparing it with a run (Stale) is what makes a conformance regression,
// or an improvement left unrecorded, fail `go test`.
type Known map[string]KnownEntry

// Key names a test by spec file (without directory or .csv-spec) and name,
// e.g. "where-like/likePrefix": stable across edits that move it in its file.
func (o Outcome) Key() string {
	return strings.TrimSuffix(filepath.Base(o.Test.File), ".csv-spec") + "/" + o.Test.Name
}

// firstLine is the part of a reason the list records: failure details
// beyond it (row dumps, queries) would make the list noisy to review.
func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return strings.TrimRight(first, " \t\r")
}

// KnownFrom lists every outcome that did not pass.
func KnownFrom(outs []Outcome) Known {
	k := Known{}
	for _, o := range outs {
		if o.Status != Passed {
			k[o.Key()] = KnownEntry{o.Status, firstLine(o.Reason)}
		}
	}
	return k
}

const knownHeader = `# Known failures and skips of Vigil's ES|QL csv-spec suites (docs/conformance.md).
# One line per test that does not pass, sorted: FILE/TEST <TAB> failed|skipped <TAB> the runner's reason (first line).
# go test fails when a run differs from this list in either direction. Regenerate it (never by CI) with
#   go test ./internal/esql/csvspec -run 'TestConformance|TestDocsExamples' -update-known
`

// Write writes the list in its file format: the header comment, then one
// "key\tstatus\treason" line per test, sorted, so that concurrent changes
// merge line by line.
func (k Known) Write(w io.Writer) error {
	var b strings.Builder
	b.WriteString(knownHeader)
	for _, key := range slices.Sorted(maps.Keys(k)) {
		e := k[key]
		fmt.Fprintf(&b, "%s\t%s\t%s\n", key, knownStatus(e.Status), e.Reason)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func knownStatus(s Status) string {
	if s == Failed {
		return "failed"
	}
	return "skipped"
}

// ParseKnown reads a list written by Write. Blank lines and lines starting
// with '#' are ignored; a malformed or repeated entry is an error naming
// its line.
func ParseKnown(name string, r io.Reader) (Known, error) {
	k := Known{}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.SplitN(line, "\t", 3)
		if len(fields) != 3 || fields[0] == "" || !strings.Contains(fields[0], "/") {
			return nil, fmt.Errorf("%s:%d: want FILE/TEST<TAB>failed|skipped<TAB>reason, got %q", name, n, line)
		}
		var st Status
		switch fields[1] {
		case "failed":
			st = Failed
		case "skipped":
			st = Skipped
		default:
			return nil, fmt.Errorf("%s:%d: status %q is neither failed nor skipped", name, n, fields[1])
		}
		if _, dup := k[fields[0]]; dup {
			return nil, fmt.Errorf("%s:%d: %s is listed twice", name, n, fields[0])
		}
		k[fields[0]] = KnownEntry{st, fields[2]}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return k, nil
}

// Stale compares a run with the list and returns one message per
// difference, sorted by test: a test that fails or is skipped without being
// listed (or for another reason than listed), a listed test that now
// passes, a listed test the run no longer has, and two tests the list
// cannot tell apart. Nil means the list is exact.
func (k Known) Stale(outs []Outcome) []string {
	var msgs []string
	seen := map[string]bool{}
	for _, o := range outs {
		key := o.Key()
		if seen[key] {
			msgs = append(msgs, fmt.Sprintf("%s: two tests have this name (%s); rename one", key, o.ID()))
			continue
		}
		seen[key] = true
		e, listed := k[key]
		got := KnownEntry{o.Status, firstLine(o.Reason)}
		switch {
		case o.Status == Passed && listed:
			msgs = append(msgs, fmt.Sprintf("%s: now passes but is listed as %s: remove it", key, knownStatus(e.Status)))
		case o.Status == Passed:
		case !listed:
			msg := fmt.Sprintf("%s: %s but is not listed: %s", key, knownVerb(o.Status), got.Reason)
			if o.Status == Failed && len(o.Test.Capabilities) > 0 {
				msg += fmt.Sprintf(" (it requires %s, listed as supported in capabilities.go)", strings.Join(o.Test.Capabilities, ", "))
			}
			msgs = append(msgs, msg)
		case got != e:
			msgs = append(msgs, fmt.Sprintf("%s: %s: %s\n\tbut is listed as %s: %s", key, knownVerb(o.Status), got.Reason, knownStatus(e.Status), e.Reason))
		}
	}
	for key, e := range k {
		if !seen[key] {
			msgs = append(msgs, fmt.Sprintf("%s: listed as %s but no longer exists: remove it", key, knownStatus(e.Status)))
		}
	}
	slices.Sort(msgs)
	return msgs
}

func knownVerb(s Status) string {
	if s == Failed {
		return "fails"
	}
	return "is skipped"
}
