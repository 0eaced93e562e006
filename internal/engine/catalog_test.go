package engine

import (
	"testing"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

func TestCatalogResolve(t *testing.T) {
	user := doc.NewMapping()
	user.Add(doc.Field{Name: "aws.cloudtrail.event_category", Type: doc.Long, ESType: "long"})
	for _, c := range []struct {
		name     string
		patterns []string
		user     *doc.Mapping
		fields   map[string]string // name → ESType; "" = absent
	}{
		{"integration over ECS", []string{"logs-aws.cloudtrail-*"}, nil, map[string]string{
			"aws.cloudtrail.user_identity.arn":       "keyword",
			"aws.cloudtrail.request_parameters.text": "text",
			"process.name":                           "keyword", // ECS stands in for the ECS fields
			"azure.signinlogs.category":              "",
		}},
		{"user mapping wins", []string{"logs-aws.cloudtrail-*"}, user, map[string]string{"aws.cloudtrail.event_category": "long"}},
		{"complete stream alone: no ECS", []string{"logs-endpoint.events.process-*"}, nil, map[string]string{
			"process.Ext.ancestry": "keyword", "event.agent_id_status": "",
		}},
		{"Defend family: ECS plus Defend's Ext fields", []string{"logs-endpoint.*"}, nil, map[string]string{
			"process.Ext.ancestry": "keyword", "event.agent_id_status": "keyword",
		}},
		{"alerts index", []string{".alerts-security.*"}, nil, map[string]string{
			"kibana.alert.risk_score": "float", "kibana.alert.rule.threat.tactic.name": "keyword", "host.ip": "ip",
		}},
		{"unknown index: ECS", []string{"acme-*"}, nil, map[string]string{"host.ip": "ip", "kibana.alert.risk_score": ""}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := (&Catalog{User: c.user}).Resolve(c.patterns)
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range c.fields {
				f, ok := m.Lookup(name)
				switch {
				case want == "" && ok:
					t.Errorf("%s mapped as %s, want absent", name, f.ESType)
				case want != "" && (!ok || f.ESType != want):
					t.Errorf("%s = %+v, want %s", name, f, want)
				}
			}
			if len(m.Fallback) == 0 || !m.NoDateDetection {
				t.Error("the logs-* dynamic typing is missing")
			}
		})
	}
}

// Streams load when a query names them, and only then reach the decoder.
func TestCatalogDecoderMappingFollowsResolve(t *testing.T) {
	c := &Catalog{}
	if _, ok := c.DecoderMapping().Lookup("okta.client.ip"); ok {
		t.Fatal("okta mapped before any query named it")
	}
	if _, err := c.Resolve([]string{"logs-okta.system-*"}); err != nil {
		t.Fatal(err)
	}
	if got := c.LoadedStreams(); len(got) != 1 || got[0] != "logs-okta.system" {
		t.Errorf("loaded = %v", got)
	}
	m := c.DecoderMapping()
	if f, ok := m.Lookup("okta.client.ip"); !ok || f.Type != doc.IP {
		t.Errorf("decoder okta.client.ip = %+v", f)
	}
	if _, ok := m.Lookup("process.Ext.ancestry"); !ok {
		t.Error("decoder lacks Defend's process fields")
	}
}

// A field a query reads that its mapping declares by pattern is decoded
// with the type the query was compiled with.
func TestCatalogDeclaredFieldsReachTheDecoder(t *testing.T) {
	c := &Catalog{}
	const name = "azure.auditlogs.properties.target_resources.0.display_name"
	r := &rule.Rule{Query: "FROM logs-azure.auditlogs-* | WHERE `" + name + "`" + ` == "x"`}
	if _, err := Compile(r, c, esql.Options{}); err != nil {
		t.Fatal(err)
	}
	if f, ok := c.DecoderMapping().Lookup(name); !ok || f.Type != doc.Keyword {
		t.Errorf("decoder %s = %+v", name, f)
	}
	r.Query = "FROM logs-azure.auditlogs-* | WHERE azure.auditlogs.properties.no_such_field == 1"
	if _, err := Compile(r, c, esql.Options{}); err == nil {
		t.Error("a name the mapping does not declare compiled")
	}
}
