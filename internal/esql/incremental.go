package esql

import (
	"vigil/internal/doc"
)

// This file is the incremental side of an Execution, for a service that
// keeps windows open while events arrive (vigil serve): how much state an
// execution holds, and the result so far without finishing, so that the
// execution keeps taking documents after it.

// Groups is the live state an execution holds: open STATS groups, or rows
// buffered by an INLINE STATS, SORT or LIMIT head.
func (e *Execution) Groups() int {
	switch h := e.head.(type) {
	case *statsOp:
		if h.s.inline {
			return h.rows.len()
		}
		return h.open
	case *sortOp:
		return len(h.refs)
	case *bufferSink:
		return h.rows.len()
	}
	return 0
}

// Peek returns what Finish would return now without finishing: the
// execution keeps its groups and may take more documents. It emits rows as
// statsOp.finish does (creation order, closed groups included, the null
// group first for a single key) from the aggregation states in place —
// Result does not consume a state — through fresh operators for the
// commands after STATS. ok is false when the head is not a STATS with BY
// and at least one group (callers then Merge a copy and Finish that).
func (e *Execution) Peek() (res *Result, ok bool) {
	h, isStats := e.head.(*statsOp)
	if !isStats || h.s.inline || e.q.patterns == nil || len(h.s.keys) == 0 || h.open+len(h.closed) == 0 {
		return nil, false
	}
	q := e.q
	out := &outputSink{slots: q.outSlots}
	tail := buildChain(e.x, q.rest, out)
	h.emitRows(tail.push)
	tail.finish()
	res = &Result{Columns: q.Columns(), Rows: out.rows}
	if res.Rows == nil {
		res.Rows = [][]doc.Value{}
	}
	res.Warnings = append(append([]string(nil), q.compWarn...), e.x.warn.lines...)
	return res, true
}
