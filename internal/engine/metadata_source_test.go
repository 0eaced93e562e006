package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/esql"
	"vigil/internal/rule"
)

// TestHuntSIPBruteForce hunts SIP events with Elastic's SIP REGISTER
// brute-force rule, which reads its SIP fields from METADATA _source with
// JSON_EXTRACT: twelve 401 responses to one client for one extension raise
// one alert, with and without the prefilter, on one and two threads; the
// same events nested under the other spelling the rule reads (sip.* in a
// search hit's _source) alert alike, and 200 responses do not.
func TestHuntSIPBruteForce(t *testing.T) {
	path := filepath.Join(prebuiltESQL, "rules__network__credential_access_potential_sip_register_brute_force.toml")
	r, err := rule.LoadFile(path)
	if os.IsNotExist(err) || err != nil && strings.Contains(err.Error(), "no such file") {
		t.Skip("shared rules absent")
	}
	if err != nil {
		t.Fatal(err)
	}
	cr, err := Compile(r, &Catalog{}, esql.Options{Now: huntNow})
	if err != nil {
		t.Fatal(err)
	}
	if !cr.Query.ReadsSource() {
		t.Fatal("the rule reads METADATA _source")
	}
	const ds = `"data_stream":{"type":"logs","dataset":"network_traffic.sip","namespace":"default"}`
	bare := func(i int, code string) string {
		return fmt.Sprintf(`{"@timestamp":"2026-11-20T10:00:%02dZ",%s,"client":{"ip":"10.0.0.5"},"server":{"ip":"10.0.0.1"},"network_traffic":{"sip":{"cseq":{"method":"REGISTER"},"type":"response","code":%s,"to":{"uri":{"username":"1001"}}}}}`, i, ds, code)
	}
	hit := func(i int, code string) string {
		return fmt.Sprintf(`{"_index":".ds-logs-network_traffic.sip-default-2026.11.20-000001","_id":"s%d","_source":{"@timestamp":"2026-11-20T11:00:%02dZ",%s,"client.ip":"10.0.0.6","server.ip":"10.0.0.1","sip":{"method":"REGISTER","type":"response","code":"%s","to":{"uri":{"username":"2002"}}}}}`, i, i, ds, code)
	}
	noise := `{"@timestamp":"2026-11-20T10:00:00Z","data_stream":{"type":"logs","dataset":"endpoint.events.process","namespace":"default"},"process":{"name":"sh"}}`
	cases := []struct {
		name   string
		lines  func(i int) string
		alerts int
	}{
		{"bare_401", func(i int) string { return bare(i, "401") }, 1},
		{"hit_407", func(i int) string { return hit(i, "407") }, 1},
		{"bare_200", func(i int) string { return bare(i, "200") }, 0},
	}
	for _, c := range cases {
		var b strings.Builder
		for i := range 12 {
			b.WriteString(noise + "\n" + c.lines(i) + "\n")
		}
		file := filepath.Join(t.TempDir(), "sip.ndjson")
		if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, threads := range []int{1, 2} {
			for _, pre := range []bool{false, true} {
				if pre {
					// Nothing the rule tests is a plain field match: no literal may be required.
					if o, err := NewSweep([]*CompiledRule{cr}).Options(&Catalog{}, huntMapping(), threads, true); err != nil || o.Prefilter != nil {
						t.Fatalf("prefilter derived for a rule reading _source: %v", err)
					}
					continue
				}
				out, _, _ := sweepFile(t, []*CompiledRule{cr}, file, threads, false, 0, 0)
				got := strings.Count(out, `"kibana.alert.rule.name"`)
				if got != c.alerts {
					t.Errorf("%s threads=%d prefilter=%v: %d alerts, want %d:\n%s", c.name, threads, pre, got, c.alerts, out)
				}
				if c.alerts > 0 && !strings.Contains(out, `"Esql.max_failures_per_extension":12`) {
					t.Errorf("%s: alert without the twelve failures:\n%s", c.name, out)
				}
			}
		}
	}
}
