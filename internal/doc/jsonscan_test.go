package doc

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// scanJSON reads the JSON text in data with the scanner's primitives into
// the values encoding/json yields with UseNumber: a reference walk that
// FuzzScanner holds to encoding/json.
func scanJSON(data []byte) (any, *scanner) {
	var s scanner
	s.reset(data)
	v, ok := scanValue(&s, 0)
	if ok {
		if s.skipWS(); s.pos != len(data) {
			s.fail("trailing data")
		}
	}
	return v, &s
}

func scanValue(s *scanner, depth int) (any, bool) {
	if depth > maxDepth {
		return nil, s.fail("document nested too deeply")
	}
	if s.skipWS(); s.pos >= len(s.data) {
		return nil, s.fail("unexpected end of input")
	}
	switch s.data[s.pos] {
	case '{':
		s.pos++
		obj := map[string]any{}
		for first := true; ; first = false {
			if more, ok := s.objectNext(first); !more {
				return obj, ok
			}
			key, ok := s.readString()
			if !ok || !s.colon() {
				return nil, false
			}
			if obj[key], ok = scanValue(s, depth+1); !ok {
				return nil, false
			}
		}
	case '[':
		s.pos++
		arr := []any{}
		for first := true; ; first = false {
			if more, ok := s.arrayNext(first); !more {
				return arr, ok
			}
			v, ok := scanValue(s, depth+1)
			if !ok {
				return nil, false
			}
			arr = append(arr, v)
		}
	case 'n':
		return nil, s.literal("null")
	}
	kind, str, ok := s.scalar()
	switch kind {
	case tokNumber:
		return json.Number(str), ok
	case tokTrue, tokFalse:
		return kind == tokTrue, ok
	}
	return str, ok
}

// skipJSON skips the JSON text in data as Decoder skips unread values.
func skipJSON(data []byte) *scanner {
	var s scanner
	s.reset(data)
	if s.skipWS(); s.pos >= len(data) {
		s.fail("unexpected end of input")
	} else if s.skipValue(0) {
		if s.skipWS(); s.pos != len(data) {
			s.fail("trailing data")
		}
	}
	return &s
}

