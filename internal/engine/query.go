package engine

import (
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/esql/logical"
	"vigil/internal/kql"
	"vigil/internal/rule"
	"vigil/internal/source"
)

// QueryOptions configure an ad-hoc query (PrepareQuery, Query.Run).
type QueryOptions struct {
	Now time.Time // the query's NOW(); zero means the time of PrepareQuery
	// IndexFallback names the index of documents that carry neither _index
	// nor data_stream fields (the CLI's --index).
	IndexFallback string
	Threads       int // decoding workers; <= 0 means GOMAXPROCS
	ChunkSize     int // see ParallelOptions.ChunkSize
	// Fast runs the query as a hunt runs rules: lines decoded only as far
	// as the fields the query reads, and lines its WHERE cannot match
	// skipped by the byte prefilter. Rows are the same for input
	// Elasticsearch would index whole, but a bad value in a field the
	// query does not read no longer rejects its line, a skipped line is
	// only checked for {…} framing, and skipped lines raise no warnings.
	Fast  bool
	Stdin io.Reader // read for the input "-"; os.Stdin when nil
	// MemoryLimit is esql.Options.MemoryLimit (0: the default).
	MemoryLimit int64
}

// Query is an ad-hoc ES|QL query over files (`vigil query`). Its answer is
// defined by the simplest way to compute it: type the fields no mapping
// names from all the files (InferMapping), then decode every line whole in
// input order, typed by that mapping, and push each document whose index
// the FROM names (or that has none) into one execution. Run gets the same
// answer — rows, order, columns, warnings, malformed lines — through the
// parallel sweep, reading the input once unless a check after the read
// finds that parallel decoding could have differed from it.
type Query struct {
	Compiled *esql.Query
	src      string
	cat      *Catalog
	files    []string
	o        QueryOptions
	passes   int // reads Run made, for tests
}

// PrepareQuery compiles src. Fields no mapping names are first inferred
// from the files when the query can depend on them: when it does not
// compile without them, or outputs fields it does not name (FROM without
// KEEP, DROP, KEEP with wildcards); otherwise that full read is skipped.
// With stdin among the inputs they are always inferred (from the other
// files), as its lines are then typed by them.
func PrepareQuery(src string, user *doc.Mapping, files []string, o QueryOptions) (*Query, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	q := &Query{src: src, cat: &Catalog{User: user}, files: files, o: o}
	opts := esql.Options{Now: o.Now, MemoryLimit: o.MemoryLimit}
	if !slices.Contains(files, "-") {
		if c, err := esql.Compile(src, q.cat, opts); err == nil && !readsUnmapped(c) {
			return q.ready(c)
		}
	}
	q.cat.Inferred = InferFields(files, q.cat.DecoderMapping(), o.Threads, o.ChunkSize)
	c, err := esql.Compile(src, q.cat, opts)
	if err != nil {
		return nil, err
	}
	return q.ready(c)
}

// ready sets the compiled query, refusing one Vigil cannot run (COMPLETION).
func (q *Query) ready(c *esql.Query) (*Query, error) {
	if e := c.CannotRun(); e != nil {
		return nil, e
	}
	q.Compiled = c
	return q, nil
}

// readsUnmapped reports whether fields no mapping names could change the
// columns or reads of c, compiled without them, judged from its plan:
// FROM yields every mapped field as a column, so unnamed ones reach the
// output unless a KEEP of exact names or a STATS replaces the columns
// first (a KEEP pattern with a wildcard could match them), and a KQL()
// clause that names fields by pattern or not at all reads what the
// mapping has.
func readsUnmapped(c *esql.Query) bool {
	p := c.Plan()
	if p.Source().Patterns == nil {
		return false
	}
	open := true // the fields FROM yields are columns
	for _, cmd := range p.Commands[1:] {
		switch x := cmd.(type) {
		case *logical.Stats:
			open = open && x.Inline
		case *logical.Project:
			if x.Kind != "KEEP" {
				continue
			}
			for _, pat := range x.Patterns {
				if open && strings.Contains(pat, "*") {
					return true
				}
			}
			open = false
		case *logical.Where:
			kqlByMapping := false
			logical.Walk(x.Cond, func(e logical.Expr) bool {
				if k, ok := e.(*logical.KQL); ok && kql.NamesByMapping(k.AST) {
					kqlByMapping = true
				}
				return !kqlByMapping
			})
			if kqlByMapping {
				return true
			}
		}
	}
	return open
}

// Run reads the inputs and returns the query's result and what the read
// saw; a read error (an unreadable file) comes with the result of the
// lines before it.
//
// Unless Fast, every line is decoded whole, so it is rejected exactly when
// a sequential decode rejects it, and pushed, so it raises the same
// warnings (per-chunk executions merge their warnings as one execution
// would word them, esql's Absorb). Two things could still set the
// parallel read apart. A LIMIT filled within a chunk: the merge replays
// that chunk (Sweep.merge). Workers typing fields no mapping names (when
// PrepareQuery inferred none) each from the first value it saw: checked
// after the read (typedAlike), which is then made again with the fields
// inferred.
func (q *Query) Run() (*esql.Result, source.Stats, error) {
	threads := q.o.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	if slices.Contains(q.files, "-") {
		threads = 1 // stdin is read once, in order
	}
	for {
		res, st, decs, err := q.pass(threads)
		if q.o.Fast || res == nil {
			return res, st, err
		}
		switch typed := decs.typedAlike(st); {
		case !typed && q.cat.Inferred == nil:
			// Type every field as the definition does, and read again.
			q.cat.Inferred = InferFields(q.files, q.cat.DecoderMapping(), q.o.Threads, q.o.ChunkSize)
		case !typed && threads > 1:
			threads = 1 // the definition itself
		default:
			return res, st, err
		}
	}
}

