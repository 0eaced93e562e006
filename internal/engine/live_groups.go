package engine

import "vigil/internal/esql"

// execGroups is the number of STATS groups an execution holds, or -1 when
// the execution cannot tell (then the cap counts events instead).
func execGroups(e *esql.Execution) int { return -1 }

// peekExec evaluates a run that keeps filling: Finish consumes an
// execution, so a copy is finished (Merge copies every group's state).
func peekExec(q *esql.Query, e *esql.Execution) (*esql.Result, error) {
	c := q.NewExecution()
	c.Merge(e)
	return c.Finish()
}
