package kql

import (
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/doc"
)

// Options tune compilation.
type Options struct {
	// Dialect decides the matching rules (see the package comment).
	Dialect Dialect
	// CaseInsensitive overrides whether field queries on keyword fields
	// ignore case; nil takes the dialect's default (Elasticsearch: true,
	// Kibana: false).
	CaseInsensitive *bool
	// DefaultFields are the fields (patterns allowed) a fieldless term
	// searches; empty means every mapped field, like index.query.default_field "*".
	DefaultFields []string
	// Now anchors date math (`now-1d/d`); zero means the time of Compile.
	Now time.Time
}

// Matcher is a query compiled against a mapping. It is immutable and safe
// for concurrent use.
type Matcher struct {
	root   pred
	fields []string
}

type pred func(d *doc.Document) bool

// Match reports whether the document satisfies the query.
func (m *Matcher) Match(d *doc.Document) bool { return m.root(d) }

// Fields lists every field the matcher may read, sorted. With a nil mapping,
// field patterns (and "*" for fieldless terms) appear as written, since the
// fields they cover are only known per document.
func (m *Matcher) Fields() []string { return m.fields }

// kind is how a field's values compare.
type kind uint8

const (
	kNone kind = iota
	kKeyword
	kText
	kNumber
	kDate
	kIP
	kBool
	kVersion
)

func kindOf(t doc.Type) kind {
	switch t {
	case doc.Keyword:
		return kKeyword
	case doc.Text:
		return kText
	case doc.Integer, doc.Long, doc.UnsignedLong, doc.Double:
		return kNumber
	case doc.Date, doc.DateNanos:
		return kDate
	case doc.IP:
		return kIP
	case doc.Boolean:
		return kBool
	case doc.Version:
		return kVersion
	}
	return kNone
}

var kindNames = [...]string{kNone: "unsupported", kKeyword: "keyword", kText: "text", kNumber: "number", kDate: "date", kIP: "ip", kBool: "boolean", kVersion: "version"}

// Compile turns a parsed query into a Matcher for documents of mapping m.
// A nil mapping types each value by its own doc.Type at match time. Errors
// are *SyntaxError positioned at the offending clause.
func Compile(n Node, m *doc.Mapping, opts Options) (*Matcher, error) {
	c := &compiler{m: m, opts: opts, fields: map[string]bool{}}
	c.ci = opts.Dialect == Elasticsearch
	if opts.CaseInsensitive != nil {
		c.ci = *opts.CaseInsensitive
	}
	c.now = opts.Now
	if c.now.IsZero() {
		c.now = time.Now()
	}
	root, err := c.node(n, "", false)
	if err != nil {
		return nil, err
	}
	fs := make([]string, 0, len(c.fields))
	for f := range c.fields {
		fs = append(fs, f)
	}
	sort.Strings(fs)
	return &Matcher{root: root, fields: fs}, nil
}

type compiler struct {
	m      *doc.Mapping
	opts   Options
	ci     bool
	now    time.Time
	fields map[string]bool
}

func (c *compiler) errAt(p Pos, format string, args ...any) error {
	return &SyntaxError{Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)}
}

func matchNone(*doc.Document) bool { return false }
func matchAll(*doc.Document) bool  { return true }

func (c *compiler) node(n Node, prefix string, inNested bool) (pred, error) {
	switch n := n.(type) {
	case *Bool:
		if p := c.keywordSet(n, prefix); p != nil {
			return p, nil
		}
		kids := make([]pred, len(n.Children))
		for i, ch := range n.Children {
			k, err := c.node(ch, prefix, inNested)
			if err != nil {
				return nil, err
			}
			kids[i] = k
		}
		return boolPred(n.Op, kids), nil
	case *Not:
		k, err := c.node(n.Child, prefix, inNested)
		if err != nil {
			return nil, err
		}
		return func(d *doc.Document) bool { return !k(d) }, nil
	case *MatchAll:
		return matchAll, nil
	case *Nested:
		return c.nested(n, prefix)
	case *Exists:
		fs := c.resolve(n.Field, prefix)
		return orPreds(fs, func(f fieldRef) pred {
			return func(d *doc.Document) bool { return f.get(d).Len() > 0 }
		}), nil
	case *Match:
		if !n.HasField {
			if !inNested {
				return c.fieldless(n, c.opts.DefaultFields)
			}
			// Kibana's grammar allows it (a multi_match that can only hit the
			// nested object's fields); Elasticsearch's does not.
			if c.opts.Dialect == Elasticsearch {
				return nil, c.errAt(n.P, "a nested query cannot contain a query without a field name")
			}
			return c.fieldless(n, []string{prefix + "*"})
		}
		return c.fieldMatch(n, c.resolve(n.Field, prefix), !n.Field.IsPattern(), c.ci)
	case *Range:
		return c.rangeMatch(n, c.resolve(n.Field, prefix))
	}
	return nil, fmt.Errorf("kql: unknown node %T", n)
}

