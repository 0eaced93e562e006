package source

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type numbered struct {
	num  int
	line string
}

func viaReadFiles(t *testing.T, files []string) []numbered {
	t.Helper()
	var out []numbered
	if err := (&Reader{}).ReadFiles(files, func(l Line) { out = append(out, numbered{l.Num, string(l.Bytes)}) }); err != nil {
		t.Fatal(err)
	}
	return out
}

func viaChunks(t *testing.T, files []string, size int) ([]numbered, int) {
	t.Helper()
	var out []numbered
	pool := NewChunkPool(2, size)
	n := 0
	err := (&Reader{}).Chunks(files, pool, func(c *Chunk) {
		if c.Seq != n {
			t.Fatalf("chunk %d arrived as %d", c.Seq, n)
		}
		n++
		c.Lines(func(num int, line []byte) { out = append(out, numbered{num, string(line)}) })
		pool.Release(c)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, n
}

// TestChunksMatchReadFiles: whatever the chunk size, chunked reading yields
// the lines and line numbers ReadFiles does.
func TestChunksMatchReadFiles(t *testing.T) {
	dir := t.TempDir()
	var long strings.Builder
	for i := range 300 {
		fmt.Fprintf(&long, "%03d", i)
	}
	contents := map[string]string{
		"plain.ndjson":   "{\"a\":1}\n{\"a\":2}\n\n  \n{\"a\":3}\n",
		"crlf.ndjson":    "{\"a\":1}\r\n{\"a\":2}\r\n",
		"no-eol.ndjson":  "{\"a\":1}\n{\"a\":2}",
		"long.ndjson":    "{\"x\":\"" + long.String() + "\"}\n{\"a\":1}\n" + long.String() + "\n",
		"empty.ndjson":   "",
		"blank.ndjson":   "\n\n\n",
		"one-line.jsonl": long.String(),
	}
	var files []string
	for name, body := range contents {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(contents["long.ndjson"] + contents["plain.ndjson"]))
	zw.Close()
	gzPath := filepath.Join(dir, "z.ndjson.gz")
	os.WriteFile(gzPath, gz.Bytes(), 0o644)
	files = append(files, gzPath)

	want := viaReadFiles(t, files)
	for _, size := range []int{16, 17, 64, 1000, 1 << 20} {
		got, n := viaChunks(t, files, size)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("size %d: got %v\nwant %v", size, got, want)
		}
		if n == 0 {
			t.Errorf("size %d: no chunks", size)
		}
	}
}

func TestChunksMissingFile(t *testing.T) {
	err := (&Reader{}).Chunks([]string{filepath.Join(t.TempDir(), "nope.ndjson")}, NewChunkPool(1, 64), func(c *Chunk) {})
	if err == nil {
		t.Fatal("want an error for a missing file")
	}
}

// TestChunksTruncatedGzip: lines before a broken gzip stream are delivered,
// then the error is reported, as ReadFiles does.
func TestChunksTruncatedGzip(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	for i := range 2000 {
		fmt.Fprintf(zw, "{\"n\":%d,\"pad\":\"%s\"}\n", i, strings.Repeat("x", 50))
	}
	zw.Close()
	path := filepath.Join(t.TempDir(), "cut.ndjson.gz")
	os.WriteFile(path, gz.Bytes()[:gz.Len()-12], 0o644) // drop the trailer and some data
	var old []numbered
	oldErr := (&Reader{}).ReadFiles([]string{path}, func(l Line) { old = append(old, numbered{l.Num, string(l.Bytes)}) })
	var got []numbered
	pool := NewChunkPool(1, 4096)
	err := (&Reader{}).Chunks([]string{path}, pool, func(c *Chunk) {
		c.Lines(func(num int, line []byte) { got = append(got, numbered{num, string(line)}) })
		pool.Release(c)
	})
	if err == nil || oldErr == nil {
		t.Fatalf("want errors, got %v and %v", err, oldErr)
	}
	if fmt.Sprint(got) != fmt.Sprint(old) || len(got) == 0 {
		t.Errorf("chunked read delivered %d lines, ReadFiles %d", len(got), len(old))
	}
}

// FuzzChunks: for any bytes and chunk size, chunked reading yields the lines
// and numbers ReadFiles does.
func FuzzChunks(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n\n{\"b\":2}\r\n  \n{\"c\""), uint8(3))
	f.Add([]byte("x"), uint8(0))
	f.Add([]byte("\n\n\n"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, size uint8) {
		path := filepath.Join(t.TempDir(), "f.ndjson")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		want := viaReadFiles(t, []string{path})
		got, _ := viaChunks(t, []string{path}, 2+int(size))
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("size %d: got %v, want %v", 2+int(size), got, want)
		}
	})
}

// TestDamagedFilesDoNotStopTheRead: a truncated gzip, a file that is not
// gzip behind its magic bytes and a missing file among good ones: both
// readers deliver every good file's lines (and the truncated file's lines
// before the damage) and return one error per damaged file.
func TestDamagedFilesDoNotStopTheRead(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	for i := range 2000 {
		fmt.Fprintf(zw, "{\"n\":%d,\"pad\":\"%s\"}\n", i, strings.Repeat("x", 50))
	}
	zw.Close()
	files := map[string][]byte{
		"a.ndjson":    []byte("{\"a\":1}\n{\"a\":2}\n"),
		"b.ndjson.gz": gz.Bytes()[:gz.Len()-12],
		"c.ndjson.gz": {0x1f, 0x8b, 'n', 'o', 't'},
		"e.ndjson":    []byte("{\"e\":1}\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var paths []string
	for _, n := range []string{"a.ndjson", "b.ndjson.gz", "c.ndjson.gz", "d-missing.ndjson", "e.ndjson"} {
		paths = append(paths, filepath.Join(dir, n))
	}
	type line struct{ file, text string }
	readers := map[string]func(fn func(line)) error{
		"ReadFiles": func(fn func(line)) error {
			return (&Reader{}).ReadFiles(paths, func(l Line) { fn(line{filepath.Base(l.File), string(l.Bytes)}) })
		},
		"Chunks": func(fn func(line)) error {
			pool := NewChunkPool(2, 4096)
			return (&Reader{}).Chunks(paths, pool, func(c *Chunk) {
				c.Lines(func(_ int, l []byte) { fn(line{filepath.Base(c.File), string(l)}) })
				pool.Release(c)
			})
		},
	}
	for name, read := range readers {
		per := map[string]int{}
		var last line
		err := read(func(l line) { per[l.file]++; last = l })
		if per["a.ndjson"] != 2 || per["e.ndjson"] != 1 || per["b.ndjson.gz"] == 0 || last.file != "e.ndjson" {
			t.Errorf("%s: lines per file %v, last %v", name, per, last)
		}
		msg := fmt.Sprint(err)
		if strings.Count(msg, "\n") != 2 || !strings.Contains(msg, "b.ndjson.gz:") || !strings.Contains(msg, "c.ndjson.gz:") || !strings.Contains(msg, "d-missing.ndjson") {
			t.Errorf("%s: want one error per damaged file, got %v", name, err)
		}
	}
}
