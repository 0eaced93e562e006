package engine

import (
	"bytes"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"vigil/internal/doc"
	pf "vigil/internal/prefilter"
	"vigil/internal/source"
)

// ParallelOptions configure Sweep.Run.
type ParallelOptions struct {
	// Threads is the number of decoding workers; <= 0 means GOMAXPROCS.
	// With 1, chunks are processed on the reading goroutine.
	Threads int
	// NewDecoder makes one worker's decoder for documents the rules may
	// match (typically projected to ProjectedFields). Required.
	NewDecoder func() *doc.Decoder
	// Prefilter, when set, says whether a raw line may hold a matching
	// document. Lines it rejects are not handed to NewDecoder's decoder but
	// to NewSkimDecoder's, which only reads what routing, the alert's time
	// range and window closing need (see SkimFields), so results are
	// identical.
	Prefilter func(line []byte) bool
	// NewSkimDecoder makes a worker's decoder for prefiltered-out lines;
	// required with Prefilter. With firstValues, it may stop reading a line
	// once every skim field has a value (doc.DecodeOptions.FirstValuesOnly).
	NewSkimDecoder func(firstValues bool) *doc.Decoder
	// ValidateSkipped reads prefiltered-out lines to their end, so every
	// malformed line is reported; otherwise one is read only up to its
	// skim fields and must merely look like a whole object (see framed).
	ValidateSkipped bool
	// ChunkSize is the bytes of whole lines per work unit (default
	// source.DefaultChunkSize).
	ChunkSize int
}

// SkimFields are the fields the sweep itself reads from every document:
// the data_stream fields that name its index, each rule's timestamp field
// (for the alert's execution range) and its window field (for closing).
func (s *Sweep) SkimFields() []string {
	set := map[string]bool{"data_stream.type": true, "data_stream.dataset": true, "data_stream.namespace": true}
	for _, r := range s.rules {
		set[timestampField(r.cr.Rule)] = true
		if r.window != "" {
			set[r.window] = true // windows close on it, skipped lines included
		}
	}
	return sortedKeys(set)
}

// ProjectedFields are the fields a worker decodes for documents the rules
// may match: every rule query's fields plus SkimFields.
func (s *Sweep) ProjectedFields() []string {
	set := map[string]bool{}
	for _, f := range s.SkimFields() {
		set[f] = true
	}
	for _, r := range s.rules {
		for _, f := range r.cr.Fields() {
			set[f] = true
		}
	}
	return sortedKeys(set)
}

// Options sets up Run for a hunt: decoders typed by m (the mapping
// documents are decoded with, dynamic for the rest) and projected to
// ProjectedFields, and, when prefilter is set, the byte prefilter derived
// from every rule's query (see package prefilter) with a skim decoder for
// the lines it rejects.
func (s *Sweep) Options(cat *Catalog, m *doc.Mapping, threads int, prefilter bool) (ParallelOptions, error) {
	fields := s.ProjectedFields()
	// Both decoders lay documents out alike, so consumers bind field names
	// to slots once.
	layout := doc.NewLayout(fields)
	// Documents without _id get one, and keep their JSON, only when a rule
	// reads it.
	autoID, source := false, false
	for _, r := range s.rules {
		autoID = autoID || r.cr.Query.ReadsID()
		source = source || r.cr.Query.ReadsSource()
	}
	o := ParallelOptions{
		Threads: threads,
		NewDecoder: func() *doc.Decoder {
			// esql.Execution.Push keeps copies of what it needs, so values
			// may alias the chunk: most decoded lines leave nothing behind.
			return doc.NewDecoder(m, doc.DecodeOptions{Dynamic: true, Layout: layout, Reuse: true, AutoID: autoID, Source: source})
		},
	}
	for _, f := range fields {
		if _, ok := m.Lookup(f); !ok {
			// A dynamically typed field takes its type from the first value
			// seen; one decoder in input order keeps that deterministic.
			o.Threads = 1
		}
	}
	if !prefilter {
		return o, nil
	}
	var filters []*pf.Filter
	for _, r := range s.rules {
		qm, err := cat.Resolve(r.cr.Query.IndexPatterns())
		if err != nil {
			return o, err
		}
		filters = append(filters, pf.New(r.cr.Query.Plan().EventCondition(), qm, m))
	}
	if f := pf.Any(filters...); f != nil {
		skim := s.SkimFields()
		o.Prefilter = f.Match
		o.NewSkimDecoder = func(firstValues bool) *doc.Decoder {
			return doc.NewDecoder(m, doc.DecodeOptions{Dynamic: true, Fields: skim, Layout: layout, Reuse: true, FirstValuesOnly: firstValues})
		}
	}
	return o, nil
}

