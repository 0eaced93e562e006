package server

import (
	"bytes"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"vigil/internal/doc"
	"vigil/internal/proctree"
	"vigil/internal/store"
)

// procLine is an accepted event line that may be a process event: keyed
// when ingest's decode read its key already, else the writer reads it.
type procLine struct {
	raw       []byte
	index, id string
	key       proctree.Key
	keyed     bool
}

// procBatch is one request's candidate lines, or (done set) a barrier.
type procBatch struct {
	lines []procLine
	done  chan struct{}
}

// procWriter keeps every host's process events in the store (not only
// those a rule reads: the ingest prefilter skips the rest before the
// spool), off the ingest path. Requests hand it their lines after they
// are accepted, keyed when ingest's decode read their keys; it reads the
// others' with a proctree.KeyReader (a projected decode of a few fields,
// not the whole document into maps: all of a Defend stream may be process
// events) and writes each batch of requests in one transaction. Its queue
// is bounded: a full queue holds the request back, as a slow store should.
type procWriter struct {
	st     *store.Store
	keys   *proctree.KeyReader // the writer goroutine's
	q      chan procBatch
	wg     sync.WaitGroup
	fail   func(error)
	prune  func() bool // one bounded pruning step: true when more may remain
	mu     sync.Mutex  // orders sends with close
	closed bool
	// newest is the newest process event time written (ms): retention
	// counts back from it, in event time as the engine's horizons do, so
	// replaying old data does not prune what it just stored.
	newest atomic.Int64
}

func newProcWriter(st *store.Store, m *doc.Mapping, fail func(error), prune func() bool) *procWriter {
	w := &procWriter{st: st, keys: proctree.NewKeyReader(m), q: make(chan procBatch, 64), fail: fail, prune: prune}
	w.newest.Store(math.MinInt64)
	w.wg.Add(1)
	go w.loop()
	return w
}

// mayBeProcess is the cheap test an accepted line passes before it is
// queued: process events carry process.entity_id.
func mayBeProcess(raw []byte) bool { return bytes.Contains(raw, []byte(`entity_id"`)) }

// noteProcess adds an accepted line to a request's candidates. d is its
// document when ingest decoded it with proctree.KeyFields projected (the
// skim decoder's lines), else nil: a line d shows is no process event is
// dropped here, one it keys goes keyed, and the writer reads the rest.
func noteProcess(ls []procLine, raw []byte, index, id string, d *doc.Document) []procLine {
	if !mayBeProcess(raw) {
		return ls
	}
	l := procLine{raw: raw, index: index, id: id}
	if d != nil {
		k, ok, exact := proctree.KeyOf(d)
		if exact && !ok {
			return ls
		}
		l.key, l.keyed = k, exact
	}
	return append(ls, l)
}

// keyDoc is an ingest document decoded by the skim decoder (not pass),
// whose projection holds proctree.KeyFields, else nil.
func keyDoc(d *doc.Document, pass bool) *doc.Document {
	if pass {
		return nil
	}
	return d
}

func (w *procWriter) put(ls []procLine) {
	if len(ls) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.q <- procBatch{lines: ls}
	}
}

// flush waits until every batch put before it is written.
func (w *procWriter) flush() {
	done := make(chan struct{})
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.q <- procBatch{done: done}
	w.mu.Unlock()
	<-done
}

// close writes what is queued and stops; later puts are dropped.
func (w *procWriter) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.q)
	}
	w.mu.Unlock()
	w.wg.Wait()
}

// pruneEvery is how often the writer prunes the investigation tables.
const pruneEvery = time.Minute

// loop writes queued batches and, every pruneEvery, prunes in bounded
// steps between them: off the engine goroutine, so deleting a backlog
// never holds evaluation back, and never holding writes back for long.
func (w *procWriter) loop() {
	defer w.wg.Done()
	tick := time.NewTicker(pruneEvery)
	defer tick.Stop()
	pruning := false
	for {
		var b procBatch
		var ok bool
		if pruning {
			select {
			case b, ok = <-w.q:
			default:
				pruning = w.prune()
				continue
			}
		} else {
			select {
			case b, ok = <-w.q:
			case <-tick.C:
				pruning = w.prune()
				continue
			}
		}
		if !ok {
			return
		}
		w.write(b)
	}
}

// write stores a batch and whatever else is queued, in one transaction.
func (w *procWriter) write(b procBatch) {
	evs, waiting := w.parse(nil, b, nil)
more:
	for len(evs) < 5000 {
		select {
		case nb, ok := <-w.q:
			if !ok {
				break more
			}
			evs, waiting = w.parse(evs, nb, waiting)
		default:
			break more
		}
	}
	if err := w.st.PutProcesses(evs); err != nil {
		w.fail(err)
	}
	for _, d := range waiting {
		close(d)
	}
}

func (w *procWriter) parse(evs []store.ProcessEvent, b procBatch, waiting []chan struct{}) ([]store.ProcessEvent, []chan struct{}) {
	if b.done != nil {
		return evs, append(waiting, b.done)
	}
	for _, l := range b.lines {
		e, ok := l.key, l.keyed
		if !ok {
			if e, ok = w.keys.Read(l.raw); !ok {
				continue
			}
		}
		id := l.id
		if id == "" {
			id = doc.AutoID(l.raw)
		}
		if e.Time > w.newest.Load() {
			w.newest.Store(e.Time)
		}
		evs = append(evs, store.ProcessEvent{DocID: id, Index: l.index, Time: e.Time, Host: e.Host,
			EntityID: e.EntityID, ParentEntityID: e.ParentEntityID, Source: bytes.Clone(l.raw)})
	}
	return evs, waiting
}

// storeSource is the store as a proctree.Source.
type storeSource struct{ st *store.Store }

func (s storeSource) Process(id string, limit int) ([]proctree.Event, error) {
	evs, err := s.st.ProcessEvents(id, limit)
	return treeEvents(evs), err
}

func (s storeSource) Children(id string, limit int) ([]proctree.Event, error) {
	evs, err := s.st.ChildEvents(id, limit)
	return treeEvents(evs), err
}

func treeEvents(evs []store.ProcessEvent) []proctree.Event {
	out := make([]proctree.Event, 0, len(evs))
	for _, se := range evs {
		e, ok := proctree.Parse(se.Source)
		if !ok { // stored as a process event: keep its identity at least
			e = proctree.Event{EntityID: se.EntityID, ParentEntityID: se.ParentEntityID, Host: se.Host, Time: se.Time}
		}
		e.ID, e.Index, e.Source = se.DocID, se.Index, se.Source
		out = append(out, e)
	}
	return out
}
