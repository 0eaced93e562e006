package engine

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/source"
)

// queryInput is what queryEvents writes.
type queryInput int

const (
	cleanInput    queryInput = iota // every line indexable whole
	conflictInput                   // clean, but an unmapped field whose first value is a string and most others numbers
	dirtyInput                      // malformed lines of every kind
)

// queryEvents writes n events for TestQueryDifferential: multi-valued and
// null fields, documents with and without an index, hit envelopes, fields
// no mapping names (one appearing only late), in every JSON encoding
// encodeEvent draws (dotted keys, \uXXXX escapes).
func queryEvents(t testing.TB, n int, seed uint64, kind queryInput) string {
	t.Helper()
	return eventFile(t, fmt.Sprintf("events-%d.ndjson", kind), func(w *bufio.Writer) { writeQueryEvents(w, n, seed, kind) })
}

func writeQueryEvents(w *bufio.Writer, n int, seed uint64, kind queryInput) {
	rng := rand.New(rand.NewPCG(seed, uint64(kind)))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	for i := range n {
		ts := fmt.Sprintf("2026-11-20T10:%02d:%02d.%03dZ", rng.IntN(60), rng.IntN(60), rng.IntN(1000))
		if kind == dirtyInput && rng.IntN(30) == 0 {
			switch rng.IntN(4) {
			case 0:
				w.WriteString(`{"@timestamp":"` + ts + `","process":{"name":"bash"` + "\n") // cut off
			case 1:
				w.WriteString(`[1,2]` + "\n")
			case 2:
				w.WriteString(`{"@timestamp":"` + ts + `","process":"x"}` + "\n") // a scalar where an object is mapped
			default:
				w.WriteString(`{"@timestamp":"` + ts + `","host":{"name":"h1"}} trailing` + "\n")
			}
			continue
		}
		name := pick("sh", "bash", "curl", "python3", "ls", "SH")
		args := []string{name, pick("-c", "-lc", "-x"), pick("id", "whoami", "curl http://x/", "python -c 1")}
		fields := [][2]any{
			{"@timestamp", ts},
			{"host.os.type", pick("linux", "linux", "macos", "windows")},
			{"process.parent.name", pick("python3", "Python", "ipython", "bash", "perl")},
			{"process.name", name},
			{"process.args", args},
			{"process.command_line", strings.Join(args, " ")},
			{"process.pid", rng.IntN(60000)},
			{"process.working_directory", "/srv/" + pick("a", "b")},
		}
		switch rng.IntN(20) {
		case 0:
			fields = append(fields, [2]any{"host.name", rawJSON("null")})
		case 1, 2:
		default:
			fields = append(fields, [2]any{"host.name", fmt.Sprintf("h%d", rng.IntN(5))})
		}
		switch rng.IntN(5) {
		case 0:
			fields = append(fields, [2]any{"event.type", "start"})
		case 1:
			fields = append(fields, [2]any{"event.type", []string{"start"}})
		case 2, 3:
			fields = append(fields, [2]any{"event.type", []string{pick("start", "end"), "change"}})
		}
		if rng.IntN(3) == 0 {
			fields = append(fields, [2]any{"host.ip", rawJSON(fmt.Sprintf(`["10.0.0.%d","::1"]`, rng.IntN(256)))})
		}
		if rng.IntN(2) == 0 {
			fields = append(fields, [2]any{"myapp.user", pick("alice", "bob", "carol")}, [2]any{"myapp.count", rng.IntN(10)})
		}
		if i > n/2 && rng.IntN(10) == 0 {
			fields = append(fields, [2]any{"late.flag", rawJSON("true")}, [2]any{"late.tags", []string{"a", "b"}})
		}
		if kind == conflictInput {
			v := any(rawJSON(fmt.Sprint(rng.IntN(100))))
			if i == 0 || rng.IntN(4) == 0 {
				v = fmt.Sprintf("id-%d", rng.IntN(100))
			}
			fields = append(fields, [2]any{"extra.v", v})
		}
		if kind == dirtyInput && rng.IntN(25) == 0 {
			// Values a mapping rejects, in fields few queries read.
			bad := [][2]any{
				{"process.pid", "abc"},
				{"process.working_directory", rawJSON(`"\q"`)},
				{"host.ip", "not-an-ip"},
				{"myapp.count", "lots"},
				{"labels", rawJSON(`{"":"x"}`)},
			}[rng.IntN(5)]
			for j := range fields {
				if fields[j][0] == bad[0] {
					fields = append(fields[:j], fields[j+1:]...)
					break
				}
			}
			fields = append(fields, bad)
		}
		indexed := rng.IntN(10) > 0
		if indexed {
			fields = append(fields, [2]any{"data_stream.type", "logs"},
				[2]any{"data_stream.dataset", pick("endpoint.events.process", "endpoint.events.process", "endpoint.events.network")},
				[2]any{"data_stream.namespace", "default"})
		}
		writeEvent(w, rng, fields, func(body string) string {
			switch rng.IntN(40) {
			case 0:
				return fmt.Sprintf(`{"_index":".ds-logs-endpoint.events.process-default-2026.11.20-000001","_id":"id%d","_source":%s}`, i, body)
			case 1:
				return fmt.Sprintf(`{"_index":"audit-2026","_id":"a%d","_source":%s}`, i, body)
			}
			return body
		})
	}
}

