package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"net"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// kibanaField is one line of testdata/kibana-alert-fields.tsv.
type kibanaField struct {
	Type   string
	Always bool // Kibana writes it on every ES|QL rule alert
}

func loadKibanaFields(t *testing.T) map[string]kibanaField {
	t.Helper()
	f, err := os.Open("testdata/kibana-alert-fields.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]kibanaField{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 5 {
			t.Fatalf("kibana-alert-fields.tsv: %q: want 5 columns", line)
		}
		out[cols[0]] = kibanaField{Type: cols[1], Always: cols[3] == "yes"}
	}
	if len(out) < 100 {
		t.Fatalf("kibana-alert-fields.tsv: only %d fields", len(out))
	}
	return out
}

// loadECS reads ECS field types from ../shared (nil when it is absent):
// an alert's source fields must keep their ECS types, as Kibana strips
// those that do not (traverse_and_mutate_doc.ts).
func loadECS(t *testing.T) map[string]string {
	f, err := os.Open("../../../shared/ecs/fields.csv")
	if err != nil {
		t.Log("no ../shared/ecs/fields.csv: source fields are not checked against ECS")
		return nil
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range recs[1:] {
		out[r[3]] = r[4]
	}
	return out
}

// compatible reports whether a JSON value can be indexed into a field of
// an Elasticsearch type (arrays: every element).
func compatible(typ string, v any) bool {
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			if !compatible(typ, e) {
				return false
			}
		}
		return true
	}
	switch typ {
	case "keyword", "version", "wildcard", "constant_keyword", "match_only_text", "text":
		switch v.(type) {
		case string, json.Number, bool:
			return true
		}
	case "long", "integer", "short", "byte", "float", "double", "half_float", "scaled_float", "unsigned_long":
		_, ok := v.(json.Number)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "date":
		switch x := v.(type) {
		case json.Number:
			return true
		case string:
			_, err := time.Parse(time.RFC3339Nano, x)
			return err == nil
		}
	case "ip":
		s, ok := v.(string)
		return ok && net.ParseIP(s) != nil
	case "object", "nested", "flattened", "date_range":
		_, ok := v.(map[string]any)
		return ok
	case "geo_point":
		return true
	}
	return false
}

// checkKibanaFields lists how an alert document departs from Kibana's
// field list: metadata as fields, kibana.* fields Kibana does not have or
// of an incompatible type, source fields against their ECS type, and
// fields Kibana always writes that are missing.
func checkKibanaFields(doc map[string]any, list map[string]kibanaField, ecs map[string]string) []string {
	var problems []string
	for _, meta := range []string{"_id", "_index", "_version"} {
		if _, ok := doc[meta]; ok {
			problems = append(problems, meta+" is a field of the alert")
		}
	}
	hasChildren := func(name string) bool {
		for k := range list {
			if strings.HasPrefix(k, name+".") {
				return true
			}
		}
		return false
	}
	var check func(name string, v any)
	check = func(name string, v any) {
		kf, ok := list[name]
		if !ok && hasChildren(name) {
			kf, ok = kibanaField{Type: "object"}, true // an object its leaves imply, as in a mapping
		}
		if !ok {
			if strings.HasPrefix(name, "kibana.") {
				problems = append(problems, name+" is not a Kibana alert field")
			} else if typ, ok := ecs[name]; ok && !compatible(typ, v) {
				problems = append(problems, name+" is not an ECS "+typ)
			}
			return
		}
		if !compatible(kf.Type, v) {
			b, _ := json.Marshal(v)
			problems = append(problems, name+" is not a "+kf.Type+": "+string(b))
			return
		}
		if kf.Type == "object" && hasChildren(name) {
			for _, e := range objects(v) {
				for k, sub := range e {
					check(name+"."+k, sub)
				}
			}
		}
	}
	for name, v := range doc {
		check(name, v)
	}
	for name, kf := range list {
		if kf.Always && !present(doc, name) {
			problems = append(problems, name+" is missing (Kibana always writes it)")
		}
	}
	sort.Strings(problems)
	return problems
}

