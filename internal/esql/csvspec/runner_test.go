package csvspec

import (
	"errors"
	"iter"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
)

func TestVersionInRange(t *testing.T) {
	v := [3]int{9, 2, 0}
	cases := []struct {
		rng     string
		want    bool
		wantErr bool
	}{
		{"-8.12.99", false, false},
		{"-9.2.0", true, false},
		{"9.0.0-", true, false},
		{"9.3.0-", false, false},
		{"-", true, false},
		{"8.13.0-9.1.99", false, false},
		{"8.13-9.3", true, false},
		{"x-9.0.0", false, true},
		{"9.0.0", false, true},
		{"1-2-3", false, true},
	}
	for _, c := range cases {
		got, err := versionInRange(v, c.rng)
		if got != c.want || (err != nil) != c.wantErr {
			t.Errorf("versionInRange(%q) = %v, %v; want %v, err=%v", c.rng, got, err, c.want, c.wantErr)
		}
	}
}

func TestFromIndices(t *testing.T) {
	cases := map[string][]string{
		"from employees | keep a":                     {"employees"},
		"FROM employees, sample_data\n| EVAL x = 1":   {"employees", "sample_data"},
		"FROM employees METADATA _index | WHERE true": {"employees"},
		"  FROM sample_data":                          {"sample_data"},
		"ROW a = 1":                                   nil,
		"FROM event_alerts,event_logs":                {"event_alerts", "event_logs"},
		"fromx":                                       nil,
		`FROM "quoted"`:                               {"quoted"},
	}
	for q, want := range cases {
		if got := fromIndices(q); !reflect.DeepEqual(got, want) {
			t.Errorf("fromIndices(%q) = %q, want %q", q, got, want)
		}
	}
}

