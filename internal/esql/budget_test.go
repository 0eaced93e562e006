package esql

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"vigil/internal/doc"
)

// inlineShape is the package-manager-ancestor rule's shape: every row is
// annotated with a VALUES list as long as the input, then intersected.
const inlineShape = `FROM x | EVAL id = name | INLINE STATS ids = VALUES(id) WHERE id != "null" BY host.name
| EVAL hit = MV_INTERSECTION(ids, tags) | WHERE hit IS NOT NULL | KEEP name, host.name, hit | LIMIT 10000`

// ancestryDocs makes n documents with distinct names, hosts (every 7th
// null) from `hosts`, and tags naming a few earlier documents and some
// names that no document has.
func ancestryDocs(n, hosts int) []*doc.Document {
	ds := make([]*doc.Document, n)
	for i := range ds {
		f := map[string]doc.Value{"name": kw(fmt.Sprintf("e%d", i))}
		if i%7 != 3 {
			f["host.name"] = kw(fmt.Sprintf("h%d", i%hosts))
		}
		tags := []string{fmt.Sprintf("none%d", i)}
		for _, j := range []int{i / 2, i * 7 % (i + 1), i - 5, i / 3} {
			if j >= 0 && (i+j)%4 != 0 {
				tags = append(tags, fmt.Sprintf("e%d", j))
			}
		}
		f["tags"] = kw(tags...)
		ds[i] = &doc.Document{Index: "x", Fields: f}
	}
	return ds
}

// inlineReference answers inlineShape directly: per host (null is a
// group) the names in input order, and each row's intersection with its
// tags in that order.
func inlineReference(ds []*doc.Document) []string {
	key := func(d *doc.Document) string {
		if h, ok := d.Fields["host.name"]; ok {
			return "h:" + h.S
		}
		return "null"
	}
	vals := map[string][]string{}
	for _, d := range ds {
		vals[key(d)] = append(vals[key(d)], d.Fields["name"].S)
	}
	var out []string
	for _, d := range ds {
		var tags []string
		for i := 0; i < d.Fields["tags"].Len(); i++ {
			tags = append(tags, d.Fields["tags"].At(i).S)
		}
		var hit []string
		for _, v := range vals[key(d)] {
			if slices.Contains(tags, v) && !slices.Contains(hit, v) {
				hit = append(hit, v)
			}
		}
		if len(hit) > 0 {
			h := d.Fields["host.name"].S
			if key(d) == "null" {
				h = "null"
			}
			out = append(out, d.Fields["name"].S+"|"+h+"|"+strings.Join(hit, ","))
		}
	}
	return out
}

func flatRows(r *Result) []string {
	str := func(v doc.Value) string {
		if v.IsNull() {
			return "null"
		}
		var s []string
		for i := 0; i < v.Len(); i++ {
			s = append(s, v.At(i).S)
		}
		return strings.Join(s, ",")
	}
	var out []string
	for _, row := range r.Rows {
		out = append(out, str(row[0])+"|"+str(row[1])+"|"+str(row[2]))
	}
	return out
}

// runParts runs q over ds split into parts executions (parallel workers)
// merged in input order, by Absorb when take, else Merge.
func runParts(q *Query, ds []*doc.Document, parts int, take bool) (*Result, error) {
	var execs []*Execution
	for p := range parts {
		e := q.NewExecution()
		for _, d := range ds[p*len(ds)/parts : (p+1)*len(ds)/parts] {
			e.Push(d)
		}
		execs = append(execs, e)
	}
	for _, e := range execs[1:] {
		if take {
			execs[0].Absorb(e)
		} else {
			execs[0].Merge(e)
		}
	}
	return execs[0].Finish()
}

