package esql

import "vigil/internal/doc"

// Expr is an expression node. Every node keeps its position and source text:
// Elasticsearch names unnamed columns and words its warnings by source text.
type Expr interface {
	Pos() Pos
	Src() string
}

type node struct {
	P   Pos
	Txt string
}

func (n node) Pos() Pos    { return n.P }
func (n node) Src() string { return n.Txt }

type (
	// Literal is a constant (null, boolean, number, string, time span, list).
	Literal struct {
		node
		Val doc.Value
	}
	// Ident is a (possibly qualified) column reference.
	Ident struct {
		node
		Name string
	}
	// Call is a function call; Star marks COUNT(*).
	Call struct {
		node
		Name string
		Args []Expr
		Star bool
	}
	// Binary is an arithmetic or comparison operator.
	Binary struct {
		node
		Op   string // + - * / % == != < <= > >= =~
		L, R Expr
	}
	// Logical is AND / OR.
	Logical struct {
		node
		And  bool
		L, R Expr
	}
	// Not is logical negation.
	Not struct {
		node
		X Expr
	}
	// Neg is unary minus.
	Neg struct {
		node
		X Expr
	}
	// IsNull is `x IS [NOT] NULL`.
	IsNull struct {
		node
		X   Expr
		Not bool
	}
	// In is `x [NOT] IN (list)`.
	In struct {
		node
		X    Expr
		List []Expr
		Not  bool
	}
	// Like is `x [NOT] LIKE|RLIKE pattern(s)`.
	Like struct {
		node
		X        Expr
		Patterns []Expr
		Regex    bool
		Not      bool
	}
	// Cast is `x::type`.
	Cast struct {
		node
		X    Expr
		Type string
		TPos Pos
	}
	// MapExpr is a `{ "k": v, … }` option map (COMPLETION … WITH {…}).
	MapExpr struct {
		node
		Keys []string
		Vals []Expr
	}
)

// Field is `name = expr` or an unnamed expression (named by its source text).
type Field struct {
	Name    string
	NamePos Pos
	X       Expr
	Where   Expr // per-aggregate filter in STATS
}

// SortKey is one SORT key.
type SortKey struct {
	X          Expr
	Desc       bool
	NullsFirst bool
	NullsSet   bool
}

// NamePattern is a KEEP/DROP/RENAME name, possibly with `*` wildcards.
type NamePattern struct {
	P    Pos
	Text string
}

// Command is one pipeline stage.
type Command interface{ CmdPos() Pos }

type cmdBase struct{ P Pos }

func (c cmdBase) CmdPos() Pos { return c.P }

type (
	FromCmd struct {
		cmdBase
		Patterns []string
		Metadata []NamePattern
	}
	RowCmd struct {
		cmdBase
		Fields []Field
	}
	WhereCmd struct {
		cmdBase
		Cond Expr
	}
	EvalCmd struct {
		cmdBase
		Fields []Field
	}
	StatsCmd struct {
		cmdBase
		Aggs   []Field
		By     []Field
		Inline bool
	}
	KeepCmd struct {
		cmdBase
		Names []NamePattern
	}
	DropCmd struct {
		cmdBase
		Names []NamePattern
	}
	RenameCmd struct {
		cmdBase
		Old, New []NamePattern
	}
	SortCmd struct {
		cmdBase
		Keys []SortKey
	}
	LimitCmd struct {
		cmdBase
		N int
	}
	MvExpandCmd struct {
		cmdBase
		Name NamePattern
	}
	DissectCmd struct {
		cmdBase
		X         Expr
		Pattern   string
		PatPos    Pos
		AppendSep string
	}
	GrokCmd struct {
		cmdBase
		X        Expr
		Patterns []string
		PatPos   Pos
	}
	// CompletionCmd is `COMPLETION [target =] prompt WITH {options}` (or
	// the older `WITH inference_id`): one LLM call per row, its answer in
	// Target ("completion" unless named).
	CompletionCmd struct {
		cmdBase
		Target  string
		Prompt  Expr
		Options *MapExpr // nil with the older form
		ID      string   // the older form's endpoint
	}
	// UnsupportedCmd is a command Vigil parses but cannot run (LOOKUP JOIN,
	// ENRICH, FORK, CHANGE_POINT…).
	UnsupportedCmd struct {
		cmdBase
		Name string
		Text string
	}
)

// AST is a parsed query.
type AST struct {
	Source   string
	Commands []Command
}
