package source

import (
	"bytes"
	"fmt"
	"os"
	"runtime/debug"
	"syscall"
)

// defaultWindow is how much of a file one mapping spans: a few chunks, so
// mapping costs little per byte, while the pages of the two or three windows
// mapped at once (they count in the process's RSS) stay a few tens of MiB.
const defaultWindow = 8 << 20

// mapFile cuts f, a plain file opened for name, into chunks that point into
// read-only mappings of it, a window at a time, so its bytes are never
// copied. mapped is false, with nothing consumed, when f is not a non-empty
// regular file, is gzip or cannot be mapped: the caller then reads it.
//
// It cuts the chunks the read path in chunkFile cuts, byte for byte: each
// is what that path's buffer would hold (a pool buffer, or a bigger one
// for a long carried line) up to its last newline, and over-long lines are
// skipped and reported at the same points. Consumed advances the same way.
// So results never depend on which path read a file (the sweep closes
// windows every few chunks). A window holds whole buffers: when the next
// one would run past its end, the next window starts at the page holding
// the carried line's start.
//
// The file is read to the size it has on entry. If it shrinks meanwhile,
// touching its vanished pages faults: here that ends the read with
// ErrFileChanged; in a consumer, Chunk.Lines reports it (see there).
func (r *Reader) mapFile(f *os.File, name string, pool *ChunkPool, seq *int, fn func(*Chunk)) (mapped bool, err error) {
	if r.mapWindow < 0 {
		return false, nil
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() <= 0 {
		return false, nil
	}
	var head [2]byte
	if n, _ := f.ReadAt(head[:], 0); n == 2 && head[0] == 0x1f && head[1] == 0x8b {
		return false, nil
	}
	size := st.Size()
	page := int64(os.Getpagesize())
	span := int64(r.mapWindow)
	if span <= 0 {
		span = defaultWindow
	}
	span = (span + page - 1) &^ (page - 1)
	bufSize, maxLine := int64(pool.size), int64(r.maxLine())
	report := r.OnProblem

	var (
		cur    *window // the window being read
		curOff int64   // the file offset it starts at
		pos    int64   // the next chunk's start
		fill   int64   // how far the read path would have read: [pos, fill) is its carry
		line   = 1     // the next chunk's first line number
	)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if v := recover(); v != nil {
			if cur == nil || !cur.faulted(v) {
				panic(v)
			}
			mapped, err = true, fmt.Errorf("%s:%d: %w", name, line, ErrFileChanged)
		}
		if cur != nil {
			cur.release()
		}
	}()
	// view returns the file's bytes [lo, hi), mapping a new window unless
	// the current one holds them.
	view := func(lo, hi int64) ([]byte, error) {
		if lo == hi {
			return nil, nil
		}
		if cur == nil || lo < curOff || hi > curOff+int64(len(cur.mem)) {
			if cur != nil {
				cur.release()
				cur = nil
			}
			off := lo &^ (page - 1)
			n := min(max(span, (hi-off+page-1)&^(page-1)), size-off)
			mem, err := syscall.Mmap(int(f.Fd()), off, int(n), syscall.PROT_READ, syscall.MAP_SHARED)
			if err != nil {
				return nil, err
			}
			cur, curOff = &window{mem: mem, report: report}, off
			cur.refs.Store(1)
		}
		return cur.mem[lo-curOff : hi-curOff : hi-curOff], nil
	}
	advance := func(to int64) {
		if to > fill {
			r.consumed += to - fill
			fill = to
			if r.OnProgress != nil {
				r.OnProgress(r.consumed)
			}
		}
	}
	tooLong := func() {
		if report != nil {
			report(Problem{File: name, Line: line, Err: ErrLineTooLong})
		}
		line++
	}

	skipping := false // inside an over-long line; its start is dropped
	for {
		// The read path's next buffer: the carry plus fresh bytes.
		n := bufSize
		if carry := fill - pos; carry >= bufSize/2 {
			n = 2*carry + bufSize
		}
		end, eof := min(pos+n, size), pos+n > size
		if skipping {
			// That path drops buffers until one holds the line's end, then
			// goes on with the rest of that buffer.
			nl := int64(-1)
			for lo := fill; lo < size && nl < 0; {
				hi := min(lo&^(page-1)+span, size)
				data, err := view(lo, hi)
				if err != nil {
					return true, fmt.Errorf("%s: %w", name, err)
				}
				if i := bytes.IndexByte(data, '\n'); i >= 0 {
					nl = lo + int64(i)
				}
				lo = hi
			}
			tooLong()
			if nl < 0 {
				advance(size)
				return true, nil
			}
			bufEnd := fill + ((nl-fill)/bufSize+1)*bufSize
			pos, end, eof = nl+1, min(bufEnd, size), bufEnd > size
			skipping = false
		}
		data, err := view(pos, end)
		if err != nil {
			if fill == 0 {
				return false, nil // nothing read yet: the read path takes over
			}
			return true, fmt.Errorf("%s: %w", name, err)
		}
		advance(end)
		cut := len(data)
		if !eof {
			cut = bytes.LastIndexByte(data, '\n') + 1
		}
		if cut == 0 && !eof {
			// No line ends in the buffer: carry it, or give up on the line.
			if int64(len(data)) > maxLine {
				skipping, pos = true, fill
			}
			continue
		}
		if cut > 0 {
			data = data[:cut:cut] // no append can write to the mapping
			first := line
			line += bytes.Count(data, []byte{'\n'})
			c := &Chunk{Seq: *seq, File: name, FirstLine: first, Data: data, buf: <-pool.free, win: cur}
			cur.refs.Add(1)
			*seq++
			fn(c)
		}
		pos += int64(cut)
		if eof {
			return true, nil
		}
	}
}

func unmap(mem []byte) { syscall.Munmap(mem) }
