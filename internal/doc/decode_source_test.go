package doc

import "testing"

// TestDecodeSource checks Document.Source: the document's JSON object as
// written, for bare lines and search hits, only when asked for.
func TestDecodeSource(t *testing.T) {
	cases := []struct {
		name, line, want string
		opts             DecodeOptions
	}{
		{"bare", `{"a":"x", "b" : {"c":1}}`, `{"a":"x", "b" : {"c":1}}`, DecodeOptions{Source: true}},
		{"bare_ws", " \t{\"a\":1}  ", `{"a":1}`, DecodeOptions{Source: true}},
		{"hit", `{"_index":"i","_source":{"a":"x"},"_id":"1"}`, `{"a":"x"}`, DecodeOptions{Source: true}},
		{"hit_source_first", `{"_source": { "a" : [1, 2] } , "_index":"i"}`, `{ "a" : [1, 2] }`, DecodeOptions{Source: true}},
		{"hit_without_source", `{"_index":"i","_id":"1"}`, "", DecodeOptions{Source: true}},
		{"hit_source_not_object", `{"_index":"i","_source":null}`, "", DecodeOptions{Source: true}},
		{"not_asked", `{"a":"x"}`, "", DecodeOptions{}},
		{"projected_reuse", `{"a":"x","z":{"q":[1,{"r":2}]}}`, `{"a":"x","z":{"q":[1,{"r":2}]}}`, DecodeOptions{Fields: []string{"a"}, Reuse: true, Source: true}},
		{"layout_whole", `{"a":"x","z":3}`, `{"a":"x","z":3}`, DecodeOptions{Layout: NewLayout([]string{"a"}), Whole: true, Dynamic: true, ReuseDocument: true, Source: true}},
		{"first_values_only", `{"a":"x","z":3}`, "", DecodeOptions{Fields: []string{"a"}, FirstValuesOnly: true, Source: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			line := []byte(c.line)
			d, err := NewDecoder(nil, c.opts).Decode(line)
			if err != nil {
				t.Fatal(err)
			}
			if d.Source != c.want {
				t.Fatalf("Source = %q, want %q", d.Source, c.want)
			}
			if !c.opts.Reuse {
				// A fresh Document owns its Source: the line may be reused.
				for i := range line {
					line[i] = ' '
				}
				if d.Source != c.want {
					t.Fatalf("Source aliases the line: %q", d.Source)
				}
			}
		})
	}
}
