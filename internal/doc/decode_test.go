package doc

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

const testMapping = `{"mappings":{"properties":{
  "@timestamp":{"type":"date"},
  "ts_nanos":{"type":"date_nanos"},
  "ep":{"type":"date","format":"epoch_second"},
  "process":{"properties":{
    "name":{"type":"keyword","ignore_above":1024,"fields":{"caseless":{"type":"keyword","normalizer":"lowercase"}}},
    "command_line":{"type":"wildcard","fields":{"text":{"type":"match_only_text"}}},
    "args":{"type":"keyword"},
    "pid":{"type":"long"},
    "parent":{"properties":{"name":{"type":"keyword"}}}
  }},
  "short_kw":{"type":"keyword","ignore_above":5},
  "msg":{"type":"text"},
  "n_int":{"type":"integer"},
  "n_short":{"type":"short"},
  "n_long":{"type":"long"},
  "n_ulong":{"type":"unsigned_long"},
  "n_double":{"type":"double"},
  "n_float":{"type":"float"},
  "n_half":{"type":"half_float"},
  "n_scaled":{"type":"scaled_float","scaling_factor":100},
  "flag":{"type":"boolean"},
  "addr":{"type":"ip"},
  "ver":{"type":"version"},
  "loc":{"type":"geo_point"},
  "languages":{"type":"integer","fields":{"long":{"type":"long"}}},
  "salary_change":{"type":"double","fields":{"int":{"type":"integer"},"keyword":{"type":"keyword"}}},
  "ds":{"properties":{"type":{"type":"constant_keyword","value":"logs"}}},
  "host_alias":{"type":"alias","path":"process.name"},
  "blob":{"type":"flattened"},
  "off":{"type":"object","enabled":false},
  "nest":{"type":"nested","properties":{"x":{"type":"keyword"}}},
  "src_only":{"type":"keyword","doc_values":false}
}}}`

