package doc

import (
	"strings"
	"testing"
)

// logsMapping is a mapping as the logs-* index templates make it: the
// ecs@mappings templates under the mapping's own, no date detection.
func logsMapping(own string) *Mapping {
	m := NewMapping()
	if own != "" {
		var err error
		if m, err = ParseMapping([]byte(own)); err != nil {
			panic(err)
		}
	}
	m.Fallback = ECSDynamicTemplates()
	m.NoDateDetection = true
	return m
}

func TestDynamicFieldECSTemplates(t *testing.T) {
	m := logsMapping(`{"dynamic_templates":[{"acme_ids":{"path_match":"acme.*.id","mapping":{"type":"long"}}}],"properties":{}}`)
	cases := []struct {
		name  string
		value string // JSON scalar
		es    string
		typ   Type
		multi string // multi-field ESType, "" when none
	}{
		{"@timestamp", `"2026-01-01T00:00:00Z"`, "date", Date, ""},
		{"acme.message", `"hello"`, "match_only_text", Text, ""},
		{"acme.client.ip", `"10.0.0.1"`, "ip", IP, ""},
		{"acme.remote_ip", `"10.0.0.1"`, "ip", IP, ""},
		{"acme.client.ip", `42`, "long", Long, ""}, // ecs_ip asks for a string
		{"acme.url.path", `"/a"`, "wildcard", Keyword, ""},
		{"acme.url.full", `"http://x/a"`, "wildcard", Keyword, "match_only_text"},
		{"acme.command_line", `"sh -c id"`, "wildcard", Keyword, "match_only_text"},
		{"acme.process.name", `"sh"`, "keyword", Keyword, "match_only_text"},
		{"acme.created", `"2026-01-01T00:00:00Z"`, "date", Date, ""},
		{"acme.login_timestamp", `1700000000000`, "date", Date, ""},
		{"acme.risk.score.value", `7`, "float", Double, ""},
		{"acme.cpu.usage", `0.5`, "scaled_float", Double, ""},
		{"acme.geo.location", `"1,2"`, "geo_point", GeoPoint, ""},
		{"acme.when", `"2026-01-01T00:00:00Z"`, "keyword", Keyword, ""}, // date_detection: false
		{"acme.note", `"x"`, "keyword", Keyword, ""},
		{"acme.count", `3`, "long", Long, ""},
		{"acme.ratio", `0.25`, "float", Double, ""},
		{"acme.ok", `true`, "boolean", Boolean, ""},
		{"acme.user.id", `"7"`, "long", Long, ""}, // the mapping's own template comes first
	}
	for _, c := range cases {
		s := strings.Trim(c.value, `"`)
		kind := m.DetectKind(s, strings.HasPrefix(c.value, `"`), c.value == "true" || c.value == "false")
		f, multi := m.DynamicField(c.name, kind)
		if f.ESType != c.es || f.Type != c.typ || f.Name != c.name {
			t.Errorf("%s = %s: got %s/%v, want %s/%v", c.name, c.value, f.ESType, f.Type, c.es, c.typ)
		}
		got := ""
		if len(multi) > 0 {
			got = multi[0].ESType
			if multi[0].Name != c.name+".text" || multi[0].Parent != c.name {
				t.Errorf("%s multi-field = %+v", c.name, multi[0])
			}
		}
		if got != c.multi {
			t.Errorf("%s multi-field type = %q, want %q", c.name, got, c.multi)
		}
	}
	// Without the logs-* templates, Elasticsearch's defaults (date detection on).
	plain := NewMapping()
	if f, _ := plain.DynamicField("x", plain.DetectKind("2026-01-01T00:00:00Z", true, false)); f.Type != Date {
		t.Errorf("default date detection: %+v", f)
	}
}

func TestDeclaredField(t *testing.T) {
	m := logsMapping(`{"_meta":{"vigil_dynamic_objects":["acme.props"]},"dynamic_templates":[
		{"t1":{"path_match":"acme.targets.*.name","mapping":{"type":"keyword"}}},
		{"t2":{"path_match":"*.anything","mapping":{"type":"keyword"}}}],"properties":{}}`)
	for _, c := range []struct {
		name string
		ok   bool
		es   string
	}{
		{"acme.targets.0.name", true, "keyword"},
		{"acme.targets.0.other", false, ""},
		{"x.anything", false, ""}, // not anchored in the mapping's own objects
		{"acme.props.session_id", true, "keyword"},
		{"acme.props.client_ip", true, "ip"}, // typed as ecs@mappings types a string
		{"acme.propsx", false, ""},
		{"acme.typo", false, ""},
	} {
		f, ok := m.DeclaredField(c.name)
		if ok != c.ok || ok && (f.ESType != c.es || f.Name != c.name) {
			t.Errorf("DeclaredField(%s) = %+v, %v", c.name, f, ok)
		}
	}
}

