package source

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// mappings counts the process's mappings of path.
func mappings(t *testing.T, path string) int {
	t.Helper()
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skip(err)
	}
	n := 0
	for _, l := range strings.Split(string(maps), "\n") {
		if strings.HasSuffix(l, " "+path) {
			n++
		}
	}
	return n
}

func writeLines(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "{\"n\":%d,\"pad\":\"%s\"}\n", i, strings.Repeat("x", i%200))
	}
	path := filepath.Join(t.TempDir(), "f.ndjson")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMappedWindowsBounded: at most one window more than the pool has
// chunks is mapped at once, and none is left once every chunk is released.
func TestMappedWindowsBounded(t *testing.T) {
	path := writeLines(t, 5000) // ~0.6 MB: ~150 windows of 4 KiB
	const n = 4
	pool := NewChunkPool(n, 1<<10)
	var held []*Chunk
	peak, chunks := 0, 0
	r := &Reader{mapWindow: 4 << 10}
	err := r.Chunks([]string{path}, pool, func(c *Chunk) {
		if c.win == nil {
			t.Fatal("chunk not mapped")
		}
		chunks++
		held = append(held, c)
		peak = max(peak, mappings(t, path))
		if len(held) == n {
			pool.Release(held[n-1]) // out of order
			held = held[:n-1]
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range held {
		pool.Release(c)
	}
	if peak == 0 || peak > n+1 {
		t.Errorf("%d windows mapped at once, want 1 to %d", peak, n+1)
	}
	if m := mappings(t, path); m != 0 {
		t.Errorf("%d windows still mapped after every chunk was released", m)
	}
	if chunks < 500 {
		t.Errorf("only %d chunks", chunks)
	}
}

// TestMappedFallsBack: files that cannot be mapped (empty, sized 0 by
// /proc, FIFOs) are read as before.
func TestMappedFallsBack(t *testing.T) {
	for _, path := range []string{"/proc/self/mountinfo", "/proc/version"} {
		if _, err := os.Stat(path); err != nil {
			continue
		}
		want := viaReadFiles(t, []string{path})
		got, _ := viaChunks(t, []string{path}, 64)
		if path == "/proc/version" && fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", path, got, want)
		}
		if len(got) == 0 {
			t.Errorf("%s: no lines", path)
		}
	}

	fifo := filepath.Join(t.TempDir(), "fifo.ndjson")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString("{\"a\":1}\n\n{\"a\":2}")
		f.Close()
	}()
	got, _ := viaChunks(t, []string{fifo}, 16)
	if fmt.Sprint(got) != `[{1 {"a":1}} {3 {"a":2}}]` {
		t.Errorf("fifo: got %v", got)
	}
}

// TestMappedTruncatedWhileReading: a file that shrinks under the reader's
// window ends the read with ErrFileChanged instead of a crash (SIGBUS).
func TestMappedTruncatedWhileReading(t *testing.T) {
	path := writeLines(t, 2000)
	pool := NewChunkPool(2, 1<<10)
	chunks := 0
	err := (&Reader{mapWindow: 64 << 10}).Chunks([]string{path}, pool, func(c *Chunk) {
		if chunks == 0 {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}
		chunks++
		pool.Release(c)
	})
	if !errors.Is(err, ErrFileChanged) {
		t.Fatalf("got %v after %d chunks, want ErrFileChanged", err, chunks)
	}
	if m := mappings(t, path); m != 0 {
		t.Errorf("%d windows still mapped", m)
	}
}

// TestMappedTruncatedBeforeLines: a chunk whose pages vanished reports
// ErrFileChanged through OnProblem when its lines are read.
func TestMappedTruncatedBeforeLines(t *testing.T) {
	path := writeLines(t, 100)
	pool := NewChunkPool(1, 1<<20)
	var problems []Problem
	r := &Reader{OnProblem: func(p Problem) { problems = append(problems, p) }}
	var chunk *Chunk
	if err := r.Chunks([]string{path}, pool, func(c *Chunk) { chunk = c }); err != nil {
		t.Fatal(err)
	}
	if chunk == nil || chunk.win == nil {
		t.Fatal("no mapped chunk")
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	lines := 0
	chunk.Lines(func(int, []byte) { lines++ })
	pool.Release(chunk)
	if lines != 0 || len(problems) != 1 || !errors.Is(problems[0].Err, ErrFileChanged) || problems[0].Line != 1 {
		t.Errorf("got %d lines and problems %v, want none and one ErrFileChanged at line 1", lines, problems)
	}
}
