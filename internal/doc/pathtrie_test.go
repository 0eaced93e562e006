package doc

import (
	"encoding/json"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

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

// TestDecoderReusedAcrossShapes: a decoder that has decoded other lines
// (its key predictions trained on other key orders) decodes each line as a
// fresh decoder does, whatever the order of keys, nesting, dotting and
// unmapped keys.
func TestDecoderReusedAcrossShapes(t *testing.T) {
	ep, _ := BuiltinMapping("logs-endpoint.events.process")
	r := rand.New(rand.NewPCG(7, 11))
	leaves := map[string]func() any{
		"@timestamp":                func() any { return "2024-01-02T03:04:05.678Z" },
		"event.action":              func() any { return []string{"exec", "fork"}[r.IntN(2)] },
		"event.type":                func() any { return []any{"start", []string{"start", "end"}}[r.IntN(2)] },
		"host.name":                 func() any { return "h" + string(rune('a'+r.IntN(3))) },
		"host.os.type":              func() any { return "linux" },
		"process.name":              func() any { return "bash" },
		"process.pid":               func() any { return r.IntN(100) },
		"process.args":              func() any { return []string{"-c", "id"} },
		"process.parent.name":       func() any { return "python3" },
		"process.parent.pid":        func() any { return r.IntN(100) },
		"process.parent.entity_id":  func() any { return "p" + string(rune('0'+r.IntN(9))) },
		"process.command_line":      func() any { return "sh -c id" },
		"user.name":                 func() any { return "root" },
		"unmapped.thing":            func() any { return "x" },
		"process.unmapped_child":    func() any { return 1 },
		"process.parent.executable": func() any { return "/usr/bin/python3" },
		"process.parent.args":       func() any { return []any{"python3", map[string]any{"name": "x"}} },
		"process.Ext.ancestry":      func() any { return []string{"a", "b"} },
	}
	names := make([]string, 0, len(leaves))
	for n := range leaves {
		names = append(names, n)
	}
	reused := NewDecoder(ep, DecodeOptions{})
	reusedDoc := NewDecoder(ep, DecodeOptions{Reuse: true})
	for i := range 3000 {
		r.Shuffle(len(names), func(a, b int) { names[a], names[b] = names[b], names[a] })
		line := shapeLine(r, names[:4+r.IntN(len(names)-4)], leaves)
		want, werr := NewDecoder(ep, DecodeOptions{}).Decode(line)
		for _, dec := range []*Decoder{reused, reusedDoc} {
			got, gerr := dec.Decode(line)
			if (werr == nil) != (gerr == nil) || (werr == nil && fieldsString(got) != fieldsString(want)) {
				t.Fatalf("line %d %s:\nreused %v %v\nfresh  %v %v", i, line, got, gerr, want, werr)
			}
		}
	}
}

// shapeLine writes the fields as one JSON object, each name nested or
// dotted from a random depth on, keys in random order.
func shapeLine(r *rand.Rand, names []string, leaves map[string]func() any) []byte {
	root := map[string]any{}
	for _, n := range names {
		parts := strings.Split(n, ".")
		cut := r.IntN(len(parts)) // parts[cut:] are joined with dots
		m := root
		for _, p := range parts[:cut] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[strings.Join(parts[cut:], ".")] = leaves[n]()
	}
	var b strings.Builder
	writeShuffled(r, &b, root)
	return []byte(b.String())
}

func writeShuffled(r *rand.Rand, b *strings.Builder, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		j, _ := json.Marshal(v)
		b.Write(j)
		return
	}
	keys := slices.Collect(maps.Keys(m))
	r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		j, _ := json.Marshal(k)
		b.Write(j)
		b.WriteByte(':')
		writeShuffled(r, b, m[k])
	}
	b.WriteByte('}')
}

// fieldsString renders a document's fields in name order.
func fieldsString(d *Document) string {
	names := slices.Sorted(maps.Keys(d.Fields))
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n + "=" + d.Fields[n].String() + ";")
	}
	return b.String()
}
