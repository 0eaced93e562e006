package engine

// KQL rule types (query, threshold, new_terms) run as ES|QL queries: each
// is lowered to the ES|QL plan Kibana's search for it amounts to, with the
// rule's query in KQL() read in Kibana's kuery dialect. They so share the
// ES|QL path's prefilter, parallel sweep, replay and alert builder; what is
// particular to a type is the lowered text, the alert's extra fields
// (BuildAlert reads rule.Threshold / rule.NewTerms) and, for new_terms, a
// pass over the query's result (CompiledRule.post).

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// Columns the lowered queries add for the alert builder; BuildAlert takes
// them out of the alert's source.
const (
	colCount    = "vigil.threshold.count"
	colFrom     = "vigil.threshold.from"
	colTo       = "vigil.threshold.to"
	colCardPfx  = "vigil.threshold.cardinality."
	colNewFirst = "vigil.new_terms.first"
	colNewLast  = "vigil.new_terms.last"
)

// lower returns the ES|QL query a query, threshold or new_terms rule runs
// as (see the file comment).
func lower(r *rule.Rule) string {
	var b strings.Builder
	b.WriteString("FROM ")
	for i, p := range indexPatterns(r) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(esqlString(p))
	}
	b.WriteString(" METADATA _id, _index, _version")
	if strings.TrimSpace(r.Query) != "" {
		b.WriteString("\n| WHERE KQL(" + esqlString(r.Query) + ")")
	}
	if r.Filter != nil {
		// The rule's filters, ANDed with its query as Kibana's
		// buildEsQuery does; always on the line after the query's.
		b.WriteString("\n| WHERE KQL(" + esqlString(r.Filter.String()) + ")")
	}
	// Kibana reads timestamp_override, falling back to @timestamp where a
	// document lacks it (timestamp_override_fallback_disabled is false in
	// every prebuilt rule).
	ts := "`@timestamp`"
	if r.TimestampField != "" && r.TimestampField != "@timestamp" {
		ts = "COALESCE(" + esqlName(r.TimestampField) + ", `@timestamp`)"
	}
	switch r.Type {
	case "query":
		// The alert is the matching document (FetchSources merges it), as
		// Kibana's query rule copies the hit's _source.
		b.WriteString("\n| KEEP _id, _index, _version, @timestamp")
	case "threshold":
		// Kibana's composite aggregation has no missing bucket: documents
		// without a threshold field are in no bucket.
		if cond := notNull(r.Threshold.Fields); cond != "" {
			b.WriteString("\n| WHERE " + cond)
		}
		fmt.Fprintf(&b, "\n| STATS %s = COUNT(*), %s = MIN(%s), %s = MAX(%s)", esqlName(colCount), esqlName(colFrom), ts, esqlName(colTo), ts)
		for i, c := range r.Threshold.Cardinality {
			// Kibana's cardinality aggregation and COUNT_DISTINCT are both
			// HyperLogLog++ at Elasticsearch's default precision.
			fmt.Fprintf(&b, ", %s = COUNT_DISTINCT(%s)", esqlName(colCardPfx+strconv.Itoa(i)), esqlName(c.Field))
		}
		if len(r.Threshold.Fields) > 0 {
			b.WriteString(" BY ")
			for i, f := range r.Threshold.Fields {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(esqlName(f))
			}
		}
		fmt.Fprintf(&b, "\n| WHERE %s >= %d", esqlName(colCount), r.Threshold.Value)
		for i, c := range r.Threshold.Cardinality {
			fmt.Fprintf(&b, " AND %s >= %d", esqlName(colCardPfx+strconv.Itoa(i)), c.Value)
		}
	case "new_terms":
		// Each value combination's first document, as "time|index|id": an
		// ISO 8601 time string sorts as the time does, so MIN picks the
		// earliest (ties: the smallest index and id).
		fmt.Fprintf(&b, "\n| WHERE %s IS NOT NULL AND %s", ts, notNull(r.NewTerms.Fields))
		// The last sighting (MAX) lets --replay and serve tell a combination
		// that recurs within the history window from one that comes back
		// after it (newterms.go).
		fmt.Fprintf(&b, "\n| STATS %s = MIN(CONCAT(TO_STRING(%s), \"|\", COALESCE(_index, \"\"), \"|\", _id)), %s = MAX(%s) BY ", esqlName(colNewFirst), ts, esqlName(colNewLast), ts)
		for i, f := range r.NewTerms.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(esqlName(f))
		}
		// Every combination, new or not, must reach newTermsRows (the
		// memory budget bounds them; new_terms rules are not served).
		b.WriteString("\n| LIMIT 2147483647")
	}
	// No LIMIT for the others: the implicit one (1000 rows, reported when
	// reached) caps a sweep as it does ES|QL rules, a --replay run keeps
	// max_signals, and an explicit LIMIT would keep vigil serve from
	// alerting before a run ends (see monotone).
	return b.String()
}

func indexPatterns(r *rule.Rule) []string {
	if len(r.Index) > 0 {
		return r.Index
	}
	return []string{"*"} // Kibana's default security data view covers the rule's data; Vigil's input is all of it
}