// pass is one read of the inputs through a sweep, returning the decoders
// its workers used.
func (q *Query) pass(threads int) (*esql.Result, source.Stats, *decoderSet, error) {
	q.passes++
	s := NewSweep([]*CompiledRule{{Rule: &rule.Rule{Name: "query", Query: q.src}, Query: q.Compiled}})
	s.IndexFallback = q.o.IndexFallback
	s.UnindexedMatchAll = true
	m := q.cat.DecoderMapping()
	decs := &decoderSet{}
	// Every line is read whole, so it is typed and rejected as the
	// definition does; only what the query and the sweep read is kept.
	layout := doc.NewLayout(s.ProjectedFields())
	o := ParallelOptions{Threads: threads, NewDecoder: decs.maker(m, doc.DecodeOptions{Dynamic: true, Reuse: true, Layout: layout, Whole: true, AutoID: q.Compiled.ReadsID(), Source: q.Compiled.ReadsSource()})}
	if q.o.Fast {
		var err error
		if o, err = s.Options(q.cat, m, threads, true); err != nil {
			return nil, source.Stats{}, nil, err
		}
	}
	o.ChunkSize = q.o.ChunkSize
	st, readErr := s.Run(&source.Reader{Stdin: q.o.Stdin}, q.files, o)
	res, err := s.rules[0].exec.Finish()
	if err != nil {
		return nil, st, decs, err
	}
	return res, st, decs, readErr
}

// InferMapping types the fields of the first maxLines lines of each file
// (all lines when maxLines <= 0) that base does not map, as Elasticsearch's
// dynamic mapping would: a field's first value fixes its type. Stdin is
// skipped, as it can be read only once; an unreadable file ends the scan
// (the read that follows reports it).
func InferMapping(files []string, base *doc.Mapping, maxLines int) *doc.Mapping {
	dec := doc.NewDecoder(base, inferOptions())
	_ = (&source.Reader{MaxLines: maxLines}).ReadFiles(withoutStdin(files), func(l source.Line) { dec.Decode(l.Bytes) })
	return dec.Dynamic()
}

// inferOptions type every field and keep none: the inference wants only
// the decoder's dynamic mapping.
func inferOptions() doc.DecodeOptions {
	return doc.DecodeOptions{Dynamic: true, IgnoreMalformed: true, Reuse: true, Layout: doc.NewLayout(nil), Whole: true}
}

// InferFields is InferMapping over whole files, read by the parallel
// sweep: each worker types what it sees, and their fields are the ones a
// sequential scan types when the workers agree (see decoderSet.union); when
// they do not, it scans sequentially.
func InferFields(files []string, base *doc.Mapping, threads, chunkSize int) *doc.Mapping {
	decs := &decoderSet{}
	_, _ = NewSweep(nil).Run(&source.Reader{}, withoutStdin(files),
		ParallelOptions{Threads: threads, ChunkSize: chunkSize, NewDecoder: decs.maker(base, inferOptions())})
	if m, ok := decs.union(); ok {
		return m
	}
	return InferMapping(files, base, 0)
}

func withoutStdin(files []string) []string {
	return slices.DeleteFunc(slices.Clone(files), func(f string) bool { return f == "-" })
}

// decoderSet makes a sweep's decoders and keeps them, to look at the
// fields they typed dynamically after the read.
type decoderSet struct {
	mu   sync.Mutex
	decs []*doc.Decoder
}

func (s *decoderSet) maker(m *doc.Mapping, o doc.DecodeOptions) func() *doc.Decoder {
	return func() *doc.Decoder {
		d := doc.NewDecoder(m, o)
		s.mu.Lock()
		s.decs = append(s.decs, d)
		s.mu.Unlock()
		return d
	}
}

// union merges the fields the decoders typed dynamically; ok is false when
// they disagree — a name typed differently, or a leaf for one that is an
// object (or under a leaf) for another — as only then could the typing
// of a line depend on which earlier lines its decoder had seen.
func (s *decoderSet) union() (*doc.Mapping, bool) {
	u := doc.NewMapping()
	for _, d := range s.decs {
		dyn := d.Dynamic()
		for _, f := range dyn.Fields() {
			if g, seen := u.Lookup(f.Name); seen {
				if g.Type != f.Type || g.ESType != f.ESType || g.Nested != f.Nested {
					return nil, false
				}
				continue
			}
			u.Add(*f)
		}
		for _, o := range dyn.Objects() {
			u.AddObject(*o)
		}
	}
	for _, f := range u.Fields() {
		if _, clash := u.LookupObject(f.Name); clash {
			return nil, false
		}
		for i := range len(f.Name) {
			if f.Name[i] != '.' {
				continue
			}
			if _, clash := u.Lookup(f.Name[:i]); clash {
				return nil, false
			}
		}
	}
	return u, true
}

// typedAlike reports whether a read through these decoders (with the
// stats st) typed and rejected every line as the sequential definition
// does (see Query). Without fields typed dynamically, all were typed by
// the mapping. Otherwise the workers must agree on them, and no line may
// have been rejected: a sequential inference types the fields after a bad
// value in a rejected line, which a decoder that stops at the bad value
// does not see.
func (s *decoderSet) typedAlike(st source.Stats) bool {
	u, ok := s.union()
	return ok && (u.Len() == 0 || st.Malformed == 0)
}