// INLINE STATS with VALUES then MV_INTERSECTION agrees with a direct
// computation, in one execution and split over merged workers, with long
// VALUES lists (indexed for MV_INTERSECTION) and short ones (scanned).
func TestInlineValuesIntersectionReference(t *testing.T) {
	q, err := Compile(inlineShape, testCatalog{testMapping()}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ n, hosts, parts int }{
		{300, 1, 1}, {300, 1, 3}, {500, 40, 1}, {500, 40, 4}, {50, 3, 2},
	} {
		t.Run(fmt.Sprintf("n%d_hosts%d_parts%d", tc.n, tc.hosts, tc.parts), func(t *testing.T) {
			ds := ancestryDocs(tc.n, tc.hosts)
			r, err := runParts(q, ds, tc.parts, true)
			if err != nil {
				t.Fatal(err)
			}
			got, want := flatRows(r), inlineReference(ds)
			if len(want) == 0 {
				t.Fatal("reference has no rows: the test data proves nothing")
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %d rows, want %d\ngot  %.5q\nwant %.5q", len(got), len(want), got, want)
			}
			if u := q.budget.used.Load(); u != 0 {
				t.Errorf("budget still holds %d bytes after Finish", u)
			}
		})
	}
}

// The rule's shape allocates in proportion to its input: on the old plan
// every row got its own copy of the group's VALUES list, so doubling the
// input quadrupled the allocations.
func TestInlineValuesAllocationsLinear(t *testing.T) {
	q, err := Compile(inlineShape, testCatalog{testMapping()}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	alloc := func(n int) uint64 {
		ds := ancestryDocs(n, 1)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		e := q.NewExecution()
		for _, d := range ds {
			e.Push(d)
		}
		if _, err := e.Finish(); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := alloc(2000), alloc(4000)
	if ratio := float64(large) / float64(small); ratio > 2.6 {
		t.Errorf("allocations grew %.1f× for twice the input (%d → %d bytes): not linear", ratio, small, large)
	}
}

// A query over its budget stops: Push ignores further documents, Finish
// names the command and the limit, and the budget is given back.
func TestMemoryLimitStopsQuery(t *testing.T) {
	ds := ancestryDocs(3000, 5)
	for _, tc := range []struct {
		query, cmd string
		line, col  int
	}{
		{inlineShape, "INLINE STATS", 1, 27},
		{"FROM x | STATS v = VALUES(name) BY host.name", "STATS", 1, 10},
		{"FROM x | EVAL k = CONCAT(name, \"-\")\n| SORT k | EVAL z = 1 | LIMIT 5000", "SORT", 2, 3},
		{"FROM x | LIMIT 5000", "LIMIT", 1, 10},
		{"FROM x", "the implicit LIMIT", 0, 0},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			q, err := Compile(tc.query, testCatalog{testMapping()}, Options{MemoryLimit: 64 << 10})
			if err != nil {
				t.Fatal(err)
			}
			e := q.NewExecution()
			pushed := 0
			for _, d := range ds {
				if e.Done() {
					break
				}
				e.Push(d)
				pushed++
			}
			_, err = e.Finish()
			var mem *MemoryError
			if !errors.As(err, &mem) {
				t.Fatalf("Finish: %v, want a MemoryError", err)
			}
			if mem.Command != tc.cmd || mem.Line != tc.line || mem.Col != tc.col || mem.Limit != 64<<10 {
				t.Errorf("got %+v, want %s at %d:%d", mem, tc.cmd, tc.line, tc.col)
			}
			if !strings.Contains(err.Error(), "64 KiB") {
				t.Errorf("message %q does not name the limit", err)
			}
			if tc.cmd != "the implicit LIMIT" && pushed == len(ds) {
				t.Error("the execution took every document after going over its budget")
			}
			if u := q.budget.used.Load(); u != 0 {
				t.Errorf("budget still holds %d bytes after Finish", u)
			}
			// The same shapes fit a larger limit.
			if _, err := Run(tc.query, testCatalog{testMapping()}, seq(ds), Options{MemoryLimit: 256 << 20}); err != nil {
				t.Errorf("with 256 MiB: %v", err)
			}
		})
	}
}

