package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// nestedEvents are Defend process events whose threat.enrichments (mapped
// nested in ECS, with indicator.file.pe.sections nested inside it) hold
// conditions on one object or split across two.
var nestedEvents = []string{
	`{"event":{"id":"n1"},"threat":{"enrichments":[{"matched":{"field":"source.ip"},"indicator":{"type":"url"}},{"matched":{"field":"url.full"},"indicator":{"type":"ipv4-addr"}}]}}`,
	`{"event":{"id":"n2"},"threat":{"enrichments":[{"matched":{"field":"source.ip"},"indicator":{"type":"ipv4-addr","file":{"pe":{"sections":[{"name":".text","entropy":8},{"name":".rsrc","entropy":2}]}}}}]}}`,
	`{"event":{"id":"n3"},"threat.enrichments":{"matched":{"field":"source.ip"}}}`,
	`{"event":{"id":"n4"},"process":{"name":"sh"}}`,
}

// TestHuntKQLNested: a query rule's nested KQL (`path:{ … }`) matches as
// Elasticsearch's nested query does — every condition on one object of the
// field, nested fields inside nested ones one `{ }` deeper, and nothing
// outside `{ }` — through vigil hunt, sweep and --replay.
func TestHuntKQLNested(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var lines []string
	for i, e := range nestedEvents {
		var m map[string]any
		if err := json.Unmarshal([]byte(e), &m); err != nil {
			t.Fatal(err)
		}
		m["@timestamp"] = now.Add(-time.Duration(5-i) * time.Minute).Format(time.RFC3339)
		m["data_stream"] = map[string]any{"type": "logs", "dataset": "endpoint.events.process", "namespace": "default"}
		m["event"].(map[string]any)["category"] = []string{"process"}
		b, _ := json.Marshal(m)
		lines = append(lines, string(b))
	}
	events := filepath.Join(dir, "events.ndjson")
	if err := os.WriteFile(events, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		query string
		want  []string
	}{
		{`threat.enrichments:{ matched.field:"source.ip" and indicator.type:"ipv4-addr" }`, []string{"n2"}},
		{`threat.enrichments:{ matched.field:"source.ip" and indicator.type:"url" }`, []string{"n1"}},
		{`threat.enrichments:{ matched.field:"url.full" and indicator.type:"url" }`, nil}, // split across n1's objects
		{`threat.enrichments:{ matched.field:source.ip }`, []string{"n1", "n2", "n3"}},
		{`threat.enrichments:{ matched.field:source.ip and not indicator.type:url }`, []string{"n2", "n3"}},
		{`not threat.enrichments:{ indicator.type:* }`, []string{"n3", "n4"}},
		{`threat.enrichments:{ indicator.file.pe.sections:{ name:".text" and entropy > 7 } }`, []string{"n2"}},
		{`threat.enrichments:{ indicator.file.pe.sections:{ name:".rsrc" and entropy > 7 } }`, nil},
		{`threat.enrichments.matched.field:source.ip`, nil}, // nested fields are no field of the event itself
	} {
		rule := filepath.Join(dir, fmt.Sprintf("rule%d.toml", i))
		toml := fmt.Sprintf(`[metadata]
creation_date = "2026/12/01"
[rule]
description = "nested"
from = "now-10m"
index = ["logs-*"]
language = "kuery"
name = "Nested %d"
risk_score = 21
rule_id = "nested-%d"
severity = "low"
type = "query"
query = '''%s'''
`, i, i, c.query)
		if err := os.WriteFile(rule, []byte(toml), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, mode := range []string{"sweep", "--replay"} {
			args := []string{"hunt", "--rules", rule, "--now", now.Format(time.RFC3339)}
			if mode != "sweep" {
				args = append(args, mode)
			}
			out, stderr, code := run(t, "", append(args, events)...)
			if code != exitOK {
				t.Fatalf("%s (%s): exit %d: %s", c.query, mode, code, stderr)
			}
			var got []string
			if strings.TrimSpace(out) != "" {
				for _, a := range decodeAlerts(t, out) {
					id, _ := a["event.id"].(string)
					got = append(got, id)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("%s (%s): alerts for %v, want %v\n%s", c.query, mode, got, c.want, stderr)
			}
		}
	}
}
