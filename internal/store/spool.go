package store

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Entry is one spooled event: where it was sent and its raw JSON source.
type Entry struct {
	Index string
	ID    string
	Raw   []byte
	Time  int64 // event time (ms) the spool uses for pruning
	Pos   Pos   // where the entry ends (Replay and Scan set it)
}

// Pos is a place in the spool: a segment and a byte offset in it. Entries
// are ordered by Pos in the order they were appended.
type Pos struct {
	Seg int   `json:"seg"`
	Off int64 `json:"off"`
}

// Before reports whether p comes before q.
func (p Pos) Before(q Pos) bool { return p.Seg < q.Seg || p.Seg == q.Seg && p.Off < q.Off }

// segTimes is the event-time range of a segment's entries.
type segTimes struct{ oldest, newest int64 }

const (
	minTime = -1 << 63
	maxTime = 1<<63 - 1
)

// Spool is an append-only log of accepted events, in segment files. An
// event is spooled before its _bulk request is acknowledged, so after a
// crash replaying the spool rebuilds every window still open; with Sync
// before the acknowledgement (durability "request") it survives an OS
// crash too. Segments are dropped once every event in them is older than
// the engine's horizon.
type Spool struct {
	mu      sync.Mutex
	dir     string
	maxSeg  int64
	create  func(path string) (SegmentFile, error)
	cur     SegmentFile
	curSeq  int
	curSize int64
	segs    map[int]segTimes
	buf     []byte
	// retired are segments rotated or pruned away but not yet synced: Sync
	// syncs and closes them (so a rotation never loses an unsynced tail and
	// never closes a file a Sync is flushing).
	retired []SegmentFile

	syncMu sync.Mutex // one fsync at a time; waiters share the next one
	synced Pos        // every entry before it is on stable storage
	stopBg chan struct{}
	bgDone chan struct{}
}

// SegmentFile is what the spool writes a segment through: an *os.File, or
// in tests a double that records what was synced.
type SegmentFile interface {
	Write([]byte) (int, error)
	Sync() error
	Close() error
}

// SpoolOptions configure OpenSpool.
type SpoolOptions struct {
	MaxSegment int64 // bytes per segment (0 = 64 MiB)
	// SyncEvery > 0 fsyncs the open segment that often in the background
	// (durability "async"); callers then need not call Sync.
	SyncEvery time.Duration
	// Create opens a new segment file for appending (nil: os.OpenFile,
	// mode 0600).
	Create func(path string) (SegmentFile, error)
}

