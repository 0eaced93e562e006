// Package kql owns Vigil's KQL engine: one hand-written parser for both KQL
// dialects (Kibana's "kuery", used by prebuilt rules with language "kuery",
// and Elasticsearch's own KQL behind ES|QL's KQL() function), an AST with
// source positions, and a matcher compiled once against a doc.Mapping that
// answers as the query DSL each dialect generates would.
//
// # Dialect choices and their evidence
//
// Precedence. Kibana's grammar (conformance/kql/kibana-grammar.peggy) has
// OrQuery over AndQuery, so `a and b or c` is `(a and b) or c`.
// Elasticsearch's grammar (conformance/kql/elasticsearch-KqlBase.g4, the
// same as x-pack/plugin/kql/src/main/antlr/KqlBase.g4 upstream) has
// `<assoc=right> query operator=(AND|OR) query`: equal precedence, grouped
// to the right, so `a and b or c` is `a and (b or c)` and `a or b and c` is
// `a or (b and c)`. The right associativity was added on purpose
// (elastic/elasticsearch#115084, #115632, whose test states "<QueryA> AND
// <QueryB> OR <QueryC> is equivalent to <QueryA> AND (<QueryB> OR
// <QueryC>)"), and no later change to the rule was found, so the
// Elasticsearch dialect follows it. Value lists inherit each dialect's rule.
//
// Value lists. `field:(a or b and not c)` is Kibana syntax; Elasticsearch
// accepts boolean value lists after a field since elastic/elasticsearch#133737
// (fixing #132366, 9.1.4+), nested parentheses included. `field:(a (b))`
// stays an error in both.
//
// Field queries. Elasticsearch's KqlAstBuilder builds, per resolved field: a
// wildcard query on keyword fields when the value has `*` (case_insensitive
// from the KQL() option, default true), query_string on other fields with
// `*`, a range [v, v] on date fields (so a day matches all of that day), a
// term query on keyword fields (case_insensitive as above), match_phrase for
// a quoted value and match otherwise. Kibana's kuery builds match /
// match_phrase, wildcard for keyword wildcards (case-sensitive unless its
// caseInsensitive option is set), range on dates. Both match the same way
// on numbers, IPs (CIDR allowed), booleans and text; they differ in the case
// sensitivity of keyword terms, which Options.CaseInsensitive controls.
// Fieldless terms are a lenient multi_match (query_string with `*`) over the
// default fields in both, so keyword fields match them case-sensitively.
//
// Errors. A value that cannot be parsed for a concrete numeric, date, IP or
// boolean field is a Compile error, as Elasticsearch fails such a match or
// range query; patterns (`process.*:x`) and fieldless terms skip those fields
// instead (lenient).
//
// Literal quirks kept from each implementation: Kibana's PEG reads `\not`
// as the escape `\n` followed by "ot"; Elasticsearch joins a value's tokens
// with one space, keeps `\ ` verbatim, keeps a dangling `and`/`or`/`not` in
// the value (`f:foo and` searches "foo and"), and treats a token's stars as
// wildcards only when a `*` comes before any backslash (ParserUtils in
// x-pack/plugin/kql). Fieldless queries inside `{ }` parse (the parser
// corpus accepts them); in the Elasticsearch dialect they fail to compile,
// as KqlBase.g4 excludes them, while Kibana searches the nested fields.
//
// Nested queries. `path:{ … }` is Elasticsearch's nested query: the
// sub-query must hold on one object of the nested field (the Decoder puts
// each in doc.Document.Nested), so `items:{ a:x and b:y }` needs both on
// the same object; outside `{ }` a nested field has no values, as in
// Elasticsearch. Fields under a nested path are matched by their mapped
// type (the mapping leaves them Unsupported for ES|QL).
//
// Known deviations: dates are
// UTC and use strict_date_optional_time||epoch_millis only; text analysis
// approximates the standard analyzer (see text.go); `?` is literal, not a
// single-character wildcard; quoted field names containing `*` match nothing
// in the Elasticsearch dialect (as upstream) and name one field in Kibana's.
package kql