// partial is one chunk's share of a sweep, merged into the Sweep in chunk
// order so that results (group order, LIMIT picks, sort ties) are those of
// a single-threaded sweep.
type partial struct {
	seq       int
	chunk     *source.Chunk
	rules     []sweepRule
	unindexed int64
	st        source.Stats
}

// worker holds one goroutine's reusable state.
type worker struct {
	s   *Sweep
	dec *doc.Decoder
	// skim reads prefiltered-out lines only as far as the skim fields;
	// skimWhole reads a line that does not look like a whole object to its
	// end, so it is reported as malformed as before.
	skim, skimWhole *doc.Decoder
	pre             func([]byte) bool
	// direct pushes into the sweep's own executions: with one worker,
	// chunks arrive in order, so per-chunk executions and merges are waste.
	direct bool
	// only, when set, limits a replaying worker (see merge) to these rules.
	only []bool
	// filled, when set, marks rules whose merged LIMIT is filled.
	filled []atomic.Bool
	// spare holds merged partials' window-time buffers for reuse: a chunk
	// notes a time per line, and fresh buffers were a tenth of a hunt's
	// allocations.
	spare chan []int64
	// routes caches route and Reads per index-naming values: nearly every
	// line names one of a few data streams, and matching FROM patterns
	// per document would dominate skipped lines.
	routes map[routeKey]*routed
	// last is the latest routed lookup: consecutive lines mostly share a
	// stream, and comparing its key is cheaper than hashing.
	last *routed
	// Readers of the fields the sweep itself reads: the data_stream
	// fields, and per rule its timestamp and window fields.
	dsType, dsDataset, dsNamespace doc.FieldReader
	timestamps, windows            []doc.FieldReader
	// batches gathers, per rule with a columnar query, the chunk's
	// documents for its execution's PushBatch (nil for the others).
	batches []*docBatch
}

// routeKey is what IndexOf reads: _index, else the data_stream fields.
type routeKey struct{ index, typ, dataset, namespace string }

type routed struct {
	key   routeKey // owned copies
	index string
	reads []bool // per rule: its FROM reads the index
}

// route is route() and Reads() for every rule, cached; nil when the
// document names no index.
func (w *worker) route(d *doc.Document) *routed {
	var k routeKey
	if d.Index != "" {
		k.index = d.Index
	} else {
		t, ds, ns := w.dsType.Get(d), w.dsDataset.Get(d), w.dsNamespace.Get(d)
		if isSingleString(t) && isSingleString(ds) && isSingleString(ns) {
			k.typ, k.dataset, k.namespace = t.S, ds.S, ns.S
		}
	}
	if w.last != nil && k == w.last.key {
		return w.last
	}
	if rt, ok := w.routes[k]; ok {
		if rt != nil {
			w.last = rt
		}
		return rt
	}
	cp := *d // route may set Index, which the caller decides on
	index, stream, ok := route(&cp, w.s.IndexFallback)
	var rt *routed
	if ok {
		rt = &routed{index: strings.Clone(index), reads: make([]bool, len(w.s.rules))}
		for i, r := range w.s.rules {
			rt.reads[i] = Reads(r.cr.Query, index, stream)
		}
	}
	if w.routes == nil || len(w.routes) > 1024 {
		w.routes = map[routeKey]*routed{}
	}
	// The key's strings may alias a reused line buffer: store copies.
	k = routeKey{strings.Clone(k.index), strings.Clone(k.typ), strings.Clone(k.dataset), strings.Clone(k.namespace)}
	w.routes[k] = rt
	if rt != nil {
		rt.key, w.last = k, rt
	}
	return rt
}

