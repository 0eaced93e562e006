package engine

import (
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/exception"
	"vigil/internal/rule"
)

// ApplyExceptions resolves the rule's exceptions_list references against
// the loaded lists and splits their items by stage (exception.Apply): the
// fields of the indices its FROM reads (mapping resolved by cat) are
// source fields, filtered before the query as Kibana does; the query's
// output columns (BY keys, Esql.* aggregates…) are filtered on result
// rows. It returns the problems an analyst must see: references to lists
// not loaded and items rejected because they name a field the rule cannot
// see. Items expired at now are left out.
func (cr *CompiledRule) ApplyExceptions(set *exception.Set, cat *Catalog, now time.Time) ([]error, error) {
	a, problems, err := cr.CompileExceptions(set, exception.RefsOf(cr.Rule.ExceptionsList), cat, now)
	if err != nil {
		return problems, err
	}
	cr.Exceptions = a
	return problems, nil
}

// CompileExceptions is ApplyExceptions for the lists refs names, without
// attaching the result: `vigil serve` compiles a changed set off the
// engine goroutine and hands it over with Live.SetExceptions. The
// problems include a.Rejected; a is nil when no item applies.
func (cr *CompiledRule) CompileExceptions(set *exception.Set, refs []exception.Ref, cat *Catalog, now time.Time) (*exception.Applied, []error, error) {
	items, problems := set.Resolve(refs)
	if len(items) == 0 {
		return nil, problems, nil
	}
	m, err := cat.Resolve(cr.Query.IndexPatterns())
	if err != nil {
		return nil, problems, err
	}
	var cols []string
	for _, c := range cr.Query.Plan().Output {
		cols = append(cols, c.Name)
	}
	a, err := exception.Apply(items, exception.View{Source: m, Output: cols}, set.ValueLists, now)
	if err != nil {
		return nil, problems, ruleError(cr.Rule, err)
	}
	return a, append(problems, a.Rejected...), nil
}

// SetExceptions replaces the applied exceptions of the live rule cr (engine
// goroutine only: the engine reads cr.Exceptions per event). Its
// per-item counts restart, as they are indexed by the old items.
func (l *Live) SetExceptions(cr *CompiledRule, a *exception.Applied) {
	cr.Exceptions = a
	for _, r := range l.rules {
		if r.cr == cr {
			r.excepted, r.exceptedRows = nil, nil
		}
	}
}

// Fields are the source fields the rule reads: its query's and its
// source-stage exceptions'.
func (cr *CompiledRule) Fields() []string {
	return append(cr.Query.Fields(), cr.Exceptions.Fields()...)
}

// excepted reports whether a source event is removed by an exception
// before the query, counting it against the item into counts (per source
// item, allocated on first use) unless counts is nil. Only events the
// query's per-event stage would have passed are counted: what the tuning
// hides, and the same count whether or not the byte prefilter let
// hopeless lines through.
func (cr *CompiledRule) excepted(d *doc.Document, counts *[]int64) bool {
	if cr.Exceptions == nil {
		return false
	}
	if counts == nil || cr.Exceptions.Source.Match(d) < 0 {
		return exceptedBy(cr.Exceptions, d, nil)
	}
	m, _ := cr.matchers.Get().(*esql.EventMatcher)
	if m == nil {
		m = cr.Query.NewEventMatcher()
	}
	passes := m.Match(d)
	cr.matchers.Put(m)
	if !passes {
		return true
	}
	return exceptedBy(cr.Exceptions, d, counts)
}

// exceptedBy is excepted for any rule type's applied exceptions (nil: none).
func exceptedBy(a *exception.Applied, d *doc.Document, counts *[]int64) bool {
	if a == nil {
		return false
	}
	i := a.Source.Match(d)
	if i < 0 {
		return false
	}
	if counts != nil {
		if *counts == nil {
			*counts = make([]int64, a.Source.Len())
		}
		(*counts)[i]++
	}
	return true
}

