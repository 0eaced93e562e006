// Package logical is the resolved, typed logical plan of an ES|QL query:
// what the esql compiler makes of the syntax tree once names, types and
// functions are resolved, and what every consumer of a compiled query reads
// (the byte prefilter's conditions, the live engine's monotonicity test,
// query probing, the stage split) instead of re-parsing the query.
//
// A Plan is a list of commands over resolved columns. Each Col knows its
// type and its provenance — a source document field, a metadata field, or
// the expression or command that computes it — and references in
// expressions point at the Col itself, so EVAL aliases and RENAMEs are
// already resolved: a renamed column keeps its provenance under a new name,
// and a column an EVAL shadows is another Col. Expressions are a typed tree
// (Ref, Lit, Call, Agg, Case, In, Like, IsNull, Not, Logical, KQL) carrying
// the resolved function of each call, so a second lowering (columnar
// execution) can be written from the same tree as the row executor's.
//
// Constant sub-expressions appear folded (as Lit), the way the compiler
// evaluates them. The package holds data only; the esql package builds
// plans and lowers them to operators.
package logical

import (
	"vigil/internal/doc"
	"vigil/internal/esql/agg"
	"vigil/internal/esql/fn"
	"vigil/internal/kql"
)

// Plan is a compiled query's logical plan.
type Plan struct {
	// Commands run in order: the source (From or Row) first, then the
	// query's commands as executed (WHEREs with KQL() hoisted next to
	// FROM), then the implicit LIMITs the compiler appends.
	Commands []Command
	// Head indexes the first aggregating command in Commands (STATS, SORT
	// or LIMIT; the implicit LIMIT when nothing else bounds the query).
	Head int
	// Output is the result's columns, in order.
	Output []*Col
	// Fields are the source fields the query reads (its projection), sorted.
	Fields []string
}

// Source is the query's first command.
func (p *Plan) Source() *Source { return p.Commands[0].(*Source) }

// PerEvent is the stage that streams one event at a time with no shared
// state: the source and every command before Head.
func (p *Plan) PerEvent() []Command { return p.Commands[:p.Head] }

// Aggregating is the first blocking command, which starts the stage that
// runs after parallel partial results merge.
func (p *Plan) Aggregating() Command { return p.Commands[p.Head] }

// After is the commands after the aggregating one.
func (p *Plan) After() []Command { return p.Commands[p.Head+1:] }

// Window is the time bucket keying the aggregating STATS (non-inline), or
// nil when its groups are not windows.
func (p *Plan) Window() *Window {
	if s, ok := p.Aggregating().(*Stats); ok && !s.Inline {
		return s.Window
	}
	return nil
}

// LastStats is the query's last (non-inline) STATS, or nil.
func (p *Plan) LastStats() *Stats {
	for i := len(p.Commands) - 1; i >= 0; i-- {
		if s, ok := p.Commands[i].(*Stats); ok && !s.Inline {
			return s
		}
	}
	return nil
}

// Limit is the final row bound: the last LIMIT (explicit ones capped by an
// implicit one at the maximum).
func (p *Plan) Limit() int {
	for i := len(p.Commands) - 1; i >= 0; i-- {
		if l, ok := p.Commands[i].(*Limit); ok {
			return l.N
		}
	}
	return -1
}

// Command is one plan command.
type Command interface {
	// Name is the command's keyword ("FROM", "INLINE STATS", "LIMIT"…).
	Name() string
}

// Source is FROM (Patterns set) or ROW (Row set). FROM yields a column per
// mapped field and per METADATA field; the plan holds those the query
// refers to (in Refs, MvExpand.In, Output), not the whole mapping.
type Source struct {
	Patterns []string // FROM index patterns; nil for ROW
	Metadata []string // METADATA fields
	Row      []*Col   // ROW's columns, each computed by a constant Expr
}

// Where keeps the rows for which Cond is true.
type Where struct{ Cond Expr }

// Eval appends (or replaces) computed columns, each with its Expr.
type Eval struct{ Cols []*Col }

// Stats is STATS or INLINE STATS.
type Stats struct {
	Inline bool
	// By are the grouping keys, each computed by its Expr over input rows.
	By []*Col
	// Aggs are the aggregate columns; their Exprs hold Agg calls and may
	// combine them (and By keys) with other functions.
	Aggs []*Col
	// Calls are the aggregate calls in Aggs, in the order states keep them.
	Calls []*Agg
	// Window is the time bucket of the first key that is one
	// (DATE_TRUNC(span, field), directly or through columns), or nil.
	Window *Window
}

