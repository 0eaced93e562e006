package engine

import (
	"bytes"
	"encoding/json"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"vigil/internal/doc"
)

// bannedSource are the top-level objects Kibana never copies from a source
// document into an alert (traverse_and_mutate_doc.ts bannedFields): the
// alert's own namespaces, which the source must not forge.
var bannedSource = map[string]bool{"kibana": true, "signal": true, "threshold_result": true}

// copiedSource maps the source namespaces Kibana preserves under the alert
// namespace, because the alert overwrites them or ECS types them as
// constant_keyword (traverse_and_mutate_doc.ts alertingNamespaceCopyMap).
var copiedSource = map[string]string{
	"event":       "kibana.alert.original_event",
	"data_stream": "kibana.alert.original_data_stream",
}

// sourceFields prepares an alert's source (flat dotted names) as Kibana's
// traverseAndMutateDoc does: banned namespaces and values that do not fit
// their ECS field dropped, event.* and data_stream.* also copied under
// kibana.alert.original_*, and event.kind removed (the alert's is "signal";
// the original stays in original_event).
func sourceFields(src map[string]any) map[string]any {
	f := make(map[string]any, len(src)+8)
	for k, v := range src {
		top := firstSegment(k)
		if bannedSource[top] {
			continue
		}
		if v = ecsCompliant(k, v); v == nil {
			continue
		}
		if to, ok := copiedSource[top]; ok {
			f[to+strings.TrimPrefix(k, top)] = v
		}
		if k != "event.kind" {
			f[k] = v
		}
	}
	return f
}

// ecs is the ECS schema as Kibana's alert builder checks source values
// against it (ecsFieldMap): leaf fields by name with their mapping type
// (multi-fields are not ECS fields), and every name that is an object.
var ecs = sync.OnceValue(func() (s struct {
	leaf   map[string]string
	object map[string]bool
}) {
	s.leaf, s.object = map[string]string{}, map[string]bool{}
	m, ok := doc.BuiltinMapping("ecs")
	if !ok {
		return s
	}
	for _, f := range m.Fields() {
		if f.Parent != "" {
			continue
		}
		s.leaf[f.Name] = f.ESType
		for i := range len(f.Name) {
			if f.Name[i] == '.' {
				s.object[f.Name[:i]] = true
			}
		}
	}
	for _, o := range m.Objects() {
		s.object[o.Name] = true
	}
	return s
})

// ecsCompliant returns the part of a source value Kibana keeps for a
// field (computeIsEcsCompliant; array elements one by one), nil for none:
// a field under an ECS leaf is dropped, as is a value its ECS type
// (long, float, scaled_float, ip, date, boolean) rejects or a scalar where
// ECS has an object. Fields outside ECS are kept.
func ecsCompliant(name string, v any) any {
	if arr, ok := v.([]any); ok {
		var kept []any
		for _, e := range arr {
			if e = ecsCompliant(name, e); e != nil {
				kept = append(kept, e)
			}
		}
		if len(kept) == 0 {
			return nil
		}
		return kept
	}
	s := ecs()
	isObject := func(n string) bool {
		t := s.leaf[n]
		return s.object[n] || t == "object" || t == "flattened" || t == "geo_point"
	}
	for i := range len(name) {
		if name[i] == '.' {
			if p := name[:i]; (s.leaf[p] != "" || s.object[p]) && !isObject(p) {
				return nil
			}
		}
	}
	typ, leaf := s.leaf[name]
	if !leaf && !s.object[name] {
		return v
	}
	ok := true
	switch typ {
	case "geo_point":
	case "long":
		str, isStr := v.(string)
		ok = numeric(v) && !(isStr && strings.Contains(str, " "))
	case "float", "scaled_float":
		ok = numeric(v)
	case "ip":
		str, isStr := v.(string)
		if ok = isStr; ok {
			_, err := netip.ParseAddr(str)
			_, perr := netip.ParsePrefix(str)
			ok = err == nil || perr == nil
		}
	case "date":
		str, isStr := v.(string)
		if !numeric(v) {
			_, _, ok = doc.ParseISODate(str)
			ok = ok && isStr
		}
	case "boolean":
		ok = v == true || v == false || v == "true" || v == "false" || v == ""
	default:
		_, isMap := v.(map[string]any)
		ok = isObject(name) == isMap
	}
	if !ok {
		return nil
	}
	return v
}

// numeric is Kibana's isValidNumericType: a number, or a string
// JavaScript's Number() reads as one.
func numeric(v any) bool {
	switch x := v.(type) {
	case int64, uint64, float64, json.Number:
		return true
	case string:
		t := strings.TrimSpace(x)
		if t == "" {
			return true
		}
		if f, err := strconv.ParseFloat(t, 64); err == nil {
			return !math.IsNaN(f) && !strings.ContainsAny(t, "_")
		}
		_, err := strconv.ParseInt(t, 0, 64)
		return err == nil && !strings.ContainsAny(t, "_")
	}
	return false
}

