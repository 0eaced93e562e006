package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/klauspost/compress/gzip"
)

// DefaultChunkSize is how many bytes of whole lines a Chunk holds: big
// enough to amortise hand-offs between goroutines, small enough that a few
// per worker keep memory flat.
const DefaultChunkSize = 2 << 20

// Chunk is a run of whole lines from one file, cut at newline boundaries
// for parallel workers. Data is only valid until the chunk is released.
type Chunk struct {
	Seq       int    // 0-based position of the chunk in the whole read
	File      string // path, or "-" for stdin
	FirstLine int    // 1-based line number of Data's first line
	Data      []byte // whole lines; each ends in '\n' except perhaps a file's last

	buf []byte  // the pooled buffer Data lives in (nil for an oversize line), or a mapped chunk's pool token
	win *window // the mapping Data points into, for a chunk of a mapped file
}

// Lines calls fn for every non-blank line of c (without its line ending),
// with its line number, the way ReadFiles delivers them.
//
// For a chunk of a mapped file, a fault on its data (the file was truncated
// under the mapping) is reported as a Problem with ErrFileChanged through
// the reader's OnProblem, from this goroutine, and the chunk's remaining
// lines are dropped; without OnProblem it panics with that problem.
func (c *Chunk) Lines(fn func(num int, line []byte)) {
	data, num := c.Data, c.FirstLine
	if c.win != nil {
		// Touching a truncated mapping raises SIGBUS, which otherwise
		// kills the process; as a panic it can be told apart and reported.
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer c.win.recoverFault(c.File, &num)
	}
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var line []byte
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		for len(line) > 0 && (line[len(line)-1] == '\r' || line[len(line)-1] == '\n') {
			line = line[:len(line)-1]
		}
		if !blank(line) {
			fn(num, line)
		}
		num++
	}
}

func blank(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }

// ChunkPool hands out chunk buffers; at most n exist at once, which bounds
// the memory a read holds in flight.
type ChunkPool struct {
	size int
	free chan []byte
}

// NewChunkPool makes a pool of n buffers of size bytes, allocated lazily.
func NewChunkPool(n, size int) *ChunkPool {
	p := &ChunkPool{size: size, free: make(chan []byte, n)}
	for range n {
		p.free <- nil
	}
	return p
}

func (p *ChunkPool) get() []byte {
	b := <-p.free
	if b == nil {
		b = make([]byte, p.size)
	}
	return b
}

// Release returns a chunk's buffer to the pool; the chunk is unusable after.
func (p *ChunkPool) Release(c *Chunk) {
	if c.win != nil {
		c.win.release()
		c.win = nil
	}
	b := c.buf
	if cap(b) != p.size {
		b = nil // an oversize line's buffer is left to the GC
	}
	c.Data, c.buf = nil, nil
	p.free <- b[:cap(b)]
}

// Chunks reads files in order and calls fn with chunks of whole lines, in
// sequence. fn owns the chunk and must Release it to pool (it may do so
// later, from another goroutine); Chunks blocks while every buffer is out.
// Over-long lines are reported through OnProblem and left out. Stats.Bytes
// semantics (Consumed, OnProgress) are those of ReadFiles.
//
// Plain regular files are mapped into memory window by window where the
// system allows (see mapFile) and their chunks point into the mapping
// instead of a pool buffer, which saves copying every byte; the pool then
// only bounds how many chunks are out.
//
// As with ReadFiles, a damaged or unreadable file does not stop the read;
// the error returned joins one error per such file.
func (r *Reader) Chunks(files []string, pool *ChunkPool, fn func(*Chunk)) error {
	seq := 0
	var errs []error
	for _, f := range files {
		if err := r.chunkFile(f, pool, &seq, fn); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (r *Reader) chunkFile(name string, pool *ChunkPool, seq *int, fn func(*Chunk)) error {
	var in io.Reader
	if name == "-" {
		in = r.Stdin
		if in == nil {
			in = os.Stdin
		}
	} else {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		if mapped, err := r.mapFile(f, name, pool, seq, fn); mapped {
			return err
		}
		in = f
	}
	var src io.Reader = &countingReader{r: in, reader: r}
	// Sniff gzip from the first bytes without a second buffering layer.
	var head [2]byte
	n, err := io.ReadFull(src, head[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return fmt.Errorf("%s: %w", name, err)
	}
	src = io.MultiReader(bytes.NewReader(head[:n]), src)
	if n == 2 && head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(src)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer gz.Close()
		src = gz
	}

	line := 1         // line number of the next chunk's first line
	var carry []byte  // the start of a line cut by the previous buffer
	skipping := false // inside an over-long line, dropping bytes to its end
	for {
		buf := pool.get()
		if len(carry) >= len(buf)/2 {
			// A long line: read it into a private buffer (the pool's token
			// travels with it; Release drops the odd-sized buffer).
			buf = make([]byte, 2*len(carry)+len(buf))
		}
		fill := copy(buf, carry)
		carry = nil
		eof := false
		var readErr error
		for fill < len(buf) {
			m, err := src.Read(buf[fill:])
			fill += m
			if err != nil {
				// Deliver what was read before a failure (a truncated gzip
				// stream), like ReadFiles, then report it.
				eof, readErr = true, err
				if err == io.EOF {
					readErr = nil
				}
				break
			}
		}
		data := buf[:fill]
		if skipping {
			i := bytes.IndexByte(data, '\n')
			if i < 0 && !eof {
				pool.Release(&Chunk{buf: buf})
				continue
			}
			skipping = false
			if r.OnProblem != nil {
				r.OnProblem(Problem{File: name, Line: line, Err: ErrLineTooLong})
			}
			line++
			if i < 0 {
				data = data[:0]
			} else {
				data = data[i+1:]
			}
		}
		cut := len(data)
		if !eof {
			cut = bytes.LastIndexByte(data, '\n') + 1
		}
		if cut == 0 && !eof {
			// No line ends in the buffer: carry it over, or give up on the line.
			if len(data) > r.maxLine() {
				skipping = true
			} else {
				carry = append([]byte(nil), data...)
			}
			pool.Release(&Chunk{buf: buf})
			continue
		}
		if cut < len(data) {
			carry = append([]byte(nil), data[cut:]...)
		}
		if cut > 0 {
			c := &Chunk{Seq: *seq, File: name, FirstLine: line, Data: data[:cut], buf: buf}
			*seq++
			line += bytes.Count(c.Data, []byte{'\n'})
			fn(c)
		} else {
			pool.Release(&Chunk{buf: buf})
		}
		if readErr != nil {
			return fmt.Errorf("%s:%d: %w", name, line, readErr)
		}
		if eof && len(carry) == 0 {
			return nil
		}
	}
}
