package esql

import (
	"strconv"
	"sync/atomic"
	"unsafe"

	"vigil/internal/doc"
)

// Memory budget. The commands that hold data until Finish (STATS and INLINE
// STATS groups, VALUES' values, INLINE STATS' input rows, SORT's rows, a
// LIMIT's buffered rows) charge what they keep to their execution's
// account; the accounts of every execution of one compiled Query (parallel
// workers, live runs) draw on one budget, Options.MemoryLimit. A charge that
// takes the budget past its limit stops the execution: Push ignores further
// documents and Finish returns a *MemoryError naming the command, so the
// caller stops that query, not the process.
//
// Sizes are estimates, cheap enough for the per-row path: a doc.Value at
// its in-memory size (valueBytes) plus its string bytes and multi-value
// elements; a group at its keys plus a fixed cost per aggregation state;
// VALUES at its values. Go's own overhead (map buckets, slice growth, the
// collector's headroom) comes on top: a process holding L accounted bytes
// may need up to about 2L of RSS.

// DefaultMemoryLimit is Options.MemoryLimit's default, per query.
const DefaultMemoryLimit = 1 << 30

// valueBytes is the in-memory size of a doc.Value.
const valueBytes = int64(unsafe.Sizeof(doc.Value{}))

// stateBytes is what an aggregation state is counted at, beyond what it
// reports growing (see grower): most are a few words.
const stateBytes = 64

// chargeBatch is how many bytes an account gathers before charging the
// shared budget: one atomic add per batch, not per row. An execution may
// overshoot the limit by at most one batch.
const chargeBatch = 256 << 10

// budget is one query's memory limit and what its executions hold.
type budget struct {
	limit int64 // <= 0: unlimited
	used  atomic.Int64
}

func newBudget(limit int64) *budget {
	if limit == 0 {
		limit = DefaultMemoryLimit
	}
	return &budget{limit: limit}
}

// MemoryError is returned by Execution.Finish when the query needed more
// memory than its limit: Command names the command that asked for it
// ("INLINE STATS"), Line and Col where it is in the query (0 when it is
// implicit).
type MemoryError struct {
	Command   string
	Line, Col int
	Limit     int64
}

func (e *MemoryError) Error() string {
	at := ""
	if e.Line > 0 {
		at = " at line " + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Col)
	}
	return e.Command + at + " needs more than the memory limit of " + FormatBytes(e.Limit) + " (--memory-limit)"
}

// account is one execution's share of its query's budget.
type account struct {
	b       *budget
	held    int64  // charged to b
	pending int64  // not yet charged
	cmd     cmdRef // the command that charged last
	err     *MemoryError
}

// charge counts n more bytes held for the command cmd (released when
// negative). It reports false once the execution is over its budget.
func (a *account) charge(n int64, cmd cmdRef) bool {
	a.pending += n
	if n > 0 {
		a.cmd = cmd
	}
	if a.pending >= chargeBatch {
		a.flush()
	}
	return a.err == nil
}

// flush charges the pending bytes to the budget.
func (a *account) flush() {
	if a.b == nil {
		return
	}
	used := a.b.used.Add(a.pending)
	a.held += a.pending
	a.pending = 0
	if a.b.limit > 0 && used > a.b.limit && a.err == nil {
		a.err = &MemoryError{Command: a.cmd.name, Line: a.cmd.pos.Line, Col: a.cmd.pos.Col, Limit: a.b.limit}
	}
}

// adopt takes over another execution's bytes (merged into this one).
func (a *account) adopt(o *account) {
	a.held += o.held
	a.pending += o.pending
	if a.err == nil {
		a.err = o.err
	}
	o.held, o.pending = 0, 0
}

// release gives back everything held: the execution is finished.
func (a *account) release() {
	if a.b != nil && a.held != 0 {
		a.b.used.Add(-a.held)
	}
	a.held, a.pending = 0, 0
}

// cmdRef names a command for MemoryError.
type cmdRef struct {
	name string
	pos  Pos
}

func cmdLabel(name string, p Pos) cmdRef { return cmdRef{name, p} }

// rowBytes estimates what a kept copy of row holds.
func rowBytes(row []doc.Value) int64 {
	n := int64(len(row))*valueBytes + 24
	for _, v := range row {
		n += int64(len(v.S))
		for _, e := range v.M {
			n += valueBytes + int64(len(e.S))
		}
	}
	return n
}

// FormatBytes writes a byte count in the largest binary unit that divides
// it ("1 GiB", "512 MiB", "1536 KiB", "100 B").
func FormatBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for i < len(units)-1 && n != 0 && n%1024 == 0 {
		n /= 1024
		i++
	}
	return strconv.FormatInt(n, 10) + " " + units[i]
}

// Release gives the memory an execution holds back to its query's budget,
// for an execution that is dropped without Finish (or Merge into another).
func (e *Execution) Release() { e.x.mem.release() }

// MemoryLimit is the limit the query was compiled with (Options.MemoryLimit,
// its default applied; negative: none), for recompiling it alike.
func (q *Query) MemoryLimit() int64 { return q.budget.limit }