// Run reads files through r, splitting them into chunks at newline
// boundaries, decodes and pushes them on o.Threads workers with per-chunk
// executions, and merges everything into s in input order. After Run,
// Finish works as after Push. It replaces r.Documents for a sweep.
func (s *Sweep) Run(r *source.Reader, files []string, o ParallelOptions) (source.Stats, error) {
	threads := o.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	size := o.ChunkSize
	if size <= 0 {
		size = source.DefaultChunkSize
	}
	var st source.Stats
	log := &problemLog{st: &st}
	prevProblem := r.OnProblem
	r.OnProblem = func(p source.Problem) {
		log.early(p)
		if prevProblem != nil {
			prevProblem(p)
		}
	}
	defer func() { r.OnProblem = prevProblem }()
	spare := make(chan []int64, 2*threads+2)
	// recycle hands a merged partial's window-time buffers back to the
	// workers.
	recycle := func(p *partial) {
		for i := range p.rules {
			if t := p.rules[i].times; t != nil {
				select {
				case spare <- t[:0]:
				default:
				}
			}
		}
	}
	newWorker := func() *worker {
		w := &worker{s: s, dec: o.NewDecoder(), pre: o.Prefilter, spare: spare, dsType: doc.NewFieldReader("data_stream.type"),
			dsDataset: doc.NewFieldReader("data_stream.dataset"), dsNamespace: doc.NewFieldReader("data_stream.namespace")}
		for _, r := range s.rules {
			w.timestamps = append(w.timestamps, doc.NewFieldReader(timestampField(r.cr.Rule)))
			w.windows = append(w.windows, doc.NewFieldReader(r.window))
			var b *docBatch
			if r.cr.Query.Columnar() {
				b = newDocBatch(r.cr.Query)
			}
			w.batches = append(w.batches, b)
		}
		if o.Prefilter != nil {
			w.skim, w.skimWhole = o.NewSkimDecoder(!o.ValidateSkipped), o.NewSkimDecoder(false)
		}
		return w
	}

	if threads == 1 {
		// Reading (and gunzipping) runs on its own goroutine, a chunk
		// ahead, so the one worker never waits for input.
		pool := source.NewChunkPool(3, size)
		chunks := make(chan *source.Chunk, 2)
		var err error
		go func() {
			defer close(chunks)
			err = r.Chunks(files, pool, func(c *source.Chunk) {
				log.cut()
				chunks <- c
			})
		}()
		w := newWorker()
		w.direct = true
		for c := range chunks {
			p := w.process(c)
			pool.Release(c)
			s.merge(p, log) // direct: nothing to replay
			recycle(p)
		}
		log.flush()
		st.Bytes = r.Consumed()
		return st, err
	}

	// Each in-flight chunk holds a pool buffer until it is merged, so the
	// pool size bounds both memory and the reorder backlog.
	pool := source.NewChunkPool(2*threads+2, size)
	// filled marks rules whose LIMIT the merge has filled: workers stop
	// evaluating them, as the merge drops what they would add.
	filled := make([]atomic.Bool, len(s.rules))
	work := make(chan *source.Chunk, threads)
	done := make(chan *partial, 2*threads+2)
	var wg sync.WaitGroup
	for range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker()
			w.filled = filled
			for c := range work {
				done <- w.process(c)
			}
		}()
	}
	merged := make(chan struct{})
	go func() {
		defer close(merged)
		var replayer *worker // made on first use
		pending := map[int]*partial{}
		next := 0
		for p := range done {
			pending[p.seq] = p
			for {
				q, ok := pending[next]
				if !ok {
					break
				}
				delete(pending, next)
				if replay := s.merge(q, log); replay != nil {
					if replayer == nil {
						replayer = newWorker()
						replayer.direct = true
					}
					replayer.only = replay
					replayer.process(q.chunk)
					for i, r := range s.rules {
						if replay[i] && r.exec.Done() {
							filled[i].Store(true)
						}
					}
				}
				pool.Release(q.chunk)
				recycle(q)
				next++
			}
		}
	}()
	err := r.Chunks(files, pool, func(c *source.Chunk) {
		log.cut()
		work <- c
	})
	close(work)
	wg.Wait()
	close(done)
	<-merged
	log.flush()
	st.Bytes = r.Consumed()
	return st, err
}

