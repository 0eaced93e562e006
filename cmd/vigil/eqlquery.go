package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"vigil/internal/doc"
	"vigil/internal/engine"
	"vigil/internal/eql"
	"vigil/internal/esql"
	"vigil/internal/prefilter"
	"vigil/internal/source"
)

// runEQLQuery runs `vigil query --eql`: one EQL search over the inputs, as
// Elasticsearch's EQL search over an index holding them (every document,
// whatever its index), printed as a table of events: one row per matching
// event, or per event of each sequence with its number and join keys.
func runEQLQuery(cmd *cobra.Command, o queryOptions, query string, files []string, user *doc.Mapping, format string) error {
	cat := &engine.Catalog{User: user}
	// Type the fields no mapping names as the data does (as vigil query).
	cat.Inferred = engine.InferFields(files, cat.DecoderMapping(), o.threads, o.chunkSize)
	m, err := cat.Resolve([]string{"*"})
	if err != nil {
		return usageErr(err)
	}
	q, err := eql.Compile(query, m, eql.Options{Size: o.size})
	if err != nil {
		return usageErr(err)
	}
	if len(files) == 0 {
		return usageErr(fmt.Errorf("an EQL query needs input files or - for stdin"))
	}
	fields := append([]string{"data_stream.type", "data_stream.dataset", "data_stream.namespace"}, q.Fields()...) // and what IndexOf reads
	dec := doc.NewDecoder(cat.DecoderMapping(), doc.DecodeOptions{Dynamic: true, AutoID: true, Fields: fields})
	var docs []*doc.Document
	dropped := 0
	start := time.Now()
	// Lines the query cannot use are skipped undecoded (the hunt's prefilter).
	var keep func([]byte) bool
	if c := q.EventCondition(); c != nil {
		keep = prefilter.New(c, m, cat.DecoderMapping()).Match
	}
	st, readErr := (&source.Reader{Stdin: cmd.InOrStdin()}).FilteredDocuments(files, dec, keep, func(d *doc.Document) {
		if !q.Candidate(d) {
			return
		}
		if len(docs) >= engine.DefaultMaxEQLEvents {
			dropped++
			return
		}
		docs = append(docs, d)
	})
	res := q.Search(docs)
	var warnings []string
	if dropped > 0 {
		warnings = append(warnings, fmt.Sprintf("%d events dropped: more than %d candidate events", dropped, engine.DefaultMaxEQLEvents))
	}
	if res.Dropped > 0 {
		warnings = append(warnings, fmt.Sprintf("%d pending sequences dropped by the sequence cap", res.Dropped))
	}
	return writeQueryResult(cmd, format, eqlTable(q, res, o.index), warnings, st, time.Since(start), readErr)
}

// eqlTable lays an EQL result out as rows: _index, _id and the fields the
// query reads, for each event; a sequence's events are preceded by the
// sequence's number (from 1) and join keys (join_key.N), and a
// missing-event stage has no row.
func eqlTable(q *eql.Query, res eql.Result, indexFallback string) *esql.Result {
	t := &esql.Result{}
	nKeys := 0
	for _, s := range res.Sequences {
		nKeys = max(nKeys, len(s.Keys))
	}
	if q.HasStages() {
		t.Columns = append(t.Columns, esql.Column{Name: "sequence", Type: doc.Integer})
		for i := range nKeys {
			t.Columns = append(t.Columns, esql.Column{Name: "join_key." + strconv.Itoa(i), Type: doc.Keyword})
		}
	}
	t.Columns = append(t.Columns, esql.Column{Name: "_index", Type: doc.Keyword}, esql.Column{Name: "_id", Type: doc.Keyword})
	fields := q.Fields()
	for _, f := range fields {
		t.Columns = append(t.Columns, esql.Column{Name: f, Type: doc.Keyword})
	}
	row := func(prefix []doc.Value, d *doc.Document) {
		r := append(prefix, doc.KeywordOf(engine.IndexOf(d, indexFallback)), doc.KeywordOf(d.ID))
		for _, f := range fields {
			r = append(r, d.Get(f))
		}
		t.Rows = append(t.Rows, r)
	}
	for _, d := range res.Events {
		row(nil, d)
	}
	for n, s := range res.Sequences {
		for _, d := range s.Events {
			if d == nil {
				continue
			}
			prefix := []doc.Value{doc.Int(int32(n + 1))}
			for i := range nKeys {
				var v doc.Value // null
				if i < len(s.Keys) {
					v = s.Keys[i]
				}
				prefix = append(prefix, v)
			}
			row(prefix, d)
		}
	}
	// A column takes the type of its first value (json's "type").
	for i := range t.Columns {
		for _, r := range t.Rows {
			if !r[i].IsNull() {
				t.Columns[i].Type = r[i].T
				break
			}
		}
	}
	return t
}