func notNull(fields []string) string {
	var parts []string
	for _, f := range fields {
		parts = append(parts, esqlName(f)+" IS NOT NULL")
	}
	return strings.Join(parts, " AND ")
}

// esqlString quotes s as an ES|QL string literal.
func esqlString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

// esqlName quotes a field name as an ES|QL identifier.
func esqlName(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// compileKQLRule compiles a query, threshold or new_terms rule through its
// lowered ES|QL. A problem in the rule's query is reported at the query's
// line in the rule file, with Kibana's reading of it.
func compileKQLRule(r *rule.Rule, cat esql.Catalog, opts esql.Options) (*CompiledRule, error) {
	opts.KibanaKQL = true
	q, err := esql.Compile(lower(r), cat, opts)
	if err != nil {
		var one *esql.Error
		msg := err.Error()
		if e, ok := err.(interface{ Errors() []*esql.Error }); ok && len(e.Errors()) > 0 {
			one = e.Errors()[0]
		} else {
			errors.As(err, &one)
		}
		if one != nil {
			msg = one.Msg
			if r.Filter != nil && one.Line == filterLine(r) {
				msg = "rule.filters: " + msg
			}
		}
		return nil, &rule.Error{Path: r.Path, Line: r.QueryLine, Msg: msg}
	}
	cr := &CompiledRule{Rule: r, Query: q}
	if r.Type == "new_terms" {
		cr.post = newTermsRows(r)
	}
	return cr, nil
}

// filterLine is the line of lower's text that holds the rule's filters.
func filterLine(r *rule.Rule) int {
	if strings.TrimSpace(r.Query) != "" {
		return 3
	}
	return 2
}

// newTermsRows turns a new_terms query's result (one row per value
// combination with its first document) into one row per new combination:
// the first document's identity, its time and the terms. A combination is
// new when its first document is later than the history window after the
// start of the data the rule saw (from): the input before that is the
// history, as Kibana's history window [history_window_start, from) is. See
// docs/rules.md for how a sweep differs from a scheduled run.
func newTermsRows(r *rule.Rule) func(res *esql.Result, from int64) {
	return func(res *esql.Result, from int64) {
		hits := newTermsHits(res)
		if hits == nil {
			return
		}
		// The data's start: the earliest event in the rule's indices, or the
		// earliest match when those events lack the timestamp field.
		for _, h := range hits.hits {
			from = min(from, h.first)
		}
		cutoff := time.UnixMilli(from).Add(r.NewTerms.History)
		var rows [][]doc.Value
		for _, h := range hits.hits {
			if !time.UnixMilli(h.first).After(cutoff) { // Kibana keeps first_seen > start_time (build_new_terms_aggregation.ts)
				continue
			}
			rows = append(rows, termRow(h))
		}
		sort.SliceStable(rows, func(i, j int) bool { return rows[i][2].S < rows[j][2].S })
		res.Columns, res.Rows = hits.columns(), rows
	}
}

// thresholdFields moves a threshold rule's bucket columns out of an
// alert's source into kibana.alert.threshold_result, as Kibana's
// transformBucketIntoHit (rule_types/threshold/bulk_create_threshold_signals.ts)
// builds it: terms in threshold.field order, count, from (the bucket's
// earliest time), cardinality (the first condition's field and count), and
// the bucket's latest time as the source @timestamp (the alert's
// original_time). It returns the group key: the sorted term values, as
// Kibana's calculateThresholdSignalUuid hashes them.
func thresholdFields(r *rule.Rule, src map[string]any) (key string, result map[string]any) {
	result = map[string]any{}
	if v, ok := src[colCount]; ok {
		result["kibana.alert.threshold_result.count"] = v
	}
	if v, ok := src[colFrom]; ok {
		if t, ok := originalTime(v); ok {
			result["kibana.alert.threshold_result.from"] = t
		}
	}
	if v, ok := src[colTo]; ok {
		src["@timestamp"] = v
	}
	terms := []map[string]any{} // Kibana writes [] for a rule without group fields
	var values []string
	for _, f := range r.Threshold.Fields {
		v := src[f]
		terms = append(terms, map[string]any{"field": f, "value": v})
		values = append(values, fmt.Sprint(v))
	}
	result["kibana.alert.threshold_result.terms"] = terms
	if len(r.Threshold.Cardinality) > 0 {
		c := r.Threshold.Cardinality[0]
		result["kibana.alert.threshold_result.cardinality"] = []map[string]any{{"field": c.Field, "value": src[colCardPfx+"0"]}}
	}
	for k := range src {
		if strings.HasPrefix(k, "vigil.threshold.") {
			delete(src, k)
		}
	}
	sort.Strings(values)
	h := sha1.Sum([]byte(strings.Join(r.Threshold.Fields, ",") + "\x00" + strings.Join(values, ",")))
	return fmt.Sprintf("threshold:%x", h), result
}

// newTermsField is kibana.alert.new_terms: the new combination's values in
// new_terms_fields order.
func newTermsField(r *rule.Rule, src map[string]any) []any {
	var out []any
	for _, f := range r.NewTerms.Fields {
		out = append(out, src[f])
	}
	return out
}
