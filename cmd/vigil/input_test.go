package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
