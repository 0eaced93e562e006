package esql

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"vigil/internal/doc"
)

// TestPushTransientDocuments: Push keeps nothing that aliases a pushed
// document's memory. Documents whose strings and multi-values live in
// buffers scribbled over after every Push (as a reused decoder's do) give
// the answers of documents that own their memory, for every operator that
// keeps values past Push: STATS keys and states (VALUES, TOP, MIN, MAX,
// SAMPLE), SORT, LIMIT, INLINESTATS, and windows closed midway.
func TestPushTransientDocuments(t *testing.T) {
	queries := []string{
		`FROM x | STATS v = VALUES(name), t = TOP(name, 3, "desc"), mn = MIN(name), mx = MAX(tags), c = COUNT_DISTINCT(tags) BY tags, k = name | SORT tags, k`,
		`FROM x | SORT name, n DESC | LIMIT 20`,
		`FROM x | LIMIT 50`,
		`FROM x | INLINESTATS c = COUNT(*) BY name | LIMIT 30`,
		`FROM x | DISSECT msg "user=%{u} action=%{a}" | STATS u = VALUES(u) BY a | SORT a`,
		`FROM x | MV_EXPAND tags | STATS c = COUNT(*), m = MIN(name) BY tags | SORT tags`,
		`FROM x | STATS v = VALUES(name), m = MAX(msg) BY w = DATE_TRUNC(1 minute, @timestamp), host.name | SORT w, host.name`,
		`FROM x | STATS s = SAMPLE(name, 3) BY host.name | SORT host.name`,
	}
	r := rand.New(rand.NewPCG(1, 2))
	names := []string{"alice", "Bob", "carol", "DAVE", "eve"}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	type spec struct {
		name, host, msg string
		tags            []string
		n               int32
		ts              time.Time
	}
	var specs []spec
	for i := range 3000 {
		s := spec{name: names[r.IntN(len(names))], host: fmt.Sprintf("h%d", r.IntN(7)), n: int32(r.IntN(100)),
			msg: fmt.Sprintf("user=%s action=a%d", names[r.IntN(len(names))], r.IntN(4)), ts: base.Add(time.Duration(i) * time.Second)}
		for range r.IntN(4) {
			s.tags = append(s.tags, fmt.Sprintf("t%d", r.IntN(9)))
		}
		specs = append(specs, s)
	}
	owned := func(s spec) *doc.Document {
		return &doc.Document{Fields: map[string]doc.Value{"name": kw(s.name), "host.name": kw(s.host),
			"msg": {T: doc.Text, S: s.msg}, "n": ints(s.n), "tags": kwOrNull(s.tags...), "@timestamp": doc.TimeOf(s.ts)}}
	}
	// The transient form: every string in one scratch buffer, every
	// multi-value in one scratch slice, both reused for the next document.
	scratch := make([]byte, 0, 4096)
	elems := make([]doc.Value, 0, 16)
	str := func(s string) string {
		start := len(scratch)
		scratch = append(scratch, s...)
		return unsafe.String(&scratch[start], len(s))
	}
	transient := func(s spec) *doc.Document {
		scratch, elems = scratch[:0], elems[:0]
		d := &doc.Document{Fields: map[string]doc.Value{"name": doc.KeywordOf(str(s.name)), "host.name": doc.KeywordOf(str(s.host)),
			"msg": {T: doc.Text, S: str(s.msg)}, "n": ints(s.n), "@timestamp": doc.TimeOf(s.ts)}}
		for _, tag := range s.tags {
			elems = append(elems, doc.KeywordOf(str(tag)))
		}
		switch len(elems) {
		case 0:
		case 1:
			d.Fields["tags"] = elems[0]
		default:
			d.Fields["tags"] = doc.Value{T: doc.Keyword, M: elems}
		}
		return d
	}
	scribble := func() {
		for i := range scratch[:cap(scratch)] {
			scratch[:cap(scratch)][i] = '#'
		}
		for i := range elems {
			elems[i] = doc.KeywordOf("#")
		}
	}
	for _, q := range queries {
		cq, err := Compile(q, testCatalog{testMapping()}, Options{})
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		want, got := cq.NewExecution(), cq.NewExecution()
		for i, s := range specs {
			want.Push(owned(s))
			got.Push(transient(s))
			scribble()
			if i%100 == 99 {
				wm := s.ts.Add(-2 * time.Minute).UnixMilli()
				want.CloseWindows(wm)
				got.CloseWindows(wm)
			}
		}
		wr, err := want.Finish()
		if err != nil {
			t.Fatal(err)
		}
		gr, err := got.Finish()
		if err != nil {
			t.Fatal(err)
		}
		g, w := render(gr), render(wr)
		if strings.Contains(strings.Join(g, "\n"), "#") || len(g) < 2 {
			t.Errorf("%s: output holds scribbled memory or nothing:\n%s", q, strings.Join(g, "\n"))
		}
		if !strings.Contains(q, "SAMPLE") && !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\ntransient %q\nowned     %q", q, g, w)
		}
	}
}

func kwOrNull(s ...string) doc.Value {
	if len(s) == 0 {
		return doc.Value{}
	}
	return kw(s...)
}
