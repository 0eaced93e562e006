package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"vigil/internal/doc"
	"vigil/internal/engine"
	"vigil/internal/eql"
	"vigil/internal/esql"
	"vigil/internal/source"
)

type queryOptions struct {
	index, format, now string
	mapping            []string
	threads, chunkSize int
	fast               bool
	eql                bool
	size               int
	memLimit           memoryLimit
}

func newQueryCmd() *cobra.Command {
	var o queryOptions
	cmd := &cobra.Command{
		Use:   "query 'FROM … | …' [INPUT...]",
		Short: "Run an ad-hoc ES|QL (or, with --eql, EQL) query over local files",
		Long: `Runs one ES|QL query over NDJSON files, .gz files, directories or stdin (-), as
Elasticsearch would over an index holding those documents. Field types come from
the built-in ECS and Elastic Defend mappings, --mapping, and otherwise are
inferred from the data (strings as keyword). Documents with no index
(_index, data_stream.* or --index) match any FROM pattern.

With --eql the query is EQL, run as Elasticsearch's EQL search over every
input document: one row per matching event, or per event of each matched
sequence (with its number and join keys), at most --size results.`,
		Example: `  vigil query 'FROM logs-* | STATS n = COUNT(*) BY host.name | SORT n DESC' events.ndjson
  vigil query --format csv 'FROM * | KEEP @timestamp, process.command_line | LIMIT 5' events.ndjson.gz
  vigil query --eql 'sequence by process.entity_id [process where process.name == "sh"] [network where true]' events.ndjson`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runQuery(cmd, o, args[0], args[1:]) },
	}
	f := cmd.Flags()
	f.StringVar(&o.index, "index", "", "index name for documents that carry neither _index nor data_stream.* fields")
	f.StringArrayVar(&o.mapping, "mapping", nil, mappingFlagHelp)
	f.StringVar(&o.format, "format", "", "output: table, csv, json (Elasticsearch's _query response) or ndjson (default: table on a terminal, else json)")
	f.StringVar(&o.now, "now", "", "the query's NOW(), RFC 3339 (default: the current time)")
	f.IntVar(&o.threads, "threads", 0, "decoding workers (default: all cores)")
	f.BoolVar(&o.fast, "fast", false, "decode only the fields the query reads and skip lines its WHERE cannot match, as hunt does: the same rows for input Elasticsearch would index whole, but a bad value in a field the query does not read no longer rejects its line, and skipped lines raise no warnings")
	f.BoolVar(&o.eql, "eql", false, "the query is EQL (event queries, sequences; Elasticsearch's EQL search)")
	f.IntVar(&o.size, "size", eql.DefaultSize, "with --eql: the most events or sequences returned (Elasticsearch's size)")
	registerMemoryLimit(f, &o.memLimit)
	f.IntVar(&o.chunkSize, "chunk-size", 0, "bytes of input per work unit (default 2 MiB)")
	f.MarkHidden("chunk-size")
	return cmd
}

func runQuery(cmd *cobra.Command, o queryOptions, query string, inputs []string) error {
	now, err := parseNow(o.now)
	if err != nil {
		return err
	}
	user, err := loadMapping(o.mapping)
	if err != nil {
		return err
	}
	files, err := source.Expand(inputs)
	if err != nil {
		return inputErr(err)
	}
	format := o.format
	if format == "" {
		format = "json"
		if isTerminal(cmd.OutOrStdout()) {
			format = "table"
		}
	}
	switch format {
	case "table", "csv", "json", "ndjson":
	default:
		return usageErr(fmt.Errorf("--format %q: want table, csv, json or ndjson", format))
	}

	if err := checkThreads(o.threads); err != nil {
		return err
	}
	if o.eql {
		return runEQLQuery(cmd, o, query, files, user, format)
	}
	q, err := engine.PrepareQuery(query, user, files, engine.QueryOptions{Now: now, IndexFallback: o.index,
		Threads: o.threads, ChunkSize: o.chunkSize, Fast: o.fast, Stdin: cmd.InOrStdin(), MemoryLimit: int64(o.memLimit)})
	if err != nil {
		return usageErr(err)
	}
	if len(files) == 0 && q.Compiled.IndexPatterns() != nil {
		return usageErr(fmt.Errorf("the query reads FROM %s: give input files or - for stdin", strings.Join(q.Compiled.IndexPatterns(), ",")))
	}
	start := time.Now()
	res, st, readErr := q.Run()
	if res == nil {
		if mem := (*esql.MemoryError)(nil); errors.As(readErr, &mem) {
			return &exitError{exitMemory, readErr}
		}
		return readErr
	}
	return writeQueryResult(cmd, format, res, res.Warnings, st, time.Since(start), readErr)
}

