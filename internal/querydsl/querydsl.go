// Package querydsl owns a rule's Kibana filters (the `filters` key: the
// filter bar's objects, each a `meta` and an Elasticsearch query DSL
// clause) and their translation into the KQL AST (package kql), so that a
// filter means exactly what the equivalent KQL means and runs through the
// same compiled matcher as the rule's query. It does not match documents.
//
// How Kibana combines filters (kbn-es-query's buildQueryFromFilters,
// from_filters.ts, and fromCombinedFilter, from_combined_filter.ts):
// filters whose meta.disabled is true are dropped; the others become the
// bool query's `filter` clauses, or its `must_not` clauses when
// meta.negate is true; a filter's clause is its `query` key or, for
// legacy filters without one, the object itself minus meta and $state
// (translateToQuery after cleanFilter). A combined filter (meta.type
// "combined") holds sub-filters in meta.params, ANDed, or ORed when
// meta.relation is "OR" — each sub-filter then being its own bool, so a
// disabled one there matches everything. migrateFilter reads a legacy
// `match` with type "phrase" as match_phrase. The detection engine passes
// a rule's filters with its query to buildEsQuery
// (get_query_filter.ts), so they AND with the query, as here.
//
// DSL clauses and their KQL reading (Kibana's kuery builds the same DSL
// from those KQL forms, see package kql):
//
//	match_phrase {f: v}         f:"v"
//	match {f: v}                f:v (v literal: no wildcards)
//	term {f: v}                 f:"v" (exact on keyword, number, date, ip, boolean)
//	terms {f: [a, b]}           f:"a" or f:"b"
//	wildcard {f: p}, prefix     f:p* (`*` a wildcard, `\` escapes)
//	range {f: {gte, lt, …}}     f >= a and f < b
//	exists {field: f}           f:*
//	bool                        and / or / not (minimum_should_match as Elasticsearch reads it)
//	nested {path, query}        path:{ … }
//	match_all, match_none       *, not *
//	query_string {query: "*"}   *
//
// Everything else — Lucene query_string, regexp, fuzzy, scripts, match
// with operator and, case-insensitive term or wildcard, `?` wildcards,
// range format/time_zone — is an *Error naming the clause by its path,
// so a rule whose filters cannot be honoured is reported and not run,
// never run wider. One deviation is kept: `term` on a text field matches
// as a phrase, where Elasticsearch compares the unanalyzed value with
// single tokens.
package querydsl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"vigil/internal/kql"
)

// Error is a filter Vigil cannot translate: Path locates the clause
// (filters[0].query.bool.must[1].regexp); Unsupported is set for valid DSL
// that Vigil does not run, clear for malformed DSL (which Elasticsearch
// would reject).
type Error struct {
	Path        string
	Msg         string
	Unsupported bool
}

func (e *Error) Error() string { return e.Path + ": " + e.Msg }

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 100

// Filters translates a rule's filters (a JSON array of filter objects)
// into one KQL node: the AND of the active filters, negated ones under a
// not. It returns nil when no filter is active (none, all disabled).
func Filters(data []byte) (kql.Node, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, &Error{Path: "filters", Msg: "not JSON: " + err.Error()}
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, &Error{Path: "filters", Msg: "not JSON: data after the value"}
	}
	if v == nil {
		return nil, nil // Kibana reads null as no filters
	}
	list, ok := v.([]any)
	if !ok {
		return nil, &Error{Path: "filters", Msg: "must be an array of filter objects"}
	}
	t := &translator{}
	return t.filterList(list, "filters", kql.OpAnd)
}

type translator struct{ depth int }

func malformed(path, format string, args ...any) error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
}

func unsupported(path, format string, args ...any) error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...), Unsupported: true}
}

// filterList combines filter objects with op; nil when none is active.
// Under OR, a sub-filter with nothing active matches everything, as the
// empty bool Kibana builds for it does.
func (t *translator) filterList(list []any, path string, op kql.BoolOp) (kql.Node, error) {
	var kids []kql.Node
	all := false
	for i, f := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		n, err := t.filter(f, p)
		if err != nil {
			return nil, err // even beside an empty member: Elasticsearch would fail the search
		}
		if n == nil {
			all = all || op == kql.OpOr
			continue
		}
		kids = append(kids, n)
	}
	if all {
		return &kql.MatchAll{}, nil
	}
	return combine(op, kids), nil
}

