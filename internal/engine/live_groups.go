package engine

import "vigil/internal/esql"

// execGroups is the live state an execution holds: its open STATS groups
// (or buffered rows), for the MaxGroups cap.
func execGroups(e *esql.Execution) int { return e.Groups() }

// peekExec evaluates a run that keeps filling. Finish consumes an
// execution, so it is evaluated in place when esql can (Peek), else on a
// copy (Merge copies every group's state).
func peekExec(q *esql.Query, e *esql.Execution) (*esql.Result, error) {
	if res, ok := e.Peek(); ok {
		return res, nil
	}
	c := q.NewExecution()
	c.Merge(e)
	return c.Finish()
}
