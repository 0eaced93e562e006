// Package spec runs Elasticsearch's EQL conformance suite (the
// test_queries.toml format of x-pack/plugin/eql/qa/common, read by
// EqlSpecLoader) against internal/eql, over the Endgame data set loaded as
// Elasticsearch's DataLoader loads index endgame-140. It is used by
// cmd/eqlspec and by the package's TestConformance; the suite itself is
// data under ../shared and is never copied into the project.
package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"vigil/internal/doc"
	"vigil/internal/eql"
)

// Test is one [[queries]] entry.
type Test struct {
	Name     string
	Query    string
	Expected [][]int64 // acceptable answers (one unless the test lists alternatives)
}

// Suite is the loaded data set, its mapping and the tests.
type Suite struct {
	Mapping *doc.Mapping
	Docs    []*doc.Document
	Tests   []Test
}

// Outcome is the result of one test.
type Outcome struct {
	Test
	Got     []int64
	Err     error
	Skipped string // reason, when not run
}

// Passed reports whether the answer is one of the expected ones.
func (o Outcome) Passed() bool {
	if o.Err != nil || o.Skipped != "" {
		return false
	}
	for _, e := range o.Expected {
		if slices.Equal(e, o.Got) {
			return true
		}
	}
	return false
}

// Load reads dir (../shared/conformance/eql): the mapping, the data and the
// main suite.
func Load(dir string) (*Suite, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "data", "endgame-140.mapping"))
	if err != nil {
		return nil, err
	}
	// DataLoader drops comment lines and replaces the random keyword type;
	// results must not depend on the choice, so keyword it is.
	var lines []string
	for _, l := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			lines = append(lines, l)
		}
	}
	mjson := strings.ReplaceAll(strings.Join(lines, "\n"), "[runtime_random_keyword_type]", "keyword")
	m, err := doc.ParseMapping([]byte(mjson))
	if err != nil {
		return nil, fmt.Errorf("endgame-140.mapping: %w", err)
	}
	docs, mapping, err := loadData(filepath.Join(dir, "test_data.json"), m)
	if err != nil {
		return nil, err
	}
	tests, err := loadTests(filepath.Join(dir, "test_queries.toml"))
	if err != nil {
		return nil, err
	}
	return &Suite{Mapping: mapping, Docs: docs, Tests: tests}, nil
}

// loadData indexes the events as DataLoader does for endgame-140:
// @timestamp (epoch millis) derived from the FILETIME `timestamp`,
// unmapped fields mapped dynamically. Vigil's date type refuses the raw
// FILETIME values Elasticsearch stores in the date field `timestamp`, which no
// test reads, so malformed values are dropped rather than the event.
func loadData(path string, m *doc.Mapping) ([]*doc.Document, *doc.Mapping, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var events []map[string]any
	if err := dec.Decode(&events); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	d := doc.NewDecoder(m, doc.DecodeOptions{Dynamic: true, IgnoreMalformed: true})
	var docs []*doc.Document
	for i, e := range events {
		if ts, ok := e["timestamp"].(json.Number); ok {
			if ft, err := ts.Int64(); err == nil {
				e["@timestamp"] = ft/10000 - 11644473600000
			}
		}
		line, _ := json.Marshal(e)
		dd, err := d.Decode(line)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: event %d: %w", path, i+1, err)
		}
		docs = append(docs, dd)
	}
	full := m.Clone()
	full.Merge(d.Dynamic())
	return docs, full, nil
}

func loadTests(path string) ([]Test, error) {
	var f struct {
		Queries []struct {
			Name     string `toml:"name"`
			Query    string `toml:"query"`
			Expected []any  `toml:"expected_event_ids"`
		} `toml:"queries"`
	}
	if _, err := toml.DecodeFile(path, &f); err != nil {
		return nil, err
	}
	var tests []Test
	for _, q := range f.Queries {
		t := Test{Name: q.Name, Query: strings.TrimSpace(q.Query)}
		flat := []int64{}
		for _, e := range q.Expected {
			switch e := e.(type) {
			case int64:
				flat = append(flat, e)
			case []any:
				alt := []int64{}
				for _, x := range e {
					if n, ok := x.(int64); ok {
						alt = append(alt, n)
					}
				}
				t.Expected = append(t.Expected, alt)
			}
		}
		if len(t.Expected) == 0 {
			t.Expected = [][]int64{flat}
		}
		tests = append(tests, t)
	}
	return tests, nil
}

// Run runs every test with the request of EqlSpecTestCase: category
// event.category, timestamp @timestamp, tiebreaker serial_event_id, size 50.
func (s *Suite) Run() []Outcome {
	out := make([]Outcome, 0, len(s.Tests))
	for _, t := range s.Tests {
		out = append(out, s.run(t))
	}
	return out
}

func (s *Suite) run(t Test) Outcome {
	o := Outcome{Test: t, Got: []int64{}}
	q, err := eql.Compile(t.Query, s.Mapping, eql.Options{Size: 50, TiebreakerField: "serial_event_id"})
	if err != nil {
		o.Err = err
		return o
	}
	r := q.Search(s.Docs)
	id := func(d *doc.Document) int64 { return d.Get("serial_event_id").I }
	for _, d := range r.Events {
		o.Got = append(o.Got, id(d))
	}
	for _, sq := range r.Sequences {
		for _, d := range sq.Events {
			o.Got = append(o.Got, id(d))
		}
	}
	return o
}
