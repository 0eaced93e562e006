package exception

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

const sampleExport = "../../../shared/samples/kibana/custom-consolidated-rules.ndjson"

// TestParseKibanaExport loads the real export: its two lists and two
// items, rules and connectors ignored, nothing reported.
func TestParseKibanaExport(t *testing.T) {
	data, err := os.ReadFile(sampleExport)
	if err != nil {
		t.Skip("shared samples not present:", err)
	}
	s := NewSet()
	if probs := s.ParseNDJSON(data, "export.ndjson"); len(probs) != 0 {
		t.Fatalf("problems: %v", probs)
	}
	if len(s.Lists) != 2 || s.Len() != 2 {
		t.Fatalf("%d lists, %d items; want 2, 2", len(s.Lists), s.Len())
	}
	l := s.Lists["0a4124f8-2074-450b-8689-d7dee319c666"]
	if l == nil || l.Type != "rule_default" || l.NamespaceType != "single" {
		t.Fatalf("rule_default list: %+v", l)
	}
	it := s.Items["0a4124f8-2074-450b-8689-d7dee319c666"][0]
	if it.Entries[0].Field != " host.name" || it.Entries[0].Value[0] != "liv-win-ser" || it.Line != 13 {
		t.Fatalf("item kept as exported (leading space) with its line: %+v", it)
	}
	items, errs := s.Resolve([]Ref{{ListID: "1c8a1378-8f0d-4565-9ae0-abeeaf3981ca", Type: "detection"}, {ListID: "endpoint_list", Type: "endpoint"}})
	if len(items) != 1 || items[0].Entries[0].Value[0] != "test-host" || len(errs) != 1 || !strings.Contains(errs[0].Error(), "endpoint_list") {
		t.Fatalf("resolve: %v %v", items, errs)
	}
}

// TestParseBadLines: every bad line is reported with its line number and
// skipped; the good ones load.
func TestParseBadLines(t *testing.T) {
	in := strings.Join([]string{
		`{"list_id":"l","type":"detection","namespace_type":"single","extra":{"x":1}}`,
		`{"item_id":"ok","list_id":"l","type":"simple","entries":[{"type":"match","field":"host.name","value":"a","operator":"included"}],"unknown":true}`,
		`{"item_id":"noentries","list_id":"l","type":"simple","entries":[]}`,
		`{"item_id":"badop","list_id":"l","type":"simple","entries":[{"type":"match","field":"f","value":"a","operator":"is"}]}`,
		`{"item_id":"badtype","list_id":"l","type":"simple","entries":[{"type":"regex","field":"f","value":"a","operator":"included"}]}`,
		`{"item_id":"nestednest","list_id":"l","type":"simple","entries":[{"type":"nested","field":"n","entries":[{"type":"nested","field":"m","entries":[]}]}]}`,
		`{"item_id":"os","list_id":"l","type":"simple","os_types":["beos"],"entries":[{"type":"exists","field":"f","operator":"included"}]}`,
		`{"item_id":"cut","list_id":"l"`,
		``,
		`{"item_id":"any","list_id":"l","type":"simple","expire_time":"2030-01-01T00:00:00.000Z","entries":[{"type":"match_any","field":"f","value":["a","b"],"operator":"excluded"}]}`,
		`[1,2]`,
	}, "\n")
	s := NewSet()
	probs := s.ParseNDJSON([]byte(in), "x.ndjson")
	var lines []int
	for _, p := range probs {
		lines = append(lines, p.Line)
		if !strings.HasPrefix(p.Error(), "x.ndjson:") {
			t.Errorf("problem without file:line: %v", p)
		}
	}
	want := []int{3, 4, 5, 6, 7, 8, 11}
	if len(lines) != len(want) {
		t.Fatalf("problems at lines %v, want %v: %v", lines, want, probs)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Fatalf("problems at lines %v, want %v", lines, want)
		}
	}
	if s.Len() != 2 || s.Items["l"][1].ExpireTime == nil || len(s.Items["l"][1].Entries[0].Value) != 2 {
		t.Fatalf("good items: %+v", s.Items["l"])
	}
}

