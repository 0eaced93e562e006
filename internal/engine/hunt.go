package engine

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/exception"
	"vigil/internal/rule"
)

// CompiledRule is a rule with its query compiled once.
type CompiledRule struct {
	Rule  *rule.Rule
	Query *esql.Query
	// post rewrites the query's result before alerts are built from it,
	// given the start (ms) of the data the run saw: nil for ES|QL rules;
	// new_terms rules pick their new value combinations (ruletype.go).
	post func(res *esql.Result, from int64)
	// Exceptions are the rule's exception items by stage (nil: none; see
	// ApplyExceptions).
	Exceptions *exception.Applied
	// matchers hold esql.EventMatchers (not safe for concurrent use) for
	// counting excepted events (see excepted).
	matchers sync.Pool
}

// Compile compiles a rule's query against the catalog, moving ES|QL error
// positions from the query into the rule file.
func Compile(r *rule.Rule, cat esql.Catalog, opts esql.Options) (*CompiledRule, error) {
	if r.Type == "eql" { // not an ES|QL query: CompileEQL
		return nil, &rule.Error{Path: r.Path, Line: r.QueryLine, Msg: "an eql rule compiles with CompileEQL"}
	}
	if r.Type != "esql" && r.Type != "" {
		return compileKQLRule(r, cat, opts)
	}
	q, err := esql.Compile(r.Query, cat, opts)
	if err != nil {
		if more := declaredColumns(r.Query, cat, err); more != nil {
			q, err = esql.Compile(r.Query, more, opts)
		}
	}
	if err != nil {
		return nil, ruleError(r, err)
	}
	return &CompiledRule{Rule: r, Query: q}, nil
}

// ReadIDs reports whether any of the rules reads METADATA _id: decoders
// then give documents without an _id their doc.AutoID.
func ReadIDs(rules []*CompiledRule) bool {
	for _, cr := range rules {
		if cr.Query.ReadsID() {
			return true
		}
	}
	return false
}

// CannotRun returns why Vigil cannot run a compiled rule, positioned in
// the rule file, or nil when it can (see esql.Query.CannotRun): such a
// rule is valid, and skipped with this reason.
func (cr *CompiledRule) CannotRun() error {
	if e := cr.Query.CannotRun(); e != nil {
		return ruleError(cr.Rule, e)
	}
	return nil
}

// ReadSources reports whether any of the rules reads METADATA _source:
// decoders then keep each document's JSON (doc.DecodeOptions.Source).
func ReadSources(rules []*CompiledRule) bool {
	for _, cr := range rules {
		if cr.Query.ReadsSource() {
			return true
		}
	}
	return false
}

