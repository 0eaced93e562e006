package doc

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// This file is the JSON scanner under Decoder: tokens, strings (unescaped
// into substrings of the line when they need no unescaping), numbers as
// their text, and skipping whole values while validating them. It knows
// nothing of mappings or documents; FuzzScanner checks it against
// encoding/json. It is written by hand, not encoding/json or a generic
// tokenizer, for speed: the hunt decodes ~1 GB/s, so string bodies are
// scanned eight bytes at a time (SWAR), strings and numbers are returned
// without allocating, and skipped values (most of a projected line) go
// through one non-recursive loop (fastSkip).
//
// It is stricter than encoding/json in two ways, and looser in one (each
// checked by FuzzScanner): strings read must be valid UTF-8 (Elasticsearch
// refuses others), nesting is bounded by maxDepth, and skipped strings
// pass their escapes unchecked (a cost not paid for values nobody reads).
//
// Deliberate fast/slow pairs, each held to the other by a differential
// test: fastSkip and slowSkip, with fastSkip's inline copy of stringEnd
// (FuzzFastSkip); nextSpecial and stringScan against a byte loop
// (TestNextSpecial, FuzzNextSpecial); keyScan (pathtrie.go) against
// nextSpecial and keyInfo (TestKeyScan).

// maxDepth bounds JSON nesting so hostile input cannot exhaust the stack.
const maxDepth = 512

// Token kinds of a JSON scalar (scalar), as handed to a field converter.
const (
	tokString = iota
	tokNumber
	tokTrue
	tokFalse
)

// scanner reads one JSON text in data from pos. Its methods stop at the
// first error, recorded in err, and report false.
type scanner struct {
	data []byte
	src  string // data as a string; unescaped strings are substrings of it
	pos  int
	buf  []byte // unescaping storage (see readString)
	err  *DecodeError
}

// reset starts reading line. Strings read without unescaping are
// substrings of src, which aliases line: they are valid while it is.
func (s *scanner) reset(line []byte) {
	s.data, s.src, s.pos, s.err = line, unsafe.String(unsafe.SliceData(line), len(line)), 0, nil
}

// syntax records a syntax error at pos, replacing any earlier one.
func (s *scanner) syntax(msg string) error {
	s.err = &DecodeError{Offset: s.pos, Reason: msg}
	return s.err
}

// fail records an error at pos unless one was recorded, and returns false.
func (s *scanner) fail(msg string) bool {
	if s.err == nil {
		s.err = &DecodeError{Offset: s.pos, Reason: msg}
	}
	return false
}

// skipWS moves past JSON whitespace.
func (s *scanner) skipWS() { s.pos = skipWSAt(s.data, s.pos) }

// literal reads lit (true, false or null).
func (s *scanner) literal(lit string) bool {
	if !hasLit(s.data, s.pos, lit) {
		return s.fail("invalid literal")
	}
	s.pos += len(lit)
	return true
}

// scalar reads a string, number or boolean (null and containers are the caller's).
func (s *scanner) scalar() (int, string, bool) {
	switch c := s.data[s.pos]; {
	case c == '"':
		str, ok := s.readString()
		return tokString, str, ok
	case c == 't':
		return tokTrue, "true", s.literal("true")
	case c == 'f':
		return tokFalse, "false", s.literal("false")
	case c == '-' || (c >= '0' && c <= '9'):
		str, ok := s.readNumber()
		return tokNumber, str, ok
	}
	return 0, "", s.fail("unexpected character " + strconv.QuoteRune(rune(s.data[s.pos])))
}

// scalarOrSkip reads a scalar, or skips null/containers (kind -1).
func (s *scanner) scalarOrSkip() (int, string, bool) {
	switch s.data[s.pos] {
	case '{', '[', 'n':
		return -1, "", s.skipValue(0)
	}
	return s.scalar()
}

func (s *scanner) colon() bool {
	s.skipWS()
	if s.pos >= len(s.data) || s.data[s.pos] != ':' {
		return s.fail("expected ':' after object key")
	}
	s.pos++
	s.skipWS()
	if s.pos >= len(s.data) {
		return s.fail("unexpected end of input after ':'")
	}
	return true
}

// objectNext moves to an object's next member (its key), arrayNext to an
// array's next element, past the ',' unless first: more is false once the
// closing bracket is consumed, and ok false on a syntax error.
func (s *scanner) objectNext(first bool) (more, ok bool) { return s.next(first, '}') }
func (s *scanner) arrayNext(first bool) (more, ok bool)  { return s.next(first, ']') }