// TestLoadFolder: an exceptions/ folder of ndjson files and .txt value lists.
func TestLoadFolder(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.ndjson"), []byte(`{"item_id":"i","list_id":"l","type":"simple","entries":[{"type":"list","field":"host.name","operator":"included","list":{"id":"hosts","type":"keyword"}}]}`+"\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "lists"), 0o755)
	os.WriteFile(filepath.Join(dir, "lists", "hosts.txt"), []byte("web-1\n\n db-1 \n"), 0o644)
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("ignored"), 0o644)
	s, probs, err := Load(dir)
	if err != nil || len(probs) != 0 {
		t.Fatal(err, probs)
	}
	if got := s.ValueLists["hosts"]; len(got) != 2 || got[1] != "db-1" {
		t.Fatalf("value list %q", got)
	}
	if _, err := Compile(s.Items["l"], nil, s.ValueLists); err != nil {
		t.Fatal(err)
	}
	if _, err := Compile(s.Items["l"], nil, nil); err == nil || !strings.Contains(err.Error(), "hosts.txt") {
		t.Fatalf("missing value list: %v", err)
	}
}

// FuzzParseNDJSON: any input parses without panicking, every line is
// loaded, ignored or reported once, and what loads validates and compiles.
func FuzzParseNDJSON(f *testing.F) {
	if data, err := os.ReadFile(sampleExport); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"item_id":"i","list_id":"l","type":"simple","os_types":["linux"],"entries":[{"type":"nested","field":"n","entries":[{"type":"match_any","field":"m","value":["a"],"operator":"included"}]},{"type":"wildcard","field":"f","value":"a\\","operator":"excluded"}]}`))
	f.Add([]byte("{\"list_id\":\"l\"}\n\n[]\n{\"entries\":null}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewSet()
		probs := s.ParseNDJSON(data, "f")
		if len(probs) > strings.Count(string(data), "\n")+1 {
			t.Fatalf("%d problems for %d lines", len(probs), strings.Count(string(data), "\n")+1)
		}
		for _, its := range s.Items {
			for _, it := range its {
				if err := it.Validate(); err != nil {
					t.Fatalf("loaded an invalid item: %v", err)
				}
				Compile([]*Item{it}, nil, s.ValueLists) // may fail (bad pattern), must not panic
			}
		}
	})
}

// The prebuilt Endpoint Security rule's [[rule.exceptions_list]] reads as
// the reference Kibana resolves.
func TestEndpointRuleReference(t *testing.T) {
	var f struct {
		Rule struct {
			ExceptionsList []map[string]any `toml:"exceptions_list"`
		}
	}
	if _, err := toml.DecodeFile("../../../shared/samples/kibana/rules__integrations__endpoint__elastic_endpoint_security.toml", &f); err != nil {
		t.Skip("shared samples not present:", err)
	}
	refs := RefsOf(f.Rule.ExceptionsList)
	if len(refs) != 1 || refs[0] != (Ref{ID: "endpoint_list", ListID: "endpoint_list", NamespaceType: "agnostic", Type: "endpoint"}) {
		t.Errorf("refs %+v", refs)
	}
}

func TestKindOf(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{`{"rule_id":"r","list_id":"l","type":"query"}`, KindRule},
		{`{"exported_count":3}`, KindSummary},
		{`{"type":"action","id":"a"}`, KindAction},
		{`{"list_id":"l","item_id":"i","entries":[]}`, KindItem},
		{`{"list_id":"l","type":"simple"}`, KindItem},
		{`{"list_id":"l","type":"detection"}`, KindList},
		{`{"other":1}`, ""},
		{`nope`, "error"},
	} {
		got, err := KindOf([]byte(tc.line))
		if err != nil {
			got = "error"
		}
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.line, got, tc.want)
		}
	}
}
