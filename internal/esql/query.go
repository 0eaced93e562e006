package esql

import (
	"iter"
	"slices"
	"sort"
	"strings"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql/logical"
)

// Query is a compiled ES|QL query: immutable and safe to share; each
// goroutine runs it through its own Execution.
type Query struct {
	src      string
	patterns []string // FROM index patterns; nil for ROW
	rowVals  []doc.Value
	rowSlots []int
	columns  []Column
	outSlots []int
	nslots   int
	loads    []*attr
	sites    []warnSite
	// The pipeline split: stage1 streams per event up to head, the first
	// blocking command (STATS, SORT or LIMIT, always present because of the
	// implicit LIMIT); rest runs once in Finish over head's output.
	stage1   []opSpec
	head     opSpec
	rest     []opSpec
	compWarn []string
	plan     *logical.Plan
	// budget is Options.MemoryLimit, shared by the query's executions.
	budget  *budget
	usesNow bool // NOW() or KQL date math read Options.Now
	// siteOf is the warning site of each plan node that can fail; colErr
	// is why the per-event stage is not lowered to columns (nil: it is).
	siteOf map[logical.Expr]int
	colErr error
}

// Plan is the query's resolved logical plan, which consumers read instead
// of the query text. It is shared: do not modify it.
func (q *Query) Plan() *logical.Plan { return q.plan }

// GroupBy returns the BY column names of the query's last STATS (nil when
// it has none): what identifies a result row, for alert identity.
func (q *Query) GroupBy() []string {
	var out []string
	if s := q.plan.LastStats(); s != nil {
		for _, c := range s.By {
			out = append(out, c.Name)
		}
	}
	return out
}

// Limit is the final row bound (an explicit trailing LIMIT, capped at
// MaxLimit, or the implicit DefaultLimit).
func (q *Query) Limit() int { return q.plan.Limit() }

// HeadLimit is the row bound of the LIMIT that starts the query's blocking
// stage (the implicit one when nothing else bounds it), or -1 when a STATS
// or SORT starts it: the row at which a run in input order stops adding.
func (q *Query) HeadLimit() int {
	if l, ok := q.plan.Aggregating().(*logical.Limit); ok {
		return l.N
	}
	return -1
}

// UsesNow reports whether the query reads the compile-time clock
// (Options.Now): a NOW() call, or KQL() whose query may hold date math such
// as "now-1d". Its result then depends on when it runs.
func (q *Query) UsesNow() bool { return q.usesNow }

// DefaultLimit is the implicit LIMIT Elasticsearch appends; MaxLimit caps
// explicit ones (esql.query.result_truncation_max_size).
const (
	DefaultLimit = 1000
	MaxLimit     = 10000
)

