package source

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// chunkRead is everything a chunked read of one file shows a consumer.
type chunkRead struct {
	data     []byte   // the chunks' Data, concatenated
	each     []string // each chunk's Data
	first    []int    // per chunk: FirstLine
	before   []int    // per chunk: newlines in data before it
	lines    []numbered
	problems []Problem
	consumed int64
	chunks   int
}

// readChunks reads path in chunks of size bytes through r, releasing them in
// a shuffled order once all the pool's n buffers are out, as the parallel
// sweep may.
func readChunks(t *testing.T, r *Reader, path string, n, size int) chunkRead {
	t.Helper()
	var got chunkRead
	r.OnProblem = func(p Problem) { got.problems = append(got.problems, p) }
	pool := NewChunkPool(n, size)
	rng := rand.New(rand.NewSource(int64(size)))
	var held []*Chunk
	newlines := 0
	err := r.Chunks([]string{path}, pool, func(c *Chunk) {
		if c.Seq != got.chunks {
			t.Fatalf("chunk %d arrived as %d", c.Seq, got.chunks)
		}
		got.chunks++
		got.first = append(got.first, c.FirstLine)
		got.before = append(got.before, newlines)
		newlines += bytes.Count(c.Data, []byte{'\n'})
		got.data = append(got.data, c.Data...)
		got.each = append(got.each, string(c.Data))
		c.Lines(func(num int, line []byte) { got.lines = append(got.lines, numbered{num, string(line)}) })
		held = append(held, c)
		if len(held) == n {
			i := rng.Intn(n)
			pool.Release(held[i])
			held = slices.Delete(held, i, i+1)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	rng.Shuffle(len(held), func(i, j int) { held[i], held[j] = held[j], held[i] })
	for _, c := range held {
		pool.Release(c)
	}
	got.consumed = r.Consumed()
	return got
}

// TestMappedMatchesRead: chunks cut from mapped windows are the chunks read
// into buffers, with the same line numbers and problems, with lines across
// windows, lines longer than a window and over-long lines.
func TestMappedMatchesRead(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	line := func(n int) string { // n bytes of JSON-ish text without a newline
		var b strings.Builder
		b.WriteString(`{"n":"`)
		for b.Len() < n-2 {
			b.WriteByte(byte('a' + rng.Intn(26)))
		}
		b.WriteString(`"}`)
		return b.String()[:max(n, 0)]
	}
	lines := func(count, maxLen int) string {
		var b strings.Builder
		for range count {
			switch rng.Intn(20) {
			case 0:
				b.WriteString("\n") // blank
			case 1:
				b.WriteString("  \r\n")
			case 2:
				b.WriteString(line(1+rng.Intn(maxLen)) + "\r\n")
			default:
				b.WriteString(line(1+rng.Intn(maxLen)) + "\n")
			}
		}
		return b.String()
	}
	const (
		window = 4 << 10
		chunk  = 1 << 10
		limit  = 16 << 10 // longest line kept; a window is 4 KiB
	)
	page := os.Getpagesize()
	cases := []struct {
		name, body string
		problems   int // over-long lines
	}{
		{"empty", "", 0},
		{"only-newlines", "\n\n\r\n\n", 0},
		{"one-byte", "x", 0},
		{"no-trailing-newline", lines(300, 200) + line(150), 0},
		{"many-across-windows", lines(2000, 300), 0},
		{"short-lines", lines(5000, 10), 0},
		{"page-sized-lines", strings.Repeat(line(page-1)+"\n", 20), 0},
		{"newline-at-window-end", line(window-1) + "\n" + line(window-1) + "\n" + lines(50, 100), 0},
		{"line-longer-than-window", lines(100, 200) + line(3*window+17) + "\n" + lines(100, 200), 0},
		{"first-line-longer-than-window", line(3*window+100) + "\n" + lines(40, 100), 0},
		{"last-line-longer-than-window", lines(40, 100) + line(2*window+5), 0},
		{"line-at-limit", lines(10, 100) + line(limit) + "\n" + line(limit) + "\r\n" + lines(10, 100), 0},
		{"just-over-limit", lines(10, 100) + line(limit+1) + "\n" + line(limit+chunk) + "\r\n" + line(2*limit) + "\n" + lines(10, 100), 1},
		{"over-long-line", lines(100, 200) + line(8*limit) + "\n" + lines(100, 200), 1},
		{"over-long-crlf", lines(10, 200) + line(5*limit) + "\r\n" + lines(10, 200), 1},
		{"over-long-lines-in-a-row", line(4*limit) + "\n" + line(6*limit) + "\n\n" + lines(30, 300), 2},
		{"over-long-first-line", line(4*limit) + "\n" + lines(30, 300), 1},
		{"over-long-last-line", lines(30, 300) + line(4*limit) + "\n", 1},
		{"over-long-no-trailing-newline", lines(30, 300) + line(4*limit), 1},
		{"mixed", lines(500, 300) + line(limit-1) + "\n" + lines(500, 300) + line(6*limit) + "\n" + lines(500, 3000), 1},
	}
	dir := t.TempDir()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".ndjson")
			if err := os.WriteFile(path, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			want := readChunks(t, &Reader{maxLineBytes: limit, mapWindow: -1}, path, 3, chunk)
			for _, w := range []int{window, 3 * window, 64 << 10} {
				got := readChunks(t, &Reader{maxLineBytes: limit, mapWindow: w}, path, 3, chunk)
				if !bytes.Equal(got.data, want.data) {
					t.Errorf("window %d: data differs: %d bytes, want %d", w, len(got.data), len(want.data))
				}
				if !slices.Equal(got.each, want.each) || !slices.Equal(got.first, want.first) {
					t.Errorf("window %d: chunks differ: %d, want %d", w, len(got.each), len(want.each))
				}
				if i := firstDiff(got.lines, want.lines); i >= 0 {
					t.Errorf("window %d: %d lines, want %d; from line %d on they differ", w, len(got.lines), len(want.lines), i)
				}
				if fmt.Sprint(got.problems) != fmt.Sprint(want.problems) {
					t.Errorf("window %d: problems %v, want %v", w, got.problems, want.problems)
				}
				for _, r := range []chunkRead{want, got} {
					checkFirstLines(t, r)
				}
				if got.consumed != int64(len(tc.body)) || want.consumed != int64(len(tc.body)) {
					t.Errorf("window %d: consumed %d (read path %d), want %d", w, got.consumed, want.consumed, len(tc.body))
				}
				if len(tc.body) > 0 && got.chunks == 0 && len(want.lines) > 0 {
					t.Errorf("window %d: no chunks", w)
				}
			}
			if len(want.problems) != tc.problems {
				t.Errorf("%d problems, want %d: %v", len(want.problems), tc.problems, want.problems)
			}
		})
	}
}