// DecodeFields is every field the rules read plus what routing (the
// data_stream.* fields), time (each rule's timestamp) and the per-source
// watermarks need: decoders project to it and skip the rest of each event.
func DecodeFields(rules []*CompiledRule, eqlRules []*EQLRule) []string {
	set := map[string]bool{"@timestamp": true, "data_stream.type": true, "data_stream.dataset": true, "data_stream.namespace": true}
	for _, f := range SourceFields() {
		set[f] = true
	}
	for _, cr := range rules {
		for _, f := range cr.Fields() {
			set[f] = true
		}
		if cr.Rule.TimestampField != "" {
			set[cr.Rule.TimestampField] = true
		}
	}
	for _, er := range eqlRules {
		for _, f := range er.Fields() {
			set[f] = true
		}
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// ruleError re-positions ES|QL errors (line:col within the query) as
// file:line:col within the rule file.
func ruleError(r *rule.Rule, err error) error {
	list := esqlErrors(err)
	if list == nil {
		return &rule.Error{Path: r.Path, Line: r.QueryLine, Msg: err.Error()}
	}
	var out []error
	for _, e := range list {
		out = append(out, inRuleFile(r, e.Line, e.Col, e.Msg))
	}
	return errors.Join(out...)
}

// inRuleFile positions a query error (line:col within the query) in the
// rule file.
func inRuleFile(r *rule.Rule, line, col int, msg string) *rule.Error {
	if r.QueryLine > 0 {
		line += r.QueryLine - 1
	}
	return &rule.Error{Path: r.Path, Line: line, Col: col, Msg: msg}
}

// esqlErrors returns the positioned errors of an ES|QL compilation error
// (one or several), nil when err is of another kind.
func esqlErrors(err error) []*esql.Error {
	var one *esql.Error
	var many interface{ Errors() []*esql.Error }
	switch {
	case errors.As(err, &many):
		return many.Errors()
	case errors.As(err, &one):
		return []*esql.Error{one}
	}
	return nil
}

// Sweep evaluates rules over everything pushed to it as one query range:
// every window of the data evaluated once, one alert per group.
type Sweep struct {
	rules []*sweepRule
	// IndexFallback names the index of documents that carry neither _index
	// nor data_stream fields (the CLI's --index).
	IndexFallback string
	Unindexed     int64 // documents no index could be named for
	// UnindexedMatchAll sends documents no index can be named for to every
	// rule instead of none, as `vigil query` treats them.
	UnindexedMatchAll bool
	// Lateness bounds how far behind the newest event a document may arrive
	// and still be counted in its window. Windowed rules (STATS BY a time
	// bucket) close windows older than that, which keeps memory bounded by
	// the open windows instead of the input; results are exact whenever no
	// document is later than Lateness. Negative (NewSweep's default)
	// disables closing.
	Lateness time.Duration
	// closeEvery is how many documents pass between window-closing sweeps.
	closeEvery int
}

type sweepRule struct {
	cr       *CompiledRule
	exec     *esql.Execution
	pushed   int64
	min, max int64 // event time range seen (ms), for the alert's range
	// Window closing: the field windows are cut on, the newest time seen on
	// it, the watermark last applied, and documents that came in below it.
	window    string
	newest    int64
	watermark int64
	late      int64
	sinceTick int
	// In a parallel chunk's partial: the window-field times it saw.
	oldest int64
	times  []int64
	// limit bounds the rows of the LIMIT that starts the query's blocking
	// stage, -1 when a STATS or SORT starts it (esql.Query.HeadLimit).
	limit int
	// In a parallel chunk's partial: the merge has filled that LIMIT.
	filled bool
	// excepted counts source events removed per source-stage exception
	// item (nil until one is).
	excepted []int64
}

// notePartialWindow records a chunk document's window-field times (v), so
// the merge can advance the watermark and spot late events.
func (r *sweepRule) notePartialWindow(v doc.Value) {
	if v.IsNull() || !v.T.IsTemporal() {
		return
	}
	for i := 0; i < v.Len(); i++ {
		t := millis(v.At(i))
		r.oldest, r.newest = min(r.oldest, t), max(r.newest, t)
		r.times = append(r.times, t)
	}
}

// lateCandidates counts a chunk's window-field times below the watermark.
func (r *sweepRule) lateCandidates(watermark int64) int64 {
	var n int64
	for _, t := range r.times {
		if t < watermark {
			n++
		}
	}
	return n
}

// NewSweep prepares a sweep over the given rules.
func NewSweep(rules []*CompiledRule) *Sweep {
	s := &Sweep{Lateness: -1, closeEvery: 4096}
	for _, cr := range rules {
		s.rules = append(s.rules, &sweepRule{cr: cr, exec: cr.Query.NewExecution(), min: 1<<63 - 1, max: -1 << 63,
			window: cr.Query.WindowField(), newest: -1 << 63, watermark: -1 << 63, limit: cr.Query.HeadLimit()})
	}
	return s
}

// Push routes one document to every rule whose FROM names its index.
func (s *Sweep) Push(d *doc.Document) {
	index, stream, ok := route(d, s.IndexFallback)
	if !ok {
		s.Unindexed++
		if !s.UnindexedMatchAll {
			return
		}
	}
	for _, r := range s.rules {
		if ok && !Reads(r.cr.Query, index, stream) {
			continue
		}
		r.pushed++
		if ts := d.Get(timestampField(r.cr.Rule)); ts.T == doc.Date && !ts.IsMulti() {
			r.min, r.max = min(r.min, ts.I), max(r.max, ts.I)
		}
		if r.window != "" && s.Lateness >= 0 {
			s.advance(r, d)
		}
		if r.cr.excepted(d, &r.excepted) {
			continue
		}
		r.exec.Push(d)
	}
}

// advance moves a windowed rule's watermark with event time and closes the
// windows that fell behind it.
func (s *Sweep) advance(r *sweepRule, d *doc.Document) {
	v := d.Get(r.window)
	if v.IsNull() || !v.T.IsTemporal() {
		return
	}
	for i := 0; i < v.Len(); i++ {
		t := millis(v.At(i))
		if t < r.watermark {
			r.late++
		}
		r.newest = max(r.newest, t)
	}
	r.sinceTick++
	if r.sinceTick < s.closeEvery {
		return
	}
	r.sinceTick = 0
	if wm := r.newest - s.Lateness.Milliseconds(); wm > r.watermark {
		r.watermark = wm
		r.exec.CloseWindows(wm)
	}
}

func timestampField(r *rule.Rule) string {
	if r.TimestampField != "" {
		return r.TimestampField
	}
	return "@timestamp"
}

// stoppedError words a rule stopped at its memory limit, the command
// positioned in the rule file as compile errors are.
func stoppedError(r *rule.Rule, mem *esql.MemoryError) error {
	m := *mem
	at := ""
	if m.Line > 0 {
		if r.QueryLine > 0 {
			m.Line += r.QueryLine - 1
		}
		at = fmt.Sprintf("%s:%d:%d: ", r.Path, m.Line, m.Col)
		m.Line = 0 // said by at
	}
	return fmt.Errorf("rule %q stopped: %s%w", r.Name, at, &m)
}

// RuleResult is one rule's outcome.
type RuleResult struct {
	Rule      *rule.Rule
	Events    int64 // documents routed to the rule
	Matched   int64 // rows that passed the query's per-event stage (its filter)
	Rows      int   // result rows (before max_signals)
	Alerts    []*Alert
	Warnings  []string
	Truncated bool // the result hit the query's (implicit) LIMIT
	// Late counts documents that arrived after their window had closed
	// (more than Sweep.Lateness behind the newest event): their windows'
	// results may be incomplete.
	Late int64
	// Err is set when the rule was stopped before its end (its query
	// needed more than its memory limit: an *esql.MemoryError): it has no
	// alerts, and the other rules' results are whole.
	Err error
	// Exceptions is what each of the rule's exception items removed.
	Exceptions []ExceptionCount
}

// Newest is the latest timestamp among the documents the rules read (each
// on its rule's timestamp field), or false when none had one: the input's
// "now", which a sweep's NOW() stands for.
func (s *Sweep) Newest() (time.Time, bool) {
	newest, ok := int64(0), false
	for _, r := range s.rules {
		if r.min <= r.max && (!ok || r.max > newest) {
			newest, ok = r.max, true
		}
	}
	return time.UnixMilli(newest).UTC(), ok
}

// Finish runs every rule's aggregating stage and builds alerts, stamped
// with the execution time now. A rule stopped at its memory limit has
// RuleResult.Err set; the other rules are unaffected.
func (s *Sweep) Finish(now time.Time, execUUID string) ([]*RuleResult, error) {
	var out []*RuleResult
	for _, r := range s.rules {
		res, err := r.exec.Finish()
		var mem *esql.MemoryError
		if errors.As(err, &mem) {
			out = append(out, &RuleResult{Rule: r.cr.Rule, Events: r.pushed, Matched: r.exec.Matched(), Late: r.late,
				Err: stoppedError(r.cr.Rule, mem)})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("rule %q: %w", r.cr.Rule.Name, err)
		}
		if r.cr.post != nil {
			r.cr.post(res, r.min)
		}
		ex := Execution{UUID: execUUID, Time: now, Indices: r.cr.Query.IndexPatterns()}
		if r.min <= r.max {
			ex.From, ex.To = time.UnixMilli(r.min).UTC(), time.UnixMilli(r.max).UTC()
		}
		rr := &RuleResult{Rule: r.cr.Rule, Events: r.pushed, Matched: r.exec.Matched(), Rows: len(res.Rows), Warnings: res.Warnings, Late: r.late}
		by := r.cr.Query.GroupBy()
		seen := map[string]bool{}
		var exceptedRows []int64
		for _, row := range r.cr.keptRows(res.Columns, res.Rows, &exceptedRows) {
			a := BuildAlert(r.cr.Rule, res.Columns, row, by, ex)
			if seen[a.ID] {
				continue
			}
			seen[a.ID] = true
			rr.Alerts = append(rr.Alerts, a)
		}
		rr.Exceptions = r.cr.exceptionCounts(r.excepted, exceptedRows)
		rr.Truncated = r.cr.Query.Limit() > 0 && len(res.Rows) >= r.cr.Query.Limit()
		out = append(out, rr)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Rule.Name < out[j].Rule.Name })
	return out, nil
}