// problemLog gathers a sweep's malformed lines in input order. The reader
// reports over-long lines while it cuts chunks ahead of the merge; such a
// report waits until the chunks before it are merged, so the list (and
// which MaxProblems it keeps) is the one a sequential read gives.
type problemLog struct {
	mu      sync.Mutex
	st      *source.Stats
	cuts    int // chunks cut so far
	waiting []earlyProblem
}

type earlyProblem struct {
	before int // the Seq of the chunk cut after it
	p      source.Problem
}

// cut notes that the reader handed out a chunk.
func (l *problemLog) cut() {
	l.mu.Lock()
	l.cuts++
	l.mu.Unlock()
}

// early takes a problem the reader reports.
func (l *problemLog) early(p source.Problem) {
	l.mu.Lock()
	l.waiting = append(l.waiting, earlyProblem{l.cuts, p})
	l.mu.Unlock()
}

// add counts a chunk's stats, merged in chunk order, after the reader's
// problems that precede the chunk.
func (l *problemLog) add(seq int, cst *source.Stats) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.release(seq)
	l.st.Lines += cst.Lines
	l.st.Events += cst.Events
	for _, p := range cst.Problems {
		l.note(p)
	}
	// Problems past MaxProblems were counted but not kept.
	l.st.Malformed += cst.Malformed - int64(len(cst.Problems))
}

// flush counts the reader's problems after the last chunk.
func (l *problemLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.release(math.MaxInt)
}

// release counts the reader's problems that precede chunk seq.
func (l *problemLog) release(seq int) {
	n := 0
	for n < len(l.waiting) && l.waiting[n].before <= seq {
		l.note(l.waiting[n].p)
		n++
	}
	l.waiting = l.waiting[n:]
}

func (l *problemLog) note(p source.Problem) {
	l.st.Malformed++
	if len(l.st.Problems) < source.MaxProblems {
		l.st.Problems = append(l.st.Problems, p)
	}
}

// process runs one chunk through fresh per-rule executions.
func (w *worker) process(c *source.Chunk) *partial {
	s := w.s
	p := &partial{seq: c.Seq, chunk: c, rules: make([]sweepRule, len(s.rules))}
	for i, r := range s.rules {
		p.rules[i] = sweepRule{cr: r.cr, min: 1<<63 - 1, max: -1 << 63, window: r.window, newest: -1 << 63, oldest: 1<<63 - 1}
		if w.direct {
			p.rules[i].exec = r.exec
		}
		p.rules[i].filled = w.filled != nil && w.filled[i].Load()
		if r.window != "" {
			select {
			case p.rules[i].times = <-w.spare:
			default:
			}
		}
	}
	c.Lines(func(num int, line []byte) {
		p.st.Lines++
		dec, full := w.dec, true
		if w.pre != nil && !w.pre(line) {
			dec, full = w.skim, false
			if !framed(line) {
				dec = w.skimWhole
			}
		}
		d, err := dec.Decode(line)
		if err != nil {
			p.st.Malformed++
			if len(p.st.Problems) < source.MaxProblems {
				p.st.Problems = append(p.st.Problems, source.Problem{File: c.File, Line: num, Err: err})
			}
			return
		}
		p.st.Events++
		p.push(w, d, full)
	})
	for i, b := range w.batches {
		if b != nil {
			b.flush(p.rules[i].exec) // before the chunk its strings alias is released
		}
	}
	return p
}

