package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeRule writes a one-rule folder for query.
func writeRule(t *testing.T, dir, query string) string {
	t.Helper()
	rules := filepath.Join(dir, "rules")
	os.MkdirAll(rules, 0o755)
	body := "[rule]\nrule_id = \"r\"\nname = \"r\"\ntype = \"esql\"\nseverity = \"low\"\nrisk_score = 1\nquery = '''\n" + query + "\n'''\n"
	if err := os.WriteFile(filepath.Join(rules, "r.toml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return rules
}

// Whether a rule compiles must not depend on where in the input the only
// event of its integration sits: the fields no mapping names are typed from
// the whole input (a shipped integration mapping needs no input at all).
func TestHuntCompileIndependentOfInputOrder(t *testing.T) {
	filler := make([]string, 20001) // more than any "first lines" read-ahead
	for i := range filler {
		filler[i] = fmt.Sprintf(`{"@timestamp":"2026-11-20T10:00:00Z","data_stream":{"type":"logs","dataset":"endpoint.events.process","namespace":"default"},"process":{"pid":%d}}`, i)
	}
	for _, c := range []struct {
		name, query, event, want string
	}{
		{"unmapped integration", `FROM logs-acme.audit-* | WHERE acme.action == "delete" | KEEP acme.user`,
			`{"@timestamp":"2026-11-20T10:00:00Z","data_stream":{"type":"logs","dataset":"acme.audit","namespace":"default"},"acme":{"action":"delete","user":"bob"}}`,
			`"acme.user":"bob"`},
		{"shipped integration", `FROM logs-aws.cloudtrail-* | WHERE aws.cloudtrail.user_identity.type == "Root" | KEEP aws.cloudtrail.user_identity.arn`,
			`{"@timestamp":"2026-11-20T10:00:00Z","data_stream":{"type":"logs","dataset":"aws.cloudtrail","namespace":"default"},"aws":{"cloudtrail":{"user_identity":{"type":"Root","arn":"arn:aws:iam::1:root"}}}}`,
			`"aws.cloudtrail.user_identity.arn":"arn:aws:iam::1:root"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			rules := writeRule(t, dir, c.query)
			for _, order := range []string{"first", "last"} {
				lines := append([]string{c.event}, filler...)
				if order == "last" {
					lines = append(append([]string(nil), filler...), c.event)
				}
				in := filepath.Join(dir, order+".ndjson")
				os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
				out, stderr, code := run(t, "", "hunt", "--now", "2026-11-20T11:00:00Z", "--rules", rules, in)
				if code != exitOK || strings.Count(out, "\n") != 1 || !strings.Contains(out, c.want) {
					t.Fatalf("event %s: exit %d, alerts:\n%s\nstderr:\n%s", order, code, out, stderr)
				}
			}
		})
	}
}

// --mapping takes several files and folders, each laid over the ones
// before; a rule over their fields compiles with no input at hand.
func TestHuntMappingFilesAndFolders(t *testing.T) {
	dir := t.TempDir()
	rules := writeRule(t, dir, `FROM logs-acme.audit-* | WHERE acme.count > 2 AND acme.user == "bob" | KEEP acme.user, acme.count`)
	folder := filepath.Join(dir, "mappings")
	os.MkdirAll(folder, 0o755)
	os.WriteFile(filepath.Join(folder, "a.json"), []byte(`{"logs-acme.audit-default":{"mappings":{"properties":{"acme":{"properties":{"count":{"type":"keyword"}}}}}}}`), 0o644)
	os.WriteFile(filepath.Join(folder, "b.json"), []byte(`{"properties":{"acme":{"properties":{"count":{"type":"long"}}}}}`), 0o644)
	user := filepath.Join(dir, "user.json")
	os.WriteFile(user, []byte(`{"mappings":{"properties":{"acme.user":{"type":"keyword"}}}}`), 0o644)
	in := filepath.Join(dir, "in.ndjson")
	// "3" as a string: only a long mapping (b.json over a.json) makes it compare as a number.
	os.WriteFile(in, []byte(`{"@timestamp":"2026-11-20T10:00:00Z","data_stream":{"type":"logs","dataset":"acme.audit","namespace":"default"},"acme":{"user":"bob","count":"3"}}`+"\n"), 0o644)
	out, stderr, code := run(t, "", "hunt", "--now", "2026-11-20T11:00:00Z", "--mapping", folder, "--mapping", user, "--rules", rules, in)
	if code != exitOK || !strings.Contains(out, `"acme.count":3`) {
		t.Fatalf("exit %d, alerts:\n%s\nstderr:\n%s", code, out, stderr)
	}
	empty := filepath.Join(dir, "empty")
	os.MkdirAll(empty, 0o755)
	if _, stderr, code := run(t, "", "hunt", "--mapping", empty, "--rules", rules, in); code != exitUsage || !strings.Contains(stderr, "no *.json file") {
		t.Errorf("empty mapping folder: exit %d: %s", code, stderr)
	}
}

// rules validate checks fields against --mapping too: a rule over an
// integration Vigil does not ship is valid once its mapping is given.
func TestValidateWithMapping(t *testing.T) {
	dir := t.TempDir()
	rules := writeRule(t, dir, `FROM logs-acme.audit-* | WHERE acme.count > 2 | KEEP acme.count`)
	if out, _, code := run(t, "", "rules", "validate", rules); code != exitUsage || !strings.Contains(out, "Unknown column [acme.count]") || !strings.Contains(out, "0 valid, 1 invalid") {
		t.Errorf("without the mapping: exit %d:\n%s", code, out)
	}
	m := filepath.Join(dir, "acme.json")
	os.WriteFile(m, []byte(`{"logs-acme.audit-default":{"mappings":{"properties":{"acme":{"properties":{"count":{"type":"long"}}}}}}}`), 0o644)
	if out, stderr, code := run(t, "", "rules", "validate", "--mapping", m, rules); code != exitOK || !strings.Contains(out, "1 valid, 0 invalid") {
		t.Errorf("with the mapping: exit %d:\n%s%s", code, out, stderr)
	}
}
