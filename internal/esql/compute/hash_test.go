package compute_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/esql/agg"
	"vigil/internal/esql/compute"
)

// refKey encodes a key combination as the row engine's equality sees it.
func refKey(kv []doc.Value) string {
	s := ""
	for _, v := range kv {
		f := v.F
		if f == 0 {
			f = 0
		}
		s += fmt.Sprintf("%d|%d|%x|%q;", v.T, v.I, math.Float64bits(f), v.S)
	}
	return s
}

// TestGrouperDifferential: group ids (in first-appearance order) for
// random key columns, nulls and multi-values included, equal a reference
// that walks rows in order and puts each in every combination of its key
// values (first key slowest), as the row engine's STATS does.
func TestGrouperDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	shapes := [][]doc.Type{{doc.Keyword}, {doc.Long}, {doc.Date}, {doc.Double}, {doc.Boolean},
		{doc.Keyword, doc.Keyword}, {doc.Keyword, doc.Keyword, doc.Keyword, doc.Date}, {doc.Integer, doc.IP}}
	for range cases(300) {
		types := shapes[r.IntN(len(shapes))]
		g := compute.NewGrouper(types)
		if r.IntN(2) == 0 {
			compute.CollideHashes(g) // every key in one chain: equality decides
		}
		ref := map[string]int32{}
		var refKeys [][]doc.Value
		fields := make([]compute.Field, len(types))
		for i, ty := range types {
			fields[i] = compute.Field{Name: "f" + strconv.Itoa(i), Type: ty}
		}
		pb := compute.NewPageBuilder(fields)
		c := &compute.Ctx{}
		for range 1 + r.IntN(4) { // pages
			n := 1 + r.IntN(50)
			cols := make([][]doc.Value, len(types))
			for i, ty := range types {
				cols[i] = make([]doc.Value, n)
				for j := range n {
					if r.IntN(3) == 0 && j > 0 { // repeats make groups fill up
						cols[i][j] = cols[i][r.IntN(j)]
					} else {
						cols[i][j] = value(r, ty)
					}
				}
			}
			page := pb.Build(docsOf(cols))
			sel := randomSel(r, n)
			if r.IntN(2) == 0 {
				sel = c.All(page)
			}
			pos, ids := g.Add(page.Blocks, sel)
			var wantPos, wantIDs []int32
			for _, p := range sel {
				kv := make([]doc.Value, len(types))
				var rec func(i int)
				rec = func(i int) {
					if i == len(kv) {
						k := refKey(kv)
						id, ok := ref[k]
						if !ok {
							id = int32(len(refKeys))
							ref[k] = id
							refKeys = append(refKeys, append([]doc.Value(nil), kv...))
						}
						wantPos, wantIDs = append(wantPos, p), append(wantIDs, id)
						return
					}
					v := cols[i][p]
					for e := range v.Len() {
						kv[i] = v.At(e)
						rec(i + 1)
					}
					if v.IsNull() {
						kv[i] = v
						rec(i + 1)
					}
				}
				rec(0)
			}
			if fmt.Sprint(pos, ids) != fmt.Sprint(wantPos, wantIDs) {
				t.Fatalf("%v: got %v %v\nwant %v %v", types, pos, ids, wantPos, wantIDs)
			}
		}
		if g.Len() != len(refKeys) {
			t.Fatalf("%v: %d groups, want %d", types, g.Len(), len(refKeys))
		}
		for id, kv := range refKeys {
			if got := g.Keys(int32(id)); refKey(got) != refKey(kv) {
				t.Fatalf("%v: group %d keys %v want %v", types, id, got, kv)
			}
		}
	}
}

// statsFactories are COUNT_DISTINCT(keyword), VALUES(keyword), COUNT(*)
// and MAX(integer), as the STATS tests aggregate columns 2, 2, none and 3.
func statsFactories(t *testing.T) []agg.Factory {
	var factories []agg.Factory
	for _, a := range []struct {
		name string
		t    doc.Type
	}{{"COUNT_DISTINCT", doc.Keyword}, {"VALUES", doc.Keyword}, {"COUNT", doc.Null}, {"MAX", doc.Integer}} {
		f, _ := agg.Lookup(a.name)
		_, fac, err := f.Resolve([]doc.Type{a.t}, []*doc.Value{nil})
		if err != nil {
			t.Fatal(err)
		}
		factories = append(factories, fac)
	}
	return factories
}

