package doc

import (
	"maps"
	"testing"
)

// TestDecodeLayout: a decoder given a Layout puts in Slots exactly what a
// projected decoder puts in Fields, line after line (a reused Document
// forgets the previous line's values), and a skim decoder sharing the
// layout fills only its own fields' slots.
func TestDecodeLayout(t *testing.T) {
	m := mustMapping(t, testMapping)
	names := []string{"process.name", "process.name.caseless", "host_alias", "process.command_line.text", "process.args",
		"ds.type", "n_long", "@timestamp", "dyn_x", "absent.field"}
	lines := []string{
		`{"@timestamp":"2022-02-16T23:49:50.502Z","process":{"name":"Bash","args":["-c","id","-c"],"command_line":"bash -c id"},"n_long":7,"dyn_x":"a"}`,
		`{"process.name":"zsh","dyn_x":"b","other":{"deep":[1,2]}}`,
		`{"n_long":[3,1,2],"ds":{"type":"logs"}}`,
		`{}`,
		`{"process":{"args":"x","name":["b","a"]},"@timestamp":"2022-02-16T23:49:51Z"}`,
	}
	l := NewLayout(names)
	ref := NewDecoder(m, DecodeOptions{Dynamic: true, Fields: names})
	for _, tc := range []struct {
		name string
		opts DecodeOptions
		only []string // the fields this decoder reads (nil: all of names)
	}{
		{"fresh", DecodeOptions{Dynamic: true, Layout: l}, nil},
		{"reuse", DecodeOptions{Dynamic: true, Layout: l, Reuse: true}, nil},
		{"reuse-document", DecodeOptions{Dynamic: true, Layout: l, ReuseDocument: true}, nil},
		{"skim", DecodeOptions{Dynamic: true, Layout: l, Reuse: true, Fields: []string{"@timestamp", "n_long"}}, []string{"@timestamp", "n_long"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dec := NewDecoder(m, tc.opts)
			for i, line := range lines {
				want, err := ref.Decode([]byte(line))
				if err != nil {
					t.Fatal(err)
				}
				got, err := dec.Decode([]byte(line))
				if err != nil {
					t.Fatal(err)
				}
				if got.Layout != l || got.Fields != nil || len(got.Slots) != len(names) {
					t.Fatalf("line %d: not laid out: %+v", i, got)
				}
				reads := tc.only
				if reads == nil {
					reads = names
				}
				wantAll := map[string]string{}
				for _, name := range reads {
					if v, ok := want.Lookup(name); ok {
						wantAll[name] = v.String()
					}
					if g, w := got.Get(name).String(), want.Get(name).String(); g != w {
						t.Errorf("line %d: %s = %s, want %s", i, name, g, w)
					}
					r := NewFieldReader(name)
					if g, w := r.Get(got).String(), want.Get(name).String(); g != w {
						t.Errorf("line %d: FieldReader(%s) = %s, want %s", i, name, g, w)
					}
				}
				gotAll := map[string]string{}
				got.Range(func(name string, v Value) bool {
					gotAll[name] = v.String()
					return true
				})
				if !maps.Equal(gotAll, wantAll) {
					t.Errorf("line %d: Range gave %v, want %v", i, gotAll, wantAll)
				}
			}
		})
	}
}
