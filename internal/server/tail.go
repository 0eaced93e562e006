package server

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"time"
)

// tail follows an NDJSON file like `tail -F`: it starts at the end of the
// file present at start-up, reads lines as they are appended, and when the
// file is replaced (rotation: a new inode) or truncated, reads the new file
// from its start. Complete lines only; a partial last line waits.
func (s *Server) tail(path string) {
	var f *os.File
	var pos int64
	var pending []byte
	open := func(fromEnd bool) {
		nf, err := os.Open(path)
		if err != nil {
			return
		}
		if f != nil {
			f.Close()
		}
		f, pos, pending = nf, 0, nil
		if fromEnd {
			pos, _ = f.Seek(0, io.SeekEnd)
		}
	}
	open(true)
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	buf := make([]byte, 1<<20)
	poll := time.NewTicker(200 * time.Millisecond)
	defer poll.Stop()
	for {
		if f != nil {
			for {
				n, err := f.Read(buf)
				if n > 0 {
					pos += int64(n)
					pending = append(pending, buf[:n]...)
					if i := bytes.LastIndexByte(pending, '\n'); i >= 0 {
						s.ingestRetrying(pending[:i+1], "tail "+path)
						pending = append(pending[:0], pending[i+1:]...)
					}
				}
				if err != nil || n == 0 {
					break
				}
			}
			// Rotated or truncated?
			if st, err := os.Stat(path); err == nil {
				cur, _ := f.Stat()
				if !os.SameFile(st, cur) {
					open(false)
					continue
				}
				if st.Size() < pos {
					open(false)
					continue
				}
			}
		} else {
			open(false)
		}
		select {
		case <-s.stop:
			return
		case <-poll.C:
		}
	}
}

// readStream ingests NDJSON from r (stdin) until EOF, in batches.
func (s *Server) readStream(r io.Reader, name string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var chunk []byte
	flush := func() {
		if len(chunk) > 0 {
			s.ingestRetrying(chunk, name)
			chunk = chunk[:0]
		}
	}
	lines := 0
	for sc.Scan() {
		chunk = append(append(chunk, sc.Bytes()...), '\n')
		if lines++; lines%1000 == 0 {
			flush()
		}
		select {
		case <-s.stop:
			return
		default:
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		s.log.Error("input failed", "input", name, "err", err)
	}
}

// ingestRetrying enqueues lines from an internal input, waiting out a full
// queue instead of dropping: a file can be re-read, a 429 cannot be sent.
func (s *Server) ingestRetrying(lines []byte, name string) {
	delay := 10 * time.Millisecond
	for {
		res, err := s.ingestLines(bytes.Clone(lines), "", nil)
		if err == nil {
			if res.Malformed > 0 {
				s.log.Warn("malformed events", "input", name, "count", res.Malformed, "first", res.Errors[0])
			}
			return
		}
		if !errors.Is(err, errQueueFull) {
			s.log.Error("input refused", "input", name, "err", err)
			return
		}
		select {
		case <-s.stop:
			return
		case <-time.After(delay):
			delay = min(delay*2, time.Second)
		}
	}
}