// Compile parses, analyzes and plans a query once.
func Compile(query string, cat Catalog, opts Options) (*Query, error) {
	ast, err := Parse(query)
	if err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	q := &Query{src: query, budget: newBudget(opts.MemoryLimit)}
	c := &compiler{q: q, now: now, noSuggest: opts.NoSuggestions, kibanaKQL: opts.KibanaKQL}
	c.foldCtx = &ctx{warn: newWarnings(&c.sites)}
	cmds := hoistKQL(ast.Commands)
	var sc *scope
	source := &logical.Source{}
	c.cmds = append(c.cmds, source)
	switch src := cmds[0].(type) {
	case *FromCmd:
		q.patterns = src.Patterns
		source.Patterns = src.Patterns
		var m *doc.Mapping
		if cat != nil {
			m, err = cat.Resolve(src.Patterns)
			if err != nil {
				return nil, &Error{Line: src.P.Line, Col: src.P.Col + 5, Msg: err.Error()}
			}
		}
		if m == nil {
			m = doc.NewMapping()
		}
		c.mapping = m
		sc = &scope{}
		for _, f := range m.Fields() {
			sc.cols = append(sc.cols, &attr{name: f.Name, t: f.Type, slot: -1, src: f.Name, es: f.ESType})
		}
		for _, md := range src.Metadata {
			a := &attr{name: md.Text, slot: -1}
			source.Metadata = append(source.Metadata, md.Text)
			switch md.Text {
			case "_id":
				a.t, a.meta = doc.Keyword, metaID
			case "_index":
				a.t, a.meta = doc.Keyword, metaIndex
			case "_version":
				a.t, a.meta = doc.Long, metaVersion
			case "_source":
				a.t, a.meta = doc.Source, metaSource
			case "_ignored", "_index_mode", "_score", "_size", "_tsid":
				// Elasticsearch's, but Vigil does not track them (_ignored would
				// need every field typed, projections or not).
				c.errs = append(c.errs, errAt(md.P, "METADATA ["+md.Text+"] is not supported yet"))
				continue
			default:
				c.errs = append(c.errs, errAt(md.P, "unsupported metadata field ["+md.Text+"]"))
				continue
			}
			a.col = &logical.Col{Name: a.name, Type: a.t, Meta: md.Text}
			sc.add(a)
		}
	case *RowCmd:
		sc = &scope{}
		for _, f := range src.Fields {
			x := c.expr(f.X, &scope{})
			a := &attr{name: f.Name, t: x.t, slot: c.newSlot(), col: &logical.Col{Name: f.Name, Type: x.t, Expr: x.node, By: source}}
			source.Row = append(source.Row, a.col)
			v := x.eval(c.foldCtx, nil)
			q.rowVals = append(q.rowVals, v)
			q.rowSlots = append(q.rowSlots, a.slot)
			sc.add(a)
		}
	default:
		return nil, errAt(cmds[0].CmdPos(), "unsupported source command")
	}
	ops, final := c.plan(cmds[1:], sc)
	if len(c.errs) > 0 {
		return nil, joinErrors(c.errs)
	}
	// Implicit LIMIT unless a LIMIT already bounds the output (only streaming
	// commands after it).
	bounded := false
	for i := len(ops) - 1; i >= 0; i-- {
		if l, ok := ops[i].(*limitSpec); ok {
			if l.n > MaxLimit {
				ops = append(ops, &limitSpec{n: MaxLimit})
				c.cmds = append(c.cmds, &logical.Limit{N: MaxLimit, Implicit: true})
			}
			bounded = true
			break
		}
		if _, streaming := ops[i].(*evalSpec); streaming {
			continue
		}
		if _, streaming := ops[i].(*whereSpec); streaming {
			continue
		}
		if _, streaming := ops[i].(*mvExpandSpec); !streaming {
			break
		}
	}
	if !bounded {
		ops = append(ops, &limitSpec{n: DefaultLimit})
		c.cmds = append(c.cmds, &logical.Limit{N: DefaultLimit, Implicit: true})
	}
	q.plan = &logical.Plan{Commands: c.cmds}
	for _, a := range final.cols {
		q.plan.Output = append(q.plan.Output, a.column())
		q.columns = append(q.columns, Column{Name: a.name, Type: a.t})
		if a.t == doc.Unsupported {
			// Unsupported fields are returned as null: give them an empty slot.
			q.outSlots = append(q.outSlots, c.newSlot())
			continue
		}
		q.outSlots = append(q.outSlots, c.use(a))
	}
	hi := len(ops)
	for i, op := range ops {
		switch op.(type) {
		case *statsSpec, *sortSpec, *limitSpec:
			hi = i
		default:
			continue
		}
		break
	}
	q.stage1, q.head, q.rest = ops[:hi], ops[hi], ops[hi+1:]
	for i, cmd := range c.cmds {
		switch cmd.(type) {
		case *logical.Stats, *logical.Sort, *logical.Limit:
			q.plan.Head = i
		default:
			continue
		}
		break
	}
	if s, ok := q.head.(*statsSpec); ok && s.window >= 0 && !s.inline {
		s.splitEmit(slotsRead(rowLocalPrefix(q.rest)))
	}
	q.nslots = c.nslots
	q.loads = c.loads
	q.sites = c.sites
	q.compWarn = append(c.compileWarn, c.foldCtx.warn.lines...)
	q.plan.Fields = fieldsRead(c.loads, c.kqlFields)
	q.siteOf = c.nodeSites
	_, q.colErr = lowerStage(q)
	return q, nil
}