func (s *scanner) next(first bool, end byte) (more, ok bool) {
	in := " in array"
	if end == '}' {
		in = " in object"
	}
	s.skipWS()
	if s.pos >= len(s.data) {
		return false, s.fail("unexpected end of input" + in)
	}
	if s.data[s.pos] == end {
		s.pos++
		return false, true
	}
	if !first {
		if s.data[s.pos] != ',' {
			return false, s.fail("expected ',' or '" + string(rune(end)) + "'" + in)
		}
		s.pos++
		s.skipWS()
		if end == ']' && s.pos >= len(s.data) {
			// (An object's missing key words its own error.)
			return false, s.fail("unexpected end of input" + in)
		}
	}
	return true, true
}

// readNumber reads a number as its text.
func (s *scanner) readNumber() (string, bool) {
	e, ok := numberEnd(s.data, s.pos)
	if !ok {
		s.pos = e
		return "", s.fail("invalid number")
	}
	str := s.src[s.pos:e]
	s.pos = e
	return str, true
}

// readString reads a JSON string at s.pos. Strings without escapes are
// substrings of the line's copy, so they cost no allocation.
func (s *scanner) readString() (string, bool) {
	if str, ok := s.plainString(); ok {
		return str, true
	}
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		return "", s.fail("expected a string")
	}
	s.pos++
	start := s.pos
	data := s.data
	s.buf = s.buf[:0]
	p := start
	for {
		if p >= len(data) {
			s.pos = p
			return "", s.fail("unterminated string")
		}
		c := data[p]
		switch {
		case c == '"':
			if !utf8.Valid(s.buf) {
				s.pos = start
				return "", s.fail("invalid UTF-8 in string")
			}
			s.pos = p + 1
			return string(s.buf), true
		case c < 0x20:
			s.pos = p
			return "", s.fail("control character in string")
		case c != '\\':
			s.buf = append(s.buf, c)
			p++
			continue
		}
		p++
		if p >= len(data) {
			s.pos = p
			return "", s.fail("unterminated string")
		}
		switch data[p] {
		case '"', '\\', '/':
			s.buf = append(s.buf, data[p])
		case 'b':
			s.buf = append(s.buf, '\b')
		case 'f':
			s.buf = append(s.buf, '\f')
		case 'n':
			s.buf = append(s.buf, '\n')
		case 'r':
			s.buf = append(s.buf, '\r')
		case 't':
			s.buf = append(s.buf, '\t')
		case 'u':
			r, ok := hex4(data, p+1)
			if !ok {
				s.pos = p
				return "", s.fail("invalid \\u escape")
			}
			p += 4
			if r >= 0xD800 && r < 0xDC00 && p+6 < len(data) && data[p+1] == '\\' && data[p+2] == 'u' {
				if r2, ok := hex4(data, p+3); ok && r2 >= 0xDC00 && r2 < 0xE000 {
					r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
					p += 6
				}
			}
			if r >= 0xD800 && r < 0xE000 {
				r = utf8.RuneError // a lone surrogate
			}
			s.buf = utf8.AppendRune(s.buf, r)
		default:
			s.pos = p
			return "", s.fail("invalid escape in string")
		}
		p++
	}
}

// plainString reads the string at s.pos when it needs no unescaping and is
// valid UTF-8 (nearly every string), as a substring of the line. Otherwise
// it reports false and leaves s.pos unchanged.
func (s *scanner) plainString() (string, bool) {
	data, p := s.data, s.pos
	if p >= len(data) || data[p] != '"' {
		return "", false
	}
	e, isASCII := stringScan(data, p+1)
	if e >= len(data) || data[e] != '"' || !(isASCII || utf8.Valid(data[p+1:e])) {
		return "", false
	}
	s.pos = e + 1
	return s.src[p+1 : e], true
}

// stringScan is nextSpecial fused with ascii of data[p:e], in one pass.
func stringScan(data []byte, p int) (e int, isASCII bool) {
	var acc uint64
	for q := p; q+8 <= len(data); q += 8 {
		x := word(data, q)
		if t := specialLanes(x); t != 0 {
			n := bits.TrailingZeros64(t) / 8
			acc |= x & (1<<(8*n) - 1)
			return q + n, acc&lanes80 == 0
		}
		acc |= x
	}
	e = nextSpecial(data, p)
	return e, ascii(data[p:e])
}

// SWAR constants: one byte value repeated in each lane of a word.
const (
	lanes01 = 0x0101010101010101
	lanes80 = 0x8080808080808080
)

