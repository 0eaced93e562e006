package store

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Entry is one spooled event: where it was sent and its raw JSON source.
type Entry struct {
	Index string
	ID    string
	Raw   []byte
	Time  int64 // event time (ms) the spool uses for pruning
}

// Spool is an append-only log of accepted events, in segment files. An
// event is spooled before its _bulk request is acknowledged, so after a
// crash replaying the spool rebuilds every window still open. Segments are
// dropped once every event in them is older than the engine's horizon.
type Spool struct {
	mu      sync.Mutex
	dir     string
	maxSeg  int64
	cur     *os.File
	curSeq  int
	curSize int64
	segs    map[int]int64 // seq → newest event time in it
	buf     []byte
}

// OpenSpool opens the spool in dir; maxSegment bytes per segment (0 = 64 MiB).
func OpenSpool(dir string, maxSegment int64) (*Spool, error) {
	if maxSegment <= 0 {
		maxSegment = 64 << 20
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	sp := &Spool{dir: dir, maxSeg: maxSegment, segs: map[int]int64{}}
	for _, seq := range sp.list() {
		sp.segs[seq] = 1<<63 - 1 // unknown until replayed
		sp.curSeq = max(sp.curSeq, seq)
	}
	return sp, nil
}

func (sp *Spool) list() []int {
	names, _ := filepath.Glob(filepath.Join(sp.dir, "seg-*.ndjson"))
	var out []int
	for _, n := range names {
		s := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(n), "seg-"), ".ndjson")
		if seq, err := strconv.Atoi(s); err == nil {
			out = append(out, seq)
		}
	}
	sort.Ints(out)
	return out
}

func (sp *Spool) path(seq int) string {
	return filepath.Join(sp.dir, fmt.Sprintf("seg-%08d.ndjson", seq))
}

// Append writes entries in one write call. Lines are
// "index"<TAB>"id"<TAB>raw, with index and id Go-quoted.
func (sp *Spool) Append(entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.cur == nil || sp.curSize >= sp.maxSeg {
		if err := sp.rotate(); err != nil {
			return err
		}
	}
	b := sp.buf[:0]
	newest := sp.segs[sp.curSeq]
	for _, e := range entries {
		b = strconv.AppendQuote(b, e.Index)
		b = append(b, '\t')
		b = strconv.AppendQuote(b, e.ID)
		b = append(b, '\t')
		b = append(b, e.Raw...)
		b = append(b, '\n')
		newest = max(newest, e.Time)
	}
	n, err := sp.cur.Write(b)
	sp.curSize += int64(n)
	sp.segs[sp.curSeq] = newest
	if cap(b) <= 4<<20 {
		sp.buf = b
	}
	return err
}

func (sp *Spool) rotate() error {
	if sp.cur != nil {
		sp.cur.Close()
	}
	sp.curSeq++
	f, err := os.OpenFile(sp.path(sp.curSeq), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	sp.cur, sp.curSize = f, 0
	sp.segs[sp.curSeq] = -1 << 63
	return nil
}

// Replay calls fn for every spooled entry, oldest segment first; fn returns
// the entry's event time, which the spool keeps for pruning. A torn last
// line (a crash mid-write) is skipped.
func (sp *Spool) Replay(fn func(Entry) int64) error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	for _, seq := range sp.list() {
		f, err := os.Open(sp.path(seq))
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 256<<20)
		newest := int64(-1 << 63)
		for sc.Scan() {
			e, ok := parseLine(sc.Bytes())
			if !ok {
				continue
			}
			newest = max(newest, fn(e))
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return fmt.Errorf("spool %s: %w", sp.path(seq), err)
		}
		sp.segs[seq] = newest
	}
	return nil
}

func parseLine(line []byte) (Entry, bool) {
	i := bytes.IndexByte(line, '\t')
	if i < 0 {
		return Entry{}, false
	}
	j := bytes.IndexByte(line[i+1:], '\t')
	if j < 0 {
		return Entry{}, false
	}
	index, err1 := strconv.Unquote(string(line[:i]))
	id, err2 := strconv.Unquote(string(line[i+1 : i+1+j]))
	if err1 != nil || err2 != nil {
		return Entry{}, false
	}
	return Entry{Index: index, ID: id, Raw: bytes.Clone(line[i+2+j:])}, true
}

// Prune deletes segments whose newest event is older than horizon (ms).
// The segment being written is closed first so it can go too.
func (sp *Spool) Prune(horizon int64) (removed int) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	for seq, newest := range sp.segs {
		if newest >= horizon || newest == -1<<63 {
			continue
		}
		if seq == sp.curSeq && sp.cur != nil {
			sp.cur.Close()
			sp.cur = nil
		}
		if os.Remove(sp.path(seq)) == nil {
			removed++
		}
		delete(sp.segs, seq)
	}
	return removed
}

// Segments is the number of segment files.
func (sp *Spool) Segments() int {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return len(sp.segs)
}

// Close syncs and closes the open segment.
func (sp *Spool) Close() error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.cur == nil {
		return nil
	}
	sp.cur.Sync()
	err := sp.cur.Close()
	sp.cur = nil
	return err
}

func quote(s string) string { return strconv.Quote(s) }
