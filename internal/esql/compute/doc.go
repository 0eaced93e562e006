// Package compute owns ES|QL's columnar execution machinery, after the
// idea of Elasticsearch's compute engine (pages of blocks, operators that
// know nothing of syntax): typed column blocks with null masks and
// multi-value offsets, pages built from decoded documents, selection
// vectors, expression kernels with exactly the row engine's semantics and
// warnings, and column-wise hash grouping feeding the mergeable agg
// states. It knows neither the ES|QL grammar nor its plan: a lowering step
// in esql maps a resolved plan onto it. It imports doc, esql/fn, esql/agg
// and the matchers, never esql.
//
// The contract for whoever lowers a plan onto it:
//
//   - Pages. NewPageBuilder(fields) once per execution, with the plan's
//     source fields and resolved types (and metadata columns); Build(docs)
//     per chunk gives a Page whose block i is field i. Blocks alias the
//     documents' strings (a reused chunk buffer): anything kept past the
//     chunk — rows buffered by SORT or LIMIT, group keys — must be copied
//     (Page.Clone, Block.Clone, or the owning copies Grouper makes). The
//     page is the builder's until the next Build.
//   - Expressions. Build one Expr tree per expression from the
//     constructors (Col, Lit, Binary, And, Or, Not, IsNull, In, Like,
//     MatchAny, ToLower, ToUpper, StartsWith, EndsWith, Length, Concat,
//     DateTrunc, Coalesce, Case) and fall back to Call (any fn.Eval,
//     position by position, exactly as the row engine applies it) or PerDoc
//     (reads the source document, e.g. KQL()) for everything else. Each
//     failing construct takes the row engine's warning site id. Then call
//     Number once with every expression of the stage in command order, so
//     failures can be put back in row order. Trees own their output
//     blocks: one tree per execution (worker), results valid until the
//     tree's next Eval; a node other than Col or Lit appears once in a
//     tree (share a computed column by making it a page block instead).
//   - Evaluation. Eval(ctx, page, sel) computes at the selected positions
//     only (ascending; ctx.All(page) selects all). A WHERE is
//     Select(cond.Eval(…), sel, dst): the next commands run on the
//     narrower selection and no column is copied. Operands are checked per
//     position in Elasticsearch's order (a null argument gives null, a
//     multi-valued one null and a warning, left to right); AND, OR and
//     CASE evaluate their later operands only where the row engine would.
//   - Warnings. Kernels record failures in ctx.Warn; after each page,
//     Flush hands them over in the order the row engine meets them (by
//     row, then evaluation order within the row), to be replayed into the
//     execution's warnings by site, which then word them identically.
//   - Grouping. NewGrouper(key types) per STATS; Add(key blocks, sel)
//     returns (position, group id) pairs in row order, ids dense in
//     creation order, nulls one group, multi-valued keys in every
//     combination; Keys(id) gives a group's (owned) key values.
//     Aggregates.Add(i, arg block, pos, ids, groups) feeds aggregate i's
//     agg.State per pair, as the row engine's STATS does, so states merge
//     across workers and partitions as before: to merge another
//     execution's groups, Intern its keys in its group order and
//     Aggregates.Merge their states.
package compute
