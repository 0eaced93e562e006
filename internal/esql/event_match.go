package esql

import "vigil/internal/doc"

// EventMatcher decides one document at a time whether it comes out of the
// query's per-event stage (WHERE, EVAL… before the first STATS, SORT or
// LIMIT): whether it would reach an Execution's blocking stage, keeping no
// state between documents. A rule's "events matched" counts these. Not
// safe for concurrent use.
type EventMatcher struct {
	e   *Execution
	hit bool
}

// NewEventMatcher returns a matcher for the query's per-event stage.
func (q *Query) NewEventMatcher() *EventMatcher {
	m := &EventMatcher{e: q.newExecution()}
	m.e.first = buildChain(m.e.x, q.stage1, hitSink{&m.hit})
	return m
}

// Match reports whether d yields a row from the per-event stage (one or
// more, for MV_EXPAND). A ROW query matches no document.
func (m *EventMatcher) Match(d *doc.Document) bool {
	m.hit, m.e.done = false, false
	m.e.Push(d)
	return m.hit
}

// hitSink notes that a row arrived and stops the document's rows there.
type hitSink struct{ hit *bool }

func (h hitSink) push([]doc.Value) bool { *h.hit = true; return false }
func (h hitSink) finish()               {}
