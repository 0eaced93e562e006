package csvspec

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
)

func outcome(file, name string, st Status, reason string, caps ...string) Outcome {
	return Outcome{Test: &Test{File: "/suite/" + file + ".csv-spec", Line: 7, Name: name, Capabilities: caps}, Status: st, Reason: reason}
}

// TestKnownStale feeds the comparison lists that are stale in each
// direction (more failures than listed, fewer than listed) and exact ones.
func TestKnownStale(t *testing.T) {
	run := []Outcome{
		outcome("a", "passes", Passed, ""),
		outcome("a", "fails", Failed, "expected 1 row, got 0\nrow dump"),
		outcome("b", "skipped", Skipped, "data set x not available"),
	}
	exact := Known{
		"a/fails":   {Failed, "expected 1 row, got 0"},
		"b/skipped": {Skipped, "data set x not available"},
	}
	with := func(k Known, edit func(Known)) Known {
		c := Known{}
		for key, e := range k {
			c[key] = e
		}
		edit(c)
		return c
	}
	cases := []struct {
		name  string
		known Known
		outs  []Outcome
		want  []string // substrings, one per expected message, in order
	}{
		{"exact", exact, run, nil},
		{"new failure", with(exact, func(k Known) { delete(k, "a/fails") }), run,
			[]string{"a/fails: fails but is not listed: expected 1 row, got 0"}},
		{"new failure names capabilities", Known{}, []Outcome{outcome("a", "f", Failed, "boom", "cap_x")},
			[]string{"a/f: fails but is not listed: boom (it requires cap_x, listed as supported"}},
		{"unlisted skip", with(exact, func(k Known) { delete(k, "b/skipped") }), run,
			[]string{"b/skipped: is skipped but is not listed: data set x not available"}},
		{"skip reason changed", with(exact, func(k Known) { k["b/skipped"] = KnownEntry{Skipped, "disabled"} }), run,
			[]string{"b/skipped: is skipped: data set x not available\n\tbut is listed as skipped: disabled"}},
		{"fails differently", with(exact, func(k Known) { k["a/fails"] = KnownEntry{Failed, "timeout"} }), run,
			[]string{"a/fails: fails: expected 1 row, got 0\n\tbut is listed as failed: timeout"}},
		{"listed failure now skipped", with(exact, func(k Known) { k["b/skipped"] = KnownEntry{Failed, "data set x not available"} }), run,
			[]string{"b/skipped: is skipped: data set x not available\n\tbut is listed as failed"}},
		{"listed failure now passes", with(exact, func(k Known) { k["a/passes"] = KnownEntry{Failed, "old"} }), run,
			[]string{"a/passes: now passes but is listed as failed: remove it"}},
		{"listed skip now passes", with(exact, func(k Known) { k["a/passes"] = KnownEntry{Skipped, "old"} }), run,
			[]string{"a/passes: now passes but is listed as skipped: remove it"}},
		{"listed test gone", with(exact, func(k Known) { k["c/gone"] = KnownEntry{Failed, "x"} }), run,
			[]string{"c/gone: listed as failed but no longer exists: remove it"}},
		{"both directions", with(exact, func(k Known) { delete(k, "a/fails"); k["a/passes"] = KnownEntry{Failed, "x"} }), run,
			[]string{"a/fails: fails but is not listed", "a/passes: now passes"}},
		{"duplicate names", Known{}, []Outcome{outcome("a", "x", Passed, ""), outcome("a", "x", Passed, "")},
			[]string{"a/x: two tests have this name (a.csv-spec:7 x)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.known.Stale(c.outs)
			if len(got) != len(c.want) {
				t.Fatalf("got %d messages, want %d:\n%s", len(got), len(c.want), strings.Join(got, "\n"))
			}
			for i, w := range c.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("message %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
	// The list a run generates is exact for that run.
	if got := KnownFrom(run).Stale(run); got != nil {
		t.Errorf("KnownFrom(run).Stale(run) = %q", got)
	}
	if !reflect.DeepEqual(KnownFrom(run), exact) {
		t.Errorf("KnownFrom = %v, want %v", KnownFrom(run), exact)
	}
}

func TestKnownRoundTrip(t *testing.T) {
	k := Known{
		"z/last":  {Failed, "reason with\ttab and: colon"},
		"a/first": {Skipped, "disabled: name ends in -Ignore"},
		"m/empty": {Skipped, ""},
	}
	var b bytes.Buffer
	if err := k.Write(&b); err != nil {
		t.Fatal(err)
	}
	body := strings.TrimPrefix(b.String(), knownHeader)
	want := "a/first\tskipped\tdisabled: name ends in -Ignore\nm/empty\tskipped\t\nz/last\tfailed\treason with\ttab and: colon\n"
	if body != want {
		t.Errorf("written body\n%q\nwant (sorted)\n%q", body, want)
	}
	back, err := ParseKnown("list", &b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, k) {
		t.Errorf("round trip %v, want %v", back, k)
	}
}

func TestParseKnownErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"a/b failed reason\n", "list:1: want FILE/TEST<TAB>failed|skipped<TAB>reason"},
		{"# c\n\nnoslash\tfailed\tr\n", "list:3: want FILE/TEST"},
		{"a/b\tbroken\tr\n", `list:1: status "broken" is neither failed nor skipped`},
		{"a/b\tfailed\tr\na/b\tskipped\tr\n", "list:2: a/b is listed twice"},
	}
	for _, c := range cases {
		_, err := ParseKnown("list", strings.NewReader(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseKnown(%q) = %v, want %q", c.src, err, c.want)
		}
	}
}

// TestKnownFileCanonical keeps the checked-in list in the form Write gives
// (sorted, one line per test) so that concurrent edits merge line by line.
// It needs no shared suite.
func TestKnownFileCanonical(t *testing.T) {
	src, err := os.ReadFile(knownFile)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseKnown(knownFile, bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := k.Write(&b); err != nil {
		t.Fatal(err)
	}
	if b.String() != string(src) {
		t.Errorf("%s is not in canonical form (header, sorted entries); %s", knownFile, knownHint)
	}
}