func boolPred(op BoolOp, kids []pred) pred {
	if len(kids) == 2 {
		a, b := kids[0], kids[1]
		if op == OpAnd {
			return func(d *doc.Document) bool { return a(d) && b(d) }
		}
		return func(d *doc.Document) bool { return a(d) || b(d) }
	}
	if op == OpAnd {
		return func(d *doc.Document) bool {
			for _, k := range kids {
				if !k(d) {
					return false
				}
			}
			return true
		}
	}
	return func(d *doc.Document) bool {
		for _, k := range kids {
			if k(d) {
				return true
			}
		}
		return false
	}
}

// fieldRef is one resolved field: a concrete name (with the multi-field
// parent it reads through) or, without a mapping, a name pattern.
type fieldRef struct {
	name    string
	parent  string
	kind    kind // kNone: take the kind from each value's type
	ignAbv  int
	pattern *glob
	esType  string
}

// get returns the field's value. A multi-field (process.name.text) that the
// document does not carry is derived from its parent, as Elasticsearch
// indexes it from the parent's source value.
func (f *fieldRef) get(d *doc.Document) doc.Value {
	v, ok := d.Lookup(f.name)
	if !ok && f.parent != "" {
		v = d.Get(f.parent)
	}
	return v
}

// any calls fn for every (kind, single value) the field holds, stopping at
// the first true.
func (f *fieldRef) any(d *doc.Document, fn func(k kind, v doc.Value) bool) bool {
	if f.pattern != nil {
		found := false
		d.Range(func(name string, v doc.Value) bool {
			found = f.pattern.match(name) && anyValue(kNone, v, 0, fn)
			return !found
		})
		return found
	}
	return anyValue(f.kind, f.get(d), f.ignAbv, fn)
}

func anyValue(k kind, v doc.Value, ignoreAbove int, fn func(k kind, v doc.Value) bool) bool {
	n := v.Len()
	for i := 0; i < n; i++ {
		e := v.At(i)
		ek := k
		if ek == kNone {
			ek = kindOf(e.T)
		}
		// Keyword values longer than ignore_above are not indexed.
		if ignoreAbove > 0 && ek == kKeyword && utf8.RuneCountInString(e.S) > ignoreAbove {
			continue
		}
		if fn(ek, e) {
			return true
		}
	}
	return false
}

func orPreds(fs []fieldRef, mk func(f fieldRef) pred) pred {
	switch len(fs) {
	case 0:
		return matchNone
	case 1:
		return mk(fs[0])
	}
	kids := make([]pred, len(fs))
	for i, f := range fs {
		kids[i] = mk(f)
	}
	return boolPred(OpOr, kids)
}

func (c *compiler) refFor(fd *doc.Field) fieldRef {
	c.fields[fd.Name] = true
	typ := fd.Type
	if fd.Nested {
		typ = doc.ESTypeOf(fd.ESType) // Unsupported for ES|QL only: a nested query reads it as mapped
	}
	r := fieldRef{name: fd.Name, kind: kindOf(typ), ignAbv: fd.IgnoreAbove, esType: fd.ESType}
	if fd.Parent != "" {
		if pf, ok := c.m.Lookup(fd.Parent); ok && (kindOf(pf.Type) == kKeyword || kindOf(pf.Type) == kText) &&
			(r.kind == kKeyword || r.kind == kText) {
			r.parent = fd.Parent
			c.fields[fd.Parent] = true
		}
	}
	return r
}

