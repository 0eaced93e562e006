// Command mappinggen generates Vigil's built-in Elasticsearch mappings
// (internal/doc/builtin/*.json) from the reference material in ../shared:
// the ECS field list (ecs/fields.csv) and Elastic Defend's process data
// stream field definitions (samples/endpoint_process_fields.yml). Run it with
// `go generate ./internal/doc`; the output is committed and embedded, so the
// product never needs ../shared at run time.
package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"vigil/internal/doc"
)

func main() {
	shared := flag.String("shared", "../../../shared", "path of the shared reference directory")
	out := flag.String("out", "builtin", "output directory")
	flag.Parse()
	if err := run(*shared, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mappinggen:", err)
		os.Exit(1)
	}
}

func run(shared, out string) error {
	csvData, err := os.ReadFile(filepath.Join(shared, "ecs", "fields.csv"))
	if err != nil {
		return err
	}
	ecs, err := ecsMapping(csvData)
	if err != nil {
		return err
	}
	ymlData, err := os.ReadFile(filepath.Join(shared, "samples", "endpoint_process_fields.yml"))
	if err != nil {
		return err
	}
	ep, err := endpointMapping(ymlData)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for name, m := range map[string]*doc.Mapping{"ecs": ecs, "logs-endpoint.events.process": ep} {
		b, err := render(m)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, name+".json"), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// render emits indented mapping JSON with a trailing newline.
func render(m *doc.Mapping) ([]byte, error) {
	raw, err := m.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// leafField builds a field the way the ECS index templates map it: keywords
// (and flattened) get ignore_above 1024, scaled_float a factor of 1000, and
// non-indexed fields neither index nor doc values.
func leafField(name, typ string, indexed bool) doc.Field {
	f := doc.Field{Name: name, ESType: typ, Type: doc.ESTypeOf(typ)}
	switch typ {
	case "keyword", "flattened":
		f.IgnoreAbove = 1024
	case "scaled_float":
		f.Scaling = 1000
	}
	if !indexed {
		f.NoIndex, f.NoDocValues = true, true
	}
	return f
}

func ecsMapping(data []byte) (*doc.Mapping, error) {
	r := csv.NewReader(bytes.NewReader(data))
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("ecs fields.csv: %v", err)
	}
	if len(recs) < 2 {
		return nil, fmt.Errorf("ecs fields.csv: no rows")
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, h := range []string{"Field", "Type", "Indexed"} {
		if _, ok := col[h]; !ok {
			return nil, fmt.Errorf("ecs fields.csv: missing column %s", h)
		}
	}
	types := map[string]string{}
	for _, rec := range recs[1:] {
		types[rec[col["Field"]]] = rec[col["Type"]]
	}
	m := doc.NewMapping()
	for _, rec := range recs[1:] {
		name, typ := rec[col["Field"]], rec[col["Type"]]
		switch typ {
		case "object", "group":
			m.AddObject(doc.Object{Name: name})
			continue
		case "nested":
			m.AddObject(doc.Object{Name: name, Nested: true})
			continue
		}
		f := leafField(name, typ, rec[col["Indexed"]] != "false")
		// A row whose parent is itself a leaf field is a multi-field (process.command_line.text).
		if i := strings.LastIndexByte(name, '.'); i > 0 {
			if pt, ok := types[name[:i]]; ok && pt != "object" && pt != "nested" && pt != "group" {
				f.Parent = name[:i]
			}
		}
		m.Add(f)
	}
	markNested(m)
	return m, nil
}

// markNested makes fields under nested objects Unsupported, as ParseMapping does.
func markNested(m *doc.Mapping) {
	for _, o := range m.Objects() {
		if !o.Nested {
			continue
		}
		for _, f := range m.Fields() {
			if strings.HasPrefix(f.Name, o.Name+".") && !f.Nested {
				cp := *f
				cp.Nested, cp.Type = true, doc.Unsupported
				m.Add(cp)
			}
		}
	}
}

// ymlField is one entry of a Fleet package fields.yml.
type ymlField struct {
	Name        string     `yaml:"name"`
	Type        string     `yaml:"type"`
	IgnoreAbove int        `yaml:"ignore_above"`
	Normalizer  string     `yaml:"normalizer"`
	Scaling     float64    `yaml:"scaling_factor"`
	Index       *bool      `yaml:"index"`
	DocValues   *bool      `yaml:"doc_values"`
	Enabled     *bool      `yaml:"enabled"`
	Value       string     `yaml:"value"`
	Path        string     `yaml:"path"`
	Fields      []ymlField `yaml:"fields"`
	MultiFields []ymlField `yaml:"multi_fields"`
}

func endpointMapping(data []byte) (*doc.Mapping, error) {
	var top []ymlField
	if err := yaml.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("endpoint fields.yml: %v", err)
	}
	m := doc.NewMapping()
	if err := addYml(m, top, ""); err != nil {
		return nil, err
	}
	markNested(m)
	return m, nil
}

func ymlLeaf(name string, y ymlField) doc.Field {
	f := doc.Field{Name: name, ESType: y.Type, Type: doc.ESTypeOf(y.Type),
		IgnoreAbove: y.IgnoreAbove, Normalizer: y.Normalizer, Scaling: y.Scaling, Path: y.Path}
	if y.Index != nil && !*y.Index {
		f.NoIndex = true
	}
	if y.DocValues != nil && !*y.DocValues {
		f.NoDocValues = true
	}
	if y.Type == "constant_keyword" && y.Value != "" {
		f.Constant = doc.KeywordOf(y.Value)
	}
	return f
}

func addYml(m *doc.Mapping, list []ymlField, prefix string) error {
	for _, y := range list {
		if y.Name == "" {
			return fmt.Errorf("endpoint fields.yml: a field under %q has no name", prefix)
		}
		name := prefix + y.Name
		switch y.Type {
		case "group":
			if err := addYml(m, y.Fields, name+"."); err != nil {
				return err
			}
			continue
		case "object", "nested", "":
			m.AddObject(doc.Object{Name: name, Nested: y.Type == "nested",
				Disabled: y.Enabled != nil && !*y.Enabled})
			if err := addYml(m, y.Fields, name+"."); err != nil {
				return err
			}
			continue
		}
		m.Add(ymlLeaf(name, y))
		for _, mf := range y.MultiFields {
			f := ymlLeaf(name+"."+mf.Name, mf)
			f.Parent = name
			m.Add(f)
		}
	}
	return nil
}