func TestDynamicTemplatesRoundTrip(t *testing.T) {
	in := `{"_meta":{"vigil_dynamic_objects":["a.b"]},"date_detection":false,"dynamic_templates":[` +
		`{"k":{"path_match":["x.*"],"match_mapping_type":["string"],"mapping":{"type":"wildcard","fields":{"text":{"type":"match_only_text"}}}}},` +
		`{"n":{"match":["*_n"],"unmatch":["z_n"],"path_unmatch":["q.*"],"unmatch_mapping_type":["object"],"mapping":{"type":"long"}}}],` +
		`"properties":{"a":{"properties":{"b":{"type":"object"}}}}}`
	m, err := ParseMapping([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if !m.NoDateDetection || len(m.Templates) != 2 || len(m.DynamicObjects) != 1 || len(m.Templates[0].Multi) != 1 {
		t.Fatalf("parsed %+v", m)
	}
	out, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("round trip:\n got %s\nwant %s", out, in)
	}
	for _, bad := range []string{
		`{"dynamic_templates":{},"properties":{}}`,
		`{"dynamic_templates":[{"a":{"path_match":"x"}}],"properties":{}}`,
		`{"dynamic_templates":[{"a":{"path_match":1,"mapping":{"type":"long"}}}],"properties":{}}`,
		`{"dynamic_templates":[{"a":{},"b":{}}],"properties":{}}`,
	} {
		if _, err := ParseMapping([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestOverlay(t *testing.T) {
	base := mustMapping(t, `{"properties":{"a":{"type":"keyword"},"b":{"type":"long"}}}`)
	top := mustMapping(t, `{"dynamic_templates":[{"t":{"path_match":"c.*","mapping":{"type":"ip"}}}],"properties":{"b":{"type":"keyword"},"c":{"type":"object"}}}`)
	base.Overlay(top)
	if f, _ := base.Lookup("b"); f.Type != Keyword {
		t.Errorf("b = %+v, want the top's keyword", f)
	}
	if _, ok := base.Lookup("a"); !ok {
		t.Error("a lost")
	}
	if _, ok := base.LookupObject("c"); !ok || len(base.Templates) != 1 {
		t.Errorf("objects/templates not laid over: %+v", base.Templates)
	}
	var empty Mapping
	empty.Overlay(top) // a zero Mapping is usable
	if empty.Len() != 1 {
		t.Errorf("zero mapping overlay: %d fields", empty.Len())
	}
}

func TestBuiltinStreams(t *testing.T) {
	names := func(patterns ...string) string {
		var out []string
		for _, s := range BuiltinStreams(patterns) {
			out = append(out, s.Name)
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		patterns []string
		want     string
	}{
		{[]string{"logs-aws.cloudtrail-*"}, "logs-aws.cloudtrail"},
		{[]string{"logs-aws.cloudtrail*"}, "logs-aws.cloudtrail"},
		{[]string{"logs-aws.cloudtrail-prod"}, "logs-aws.cloudtrail"},
		{[]string{"logs-okta*"}, "logs-okta.system"},
		{[]string{"logs-azure.signinlogs-*", "-logs-azure.signinlogs-default"}, "logs-azure.signinlogs"}, // other namespaces remain
		{[]string{"logs-azure.s*", "-logs-azure.signinlogs*"}, ""},
		{[]string{".alerts-security.*"}, ".alerts-security.alerts"},
		{[]string{"winlogbeat-*"}, "winlogbeat"},
		{[]string{"nothing-*"}, ""},
	} {
		if got := names(c.patterns...); got != c.want {
			t.Errorf("%v: got %q, want %q", c.patterns, got, c.want)
		}
	}
	// A wildcard reads every stream it can name, each parsed on demand.
	if got := BuiltinStreams([]string{"logs-*"}); len(got) < 20 {
		t.Errorf("logs-* names %d streams", len(got))
	}
}
