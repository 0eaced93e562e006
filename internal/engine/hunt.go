package engine

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// CompiledRule is a rule with its query compiled once.
type CompiledRule struct {
	Rule  *rule.Rule
	Query *esql.Query
}

// Compile compiles a rule's query against the catalog, moving ES|QL error
// positions from the query into the rule file.
func Compile(r *rule.Rule, cat esql.Catalog, opts esql.Options) (*CompiledRule, error) {
	q, err := esql.Compile(r.Query, cat, opts)
	if err != nil {
		return nil, ruleError(r, err)
	}
	return &CompiledRule{Rule: r, Query: q}, nil
}

// ruleError re-positions ES|QL errors (line:col within the query) as
// file:line:col within the rule file.
func ruleError(r *rule.Rule, err error) error {
	var list []*esql.Error
	var one *esql.Error
	var many interface{ Errors() []*esql.Error }
	switch {
	case errors.As(err, &many):
		list = many.Errors()
	case errors.As(err, &one):
		list = []*esql.Error{one}
	default:
		return &rule.Error{Path: r.Path, Line: r.QueryLine, Msg: err.Error()}
	}
	var out []error
	for _, e := range list {
		line := e.Line
		if r.QueryLine > 0 {
			line += r.QueryLine - 1
		}
		out = append(out, &rule.Error{Path: r.Path, Line: line, Col: e.Col, Msg: e.Msg})
	}
	return errors.Join(out...)
}

// Sweep evaluates rules over everything pushed to it as one query range:
// every window of the data evaluated once, one alert per group.
type Sweep struct {
	rules []*sweepRule
	// IndexFallback names the index of documents that carry neither _index
	// nor data_stream fields (the CLI's --index).
	IndexFallback string
	Unindexed     int64 // documents no index could be named for
}

type sweepRule struct {
	cr       *CompiledRule
	exec     *esql.Execution
	pushed   int64
	min, max int64 // event time range seen (ms), for the alert's range
}

// NewSweep prepares a sweep over the given rules.
func NewSweep(rules []*CompiledRule) *Sweep {
	s := &Sweep{}
	for _, cr := range rules {
		s.rules = append(s.rules, &sweepRule{cr: cr, exec: cr.Query.NewExecution(), min: 1<<63 - 1, max: -1 << 63})
	}
	return s
}

// Push routes one document to every rule whose FROM names its index.
func (s *Sweep) Push(d *doc.Document) {
	index, stream, ok := route(d, s.IndexFallback)
	if !ok {
		s.Unindexed++
		return
	}
	for _, r := range s.rules {
		if !Reads(r.cr.Query, index, stream) {
			continue
		}
		r.pushed++
		if ts := d.Get(timestampField(r.cr.Rule)); ts.T == doc.Date && !ts.IsMulti() {
			r.min, r.max = min(r.min, ts.I), max(r.max, ts.I)
		}
		r.exec.Push(d)
	}
}

func timestampField(r *rule.Rule) string {
	if r.TimestampField != "" {
		return r.TimestampField
	}
	return "@timestamp"
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
}

// Finish runs every rule's aggregating stage and builds alerts, stamped
// with the execution time now.
func (s *Sweep) Finish(now time.Time, execUUID string) ([]*RuleResult, error) {
	var out []*RuleResult
	for _, r := range s.rules {
		res, err := r.exec.Finish()
		if err != nil {
			return nil, fmt.Errorf("rule %q: %w", r.cr.Rule.Name, err)
		}
		ex := Execution{UUID: execUUID, Time: now}
		if r.min <= r.max {
			ex.From, ex.To = time.UnixMilli(r.min).UTC(), time.UnixMilli(r.max).UTC()
		}
		rr := &RuleResult{Rule: r.cr.Rule, Events: r.pushed, Matched: r.exec.Matched(), Rows: len(res.Rows), Warnings: res.Warnings}
		by := r.cr.Query.GroupBy()
		seen := map[string]bool{}
		for _, row := range res.Rows {
			a := BuildAlert(r.cr.Rule, res.Columns, row, by, ex)
			if seen[a.ID] {
				continue
			}
			seen[a.ID] = true
			rr.Alerts = append(rr.Alerts, a)
		}
		rr.Truncated = r.cr.Query.Limit() > 0 && len(res.Rows) >= r.cr.Query.Limit()
		out = append(out, rr)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Rule.Name < out[j].Rule.Name })
	return out, nil
}