// Window is a STATS key's provenance as a time bucket of a document field.
type Window struct {
	Field string
	Span  doc.Value // TimeDuration or DatePeriod
}

// Project is KEEP, DROP or RENAME: it changes which columns exist and
// what they are called, never their values. (The schema after it is not
// kept: a DROP over FROM would hold the whole mapping; columns used later
// are reached through Refs and Output.)
type Project struct {
	Kind     string   // "KEEP", "DROP" or "RENAME"
	Patterns []string // KEEP/DROP name patterns as written (`*` wildcards)
	Renames  []Rename // RENAME's pairs
}

// Rename is one RENAME old AS new pair.
type Rename struct{ Old, New string }

// Sort orders rows.
type Sort struct{ Keys []SortKey }

// SortKey is one SORT key.
type SortKey struct {
	X          Expr
	Desc       bool
	NullsFirst bool
}

// Limit keeps the first N rows.
type Limit struct {
	N        int
	Implicit bool // appended by the compiler, not written in the query
}

// MvExpand turns each value of In's multi-value into a row; Out is the
// expanded column (in In's position, under its name).
type MvExpand struct{ In, Out *Col }

// Dissect extracts keyword columns from X with a dissect pattern.
type Dissect struct {
	X       Expr
	Pattern string
	Out     []*Col
}

// Grok extracts typed columns from X with grok patterns.
type Grok struct {
	X        Expr
	Patterns []string
	Out      []*Col
}

func (s *Source) Name() string {
	if s.Patterns == nil {
		return "ROW"
	}
	return "FROM"
}
func (*Where) Name() string { return "WHERE" }
func (*Eval) Name() string  { return "EVAL" }
func (s *Stats) Name() string {
	if s.Inline {
		return "INLINE STATS"
	}
	return "STATS"
}
func (p *Project) Name() string { return p.Kind }
func (*Sort) Name() string      { return "SORT" }
func (*Limit) Name() string     { return "LIMIT" }
func (*MvExpand) Name() string  { return "MV_EXPAND" }
func (*Dissect) Name() string   { return "DISSECT" }
func (*Grok) Name() string      { return "GROK" }

// Completion asks an LLM inference endpoint to complete Prompt for each
// row, the answer in Out (keyword). Vigil has no endpoint: a plan holding
// one compiles but cannot run (Plan.Inference).
type Completion struct {
	Prompt      Expr
	InferenceID string
	Out         *Col
	At          Pos // the command's position
}

func (*Completion) Name() string { return "COMPLETION" }

// Completion returns the plan's first COMPLETION, nil when it has none.
func (p *Plan) Completion() *Completion {
	for _, c := range p.Commands {
		if cm, ok := c.(*Completion); ok {
			return cm
		}
	}
	return nil
}

// Col is a resolved column.
type Col struct {
	Name string
	Type doc.Type
	// Field is the source document field the column reads verbatim ("" when
	// it is not one); a RENAMEd field keeps it.
	Field string
	// Meta is the metadata field it reads ("_id", "_index", "_version").
	Meta string
	// Expr computes the column (EVAL, ROW, STATS keys and aggregates); nil
	// for fields, metadata and the outputs of MV_EXPAND, DISSECT and GROK.
	Expr Expr
	// By is the command that made the column (nil for the source's).
	By Command
	// Aggregated columns hold one value per STATS group computed from many
	// events (aggregates); the others hold per-event values (BY keys too).
	Aggregated bool
}

// Origin follows a column an EVAL computes as a bare reference to another
// column (`EVAL x = y`, possibly renamed since) to the column it copies.
// (A STATS key `BY y` is not followed: it is a group's value.)
func (c *Col) Origin() *Col {
	for i := 0; i < 64; i++ { // chains are short; the bound is a guard
		r, ok := c.Expr.(*Ref)
		if _, eval := c.By.(*Eval); !ok || !eval {
			break
		}
		c = r.Col
	}
	return c
}

// Pos is a 1-based line and column in the query text. Nodes that can fail
// at evaluation time carry theirs (At): Elasticsearch words such warnings
// "Line L:C: evaluation of [Src] failed, treating result as null…".
type Pos struct{ Line, Col int }

// Expr is a typed expression node.
type Expr interface {
	// Type is the node's ES|QL type.
	Type() doc.Type
	// Source is the node's text in the query.
	Source() string
}

