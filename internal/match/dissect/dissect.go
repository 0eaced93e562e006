// Package dissect owns ES|QL DISSECT patterns: Elasticsearch's dissect
// syntax (`%{key}`, skip `%{}`/`%{?key}`, append `%{+key}` with `/n`
// ordering, right padding `%{key->}`) and its delimiter-walking matcher.
//
// Behaviour follows Elasticsearch's libs/dissect (DissectParser, DissectKey,
// DissectMatch), read for semantics only: keys are split from delimiters the
// way its patterns do (a delimiter runs up to the next `%{`, so keys need a
// delimiter between them), modifiers are found anywhere in the key, and the
// input is walked byte by byte looking for each delimiter in turn. Reference
// keys (`%{*k}`/`%{&k}`) name output columns from the data, which ES|QL cannot
// type ahead of time, so ES|QL rejects them and so does Compile.
package dissect

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is a pattern error at a 1-based line:col of the pattern.
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

type modifier uint8

const (
	modNone modifier = iota
	modAppendOrder
	modAppend
	modFieldName
	modFieldValue
	modNamedSkip
)

type key struct {
	mod          modifier
	name         string
	skip         bool
	rightPadding bool // `->`: repeated delimiters after the value are skipped
	order        int  // for modAppendOrder
	slot         int  // output column, -1 for skipped keys
}

type pair struct {
	key   key
	delim string
}

// Pattern is a compiled dissect pattern; immutable and safe for concurrent use.
type Pattern struct {
	pattern   string
	sep       string
	leading   string
	pairs     []pair
	keys      []string
	appendTo  []bool // per slot: the column concatenates appended parts
	hasAppend bool
}

// Compile parses a dissect pattern; appendSeparator joins appended values.
func Compile(pattern, appendSeparator string) (*Pattern, error) {
	p := &Pattern{pattern: pattern, sep: appendSeparator}
	first := strings.Index(pattern, "%{")
	if first < 0 {
		return nil, &Error{1, 1, "Unable to find any keys or delimiters."}
	}
	// The leading-delimiter regex has no DOTALL: text with a line break before
	// the first key is not a leading delimiter (and is then ignored).
	if lead := pattern[:first]; !strings.ContainsAny(lead, "\n\r\u0085\u2028\u2029") {
		p.leading = lead
	}
	rest := pattern[first:]
	off := first
	for {
		open := strings.Index(rest, "%{")
		if open < 0 {
			break
		}
		closeAt := strings.IndexByte(rest[open+2:], '}')
		if closeAt < 0 {
			break
		}
		raw := rest[open+2 : open+2+closeAt]
		k, err := parseKey(raw)
		if err != nil {
			return nil, &Error{1, col(pattern, off+open), err.Error()}
		}
		after := rest[open+3+closeAt:]
		// A delimiter is at least one character up to the next `%{`, or else
		// everything that is left.
		delim := after
		if len(after) > 0 {
			if j := strings.Index(after[1:], "%{"); j >= 0 {
				delim = after[:j+1]
			}
		}
		p.pairs = append(p.pairs, pair{key: k, delim: delim})
		consumed := open + 3 + closeAt + len(delim)
		off += consumed
		rest = rest[consumed:]
		if delim == after {
			break
		}
	}
	if err := p.resolve(); err != nil {
		return nil, err
	}
	return p, nil
}

func col(s string, byteOff int) int { return utf8.RuneCountInString(s[:byteOff]) + 1 }

// parseKey reads a key's name and modifiers. As in Elasticsearch, a modifier
// character anywhere in the key counts, and only `+` followed by `/` may be
// combined.
func parseKey(raw string) (key, error) {
	k := key{slot: -1}
	count := 0
	for i := 0; i < len(raw); i++ {
		var m modifier
		switch raw[i] {
		case '/':
			m = modAppendOrder
		case '+':
			m = modAppend
		case '*':
			m = modFieldName
		case '&':
			m = modFieldValue
		case '?':
			m = modNamedSkip
		default:
			continue
		}
		count++
		if count > 1 && !(k.mod == modAppend && m == modAppendOrder) {
			return k, fmt.Errorf("Unable to parse key [%s]: multiple modifiers are not allowed.", raw)
		}
		k.mod = m
	}
	body := raw
	if k.mod != modNone {
		body = raw[strings.IndexAny(raw, "+*&?/")+1:]
		if k.mod == modAppendOrder {
			// `+name/N` (digits, then an optional `->`).
			if strings.IndexByte(raw, '+') < 0 {
				return k, fmt.Errorf("Unable to parse key [%s]: The key name could not be determined", raw)
			}
			body = raw[strings.IndexByte(raw, '+')+1:]
		}
	}
	if strings.HasSuffix(body, "->") {
		k.rightPadding = true
		body = body[:len(body)-2]
	}
	if k.mod == modAppendOrder {
		slash := strings.LastIndexByte(body, '/')
		n, err := strconv.Atoi(body[slash+1:])
		if slash < 0 || err != nil || body[slash+1:] == "" || strings.ContainsAny(body[slash+1:], "+-") || n > 32767 {
			return k, fmt.Errorf("Unable to parse key [%s]: The key name could not be determined", raw)
		}
		body, k.order = body[:slash], n
	}
	k.name = body
	k.skip = k.mod == modNamedSkip || (k.mod == modNone && k.name == "")
	if k.name == "" && !k.skip {
		return k, fmt.Errorf("Unable to parse key [%s]: The key name could not be determined", raw)
	}
	return k, nil
}