// OpenSpool opens the spool in dir (created 0700: events hold command
// lines and other secrets).
func OpenSpool(dir string, o SpoolOptions) (*Spool, error) {
	if o.MaxSegment <= 0 {
		o.MaxSegment = 64 << 20
	}
	if o.Create == nil {
		o.Create = func(path string) (SegmentFile, error) {
			return os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	os.Chmod(dir, 0o700) // tighten a directory an older version created
	sp := &Spool{dir: dir, maxSeg: o.MaxSegment, create: o.Create, segs: map[int]segTimes{}}
	for _, seq := range sp.list() {
		sp.segs[seq] = segTimes{minTime, maxTime} // unknown until replayed
		sp.curSeq = max(sp.curSeq, seq)
		os.Chmod(sp.path(seq), 0o600)
	}
	sp.synced = sp.end()
	if o.SyncEvery > 0 {
		sp.stopBg, sp.bgDone = make(chan struct{}), make(chan struct{})
		go sp.syncLoop(o.SyncEvery)
	}
	return sp, nil
}

func (sp *Spool) syncLoop(every time.Duration) {
	defer close(sp.bgDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-sp.stopBg:
			return
		case <-t.C:
			sp.Sync(sp.End())
		}
	}
}

// Sync returns once every entry before p is on stable storage. Concurrent
// callers share fsyncs (group commit): one fsync covers every append made
// before it started, so a caller whose entries it covered returns without
// another.
func (sp *Spool) Sync(p Pos) error {
	sp.syncMu.Lock()
	defer sp.syncMu.Unlock()
	if !sp.synced.Before(p) {
		return nil
	}
	sp.mu.Lock()
	cur, retired, end := sp.cur, sp.retired, sp.end()
	sp.retired = nil
	sp.mu.Unlock()
	var err error
	for _, f := range retired {
		if e := f.Sync(); e != nil && err == nil {
			err = e
		}
		f.Close()
	}
	if cur != nil {
		if e := cur.Sync(); e != nil && err == nil {
			err = e
		}
	}
	if err != nil {
		return fmt.Errorf("spool sync: %w", err)
	}
	sp.synced = end
	return nil
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

// Append writes entries in one write call and returns the position after
// them (with no entries: End). Lines are "index"<TAB>"id"<TAB>time<TAB>raw,
// with index and id Go-quoted and time the entry's event time in decimal
// ms (so Scan filters by time without decoding events); lines written
// before time was kept ("index"<TAB>"id"<TAB>raw) still read.
func (sp *Spool) Append(entries []Entry) (Pos, error) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if len(entries) == 0 {
		return sp.end(), nil
	}
	if sp.cur == nil || sp.curSize >= sp.maxSeg {
		if err := sp.rotate(); err != nil {
			return Pos{}, err
		}
	}
	b := sp.buf[:0]
	times := sp.segs[sp.curSeq]
	for _, e := range entries {
		b = appendLine(b, e)
		times.oldest, times.newest = min(times.oldest, e.Time), max(times.newest, e.Time)
	}
	n, err := sp.cur.Write(b)
	sp.curSize += int64(n)
	sp.segs[sp.curSeq] = times
	if cap(b) <= 4<<20 {
		sp.buf = b
	}
	return Pos{sp.curSeq, sp.curSize}, err
}

// End is the position after every entry.
func (sp *Spool) End() Pos {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.end()
}

func (sp *Spool) end() Pos {
	if sp.cur == nil { // the next append opens a new segment
		return Pos{sp.curSeq + 1, 0}
	}
	return Pos{sp.curSeq, sp.curSize}
}

func (sp *Spool) rotate() error {
	if sp.cur != nil {
		sp.retired = append(sp.retired, sp.cur)
		sp.cur = nil
	}
	sp.curSeq++
	f, err := sp.create(sp.path(sp.curSeq))
	if err != nil {
		return err
	}
	sp.cur, sp.curSize = f, 0
	sp.segs[sp.curSeq] = segTimes{maxTime, minTime}
	return nil
}

// Replay calls fn for the spooled entries, oldest segment first, that
// keep (nil: all) accepts given their event time (minTime when the line
// does not carry it: those are always replayed) and position — skipped
// entries cost no copy and no decoding. fn returns the entry's event time,
// which (with the times lines carry) the spool keeps for pruning and Scan.
// A torn last line (a crash mid-write) is skipped.
func (sp *Spool) Replay(keep func(t int64, p Pos) bool, fn func(Entry) int64) error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	for _, seq := range sp.list() {
		times := segTimes{maxTime, minTime}
		note := func(t int64) {
			if t != minTime {
				times.oldest, times.newest = min(times.oldest, t), max(times.newest, t)
			}
		}
		err := sp.read(seq, -1, func(t int64, p Pos) bool {
			note(t)
			return keep == nil || t == minTime || keep(t, p)
		}, func(e Entry) {
			if t := fn(e); e.Time == minTime {
				note(t)
			}
		})
		if err != nil {
			return err
		}
		if times.newest == minTime {
			times.newest = minTime + 1 // no timed entry: prunable
		}
		sp.segs[seq] = times
	}
	return nil
}