// writeQueryResult prints a query's rows in the format, then its warnings
// and the malformed lines on stderr; readErr, if any, is the exit error.
func writeQueryResult(cmd *cobra.Command, format string, res *esql.Result, warnings []string, st source.Stats, took time.Duration, readErr error) error {
	var err error
	out := cmd.OutOrStdout()
	switch format {
	case "table":
		writeTable(out, res)
	case "csv":
		err = writeCSV(out, res)
	case "json":
		err = writeQueryJSON(out, res, took)
	case "ndjson":
		err = writeNDJSON(out, res)
	}
	if err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	for _, w := range warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	if st.Malformed > 0 {
		fmt.Fprintf(stderr, "malformed lines: %d (skipped)\n", st.Malformed)
		for _, p := range st.Problems {
			fmt.Fprintf(stderr, "  %s\n", p.Error())
		}
	}
	if readErr != nil {
		return inputErr(readErr)
	}
	return nil
}

// typeName is the column type as Elasticsearch's _query response names it.
func typeName(t doc.Type) string {
	if t == doc.Date {
		return "date"
	}
	return t.String()
}

func writeQueryJSON(w io.Writer, res *esql.Result, took time.Duration) error {
	type column struct {
		Name string `json:"name"`
		Type string `json:"type"`
	}
	body := struct {
		Took    int64    `json:"took"`
		Partial bool     `json:"is_partial"`
		Columns []column `json:"columns"`
		Values  [][]any  `json:"values"`
	}{Took: took.Milliseconds(), Columns: []column{}, Values: [][]any{}}
	for _, c := range res.Columns {
		body.Columns = append(body.Columns, column{c.Name, typeName(c.Type)})
	}
	for _, row := range res.Rows {
		vals := make([]any, len(row))
		for i, v := range row {
			vals[i] = v.JSON()
		}
		body.Values = append(body.Values, vals)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(body)
}

func writeNDJSON(w io.Writer, res *esql.Result) error {
	enc := json.NewEncoder(w)
	for _, row := range res.Rows {
		obj := make(map[string]any, len(row))
		for i, v := range row {
			obj[res.Columns[i].Name] = v.JSON()
		}
		if err := enc.Encode(obj); err != nil {
			return err
		}
	}
	return nil
}

func writeCSV(w io.Writer, res *esql.Result) error {
	cw := csv.NewWriter(w)
	head := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		head[i] = c.Name
	}
	cw.Write(head)
	for _, row := range res.Rows {
		rec := make([]string, len(row))
		for i, v := range row {
			if !v.IsNull() {
				rec[i] = v.String()
			}
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

// writeTable prints rows as Elasticsearch's text format does: a header, a
// rule of dashes, and cells left-aligned.
func writeTable(w io.Writer, res *esql.Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := make([]string, len(res.Columns))
	rule := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		head[i] = c.Name
		rule[i] = strings.Repeat("-", len(c.Name))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	fmt.Fprintln(tw, strings.Join(rule, "\t"))
	for _, row := range res.Rows {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = v.String()
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tw.Flush()
}
