package agg

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"vigil/internal/doc"
)

// TestNewStatesLikeFactory: states made in bulk behave as the factory's,
// from empty through the sizes where small states change representation,
// and Reset leaves a shared state as good as new.
func TestNewStatesLikeFactory(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range splitCases() {
		_, fac := mustResolve(t, tc.name, tc.args, tc.consts)
		bulk := make([]State, 8)
		NewStates(fac, bulk)
		for n, s := range bulk {
			want := fac()
			for range n * n { // 0, 1, 4, 9, … rows
				v := tc.gen(r)
				s.Add(v)
				want.Add(v)
			}
			if got, w := s.Result(), want.Result(); !same(got, w) && !(tc.approx && approxEqual(got, w)) {
				t.Errorf("%s%v after %d rows: bulk state %v, factory state %v", tc.name, tc.args, n*n, got, w)
			}
			if got, w := mustMarshal(t, s), mustMarshal(t, want); !tc.approx && !bytes.Equal(got, w) {
				t.Errorf("%s%v after %d rows: bulk state encodes %x, factory state %x", tc.name, tc.args, n*n, got, w)
			}
			if !Reset(s) {
				continue // made one by one: dropping it frees it
			}
			if got, w := mustMarshal(t, s), mustMarshal(t, fac()); !bytes.Equal(got, w) {
				t.Errorf("%s%v: released state encodes %x, a fresh one %x", tc.name, tc.args, got, w)
			}
		}
	}
}

// The aggregates detection rules group by most come in bulk.
func TestHotAggregatesBatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []doc.Type
	}{
		{"COUNT", []doc.Type{doc.Null}}, {"COUNT_DISTINCT", []doc.Type{doc.Keyword}}, {"COUNT_DISTINCT", []doc.Type{doc.Boolean}},
		{"VALUES", []doc.Type{doc.Keyword}}, {"MIN", []doc.Type{doc.Date}}, {"MAX", []doc.Type{doc.Long}},
		{"SUM", []doc.Type{doc.Long}}, {"AVG", []doc.Type{doc.Double}},
	} {
		_, fac := mustResolve(t, tc.name, tc.args, nil)
		if _, ok := fac().(batchable); !ok {
			t.Errorf("%s%v: states are made one by one", tc.name, tc.args)
		}
	}
}

func mustMarshal(t *testing.T, s State) []byte {
	t.Helper()
	b, err := Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// VALUES keeps a lone value inline: its result, merges and encoding must
// not tell.
func TestValuesSingle(t *testing.T) {
	_, fac := mustResolve(t, "VALUES", []doc.Type{doc.Text}, nil)
	cases := []struct {
		name  string
		parts [][]doc.Value // rows of each merged state, in merge order
		want  doc.Value
	}{
		{"none", [][]doc.Value{{}}, doc.Value{}},
		{"one", [][]doc.Value{{doc.TextOf("a")}}, k("a")},
		{"one twice", [][]doc.Value{{k("a"), k("a")}}, k("a")},
		{"two", [][]doc.Value{{k("a"), k("b"), k("a")}}, mv(k("a"), k("b"))},
		{"single into empty", [][]doc.Value{{}, {k("a")}}, k("a")},
		{"single into single", [][]doc.Value{{k("b")}, {k("a")}}, mv(k("b"), k("a"))},
		{"same single twice", [][]doc.Value{{k("a")}, {k("a")}}, k("a")},
		{"many into single", [][]doc.Value{{k("c")}, {k("a"), k("c"), k("b")}}, mv(k("c"), k("a"), k("b"))},
	}
	for _, tc := range cases {
		merged := fac()
		for _, rows := range tc.parts {
			p := fac()
			for _, v := range rows {
				p.Add(v)
			}
			back, err := Restore(fac, mustMarshal(t, p))
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			merged.Merge(back)
		}
		if got := merged.Result(); !same(got, tc.want) || got.IsMulti() != tc.want.IsMulti() {
			t.Errorf("%s: %v (%s), want %v (%s)", tc.name, got, got.T, tc.want, tc.want.T)
		}
	}
}
