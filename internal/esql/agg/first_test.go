package agg

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"vigil/internal/doc"
)

type pairRow struct{ v, sort doc.Value }

func addRows(s State, rows []pairRow) {
	for _, r := range rows {
		s.Add(Pair(r.v, r.sort))
	}
}

func TestFirstLast(t *testing.T) {
	_, first := mustResolve(t, "FIRST", []doc.Type{doc.Keyword, doc.Long}, []*doc.Value{nil, nil})
	_, last := mustResolve(t, "LAST", []doc.Type{doc.Keyword, doc.Long}, []*doc.Value{nil, nil})
	null := doc.Value{}
	cases := []struct {
		name        string
		rows        []pairRow
		first, last doc.Value
	}{
		{"empty", nil, null, null},
		{"one", []pairRow{{k("a"), l(5)}}, k("a"), k("a")},
		{"smallest and largest", []pairRow{{k("b"), l(5)}, {k("a"), l(1)}, {k("c"), l(9)}}, k("a"), k("c")},
		{"null value kept", []pairRow{{null, l(1)}, {k("b"), l(5)}}, null, k("b")},
		{"multi value kept whole", []pairRow{{mv(k("x"), k("y")), l(1)}, {k("b"), l(5)}}, mv(k("x"), k("y")), k("b")},
		// a multi-valued sort field: its min for FIRST, its max for LAST
		{"multi sort", []pairRow{{k("a"), mv(l(3), l(10))}, {k("b"), l(4)}, {k("c"), l(9)}}, k("a"), k("a")},
		// null sort values sort last for both
		{"null sort last", []pairRow{{k("n"), null}, {k("a"), l(3)}, {k("m"), null}}, k("a"), k("a")},
		{"only null sorts: first row", []pairRow{{k("n"), null}, {k("m"), null}}, k("n"), k("n")},
		{"ties: first row", []pairRow{{k("b"), l(2)}, {k("a"), l(2)}}, k("b"), k("b")},
	}
	for _, tc := range cases {
		f, la := first(), last()
		addRows(f, tc.rows)
		addRows(la, tc.rows)
		if got := f.Result(); !same(got, tc.first) {
			t.Errorf("%s: FIRST %v, want %v", tc.name, got, tc.first)
		}
		if got := la.Result(); !same(got, tc.last) {
			t.Errorf("%s: LAST %v, want %v", tc.name, got, tc.last)
		}
	}
}

func TestFirstLastTypes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []doc.Type
		want   doc.Type
		errArg int // -1: no error
	}{
		{"FIRST", []doc.Type{doc.Text, doc.Date}, doc.Keyword, -1},
		{"LAST", []doc.Type{doc.Integer, doc.Integer}, doc.Integer, -1},
		{"FIRST", []doc.Type{doc.GeoPoint, doc.DateNanos}, doc.GeoPoint, -1},
		{"FIRST", []doc.Type{doc.Null, doc.Date}, doc.Null, -1},
		{"FIRST", []doc.Type{doc.Keyword, doc.Null}, doc.Keyword, -1},
		{"FIRST", []doc.Type{doc.TimeDuration, doc.Date}, 0, 0},
		{"LAST", []doc.Type{doc.Keyword, doc.Double}, 0, 1},
		{"LAST", []doc.Type{doc.Keyword, doc.Keyword}, 0, 1},
		{"LAST", []doc.Type{doc.Keyword, doc.UnsignedLong}, 0, 1},
	} {
		f, _ := Lookup(tc.name)
		got, _, err := f.Resolve(tc.args, []*doc.Value{nil, nil})
		if tc.errArg >= 0 {
			te, ok := err.(*TypeError)
			if !ok || te.Arg != tc.errArg {
				t.Errorf("%s%v: error %v, want a type error on argument %d", tc.name, tc.args, err, tc.errArg)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s%v: %s, %v; want %s", tc.name, tc.args, got, err, tc.want)
		}
	}
}

// TestFirstLastMerge: contiguous parts merged in input order (as the
// parallel sweep merges) give the one-pass answer, ties and nulls included;
// each part goes through Marshal and Restore on the way.
func TestFirstLastMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	gen := func() pairRow {
		var p pairRow
		switch r.IntN(5) {
		case 0:
		case 1:
			p.v = mv(k(strconv.Itoa(r.IntN(50))), k(strconv.Itoa(r.IntN(50))))
		default:
			p.v = k(strconv.Itoa(r.IntN(50)))
		}
		switch r.IntN(6) {
		case 0:
		case 1:
			p.sort = mv(l(r.Int64N(20)), l(r.Int64N(20)))
		default:
			p.sort = l(r.Int64N(20)) // few distinct keys: many ties
		}
		return p
	}
	for _, name := range []string{"FIRST", "LAST"} {
		_, fac := mustResolve(t, name, []doc.Type{doc.Keyword, doc.Long}, []*doc.Value{nil, nil})
		for trial := 0; trial < 50; trial++ {
			rows := make([]pairRow, 1+r.IntN(60))
			for j := range rows {
				rows[j] = gen()
			}
			single := fac()
			addRows(single, rows)
			merged := fac()
			for start := 0; start < len(rows); {
				end := min(len(rows), start+1+r.IntN(10))
				part := fac()
				addRows(part, rows[start:end])
				b, err := Marshal(part)
				if err != nil {
					t.Fatal(err)
				}
				back, err := Restore(fac, b)
				if err != nil {
					t.Fatalf("%s: restore: %v", name, err)
				}
				merged.Merge(back)
				start = end
			}
			if want, got := single.Result(), merged.Result(); !same(want, got) {
				t.Fatalf("%s over %v: merged %v, single %v", name, rows, got, want)
			}
		}
	}
}

func FuzzFirstLastUnmarshal(f *testing.F) {
	var facs []Factory
	for _, name := range []string{"FIRST", "LAST"} {
		_, fac := mustResolve(f, name, []doc.Type{doc.Keyword, doc.Date}, []*doc.Value{nil, nil})
		facs = append(facs, fac)
		s := fac()
		s.Add(Pair(mv(k("a"), k("b")), l(3)))
		b, _ := Marshal(s)
		f.Add(b)
		s.Add(Pair(k("c"), l(1)))
		b, _ = Marshal(s)
		f.Add(b)
		b, _ = Marshal(fac())
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, fac := range facs {
			s, err := Restore(fac, b)
			if err != nil {
				continue
			}
			again, err := Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			s2, err := Restore(fac, again)
			if err != nil {
				t.Fatalf("re-encoding rejected: %v", err)
			}
			if !same(s.Result(), s2.Result()) {
				t.Fatalf("round trip changed the result: %v vs %v", s.Result(), s2.Result())
			}
			s2.Merge(s)
		}
	})
}