// resolve expands a field reference against the mapping.
func (c *compiler) resolve(ref FieldRef, prefix string) []fieldRef {
	name := prefix + ref.Name
	if ref.Quoted && strings.IndexByte(ref.Name, '*') >= 0 && c.opts.Dialect == Elasticsearch {
		return nil // Elasticsearch does not expand quoted names and none can match
	}
	if ref.IsPattern() {
		g := compileGlob(patternValue(name), false)
		if c.m == nil {
			c.fields[name] = true
			return []fieldRef{{name: name, pattern: &g}}
		}
		var out []fieldRef
		for _, fd := range c.m.Fields() {
			if g.match(fd.Name) {
				out = append(out, c.refFor(fd))
			}
		}
		return out
	}
	if c.m != nil {
		if fd, ok := c.m.Lookup(name); ok {
			return []fieldRef{c.refFor(fd)}
		}
	}
	// Unmapped: Elasticsearch would have mapped it dynamically, so type
	// values by what they hold.
	c.fields[name] = true
	return []fieldRef{{name: name}}
}

// patternValue marks every `*` of a field name as a wildcard.
func patternValue(s string) Value { return Value{Text: s, Wild: starMarks(s)} }

func (c *compiler) nested(n *Nested, prefix string) (pred, error) {
	p := prefix + n.Path.Name
	if c.m != nil {
		fd, leaf := c.m.Lookup(p)
		under := false
		for _, f := range c.m.Fields() {
			if strings.HasPrefix(f.Name, p+".") {
				under = true
				break
			}
		}
		if (leaf && fd.ESType != "nested") || !under {
			return nil, c.errAt(n.P, "[%s] is not a valid nested field name", p)
		}
	}
	inner, err := c.node(n.Query, p+".", true)
	if err != nil {
		return nil, err
	}
	c.fields[p] = true // the objects, even for a query that names no field under p
	for f := range c.fields {
		if strings.HasPrefix(f, p+".") {
			delete(c.fields, p) // (a field under p brings them)
			break
		}
	}
	// Elasticsearch's nested query: each object of the field is a hidden
	// document of its own (decoded into doc.Document.Nested), and the
	// sub-query must hold on one of them.
	return func(d *doc.Document) bool { return d.AnyNested(p, inner) }, nil
}

// term is a compiled field value, pre-parsed for every kind it may meet.
type term struct {
	v       Value
	text    string
	tokens  []string // analyzed value (text fields)
	phrase  bool
	wild    bool
	globCI  glob // keyword wildcard, case per options
	globCS  glob // case-sensitive (fieldless query_string on keywords)
	wtoks   []glob
	num     float64
	numOK   bool
	lo, hi  int64 // date bounds, ms
	dateOK  bool
	prefix  netip.Prefix
	ipOK    bool
	boolean bool
	boolOK  bool
}

func (c *compiler) newTerm(v Value) *term {
	t := &term{v: v, text: v.Text, phrase: v.Quoted, wild: v.HasWildcard()}
	if t.wild {
		t.globCI = compileGlob(v, c.ci)
		t.globCS = compileGlob(v, false)
		// query_string on a text field: each whitespace-separated piece is a
		// lower-cased wildcard term matched against single tokens.
		start := 0
		for i := 0; i <= len(v.Text); i++ {
			if i == len(v.Text) || v.Text[i] == ' ' {
				if i > start {
					piece := Value{Text: v.Text[start:i], Wild: v.Wild[start:i]}
					t.wtoks = append(t.wtoks, compileGlob(piece, true))
				}
				start = i + 1
			}
		}
		return t
	}
	t.tokens = analyze(v.Text)
	if f, err := strconv.ParseFloat(strings.TrimSpace(v.Text), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		t.num, t.numOK = f, true
	}
	if lo, ok := parseDateMath(v.Text, c.now, false); ok {
		if hi, ok := parseDateMath(v.Text, c.now, true); ok {
			t.lo, t.hi, t.dateOK = lo, hi, true
		}
	}
	if p, err := netip.ParsePrefix(v.Text); err == nil {
		t.prefix, t.ipOK = p.Masked(), true
	} else if a, err := netip.ParseAddr(v.Text); err == nil {
		t.prefix, t.ipOK = netip.PrefixFrom(a, a.BitLen()), true
	}
	switch v.Text {
	case "true":
		t.boolean, t.boolOK = true, true
	case "false":
		t.boolOK = true
	}
	return t
}

// parses reports whether the value can be queried on a field of kind k.
func (t *term) parses(k kind) bool {
	switch k {
	case kNumber:
		return t.numOK
	case kDate:
		return t.dateOK
	case kIP:
		return t.ipOK
	case kBool:
		return t.boolOK
	case kNone:
		return false
	}
	return true
}

