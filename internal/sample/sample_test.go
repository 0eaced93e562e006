package sample

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestGenerateDeterministicAndValid(t *testing.T) {
	var a, b bytes.Buffer
	n, err := Generate(&a, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(&b, DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same seed gave different output")
	}
	lines := bytes.Split(bytes.TrimSpace(a.Bytes()), []byte("\n"))
	if len(lines) != n || n < 1000 {
		t.Fatalf("%d lines for %d events", len(lines), n)
	}
	prev := ""
	for i, l := range lines {
		var d struct {
			TS string `json:"@timestamp"`
		}
		if err := json.Unmarshal(l, &d); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if d.TS < prev {
			t.Fatalf("line %d: out of time order", i+1)
		}
		prev = d.TS
	}
}

// The bundled data set must be exactly what the generator makes, so the
// README's quick start, the golden alerts and the generator never drift apart.
func TestBundledSampleIsGenerated(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "examples", "sample-events.ndjson.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if _, err := Generate(&want, DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatal("examples/sample-events.ndjson.gz is stale: regenerate it with `go run ./cmd/vigil sample -o examples/sample-events.ndjson.gz`")
	}
}