// framed reports whether line starts and ends like one JSON object. A
// prefiltered-out line is otherwise read only up to its skim fields, so
// this is what catches the usual malformation, a cut-off line, there.
func framed(line []byte) bool {
	line = bytes.TrimSpace(line)
	return len(line) >= 2 && line[0] == '{' && line[len(line)-1] == '}'
}

// push is Sweep.Push into a chunk's partial state; full is false for a
// prefiltered-out document, which counts for routing and the time range but
// cannot pass any rule's filters, so no execution sees it.
func (p *partial) push(w *worker, d *doc.Document, full bool) {
	rt := w.route(d)
	if rt == nil {
		p.unindexed++
		if !w.s.UnindexedMatchAll {
			return
		}
	} else if d.Index == "" {
		d.Index = rt.index
	}
	for i := range p.rules {
		r := &p.rules[i]
		if (rt != nil && !rt.reads[i]) || (w.only != nil && !w.only[i]) {
			continue
		}
		r.pushed++
		if ts := w.timestamps[i].Get(d); ts.T == doc.Date && !ts.IsMulti() {
			r.min, r.max = min(r.min, ts.I), max(r.max, ts.I)
		}
		if r.window != "" {
			r.notePartialWindow(w.windows[i].Get(d))
		}
		if !full || r.filled {
			continue
		}
		if r.cr.excepted(d, &r.excepted) {
			continue
		}
		if r.exec == nil {
			r.exec = r.cr.Query.NewExecution()
		}
		if b := w.batches[i]; b != nil {
			if b.add(d) {
				if b.full() {
					b.flush(r.exec)
				}
				continue
			}
			b.flush(r.exec) // keep the order
		}
		r.exec.Push(d)
	}
}

// merge folds a chunk's partial into the sweep (called in chunk order). It
// returns which rules must instead replay the chunk (nil for none): a rule
// whose LIMIT fills within it, since a sequential run stops evaluating
// (and raising warnings) at the row that fills it, not at the chunk's end.
func (s *Sweep) merge(p *partial, log *problemLog) (replay []bool) {
	for i, r := range s.rules {
		pr := &p.rules[i]
		r.pushed += pr.pushed
		r.addExcepted(pr.excepted)
		r.min, r.max = min(r.min, pr.min), max(r.max, pr.max)
		if pr.exec != nil && pr.exec != r.exec {
			switch {
			case r.limit >= 0 && r.exec.Done():
				// Filled by an earlier chunk: a sequential run reads no further.
				pr.exec.Release()
			case r.limit >= 0 && pr.exec.Matched() > 0 && r.exec.Groups()+pr.exec.Groups() >= r.limit:
				if replay == nil {
					replay = make([]bool, len(s.rules))
				}
				replay[i] = true
				pr.exec.Release()
			default:
				r.exec.Absorb(pr.exec) // the partial is dropped after
			}
		}
		if r.window != "" && s.Lateness >= 0 && pr.oldest <= pr.newest {
			// Chunks merge in input order: a chunk reaching back past the
			// watermark brings late events; then the watermark advances.
			if pr.oldest < r.watermark {
				r.late += pr.lateCandidates(r.watermark)
			}
			r.newest = max(r.newest, pr.newest)
			// Closing walks every open window, so do it every few chunks
			// (like Push's closeEvery documents); chunk-counted, so results
			// stay independent of the thread count.
			r.sinceTick++
			if r.sinceTick < closeEveryChunks {
				continue
			}
			r.sinceTick = 0
			if wm := r.newest - s.Lateness.Milliseconds(); wm > r.watermark {
				r.watermark = wm
				r.exec.CloseWindows(wm)
			}
		}
	}
	s.Unindexed += p.unindexed
	log.add(p.seq, &p.st)
	return replay
}

// closeEveryChunks is how many merged chunks pass between window closings.
const closeEveryChunks = 8

func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
