package engine

import (
	"fmt"
	"reflect"
	"testing"

	"vigil/internal/doc"
	"vigil/internal/esql"
)

// TestDocBatchOutlivesDecoderReuse: documents a batch copied from a
// decoder that reuses its Document (and multi-value storage) per line
// keep their own values, equal to fresh decodes, once later lines are
// decoded.
func TestDocBatchOutlivesDecoderReuse(t *testing.T) {
	m := huntMapping()
	q, err := esql.Compile(`FROM logs-* METADATA _id | WHERE process.name == "sh" | STATS c = COUNT(*) BY process.args, host.name`, &Catalog{}, esql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !q.Columnar() {
		t.Fatal("the query does not lower")
	}
	var lines [][]byte
	for i := range 10 {
		lines = append(lines, fmt.Appendf(nil, `{"process":{"name":"sh","args":["a%d","b%d","c"]},"host":{"name":"h%d"}}`, i, i, i%3))
	}
	layout := doc.NewLayout(q.Fields())
	reused := doc.NewDecoder(m, doc.DecodeOptions{Dynamic: true, Layout: layout, Reuse: true})
	b := newDocBatch(q)
	for _, l := range lines {
		d, err := reused.Decode(l)
		if err != nil {
			t.Fatal(err)
		}
		if !b.add(d) {
			t.Fatal("a laid-out document was not batched")
		}
	}
	fresh := doc.NewDecoder(m, doc.DecodeOptions{Dynamic: true, Layout: layout})
	for i, l := range lines {
		want, _ := fresh.Decode(l)
		got := b.docs[i]
		if got.Get("process.args").Len() != 3 {
			t.Fatalf("line %d: process.args %v: the test reads no multi-value", i, got.Get("process.args"))
		}
		for _, f := range q.Fields() {
			if g, w := got.Get(f), want.Get(f); !reflect.DeepEqual(g, w) {
				t.Errorf("line %d %s: %v, want %v", i, f, g, w)
			}
		}
	}
}