// MergeSource completes a non-aggregating rule's alert with the document
// its row came from (its ancestor), as Kibana's ES|QL rule fetches it by
// _id and merges the row into it (fetch_source_documents.ts,
// merge_esql_result_in_source.ts): the row's values win, the source's other
// fields join the alert through the same filter as the row's, and the
// alert's own fields win over both. index is the document's index, used
// when the row did not select _index.
func (a *Alert) MergeSource(src map[string]any, index string) {
	flat := map[string]any{}
	flattenDoc(flat, "", src)
	for _, k := range a.row {
		delete(flat, k)
	}
	for k, v := range sourceFields(flat) {
		if _, ok := a.Fields[k]; !ok {
			a.Fields[k] = v
		}
	}
	if _, ok := a.Fields["kibana.alert.original_time"]; !ok {
		if t, ok := originalTime(flat["@timestamp"]); ok {
			a.Fields["kibana.alert.original_time"] = t
		}
	}
	if anc, ok := a.Fields["kibana.alert.ancestors"].([]Ancestor); ok && len(anc) == 1 && anc[0].Index == "" {
		anc[0].Index = index
	}
	a.applyOverrides()
}

// SourceID is the _id of the document an alert was built from, "" for an
// aggregating rule's alert (its row names no document).
func (a *Alert) SourceID() string {
	if anc, ok := a.Fields["kibana.alert.ancestors"].([]Ancestor); ok && len(anc) == 1 && anc[0].Type == "event" {
		return anc[0].ID
	}
	return ""
}

// flattenDoc writes a JSON document's leaves as dotted names: objects are
// walked, arrays (of objects too) are values, as Elasticsearch's fields
// address them.
func flattenDoc(out map[string]any, prefix string, m map[string]any) {
	for k, v := range m {
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok {
			flattenDoc(out, name, sub)
			continue
		}
		if v != nil {
			out[name] = v
		}
	}
}

// FetchSources reads files again for the documents non-aggregating alerts
// were built from and merges each into its alerts (MergeSource), as
// Kibana's ES|QL rule searches its indices by _id. A document's _id is its
// search hit's, or doc.AutoID of its line; only lines that may carry a
// wanted id are parsed. Stdin ("-") cannot be read twice: its alerts keep
// the row alone, as Kibana's do when the document is gone. Problems were
// reported by the first read and are not reported again.
func FetchSources(files []string, alerts []*Alert) error {
	want := map[string][]*Alert{}
	for _, a := range alerts {
		if id := a.SourceID(); id != "" {
			want[id] = append(want[id], a)
		}
	}
	if len(want) == 0 {
		return nil
	}
	return EachLine(files, func(line []byte) {
		if len(want) == 0 {
			return
		}
		id, src, index, ok := sourceOf(line, want)
		if !ok {
			return
		}
		for _, a := range want[id] {
			a.MergeSource(src, index)
		}
		delete(want, id) // the first document with an id is the one
	})
}

// sourceOf returns a line's document when its _id is wanted: a search
// hit's _source under the hit's _id, or a bare document under its AutoID.
// A line naming an "_id" key is taken for a hit (documents cannot hold
// metadata fields), so only its wanted ids cost a parse.
func sourceOf(line []byte, want map[string][]*Alert) (id string, src map[string]any, index string, ok bool) {
	byHit := bytes.Contains(line, []byte(`"_id"`))
	if byHit {
		id = wantedHitID(line, want)
	} else {
		id = doc.AutoID(line)
	}
	if want[id] == nil {
		return "", nil, "", false
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var top map[string]any
	if dec.Decode(&top) != nil {
		return "", nil, "", false
	}
	body, isHit := top["_source"].(map[string]any)
	switch {
	case byHit && (!isHit || top["_id"] != id):
		return "", nil, "", false // the id matched inside the document, not the hit's
	case isHit:
		index, _ = top["_index"].(string)
		return id, body, index, true
	}
	return id, top, "", true
}

// wantedHitID returns the first wanted string value of an "_id" key in line.
func wantedHitID(line []byte, want map[string][]*Alert) string {
	for rest := line; ; {
		i := bytes.Index(rest, []byte(`"_id"`))
		if i < 0 {
			return ""
		}
		rest = rest[i+len(`"_id"`):]
		if v, ok := jsonStringAfterColon(rest); ok && want[v] != nil {
			return v
		}
	}
}

// jsonStringAfterColon reads `: "value"` at the start of b.
func jsonStringAfterColon(b []byte) (string, bool) {
	b = bytes.TrimLeft(b, " \t")
	if len(b) == 0 || b[0] != ':' {
		return "", false
	}
	b = bytes.TrimLeft(b[1:], " \t")
	if len(b) == 0 || b[0] != '"' {
		return "", false
	}
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			var v string
			return v, json.Unmarshal(b[:i+1], &v) == nil
		}
	}
	return "", false
}