// filter translates one filter object; nil when it is disabled.
func (t *translator) filter(v any, path string) (kql.Node, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, malformed(path, "a filter must be an object")
	}
	meta, _ := obj["meta"].(map[string]any)
	if b, _ := meta["disabled"].(bool); b {
		return nil, nil
	}
	var n kql.Node
	var err error
	switch {
	case meta["type"] == "combined":
		params, ok := meta["params"].([]any)
		if !ok {
			return nil, malformed(path+".meta.params", "a combined filter's params must be an array of filters")
		}
		op := kql.OpAnd
		if meta["relation"] == "OR" {
			op = kql.OpOr
		}
		t.depth++
		if t.depth > maxDepth {
			return nil, malformed(path, "filters nested too deeply")
		}
		n, err = t.filterList(params, path+".meta.params", op)
		t.depth--
		if n == nil && err == nil {
			n = &kql.MatchAll{} // an empty bool
		}
	case obj["query"] != nil:
		n, err = t.query(obj["query"], path+".query", "")
	default:
		// A legacy filter: the DSL clause sits beside meta.
		clause := map[string]any{}
		for k, e := range obj {
			if k != "meta" && k != "$state" && k != "query" {
				clause[k] = e
			}
		}
		n, err = t.query(clause, path, "")
	}
	if err != nil {
		return nil, err
	}
	if b, _ := meta["negate"].(bool); b {
		return &kql.Not{Child: n}, nil
	}
	return n, nil
}

func combine(op kql.BoolOp, kids []kql.Node) kql.Node {
	switch len(kids) {
	case 0:
		return nil
	case 1:
		return kids[0]
	}
	return &kql.Bool{Op: op, Children: kids}
}

// query translates one DSL query object. nested is the enclosing nested
// query's path ("" outside one): field names are made relative to it, as
// KQL names them inside path:{ }.
func (t *translator) query(v any, path, nested string) (kql.Node, error) {
	t.depth++
	defer func() { t.depth-- }()
	if t.depth > maxDepth {
		return nil, malformed(path, "query nested too deeply")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, malformed(path, "a query must be an object")
	}
	if len(obj) != 1 {
		keys := slices.Sorted(maps.Keys(obj))
		if len(keys) == 0 {
			return nil, malformed(path, "empty query clause")
		}
		return nil, malformed(path, "a query clause has one key, not %s", strings.Join(keys, ", "))
	}
	var kind string
	var body any
	for k, b := range obj {
		kind, body = k, b
	}
	p := path + "." + kind
	switch kind {
	case "bool":
		return t.boolQuery(body, p, nested)
	case "match_all":
		if _, ok := body.(map[string]any); !ok {
			return nil, malformed(p, "match_all takes an object")
		}
		return &kql.MatchAll{}, nil
	case "match_none":
		if _, ok := body.(map[string]any); !ok {
			return nil, malformed(p, "match_none takes an object")
		}
		return &kql.Not{Child: &kql.MatchAll{}}, nil
	case "exists":
		b, ok := body.(map[string]any)
		if !ok {
			return nil, malformed(p, "exists takes an object")
		}
		if err := onlyKeys(b, p, "field", "boost", "_name"); err != nil {
			return nil, err
		}
		f, ok := b["field"].(string)
		if !ok || f == "" {
			return nil, malformed(p, "exists needs a field")
		}
		ref, err := fieldRef(f, p, nested, true)
		if err != nil {
			return nil, err
		}
		return &kql.Exists{Field: ref}, nil
	case "match_phrase", "match", "term", "wildcard", "prefix":
		return t.fieldQuery(kind, body, p, nested)
	case "terms":
		return terms(body, p, nested)
	case "range":
		return rangeQuery(body, p, nested)
	case "nested":
		return t.nestedQuery(body, p, nested)
	case "query_string":
		b, ok := body.(map[string]any)
		if !ok {
			return nil, malformed(p, "query_string takes an object")
		}
		if q, _ := b["query"].(string); strings.TrimSpace(q) == "*" {
			return &kql.MatchAll{}, nil // whatever its options (analyze_wildcard, default_field…)
		}
		return nil, unsupported(p, "query_string (Lucene syntax) is not supported in filters; write the condition in the rule's KQL query")
	}
	return nil, unsupported(p, "%s queries are not supported in filters", kind)
}

