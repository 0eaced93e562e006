package engine

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"os"
	"testing"
	"time"

	"vigil/internal/doc"
)

// Peek (the live engine's in-place evaluation) gives what Finish gives, at
// any point, closed windows included, and leaves the execution usable.
func TestPeekMatchesFinish(t *testing.T) {
	cr, dec := liveFixture(t, nil)
	f, err := os.Open("../../examples/sample-events.ndjson.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, _ := gzip.NewReader(f)
	sc := bufio.NewScanner(gz)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var docs []*doc.Document
	for sc.Scan() {
		d, err := dec.Decode(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if d.Index == "" {
			d.Index = IndexOf(d, "")
		}
		docs = append(docs, d)
	}
	q := cr.Query
	e := q.NewExecution()
	copyFinish := func() string {
		c := q.NewExecution()
		c.Merge(e)
		res, _ := c.Finish()
		return fmt.Sprint(res.Rows)
	}
	half := len(docs) / 2
	for _, d := range docs[:half] {
		e.Push(d)
	}
	res, ok := e.Peek()
	if !ok || fmt.Sprint(res.Rows) != copyFinish() {
		t.Fatalf("peek at half differs from finish (ok %v)", ok)
	}
	if e.Groups() == 0 {
		t.Fatal("no groups")
	}
	for _, d := range docs[half:] {
		e.Push(d)
	}
	// Close every window but the last hour's, then compare with a fresh
	// full run.
	e.CloseWindows(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC).UnixMilli())
	peek, ok := e.Peek()
	full := q.NewExecution()
	for _, d := range docs {
		full.Push(d)
	}
	want, _ := full.Finish()
	got, _ := e.Finish()
	if !ok || len(want.Rows) != 4 || fmt.Sprint(peek.Rows) != fmt.Sprint(want.Rows) || fmt.Sprint(got.Rows) != fmt.Sprint(want.Rows) {
		t.Fatalf("after closing windows: peek %d rows, finish %d, want %d", len(peek.Rows), len(got.Rows), len(want.Rows))
	}
}