// TestStatsAgainstRowEngine: grouping by column and feeding the agg
// states position by position gives the row engine's STATS result
// (groups in creation order, same aggregate values) on the seed rule's
// aggregate shape.
func TestStatsAgainstRowEngine(t *testing.T) {
	m := doc.NewMapping()
	fields := []compute.Field{{Name: "process.parent.name", Type: doc.Keyword}, {Name: "process.name", Type: doc.Keyword},
		{Name: "process.command_line", Type: doc.Keyword}, {Name: "n", Type: doc.Integer}}
	for _, f := range fields {
		m.Add(doc.Field{Name: f.Name, Type: f.Type, ESType: f.Type.String()})
	}
	const q = `FROM x | STATS c = COUNT_DISTINCT(process.command_line), v = VALUES(process.command_line), s = COUNT(*), x = MAX(n) BY process.parent.name, process.name`
	cq, err := esql.Compile(q, catalog{m}, esql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	factories := statsFactories(t)
	r := rand.New(rand.NewPCG(9, 10))
	for range cases(10) {
		ds := rowEngineDocs(r, 1+r.IntN(400))
		e := cq.NewExecution()
		for _, d := range ds {
			e.Push(d)
		}
		want, _ := e.Finish()
		g := compute.NewGrouper([]doc.Type{doc.Keyword, doc.Keyword})
		aggs := compute.NewAggregates(factories)
		pb := compute.NewPageBuilder(fields)
		c := &compute.Ctx{}
		for start := 0; start < len(ds); start += 100 {
			page := pb.Build(ds[start:min(start+100, len(ds))])
			pos, ids := g.Add(page.Blocks[:2], c.All(page))
			aggs.Add(0, page.Blocks[2], pos, ids, g.Len())
			aggs.Add(1, page.Blocks[2], pos, ids, g.Len())
			aggs.Add(2, nil, pos, ids, g.Len())
			aggs.Add(3, page.Blocks[3], pos, ids, g.Len())
		}
		if g.Len() != len(want.Rows) {
			t.Fatalf("%d groups, row engine %d", g.Len(), len(want.Rows))
		}
		for id := range int32(g.Len()) {
			got := []doc.Value{}
			for i := range factories {
				got = append(got, aggs.State(i, id).Result())
			}
			got = append(got, g.Keys(id)...)
			for j, v := range got {
				if !same(v, want.Rows[id][j]) {
					t.Fatalf("group %d col %d: %v, row engine %v", id, j, v, want.Rows[id][j])
				}
			}
		}
	}
}

// TestAggregatesManyGroups: states stay per group across batches and
// chunks (thousands of groups, added to out of order).
func TestAggregatesManyGroups(t *testing.T) {
	f, _ := agg.Lookup("COUNT")
	_, fac, err := f.Resolve([]doc.Type{doc.Null}, []*doc.Value{nil})
	if err != nil {
		t.Fatal(err)
	}
	aggs := compute.NewAggregates([]agg.Factory{fac})
	const groups = 5000
	r := rand.New(rand.NewPCG(15, 16))
	want := make([]int64, groups)
	seen := 0
	for seen < groups {
		var ids []int32
		for range 300 {
			id := int32(r.IntN(min(seen+200, groups)))
			seen = max(seen, int(id)+1)
			ids = append(ids, id)
			want[id]++
		}
		aggs.Add(0, nil, make([]int32, len(ids)), ids, seen)
	}
	for id, n := range want {
		if got := aggs.State(0, int32(id)).Result(); got.I != n {
			t.Fatalf("group %d: count %v want %d", id, got, n)
		}
	}
}

// TestMergeEqualsWhole: grouping and aggregating two halves of the input
// separately (parallel workers) and merging the second into the first
// (Intern of its keys in its creation order, Aggregates.Merge) gives the
// groups, order and aggregates of one pass over the whole input.
func TestMergeEqualsWhole(t *testing.T) {
	fields := []compute.Field{{Name: "process.parent.name", Type: doc.Keyword}, {Name: "process.name", Type: doc.Keyword},
		{Name: "process.command_line", Type: doc.Keyword}, {Name: "n", Type: doc.Integer}}
	factories := statsFactories(t)
	r := rand.New(rand.NewPCG(17, 18))
	for _, keyCols := range [][]int{{0}, {3}, {0, 1}} {
		types := make([]doc.Type, len(keyCols))
		for i, k := range keyCols {
			types[i] = fields[k].Type
		}
		run := func(ds []*doc.Document) (*compute.Grouper, *compute.Aggregates) {
			g, aggs := compute.NewGrouper(types), compute.NewAggregates(factories)
			pb, c := compute.NewPageBuilder(fields), &compute.Ctx{}
			for start := 0; start < len(ds); start += 64 {
				page := pb.Build(ds[start:min(start+64, len(ds))])
				var keys []*compute.Block
				for _, k := range keyCols {
					keys = append(keys, page.Blocks[k])
				}
				pos, ids := g.Add(keys, c.All(page))
				for i, b := range []*compute.Block{page.Blocks[2], page.Blocks[2], nil, page.Blocks[3]} {
					aggs.Add(i, b, pos, ids, g.Len())
				}
			}
			return g, aggs
		}
		for range cases(10) {
			ds := rowEngineDocs(r, 2+r.IntN(300))
			cut := 1 + r.IntN(len(ds)-1)
			wg, wa := run(ds)
			g, a := run(ds[:cut])
			og, oa := run(ds[cut:])
			for from := range int32(og.Len()) {
				id := g.Intern(og.Keys(from))
				a.Merge(id, oa, from, g.Len())
			}
			if g.Len() != wg.Len() {
				t.Fatalf("%v: %d groups merged, %d whole", types, g.Len(), wg.Len())
			}
			for id := range int32(g.Len()) {
				if refKey(g.Keys(id)) != refKey(wg.Keys(id)) {
					t.Fatalf("%v: group %d keys %v, whole %v", types, id, g.Keys(id), wg.Keys(id))
				}
				for i := range factories {
					if got, want := a.State(i, id).Result(), wa.State(i, id).Result(); !same(got, want) {
						t.Fatalf("%v: group %d aggregate %d: %v, whole %v", types, id, i, got, want)
					}
				}
			}
		}
	}
}
