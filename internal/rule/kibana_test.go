package rule

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestKibanaToTOML(t *testing.T) {
	base := `"rule_id":"r1","name":"n","description":"d","risk_score":21,"severity":"low","index":["logs-*"],"interval":"1h","from":"now-70m","max_signals":100`
	tests := []struct {
		name  string
		json  string
		check func(t *testing.T, r *Rule)
		err   string
	}{
		{name: "kql rule, numbers stay integers, regenerated keys dropped",
			json: `{"id":"x","revision":3,"created_at":"2025-08-14T13:09:02.318Z",` + base + `,"type":"query","language":"kuery","query":"a:1","timeline_id":null}`,
			check: func(t *testing.T, r *Rule) {
				if r.RuleID != "r1" || r.Type != "query" || r.MaxSignals != 100 || r.RiskScore != 21 || r.From != "now-70m" || r.CreationDate != "2025/08/14" {
					t.Errorf("got %+v", r)
				}
			}},
		{name: "new_terms keys become the [rule.new_terms] table",
			json: `{` + base + `,"type":"new_terms","language":"kuery","query":"a:1","new_terms_fields":["user.id","source.ip"],"history_window_start":"now-30d"}`,
			check: func(t *testing.T, r *Rule) {
				if r.NewTerms == nil || !slices.Equal(r.NewTerms.Fields, []string{"user.id", "source.ip"}) || r.NewTerms.HistoryWindowStart != "now-30d" {
					t.Errorf("new terms %+v", r.NewTerms)
				}
			}},
		{name: "threshold keeps its shape",
			json: `{` + base + `,"type":"threshold","language":"kuery","query":"a:1","threshold":{"field":["source.ip"],"value":20,"cardinality":[]}}`,
			check: func(t *testing.T, r *Rule) {
				if r.Threshold == nil || r.Threshold.Value != 20 || !slices.Equal(r.Threshold.Fields, []string{"source.ip"}) {
					t.Errorf("threshold %+v", r.Threshold)
				}
			}},
		{name: "no rule_id", json: `{"type":"query"}`, err: "rule_id"},
		{name: "no type", json: `{"rule_id":"r"}`, err: "type"},
		{name: "not JSON", json: `{"rule_id":`, err: "not a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := KibanaToTOML([]byte(tc.json))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r, err := Parse(out, "x.toml")
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			tc.check(t, r)
		})
	}
}

// kibanaRules returns the rule objects of a Kibana export, by rule_id,
// without the keys Kibana regenerates and without nulls.
func kibanaRules(t *testing.T, data []byte) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, line := range bytes.Split(data, []byte("\n")) {
		var obj map[string]any
		if json.Unmarshal(line, &obj) != nil || obj["rule_id"] == nil {
			continue
		}
		out[obj["rule_id"].(string)] = KibanaComparable(obj)
	}
	return out
}

// TestKibanaRoundTrip converts every rule of the shared Kibana export to TOML
// and back and compares them key by key with the original.
func TestKibanaRoundTrip(t *testing.T) {
	data, err := os.ReadFile("../../../shared/samples/kibana/custom-consolidated-rules.ndjson")
	if err != nil {
		t.Skip("shared samples absent:", err)
	}
	want := kibanaRules(t, data)
	if len(want) != 9 {
		t.Fatalf("%d rules in the sample, want 9", len(want))
	}
	var back bytes.Buffer
	for _, line := range bytes.Split(data, []byte("\n")) {
		if !bytes.Contains(line, []byte(`"rule_id"`)) {
			continue
		}
		tm, err := KibanaToTOML(line)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := TOMLToKibana(tm)
		if err != nil {
			t.Fatalf("%v\n%s", err, tm)
		}
		j, _ := json.Marshal(obj)
		back.Write(append(j, '\n'))
	}
	got := kibanaRules(t, back.Bytes())
	for id, w := range want {
		g := got[id]
		for k := range w {
			if !reflect.DeepEqual(w[k], g[k]) {
				t.Errorf("rule %s key %s: got %v, want %v", id, k, g[k], w[k])
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				t.Errorf("rule %s: extra key %s", id, k)
			}
		}
	}
}

// FuzzKibanaToTOML: any line either fails cleanly or gives TOML that reads
// back as the same rule_id.
func FuzzKibanaToTOML(f *testing.F) {
	f.Add([]byte(`{"rule_id":"r","type":"new_terms","new_terms_fields":["a"],"history_window_start":"now-1d","max_signals":1.5,"x":[null,{"y":null}]}`))
	f.Add([]byte(`{"rule_id":"r","type":"query","threat":[{"framework":"MITRE ATT&CK","technique":[]}]}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		tm, err := KibanaToTOML(line)
		if err != nil {
			return
		}
		Parse(tm, "f.toml") //nolint:errcheck // must not panic
		obj, err := TOMLToKibana(tm)
		if err != nil {
			t.Fatalf("%v\n%s", err, tm)
		}
		var in map[string]any
		json.Unmarshal(line, &in)
		if obj["rule_id"] != in["rule_id"] {
			t.Fatalf("rule_id %v, want %v", obj["rule_id"], in["rule_id"])
		}
	})
}
