package engine

// The part of new_terms rules shared by the sweep, --replay and serve:
// reading the lowered query's result (one row per value combination seen
// in the documents an execution took: its first document and its last
// sighting) and shaping a new combination as the row BuildAlert takes.
//
// Kibana's semantics, which every mode follows (security-docs#2257, the
// rule type's design; docs-content new-terms.md): a run over [from, to]
// alerts on a value combination of new_terms_fields found in its range
// that does not occur between history_window_start (date math relative to
// the run) and from; with several fields every combination of their values
// is a term (an array value gives one term per element, and a document
// with arrays in two fields gives their cartesian product), which the
// lowered STATS … BY does, ES|QL putting a row with a multi-valued key in
// every group. The alert's source is the combination's first document in
// the run, and its id hashes that document and the terms
// (wrap_new_terms_alerts.ts), so overlapping runs finding the same first
// document raise one alert.

import (
	"crypto/sha256"
	"encoding/json"
	"strings"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
)

// termHit is one value combination in an execution's result.
type termHit struct {
	key         [16]byte // hash of the values (termKey)
	first, last int64    // ms: the first document's time, the last sighting
	index, id   string   // the first document
	values      []doc.Value
}

// termHits is a new_terms query's result read back.
type termHits struct {
	fields []esql.Column // the new_terms_fields columns, in order
	hits   []termHit
}

// newTermsHits reads a new_terms query's result; nil when it is not one.
func newTermsHits(res *esql.Result) *termHits {
	first, last := -1, -1
	var fieldCols []int
	out := &termHits{}
	for i, c := range res.Columns {
		switch c.Name {
		case colNewFirst:
			first = i
		case colNewLast:
			last = i
		default:
			fieldCols = append(fieldCols, i)
			out.fields = append(out.fields, c)
		}
	}
	if first < 0 {
		return nil
	}
	for _, row := range res.Rows {
		parts := strings.SplitN(row[first].S, "|", 3)
		if len(parts) != 3 {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, parts[0])
		if err != nil {
			continue
		}
		h := termHit{first: t.UnixMilli(), last: t.UnixMilli(), index: parts[1], id: parts[2]}
		if last >= 0 && row[last].T.IsTemporal() {
			h.last = max(h.first, millis(row[last]))
		}
		for _, i := range fieldCols {
			h.values = append(h.values, row[i])
		}
		h.key = termKey(h.values)
		out.hits = append(out.hits, h)
	}
	return out
}

// termKey identifies a value combination (the serve store keeps it).
func termKey(values []doc.Value) [16]byte {
	var parts []any
	for _, v := range values {
		parts = append(parts, v.JSON())
	}
	j, _ := json.Marshal(parts)
	s := sha256.Sum256(j)
	return [16]byte(s[:16])
}

// columns are the alert rows' columns: the first document's identity and
// time, then the terms.
func (t *termHits) columns() []esql.Column {
	return append([]esql.Column{{Name: "_id", Type: doc.Keyword}, {Name: "_index", Type: doc.Keyword}, {Name: "@timestamp", Type: doc.Keyword}}, t.fields...)
}

// termRow is a hit's alert row (termHits.columns' layout).
func termRow(h termHit) []doc.Value {
	out := []doc.Value{doc.KeywordOf(h.id), doc.KeywordOf(h.index), doc.KeywordOf(time.UnixMilli(h.first).UTC().Format(alertTime))}
	return append(out, h.values...)
}