func mustMapping(t testing.TB, s string) *Mapping {
	t.Helper()
	m, err := ParseMapping([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDecode(t *testing.T) {
	m := mustMapping(t, testMapping)
	type tc struct {
		name string
		in   string
		opts DecodeOptions
		want map[string]string // field → Value.String(); "<absent>" for absent
		typ  map[string]Type
	}
	abs := "<absent>"
	cases := []tc{
		{name: "nested object", in: `{"process":{"parent":{"name":"python3"}}}`,
			want: map[string]string{"process.parent.name": "python3"}},
		{name: "dotted keys", in: `{"process.parent.name":"python3"}`,
			want: map[string]string{"process.parent.name": "python3"}},
		{name: "mixed", in: `{"process.parent":{"name":"python3"},"process":{"pid":"42"}}`,
			want: map[string]string{"process.parent.name": "python3", "process.pid": "42"}},
		{name: "single-element array is single", in: `{"process":{"args":["-c"]}}`,
			want: map[string]string{"process.args": "-c"}},
		{name: "empty array and null absent", in: `{"process":{"args":[],"name":null}}`,
			want: map[string]string{"process.args": abs, "process.name": abs}},
		{name: "keyword sorted dedup", in: `{"process":{"args":["b","a","b",null,"c"]}}`,
			want: map[string]string{"process.args": "[a, b, c]"}},
		{name: "nested arrays flatten", in: `{"process":{"args":[["z"],["a",["m"]]]}}`,
			want: map[string]string{"process.args": "[a, m, z]"}},
		{name: "array of objects", in: `{"process":[{"pid":2},{"pid":1},{"pid":2}]}`,
			want: map[string]string{"process.pid": "[1, 2, 2]"}},
		{name: "text keeps source order", in: `{"msg":["b","a","b"]}`,
			want: map[string]string{"msg": "[b, a, b]"}},
		{name: "doc_values false keeps source order", in: `{"src_only":["b","a","b"]}`,
			want: map[string]string{"src_only": "[b, a, b]"}},
		{name: "number for keyword keeps text", in: `{"process":{"name":1.50}}`,
			want: map[string]string{"process.name": "1.50"}},
		{name: "bool for keyword", in: `{"process":{"name":true}}`,
			want: map[string]string{"process.name": "true"}},
		{name: "numeric string coerced", in: `{"n_long":"17","n_int":"1.9","n_double":"2.5"}`,
			want: map[string]string{"n_long": "17", "n_int": "1", "n_double": "2.5"}},
		{name: "fraction truncated", in: `{"n_long":-1.9,"n_int":1e2}`,
			want: map[string]string{"n_long": "-1", "n_int": "100"}},
		{name: "empty string number is null", in: `{"n_long":""}`,
			want: map[string]string{"n_long": abs}},
		{name: "numbers sorted keep dups", in: `{"n_long":[3,1,3,2]}`,
			want: map[string]string{"n_long": "[1, 2, 3, 3]"}},
		{name: "unsigned long", in: `{"n_ulong":[18446744073709551615, 1]}`,
			want: map[string]string{"n_ulong": "[1, 18446744073709551615]"}},
		{name: "scaled_float rounds halves up", in: `{"n_scaled":[-0.125,0.125]}`,
			want: map[string]string{"n_scaled": "[-0.12, 0.13]"}},
		{name: "float precision", in: `{"n_float":2.05,"n_half":2.05,"n_scaled":1.634}`,
			want: map[string]string{"n_float": "2.049999952316284", "n_half": "2.05078125", "n_scaled": "1.63"}},
		{name: "booleans", in: `{"flag":["true",false,true]}`,
			want: map[string]string{"flag": "[false, true, true]"}},
		{name: "date iso", in: `{"@timestamp":"2022-02-16T23:49:50.502Z"}`,
			want: map[string]string{"@timestamp": "2022-02-16T23:49:50.502Z"}},
		{name: "date offset to UTC", in: `{"@timestamp":"2022-02-16T23:49:50+02:00"}`,
			want: map[string]string{"@timestamp": "2022-02-16T21:49:50.000Z"}},
		{name: "date only", in: `{"@timestamp":"2022-02-16"}`,
			want: map[string]string{"@timestamp": "2022-02-16T00:00:00.000Z"}},
		{name: "date epoch millis number and string", in: `{"@timestamp":[1645055390502,"0"]}`,
			want: map[string]string{"@timestamp": "[1970-01-01T00:00:00.000Z, 2022-02-16T23:49:50.502Z]"}},
		{name: "four-digit numbers are years", in: `{"@timestamp":[2024,"-0001",12345,"1.5"]}`,
			want: map[string]string{"@timestamp": "[-0001-01-01T00:00:00.000Z, 1970-01-01T00:00:00.001Z, 1970-01-01T00:00:12.345Z, 2024-01-01T00:00:00.000Z]"}},
		{name: "epoch_second format", in: `{"ep":[1.5,"-2"]}`,
			want: map[string]string{"ep": "[1969-12-31T23:59:58.000Z, 1970-01-01T00:00:01.500Z]"}},
		{name: "date_nanos keeps nanos", in: `{"ts_nanos":"2022-02-16T23:49:50.123456789Z"}`,
			want: map[string]string{"ts_nanos": "2022-02-16T23:49:50.123456789Z"}},
		{name: "date truncates to millis", in: `{"@timestamp":"2022-02-16T23:49:50.123456789Z"}`,
			want: map[string]string{"@timestamp": "2022-02-16T23:49:50.123Z"}},
		{name: "ip sorted dedup", in: `{"addr":["10.0.0.2","::1","10.0.0.2","10.0.0.1"]}`,
			want: map[string]string{"addr": "[::1, 10.0.0.1, 10.0.0.2]"}},
		{name: "multi-field derived", in: `{"process":{"name":"Python3","command_line":"python3 -c x"}}`,
			want: map[string]string{"process.name.caseless": "python3", "process.command_line.text": "python3 -c x"},
			typ:  map[string]Type{"process.command_line.text": Text, "process.command_line": Keyword}},
		{name: "multi-field numeric", in: `{"languages":2,"salary_change":[1.19,-7.23]}`,
			want: map[string]string{"languages.long": "2", "salary_change.int": "[-7, 1]", "salary_change.keyword": "[-7.23, 1.19]"},
			typ:  map[string]Type{"languages.long": Long}},
		{name: "constant keyword filled", in: `{}`,
			want: map[string]string{"ds.type": "logs"}},
		{name: "alias reads target", in: `{"process":{"name":"x"}}`,
			want: map[string]string{"host_alias": "x"}},
		{name: "ignore_above drops long values", in: `{"short_kw":["abcdef","abc"]}`,
			want: map[string]string{"short_kw": "abc"}},
		{name: "ignore_above counts UTF-16 units", in: `{"short_kw":"ééééé"}`,
			want: map[string]string{"short_kw": "ééééé"}},
		{name: "ignore_above kept for synthetic source", in: `{"short_kw":"abcdef"}`, opts: DecodeOptions{KeepIgnoredAbove: true},
			want: map[string]string{"short_kw": "abcdef"}},
		{name: "unsupported and disabled skipped", in: `{"blob":{"a":1},"off":{"x":"y"},"nest":[{"x":"a"}]}`,
			want: map[string]string{"blob": abs, "off.x": abs, "nest.x": abs}},
		{name: "unmapped ignored", in: `{"foo":"bar","process":{"zzz":1}}`,
			want: map[string]string{"foo": abs, "process.zzz": abs}},
		{name: "dynamic", in: `{"nest":{"dyn":"x"},"foo":"bar","n":1,"f":1.5,"b":true,"d":"2024-01-02T03:04:05Z","o":{"k":["y","x"]}}`,
			opts: DecodeOptions{Dynamic: true},
			want: map[string]string{"foo": "bar", "n": "1", "f": "1.5", "b": "true", "d": "2024-01-02T03:04:05.000Z", "o.k": "[x, y]", "nest.dyn": abs},
			typ:  map[string]Type{"foo": Keyword, "n": Long, "f": Double, "b": Boolean, "d": Date}},
		{name: "geo point forms", in: `{"loc":[{"lat":41.5,"lon":2.25},"10.5,-3",[1.5,2.5],"POINT (3 4)"]}`,
			want: map[string]string{"loc": "[POINT (2.25 41.5), POINT (-3.0 10.5), POINT (1.5 2.5), POINT (3.0 4.0)]"}},
		{name: "escapes", in: `{"process":{"name":"a\"b\\c\u00e9\ud83d\ude00\n"}}`,
			want: map[string]string{"process.name": "a\"b\\cé😀\n"}},
		{name: "projection", in: `{"process":{"name":"x","pid":"notanumber","command_line":"c"},"msg":"m"}`,
			opts: DecodeOptions{Fields: []string{"process.name", "process.command_line.text"}},
			want: map[string]string{"process.name": "x", "process.command_line.text": "c", "process.command_line": abs, "process.pid": abs, "msg": abs, "ds.type": abs}},
		{name: "ignore malformed", in: `{"n_long":["abc",5],"addr":"nope","process":{"name":"ok"}}`,
			opts: DecodeOptions{IgnoreMalformed: true},
			want: map[string]string{"n_long": "5", "addr": abs, "process.name": "ok"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := NewDecoder(m, c.opts)
			doc, err := d.Decode([]byte(c.in))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			for f, w := range c.want {
				v, ok := doc.Fields[f]
				if w == abs {
					if ok {
						t.Errorf("%s = %v, want absent", f, v)
					}
					continue
				}
				if !ok || v.String() != w {
					t.Errorf("%s = %v (present %v), want %s", f, v, ok, w)
				}
			}
			for f, ty := range c.typ {
				if got := doc.Fields[f].T; got != ty {
					t.Errorf("%s type %v, want %v", f, got, ty)
				}
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	m := mustMapping(t, testMapping)
	cases := []struct{ in, field, reason string }{
		{`{"@timestamp":"yesterday"}`, "@timestamp", "failed to parse date"},
		{`{"n_long":"abc"}`, "n_long", "not a number"},
		{`{"n_int":3000000000}`, "n_int", "out of range"},
		{`{"n_short":40000}`, "n_short", "out of range"},
		{`{"n_ulong":-1}`, "n_ulong", "out of range"},
		{`{"flag":"yes"}`, "flag", "only [true] or [false]"},
		{`{"addr":"300.1.1.1"}`, "addr", "not an IP"},
		{`{"ts_nanos":"1960-01-01"}`, "ts_nanos", "date_nanos"},
		{`{"process":{"name":{"a":1}}}`, "process.name", "object"},
		{`{"process":"x"}`, "process", "concrete value"},
		{`{"host_alias":"x"}`, "host_alias", "alias"},
		{`{"ds":{"type":"metrics"}}`, "ds.type", "constant_keyword"},
		{`{"salary_change":"x"}`, "salary_change", "not a number"},
		{`{"n_double":"NaN"}`, "n_double", "finite"},
		{`{"@timestamp":"2022-02-30"}`, "@timestamp", "failed to parse date"},
		{`{"process.name.caseless":"x"}`, "process.name.caseless", "multi-field"},
		{`{"process":{"args":"` + strings.Repeat("a", 32767) + `"}}`, "process.args", "immense term"},
	}
	for _, c := range cases {
		_, err := NewDecoder(m, DecodeOptions{}).Decode([]byte(c.in))
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: err = %v, want DecodeError", c.in, err)
			continue
		}
		if de.Field != c.field || !strings.Contains(de.Reason, c.reason) {
			t.Errorf("%s: got field %q reason %q, want %q / %q", c.in, de.Field, de.Reason, c.field, c.reason)
		}
	}
}

func TestDecodeSyntaxErrors(t *testing.T) {
	cases := []struct {
		in  string
		off int
	}{
		{``, 0},
		{`[1]`, 0},
		{`"x"`, 0},
		{`{"a":1} x`, 8},
		{`{"a":1`, 6},
		{`{"a" 1}`, 5},
		{`{"a":tru}`, 5},
		{`{"a":01}`, 6},
		{`{"a":"x\q"}`, 8},
		{`{"a":[1,}`, 8},
		{"{\"a\":\"\x01\"}", 6},
		{`{"a":1,}`, 7},
		{"{\"a\":\"\xff\"}", 6},
		{"{\"a\":\"\\n\xff\"}", 6},
	}
	for _, c := range cases {
		_, err := NewDecoder(nil, DecodeOptions{Dynamic: true}).Decode([]byte(c.in))
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%q: err = %v, want DecodeError", c.in, err)
			continue
		}
		if de.Offset != c.off || de.Field != "" {
			t.Errorf("%q: %v, want offset %d", c.in, err, c.off)
		}
	}
}

func TestDecodeHit(t *testing.T) {
	m := mustMapping(t, testMapping)
	d := NewDecoder(m, DecodeOptions{})
	doc, err := d.Decode([]byte(`{"_index":"logs-a","_id":"x1","_version":3,"_score":1.0,"_source":{"process":{"pid":7}},"fields":{"process.pid":[9]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Index != "logs-a" || doc.ID != "x1" || doc.Version != 3 || doc.Get("process.pid").String() != "7" {
		t.Fatalf("got %+v", doc)
	}
	doc, err = d.Decode([]byte(`{"fields":{"process.pid":[9]},"process":{"pid":1},"_id":"y","_source":{"msg":"m"}}`))
	if err != nil || doc.ID != "y" || doc.Get("process.pid").String() != "null" || doc.Get("msg").String() != "m" {
		t.Fatalf("hit with envelope keys first: %+v %v", doc, err)
	}
	doc, err = d.Decode([]byte(`{"process":{"pid":8}}`))
	if err != nil || doc.Index != "" || doc.ID != "" || doc.Version != 0 || doc.Get("process.pid").String() != "8" {
		t.Fatalf("bare: %+v %v", doc, err)
	}
}

func TestDecodeReuseIndependent(t *testing.T) {
	m := mustMapping(t, testMapping)
	d := NewDecoder(m, DecodeOptions{})
	line := []byte(`{"process":{"args":["b","a"],"name":"x"}}`)
	first, err := d.Decode(line)
	if err != nil {
		t.Fatal(err)
	}
	copy(line, []byte(`{"process":{"args":["z","y"],"name":"q"}}`))
	if _, err := d.Decode(line); err != nil {
		t.Fatal(err)
	}
	if first.Get("process.args").String() != "[a, b]" || first.Get("process.name").String() != "x" {
		t.Fatalf("first document changed: %v %v", first.Get("process.args"), first.Get("process.name"))
	}
}

func TestDynamicMappingRecorded(t *testing.T) {
	d := NewDecoder(nil, DecodeOptions{Dynamic: true})
	if _, err := d.Decode([]byte(`{"a":{"b":5},"c":"2020-01-01"}`)); err != nil {
		t.Fatal(err)
	}
	if f, ok := d.Dynamic().Lookup("a.b"); !ok || f.Type != Long {
		t.Fatalf("a.b: %+v", f)
	}
	if f, ok := d.Dynamic().Lookup("c"); !ok || f.Type != Date {
		t.Fatalf("c: %+v", f)
	}
	// The first value fixed the type: a later non-number is malformed.
	if _, err := d.Decode([]byte(`{"a":{"b":"x"}}`)); err == nil {
		t.Fatal("want error for a string in a dynamic long")
	}
	// ...and an object where a leaf was seen.
	if _, err := d.Decode([]byte(`{"a":"x"}`)); err == nil {
		t.Fatal("want error for a scalar where an object was mapped")
	}
}

func TestDecodeRealEvent(t *testing.T) {
	data, err := os.ReadFile("../../../shared/samples/ecs_rfc0030_real_world_linux_exec_event.json")
	if err != nil {
		t.Skip("shared samples absent")
	}
	m, _ := BuiltinMapping("logs-endpoint.events.process")
	doc, err := NewDecoder(m, DecodeOptions{}).Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"process.args":              "[--color=auto, -la, ls]",
		"process.args_count":        "3",
		"process.command_line.text": "ls --color=auto -la",
		"process.parent.name":       "bash",
		"process.pid":               "12641",
		"process.parent.start":      "2022-02-16T23:27:52.810Z",
		"host.ip":                   "[::1, 10.0.2.15, 127.0.0.1, fe80::b6:64ff:fef1:a5f0]",
		"event.category":            "process",
		"data_stream.dataset":       "endpoint.events.process",
		"process.previous.args":     "-bash",
	}
	for f, w := range want {
		if got := doc.Get(f).String(); got != w {
			t.Errorf("%s = %s, want %s", f, got, w)
		}
	}
	if doc.Index != ".ds-logs-endpoint.events.process-default-2022.02.15-000001" || doc.ID == "" || doc.Version != 1 {
		t.Errorf("metadata: %q %q %d", doc.Index, doc.ID, doc.Version)
	}
}

// FuzzDecode: projected, Layout, Whole and FirstValuesOnly decodes agree
// with a full decode on the fields they keep, and no line crashes a decoder.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"process":{"parent":{"name":"python3"},"args":["-c","x"]},"@timestamp":"2022-02-16T23:49:50.502Z"}`))
	f.Add([]byte(`{"_index":"i","_id":"1","_version":1,"_source":{"host":{"ip":["10.0.0.1","::1"]}}}`))
	f.Add([]byte(`{"a":[{"b":1},{"b":[2,[3]]}],"c":"\u00e9\ud83d\ude00","d":1.5e3,"e":null,"f":true}`))
	f.Add([]byte(`{"loc":[1.5,2.5],"n_int":"1.9","flag":"true","ts_nanos":"2022-02-16T23:49:50.123456789+02:00"}`))
	f.Add([]byte(`{"nest":[{"x":"a"},{"x":{"y":1}}]}`)) // a nested field's bad value rejects the line, Whole too
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
		// _source is the same whether or not the decoder projects, and is a
		// JSON object (or absent, for a hit without one).
		if ferr == nil {
			src, _ := NewDecoder(m, DecodeOptions{Source: true}).Decode(line)
			psrc, _ := NewDecoder(m, DecodeOptions{Layout: layout, Reuse: true, Source: true}).Decode(line)
			if src.Source != psrc.Source {
				t.Fatalf("_source: full %q, projected %q", src.Source, psrc.Source)
			}
			// (Not json.Valid: skipped values' escapes are not all checked.)
			if n := len(src.Source); n > 0 && (src.Source[0] != '{' || src.Source[n-1] != '}') {
				t.Fatalf("_source %q is not a JSON object", src.Source)
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