// TestScanner: what the scanner reads, skips and refuses, and where.
func TestScanner(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // the value read as JSON, or the error
		skip string // the skipper's error when it differs ("" = accepts)
	}{
		{in: ` {"a" : [1, -2.5e+3, true, false, null, "x\"\u00e9\ud83d\ude00\ud800"], "b":{}} `,
			want: `{"a":[1,-2.5e+3,true,false,null,"x\"é😀�"],"b":{}}`},
		{in: `"\u0041\n\/"`, want: `"A\n/"`},
		{in: `[]`, want: `[]`},
		{in: `-0`, want: `-0`},
		{in: ``, want: "offset 0: unexpected end of input", skip: "offset 0: unexpected end of input"},
		{in: `01`, want: "offset 1: trailing data", skip: "offset 1: trailing data"},
		{in: `1.`, want: "offset 2: invalid number", skip: "offset 2: invalid number"},
		{in: `-`, want: "offset 1: invalid number", skip: "offset 1: invalid number"},
		{in: `1e+`, want: "offset 3: invalid number", skip: "offset 3: invalid number"},
		{in: `tru`, want: "offset 0: invalid literal", skip: "offset 0: invalid literal"},
		{in: `[1,]`, want: `offset 3: unexpected character ']'`, skip: `offset 3: unexpected character ']'`},
		{in: `[1,`, want: "offset 3: unexpected end of input in array", skip: "offset 3: unexpected end of input"},
		{in: `{"a":1,}`, want: "offset 7: expected a string", skip: "offset 7: expected a string"},
		{in: `{"a" 1}`, want: "offset 5: expected ':' after object key", skip: "offset 5: expected ':' after object key"},
		{in: `{"a":1 "b"}`, want: "offset 7: expected ',' or '}' in object", skip: "offset 7: expected ',' or '}' in object"},
		{in: `["a\x"]`, want: "offset 4: invalid escape in string"},
		{in: `["\u12"]`, want: "offset 3: invalid \\u escape"},
		{in: "[\"a\x01\"]", want: "offset 3: control character in string", skip: "offset 3: control character in string"},
		{in: `["abc`, want: "offset 5: unterminated string", skip: "offset 5: unterminated string"},
		{in: `["abc\`, want: "offset 6: unterminated string", skip: "offset 6: unterminated string"},
		{in: "[\"\xff\"]", want: "offset 2: invalid UTF-8 in string"},
		{in: strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2),
			want: "offset 513: document nested too deeply", skip: "offset 513: document nested too deeply"},
	} {
		got := "(unmarshalable)"
		v, s := scanJSON([]byte(c.in))
		if s.err != nil {
			got = s.err.Error()
		} else if b, err := json.Marshal(v); err == nil {
			got = string(b)
		}
		if got != c.want {
			t.Errorf("%.40q: read %s, want %s", c.in, got, c.want)
		}
		skip := ""
		if s := skipJSON([]byte(c.in)); s.err != nil {
			skip = s.err.Error()
		}
		if skip != c.skip {
			t.Errorf("%.40q: skip %q, want %q", c.in, skip, c.skip)
		}
	}
}

// FuzzScanner holds the scanner to encoding/json: it reads what
// encoding/json reads, as the same values, and refuses the rest; it skips
// the same texts. The known differences: strings read must be valid UTF-8,
// nesting is bounded by maxDepth, and the skipper passes escapes
// unchecked.
func FuzzScanner(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5e3,true,false,null,"x\"y"],"b":{}}`, `[ ]`, `{"a" : 1 , }`, `[1,]`,
		`"\u00e9\ud83d\ude00\udc00\ud800\u0041"`, "{\"a\":\"b\x01\"}", `01`, `-`, `1.`, `1e`, `-0.0E-0`,
		`{"a":{"b":[[[]]]}}`, `tru`, `{"a" 1}`, `  {"k":"v"}  x`, `"\x"`, "\"\xff\"", `{"a":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		deep := bytes.Count(data, []byte("["))+bytes.Count(data, []byte("{")) >= maxDepth
		valid := json.Valid(data)
		got, s := scanJSON(data)
		read := s.err == nil
		if s.err != nil && (s.err.Offset < 0 || s.err.Offset > len(data)) {
			t.Fatalf("%q: error offset out of range: %v", data, s.err)
		}
		switch {
		case read && !valid:
			t.Fatalf("read what encoding/json refuses: %q", data)
		case valid && !read && utf8.Valid(data) && !deep:
			t.Fatalf("refused valid JSON %q: %v", data, s.err)
		case read:
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			var want any
			if err := dec.Decode(&want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: read %#v, encoding/json %#v", data, got, want)
			}
		}
		skipped := skipJSON(data).err == nil
		switch {
		case valid && !skipped && !deep:
			t.Fatalf("skip refused valid JSON %q", data)
		case read && !skipped:
			t.Fatalf("skip refused what was read: %q", data)
		case skipped && !valid:
			// Only an escape the skipper left unchecked.
			if _, s := scanJSON(bytes.ToValidUTF8(data, []byte("x"))); s.err == nil || !strings.Contains(s.err.Reason, "escape") {
				t.Fatalf("skipped what encoding/json refuses: %q (read: %v)", data, s.err)
			}
		}
	})
}

// TestNextSpecial compares the word-at-a-time scans (nextSpecial, and
// stringScan, which fuses ascii into it) with a byte loop.
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
		want := naiveSpecial(b, p)
		if got := nextSpecial(b, p); got != want {
			t.Fatalf("nextSpecial(%q, %d) = %d, want %d", b, p, got, want)
		}
		e, isASCII := stringScan(b, p)
		if wa := !bytes.ContainsFunc(b[p:want], func(r rune) bool { return r >= 0x80 }); e != want || isASCII != wa {
			t.Fatalf("stringScan(%q, %d) = %d %v, want %d %v", b, p, e, isASCII, want, wa)
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

// FuzzFastSkip: the fast skipper never accepts what the reference path
// rejects, ends where it ends, and accepts plain valid JSON.
func FuzzFastSkip(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5e3,true,false,null,"x\"y"],"b":{}}`, `[ ]`, `{"a" : 1 , }`, `[1,]`, `"\u00e9"`,
		`{"a":"b\x01"}`, `01`, `-`, `1.`, `1e`, `{"a":{"b":[[[]]]}}`, `tru`, `{"a" 1}`, `  {"k":"v"}  x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast, slow scanner
		fast.reset(data)
		slow.reset(data)
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
