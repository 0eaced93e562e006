package doc

import "strings"

// DynamicTemplate is one entry of a mapping's dynamic_templates: how
// Elasticsearch maps a field no property names when a document first
// brings it. Templates are tried in order; the first whose conditions all
// hold wins (Elasticsearch's DynamicTemplate: match/unmatch test the
// field's last name segment, path_match/path_unmatch its full dotted path,
// both with `*` matching any run of characters, dots included; match_mapping_type/unmatch_mapping_type
// test the JSON type detected: string, long, double, boolean, date, object).
type DynamicTemplate struct {
	Name                   string
	Match, Unmatch         []string
	PathMatch, PathUnmatch []string
	MatchType, UnmatchType []string // match_mapping_type, unmatch_mapping_type; "*" matches any
	Field                  Field    // the mapping applied; Name unset
	Multi                  []Field  // its multi-fields, named by their suffix ("text")
}

// JSONKind is the type Elasticsearch's dynamic mapping detects in a JSON
// value, as match_mapping_type names it.
type JSONKind string

const (
	KindString  JSONKind = "string"
	KindLong    JSONKind = "long"
	KindDouble  JSONKind = "double"
	KindBoolean JSONKind = "boolean"
	KindDate    JSONKind = "date" // a string date detection recognises
)

// matches reports whether t applies to the field at path whose value has kind.
func (t *DynamicTemplate) matches(path string, kind JSONKind) bool {
	leaf := path[strings.LastIndexByte(path, '.')+1:]
	if len(t.Match) > 0 && !anySimpleMatch(t.Match, leaf) ||
		anySimpleMatch(t.Unmatch, leaf) ||
		len(t.PathMatch) > 0 && !anySimpleMatch(t.PathMatch, path) ||
		anySimpleMatch(t.PathUnmatch, path) {
		return false
	}
	if len(t.MatchType) > 0 && !kindIn(t.MatchType, kind) {
		return false
	}
	return !kindIn(t.UnmatchType, kind)
}

// Anchored reports whether every path_match pattern of t starts with a
// literal object path ("azure.auditlogs.properties.target_resources.*"):
// a template an integration declares for its own objects, as opposed to a
// name rule that can type any field (ecs@mappings' "*.ip", a bare match).
func (t *DynamicTemplate) Anchored() bool {
	if len(t.PathMatch) == 0 || len(t.Match) > 0 {
		return false
	}
	for _, p := range t.PathMatch {
		star := strings.IndexByte(p, '*')
		if star <= 0 || !strings.Contains(p[:star], ".") {
			return false
		}
	}
	return true
}

func kindIn(list []string, kind JSONKind) bool {
	for _, k := range list {
		if k == "*" || k == string(kind) {
			return true
		}
	}
	return false
}

func anySimpleMatch(patterns []string, s string) bool {
	for _, p := range patterns {
		if wildcardMatch(p, s) { // Elasticsearch's Regex.simpleMatch
			return true
		}
	}
	return false
}

// DynamicField returns how a field no property names is mapped when a value
// of kind first brings it: by the mapping's own templates, then (for
// logs-* data streams, see ECSDynamicTemplates) the ones laid under them,
// then Elasticsearch's defaults (long, float, boolean, date; strings as
// keyword rather than text+keyword, as every logs-* template maps them).
// The field's multi-fields come second. Nested sub-fields are the caller's
// to mark.
func (m *Mapping) DynamicField(name string, kind JSONKind) (Field, []Field) {
search:
	for _, list := range [][]DynamicTemplate{m.Templates, m.Fallback} {
		for i := range list {
			t := &list[i]
			if !t.matches(name, kind) {
				continue
			}
			if t.Field.ESType == "{dynamic_type}" {
				break search // the default mapping of the detected type
			}
			f := t.Field
			f.Name = name
			multi := make([]Field, len(t.Multi))
			for j, mf := range t.Multi {
				mf.Name, mf.Parent = name+"."+mf.Name, name
				multi[j] = mf
			}
			return f, multi
		}
	}
	switch kind {
	case KindBoolean:
		return Field{Name: name, Type: Boolean, ESType: "boolean"}, nil
	case KindLong:
		return Field{Name: name, Type: Long, ESType: "long"}, nil
	case KindDouble:
		return Field{Name: name, Type: Double, ESType: "float"}, nil
	case KindDate:
		return Field{Name: name, Type: Date, ESType: "date"}, nil
	}
	return Field{Name: name, Type: Keyword, ESType: "keyword"}, nil
}

// DetectKind is the JSONKind of a scalar JSON value: a string (unquoted),
// a number's text, or true/false with isBool. Strings are dates only where
// date detection is on (m.DateDetection; logs@mappings turns it off).
func (m *Mapping) DetectKind(s string, isString, isBool bool) JSONKind {
	switch {
	case isBool:
		return KindBoolean
	case !isString && strings.ContainsAny(s, ".eE"):
		return KindDouble
	case !isString:
		return KindLong
	case !m.NoDateDetection && len(s) >= 10 && s[4] == '-':
		if _, ok := parseISODate(s); ok {
			return KindDate
		}
	}
	return KindString
}

