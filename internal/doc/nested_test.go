package doc

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// nestedMapping has a nested field with a nested field inside, as ECS's
// threat.enrichments holds indicator.file.pe.sections.
const nestedMapping = `{"properties":{
  "host":{"properties":{"name":{"type":"keyword"}}},
  "enr":{"type":"nested","properties":{
    "kind":{"type":"keyword"},
    "score":{"type":"long"},
    "at":{"type":"date"},
    "ind":{"properties":{"name":{"type":"keyword"}}},
    "sec":{"type":"nested","properties":{"name":{"type":"keyword"},"size":{"type":"long"}}}
  }}
}}`

// nestedString renders a document's nested objects (recursively) as
// path[fields…][…], fields sorted, for comparison.
func nestedString(d *Document) string {
	var paths []string
	for p := range d.Nested {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var b strings.Builder
	for _, p := range paths {
		b.WriteString(p)
		for _, o := range d.Nested[p] {
			var fs []string
			o.Range(func(name string, v Value) bool {
				fs = append(fs, name+"="+v.String())
				return true
			})
			slices.Sort(fs)
			b.WriteString("[" + strings.Join(fs, " "))
			if len(o.Nested) > 0 {
				b.WriteString(" " + nestedString(o))
			}
			b.WriteString("]")
		}
	}
	return b.String()
}

func TestDecodeNested(t *testing.T) {
	m := mustMapping(t, nestedMapping)
	lay := NewLayout([]string{"host.name", "enr.kind", "enr.sec.name"})
	for _, tc := range []struct {
		name, in string
		opts     DecodeOptions
		want     string // nestedString; "error: …" for a rejected line
	}{
		{"array of objects", `{"enr":[{"kind":"a","score":"7"},{"kind":"b","ind":{"name":"x"}}]}`, DecodeOptions{},
			`enr[enr.kind=a enr.score=7][enr.ind.name=x enr.kind=b]`},
		{"single object", `{"enr":{"kind":"a"}}`, DecodeOptions{}, `enr[enr.kind=a]`},
		{"dotted key", `{"enr.kind":"ignored","host.name":"h","enr":{"kind":"a"}}`, DecodeOptions{}, `enr[enr.kind=a]`},
		{"nulls and inner arrays flatten", `{"enr":[null,[{"kind":"a"}],[],{"kind":["b","c"]}]}`, DecodeOptions{},
			`enr[enr.kind=a][enr.kind=[b, c]]`},
		{"empty", `{"enr":[]}`, DecodeOptions{}, ``},
		{"null", `{"enr":null}`, DecodeOptions{}, ``},
		{"empty object", `{"enr":[{}]}`, DecodeOptions{}, `enr[]`},
		{"nested within nested", `{"enr":[{"kind":"a","sec":[{"name":"s1","size":1},{"name":"s2"}]},{"kind":"b"}]}`, DecodeOptions{},
			`enr[enr.kind=a enr.sec[enr.sec.name=s1 enr.sec.size=1][enr.sec.name=s2]][enr.kind=b]`},
		{"typed as mapped", `{"enr":{"at":"2024-01-02T03:04:05Z","score":3}}`, DecodeOptions{},
			`enr[enr.at=2024-01-02T03:04:05.000Z enr.score=3]`},
		{"projected under the path", `{"host":{"name":"h"},"enr":[{"kind":"a","score":1}]}`, DecodeOptions{Fields: []string{"host.name", "enr.kind"}},
			`enr[enr.kind=a]`},
		{"projected on the path", `{"enr":[{"kind":"a","score":1}]}`, DecodeOptions{Fields: []string{"enr"}},
			`enr[enr.kind=a enr.score=1]`},
		{"projected away", `{"host":{"name":"h"},"enr":[{"kind":"a"}]}`, DecodeOptions{Fields: []string{"host.name"}}, ``},
		{"projected inner nested", `{"enr":[{"kind":"a","sec":{"name":"s","size":2}}]}`, DecodeOptions{Fields: []string{"enr.sec.name"}},
			`enr[ enr.sec[enr.sec.name=s]]`},
		{"projected dynamic", `{"enr":[{"new":"v","kind":"a"}]}`, DecodeOptions{Dynamic: true, Fields: []string{"enr.new"}},
			`enr[enr.new=v]`},
		{"dynamic", `{"enr":[{"new":"v"}]}`, DecodeOptions{Dynamic: true}, `enr[enr.new=v]`},
		{"layout", `{"host":{"name":"h"},"enr":[{"kind":"a","score":1}]}`, DecodeOptions{Layout: lay, Reuse: true}, `enr[enr.kind=a]`},
		{"whole keeps the layout's", `{"enr":[{"kind":"a","score":1,"sec":{"name":"s","size":2}}]}`, DecodeOptions{Layout: lay, Whole: true, Reuse: true},
			`enr[enr.kind=a enr.sec[enr.sec.name=s]]`},
		{"whole validates", `{"enr":[{"score":"x"}]}`, DecodeOptions{Layout: NewLayout([]string{"host.name"}), Whole: true},
			`error: offset 17: failed to parse field [enr.score]: for input string: [x]: not a number`},
		{"malformed", `{"enr":[{"score":"x"}]}`, DecodeOptions{}, `error: offset 17: failed to parse field [enr.score]: for input string: [x]: not a number`},
		{"malformed ignored", `{"enr":[{"score":"x","kind":"a"}]}`, DecodeOptions{IgnoreMalformed: true}, `enr[enr.kind=a]`},
		{"malformed unprojected", `{"enr":[{"score":"x","kind":"a"}]}`, DecodeOptions{Fields: []string{"enr.kind"}}, `enr[enr.kind=a]`},
		{"scalar", `{"enr":"x"}`, DecodeOptions{}, `error: offset 7: failed to parse field [enr]: object mapping tried to parse field as object, but found a concrete value`},
		{"scalar in array", `{"enr":[{},3]}`, DecodeOptions{}, `error: offset 11: failed to parse field [enr]: object mapping tried to parse field as object, but found a concrete value`},
		{"bad json inside", `{"enr":[{"kind":"a",}]}`, DecodeOptions{}, `error: offset 20: expected a string`},
		{"search hit", `{"host":{"name":"h"},"enr":{"kind":"envelope"},"_id":"1","_source":{"enr":{"kind":"a"}}}`, DecodeOptions{}, `enr[enr.kind=a]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDecoder(m, tc.opts).Decode([]byte(tc.in))
			got := ""
			if err != nil {
				got = "error: " + err.Error()
			} else {
				got = nestedString(d)
				d.Range(func(name string, _ Value) bool {
					if strings.HasPrefix(name, "enr") {
						t.Errorf("nested field %s in the document's own fields", name)
					}
					return true
				})
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// A reused Document's nested objects are the line's: earlier lines' are
// gone, and kept objects survive the next line.
func TestDecodeNestedReuse(t *testing.T) {
	m := mustMapping(t, nestedMapping)
	for _, opts := range []DecodeOptions{{Reuse: true}, {ReuseDocument: true}, {Layout: NewLayout([]string{"enr.kind"}), Reuse: true}} {
		dec := NewDecoder(m, opts)
		d, err := dec.Decode([]byte(`{"enr":[{"kind":"a"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		first := d.Nested["enr"]
		if d, err = dec.Decode([]byte(`{"host":{"name":"h"}}`)); err != nil || d.Nested != nil {
			t.Fatalf("%+v: second line: %v, nested %v", opts, err, d.Nested)
		}
		if _, err = dec.Decode([]byte(`{"enr":[{"kind":"zzzzzzzz"}]}`)); err != nil {
			t.Fatal(err)
		}
		if len(first) != 1 || first[0].Get("enr.kind").String() != "a" {
			t.Fatalf("%+v: first line's objects changed: %s", opts, first[0].Get("enr.kind"))
		}
	}
}

// FuzzDecodeNested: the nested objects of any line a decoder accepts are
// those encoding/json finds at the path (objects of arrays flattened,
// nulls dropped), with their keyword values; and every way of decoding
// (full, projected, layout, Whole, reused) agrees on them, never crashing.
func FuzzDecodeNested(f *testing.F) {
	f.Add([]byte(`{"enr":[{"kind":"a","score":"7"},{"kind":"b","ind":{"name":"x"}}]}`))
	f.Add([]byte(`{"enr":[null,[{"kind":"a"}],[],{"kind":["b","c"],"sec":[{"name":"s"}]}]}`))
	f.Add([]byte(`{"enr.kind":"x","enr":{"kind":"\u00e9","sec":{"name":"s","size":"12"}}}`))
	f.Add([]byte(`{"_id":"1","_source":{"enr":[{"kind":"a"}]}}`))
	m := mustMapping(f, nestedMapping)
	lay := NewLayout([]string{"enr.kind", "enr.sec.name"})
	f.Fuzz(func(t *testing.T, line []byte) {
		full, err := NewDecoder(m, DecodeOptions{}).Decode(line)
		whole, werr := NewDecoder(m, DecodeOptions{Layout: lay, Whole: true, Reuse: true}).Decode(line)
		if (err == nil) != (werr == nil) {
			t.Fatalf("whole decode error %v, full %v", werr, err)
		}
		proj, perr := NewDecoder(m, DecodeOptions{Fields: []string{"enr.kind", "enr.sec.name"}}).Decode(line)
		laid, lerr := NewDecoder(m, DecodeOptions{Layout: lay, ReuseDocument: true}).Decode(line)
		if (perr == nil) != (lerr == nil) {
			t.Fatalf("layout decode error %v, projected %v", lerr, perr)
		}
		if err != nil {
			return
		}
		if perr != nil {
			t.Fatalf("projected decode failed where full succeeded: %v", perr)
		}
		kinds := func(d *Document) string {
			var b strings.Builder
			for _, o := range d.Nested["enr"] {
				fmt.Fprintf(&b, "[%s", o.Get("enr.kind"))
				for _, s := range o.Nested["enr.sec"] {
					fmt.Fprintf(&b, " (%s)", s.Get("enr.sec.name"))
				}
				b.WriteString("]")
			}
			return b.String()
		}
		want := kinds(full)
		for name, d := range map[string]*Document{"whole": whole, "projected": proj, "layout": laid} {
			if got := kinds(d); got != want {
				t.Fatalf("%s: %s, full %s", name, got, want)
			}
		}
		// The reference: encoding/json's objects at enr (a hit's _source
		// when the line is one), when it reads the line the same way.
		var top map[string]any
		if json.Unmarshal(line, &top) != nil {
			return
		}
		if src, ok := top["_source"].(map[string]any); ok {
			top = src
		}
		n := 0
		var count func(v any) bool
		count = func(v any) bool {
			switch v := v.(type) {
			case map[string]any:
				n++
			case []any:
				for _, e := range v {
					if !count(e) {
						return false
					}
				}
			case nil:
			default:
				return false
			}
			return true
		}
		if count(top["enr"]) && !strings.Contains(string(line), `"enr.`) && len(full.Nested["enr"]) != n {
			t.Fatalf("%d nested objects, encoding/json finds %d", len(full.Nested["enr"]), n)
		}
	})
}
