package source

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"vigil/internal/doc"
)

// FilteredDocuments decodes only the lines keep passes: the others count
// as lines, not as events, and a malformed one it skips is no problem.
func TestFilteredDocuments(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.ndjson")
	data := "{\"a\":\"keep\",\"n\":1}\n{\"a\":\"skip\",\"n\":2}\n{bad keep\n{bad\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	keep := func(line []byte) bool { return bytes.Contains(line, []byte("keep")) }
	for _, c := range []struct {
		name                     string
		keep                     func([]byte) bool
		events, malformed, lines int64
	}{
		{"all", nil, 2, 2, 4},
		{"filtered", keep, 1, 1, 4},
	} {
		var got int64
		st, err := (&Reader{}).FilteredDocuments([]string{path}, doc.NewDecoder(nil, doc.DecodeOptions{Dynamic: true}), c.keep, func(*doc.Document) { got++ })
		if err != nil {
			t.Fatal(err)
		}
		if got != c.events || st.Events != c.events || st.Malformed != c.malformed || st.Lines != c.lines {
			t.Errorf("%s: %d documents, stats %+v; want %d events, %d malformed, %d lines", c.name, got, st, c.events, c.malformed, c.lines)
		}
	}
}