// differentialQueries cover the shapes whose parallel merge or decoding
// could differ from the definition.
var differentialQueries = []string{
	// WHERE + STATS BY
	`FROM logs-* | WHERE TO_LOWER(process.parent.name) LIKE "python*" AND process.name IN ("bash","sh") | STATS n = COUNT(*), c = COUNT_DISTINCT(process.command_line) BY host.name | SORT n DESC, host.name | LIMIT 5`,
	// no STATS: LIMIT after a filter, LIMIT alone, LIMIT 0
	`FROM logs-* | WHERE process.name == "curl" | KEEP @timestamp, host.name, process.command_line | LIMIT 20`,
	`FROM logs-* | KEEP @timestamp, process.pid | LIMIT 7`,
	`FROM logs-* | WHERE process.name == "ls" | LIMIT 0`,
	// SORT + LIMIT, ties included
	`FROM logs-* | SORT host.os.type DESC | KEEP host.os.type, process.pid, host.name | LIMIT 15`,
	// every field: KEEP *, no KEEP, DROP, wildcards
	`FROM * | KEEP * | LIMIT 30`,
	`FROM logs-* | LIMIT 10`,
	`FROM logs-* | DROP process.args, host.ip | LIMIT 25`,
	`FROM * | KEEP myapp.*, late.* | LIMIT 50`,
	// EVAL with CASE
	`FROM logs-* | EVAL kind = CASE(process.name == "sh", "shell", process.name LIKE "py*", "python", "other") | STATS n = COUNT(*) BY kind | SORT kind`,
	// multi-valued fields: warnings, with STATS and with a LIMIT
	`FROM logs-* | WHERE event.type == "start" | STATS n = COUNT(*) BY host.os.type | SORT host.os.type`,
	`FROM logs-* | WHERE event.type == "start" | KEEP host.name, event.type | LIMIT 40`,
	`FROM * | EVAL x = late.tags == "a" | KEEP host.name, x | LIMIT 5`, // fails only after the LIMIT fills
	`FROM logs-* | MV_EXPAND process.args | WHERE process.args == "-c" | KEEP process.args, host.name | LIMIT 30`,
	// failures with many distinct messages (more than 20)
	`FROM logs-* | EVAL x = TO_LONG(process.command_line) | STATS n = COUNT(*) BY x | SORT x | LIMIT 5`,
	`FROM logs-* | EVAL x = TO_LONG(process.command_line) | KEEP x, host.name | LIMIT 3`,
	`FROM logs-* | WHERE process.name == "curl" | EVAL x = TO_LONG(process.command_line) | KEEP x | LIMIT 30`,
	// null keys; COUNT(*) without WHERE (every line, unindexed ones too)
	`FROM * | STATS n = COUNT(*) BY host.name | SORT host.name NULLS FIRST`,
	`FROM * | STATS COUNT(*)`,
	// fields no mapping names
	`FROM logs-* | WHERE myapp.count > 3 | STATS s = SUM(myapp.count) BY myapp.user | SORT myapp.user`,
	`FROM * | WHERE late.flag | STATS COUNT(*)`,
	`FROM * | STATS n = COUNT(*) BY extra.v | SORT n DESC, extra.v | LIMIT 3`,
	// KQL, escaped literals (the data spells python as \u0070ython and so on)
	`FROM logs-* | WHERE KQL("process.name:bash and host.os.type:linux") | STATS COUNT(*) BY host.name | SORT host.name`,
	`FROM logs-* | WHERE process.parent.name == "python3" | STATS n = COUNT(*) BY process.name | SORT process.name`,
	// metadata, INLINE STATS, one data stream, ROW
	`FROM logs-* METADATA _index, _id | WHERE _id IS NOT NULL | KEEP _index, _id, host.name | LIMIT 10`,
	`FROM logs-* | INLINE STATS n = COUNT(*) BY host.name | KEEP host.name, n, process.pid | LIMIT 20`,
	`FROM logs-endpoint.events.process-* | STATS COUNT(*) BY process.name | SORT process.name`,
	`ROW a = 1`,
}

