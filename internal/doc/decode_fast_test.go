package doc

import (
	"bytes"
	"math/rand/v2"
	"strings"
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

// TestNextSpecial compares the word-at-a-time scan with a byte loop.
func TestNextSpecial(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alpha := []byte("ab\"\\\x00\x1f\x20\x7f\x80\xffz!")
	for range 20000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			if rng.IntN(4) == 0 {
				b[i] = alpha[rng.IntN(len(alpha))]
			} else {
				b[i] = 'a' + byte(rng.IntN(26))
			}
		}
		p := 0
		if len(b) > 0 {
			p = rng.IntN(len(b) + 1)
		}
		if got, want := nextSpecial(b, p), naiveSpecial(b, p); got != want {
			t.Fatalf("nextSpecial(%q, %d) = %d, want %d", b, p, got, want)
		}
	}
}

func naiveSpecial(b []byte, p int) int {
	for ; p < len(b); p++ {
		if c := b[p]; c == '"' || c == '\\' || c < 0x20 {
			return p
		}
	}
	return p
}

func FuzzNextSpecial(f *testing.F) {
	f.Add([]byte(`abc"def`), uint8(0))
	f.Add([]byte("0123456789\x01abcdef\\"), uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, start uint8) {
		p := min(int(start), len(b))
		if got, want := nextSpecial(b, p), naiveSpecial(b, p); got != want {
			t.Fatalf("nextSpecial(%q, %d) = %d, want %d", b, p, got, want)
		}
		if ascii(b) != !bytes.ContainsFunc(b, func(r rune) bool { return r >= 0x80 }) {
			t.Fatalf("ascii(%q) wrong", b)
		}
	})
}

// skimFields are what the hunt's skim decoder reads: a timestamp and routing.
var skimFields = []string{"@timestamp", "data_stream.type", "data_stream.dataset", "data_stream.namespace"}

// BenchmarkFieldExtractor times the field extractor as the hunt uses it:
// the seed rule's projection (fresh documents) and the skim decoder for
// prefiltered-out lines (Reuse, timestamp and routing fields only).
func BenchmarkFieldExtractor(b *testing.B) {
	m, _ := BuiltinMapping("logs-endpoint.events.process")
	line := []byte(benchLine)
	seed := []string{"@timestamp", "agent.id", "data_stream.dataset", "data_stream.namespace", "data_stream.type",
		"event.action", "event.dataset", "event.type", "host.name", "host.os.type", "process.args",
		"process.command_line", "process.executable", "process.name", "process.parent.entity_id",
		"process.parent.executable", "process.parent.name", "process.parent.working_directory", "process.working_directory"}
	layout := NewLayout(seed) // the hunt's: skim and projection share it
	for _, bc := range []struct {
		name string
		opts DecodeOptions
	}{
		{"seed-projection", DecodeOptions{Dynamic: true, Fields: seed}},
		{"seed-projection-reuse-doc", DecodeOptions{Dynamic: true, ReuseDocument: true, Fields: seed}},
		{"seed-projection-layout", DecodeOptions{Dynamic: true, Reuse: true, Layout: layout}},
		{"skim-reuse", DecodeOptions{Dynamic: true, Reuse: true, Fields: skimFields}},
		{"skim-first-values", DecodeOptions{Dynamic: true, Reuse: true, FirstValuesOnly: true, Fields: skimFields}},
		{"skim-first-values-layout", DecodeOptions{Dynamic: true, Reuse: true, FirstValuesOnly: true, Fields: skimFields, Layout: layout}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			d := NewDecoder(m, bc.opts)
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.Decode(line); err != nil {
					b.Fatal(err)
				}
			}
		})
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

// FuzzFastSkip: the fast skipper never accepts what the reference path
// rejects, ends where it ends, and accepts plain valid JSON.
func FuzzFastSkip(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5e3,true,false,null,"x\"y"],"b":{}}`, `[ ]`, `{"a" : 1 , }`, `[1,]`, `"\u00e9"`,
		`{"a":"b\x01"}`, `01`, `-`, `1.`, `1e`, `{"a":{"b":[[[]]]}}`, `tru`, `{"a" 1}`, `  {"k":"v"}  x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast := &scanner{data: data, src: string(data)}
		slow := &scanner{data: data, src: string(data)}
		fok := fast.fastSkip(0)
		sok := slow.slowSkip(0)
		if fok && !sok {
			t.Fatalf("fast accepted what slow rejects: %q (%v)", data, slow.err)
		}
		if fok && fast.pos != slow.pos {
			t.Fatalf("fast ended at %d, slow at %d: %q", fast.pos, slow.pos, data)
		}
		if sok && !fok && validShallow(data[:slow.pos]) {
			t.Fatalf("fast rejected valid %q", data[:slow.pos])
		}
	})
}

func validShallow(b []byte) bool {
	return len(b) > 0 && bytes.Count(b, []byte("[")) < 100 && bytes.Count(b, []byte("{")) < 100
}

// FuzzParseISOMillisZ: the timestamp fast path agrees with the general
// parser wherever it answers, and answers for every valid date of its shape.
func FuzzParseISOMillisZ(f *testing.F) {
	for _, s := range []string{"2026-11-20T09:00:00.004Z", "2024-02-29T23:59:59.999Z", "2023-02-29T00:00:00.000Z",
		"0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", "2026-13-01T00:00:00.000Z", "2026-11-20T24:00:00.000Z",
		"2026-11-20t09:00:00.004Z", "2026-11-20T09:00:00.004z", "2026-11-20T09:00:00,004Z", "2026-1a-20T09:00:00.004Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fast, fok := parseISOMillisZ(s)
		slow, sok := parseISODateAny(s)
		if fok && (!sok || fast != slow) {
			t.Fatalf("%q: fast %v %v, general %v %v", s, fast, fok, slow, sok)
		}
		canonical := len(s) == 24 && s[10] == 'T' && s[19] == '.' && s[23] == 'Z' && !strings.ContainsAny(s[:4], "+-")
		if sok && canonical && !fok {
			t.Fatalf("%q: fast path declined a valid date (%v)", s, slow)
		}
	})
}