// nextSpecial returns the index of the first byte at or after p that is a
// quote, a backslash or a control character (len(data) when none), eight
// bytes per step: string bodies are most of an NDJSON line.
func nextSpecial(data []byte, p int) int {
	for p+8 <= len(data) {
		if t := specialLanes(word(data, p)); t != 0 {
			return p + bits.TrailingZeros64(t)/8
		}
		p += 8
	}
	for p < len(data) {
		if c := data[p]; c == '"' || c == '\\' || c < 0x20 {
			return p
		}
		p++
	}
	return p
}

// word loads the 8 bytes at data[p:] little-endian; the caller has checked
// p+8 <= len(data). Without the slice expression and its bounds checks:
// it runs for every word of every string.
func word(data []byte, p int) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(data)), p)), 8))
}

// specialLanes flags (0x80 in its lane) each byte of the word x that is a
// quote, a backslash or below 0x20. Lanes above the first hit may be false
// positives (borrows), so only the lowest flagged lane is to be used.
func specialLanes(x uint64) uint64 {
	q := x ^ ('"' * lanes01)
	b := x ^ ('\\' * lanes01)
	return (((q - lanes01) &^ q) | ((b - lanes01) &^ b) | ((x - 0x20*lanes01) &^ x)) & lanes80
}

// ascii reports whether b is all ASCII, a word at a time.
func ascii(b []byte) bool {
	var acc uint64
	for len(b) >= 8 {
		acc |= binary.LittleEndian.Uint64(b)
		b = b[8:]
	}
	for _, c := range b {
		acc |= uint64(c)
	}
	return acc&lanes80 == 0
}

