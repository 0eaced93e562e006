package doc

import (
	"bytes"
	"testing"
)

// TestDocumentOutlivesLine: a fresh Document's strings are its own, so the
// caller may overwrite the line (chunk buffers are reused) and a kept
// document (STATS VALUES) pins only its values.
func TestDocumentOutlivesLine(t *testing.T) {
	m, _ := BuiltinMapping("logs-endpoint.events.process")
	d := NewDecoder(m, DecodeOptions{Fields: []string{"process.name", "process.args", "host.os.type"}})
	line := []byte(`{"_index":"idx","_id":"id1","_source":{"process":{"name":"bash","args":["sh","-c","x\u00e9"]},"host":{"os":{"type":"linux"}}}}`)
	doc, err := d.Decode(line)
	if err != nil {
		t.Fatal(err)
	}
	for i := range line {
		line[i] = 'X'
	}
	if got := doc.Get("process.name").S; got != "bash" {
		t.Errorf("process.name = %q after the line was overwritten", got)
	}
	if doc.Get("process.args").At(1).S != "sh" || doc.Get("host.os.type").S != "linux" || doc.Index != "idx" || doc.ID != "id1" {
		t.Errorf("values changed with the line: %+v", doc)
	}
}

// TestDecodeReuse: with Reuse the same Document comes back, cleared.
func TestDecodeReuse(t *testing.T) {
	m, _ := BuiltinMapping("logs-endpoint.events.process")
	d := NewDecoder(m, DecodeOptions{Reuse: true, Fields: []string{"process.name", "event.type"}})
	a, err := d.Decode([]byte(`{"_index":"i1","_source":{"process":{"name":"bash"},"event":{"type":["start","end"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if a.Get("process.name").S != "bash" || a.Get("event.type").Len() != 2 || a.Index != "i1" {
		t.Fatalf("first decode: %+v", a)
	}
	b, err := d.Decode([]byte(`{"event":{"type":"info"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("Reuse returned a new Document")
	}
	if !b.Get("process.name").IsNull() || b.Get("event.type").S != "info" || b.Index != "" {
		t.Errorf("stale state survived: %+v", b)
	}
	if _, err := d.Decode([]byte(`{"process":`)); err == nil {
		t.Error("want a syntax error")
	}
	line := []byte(benchLine)
	allocs := testing.AllocsPerRun(100, func() {
		d.Decode(line)
	})
	if allocs > 0 {
		t.Errorf("Reuse decode allocates %.0f times per line", allocs)
	}
}

// TestDecodeReuseDocument: the Document is recycled but values kept from
// it (as STATS keeps them) stay intact.
func TestDecodeReuseDocument(t *testing.T) {
	m, _ := BuiltinMapping("logs-endpoint.events.process")
	d := NewDecoder(m, DecodeOptions{ReuseDocument: true, Fields: []string{"process.name", "event.type"}})
	line := []byte(`{"process":{"name":"bash"},"event":{"type":["start","end"]}}`)
	a, err := d.Decode(line)
	if err != nil {
		t.Fatal(err)
	}
	name, types := a.Get("process.name"), a.Get("event.type")
	copy(line, bytes.Repeat([]byte("X"), len(line)))
	b, err := d.Decode([]byte(`{"process":{"name":"zsh"},"event":{"type":["info","change"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("ReuseDocument returned a new Document")
	}
	if name.S != "bash" || types.Len() != 2 || types.At(0).S != "end" || types.At(1).S != "start" {
		t.Errorf("kept values changed: %v %v", name, types)
	}
	if b.Get("process.name").S != "zsh" {
		t.Errorf("second document: %+v", b)
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