// Ref reads a column.
type Ref struct {
	Col *Col
	Src string
}

// Lit is a constant: a literal or a folded constant expression.
type Lit struct {
	Val doc.Value
	T   doc.Type
	Src string
}

// CallKind says what a Call applies.
type CallKind uint8

const (
	Function CallKind = iota // a scalar function: Name is upper-case ("TO_LOWER")
	Operator                 // an operator: Name is its symbol ("+", "==", "=~"; "-" with one argument is negation)
	Cast                     // a conversion: Name is the target type ("keyword", "datetime")
)

// Call applies a resolved scalar function, operator or cast.
type Call struct {
	Kind CallKind
	Name string
	Args []Expr
	T    doc.Type
	Eval fn.Eval // the resolved implementation over the argument types
	Src  string
	At   Pos
}

// Agg is an aggregate call inside a STATS.
type Agg struct {
	Name    string // upper-case ("COUNT", "COUNT_DISTINCT")
	Args    []Expr // over input rows; none for COUNT(*)
	Filter  Expr   // the aggregate's WHERE, nil when absent
	T       doc.Type
	Factory agg.Factory
	Src     string
}

// Case is CASE: the first When that is true picks its Then, else Else.
// A nil When is always taken (a condition folded to true).
type Case struct {
	When, Then []Expr
	Else       Expr // nil: null
	T          doc.Type
	Src        string
	At         Pos // a multi-valued condition warns "treating result as false"
}

// In is `X [NOT] IN (List…)`.
type In struct {
	X    Expr
	List []Expr
	Not  bool
	Src  string
	At   Pos
}

// Like is `X [NOT] LIKE/RLIKE patterns`; a nil pattern is a null one.
type Like struct {
	X        Expr
	Patterns []*string
	Regex    bool
	Not      bool
	Src      string
	At       Pos
}

// IsNull is `X IS [NOT] NULL`.
type IsNull struct {
	X   Expr
	Not bool
	Src string
}

// Not is boolean negation.
type Not struct {
	X   Expr
	Src string
	At  Pos
}

// Logical is AND / OR.
type Logical struct {
	And  bool
	L, R Expr
	Src  string
	At   Pos
}

// KQL is KQL("query") over the source document.
type KQL struct {
	Query  string
	AST    kql.Node
	Match  func(*doc.Document) bool
	Fields []string // the fields it reads
	Src    string
}

func (x *Ref) Type() doc.Type     { return x.Col.Type }
func (x *Lit) Type() doc.Type     { return x.T }
func (x *Call) Type() doc.Type    { return x.T }
func (x *Agg) Type() doc.Type     { return x.T }
func (x *Case) Type() doc.Type    { return x.T }
func (*In) Type() doc.Type        { return doc.Boolean }
func (*Like) Type() doc.Type      { return doc.Boolean }
func (*IsNull) Type() doc.Type    { return doc.Boolean }
func (*Not) Type() doc.Type       { return doc.Boolean }
func (*Logical) Type() doc.Type   { return doc.Boolean }
func (*KQL) Type() doc.Type       { return doc.Boolean }
func (x *Ref) Source() string     { return x.Src }
func (x *Lit) Source() string     { return x.Src }
func (x *Call) Source() string    { return x.Src }
func (x *Agg) Source() string     { return x.Src }
func (x *Case) Source() string    { return x.Src }
func (x *In) Source() string      { return x.Src }
func (x *Like) Source() string    { return x.Src }
func (x *IsNull) Source() string  { return x.Src }
func (x *Not) Source() string     { return x.Src }
func (x *Logical) Source() string { return x.Src }
func (x *KQL) Source() string     { return x.Src }

// Walk visits e and its sub-expressions, depth first; f returning false
// skips a node's children.
func Walk(e Expr, f func(Expr) bool) {
	if e == nil || !f(e) {
		return
	}
	var kids []Expr
	switch x := e.(type) {
	case *Call:
		kids = x.Args
	case *Agg:
		kids = append(append(kids, x.Args...), x.Filter)
	case *Case:
		kids = append(append(append(kids, x.When...), x.Then...), x.Else)
	case *In:
		kids = append([]Expr{x.X}, x.List...)
	case *Like:
		kids = []Expr{x.X}
	case *IsNull:
		kids = []Expr{x.X}
	case *Not:
		kids = []Expr{x.X}
	case *Logical:
		kids = []Expr{x.L, x.R}
	}
	for _, k := range kids {
		Walk(k, f)
	}
}
