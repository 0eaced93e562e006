package doc

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseMappingShapes(t *testing.T) {
	props := `{"properties":{"a":{"type":"keyword"}}}`
	for _, in := range []string{
		props,
		`{"mappings":` + props + `}`,
		`{"idx":{"mappings":` + props + `}}`,
		`{"idx":{"mappings":{"_doc":` + props + `}}}`,
	} {
		m, err := ParseMapping([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if f, ok := m.Lookup("a"); !ok || f.Type != Keyword {
			t.Fatalf("%s: a = %+v", in, f)
		}
	}
}

func TestParseMappingTypes(t *testing.T) {
	m := mustMapping(t, testMapping)
	cases := []struct {
		name   string
		typ    Type
		es     string
		parent string
	}{
		{"@timestamp", Date, "date", ""},
		{"ts_nanos", DateNanos, "date_nanos", ""},
		{"process.name", Keyword, "keyword", ""},
		{"process.name.caseless", Keyword, "keyword", "process.name"},
		{"process.command_line", Keyword, "wildcard", ""},
		{"process.command_line.text", Text, "match_only_text", "process.command_line"},
		{"n_short", Integer, "short", ""},
		{"n_float", Double, "float", ""},
		{"n_scaled", Double, "scaled_float", ""},
		{"n_ulong", UnsignedLong, "unsigned_long", ""},
		{"addr", IP, "ip", ""},
		{"ver", Version, "version", ""},
		{"loc", GeoPoint, "geo_point", ""},
		{"blob", Unsupported, "flattened", ""},
		{"host_alias", Keyword, "alias", ""},
		{"nest.x", Unsupported, "keyword", ""},
		{"ds.type", Keyword, "constant_keyword", ""},
	}
	for _, c := range cases {
		f, ok := m.Lookup(c.name)
		if !ok {
			t.Errorf("%s missing", c.name)
			continue
		}
		if f.Type != c.typ || f.ESType != c.es || f.Parent != c.parent {
			t.Errorf("%s = %+v, want %v/%s/%q", c.name, f, c.typ, c.es, c.parent)
		}
	}
	if _, ok := m.Lookup("process"); ok {
		t.Error("object process must not be a field")
	}
	if o, ok := m.LookupObject("off"); !ok || !o.Disabled {
		t.Errorf("off: %+v", o)
	}
	if m.AliasTarget("host_alias") != "process.name" || m.AliasTarget("x") != "x" {
		t.Error("AliasTarget")
	}
	if v, ok := m.ConstantValue("ds.type"); !ok || v.S != "logs" {
		t.Errorf("ConstantValue = %v", v)
	}
	if f, _ := m.Lookup("short_kw"); f.IgnoreAbove != 5 {
		t.Errorf("ignore_above = %d", f.IgnoreAbove)
	}
	if f, _ := m.Lookup("n_scaled"); f.Scaling != 100 {
		t.Errorf("scaling = %v", f.Scaling)
	}
}

func TestParseMappingErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"properties":{"a":{"type":"keyword"}`, "mapping 1:"},
		{"{\n \"properties\": [1]}", "must be an object"},
		{`[]`, "expected a JSON object"},
		{`{"properties":{"a":{"type":"alias","path":"nope"}}}`, "existing field"},
		{`{"properties":{"a":{"type":"alias"}}}`, "needs a [path]"},
		{`{"properties":{"a":{"type":"scaled_float"}}}`, "scaling_factor"},
		{`{"properties":{"a":{"type":"keyword"}}} {}`, "trailing"},
		{"{\n\"properties\":{\"a\":{\"type\":\"keyword\"},}}", "mapping 2:"},
	}
	for _, c := range cases {
		_, err := ParseMapping([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.in, err, c.want)
		}
	}
}

func TestMappingMergeAndMarshal(t *testing.T) {
	a := mustMapping(t, `{"properties":{"x":{"type":"keyword"},"y":{"type":"long"},"w":{"type":"wildcard"}}}`)
	b := mustMapping(t, `{"properties":{"x":{"type":"long"},"z":{"type":"ip"},"w":{"type":"keyword"}}}`)
	a.Merge(b)
	if f, _ := a.Lookup("x"); f.Type != Unsupported {
		t.Errorf("conflict x: %+v", f)
	}
	if f, _ := a.Lookup("w"); f.Type != Keyword {
		t.Errorf("wildcard+keyword: %+v", f)
	}
	if _, ok := a.Lookup("z"); !ok {
		t.Error("z missing after merge")
	}
	// Round trip: marshal then parse gives the same fields.
	m := mustMapping(t, testMapping)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseMapping(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !reflect.DeepEqual(fieldsOf(m), fieldsOf(back)) || !reflect.DeepEqual(m.Objects(), back.Objects()) {
		t.Errorf("round trip differs:\n%s", out)
	}
}

func fieldsOf(m *Mapping) []Field {
	var out []Field
	for _, f := range m.Fields() {
		out = append(out, *f)
	}
	return out
}

func TestConformanceMappings(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/conformance/esql/mappings/*.json")
	if len(files) == 0 {
		t.Skip("shared conformance mappings absent")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ParseMapping(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if m.Len() == 0 {
			t.Errorf("%s: no fields", f)
		}
		if strings.HasSuffix(f, "mapping-employees.json") {
			for name, want := range map[string]Type{"languages.long": Long, "languages.byte": Integer,
				"height.scaled_float": Double, "salary_change.keyword": Keyword, "emp_no": Integer} {
				if fl, ok := m.Lookup(name); !ok || fl.Type != want {
					t.Errorf("employees %s = %+v, want %v", name, fl, want)
				}
			}
			if fl, _ := m.Lookup("languages.long"); fl.Parent != "languages" {
				t.Errorf("languages.long parent %q", fl.Parent)
			}
		}
	}
}

func TestBuiltinMappings(t *testing.T) {
	names := BuiltinMappingNames()
	for _, want := range []string{"ecs", "logs-endpoint.events.process", "logs-aws.cloudtrail", "logs-azure.signinlogs"} {
		if !slices.Contains(names, want) {
			t.Fatalf("names = %v, want %s among them", names, want)
		}
	}
	ecs, ok := BuiltinMapping("ecs")
	if !ok {
		t.Fatal("ecs missing")
	}
	for name, want := range map[string][2]string{
		"process.command_line":      {"keyword", "wildcard"},
		"process.command_line.text": {"text", "match_only_text"},
		"host.ip":                   {"ip", "ip"},
		"@timestamp":                {"datetime", "date"},
		"event.original":            {"keyword", "keyword"},
	} {
		f, ok := ecs.Lookup(name)
		if !ok || f.Type.String() != want[0] || f.ESType != want[1] {
			t.Errorf("ecs %s = %+v", name, f)
		}
	}
	if f, _ := ecs.Lookup("process.name"); f.IgnoreAbove != 1024 {
		t.Errorf("ecs keyword ignore_above = %d", f.IgnoreAbove)
	}
	ep, _ := BuiltinMapping("logs-endpoint.events.process")
	if f, ok := ep.Lookup("process.command_line.caseless"); !ok || f.Normalizer != "lowercase" || f.Parent != "process.command_line" {
		t.Errorf("endpoint caseless = %+v", f)
	}
	// The copy is the caller's: changing it leaves the built-in alone.
	ep.Add(Field{Name: "zzz", Type: Long})
	if again, _ := BuiltinMapping("logs-endpoint.events.process"); again.Len() == ep.Len() {
		t.Error("BuiltinMapping returned a shared mapping")
	}
	if _, ok := BuiltinMapping("nope"); ok {
		t.Error("unknown name found")
	}
}

// TestBuiltinUpToDate regenerates the built-in mappings and compares them
// with the committed files.
func TestBuiltinUpToDate(t *testing.T) {
	if _, err := os.Stat("../../../shared/ecs/fields.csv"); err != nil {
		t.Skip("shared material absent")
	}
	if testing.Short() {
		t.Skip("builds the generator")
	}
	dir := t.TempDir()
	cmd := exec.Command("go", "run", "./mappinggen", "-out", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mappinggen: %v\n%s", err, out)
	}
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	committed, _ := filepath.Glob("builtin/*")
	if len(names) != len(committed) {
		t.Errorf("generator writes %d files, builtin/ holds %d: run go generate ./internal/doc", len(names), len(committed))
	}
	for _, name := range names {
		name = filepath.Base(name)
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("builtin", name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("builtin/%s is stale: run go generate ./internal/doc", name)
		}
	}
}

// FuzzParseMapping: whatever parses marshals to a mapping that parses again.
func FuzzParseMapping(f *testing.F) {
	f.Add([]byte(testMapping))
	f.Add([]byte(`{"idx":{"mappings":{"properties":{"a":{"type":"alias","path":"b"},"b":{"type":"long"}}}}}`))
	f.Add([]byte(`{"properties":{"a":{"properties":{"b":{"type":"keyword","fields":{"t":{"type":"text"}}}}}}}`))
	f.Add([]byte(`{"_meta":{"vigil_dynamic_objects":["a"]},"date_detection":false,"dynamic_templates":[{"t":{"path_match":["a.*"],"match_mapping_type":"string","mapping":{"type":"wildcard","fields":{"text":{"type":"match_only_text"}}}}},{"n":{"match":"c","mapping":{"type":"{dynamic_type}"}}}],"properties":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMapping(data)
		if err != nil {
			return
		}
		// Whatever parses must marshal to a mapping that parses again.
		out, err := m.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseMapping(out); err != nil {
			t.Fatalf("re-parse: %v\n%s", err, out)
		}
		NewDecoder(m, DecodeOptions{Dynamic: true}).Decode([]byte(`{"a":{"b":"x"},"c":[1,2]}`))
	})
}