// joinErrors words several analysis errors like ES's VerificationException.
func joinErrors(errs []*Error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return &MultiError{Errs: errs}
}

// MultiError is several analysis problems at once.
type MultiError struct{ Errs []*Error }

// Errors lists the problems, each with its position.
func (m *MultiError) Errors() []*Error { return m.Errs }

func (m *MultiError) Error() string {
	var b strings.Builder
	b.WriteString("Found " + itoa(len(m.Errs)) + " problems")
	for _, e := range m.Errs {
		b.WriteString("\n" + e.Error())
	}
	return b.String()
}

// hoistKQL moves WHEREs that use KQL() and sit over FROM through only
// WHERE/SORT commands to directly after FROM: filters commute with sorts,
// and KQL() must see the source document, which a SORT buffer no longer has.
func hoistKQL(cmds []Command) []Command {
	out := []Command{cmds[0]}
	var held []Command
	i := 1
	for ; i < len(cmds); i++ {
		switch c := cmds[i].(type) {
		case *WhereCmd:
			if containsKQL(c.Cond) {
				out = append(out, c)
				continue
			}
			held = append(held, c)
			continue
		case *SortCmd:
			held = append(held, c)
			continue
		}
		break
	}
	out = append(out, held...)
	return append(out, cmds[i:]...)
}

func containsKQL(e Expr) bool {
	return kqlPos(e) != (Pos{})
}

func kqlPos(e Expr) Pos {
	var p Pos
	walk(e, func(x Expr) {
		if c, ok := x.(*Call); ok && strings.EqualFold(c.Name, "kql") && p == (Pos{}) {
			p = c.P
		}
	})
	return p
}

// Columns are the result columns with their ES|QL types.
func (q *Query) Columns() []Column { return slices.Clone(q.columns) }

// MatchesIndex reports whether a concrete index is one the FROM clause reads.
func (q *Query) MatchesIndex(index string) bool {
	if q.patterns == nil {
		return false
	}
	return matchIndex(q.patterns, index)
}

// IndexPatterns returns the FROM patterns (nil for ROW).
func (q *Query) IndexPatterns() []string { return slices.Clone(q.patterns) }

// Fields returns the source fields the query reads (for projection), sorted.
func (q *Query) Fields() []string { return slices.Clone(q.plan.Fields) }