// writeSuite lays out a tiny suite: one spec file beside data/ and mappings/.
func writeSuite(t *testing.T, spec string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"data/people.csv":              "name:keyword,age:integer\nann,30\nbob,\n",
		"mappings/mapping-people.json": `{"properties":{"name":{"type":"keyword"},"age":{"type":"integer"}}}`,
		"t.csv-spec":                   spec,
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fakeEngine answers "FROM people" with the name column of the documents it
// is given, after resolving through the catalog as the engine does.
func fakeEngine(query string, cat esql.Catalog, docs iter.Seq[*doc.Document], opts esql.Options) (*esql.Result, error) {
	if query == "panic" {
		panic("boom")
	}
	if query == "hang" {
		select {}
	}
	idx := fromIndices(query)
	if rest, ok := strings.CutPrefix(query, "USE "); ok {
		idx = []string{rest} // invisible to the runner's FROM pre-scan
	}
	if idx == nil {
		return nil, errors.New("line 1:1: mismatched input")
	}
	if _, err := cat.Resolve(idx); err != nil {
		return nil, err
	}
	res := &esql.Result{Columns: []esql.Column{{Name: "name", Type: doc.Keyword}}}
	for d := range docs {
		res.Rows = append(res.Rows, []doc.Value{d.Get("name")})
	}
	if strings.Contains(query, "warn") {
		res.Warnings = []string{"Line 1:1: careful"}
	}
	return res, nil
}

func TestRunner(t *testing.T) {
	spec := `pass
FROM people;

name:keyword
ann
bob
;

fail
FROM people;

name:keyword
bob
ann
;

ignored-Ignore
FROM people;

name:keyword
;

oldOnly#[skip:-8.12.99,reason:old]
FROM people;

name:keyword
ann
bob
;

newOnly#[skip:9.0.0-,reason:not yet]
FROM people;

name:keyword
;

capability
required_capability: no_such_capability
FROM people;

name:keyword
;

missingData
FROM people, nowhere;

name:keyword
;

missingViaCatalog
USE other;

name:keyword
;

engineError
ROW a = 1;

a:integer
1
;

enginePanic
panic;

a:integer
;

engineHang
hang;

a:integer
;

unexpectedWarning
FROM people | warn;
ignoreOrder:true

name:keyword
bob
ann
;
`
	dir := writeSuite(t, spec)
	r := Runner{Exec: fakeEngine, Timeout: 50 * time.Millisecond}
	outs, err := r.RunPaths([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name   string
		status Status
		reason string
	}{
		{"pass", Passed, ""},
		{"fail", Failed, "row 1 (spec line 13) column name: expected bob, got ann"},
		{"ignored-Ignore", Skipped, "disabled: name ends in -Ignore"},
		{"oldOnly", Passed, ""},
		{"newOnly", Skipped, "skip:9.0.0- applies to version 9.2.0: not yet"},
		{"capability", Skipped, "requires capability no_such_capability (not supported)"},
		{"missingData", Skipped, "data set nowhere not available"},
		{"missingViaCatalog", Skipped, "data set other not available"},
		{"engineError", Failed, "query failed: line 1:1: mismatched input"},
		{"enginePanic", Failed, "query failed: engine panic: boom"},
		{"engineHang", Failed, "query failed: no answer within 50ms"},
		{"unexpectedWarning", Failed, "warnings differ\nunexpected warning: Line 1:1: careful"},
	}
	if len(outs) != len(want) {
		t.Fatalf("got %d outcomes, want %d", len(outs), len(want))
	}
	for i, w := range want {
		o := outs[i]
		if o.Test.Name != w.name || o.Status != w.status || !strings.HasPrefix(o.Reason, w.reason) {
			t.Errorf("%s: got %s %s %q, want %s %q", w.name, o.Test.Name, o.Status, o.Reason, w.status, w.reason)
		}
	}
	if s := Summarize(outs).String(); s != "2 passed, 5 failed, 5 skipped" {
		t.Errorf("summary %q", s)
	}

	r.Filter = regexp.MustCompile("^pass$")
	outs, err = r.RunPaths([]string{filepath.Join(dir, "t.csv-spec")})
	if err != nil || len(outs) != 1 || outs[0].Status != Passed {
		t.Errorf("filtered run: %v %+v", err, outs)
	}

	var b strings.Builder
	if err := WriteMarkdown(&b, outs, "esqlspec x"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "**1 passed, 0 failed, 0 skipped** of 1 tests") {
		t.Errorf("markdown:\n%s", b.String())
	}
}

func TestRunPathsErrors(t *testing.T) {
	r := Runner{Exec: fakeEngine}
	if _, err := r.RunPaths([]string{"/no/such/dir"}); err == nil {
		t.Error("missing path: no error")
	}
	dir := writeSuite(t, "broken\nFROM people\n")
	_, err := r.RunPaths([]string{dir})
	if err == nil || !strings.Contains(err.Error(), "t.csv-spec:2:1: test [broken] (line 1): end of file before the query's closing ';'") {
		t.Errorf("broken spec: %v", err)
	}
}

func TestCatalog(t *testing.T) {
	dir := writeSuite(t, "")
	extra := map[string]string{
		"data/pets.csv":              "name:keyword,age:long\nrex,3\n",
		"mappings/mapping-pets.json": `{"properties":{"name":{"type":"keyword"},"age":{"type":"long"}}}`,
	}
	for name, body := range extra {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lib, err := LoadLibrary(dir)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		patterns []string
		docs     int
		ageType  doc.Type
		err      string
		missing  []string
	}{
		{[]string{"people"}, 2, doc.Integer, "", nil},
		{[]string{"p*"}, 3, doc.Unsupported, "", nil}, // integer vs long: conflicting
		{[]string{"p*", "-pets"}, 2, doc.Integer, "", nil},
		{[]string{"pets", "people"}, 3, doc.Unsupported, "", nil},
		{[]string{"people", "nope"}, 0, 0, "Unknown index [nope]", []string{"nope"}},
		{[]string{"x*"}, 0, 0, "Unknown index [x*]", nil},
	}
	for _, c := range cases {
		cat := lib.Catalog()
		m, err := cat.Resolve(c.patterns)
		if c.err != "" {
			if err == nil || err.Error() != c.err || !reflect.DeepEqual(cat.Missing(), c.missing) {
				t.Errorf("%v: got %v missing %v, want %s missing %v", c.patterns, err, cat.Missing(), c.err, c.missing)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", c.patterns, err)
			continue
		}
		n := 0
		for range cat.Docs() {
			n++
		}
		f, _ := m.Lookup("age")
		if n != c.docs || f == nil || f.Type != c.ageType {
			t.Errorf("%v: %d docs, age %+v; want %d docs, age %v", c.patterns, n, f, c.docs, c.ageType)
		}
	}
}
