package source

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func collect(t *testing.T, r *Reader, files []string) []Line {
	t.Helper()
	var out []Line
	err := r.ReadFiles(files, func(l Line) {
		out = append(out, Line{File: l.File, Num: l.Num, Bytes: append([]byte(nil), l.Bytes...)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReadPlainGzipDirStdin(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "a.ndjson")
	os.WriteFile(plain, []byte("{\"a\":1}\r\n\n  \n{\"a\":2}"), 0o644)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte("{\"b\":1}\n{\"b\":2}\n"))
	w.Close()
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "b.ndjson.gz"), gz.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, "sub", "notes.txt"), []byte("ignored"), 0o644)

	files, err := Expand([]string{dir, "-"})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 || !strings.HasSuffix(files[1], "b.ndjson.gz") || files[2] != "-" {
		t.Fatalf("Expand = %v", files)
	}
	r := &Reader{Stdin: strings.NewReader("{\"c\":1}\n")}
	got := collect(t, r, files)
	want := []struct {
		file string
		num  int
		text string
	}{{plain, 1, `{"a":1}`}, {plain, 4, `{"a":2}`}, {files[1], 1, `{"b":1}`}, {files[1], 2, `{"b":2}`}, {"-", 1, `{"c":1}`}}
	if len(got) != len(want) {
		t.Fatalf("got %d lines: %+v", len(got), got)
	}
	for i, w := range want {
		if got[i].File != w.file || got[i].Num != w.num || string(got[i].Bytes) != w.text {
			t.Errorf("line %d = %s:%d %q, want %s:%d %q", i, got[i].File, got[i].Num, got[i].Bytes, w.file, w.num, w.text)
		}
	}
	if r.Consumed() == 0 {
		t.Error("no bytes counted")
	}
}

func TestLongLines(t *testing.T) {
	big := strings.Repeat("x", 3<<20) // longer than the 1 MiB buffer, shorter than the limit
	r := &Reader{Stdin: strings.NewReader("{}\n" + big + "\n{\"after\":1}\n")}
	got := collect(t, r, []string{"-"})
	if len(got) != 3 || len(got[1].Bytes) != len(big) || string(got[2].Bytes) != `{"after":1}` || got[2].Num != 3 {
		t.Fatalf("long line not delivered intact: %d lines", len(got))
	}
}

func TestTruncatedGzipReportsPosition(t *testing.T) {
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(strings.Repeat("{\"a\":1}\n", 1000)))
	w.Close()
	dir := t.TempDir()
	f := filepath.Join(dir, "t.ndjson.gz")
	os.WriteFile(f, gz.Bytes()[:gz.Len()-10], 0o644)
	n := 0
	err := (&Reader{}).ReadFiles([]string{f}, func(Line) { n++ })
	if err == nil || !strings.Contains(err.Error(), "t.ndjson.gz:") {
		t.Fatalf("err = %v", err)
	}
	if n == 0 {
		t.Error("lines before the truncation were lost")
	}
}