// match tests one single value of kind k. ci applies to keyword terms and
// wildcards; fieldless (multi_match) queries pass false.
func (t *term) match(k kind, v doc.Value, ci bool) bool {
	if t.wild {
		switch k {
		case kKeyword, kVersion:
			if ci {
				return t.globCI.match(v.S)
			}
			return t.globCS.match(v.S)
		case kText:
			for i := range t.wtoks {
				g := &t.wtoks[i]
				hit := false
				forEachToken(v.S, func(tok string) bool {
					hit = g.match(tok)
					return !hit
				})
				if hit {
					return true
				}
			}
		}
		return false
	}
	switch k {
	case kKeyword:
		if ci {
			return equalFold(v.S, t.text)
		}
		return v.S == t.text
	case kVersion:
		return v.S == t.text
	case kText:
		if t.phrase {
			return containsPhrase(v.S, t.tokens)
		}
		hit := false
		forEachToken(v.S, func(tok string) bool {
			for _, q := range t.tokens {
				if eqLower(tok, q) {
					hit = true
					return false
				}
			}
			return true
		})
		return hit
	case kNumber:
		return t.numOK && v.AsFloat() == t.num
	case kDate:
		ms := v.I
		if v.T == doc.DateNanos {
			ms = int64(math.Floor(float64(v.I) / 1e6))
		}
		return t.dateOK && ms >= t.lo && ms <= t.hi
	case kIP:
		return t.ipOK && t.prefix.Contains(v.Addr())
	case kBool:
		return t.boolOK && v.Bool() == t.boolean
	}
	return false
}