// resolve validates the keys and assigns output columns.
func (p *Pattern) resolve() error {
	appendNames := map[string]bool{}
	for _, pr := range p.pairs {
		switch pr.key.mod {
		case modAppend, modAppendOrder:
			appendNames[pr.key.name] = true
		case modFieldName, modFieldValue:
			// ES|QL LogicalPlanBuilder rejects reference keys outright.
			return &Error{1, 1, fmt.Sprintf("Reference keys not supported in dissect patterns: [%%{*%s}]", pr.key.name)}
		}
	}
	slots := map[string]int{}
	for i := range p.pairs {
		k := &p.pairs[i].key
		if k.mod == modNone && appendNames[k.name] {
			k.mod = modAppend
		}
		if k.skip {
			continue
		}
		s, ok := slots[k.name]
		if !ok {
			s = len(p.keys)
			slots[k.name] = s
			p.keys = append(p.keys, k.name)
			p.appendTo = append(p.appendTo, appendNames[k.name])
			p.hasAppend = p.hasAppend || appendNames[k.name]
		}
		k.slot = s
	}
	if len(p.pairs) == 0 || len(p.keys) == 0 {
		return &Error{1, 1, "Unable to find any keys or delimiters."}
	}
	return nil
}

// Keys lists the output columns in pattern order (skip keys excluded).
func (p *Pattern) Keys() []string { return p.keys }

type part struct {
	value string
	order int
}

// state accumulates one parse.
type state struct {
	p       *Pattern
	matches int
	set     []bool
	vals    []string
	parts   [][]part
	implied int
}

func (st *state) add(k *key, v string) {
	st.matches++
	if k.skip {
		return
	}
	st.set[k.slot] = true
	switch k.mod {
	case modAppend:
		st.parts[k.slot] = append(st.parts[k.slot], part{v, st.implied})
		st.implied++
	case modAppendOrder:
		st.parts[k.slot] = append(st.parts[k.slot], part{v, k.order})
	default:
		st.vals[k.slot] = v
	}
}

// Parse dissects s. It returns one value per key, or false when s does not
// match (ES|QL then yields nulls).
func (p *Pattern) Parse(s string) ([]string, bool) {
	n := len(p.keys)
	st := state{p: p, set: make([]bool, n), vals: make([]string, n), implied: -1000}
	if p.hasAppend {
		st.parts = make([][]part, n)
	}
	if len(s) <= len(p.leading) || !strings.HasPrefix(s, p.leading) {
		return nil, false
	}
	k := 0
	cur := &p.pairs[0].key
	delim := p.pairs[0].delim
	i := len(p.leading)
	valueStart := i
walk:
	for i < len(s) {
		if delim == "" || s[i] != delim[0] || !strings.HasPrefix(s[i:], delim) {
			i++
			continue
		}
		st.add(cur, s[valueStart:i])
		i += len(delim)
		// Repeated delimiters: skipped after a `->` key, otherwise each one
		// gives the next key an empty value (still matching the old delimiter).
		for i < len(s) && strings.HasPrefix(s[i:], delim) {
			i += len(delim)
			if !cur.rightPadding {
				if k+1 >= len(p.pairs) {
					break
				}
				k++
				cur = &p.pairs[k].key
				st.add(cur, "")
			}
		}
		if k+1 >= len(p.pairs) {
			break walk
		}
		k++
		cur = &p.pairs[k].key
		delim = p.pairs[k].delim
		valueStart = i
	}
	if st.matches != len(p.pairs) && delim == "" {
		st.add(cur, s[valueStart:])
	}
	if st.matches != len(p.pairs) {
		return nil, false
	}
	for slot, ok := range st.set {
		if !ok {
			return nil, false
		}
		if p.appendTo[slot] {
			ps := st.parts[slot]
			sort.SliceStable(ps, func(a, b int) bool { return ps[a].order < ps[b].order })
			var b strings.Builder
			for j, x := range ps {
				if j > 0 {
					b.WriteString(p.sep)
				}
				b.WriteString(x.value)
			}
			st.vals[slot] = b.String()
		}
	}
	return st.vals, true
}