var queryNow = huntNow

// referenceQuery is `vigil query` as it was before the sweep, the
// definition Query documents: every field typed from the whole input, then
// every line decoded whole, in order, and pushed into one execution.
func referenceQuery(t *testing.T, src string, files []string) (*esql.Result, source.Stats, error) {
	t.Helper()
	base := (&Catalog{}).DecoderMapping()
	infer := doc.NewDecoder(base, doc.DecodeOptions{Dynamic: true, IgnoreMalformed: true})
	_ = (&source.Reader{}).ReadFiles(files, func(l source.Line) { infer.Decode(l.Bytes) })
	cat := &Catalog{Inferred: infer.Dynamic()}
	q, err := esql.Compile(src, cat, esql.Options{Now: queryNow})
	if err != nil {
		return nil, source.Stats{}, err
	}
	// Every document has an _id (doc.AutoID when its line has none),
	// whether or not the query reads it.
	dec := doc.NewDecoder(cat.DecoderMapping(), doc.DecodeOptions{Dynamic: true, AutoID: true})
	exec := q.NewExecution()
	st, err := (&source.Reader{}).Documents(files, dec, func(d *doc.Document) {
		index := IndexOf(d, "")
		if d.Index == "" {
			d.Index = index
		}
		if index == "" || Reads(q, index, DataStreamOf(index)) {
			exec.Push(d)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := exec.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return res, st, nil
}

// renderQuery prints a result and its read for comparison; warnings are
// left out when withWarnings is false.
func renderQuery(t *testing.T, res *esql.Result, st source.Stats, withWarnings bool) string {
	t.Helper()
	var b strings.Builder
	for _, c := range res.Columns {
		fmt.Fprintf(&b, "%s:%s ", c.Name, c.Type)
	}
	b.WriteString("\n")
	for _, row := range res.Rows {
		vals := make([]any, len(row))
		for i, v := range row {
			vals[i] = v.JSON()
		}
		j, err := json.Marshal(vals)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteString("\n")
	}
	if withWarnings {
		for _, w := range res.Warnings {
			b.WriteString("warning: " + w + "\n")
		}
	}
	fmt.Fprintf(&b, "lines=%d events=%d malformed=%d\n", st.Lines, st.Events, st.Malformed)
	for _, p := range st.Problems {
		b.WriteString(p.Error() + "\n")
	}
	return b.String()
}

// TestQueryDifferential: Query.Run on 1 and 2 or 4 threads, over inputs cut
// into hundreds of chunks, gives exactly the reference's result —
// columns, rows and their order, warnings, malformed lines — for every
// query; with Fast, the same columns and rows on clean input.
func TestQueryDifferential(t *testing.T) {
	t.Parallel()
	n := 1500 // ~75 chunks of 4 KiB: plenty of merges, and the test stays ~15 s
	if testing.Short() {
		n = 1000
	}
	clean := queryEvents(t, n, 1, cleanInput)
	conflict := queryEvents(t, n/2, 2, conflictInput)
	dirty := queryEvents(t, n, 3, dirtyInput)
	inputs := []struct {
		name  string
		files []string
		clean bool
	}{
		{"clean", []string{clean}, true},
		{"conflict", []string{conflict}, true},
		{"dirty", []string{dirty, conflict}, false},
	}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			t.Parallel()
			for qi, src := range differentialQueries {
				ref, refSt, refErr := referenceQuery(t, src, in.files)
				if refErr != nil {
					// The same compile error, inferred fields or not.
					if _, err := PrepareQuery(src, nil, in.files, QueryOptions{Now: queryNow}); err == nil || err.Error() != refErr.Error() {
						t.Errorf("%s: error %v, want %v", src, err, refErr)
					}
					continue
				}
				if qi == 0 && in.name == "dirty" && refSt.Malformed == 0 {
					t.Fatal("the dirty input has no malformed lines")
				}
				// One worker, and several: 2 or 4 by turns (all three with
				// VIGIL_LONG_TESTS=1). Each query is still checked merged
				// from partials, and each pool size over every input.
				threadCounts := []int{1, 2 + 2*(qi%2)}
				if longTests() {
					threadCounts = []int{1, 2, 4}
				}
				for _, threads := range threadCounts {
					for _, fast := range []bool{false, true} {
						if fast && !in.clean {
							continue
						}
						q, err := PrepareQuery(src, nil, in.files, QueryOptions{Now: queryNow, Threads: threads, ChunkSize: 4 << 10, Fast: fast})
						if err != nil {
							t.Fatal(err)
						}
						res, st, err := q.Run()
						if err != nil {
							t.Fatal(err)
						}
						if want := renderQuery(t, ref, refSt, !fast); renderQuery(t, res, st, !fast) != want {
							t.Errorf("%s\nthreads %d, fast %v:\n%s\nwant:\n%s", src, threads, fast, renderQuery(t, res, st, !fast), want)
						}
						// Clean input is read once, even when an expression
						// fails with many messages (TO_LONG of command lines).
						if in.name == "clean" && q.passes != 1 {
							t.Errorf("%s\nthreads %d, fast %v: %d reads", src, threads, fast, q.passes)
						}
					}
				}
			}
		})
	}
}

