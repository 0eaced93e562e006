package rule

// Conversion between Kibana's rule JSON (a saved-objects export line, the
// body of the detection engine's rule API) and the detection-rules TOML this
// package reads. The conversion is key for key: every key Kibana exports is
// kept in [rule] (keys Vigil does not act on are carried and warned about by
// Parse, as for any TOML), except the ones Kibana regenerates on import
// (KibanaRegenerated), so that export(import(x)) gives x back. The two
// layouts differ only in new_terms (TOML: a [rule.new_terms] table; JSON:
// new_terms_fields and history_window_start) and in the metadata dates.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/BurntSushi/toml"
)

// KibanaRegenerated are the rule keys Kibana sets itself when a rule is
// created or imported (ids, audit fields, revision, execution state): import
// drops them and export does not write them.
var KibanaRegenerated = []string{
	"id", "created_at", "created_by", "updated_at", "updated_by", "revision",
	"execution_summary", "immutable", "rule_source",
}

// KibanaToTOML converts one Kibana rule object (a JSON line of an export)
// to a detection-rules TOML file. JSON nulls are dropped (TOML has none;
// Kibana reads an absent key as null).
func KibanaToTOML(line []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	var obj map[string]any
	if err := d.Decode(&obj); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("not a JSON object: data after the object")
	}
	if id, _ := obj["rule_id"].(string); id == "" {
		return nil, errors.New("rule without a rule_id")
	}
	if t, _ := obj["type"].(string); t == "" {
		return nil, errors.New("rule without a type")
	}
	meta := map[string]any{"maturity": "production"}
	for k, mk := range map[string]string{"created_at": "creation_date", "updated_at": "updated_date"} {
		if s, ok := obj[k].(string); ok && len(s) >= 10 {
			meta[mk] = strings.ReplaceAll(s[:10], "-", "/") // detection-rules writes YYYY/MM/DD
		}
	}
	for _, k := range KibanaRegenerated {
		delete(obj, k)
	}
	if f, ok := obj["new_terms_fields"]; ok {
		nt := map[string]any{"field": "new_terms_fields", "value": f}
		if h, ok := obj["history_window_start"]; ok {
			nt["history_window_start"] = []any{map[string]any{"field": "history_window_start", "value": h}}
		}
		delete(obj, "new_terms_fields")
		delete(obj, "history_window_start")
		obj["new_terms"] = nt
	}
	r, _ := tomlValue(obj).(map[string]any)
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(map[string]any{"metadata": meta, "rule": r}); err != nil {
		return nil, fmt.Errorf("encoding TOML: %w", err)
	}
	return buf.Bytes(), nil
}

// tomlValue makes a decoded JSON value encodable as TOML: nulls go, whole
// numbers become integers (max_signals = 100, not 100.0).
func tomlValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = tomlValue(e)
		}
		return x
	case []any:
		out := x[:0]
		for _, e := range x {
			if e != nil {
				out = append(out, tomlValue(e))
			}
		}
		return out
	}
	return v
}

// TOMLToKibana converts a detection-rules TOML file to Kibana's rule JSON
// object (the [rule] table, new_terms in Kibana's keys).
func TOMLToKibana(data []byte) (map[string]any, error) {
	var f struct {
		Rule map[string]any `toml:"rule"`
	}
	if _, err := toml.Decode(string(data), &f); err != nil {
		return nil, err
	}
	r := f.Rule
	if id, _ := r["rule_id"].(string); id == "" {
		return nil, errors.New("no rule.rule_id")
	}
	if nt, ok := r["new_terms"].(map[string]any); ok {
		delete(r, "new_terms")
		r["new_terms_fields"] = nt["value"]
		if hs, ok := nt["history_window_start"].([]map[string]any); ok && len(hs) > 0 {
			r["history_window_start"] = hs[0]["value"]
		}
	}
	for _, k := range KibanaRegenerated {
		delete(r, k)
	}
	return r, nil
}

// KibanaComparable strips a decoded Kibana rule object down to what a
// round trip through TOML preserves: the KibanaRegenerated keys and JSON
// nulls (at any depth) go. Round-trip checks compare objects through it.
func KibanaComparable(obj map[string]any) map[string]any {
	for _, k := range KibanaRegenerated {
		delete(obj, k)
	}
	return dropNulls(obj).(map[string]any)
}

func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
			} else {
				x[k] = dropNulls(e)
			}
		}
	case []any:
		out := []any{}
		for _, e := range x {
			if e != nil {
				out = append(out, dropNulls(e))
			}
		}
		return out
	}
	return v
}
