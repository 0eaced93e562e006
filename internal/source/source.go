// Package source owns reading events from files: NDJSON lines from plain or
// gzip files, directories (recursively) and stdin, with each line's origin
// (file:line) kept for error reports. It yields raw lines; decoding them into
// documents is the caller's job, so a malformed line never stops a read.
package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// MaxLineBytes bounds one NDJSON line; a longer line is reported as malformed
// and skipped, so one runaway record cannot exhaust memory.
const MaxLineBytes = 64 << 20

// Line is one record and where it came from. Bytes is only valid until the
// next call of the reader's callback returns.
type Line struct {
	File  string // path, or "-" for stdin
	Num   int    // 1-based line number within File
	Bytes []byte // without the trailing newline
}

// ErrLineTooLong is reported (via Problem) for lines over MaxLineBytes.
var ErrLineTooLong = errors.New("line longer than 64 MiB")

// Problem is a line that could not be read as a record.
type Problem struct {
	File string
	Line int
	Err  error
}

func (p Problem) Error() string { return fmt.Sprintf("%s:%d: %v", p.File, p.Line, p.Err) }

// Reader walks inputs in order and calls back for every non-blank line.
type Reader struct {
	Stdin io.Reader // used for "-"; os.Stdin when nil
	// OnProgress, when set, is told how many input bytes (compressed bytes
	// for .gz files) have been consumed so far, after each buffer fill.
	OnProgress func(n int64)
	// OnProblem, when set, is told about unreadable lines; reading continues.
	OnProblem func(Problem)
	// MaxLines, when positive, stops reading each file after that many
	// lines (a look at the head of each input, e.g. to infer field types).
	MaxLines int

	consumed int64
	// Test knobs, zero for the defaults: the longest line kept
	// (MaxLineBytes), and the bytes a mapped window spans (defaultWindow;
	// negative: never map, always read).
	maxLineBytes, mapWindow int
}

func (r *Reader) maxLine() int {
	if r.maxLineBytes > 0 {
		return r.maxLineBytes
	}
	return MaxLineBytes
}

// Expand turns paths into the list of files to read: directories are walked
// recursively for *.ndjson, *.json, *.jsonl and their .gz forms, in name order;
// "-" stays as stdin.
func Expand(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		if p == "-" {
			out = append(out, p)
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		var files []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && isEventFile(path) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		out = append(out, files...)
	}
	return out, nil
}

func isEventFile(path string) bool {
	path = strings.TrimSuffix(path, ".gz")
	for _, ext := range []string{".ndjson", ".jsonl", ".json"} {
		if strings.HasSuffix(path, ext) {
			return true
		}
	}
	return false
}

// TotalSize sums the on-disk sizes of files (stdin counts as 0), for progress bars.
func TotalSize(files []string) int64 {
	var n int64
	for _, f := range files {
		if f == "-" {
			continue
		}
		if st, err := os.Stat(f); err == nil {
			n += st.Size()
		}
	}
	return n
}

// ReadFiles reads every file in order, calling fn for each non-blank line.
// A file that cannot be opened or read to its end (a truncated gzip stream:
// its lines before the damage are delivered) does not stop the read: the
// other files are still read, and the error returned joins (errors.Join)
// one error per damaged file, naming it.
func (r *Reader) ReadFiles(files []string, fn func(Line)) error {
	var errs []error
	for _, f := range files {
		if err := r.readFile(f, fn); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (r *Reader) readFile(name string, fn func(Line)) error {
	var in io.Reader
	if name == "-" {
		in = r.Stdin
		if in == nil {
			in = os.Stdin
		}
	} else {
		f, err := os.Open(name)
		if err != nil {
			return err // *fs.PathError: names the file
		}
		defer f.Close()
		in = f
	}
	counted := &countingReader{r: in, reader: r}
	br := bufio.NewReaderSize(counted, 1<<20)
	var src io.Reader = br
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer gz.Close()
		src = gz
	}
	return r.scan(name, src, fn)
}

// scan splits src into lines without copying complete lines out of the buffer.
func (r *Reader) scan(name string, src io.Reader, fn func(Line)) error {
	br, ok := src.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(src, 1<<20)
	}
	var long []byte // accumulates a line longer than the buffer
	inLong, tooLong := false, false
	num := 0
	for {
		chunk, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			inLong = true
			if !tooLong {
				long = append(long, chunk...)
				if len(long) > r.maxLine() {
					tooLong, long = true, nil
				}
			}
			continue
		}
		if len(chunk) > 0 || inLong {
			num++
			line := chunk
			if inLong && !tooLong {
				long = append(long, chunk...)
				line = long
			}
			line = bytes.TrimRight(line, "\r\n")
			switch {
			case tooLong:
				if r.OnProblem != nil {
					r.OnProblem(Problem{File: name, Line: num, Err: ErrLineTooLong})
				}
			case len(bytes.TrimSpace(line)) > 0:
				fn(Line{File: name, Num: num, Bytes: line})
			}
			long, inLong, tooLong = long[:0], false, false
			if cap(long) > 4<<20 {
				long = nil // do not pin a huge buffer for the rest of the file
			}
		}
		if err == io.EOF || (r.MaxLines > 0 && num >= r.MaxLines) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, num+1, err)
		}
	}
}

type countingReader struct {
	r      io.Reader
	reader *Reader
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.reader.consumed += int64(n)
	if c.reader.OnProgress != nil && n > 0 {
		c.reader.OnProgress(c.reader.consumed)
	}
	return n, err
}

// Consumed is the number of input bytes read so far.
func (r *Reader) Consumed() int64 { return r.consumed }
