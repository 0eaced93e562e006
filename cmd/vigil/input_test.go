package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"vigil/internal/doc"
)

// A damaged file in an input folder (a truncated gzip, sorted first) is
// reported, the files after it are still read, and exit status 3 tells CI
// that something was not read.
func TestHuntReadsPastDamagedInput(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Repeat(`{"@timestamp":"2026-11-20T09:00:00Z","host":{"name":"x"}}`+"\n", 500)))
	zw.Close()
	cut := filepath.Join(dir, "a-cut.ndjson.gz")
	os.WriteFile(cut, gz.Bytes()[:gz.Len()/2], 0o644)
	sample, err := os.ReadFile(sampleData)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "b-sample.ndjson.gz"), sample, 0o644)
	out, stderr, code := run(t, "", "hunt", "--now", "2026-11-20T11:00:00Z", dir)
	if code != exitInput {
		t.Errorf("exit %d, want %d", code, exitInput)
	}
	if n := strings.Count(out, "\n"); n != 4 {
		t.Errorf("%d alerts, want the sample's 4", n)
	}
	if !strings.Contains(stderr, "error: "+cut+":") || !strings.Contains(stderr, "877 matched its filter, 4 alerts") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// Acceptance 4 of issue 13: a non-aggregating rule that keeps _id over bare
// ECS lines raises one alert per matching event, with the same ids on one
// and two threads and across runs (ids are doc.AutoID of each line).
func TestHuntGivesBareEventsIDs(t *testing.T) {
	dir := t.TempDir()
	ruleFile := filepath.Join(dir, "r.toml")
	os.WriteFile(ruleFile, []byte("[rule]\nrule_id = \"ids\"\nname = \"sh\"\ntype = \"esql\"\nseverity = \"low\"\nrisk_score = 1\nquery = '''\n"+
		"FROM logs-* METADATA _id\n| WHERE process.name == \"sh\"\n| KEEP _id, process.name, host.name\n'''\n"), 0o644)
	var in strings.Builder
	var want []string
	for i := range 400 {
		name := "bash"
		if i%80 == 7 {
			name = "sh"
		}
		line := fmt.Sprintf(`{"@timestamp":"2026-11-20T10:%02d:%02dZ","data_stream":{"type":"logs","dataset":"x","namespace":"default"},"process":{"name":%q},"host":{"name":"h%d"}}`, i/60, i%60, name, i)
		if name == "sh" {
			want = append(want, doc.AutoID([]byte(line)))
		}
		in.WriteString(line + "\n")
	}
	input := filepath.Join(dir, "in.ndjson")
	os.WriteFile(input, []byte(in.String()), 0o644)
	slices.Sort(want)
	ids := func(threads string) []string {
		out, stderr, code := run(t, "", "hunt", "--rules", ruleFile, "--now", "2026-11-20T11:00:00Z", "--threads", threads, "--chunk-size", "1024", input)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var a map[string]any
			if err := json.Unmarshal([]byte(l), &a); err != nil {
				t.Fatal(err)
			}
			anc, _ := a["kibana.alert.ancestors"].([]any)
			if len(anc) != 1 {
				t.Fatalf("ancestors %v", a["kibana.alert.ancestors"])
			}
			got = append(got, fmt.Sprint(anc[0].(map[string]any)["id"]))
		}
		slices.Sort(got)
		return got
	}
	one, two, again := ids("1"), ids("2"), ids("2")
	if len(want) != 5 || !slices.Equal(one, want) || !slices.Equal(two, want) || !slices.Equal(again, want) {
		t.Errorf("ids:\n want %v\n 1 thread %v\n 2 threads %v\n again %v", want, one, two, again)
	}
	out, stderr, code := run(t, "", "query", "--format", "csv", "FROM logs-* METADATA _id | WHERE process.name == \"sh\" | KEEP _id | SORT _id", input)
	if code != exitOK || out != "_id\n"+strings.Join(want, "\n")+"\n" {
		t.Errorf("vigil query: exit %d, %s%s", code, out, stderr)
	}
}