// boolQuery reads must/filter (AND), must_not (AND of nots) and should,
// which Elasticsearch requires minimum_should_match of (default: 1 when
// the bool has no must or filter, else 0).
func (t *translator) boolQuery(body any, path, nested string) (kql.Node, error) {
	b, ok := body.(map[string]any)
	if !ok {
		return nil, malformed(path, "bool takes an object")
	}
	if err := onlyKeys(b, path, "must", "filter", "should", "must_not", "minimum_should_match", "boost", "_name", "adjust_pure_negative"); err != nil {
		return nil, err
	}
	clauses := func(key string) ([]kql.Node, error) {
		var list []any
		switch x := b[key].(type) {
		case nil:
			return nil, nil
		case []any:
			list = x
		default:
			list = []any{x} // a single clause may be given bare
		}
		out := make([]kql.Node, 0, len(list))
		for i, c := range list {
			n, err := t.query(c, fmt.Sprintf("%s.%s[%d]", path, key, i), nested)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	}
	var and []kql.Node
	for _, key := range []string{"must", "filter"} {
		ns, err := clauses(key)
		if err != nil {
			return nil, err
		}
		and = append(and, ns...)
	}
	should, err := clauses("should")
	if err != nil {
		return nil, err
	}
	msm := 0
	if len(should) > 0 && len(and) == 0 {
		msm = 1
	}
	if raw, ok := b["minimum_should_match"]; ok {
		if msm, err = minimumShouldMatch(raw, len(should), path+".minimum_should_match"); err != nil {
			return nil, err
		}
	}
	switch {
	case msm > len(should):
		return &kql.Not{Child: &kql.MatchAll{}}, nil
	case msm == 1:
		and = append(and, combine(kql.OpOr, should))
	case msm == len(should) && msm > 0:
		and = append(and, should...)
	case msm > 1:
		return nil, unsupported(path+".minimum_should_match", "minimum_should_match %d of %d should clauses is not supported in filters", msm, len(should))
	}
	not, err := clauses("must_not")
	if err != nil {
		return nil, err
	}
	for _, n := range not {
		and = append(and, &kql.Not{Child: n})
	}
	if len(and) == 0 {
		return &kql.MatchAll{}, nil
	}
	return combine(kql.OpAnd, and), nil
}

// minimumShouldMatch reads an integer or a percentage (negative: that many
// may be missing), as Elasticsearch's Queries.calculateMinShouldMatch does
// for the simple forms; combinations ("3<90%") are unsupported.
func minimumShouldMatch(v any, n int, path string) (int, error) {
	s := ""
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	default:
		return 0, malformed(path, "must be a number or a string")
	}
	pct := strings.HasSuffix(s, "%")
	num, err := strconv.Atoi(strings.TrimSuffix(s, "%"))
	if err != nil {
		return 0, unsupported(path, "minimum_should_match %q is not supported in filters", s)
	}
	k := num
	if pct {
		k = n * num / 100 // truncated toward zero, as Elasticsearch does
	}
	if k < 0 {
		k += n
	}
	return max(k, 0), nil
}

// fieldQuery reads the one-field queries: {kind: {field: value}} or
// {kind: {field: {value-key: value, options…}}}.
func (t *translator) fieldQuery(kind string, body any, path, nested string) (kql.Node, error) {
	field, val, opts, err := oneField(body, path)
	if err != nil {
		return nil, err
	}
	p := path + "." + field
	valueKey := map[string]string{"match_phrase": "query", "match": "query", "term": "value", "wildcard": "value", "prefix": "value"}[kind]
	allowed := map[string][]string{
		"match_phrase": {"query", "slop", "boost", "_name", "analyzer", "zero_terms_query"},
		"match":        {"query", "operator", "type", "boost", "_name", "lenient", "auto_generate_synonyms_phrase_query", "analyzer", "fuzziness", "minimum_should_match", "zero_terms_query", "prefix_length", "max_expansions", "fuzzy_transpositions", "cutoff_frequency"},
		"term":         {"value", "boost", "_name", "case_insensitive"},
		"wildcard":     {"value", "wildcard", "boost", "_name", "case_insensitive", "rewrite"},
		"prefix":       {"value", "boost", "_name", "case_insensitive", "rewrite"},
	}[kind]
	if opts != nil {
		if err := onlyKeys(opts, p, allowed...); err != nil {
			return nil, err
		}
		val = opts[valueKey]
		if kind == "wildcard" && val == nil {
			val = opts["wildcard"]
		}
		if err := plainOptions(kind, opts, p); err != nil {
			return nil, err
		}
	}
	s, err := scalar(val, p)
	if err != nil {
		return nil, err
	}
	ref, err := fieldRef(field, p, nested, false)
	if err != nil {
		return nil, err
	}
	m := &kql.Match{HasField: true, Field: ref}
	switch kind {
	case "match_phrase", "term":
		m.Value = kql.Value{Text: s, Quoted: true}
	case "match":
		m.Value = kql.Value{Text: s}
		if opts != nil && opts["type"] == "phrase" {
			m.Value.Quoted = true // migrateFilter's legacy phrase filter
		}
	case "wildcard":
		if m.Value, err = wildcard(s, p); err != nil {
			return nil, err
		}
	case "prefix":
		m.Value = kql.Value{Text: s + "*", Wild: make([]bool, len(s)+1)}
		m.Value.Wild[len(s)] = true
	}
	return m, nil
}

