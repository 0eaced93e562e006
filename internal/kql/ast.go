package kql

import (
	"strconv"
	"strings"
)

// Pos is a node's start in the query source: byte offset, 1-based line and
// 1-based column (counted in runes).
type Pos struct {
	Offset, Line, Col int
}

// Node is one KQL AST node. Every node knows where it starts; String prints
// canonical KQL that re-parses (in either dialect) to the same tree.
type Node interface {
	Position() Pos
	String() string
}

// BoolOp says whether a Bool node is a conjunction or a disjunction.
type BoolOp uint8

const (
	OpAnd BoolOp = iota
	OpOr
)

func (o BoolOp) String() string {
	if o == OpAnd {
		return "and"
	}
	return "or"
}

// RangeOp is a range comparison operator.
type RangeOp uint8

const (
	OpLT RangeOp = iota
	OpLTE
	OpGT
	OpGTE
)

var rangeOpText = [...]string{OpLT: "<", OpLTE: "<=", OpGT: ">", OpGTE: ">="}

func (o RangeOp) String() string { return rangeOpText[o] }

// FieldRef names a field as written: possibly quoted, possibly a wildcard
// pattern (`process.*`). A quoted name is never expanded as a pattern.
type FieldRef struct {
	Name   string
	Quoted bool
}

// IsPattern reports whether the name is expanded against the mapping.
func (f FieldRef) IsPattern() bool { return !f.Quoted && strings.IndexByte(f.Name, '*') >= 0 }

func (f FieldRef) String() string {
	if f.Quoted || f.Name == "" {
		return quote(f.Name) // Kibana trims a blank name to ""
	}
	if f.IsPattern() {
		return escapeUnquoted(f.Name, patternValue(f.Name).Wild, true)
	}
	return escapeUnquoted(f.Name, nil, true)
}

// Value is a query value. Text is the unescaped value; Wild marks which
// bytes of Text are unescaped `*` wildcards (nil when there are none).
// Quoted values never hold wildcards and match as phrases on text fields.
type Value struct {
	Text   string
	Quoted bool
	Wild   []bool
}

// HasWildcard reports whether the value contains an unescaped `*`.
func (v Value) HasWildcard() bool { return v.Wild != nil }

// IsStar reports whether the value is exactly one unescaped `*`.
func (v Value) IsStar() bool { return len(v.Text) == 1 && v.Wild != nil && v.Wild[0] }

func (v Value) String() string {
	if v.Quoted {
		return quote(v.Text)
	}
	if v.Text == "" {
		return `\u0020` // Kibana trims a blank literal to ""; this reads back the same
	}
	return escapeUnquoted(v.Text, v.Wild, false)
}

// Bool is a conjunction or disjunction of two or more clauses.
type Bool struct {
	P        Pos
	Op       BoolOp
	Children []Node
}

// Not negates its child.
type Not struct {
	P     Pos
	Child Node
}

// MatchAll matches every document (`*`, `*:*`, the empty query).
type MatchAll struct{ P Pos }

// Exists matches documents where the field (or any field matching the
// pattern) has a value: `field:*`.
type Exists struct {
	P     Pos
	Field FieldRef
}

// Match is `field:value`, or a fieldless value when HasField is false.
type Match struct {
	P        Pos
	HasField bool
	Field    FieldRef
	Value    Value
}

// Range is `field < value` and friends.
type Range struct {
	P     Pos
	Field FieldRef
	Op    RangeOp
	Value Value
}

// Nested is `path:{ query }`; field names inside are relative to Path.
type Nested struct {
	P     Pos
	Path  FieldRef
	Query Node
}

func (n *Bool) Position() Pos     { return n.P }
func (n *Not) Position() Pos      { return n.P }
func (n *MatchAll) Position() Pos { return n.P }
func (n *Exists) Position() Pos   { return n.P }
func (n *Match) Position() Pos    { return n.P }
func (n *Range) Position() Pos    { return n.P }
func (n *Nested) Position() Pos   { return n.P }

// group parenthesizes compound children so printing is precedence-free:
// the two dialects disagree on and/or precedence.
func group(n Node) string {
	if _, ok := n.(*Bool); ok {
		return "(" + n.String() + ")"
	}
	return n.String()
}

