// Package engine owns running compiled rules over a stream of documents:
// which index a document belongs to, the time ranges a rule's runs cover
// (one sweep, or Kibana's schedule replayed), max_signals, alert identity and
// de-duplication, and building Kibana-shaped alert documents (with the
// source document of a non-aggregating rule's row, read again by _id, or in
// the live engine kept from ingest: live_sources.go). It decides when
// a query's aggregating stage runs, never what it computes. EQL rules, which
// have no ES|QL form, run on a path of their own (eqlrule.go); new_terms
// rules' runs compare with a history window (newterms.go: the sweep,
// newterms_replay.go, live_newterms.go); alert suppression groups alerts
// (suppression.go). The live engine of `vigil serve` (live.go) runs on
// every core split by agent (partitioned.go, with the Kafka-compatible
// partition key in partition_key.go); its group limit is fair per source
// (live_grouplimit.go).
package engine

import (
	"strings"

	"vigil/internal/doc"
	"vigil/internal/esql"
)

// IndexOf names the index a document belongs to, for matching FROM patterns:
// its _index when it came from Elasticsearch (a hit or an export), else the
// data stream its data_stream.{type,dataset,namespace} fields name (the way
// Fleet routes events), else fallback (the user's --index), else "".
func IndexOf(d *doc.Document, fallback string) string {
	if d.Index != "" {
		return d.Index
	}
	t, ds, ns := d.Get("data_stream.type"), d.Get("data_stream.dataset"), d.Get("data_stream.namespace")
	if isSingleString(t) && isSingleString(ds) && isSingleString(ns) {
		return t.S + "-" + ds.S + "-" + ns.S
	}
	return fallback
}

// route names the index of a document for FROM matching, recording it in
// d.Index when the document had none; ok is false when no index can be named.
func route(d *doc.Document, fallback string) (index, stream string, ok bool) {
	index = IndexOf(d, fallback)
	if index == "" {
		return "", "", false
	}
	if d.Index == "" {
		d.Index = index
	}
	return index, DataStreamOf(index), true
}

// Reads reports whether q's FROM names the index, directly or through the
// data stream a backing index belongs to.
func Reads(q *esql.Query, index, stream string) bool {
	return q.MatchesIndex(stream) || (stream != index && q.MatchesIndex(index))
}

// readersOf returns the rules whose query reads an index, cached by index
// in cache: matching the patterns for every event and rule is costly.
func readersOf[R any](cache map[string][]R, rules []R, query func(R) *esql.Query, index, stream string) []R {
	readers, known := cache[index]
	if !known {
		for _, r := range rules {
			if Reads(query(r), index, stream) {
				readers = append(readers, r)
			}
		}
		cache[index] = readers
	}
	return readers
}

// DataStreamOf returns the data stream a backing index belongs to
// (".ds-logs-endpoint.events.process-default-2022.02.15-000001" →
// "logs-endpoint.events.process-default"), or the index itself. A FROM
// pattern names data streams, so exported hits match by this name.
func DataStreamOf(index string) string {
	rest, ok := strings.CutPrefix(index, ".ds-")
	if !ok {
		return index
	}
	// Strip "-<yyyy.MM.dd>-<generation>".
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 {
		return index
	}
	j := strings.LastIndexByte(rest[:i], '-')
	if j <= 0 || !isDate(rest[j+1:i]) {
		return index
	}
	return rest[:j]
}

func isDate(s string) bool {
	if len(s) != 10 || s[4] != '.' || s[7] != '.' {
		return false
	}
	for i, c := range s {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func isSingleString(v doc.Value) bool {
	return v.T.IsString() && !v.IsMulti() && v.S != ""
}