// plainOptions rejects the options that change what a field query matches
// beyond what its KQL reading does.
func plainOptions(kind string, opts map[string]any, path string) error {
	if b, _ := opts["case_insensitive"].(bool); b {
		return unsupported(path, "%s with case_insensitive is not supported in filters", kind)
	}
	for _, k := range []string{"analyzer", "fuzziness", "minimum_should_match", "cutoff_frequency"} {
		if _, ok := opts[k]; ok {
			return unsupported(path, "%s with %s is not supported in filters", kind, k)
		}
	}
	if z, ok := opts["zero_terms_query"]; ok && z != "none" {
		return unsupported(path, "%s with zero_terms_query %v is not supported in filters", kind, z)
	}
	if s, ok := opts["slop"]; ok {
		if n, _ := s.(json.Number); n.String() != "0" {
			return unsupported(path, "match_phrase with slop is not supported in filters")
		}
	}
	if o, ok := opts["operator"]; ok {
		if s, _ := o.(string); !strings.EqualFold(s, "or") {
			return unsupported(path, "match with operator %v is not supported in filters", o)
		}
	}
	if ty, ok := opts["type"]; ok && ty != "phrase" && ty != "boolean" {
		return unsupported(path, "match of type %v is not supported in filters", ty)
	}
	return nil
}

// wildcard reads a wildcard query's pattern: `*` matches any run, `\`
// escapes the next character; `?` (one character) has no KQL form.
func wildcard(s, path string) (kql.Value, error) {
	var text []byte
	var wild []bool
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*':
			text, wild = append(text, c), append(wild, true)
		case '?':
			return kql.Value{}, unsupported(path, "wildcard patterns with ? are not supported in filters")
		case '\\':
			if i+1 < len(s) {
				i++
			}
			text, wild = append(text, s[i]), append(wild, false)
		default:
			text, wild = append(text, c), append(wild, false)
		}
	}
	v := kql.Value{Text: string(text)}
	for _, w := range wild {
		if w {
			v.Wild = wild
			break
		}
	}
	return v, nil
}

func terms(body any, path, nested string) (kql.Node, error) {
	b, ok := body.(map[string]any)
	if !ok {
		return nil, malformed(path, "terms takes an object")
	}
	var field string
	var list []any
	for k, v := range b {
		if k == "boost" || k == "_name" {
			continue
		}
		if field != "" {
			return nil, malformed(path, "terms names one field, not %s", strings.Join(slices.Sorted(maps.Keys(b)), ", "))
		}
		field = k
		l, ok := v.([]any)
		if !ok {
			return nil, unsupported(path+"."+k, "terms lookup is not supported in filters (want an array of values)")
		}
		list = l
	}
	if field == "" {
		return nil, malformed(path, "terms needs a field")
	}
	ref, err := fieldRef(field, path+"."+field, nested, false)
	if err != nil {
		return nil, err
	}
	var kids []kql.Node
	for i, v := range list {
		s, err := scalar(v, fmt.Sprintf("%s.%s[%d]", path, field, i))
		if err != nil {
			return nil, err
		}
		kids = append(kids, &kql.Match{HasField: true, Field: ref, Value: kql.Value{Text: s, Quoted: true}})
	}
	if len(kids) == 0 {
		return &kql.Not{Child: &kql.MatchAll{}}, nil // terms of nothing matches nothing
	}
	return combine(kql.OpOr, kids), nil
}