// ECSDynamicTemplates emulates the ecs@mappings component template that
// Elasticsearch installs and Fleet composes into every logs-*-* index
// template (elastic/elasticsearch
// x-pack/plugin/core/template-resources/src/main/resources/ecs@mappings.json
// at 0cb05a5f): ECS field names get their ECS types by name rules, every
// other string becomes keyword (ignore_above 1024). Multi-fields are kept
// (wildcard/keyword + match_only_text "text").
func ECSDynamicTemplates() []DynamicTemplate {
	kw := Field{Type: Keyword, ESType: "keyword"}
	wc := Field{Type: Keyword, ESType: "wildcard"}
	text := []Field{{Name: "text", Type: Text, ESType: "match_only_text"}}
	scaled := Field{Type: Double, ESType: "scaled_float", Scaling: 1000}
	return []DynamicTemplate{
		{Name: "ecs_timestamp", Match: []string{"@timestamp"}, Field: Field{Type: Date, ESType: "date"}},
		{Name: "ecs_message_match_only_text", PathMatch: []string{"message", "*.message"}, Field: Field{Type: Text, ESType: "match_only_text"}},
		{Name: "ecs_ip", PathMatch: []string{"ip", "*.ip", "*_ip"}, MatchType: []string{"string"}, Field: Field{Type: IP, ESType: "ip"}},
		{Name: "ecs_wildcard", PathMatch: []string{"*.io.text", "*.message_id", "*registry.data.strings", "*url.path"}, Field: wc},
		{Name: "ecs_path_match_wildcard_and_match_only_text", PathMatch: []string{"*.body.content", "*url.full", "*url.original"}, Field: wc, Multi: text},
		{Name: "ecs_match_wildcard_and_match_only_text", Match: []string{"*command_line", "*stack_trace"}, Field: wc, Multi: text},
		{Name: "ecs_path_match_keyword_and_match_only_text", PathMatch: []string{"*.title", "*.executable", "*.name", "*.working_directory",
			"*.full_name", "*file.path", "*file.target_path", "*os.full", "email.subject", "vulnerability.description", "user_agent.original"}, Field: kw, Multi: text},
		{Name: "ecs_date", PathMatch: []string{"*.timestamp", "*_timestamp", "*.not_after", "*.not_before", "*.accessed", "created", "*.created",
			"*.installed", "*.creation_date", "*.ctime", "*.mtime", "ingested", "*.ingested", "*.start", "*.end"}, Field: Field{Type: Date, ESType: "date"}},
		{Name: "ecs_path_match_float", PathMatch: []string{"*.score.*", "*_score*"}, PathUnmatch: []string{"*.version"}, Field: Field{Type: Double, ESType: "float"}},
		{Name: "ecs_usage_double_scaled_float", PathMatch: []string{"*.usage"}, MatchType: []string{"double"}, Field: scaled},
		{Name: "ecs_usage_long_scaled_float", PathMatch: []string{"*.usage"}, MatchType: []string{"long"}, Field: scaled},
		{Name: "ecs_geo_point", PathMatch: []string{"location", "*.location"}, Field: Field{Type: GeoPoint, ESType: "geo_point"}},
		{Name: "ecs_flattened", PathMatch: []string{"*structured_data", "*exports", "*imports"}, Field: Field{Type: Unsupported, ESType: "flattened"}},
		{Name: "all_strings_to_keywords", MatchType: []string{"string"}, Field: Field{Type: Keyword, ESType: "keyword", IgnoreAbove: 1024}},
	}
}

// DeclaredField returns the field name would be once a document brings it,
// for a name the mapping declares without listing it: by a template
// anchored in the mapping's own objects (see DynamicTemplate.Anchored), such
// as an integration's "azure.auditlogs.properties.target_resources.*.display_name",
// or under one of its DynamicObjects, typed as the dynamic templates type a
// string. Name rules that can type any field (ecs@mappings) do not count,
// so a misspelt name elsewhere is still unknown.
func (m *Mapping) DeclaredField(name string) (Field, bool) {
	for i := range m.Templates {
		t := &m.Templates[i]
		if !t.Anchored() || !anySimpleMatch(t.PathMatch, name) || anySimpleMatch(t.PathUnmatch, name) {
			continue
		}
		f := t.Field
		f.Name = name
		return f, true
	}
	for _, o := range m.DynamicObjects {
		if strings.HasPrefix(name, o+".") {
			f, _ := m.DynamicField(name, KindString)
			return f, true
		}
	}
	return Field{}, false
}