// Windows that close give their groups' bytes back: a windowed STATS
// over a long input stays within a budget its whole input would exceed
// (its rows do not survive the WHERE, so none is kept).
func TestMemoryLimitClosedWindows(t *testing.T) {
	q, err := Compile("FROM x | STATS v = VALUES(name) BY w = DATE_TRUNC(1 minute, @timestamp) | WHERE MV_COUNT(v) > 100000", testCatalog{testMapping()}, Options{MemoryLimit: 512 << 10})
	if err != nil {
		t.Fatal(err)
	}
	e := q.NewExecution()
	for i := 0; i < 40000; i++ {
		ts := int64(1700000000000) + int64(i)*100
		e.Push(&doc.Document{Index: "x", Fields: map[string]doc.Value{"name": kw(fmt.Sprintf("n%d", i)), "@timestamp": doc.DateMillis(ts)}})
		if i%1000 == 999 {
			e.CloseWindows(ts - 60000)
		}
	}
	if _, err := e.Finish(); err != nil {
		t.Fatalf("windowed STATS: %v", err)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{1 << 30: "1 GiB", 512 << 20: "512 MiB", 1536 << 10: "1536 KiB", 100: "100 B", 0: "0 B"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// BenchmarkInlineValuesIntersection runs the rule's shape over 5,000
// documents: buffering rows, the shared VALUES list, the indexed
// intersection and the accounting.
func BenchmarkInlineValuesIntersection(b *testing.B) {
	q, err := Compile(inlineShape, testCatalog{testMapping()}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	ds := ancestryDocs(5000, 4)
	b.ReportAllocs()
	for b.Loop() {
		e := q.NewExecution()
		for _, d := range ds {
			e.Push(d)
		}
		if _, err := e.Finish(); err != nil {
			b.Fatal(err)
		}
	}
}

// Rows buffered by a LIMIT, INLINE STATS or SORT merge in input order (up
// to the LIMIT; SORT's ties in arrival order), whatever the split: the
// answer of one execution.
func TestBufferedRowsMergeInOrder(t *testing.T) {
	ds := ancestryDocs(600, 5)
	for _, query := range []string{
		"FROM x | LIMIT 5 | KEEP name, host.name, tags",
		"FROM x | LIMIT 250 | KEEP name, host.name, tags",
		"FROM x | LIMIT 10000 | KEEP name, host.name, tags",
		"FROM x | INLINE STATS c = COUNT(*) BY host.name | KEEP name, host.name, c | LIMIT 10000",
		"FROM x | SORT host.name NULLS FIRST, name DESC | EVAL z = 1 | KEEP name, host.name, tags, z | LIMIT 10000",
		"FROM x | SORT tags DESC, name | LIMIT 37 | KEEP name, tags",
	} {
		q, err := Compile(query, testCatalog{testMapping()}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want, err := Run(query, testCatalog{testMapping()}, seq(ds), Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, parts := range []int{2, 7} {
			got, err := runParts(q, ds, parts, false)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := render(got), render(want); !slices.Equal(g, w) {
				t.Errorf("%s over %d parts: %d rows, want %d\n%.3q\n%.3q", query, parts, len(g), len(w), g, w)
			}
		}
	}
}

// A wide query (KEEP * over a mapping of 2,000 fields) keeps a buffered
// row at the size of its values, not of its width.
func TestBufferedRowsCompact(t *testing.T) {
	m := testMapping()
	for i := range 2000 {
		m.Add(doc.Field{Name: fmt.Sprintf("f%d", i), Type: doc.Keyword, ESType: "keyword"})
	}
	for _, query := range []string{"FROM x | KEEP *", "FROM x | INLINE STATS c = COUNT(*) | KEEP *", "FROM x | SORT name | EVAL z = 1 | KEEP *"} {
		q, err := Compile(query, testCatalog{m}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		e := q.NewExecution()
		for _, d := range ancestryDocs(1000, 3) {
			e.Push(d)
		}
		held := e.x.mem.held + e.x.mem.pending
		if perRow := held / 1000; perRow > 2000 {
			t.Errorf("%s: %d bytes held per row of 4 values", query, perRow)
		}
		if _, err := e.Finish(); err != nil {
			t.Fatal(err)
		}
	}
}
