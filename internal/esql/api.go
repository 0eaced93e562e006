// Package esql owns the ES|QL language: lexer, recursive-descent parser, AST
// with positions, analyzer (names, types, errors worded like
// Elasticsearch's), planner and a streaming executor whose aggregation states
// merge. Value semantics live in esql/fn and esql/agg; this package knows the
// language and how a query flows.
//
// Compile resolves the AST into the typed logical plan of esql/logical
// (Query.Plan), which is what other packages read — the prefilter's
// conditions, the live engine's monotonicity, query probing, the stage
// split — and, in the same pass, lowers each plan node to the row
// executor's closures and operators (cexpr.node beside cexpr.eval, an
// opSpec per command). Parse is for tools and tests; consumers of a query
// never re-parse it.
//
// What the blocking commands hold (STATS groups, INLINE STATS', SORT's and
// LIMIT's rows, kept compactly by rowBuffer) is counted against the query's
// memory budget, Options.MemoryLimit (budget.go): past it an execution stops
// and Finish returns a *MemoryError naming the command.
//
// A second lowering (columnar.go) maps the plan's per-event stage onto
// esql/compute's kernels for Execution.PushBatch, a chunk of documents at
// a time; the rows that pass feed the same blocking operators, so merging,
// window closing and Finish have one implementation. The row executor is
// the reference: TestColumnarAgainstRowExecutor holds the two equal.
//
// For a two-stage plan across processes (partial.go), an execution exports
// its STATS groups as serialized partial states (GroupState) and another
// execution of the same query imports them from many producers and runs
// the commands after STATS: TestPartialMergeEqualsSingle holds that equal
// to one execution over all the input.
package esql

import (
	"time"

	"vigil/internal/doc"
)

// Catalog tells the analyzer what a FROM clause reads.
type Catalog interface {
	// Resolve returns the merged mapping of the indices the FROM patterns
	// name (comma lists, `*` wildcards and `-exclusions` already split into
	// patterns), or an error such as "Unknown index [foo]".
	Resolve(patterns []string) (*doc.Mapping, error)
}

// Options tune compilation and execution.
type Options struct {
	Now time.Time // the instant NOW() and date math use; zero means time.Now() at Compile
	// NoSuggestions leaves "did you mean" out of Unknown column errors: the
	// search compares the name with every mapped field, wasted work for a
	// caller that will not print the error.
	NoSuggestions bool
	// KibanaKQL makes KQL() read Kibana's kuery dialect instead of
	// Elasticsearch's: the dialect of KQL rules (type query, threshold,
	// new_terms), which the engine runs as ES|QL queries over KQL().
	KibanaKQL bool
	// MemoryLimit bounds the bytes the query's blocking commands (STATS,
	// INLINE STATS, SORT, LIMIT) hold, summed over every Execution of the
	// compiled Query: past it an execution stops and Finish returns a
	// *MemoryError. 0 means DefaultMemoryLimit, negative no limit. See
	// budget.go for what is counted.
	MemoryLimit int64
}

// Column is one result column.
type Column struct {
	Name string
	Type doc.Type
}

// Result is a finished query's table plus the warnings Elasticsearch would
// return in its Warning headers ("Line 1:27: evaluation of [...] failed, ...").
type Result struct {
	Columns  []Column
	Rows     [][]doc.Value
	Warnings []string
}

// Error is a positioned parse or analysis error; Error() gives
// Elasticsearch's wording, e.g. "line 3:15: Unknown column [proces.name]".
type Error struct {
	Line, Col int
	Msg       string
}