// fieldsRead lists the source fields loads and KQL() read, sorted.
func fieldsRead(loads []*attr, kqlFields []string) []string {
	set := map[string]bool{}
	for _, a := range loads {
		if a.src != "" {
			set[a.src] = true
		}
	}
	for _, f := range kqlFields {
		set[f] = true
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// ReadsID reports whether the query loads METADATA _id, so that documents
// without one must be given one (doc.DecodeOptions.AutoID).
func (q *Query) ReadsID() bool {
	for _, a := range q.loads {
		if a.meta == metaID {
			return true
		}
	}
	return false
}

// ReadsSource reports whether the query loads METADATA _source, so that
// decoders must keep each document's JSON (doc.DecodeOptions.Source).
func (q *Query) ReadsSource() bool {
	for _, a := range q.loads {
		if a.meta == metaSource {
			return true
		}
	}
	return false
}

// Stages describes the plan split: PerEvent commands stream one document at
// a time with no shared state; Aggregating ones start at the first blocking
// command (STATS, SORT or LIMIT) and run after parallel partials merge.
type Stages struct {
	PerEvent    []string
	Aggregating []string
}

// Stages returns the per-event / aggregating split of the query's commands
// (the plan's, without the implicit LIMITs).
func (q *Query) Stages() Stages {
	var s Stages
	for _, c := range q.plan.PerEvent() {
		s.PerEvent = append(s.PerEvent, c.Name())
	}
	for _, c := range q.plan.Commands[q.plan.Head:] {
		if l, ok := c.(*logical.Limit); !ok || !l.Implicit {
			s.Aggregating = append(s.Aggregating, c.Name())
		}
	}
	return s
}

// Execution runs a Query over a stream of documents. Not safe for
// concurrent use; run one per worker and Merge them.
type Execution struct {
	q     *Query
	x     *ctx
	row   []doc.Value
	first sink // stage1 head
	head  sink // statsOp or bufferSink
	done  bool
	// matched counts rows that passed the per-event stage (the rule's
	// filter, for summaries).
	matched int64
	survive func([]doc.Value) bool // CloseWindows' row-local filter, built on first use
	// counted is the blocking stage's entry (counting matched rows), which
	// the columnar stage feeds; col is that stage, lowered on first use.
	counted sink
	col     *colStage
	// layout is the doc.Layout the loads were last bound to, docSlots
	// the document slot of each load (-1: not in the layout).
	layout   *doc.Layout
	docSlots []int
}

// NewExecution starts a run.
func (q *Query) NewExecution() *Execution {
	e := q.newExecution()
	switch h := q.head.(type) {
	case *statsSpec:
		e.head = h.build(e.x, nopSink{})
	case *limitSpec:
		label := h.label
		if label.name == "" {
			label.name = "the implicit LIMIT"
		}
		e.head = &bufferSink{x: e.x, label: label, cap: h.n}
	case *sortSpec:
		so := h.build(e.x, nopSink{}).(*sortOp)
		if len(q.rest) > 0 {
			if l, ok := q.rest[0].(*limitSpec); ok {
				so.topN = l.n
				if l.n == 0 {
					so.topN = 1
				}
			}
		}
		e.head = so
	default:
		e.head = &bufferSink{x: e.x, label: cmdRef{name: "FROM"}, cap: -1}
	}
	e.counted = &countingSink{next: e.head, n: &e.matched}
	e.first = buildChain(e.x, q.stage1, e.counted)
	return e
}

// newExecution is an execution without its stages.
func (q *Query) newExecution() *Execution {
	e := &Execution{q: q, row: make([]doc.Value, q.nslots)}
	e.x = &ctx{q: q, warn: newWarnings(&q.sites), width: q.nslots, mem: account{b: q.budget}}
	return e
}

// countingSink counts rows on their way into the blocking stage.
type countingSink struct {
	next sink
	n    *int64
}

func (c *countingSink) push(row []doc.Value) bool {
	*c.n++
	return c.next.push(row)
}

func (c *countingSink) finish() { c.next.finish() }

// WindowField names the document field whose time buckets key the query's
// STATS (for `STATS … BY DATE_TRUNC(1 minute, @timestamp)`, directly or via
// an EVAL'd column: "@timestamp"), or "" when its groups are not windows.
// Only then can CloseWindows bound an execution's memory.
func (q *Query) WindowField() string {
	if w := q.plan.Window(); w != nil {
		return w.Field
	}
	return ""
}

// CloseWindows tells the execution that no document whose WindowField is
// earlier than watermark (epoch ms) will be pushed any more. Groups whose
// windows ended by then are finalised: a group's row is kept only if the
// row-local commands after STATS (WHERE, EVAL; SORT commutes with them)
// would keep it, and its aggregation state is freed. Results are unchanged
// as long as the promise holds; memory is then bounded by the open windows
// and the surviving rows. Executions that will be merged must not share
// groups once closing (partition workers by a BY key). It returns how many
// groups closed.
func (e *Execution) CloseWindows(watermark int64) int {
	h, ok := e.head.(*statsOp)
	if !ok {
		return 0
	}
	if e.survive == nil {
		e.survive = survivalTest(e.x, e.q.rest)
	}
	return h.closeBefore(watermark, e.survive)
}

// survivalTest runs a STATS output row through the row-local prefix of the
// commands after STATS and reports whether it comes out. The commands may
// write the row (EVAL columns).
func survivalTest(x *ctx, rest []opSpec) func([]doc.Value) bool {
	out := &captureSink{}
	chain := buildChain(x, rowLocalPrefix(rest), out)
	return func(row []doc.Value) bool {
		out.got = false
		chain.push(row)
		return out.got
	}
}

// rowLocalPrefix returns the leading WHERE and EVAL commands of rest,
// looking through SORTs: filters commute with sorting, which runs at Finish.
func rowLocalPrefix(rest []opSpec) []opSpec {
	var local []opSpec
	for _, s := range rest {
		switch s.(type) {
		case *whereSpec, *evalSpec:
			local = append(local, s)
		case *sortSpec:
		default:
			return local
		}
	}
	return local
}

// slotsRead lists the slots WHERE and EVAL commands read.
func slotsRead(specs []opSpec) []int {
	var reads []int
	for _, s := range specs {
		switch s := s.(type) {
		case *whereSpec:
			reads = append(reads, s.reads...)
		case *evalSpec:
			reads = append(reads, s.reads...)
		}
	}
	return reads
}

// captureSink notes that a row arrived.
type captureSink struct{ got bool }

func (c *captureSink) push([]doc.Value) bool { c.got = true; return true }
func (c *captureSink) finish()               {}

// Matched is the number of rows that passed the per-event stage (WHERE,
// EVAL… before the first STATS, SORT or LIMIT) so far, merged workers included.
func (e *Execution) Matched() int64 { return e.matched }

func buildChain(x *ctx, specs []opSpec, last sink) sink {
	s := last
	for i := len(specs) - 1; i >= 0; i-- {
		s = specs[i].build(x, s)
	}
	return s
}

// Push streams one document through the per-event stage. The caller
// routes documents: Push does not check d.Index against the FROM patterns
// (see MatchesIndex). ROW queries ignore documents. Push keeps neither d
// nor memory its values refer to, only copies of what it needs, so d may
// alias a buffer the caller reuses (doc.DecodeOptions.Reuse).
func (e *Execution) Push(d *doc.Document) {
	if e.done || e.q.patterns == nil {
		return
	}
	row := e.row
	if d.Layout != nil && d.Layout != e.layout {
		e.bind(d.Layout)
	}
	for i, a := range e.q.loads {
		switch a.meta {
		case metaNone:
			if d.Layout == nil {
				row[a.slot] = d.Fields[a.src]
			} else if s := e.docSlots[i]; s >= 0 {
				row[a.slot] = d.Slots[s]
			} else {
				row[a.slot] = doc.Value{}
			}
		case metaID:
			row[a.slot] = doc.KeywordOf(d.ID)
		case metaIndex:
			row[a.slot] = doc.KeywordOf(d.Index)
		case metaSource:
			if d.Source == "" {
				row[a.slot] = doc.Value{}
			} else {
				row[a.slot] = doc.Value{T: doc.Source, S: d.Source}
			}
		case metaVersion:
			v := d.Version
			if v == 0 {
				v = 1
			}
			row[a.slot] = doc.Long64(v)
		}
	}
	e.x.doc = d
	if !e.first.push(row) || e.x.mem.err != nil {
		e.done = true
	}
	e.x.doc = nil
}

// bind maps the query's loads to the slots of documents laid out by l.
func (e *Execution) bind(l *doc.Layout) {
	e.layout = l
	e.docSlots = e.docSlots[:0]
	for _, a := range e.q.loads {
		e.docSlots = append(e.docSlots, l.Slot(a.src))
	}
}

// Done reports that a LIMIT is satisfied and further documents are ignored.
func (e *Execution) Done() bool { return e.done }

// Merge folds another execution of the same query (a parallel worker) into
// e. STATS states merge exactly; a LIMIT n before any SORT/STATS keeps the
// first n rows of e then other, which like Elasticsearch's own LIMIT
// without SORT picks an unspecified subset.
func (e *Execution) Merge(other *Execution) { e.merge(other, false) }

// Absorb is Merge for an other that is dropped afterwards: its aggregation
// states may move into e instead of being copied.
func (e *Execution) Absorb(other *Execution) { e.merge(other, true) }

func (e *Execution) merge(other *Execution, take bool) {
	switch h := e.head.(type) {
	case *statsOp:
		h.merge(other.head.(*statsOp), take)
	case *sortOp:
		h.merge(other.head.(*sortOp))
	case *bufferSink:
		h.merge(other.head.(*bufferSink))
	}
	e.x.warn.merge(other.x.warn)
	e.matched += other.matched
	e.x.mem.adopt(&other.x.mem)
	e.done = e.done || e.x.mem.err != nil
}

// Finish runs the blocking stage and returns the result, or a
// *MemoryError when the query needed more than its memory limit. It gives
// the memory the execution held back to the query's budget.
func (e *Execution) Finish() (*Result, error) {
	defer e.x.mem.release()
	if err := e.x.mem.err; err != nil {
		return nil, err
	}
	q := e.q
	if q.patterns == nil && q.rowVals != nil {
		row := make([]doc.Value, q.nslots)
		for i, s := range q.rowSlots {
			row[s] = q.rowVals[i]
		}
		e.first.push(row)
	}
	out := &outputSink{slots: q.outSlots}
	tail := buildChain(e.x, q.rest, out)
	switch h := e.head.(type) {
	case *statsOp:
		h.next = tail
		h.finish()
	case *sortOp:
		h.next = tail
		h.finish()
	case *bufferSink:
		s := buildChain(e.x, []opSpec{q.head}, tail)
		h.rows.each(make([]doc.Value, q.nslots), s.push)
		s.finish()
	}
	e.x.mem.flush()
	if err := e.x.mem.err; err != nil {
		return nil, err
	}
	res := &Result{Columns: q.Columns(), Rows: out.rows}
	if res.Rows == nil {
		res.Rows = [][]doc.Value{}
	}
	res.Warnings = append(append([]string(nil), q.compWarn...), e.x.warn.lines...)
	return res, nil
}

// Run compiles and runs a query over documents in one call.
func Run(query string, cat Catalog, docs iter.Seq[*doc.Document], opts Options) (*Result, error) {
	return runPushing(query, cat, docs, opts, 1)
}

// RunBatched is Run pushing the documents in batches of up to 1024
// (Execution.PushBatch), so the per-event stage runs column-wise when the
// query is Columnar. The documents must stay valid until it returns.
func RunBatched(query string, cat Catalog, docs iter.Seq[*doc.Document], opts Options) (*Result, error) {
	return runPushing(query, cat, docs, opts, 1024)
}

func runPushing(query string, cat Catalog, docs iter.Seq[*doc.Document], opts Options, batch int) (*Result, error) {
	q, err := Compile(query, cat, opts)
	if err != nil {
		return nil, err
	}
	e := q.NewExecution()
	if docs != nil && q.patterns != nil {
		var b []*doc.Document
		for d := range docs {
			if d.Index != "" && !q.MatchesIndex(d.Index) {
				continue
			}
			if batch == 1 {
				e.Push(d)
			} else if b = append(b, d); len(b) == batch {
				e.PushBatch(b)
				b = b[:0]
			}
			if e.Done() {
				break
			}
		}
		if len(b) > 0 {
			e.PushBatch(b)
		}
	}
	return e.Finish()
}

// matchIndex applies the FROM patterns as Elasticsearch resolves them.
func matchIndex(patterns []string, index string) bool {
	var ps []string
	for _, p := range patterns {
		ps = append(ps, doc.SplitIndexPatterns(p)...)
	}
	return doc.MatchIndex(ps, index)
}

// OpenGroups returns (copies of) the keys of the STATS groups still open
// (not closed by CloseWindows), for monitoring live state.
func (e *Execution) OpenGroups() [][]doc.Value {
	h, ok := e.head.(*statsOp)
	if !ok {
		return nil
	}
	order := h.liveOrder()
	out := make([][]doc.Value, len(order))
	for i, g := range order {
		out[i] = slices.Clone(g.keys)
	}
	return out
}
