package doc

import (
	"bytes"
	"os"
	"testing"
)

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"process":{"parent":{"name":"python3"},"args":["-c","x"]},"@timestamp":"2022-02-16T23:49:50.502Z"}`))
	f.Add([]byte(`{"_index":"i","_id":"1","_version":1,"_source":{"host":{"ip":["10.0.0.1","::1"]}}}`))
	f.Add([]byte(`{"a":[{"b":1},{"b":[2,[3]]}],"c":"\u00e9\ud83d\ude00","d":1.5e3,"e":null,"f":true}`))
	f.Add([]byte(`{"loc":[1.5,2.5],"n_int":"1.9","flag":"true","ts_nanos":"2022-02-16T23:49:50.123456789+02:00"}`))
	if data, err := os.ReadFile("../../../shared/samples/ecs_rfc0030_real_world_linux_exec_event.json"); err == nil {
		f.Add(data)
	}
	m, err := ParseMapping([]byte(testMapping))
	if err != nil {
		f.Fatal(err)
	}
	ep, _ := BuiltinMapping("logs-endpoint.events.process")
	proj := []string{"process.name", "n_long", "addr", "msg", "process.command_line.text", "host_alias"}
	layout := NewLayout(proj)
	f.Fuzz(func(t *testing.T, line []byte) {
		// Projection must agree with a full decode on the fields it keeps.
		full, ferr := NewDecoder(m, DecodeOptions{}).Decode(line)
		part, perr := NewDecoder(m, DecodeOptions{Fields: proj}).Decode(line)
		if ferr == nil {
			if perr != nil {
				t.Fatalf("projected decode failed where full succeeded: %v", perr)
			}
			for _, name := range proj {
				if a, b := full.Get(name).String(), part.Get(name).String(); a != b {
					t.Fatalf("%s: full %s, projected %s", name, a, b)
				}
			}
		}
		// A Whole decoder rejects exactly the lines a full decode rejects
		// (dynamic mapping on or off) and keeps the layout's values.
		for _, dynamic := range []bool{false, true} {
			ref, rerr := full, ferr
			if dynamic {
				ref, rerr = NewDecoder(m, DecodeOptions{Dynamic: true}).Decode(line)
			}
			whole, werr := NewDecoder(m, DecodeOptions{Dynamic: dynamic, Layout: layout, Whole: true, Reuse: true}).Decode(line)
			if (werr == nil) != (rerr == nil) {
				t.Fatalf("dynamic %v: whole decode error %v, full %v", dynamic, werr, rerr)
			}
			if werr == nil {
				for _, name := range proj {
					if a, b := whole.Get(name).String(), ref.Get(name).String(); a != b {
						t.Fatalf("dynamic %v: %s: whole %s, full %s", dynamic, name, a, b)
					}
				}
			}
		}
		// Slots by a Layout hold what the projection's map holds.
		laid, lerr := NewDecoder(m, DecodeOptions{Layout: layout, ReuseDocument: true}).Decode(line)
		if (lerr == nil) != (perr == nil) {
			t.Fatalf("layout decode error %v, projected %v", lerr, perr)
		}
		if lerr == nil {
			for _, name := range proj {
				if a, b := laid.Get(name).String(), part.Get(name).String(); a != b {
					t.Fatalf("%s: layout %s, projected %s", name, a, b)
				}
			}
		}
		// Stopping early never fails a line that decodes, and keeps a
		// subset of its fields.
		first, err := NewDecoder(m, DecodeOptions{Fields: proj, Reuse: true, FirstValuesOnly: true}).Decode(line)
		if perr == nil {
			if err != nil {
				t.Fatalf("FirstValuesOnly failed where the projection decodes: %v", err)
			}
			// Unless a hit's envelope came after the fields, unread.
			for name := range first.Fields {
				if bytes.Contains(line, []byte(`"_`)) {
					break
				}
				if part.Get(name).IsNull() {
					t.Fatalf("%s: FirstValuesOnly found a value the projection did not", name)
				}
			}
		}
		for _, d := range []*Decoder{
			NewDecoder(m, DecodeOptions{}),
			NewDecoder(m, DecodeOptions{Dynamic: true, IgnoreMalformed: true}),
			NewDecoder(ep, DecodeOptions{Fields: []string{"process.name", "process.args", "host.ip"}}),
		} {
			doc, err := d.Decode(line)
			if err == nil && doc == nil {
				t.Fatal("nil document without error")
			}
			if err == nil {
				for name, v := range doc.Fields {
					if v.IsNull() || (v.M != nil && len(v.M) < 2) {
						t.Fatalf("%s: bad value %#v", name, v)
					}
				}
			}
		}
	})
}

func FuzzParseMapping(f *testing.F) {
	f.Add([]byte(testMapping))
	f.Add([]byte(`{"idx":{"mappings":{"properties":{"a":{"type":"alias","path":"b"},"b":{"type":"long"}}}}}`))
	f.Add([]byte(`{"properties":{"a":{"properties":{"b":{"type":"keyword","fields":{"t":{"type":"text"}}}}}}}`))
	f.Add([]byte(`{"_meta":{"vigil_dynamic_objects":["a"]},"date_detection":false,"dynamic_templates":[{"t":{"path_match":["a.*"],"match_mapping_type":"string","mapping":{"type":"wildcard","fields":{"text":{"type":"match_only_text"}}}}},{"n":{"match":"c","mapping":{"type":"{dynamic_type}"}}}],"properties":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMapping(data)
		if err != nil {
			return
		}
		// Whatever parses must marshal to a mapping that parses again.
		out, err := m.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseMapping(out); err != nil {
			t.Fatalf("re-parse: %v\n%s", err, out)
		}
		NewDecoder(m, DecodeOptions{Dynamic: true}).Decode([]byte(`{"a":{"b":"x"},"c":[1,2]}`))
	})
}