// TestInferFields: the parallel inference types what the sequential one
// does, the workers agreeing or not.
func TestInferFields(t *testing.T) {
	base := (&Catalog{}).DecoderMapping()
	for _, kind := range []queryInput{cleanInput, conflictInput, dirtyInput} {
		path := queryEvents(t, 2000, 5, kind)
		want, err := InferMapping([]string{path}, base, 0).MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		for _, threads := range []int{1, 2, 4} {
			got, err := InferFields([]string{"-", path}, base, threads, 4<<10).MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("input %d, %d threads: %s\nwant %s", kind, threads, got, want)
			}
		}
	}
}

// TestReadsUnmapped checks the plan's answer to "could fields no mapping
// names change this query?", which decides whether PrepareQuery must
// infer them first.
func TestReadsUnmapped(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want bool
	}{
		{`FROM logs-*`, true},
		{`FROM logs-* | WHERE process.name == "bash" | EVAL x = 1`, true},
		{`FROM logs-* | KEEP process.name`, false},
		{`FROM logs-* | KEEP process.*`, true},
		{`FROM logs-* | DROP process.*`, true},
		{`FROM logs-* | RENAME process.name AS p | STATS c = COUNT(*) BY p`, false},
		{`FROM logs-* | STATS c = COUNT(*) | KEEP c*`, false},
		{`FROM logs-* | INLINE STATS c = COUNT(*)`, true},
		{`FROM logs-* | INLINE STATS c = COUNT(*) | KEEP c`, false},
		{`FROM logs-* | WHERE KQL("process.name:bash") | KEEP process.name`, false},
		{`FROM logs-* | WHERE KQL("bash") | KEEP process.name`, true},
		{`FROM logs-* | WHERE KQL("process.*:bash") | KEEP process.name`, true},
		{`FROM logs-* | WHERE KQL("not process.name:(a or b*)") | KEEP process.name`, false},
		{`ROW a = 1`, false},
	} {
		c, err := esql.Compile(tc.q, &Catalog{}, esql.Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		if got := readsUnmapped(c); got != tc.want {
			t.Errorf("readsUnmapped(%s) = %v, want %v", tc.q, got, tc.want)
		}
	}
}