func hex4(data []byte, p int) (rune, bool) {
	if p+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[p : p+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// skipValue skips one JSON value, validating its syntax.
func (s *scanner) skipValue(depth int) bool {
	// Most skipped values are strings: no need for fastSkip's machinery.
	if s.pos < len(s.data) && s.data[s.pos] == '"' && depth <= maxDepth {
		if end, ok := stringEnd(s.data, s.pos); ok {
			s.pos = end
			return true
		}
	}
	if s.fastSkip(depth) {
		return true
	}
	return s.slowSkip(depth)
}

// slowSkip is skipValue's reference path: it words errors and handles deep
// nesting.
func (s *scanner) slowSkip(depth int) bool {
	if depth > maxDepth {
		return s.fail("document nested too deeply")
	}
	s.skipWS()
	if s.pos >= len(s.data) {
		return s.fail("unexpected end of input")
	}
	switch s.data[s.pos] {
	case '{':
		s.pos++
		for first := true; ; first = false {
			if more, ok := s.objectNext(first); !more {
				return ok
			}
			if !s.skipString() || !s.colon() || !s.slowSkip(depth+1) {
				return false
			}
		}
	case '[':
		s.pos++
		first := true
		for {
			s.skipWS()
			if s.pos >= len(s.data) {
				return s.fail("unexpected end of input in array")
			}
			if s.data[s.pos] == ']' {
				s.pos++
				return true
			}
			if !first {
				if s.data[s.pos] != ',' {
					return s.fail("expected ',' or ']' in array")
				}
				s.pos++
			}
			first = false
			if !s.slowSkip(depth + 1) {
				return false
			}
		}
	case '"':
		return s.skipString()
	case 'n':
		return s.literal("null")
	}
	_, _, ok := s.scalar()
	return ok
}

// fastSkip is skipValue without recursion or error reporting: it accepts
// exactly the values skipValue accepts and, on anything it would reject (or
// nesting near maxDepth), returns false with s.pos unchanged so skipValue
// can word the error. Skipped values are most of a projected line, so it
// is one loop: strings (keys and values alike) are scanned inline, by a
// deliberate copy of stringEnd's loop (a call per string measured ~5%
// slower on skims; FuzzFastSkip holds the copy to slowSkip's verdicts).
func (s *scanner) fastSkip(depth int) bool {
	data := s.data
	p := s.pos
	if depth >= maxDepth-1 {
		return false
	}
	var arrays [maxDepth/64 + 1]uint64 // bit k: container k is an array
	top := 0                           // open containers
	isKey := false                     // a key is expected at p, not a value
	for {
		if p < len(data) && data[p] <= ' ' {
			p = skipWSAt(data, p)
		}
		if p >= len(data) {
			return false
		}
		c := data[p]
		if c == '"' {
			p++
			for {
				if p+8 <= len(data) {
					t := specialLanes(word(data, p))
					if t == 0 {
						p += 8
						continue
					}
					p += bits.TrailingZeros64(t) / 8
				} else if p = nextSpecial(data, p); p >= len(data) {
					return false
				}
				if data[p] == '"' {
					break
				}
				if data[p] != '\\' {
					return false
				}
				p += 2
			}
			p++
			if isKey {
				if p < len(data) && data[p] <= ' ' {
					p = skipWSAt(data, p)
				}
				if p >= len(data) || data[p] != ':' {
					return false
				}
				p++
				isKey = false
				continue
			}
		} else if isKey {
			return false
		} else {
			switch {
			case c == '{' || c == '[':
				if depth+top+1 > maxDepth-1 {
					return false
				}
				if c == '[' {
					arrays[top/64] |= 1 << (top % 64)
				} else {
					arrays[top/64] &^= 1 << (top % 64)
				}
				top++
				p = skipWSAt(data, p+1)
				if p >= len(data) {
					return false
				}
				if data[p] == c+2 { // ']' and '}' come two after '[' and '{'
					top--
					p++
					break
				}
				isKey = c == '{'
				continue
			case c == 't':
				if !hasLit(data, p, "true") {
					return false
				}
				p += 4
			case c == 'f':
				if !hasLit(data, p, "false") {
					return false
				}
				p += 5
			case c == 'n':
				if !hasLit(data, p, "null") {
					return false
				}
				p += 4
			case c == '-' || (c >= '0' && c <= '9'):
				end, ok := numberEnd(data, p)
				if !ok {
					return false
				}
				p = end
			default:
				return false
			}
		}
		// After a value: close containers or move to the next member.
		for {
			if top == 0 {
				s.pos = p
				return true
			}
			if p < len(data) && data[p] <= ' ' {
				p = skipWSAt(data, p)
			}
			if p >= len(data) {
				return false
			}
			inArray := arrays[(top-1)/64]&(1<<((top-1)%64)) != 0
			c := data[p]
			if (inArray && c == ']') || (!inArray && c == '}') {
				top--
				p++
				continue
			}
			if c != ',' {
				return false
			}
			p++
			isKey = !inArray
			break
		}
	}
}

func skipWSAt(data []byte, p int) int {
	for p < len(data) {
		switch data[p] {
		case ' ', '\t', '\n', '\r':
			p++
		default:
			return p
		}
	}
	return p
}

// stringEnd finds the end of the string opening at p (past its closing
// quote), passing escapes unchecked. On a control character it returns
// that character's offset and false, when the string is unterminated
// len(data) and false.
func stringEnd(data []byte, p int) (int, bool) {
	p++
	for {
		if p+8 <= len(data) {
			t := specialLanes(word(data, p))
			if t == 0 {
				p += 8
				continue
			}
			p += bits.TrailingZeros64(t) / 8
		} else if p = nextSpecial(data, p); p >= len(data) {
			return len(data), false
		}
		switch data[p] {
		case '"':
			return p + 1, true
		case '\\':
			p += 2
		default:
			return p, false
		}
	}
}

func hasLit(data []byte, p int, lit string) bool {
	return len(data)-p >= len(lit) && string(data[p:p+len(lit)]) == lit
}

// numberEnd returns the end of the number at p, or where it is malformed
// and false.
func numberEnd(data []byte, p int) (int, bool) {
	if p < len(data) && data[p] == '-' {
		p++
	}
	if p >= len(data) {
		return p, false
	}
	if data[p] == '0' {
		p++
	} else if data[p] >= '1' && data[p] <= '9' {
		for p < len(data) && data[p] >= '0' && data[p] <= '9' {
			p++
		}
	} else {
		return p, false
	}
	if p < len(data) && data[p] == '.' {
		p++
		q := p
		for p < len(data) && data[p] >= '0' && data[p] <= '9' {
			p++
		}
		if p == q {
			return p, false
		}
	}
	if p < len(data) && (data[p] == 'e' || data[p] == 'E') {
		p++
		if p < len(data) && (data[p] == '+' || data[p] == '-') {
			p++
		}
		q := p
		for p < len(data) && data[p] >= '0' && data[p] <= '9' {
			p++
		}
		if p == q {
			return p, false
		}
	}
	return p, true
}

// skipString passes over a string without unescaping it.
func (s *scanner) skipString() bool {
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		return s.fail("expected a string")
	}
	e, ok := stringEnd(s.data, s.pos)
	s.pos = e
	if !ok {
		if e == len(s.data) {
			return s.fail("unterminated string")
		}
		return s.fail("control character in string")
	}
	return true
}