// Scan calls fn for the entries before until whose event times may lie in
// [from, to] (ms): segments and entries outside are skipped (entries whose
// time is not known are not). It does not block Append (appends go past
// until), and must not run concurrently with Prune.
func (sp *Spool) Scan(until Pos, from, to int64, fn func(Entry)) error {
	sp.mu.Lock()
	var seqs []int
	for seq, t := range sp.segs {
		if seq <= until.Seg && t.newest >= from && t.oldest <= to {
			seqs = append(seqs, seq)
		}
	}
	sp.mu.Unlock()
	sort.Ints(seqs)
	for _, seq := range seqs {
		limit := int64(-1)
		if seq == until.Seg {
			limit = until.Off
		}
		keep := func(t int64, _ Pos) bool { return t == minTime || t >= from && t <= to }
		if err := sp.read(seq, limit, keep, fn); err != nil {
			return err
		}
	}
	return nil
}

// read calls fn for each whole entry of segment seq, up to limit bytes
// (-1: all), that keep accepts given its time and position.
func (sp *Spool) read(seq int, limit int64, keep func(int64, Pos) bool, fn func(Entry)) error {
	f, err := os.Open(sp.path(seq))
	if os.IsNotExist(err) {
		return nil // pruned
	}
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	if limit >= 0 {
		r = io.LimitReader(f, limit)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	pos := Pos{Seg: seq}
	keepHere := func(t int64) bool { return keep(t, pos) }
	for sc.Scan() {
		pos.Off += int64(len(sc.Bytes())) + 1
		e, ok := parseLine(sc.Bytes(), keepHere)
		if !ok {
			continue
		}
		e.Pos = pos
		fn(e)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("spool %s: %w", sp.path(seq), err)
	}
	return nil
}

func appendLine(b []byte, e Entry) []byte {
	b = strconv.AppendQuote(b, e.Index)
	b = append(b, '\t')
	b = strconv.AppendQuote(b, e.ID)
	b = append(b, '\t')
	b = strconv.AppendInt(b, e.Time, 10)
	b = append(b, '\t')
	b = append(b, e.Raw...)
	return append(b, '\n')
}

// parseLine reads a spool line; keep, when set, sees the entry's event time
// (minTime: not known) first and may skip it before its source is copied.
func parseLine(line []byte, keep func(int64) bool) (e Entry, ok bool) {
	i := bytes.IndexByte(line, '\t')
	if i < 0 {
		return Entry{}, false
	}
	j := bytes.IndexByte(line[i+1:], '\t')
	if j < 0 {
		return Entry{}, false
	}
	rest := line[i+2+j:]
	e.Time = minTime
	if len(rest) > 0 && (rest[0] == '-' || rest[0] >= '0' && rest[0] <= '9') { // a time: no JSON event starts so
		if k := bytes.IndexByte(rest, '\t'); k > 0 {
			if t, err := strconv.ParseInt(string(rest[:k]), 10, 64); err == nil {
				e.Time, rest = t, rest[k+1:]
			}
		}
	}
	if keep != nil && !keep(e.Time) {
		return Entry{}, false
	}
	index, err1 := strconv.Unquote(string(line[:i]))
	id, err2 := strconv.Unquote(string(line[i+1 : i+1+j]))
	if err1 != nil || err2 != nil {
		return Entry{}, false
	}
	e.Index, e.ID, e.Raw = index, id, bytes.Clone(rest)
	return e, true
}

// Prune deletes segments whose newest event is older than horizon (ms).
// The segment being written is closed first so it can go too.
func (sp *Spool) Prune(horizon int64) (removed int) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	for seq, t := range sp.segs {
		if t.newest >= horizon || t.newest == minTime {
			continue
		}
		if seq == sp.curSeq && sp.cur != nil {
			sp.retired = append(sp.retired, sp.cur)
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
	if sp.stopBg != nil {
		close(sp.stopBg)
		<-sp.bgDone
		sp.stopBg = nil
	}
	err := sp.Sync(sp.End())
	sp.syncMu.Lock()
	defer sp.syncMu.Unlock()
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.cur == nil {
		return err
	}
	if e := sp.cur.Close(); err == nil {
		err = e
	}
	sp.cur = nil
	return err
}

func quote(s string) string { return strconv.Quote(s) }