// checkFirstLines: a chunk's FirstLine is one past the newlines handed out
// before it and the over-long lines skipped before it.
func checkFirstLines(t *testing.T, r chunkRead) {
	t.Helper()
	for i, f := range r.first {
		want := r.before[i] + 1
		for _, p := range r.problems {
			if p.Line < f {
				want++
			}
		}
		if f != want {
			t.Errorf("chunk %d: FirstLine %d, want %d", i, f, want)
		}
	}
}

func firstDiff(a, b []numbered) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// FuzzMappedChunks: for any bytes, chunk size, window size and line limit,
// mapped chunks are the chunks read into buffers.
func FuzzMappedChunks(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n\n{\"b\":2}\r\n  \n{\"c\""), uint8(3), uint8(0), uint8(1))
	f.Add(bytes.Repeat([]byte("0123456789abcdef\n"), 600), uint8(200), uint8(1), uint8(255))
	f.Add(append(bytes.Repeat([]byte("x"), 5000), '\n', 'y'), uint8(7), uint8(0), uint8(20))
	f.Fuzz(func(t *testing.T, data []byte, size, window, limit uint8) {
		path := filepath.Join(t.TempDir(), "f.ndjson")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		chunk, maxLine := 2+int(size), 1+16*int(limit)
		want := readChunks(t, &Reader{maxLineBytes: maxLine, mapWindow: -1}, path, 2, chunk)
		got := readChunks(t, &Reader{maxLineBytes: maxLine, mapWindow: (1 + int(window)%4) * os.Getpagesize()}, path, 2, chunk)
		if !slices.Equal(got.each, want.each) || !slices.Equal(got.first, want.first) ||
			fmt.Sprint(got.problems) != fmt.Sprint(want.problems) || got.consumed != want.consumed {
			t.Fatalf("chunk %d, limit %d: got %q %v %v %d\nwant %q %v %v %d", chunk, maxLine,
				got.each, got.first, got.problems, got.consumed, want.each, want.first, want.problems, want.consumed)
		}
	})
}
