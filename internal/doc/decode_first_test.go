package doc

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestFirstValuesOnly: the skim decoder stops once every projected field
// has its values, and only then.
func TestFirstValuesOnly(t *testing.T) {
	m, _ := BuiltinMapping("logs-endpoint.events.process")
	head := `{"@timestamp":"2022-02-16T23:49:50.502Z","data_stream":{"dataset":"d","namespace":"n","type":"logs"}`
	cases := []struct {
		name   string
		fields []string
		line   string
		first  bool   // FirstValuesOnly
		err    bool   // want a decode error
		want   string // "field=value ..." of the document, when no error
	}{
		{name: "garbage tail read when complete", fields: skimFields, first: true,
			line: head + `,"event":{"kind":` + "\x01 garbage",
			want: "@timestamp=2022-02-16T23:49:50.502Z data_stream.dataset=d data_stream.namespace=n data_stream.type=logs"},
		{name: "garbage tail without the option", fields: skimFields,
			line: head + `,"event":{"kind":` + "\x01 garbage", err: true},
		{name: "a missing field scans to the end", fields: append([]string{"host.name"}, skimFields...), first: true,
			line: head + `,"event":{"kind":` + "\x01 garbage", err: true},
		{name: "later fields still found", fields: append([]string{"process.name"}, skimFields...), first: true,
			line: head + `,"host":{"name":"h"},"process":{"name":"bash"},"user":` + "\x01",
			want: "@timestamp=2022-02-16T23:49:50.502Z data_stream.dataset=d data_stream.namespace=n data_stream.type=logs process.name=bash"},
		{name: "a leaf array is read whole", fields: []string{"event.type"}, first: true,
			line: `{"event":{"type":["start","end"]},"x":` + "\x01",
			want: "event.type=[end, start]"},
		{name: "an array of objects is read whole", fields: []string{"process.args", "host.name"}, first: true,
			line: `{"host":{"name":"h"},"process":[{"args":"b"},{"args":"a"}],"x":` + "\x01",
			want: "host.name=h process.args=[a, b]"},
		{name: "no projection: option ignored", first: true,
			line: `{"host":{"name":"h"}}x`, err: true},
		{name: "valid line decodes as without the option", fields: append([]string{"process.name"}, skimFields...), first: true,
			line: `{"process":{"name":"bash"}}`, want: "process.name=bash"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := NewDecoder(m, DecodeOptions{Dynamic: true, Reuse: true, FirstValuesOnly: c.first, Fields: c.fields})
			for range 2 { // the same again with the decoder's state reused
				doc, err := d.Decode([]byte(c.line))
				if c.err {
					if err == nil {
						t.Fatalf("no error: %v", doc.Fields)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if got := fieldString(doc); got != c.want {
					t.Fatalf("got %s\nwant %s", got, c.want)
				}
			}
		})
	}
}

func fieldString(doc *Document) string {
	var parts []string
	for name, v := range doc.Fields {
		parts = append(parts, name+"="+v.String())
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// TestKeyScan compares the fused key scan with nextSpecial and keyInfo.
func TestKeyScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	alpha := []byte("ab.\"\\\x00\x1f\x80\xffz_")
	for range 20000 {
		b := make([]byte, rng.IntN(30))
		for i := range b {
			if rng.IntN(5) == 0 {
				b[i] = alpha[rng.IntN(len(alpha))]
			} else {
				b[i] = 'a' + byte(rng.IntN(26))
			}
		}
		p := 0
		if len(b) > 0 {
			p = rng.IntN(len(b))
		}
		e, head, isASCII, dotted := keyScan(b, p)
		we := naiveSpecial(b, p)
		wh, wa, wd := keyInfo(b[p:we])
		if e != we || head != wh || isASCII != wa || dotted != wd {
			t.Fatalf("keyScan(%q, %d) = %d %x %v %v, want %d %x %v %v", b, p, e, head, isASCII, dotted, we, wh, wa, wd)
		}
	}
}

// TestProjectedKeys: keys that hot-list matching must tell apart, or send
// to the full trie.
func TestProjectedKeys(t *testing.T) {
	m := mustMapping(t, `{"properties":{
		"working_directory":{"type":"keyword"},"working_directorx":{"type":"keyword"},"working_dir":{"type":"keyword"},
		"abcdefgh":{"type":"keyword"},"abcdefgh_1":{"type":"keyword"},"abcdefgh_2":{"type":"keyword"},
		"a":{"properties":{"b":{"type":"keyword"},"c":{"type":"keyword"}}},
		"al":{"type":"alias","path":"a.b"}}}`)
	fields := []string{"working_directory", "working_directorx", "working_dir", "abcdefgh", "abcdefgh_1", "abcdefgh_2", "a.b"}
	d := NewDecoder(m, DecodeOptions{Fields: fields})
	line := `{"working_directorx":"x","working_directory":"y","working_dir":"z","working_directorz":"no",` +
		`"abcdefgh_2":"2","abcdefgh_1":"1","abcdefgh":"0","abcdefgh_3":"no","a.b":"dotted","a":{"b":"nested","c":"no"},"a.c":"no"}`
	doc, err := d.Decode([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	want := "a.b=[dotted, nested] abcdefgh=0 abcdefgh_1=1 abcdefgh_2=2 working_dir=z working_directorx=x working_directory=y"
	if got := fieldString(doc); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// An alias rejects values even when only its target is projected.
	if _, err := d.Decode([]byte(`{"al":"x"}`)); err == nil || !strings.Contains(err.Error(), "alias") {
		t.Fatalf("alias write: %v", err)
	}
}

// TestReuseDocumentNames: a recycled Document shows exactly this line's
// fields, whatever the last line or the caller left in its map.
func TestReuseDocumentNames(t *testing.T) {
	m, _ := BuiltinMapping("logs-endpoint.events.process")
	for _, opts := range []DecodeOptions{
		{ReuseDocument: true, Fields: []string{"process.name", "host.name"}},
		{Reuse: true, Fields: []string{"process.name", "host.name"}},
	} {
		d := NewDecoder(m, opts)
		doc, err := d.Decode([]byte(`{"process":{"name":"a"},"host":{"name":"h"}}`))
		if err != nil {
			t.Fatal(err)
		}
		doc.Fields["caller.note"] = KeywordOf("x")
		delete(doc.Fields, "host.name")
		if _, err := d.Decode([]byte(`{"process":`)); err == nil {
			t.Fatal("want a syntax error")
		}
		doc, err = d.Decode([]byte(`{"process":{"name":"b"}}`))
		if err != nil {
			t.Fatal(err)
		}
		if got := fieldString(doc); got != "process.name=b" {
			t.Errorf("%+v: got %s", opts, got)
		}
	}
}

// TestKeptValuesShareNothing: values kept from many lines (their strings
// share slabs, see keep) stay intact when the lines are overwritten,
// including strings longer than a slab.
func TestKeptValuesShareNothing(t *testing.T) {
	m := mustMapping(t, `{"properties":{"process":{"properties":{"name":{"type":"keyword"},"args":{"type":"keyword"}}}}}`)
	d := NewDecoder(m, DecodeOptions{ReuseDocument: true, Fields: []string{"process.name", "process.args"}})
	var kept []Value
	var want []string
	for i := range 300 {
		name := strings.Repeat(string(rune('a'+i%26)), 1+i*37%(strSlab+100))
		line := []byte(`{"process":{"name":"` + name + `","args":["` + name + `","x","` + name[:1] + `y"]}}`)
		doc, err := d.Decode(line)
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, doc.Get("process.name"), doc.Get("process.args"))
		args := []string{name, "x", name[:1] + "y"}
		slices.Sort(args)
		want = append(want, name, "["+strings.Join(args, ", ")+"]")
		copy(line, bytes.Repeat([]byte("#"), len(line)))
	}
	for i, v := range kept {
		if v.String() != want[i] {
			t.Fatalf("value %d = %.40s, want %.40s", i, v.String(), want[i])
		}
	}
}