func (n *Bool) String() string {
	var b strings.Builder
	for i, c := range n.Children {
		if i > 0 {
			b.WriteString(" " + n.Op.String() + " ")
		}
		b.WriteString(group(c))
	}
	return b.String()
}

func (n *Not) String() string {
	// Kibana requires whitespace after `not`, and a subquery (not another
	// `not`) after it.
	if _, ok := n.Child.(*Not); ok {
		return "not (" + n.Child.String() + ")"
	}
	return "not " + group(n.Child)
}

func (n *MatchAll) String() string { return "*" }
func (n *Exists) String() string   { return n.Field.String() + ":*" }
func (n *Match) String() string {
	if !n.HasField {
		return n.Value.String()
	}
	return n.Field.String() + ":" + n.Value.String()
}
func (n *Range) String() string {
	return n.Field.String() + " " + n.Op.String() + " " + n.Value.String()
}
func (n *Nested) String() string {
	return n.Path.String() + ":{ " + n.Query.String() + " }"
}

// quote prints a quoted string; only `\` and `"` need escaping inside quotes
// in both grammars. Control characters print as \t \n \r \uXXXX.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// isSpecial reports the characters both grammars reserve in unquoted literals.
func isSpecial(r rune) bool {
	switch r {
	case '\\', '(', ')', ':', '<', '>', '"', '*', '{', '}':
		return true
	}
	return false
}

// escapeUnquoted prints an unquoted literal so that both dialects read it
// back unchanged: specials, whitespace and the keywords are escaped.
func escapeUnquoted(s string, wild []bool, name bool) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '*' && wild != nil && wild[i]:
			b.WriteByte('*')
		case isSpecial(r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			// Not `\n`: before "ot" the dialects disagree (newline vs \not).
			b.WriteString(`\u000a`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == ' ':
			// Only the last space of an inner run prints raw: it separates
			// Elasticsearch tokens, which are re-joined by one space. Edge
			// spaces (trimmed/skipped) and names (one token) use \u0020.
			if name || i == 0 || i == len(s)-1 || s[i+1] == ' ' {
				b.WriteString(`\u0020`)
			} else {
				b.WriteByte(' ')
			}
		case r == '\u3000':
			// Whitespace to Elasticsearch's lexer. Everything else prints raw:
			// an escape before a `*` would turn Elasticsearch's wildcard off.
			b.WriteString(`\u3000`)
		case keywordAt(s, i):
			// A \uXXXX escape, not \and: Kibana reads `\not` as `\n` + "ot".
			b.WriteString(`\u00` + strconv.FormatInt(int64(r), 16))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// keywordAt reports whether an and/or/not word starts at s[i] in a position
// where either grammar could take it for an operator.
func keywordAt(s string, i int) bool {
	for _, kw := range [...]string{"and", "or", "not"} {
		if len(s)-i < len(kw) || !strings.EqualFold(s[i:i+len(kw)], kw) {
			continue
		}
		before := i == 0 || !isWordByte(s[i-1])
		after := i+len(kw) == len(s) || !isWordByte(s[i+len(kw)])
		if kw == "not" && (i+len(kw) == len(s) || s[i+len(kw)] == ' ') {
			return true // Kibana's `not ` keyword matches mid-word
		}
		if before && after {
			return true
		}
	}
	return false
}

func isWordByte(c byte) bool { return c != ' ' && (c == '*' || !isSpecial(rune(c))) }

// NamesByMapping reports whether n names a field by a wildcard pattern or
// not at all (the default field), so which fields it reads depends on the
// mapping it is compiled against.
func NamesByMapping(n Node) bool {
	switch x := n.(type) {
	case *Bool:
		for _, c := range x.Children {
			if NamesByMapping(c) {
				return true
			}
		}
	case *Not:
		return NamesByMapping(x.Child)
	case *Match:
		return !x.HasField || x.Field.IsPattern()
	case *Exists:
		return x.Field.IsPattern()
	case *Range:
		return x.Field.IsPattern()
	case *Nested:
		return x.Path.IsPattern() || NamesByMapping(x.Query)
	}
	return false
}