func rangeQuery(body any, path, nested string) (kql.Node, error) {
	field, _, opts, err := oneField(body, path)
	if err != nil {
		return nil, err
	}
	p := path + "." + field
	if opts == nil {
		return nil, malformed(p, "range takes an object of bounds")
	}
	if err := onlyKeys(opts, p, "gt", "gte", "lt", "lte", "from", "to", "include_lower", "include_upper", "boost", "_name", "format", "time_zone", "relation"); err != nil {
		return nil, err
	}
	for _, k := range []string{"format", "time_zone"} {
		if _, ok := opts[k]; ok {
			return nil, unsupported(p, "range with %s is not supported in filters", k)
		}
	}
	if r, ok := opts["relation"]; ok && r != "intersects" && r != "INTERSECTS" {
		return nil, unsupported(p, "range with relation %v is not supported in filters", r)
	}
	ref, err := fieldRef(field, p, nested, false)
	if err != nil {
		return nil, err
	}
	bounds := []struct {
		key string
		op  kql.RangeOp
	}{{"gt", kql.OpGT}, {"gte", kql.OpGTE}, {"lt", kql.OpLT}, {"lte", kql.OpLTE}}
	// The legacy from/to form: inclusive unless include_* says otherwise.
	for _, l := range [][3]string{{"from", "include_lower", "gt"}, {"to", "include_upper", "lt"}} {
		if v := opts[l[0]]; v != nil {
			key := l[2] + "e"
			if b, ok := opts[l[1]].(bool); ok && !b {
				key = l[2]
			}
			opts[key] = v
		}
	}
	var kids []kql.Node
	for _, b := range bounds {
		v, ok := opts[b.key]
		if !ok || v == nil {
			continue // a null bound is unbounded
		}
		s, err := scalar(v, p+"."+b.key)
		if err != nil {
			return nil, err
		}
		kids = append(kids, &kql.Range{Field: ref, Op: b.op, Value: kql.Value{Text: s}})
	}
	if len(kids) == 0 {
		return &kql.Exists{Field: ref}, nil // an unbounded range matches documents with a value
	}
	return combine(kql.OpAnd, kids), nil
}

func (t *translator) nestedQuery(body any, path, nested string) (kql.Node, error) {
	b, ok := body.(map[string]any)
	if !ok {
		return nil, malformed(path, "nested takes an object")
	}
	if err := onlyKeys(b, path, "path", "query", "score_mode", "ignore_unmapped", "boost", "_name"); err != nil {
		return nil, err
	}
	if _, ok := b["inner_hits"]; ok {
		return nil, unsupported(path, "nested inner_hits is not supported in filters")
	}
	np, ok := b["path"].(string)
	if !ok || np == "" {
		return nil, malformed(path, "nested needs a path")
	}
	ref, err := fieldRef(np, path+".path", nested, false)
	if err != nil {
		return nil, err
	}
	if b["query"] == nil {
		return nil, malformed(path, "nested needs a query")
	}
	q, err := t.query(b["query"], path+".query", np)
	if err != nil {
		return nil, err
	}
	return &kql.Nested{Path: ref, Query: q}, nil
}

// oneField splits {field: value} or {field: {options}} (plus boost/_name
// beside the field in the short form).
func oneField(body any, path string) (field string, val any, opts map[string]any, err error) {
	b, ok := body.(map[string]any)
	if !ok {
		return "", nil, nil, malformed(path, "takes an object naming one field")
	}
	for k, v := range b {
		if k == "boost" || k == "_name" {
			continue
		}
		if field != "" {
			return "", nil, nil, malformed(path, "names one field, not %s", strings.Join(slices.Sorted(maps.Keys(b)), ", "))
		}
		field, val = k, v
	}
	if field == "" {
		return "", nil, nil, malformed(path, "names no field")
	}
	opts, _ = val.(map[string]any)
	return field, val, opts, nil
}

// fieldRef names a DSL field in KQL: inside a nested query the name must
// lie under the nested path and is made relative to it. DSL field names
// are literal except in exists, where Elasticsearch expands patterns.
func fieldRef(name, path, nested string, pattern bool) (kql.FieldRef, error) {
	if nested != "" {
		rest, ok := strings.CutPrefix(name, nested+".")
		if !ok {
			return kql.FieldRef{}, malformed(path, "field %q is not under the nested path %q", name, nested)
		}
		name = rest
	}
	if strings.TrimSpace(name) == "" {
		return kql.FieldRef{}, malformed(path, "empty field name")
	}
	return kql.FieldRef{Name: name, Quoted: !pattern && strings.IndexByte(name, '*') >= 0}, nil
}

// scalar reads a query value: a string, number or boolean.
func scalar(v any, path string) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	case nil:
		return "", malformed(path, "missing value")
	}
	return "", malformed(path, "value must be a string, number or boolean")
}

func onlyKeys(obj map[string]any, path string, allowed ...string) error {
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return unsupported(path, "option %s is not supported in filters", k)
		}
	}
	return nil
}

// IsUnsupported reports whether err is valid DSL Vigil does not run.
func IsUnsupported(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Unsupported
}