// containsPhrase reports whether the analyzed s holds the tokens in order
// and adjacent (match_phrase with slop 0).
func containsPhrase(s string, q []string) bool {
	if len(q) == 0 {
		return false
	}
	// Collect the tokens, then look for q at each start (phrases are short).
	var toks []string
	forEachToken(s, func(tok string) bool {
		toks = append(toks, tok)
		return true
	})
	for i := 0; i+len(q) <= len(toks); i++ {
		ok := true
		for j := range q {
			if !eqLower(toks[i+j], q[j]) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (c *compiler) fieldMatch(n *Match, fs []fieldRef, strict, ci bool) (pred, error) {
	t := c.newTerm(n.Value)
	var keep []fieldRef
	for _, f := range fs {
		if f.kind != kNone && !t.wild && !t.parses(f.kind) {
			// A concrete field makes Elasticsearch fail the whole query; a
			// pattern (or a lenient multi_match) just skips the field.
			if strict {
				return nil, c.errAt(n.P, "failed to create query: field [%s] of type [%s] cannot match [%s]", f.name, kindNames[f.kind], n.Value.Text)
			}
			continue
		}
		keep = append(keep, f)
	}
	return orPreds(keep, func(f fieldRef) pred {
		if f.pattern == nil && f.kind == kKeyword && f.parent == "" && f.ignAbv == 0 && !t.wild {
			// Fast path for the common keyword term.
			name, text := f.name, t.text
			eq := func(a string) bool { return a == text }
			if ci {
				eq = func(a string) bool { return equalFold(a, text) }
			}
			return func(d *doc.Document) bool {
				v := d.Get(name)
				if v.M == nil {
					return v.T != doc.Null && eq(v.S)
				}
				for _, e := range v.M {
					if eq(e.S) {
						return true
					}
				}
				return false
			}
		}
		return func(d *doc.Document) bool {
			return f.any(d, func(k kind, v doc.Value) bool { return t.match(k, v, ci) })
		}
	}), nil
}

// fieldless compiles a term without a field: a lenient multi_match (or
// query_string for wildcards) over the default fields. Keyword fields are
// matched exactly there: multi_match has no case_insensitive option.
func (c *compiler) fieldless(n *Match, pats []string) (pred, error) {
	if len(pats) == 0 {
		pats = []string{"*"}
	}
	var fs []fieldRef
	seen := map[string]bool{}
	for _, p := range pats {
		for _, f := range c.resolve(FieldRef{Name: p}, "") {
			if !seen[f.name] {
				seen[f.name] = true
				fs = append(fs, f)
			}
		}
	}
	return c.fieldMatch(n, fs, false, false)
}

func (c *compiler) rangeMatch(n *Range, fs []fieldRef) (pred, error) {
	text := n.Value.Text
	num, numErr := strconv.ParseFloat(strings.TrimSpace(text), 64)
	up := n.Op == OpGT || n.Op == OpLTE
	ms, dateOK := parseDateMath(text, c.now, up)
	var ip [16]byte
	a, ipErr := netip.ParseAddr(text)
	if ipErr == nil {
		ip = a.As16()
	}
	ipS := string(ip[:])
	okFor := func(k kind) bool {
		switch k {
		case kNumber:
			return numErr == nil && !math.IsNaN(num)
		case kDate:
			return dateOK
		case kIP:
			return ipErr == nil
		case kBool:
			return text == "true" || text == "false"
		case kNone:
			return false
		}
		return true
	}
	cmp := func(c int) bool {
		switch n.Op {
		case OpLT:
			return c < 0
		case OpLTE:
			return c <= 0
		case OpGT:
			return c > 0
		}
		return c >= 0
	}
	strict := !n.Field.IsPattern()
	var keep []fieldRef
	for _, f := range fs {
		if f.kind != kNone && !okFor(f.kind) {
			if strict {
				return nil, c.errAt(n.P, "failed to create query: field [%s] of type [%s] cannot compare with [%s]", f.name, kindNames[f.kind], text)
			}
			continue
		}
		keep = append(keep, f)
	}
	lowerBound := strings.ToLower(text)
	match := func(k kind, v doc.Value) bool {
		if !okFor(k) {
			return false
		}
		switch k {
		case kKeyword, kVersion:
			return cmp(strings.Compare(v.S, text))
		case kText:
			// Range on text compares the indexed (lower-cased) terms.
			hit := false
			forEachToken(v.S, func(tok string) bool {
				hit = cmp(strings.Compare(strings.ToLower(tok), lowerBound))
				return !hit
			})
			return hit
		case kNumber:
			f := v.AsFloat()
			switch {
			case f < num:
				return cmp(-1)
			case f > num:
				return cmp(1)
			}
			return cmp(0)
		case kDate:
			x := v.I
			if v.T == doc.DateNanos {
				x = int64(math.Floor(float64(v.I) / 1e6))
			}
			switch {
			case x < ms:
				return cmp(-1)
			case x > ms:
				return cmp(1)
			}
			return cmp(0)
		case kIP:
			return cmp(strings.Compare(v.S, ipS))
		case kBool:
			b := int64(0)
			if text == "true" {
				b = 1
			}
			return cmp(int(v.I - b))
		}
		return false
	}
	return orPreds(keep, func(f fieldRef) pred {
		return func(d *doc.Document) bool { return f.any(d, match) }
	}), nil
}

// keywordSet compiles `f:a or f:b or …` on one plain keyword field (a value
// list such as the seed rule's) into a single lookup tested against the set,
// instead of one field lookup per alternative.
func (c *compiler) keywordSet(n *Bool, prefix string) pred {
	if n.Op != OpOr || c.m == nil || len(n.Children) < 2 {
		return nil
	}
	var field FieldRef
	vals := make([]string, 0, len(n.Children))
	for i, ch := range n.Children {
		mt, ok := ch.(*Match)
		if !ok || !mt.HasField || mt.Field.IsPattern() || mt.Value.HasWildcard() || (i > 0 && mt.Field != field) {
			return nil
		}
		field = mt.Field
		vals = append(vals, mt.Value.Text)
	}
	fd, ok := c.m.Lookup(prefix + field.Name)
	if !ok || kindOf(fd.Type) != kKeyword || fd.IgnoreAbove != 0 || fd.Parent != "" {
		return nil
	}
	if field.Quoted && strings.IndexByte(field.Name, '*') >= 0 {
		return nil
	}
	c.fields[fd.Name] = true
	name, ci := fd.Name, c.ci
	in := func(s string) bool {
		for _, v := range vals {
			if s == v || (ci && equalFold(s, v)) {
				return true
			}
		}
		return false
	}
	return func(d *doc.Document) bool {
		v := d.Get(name)
		if v.M == nil {
			return v.T != doc.Null && in(v.S)
		}
		for _, e := range v.M {
			if in(e.S) {
				return true
			}
		}
		return false
	}
}

// equalFold is strings.EqualFold with an ASCII fast path.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		// Unicode folding can change byte length (e.g. K and the Kelvin sign).
		return hasNonASCII(a, b) && strings.EqualFold(a, b)
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if x >= utf8.RuneSelf || y >= utf8.RuneSelf {
			return strings.EqualFold(a, b)
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func hasNonASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if a[i] >= utf8.RuneSelf {
			return true
		}
	}
	for i := 0; i < len(b); i++ {
		if b[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}
