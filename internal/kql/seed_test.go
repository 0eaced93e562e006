package kql

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/doc"
)

const seedClause = `event.action:"exec" and process.args:("-c" or "-cl" or "-lc")`

func seedMapping() *doc.Mapping {
	m := doc.NewMapping()
	m.Add(doc.Field{Name: "event.action", Type: doc.Keyword, ESType: "keyword"})
	m.Add(doc.Field{Name: "process.args", Type: doc.Keyword, ESType: "keyword"})
	return m
}

// TestSeedClause checks the seed rule's KQL filter over every combination of
// interesting values: it must select exactly the documents where some
// event.action equals exec and some process.args equals -c, -cl or -lc,
// ignoring case (Elasticsearch dialect).
func TestSeedClause(t *testing.T) {
	actions := [][]string{nil, {"exec"}, {"EXEC"}, {"Exec"}, {"fork"}, {"exec2"}, {"fork", "exec"}, {"end", "start"}}
	args := [][]string{nil, {"-c"}, {"-C"}, {"-cl"}, {"-CL"}, {"-lc"}, {"-Lc"}, {"-x"}, {"python", "-c", "x"},
		{"python3", "-lcx"}, {"-c -l"}, {"c"}, {"bash", "-lc"}}
	n, err := Parse(seedClause, Elasticsearch)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*doc.Mapping{seedMapping(), nil} {
		mt, err := Compile(n, m, Options{Dialect: Elasticsearch})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range actions {
			for _, g := range args {
				d := &doc.Document{Fields: map[string]doc.Value{}}
				if a != nil {
					d.Fields["event.action"] = kw(a...)
				}
				if g != nil {
					d.Fields["process.args"] = kw(g...)
				}
				want := anyFold(a, "exec") && (anyFold(g, "-c") || anyFold(g, "-cl") || anyFold(g, "-lc"))
				if got := mt.Match(d); got != want {
					t.Errorf("mapping=%v action=%v args=%v: got %v, want %v", m != nil, a, g, got, want)
				}
			}
		}
	}
}

func anyFold(vs []string, w string) bool {
	for _, v := range vs {
		if strings.EqualFold(v, w) {
			return true
		}
	}
	return false
}

func BenchmarkMatch(b *testing.B) {
	n, err := Parse(seedClause, Elasticsearch)
	if err != nil {
		b.Fatal(err)
	}
	mt, err := Compile(n, seedMapping(), Options{Dialect: Elasticsearch})
	if err != nil {
		b.Fatal(err)
	}
	docs := make([]*doc.Document, 16)
	for i := range docs {
		action := "exec"
		if i%4 == 0 {
			action = "fork"
		}
		docs[i] = &doc.Document{Fields: map[string]doc.Value{
			"event.action":  kw(action),
			"process.args":  kw("/usr/bin/python3", fmt.Sprint("-", []string{"c", "m", "lc", "u"}[i%4]), "import os; os.system('id')"),
			"process.name":  kw("python3"),
			"host.hostname": kw("web-01"),
		}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		if mt.Match(docs[i&15]) {
			hits++
		}
	}
	_ = hits
}

// flatten turns a JSON object into dotted keyword/number/boolean fields
// (a stand-in for the doc decoder, which this package does not depend on).
func flatten(prefix string, v any, out map[string]doc.Value) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			name := k
			if prefix != "" {
				name = prefix + "." + k
			}
			flatten(name, e, out)
		}
	case []any:
		var vs []doc.Value
		for _, e := range x {
			tmp := map[string]doc.Value{}
			flatten(prefix, e, tmp)
			if s, ok := tmp[prefix]; ok {
				vs = append(vs, s)
			}
		}
		if len(vs) > 0 {
			out[prefix] = doc.Multi(vs[0].T, vs)
		}
	case string:
		out[prefix] = doc.KeywordOf(x)
	case float64:
		out[prefix] = doc.Float(x)
	case bool:
		out[prefix] = doc.Bool(x)
	}
}

// TestSeedOnSampleEvent runs the seed clause on Elastic Defend's real Linux
// exec event (`ls --color=auto -la`: no match) and on the same event with
// python's `-c` arguments (match).
func TestSeedOnSampleEvent(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "samples", "ecs_rfc0030_real_world_linux_exec_event.json"))
	if err != nil {
		t.Skipf("sample not available: %v", err)
	}
	var hit struct {
		Source map[string]any `json:"_source"`
	}
	if err := json.Unmarshal(b, &hit); err != nil {
		t.Fatal(err)
	}
	d := &doc.Document{Fields: map[string]doc.Value{}}
	flatten("", hit.Source, d.Fields)
	n, _ := Parse(seedClause, Elasticsearch)
	mt, err := Compile(n, seedMapping(), Options{Dialect: Elasticsearch})
	if err != nil {
		t.Fatal(err)
	}
	if mt.Match(d) {
		t.Errorf("seed clause matched `ls --color=auto -la`")
	}
	d.Fields["process.args"] = kw("python3", "-C", "import pty; pty.spawn('/bin/sh')")
	if !mt.Match(d) {
		t.Errorf("seed clause missed python3 -C")
	}
}
