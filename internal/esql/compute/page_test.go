package compute_test

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"testing"

	"vigil/internal/doc"
	"vigil/internal/esql/compute"
	"vigil/internal/esql/fn"
)

// FuzzPageBuilder: documents derived from the input (map and Layout forms
// mixed, values of the declared type or not, nulls, multi-values) read
// back from the built page and from its Clone exactly as the documents
// hold them, and an operator kernel over two of the columns agrees with
// fn.Binary's evaluator in Elasticsearch's argument order.
func FuzzPageBuilder(f *testing.F) {
	f.Add([]byte("seed"), uint8(3))
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, uint8(40))
	f.Fuzz(func(t *testing.T, data []byte, ndocs uint8) {
		var seed [16]byte
		copy(seed[:], data)
		r := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
		nf := 1 + r.IntN(4)
		fields := make([]compute.Field, nf)
		names := make([]string, nf)
		for i := range fields {
			names[i] = "f" + strconv.Itoa(i)
			fields[i] = compute.Field{Name: names[i], Type: testTypes[r.IntN(len(testTypes))]}
		}
		layout := doc.NewLayout(append([]string{"other"}, names...))
		n := int(ndocs % 80)
		docs := make([]*doc.Document, n)
		want := make([][]doc.Value, n)
		for j := range docs {
			want[j] = make([]doc.Value, nf)
			for i, fd := range fields {
				ty := fd.Type
				if r.IntN(20) == 0 {
					ty = testTypes[r.IntN(len(testTypes))] // not the declared type
				}
				want[j][i] = value(r, ty)
			}
			if r.IntN(2) == 0 {
				d := &doc.Document{Layout: layout, Slots: make([]doc.Value, nf+1)}
				copy(d.Slots[1:], want[j])
				docs[j] = d
			} else {
				f := map[string]doc.Value{}
				for i, v := range want[j] {
					if !v.IsNull() {
						f[names[i]] = v
					}
				}
				docs[j] = &doc.Document{Fields: f}
			}
		}
		pb := compute.NewPageBuilder(fields)
		page := pb.Build(docs)
		var loaded []int32 // the positions checked: all, or those Load loaded
		for j := range docs {
			loaded = append(loaded, int32(j))
		}
		if r.IntN(2) == 0 {
			// Late loading: some fields at some positions, then the rest.
			page = pb.Start(docs)
			loaded = randomSel(r, n)
			cut := r.IntN(nf + 1)
			var first, rest []int
			for i := range nf {
				if i < cut {
					first = append(first, i)
				} else {
					rest = append(rest, i)
				}
			}
			pb.Load(first, loaded)
			pb.Load(rest, loaded)
		}
		clone := page.Clone()
		for _, j := range loaded {
			for i := range fields {
				for _, p := range []*compute.Page{page, clone} {
					if got := p.Blocks[i].Value(int32(j)); !same(got, want[j][i]) {
						t.Fatalf("doc %d field %d (%s): got %v:%s want %v:%s", j, i, fields[i].Type, got, got.T, want[j][i], want[j][i].T)
					}
				}
			}
		}
		if nf < 2 || len(loaded) < n {
			return
		}
		op := []fn.Op{fn.Add, fn.Sub, fn.Mul, fn.Div, fn.Mod, fn.Eq, fn.Neq, fn.Lt, fn.Lte, fn.Gt, fn.Gte}[r.IntN(11)]
		_, ev, err := fn.Binary(op, fields[0].Type, fields[1].Type)
		if err != nil {
			return
		}
		e, err := compute.Binary(op, compute.Col(0, fields[0].Type), compute.Col(1, fields[1].Type), 0)
		if err != nil {
			t.Fatal(err)
		}
		c := &compute.Ctx{}
		got, _ := evalAt(t, e, page, c.All(page))
		for j := range docs {
			if w := esOrder(ev, want[j][:2]); !sameOutcome(got[int32(j)], w) {
				t.Fatalf("doc %d: %v %s %v: got %v want %v", j, want[j][0], op, want[j][1], got[int32(j)], w)
			}
		}
	})
}