// ExceptionCount is how much one exception item removed from a rule.
type ExceptionCount struct {
	Item *exception.Item
	// Events is the number of source events it removed before the query
	// (among those that reached it: lines the byte prefilter proves cannot
	// match the query are not tested); Alerts the result rows (alerts) it
	// removed after.
	Events, Alerts int64
}

// RuleExceptions is what one rule's exception items removed (a replay's
// per-rule counts; a sweep reports them in RuleResult.Exceptions).
type RuleExceptions struct {
	Rule   *rule.Rule
	Counts []ExceptionCount
}

// exceptedRow reports whether a result row is removed by an output-stage
// exception, and which item removed it.
func (cr *CompiledRule) exceptedRow(cols []esql.Column, row []doc.Value) int {
	if cr.Exceptions == nil || cr.Exceptions.Output.Len() == 0 {
		return -1
	}
	fields := make(map[string]doc.Value, len(cols))
	for i, c := range cols {
		if !row[i].IsNull() {
			fields[c.Name] = row[i]
		}
	}
	return cr.Exceptions.Output.Match(&doc.Document{Fields: fields})
}

// exceptionCounts lists per item what it removed, items that removed
// nothing included (a tuning change that hides nothing is news too).
func (cr *CompiledRule) exceptionCounts(events, alerts []int64) []ExceptionCount {
	return exceptionCounts(cr.Exceptions, events, alerts)
}

// exceptionCounts is CompiledRule.exceptionCounts for any rule type's
// applied exceptions.
func exceptionCounts(a *exception.Applied, events, alerts []int64) []ExceptionCount {
	if a == nil {
		return nil
	}
	var out []ExceptionCount
	for i := 0; i < a.Source.Len(); i++ {
		c := ExceptionCount{Item: a.Source.Item(i)}
		if events != nil {
			c.Events = events[i]
		}
		out = append(out, c)
	}
	for i := 0; i < a.Output.Len(); i++ {
		c := ExceptionCount{Item: a.Output.Item(i)}
		if alerts != nil {
			c.Alerts = alerts[i]
		}
		out = append(out, c)
	}
	return out
}

// addExcepted folds a chunk partial's exception counts into r's.
func (r *sweepRule) addExcepted(counts []int64) {
	if counts == nil {
		return
	}
	if r.excepted == nil {
		r.excepted = make([]int64, len(counts))
	}
	for i, n := range counts {
		r.excepted[i] += n
	}
}

// keptRows are the result rows no output-stage exception removes (rows
// itself when none does), counting removals per item into counts unless
// it is nil.
func (cr *CompiledRule) keptRows(cols []esql.Column, rows [][]doc.Value, counts *[]int64) [][]doc.Value {
	if cr.Exceptions == nil || cr.Exceptions.Output.Len() == 0 {
		return rows
	}
	var kept [][]doc.Value
	for _, row := range rows {
		i := cr.exceptedRow(cols, row)
		if i < 0 {
			kept = append(kept, row)
			continue
		}
		if counts != nil {
			if *counts == nil {
				*counts = make([]int64, cr.Exceptions.Output.Len())
			}
			(*counts)[i]++
		}
	}
	return kept
}

// except reports whether a live event is removed by a source-stage
// exception; events replayed from the spool were counted when they came.
func (r *liveRule) except(d *doc.Document, replaying bool) bool {
	counts := &r.excepted
	if replaying {
		counts = nil
	}
	return r.cr.excepted(d, counts)
}

// keptRows is CompiledRule.keptRows for a live run, counting the rows
// removed only when the run is final (a real-time run is re-evaluated as
// events come, and would count a row again).
func (r *liveRule) keptRows(res *esql.Result, final bool) [][]doc.Value {
	var counts *[]int64
	if final {
		counts = &r.exceptedRows
	}
	return r.cr.keptRows(res.Columns, res.Rows, counts)
}
