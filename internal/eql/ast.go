package eql

import (
	"time"

	"vigil/internal/doc"
)

// Expr is a node of a condition; Pos is its byte offset in the query.
type Expr interface{ pos() int }

type (
	// FieldRef names a field; Optional for `?field` (null when unmapped).
	FieldRef struct {
		At       int
		Name     string
		Optional bool
	}
	// Literal is a constant: null, boolean, long, double or string.
	Literal struct {
		At  int
		Val doc.Value
	}
	// Binary is a comparison (== != < <= > >= :), arithmetic (+ - * / %) or
	// logical (and, or) operation.
	Binary struct {
		At   int
		Op   string
		L, R Expr
	}
	// Not negates a condition; Neg negates a number.
	Not struct {
		At int
		X  Expr
	}
	Neg struct {
		At int
		X  Expr
	}
	// In is `x in (…)`, `x in~ (…)`, `x not in (…)`.
	In struct {
		At   int
		X    Expr
		List []Expr
		CI   bool
		Not  bool
	}
	// Pattern is `x like …`, `x regex …` (and ~ forms) and `x : (list)`:
	// Op is "like", "regex" or ":".
	Pattern struct {
		At       int
		X        Expr
		Op       string
		CI       bool
		Patterns []Expr
	}
	// Call is a function call; CI for the name~ form.
	Call struct {
		At   int
		Name string
		CI   bool
		Args []Expr
	}
)

func (e *FieldRef) pos() int { return e.At }
func (e *Literal) pos() int  { return e.At }
func (e *Binary) pos() int   { return e.At }
func (e *Not) pos() int      { return e.At }
func (e *Neg) pos() int      { return e.At }
func (e *In) pos() int       { return e.At }
func (e *Pattern) pos() int  { return e.At }
func (e *Call) pos() int     { return e.At }

// EventFilter is `category where condition`; Category "" means any.
type EventFilter struct {
	At       int
	Category string
	Cond     Expr
}

// Stage is one bracketed term of a sequence.
type Stage struct {
	Filter  EventFilter
	By      []Expr
	Missing bool // ![…]
	Runs    int  // with runs=N (1 when absent)
}

// Pipe is `| name args`.
type Pipe struct {
	At   int
	Name string
	N    int
}

// AST is a parsed query: an event query (Event set), a sequence or a
// sample (Stages and By set for both).
type AST struct {
	Event    *EventFilter
	Sequence bool
	Sample   bool
	By       []Expr // sequence by …
	MaxSpan  time.Duration
	Stages   []Stage
	Until    *Stage
	Pipes    []Pipe
	ends     map[Expr]int // where each expression ends in the source
}