func objects(v any) []map[string]any {
	if m, ok := v.(map[string]any); ok {
		return []map[string]any{m}
	}
	var out []map[string]any
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

// present reports whether a dotted field is in doc: a key, or a key
// holding objects (every one of them) with the rest of the path.
func present(doc map[string]any, name string) bool {
	if _, ok := doc[name]; ok {
		return true
	}
	for i := len(name) - 1; i > 0; i-- {
		if name[i] != '.' {
			continue
		}
		if v, ok := doc[name[:i]]; ok {
			objs := objects(v)
			if len(objs) == 0 {
				return false
			}
			for _, o := range objs {
				if !present(o, name[i+1:]) {
					return false
				}
			}
			return true
		}
	}
	return false
}

func decodeAlerts(t *testing.T, out string) []map[string]any {
	t.Helper()
	var docs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		dec := json.NewDecoder(strings.NewReader(l))
		dec.UseNumber()
		var d map[string]any
		if err := dec.Decode(&d); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	return docs
}

// Golden alert documents for an aggregating ES|QL rule, a non-aggregating
// one (merged with its source document) and the seed rule, each checked
// field by field against Kibana's alert field list. go test ./cmd/vigil
// -update rewrites the goldens.
func TestAlertGoldensMatchKibanaFields(t *testing.T) {
	list, ecs := loadKibanaFields(t), loadECS(t)
	cases := []struct {
		golden string
		args   []string
		alerts int
	}{
		{"alerts-nonagg.ndjson", []string{"--rules", "testdata/alerts-nonagg.toml", "testdata/alerts-input.ndjson"}, 3},
		{"alerts-agg.ndjson", []string{"--rules", "testdata/alerts-agg.toml", "testdata/alerts-input.ndjson"}, 2},
		{"hunt-sample.ndjson", []string{sampleData}, 4},
		{"alerts-query.ndjson", []string{"--rules", "testdata/alerts-query.toml", "testdata/alerts-input.ndjson"}, 3},
		{"alerts-threshold.ndjson", []string{"--rules", "testdata/alerts-threshold.toml", "testdata/alerts-input.ndjson"}, 2},
		{"alerts-newterms.ndjson", []string{"--rules", "testdata/alerts-newterms.toml", "testdata/alerts-input.ndjson"}, 1},
		// alerts-query's three alerts share user.name: one alert, two suppressed.
		{"alerts-suppressed.ndjson", []string{"--rules", "testdata/alerts-suppressed.toml", "testdata/alerts-input.ndjson"}, 1},
	}
	for _, c := range cases {
		out, stderr, code := run(t, "", append([]string{"hunt", "--now", "2026-11-20T11:00:00Z"}, c.args...)...)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", c.golden, code, stderr)
		}
		golden(t, c.golden, out)
		docs := decodeAlerts(t, out)
		if len(docs) != c.alerts {
			t.Errorf("%s: %d alerts, want %d", c.golden, len(docs), c.alerts)
		}
		for i, d := range docs {
			for _, p := range checkKibanaFields(d, list, ecs) {
				t.Errorf("%s alert %d: %s", c.golden, i+1, p)
			}
		}
	}
}

// The checker itself: each departure from Kibana's list is caught.
func TestCheckKibanaFieldsCatches(t *testing.T) {
	list := map[string]kibanaField{
		"@timestamp":                   {Type: "date", Always: true},
		"kibana.alert.depth":           {Type: "long", Always: true},
		"kibana.alert.ancestors":       {Type: "object", Always: true},
		"kibana.alert.ancestors.id":    {Type: "keyword", Always: true},
		"kibana.alert.ancestors.depth": {Type: "long"},
		"kibana.alert.rule.immutable":  {Type: "boolean"},
	}
	ecs := map[string]string{"process.pid": "long"}
	good := func() map[string]any {
		return map[string]any{"@timestamp": "2026-11-20T11:00:00.000Z", "kibana.alert.depth": json.Number("1"),
			"kibana.alert.ancestors": []any{map[string]any{"id": "a", "depth": json.Number("0")}}, "process.pid": json.Number("7"), "Esql.x": "y"}
	}
	if p := checkKibanaFields(good(), list, ecs); len(p) != 0 {
		t.Fatalf("a conforming alert: %v", p)
	}
	cases := []struct {
		name   string
		change func(map[string]any)
		want   string
	}{
		{"metadata field", func(d map[string]any) { d["_id"] = "x" }, "_id is a field of the alert"},
		{"unknown kibana field", func(d map[string]any) { d["kibana.alert.rule.execution.range.gte"] = "x" }, "kibana.alert.rule.execution.range.gte is not a Kibana alert field"},
		{"wrong type", func(d map[string]any) { d["kibana.alert.rule.immutable"] = "true" }, `kibana.alert.rule.immutable is not a boolean: "true"`},
		{"bad date", func(d map[string]any) { d["@timestamp"] = "yesterday" }, `@timestamp is not a date: "yesterday"`},
		{"missing", func(d map[string]any) { delete(d, "kibana.alert.depth") }, "kibana.alert.depth is missing (Kibana always writes it)"},
		{"missing sub-field", func(d map[string]any) { d["kibana.alert.ancestors"] = []any{map[string]any{"depth": json.Number("0")}} }, "kibana.alert.ancestors.id is missing (Kibana always writes it)"},
		{"wrong sub-field type", func(d map[string]any) {
			d["kibana.alert.ancestors"] = []any{map[string]any{"id": "a", "depth": "zero"}}
		}, `kibana.alert.ancestors.depth is not a long: "zero"`},
		{"unknown sub-field", func(d map[string]any) {
			d["kibana.alert.ancestors"] = []any{map[string]any{"id": "a", "x": "y"}}
		}, "kibana.alert.ancestors.x is not a Kibana alert field"},
		{"ECS type", func(d map[string]any) { d["process.pid"] = "seven" }, "process.pid is not an ECS long"},
		{"implied object", func(d map[string]any) { d["kibana.alert"] = "flat" }, `kibana.alert is not a object: "flat"`},
	}
	for _, c := range cases {
		d := good()
		c.change(d)
		if p := checkKibanaFields(d, list, ecs); len(p) != 1 || p[0] != c.want {
			t.Errorf("%s: got %q, want %q", c.name, p, c.want)
		}
	}
}
