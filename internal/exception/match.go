package exception

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"unicode/utf8"

	"vigil/internal/doc"
	"vigil/internal/kql"
	"vigil/internal/match/wildcard"
)

type pred func(d *doc.Document) bool

// Matcher is a compiled set of items: a document matches when it matches
// any item (OR across items), an item when it matches every entry (AND).
// It is immutable and safe for concurrent use.
type Matcher struct {
	items  []compiledItem
	fields []string
}

type compiledItem struct {
	item *Item
	pred pred
}

// Len is the number of items.
func (m *Matcher) Len() int {
	if m == nil {
		return 0
	}
	return len(m.items)
}

// Item returns item i.
func (m *Matcher) Item(i int) *Item { return m.items[i].item }

// Match returns the index of the first item the document matches, or -1.
func (m *Matcher) Match(d *doc.Document) int {
	if m == nil {
		return -1
	}
	for i := range m.items {
		if m.items[i].pred(d) {
			return i
		}
	}
	return -1
}

// Fields are the document fields the matcher reads, sorted.
func (m *Matcher) Fields() []string {
	if m == nil {
		return nil
	}
	return m.fields
}

// Compile compiles items against mapping m (nil: each value is typed by
// its own doc.Type, as for a query's output rows). lists are the value
// lists `list` entries name.
func Compile(items []*Item, m *doc.Mapping, lists map[string][]string) (*Matcher, error) {
	c := &compiler{m: m, lists: lists, fields: map[string]bool{}}
	out := &Matcher{}
	for _, it := range items {
		p, err := c.item(it)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", itemName(it), err)
		}
		out.items = append(out.items, compiledItem{item: it, pred: p})
	}
	for f := range c.fields {
		out.fields = append(out.fields, f)
	}
	sort.Strings(out.fields)
	return out, nil
}

func itemName(it *Item) string {
	s := fmt.Sprintf("exception item %q (list %q)", it.ItemID, it.ListID)
	if it.File != "" {
		s = fmt.Sprintf("%s:%d: %s", it.File, it.Line, s)
	}
	return s
}

type compiler struct {
	m      *doc.Mapping
	lists  map[string][]string
	fields map[string]bool
}

// OS fields: Kibana's transformOsType matches host.os.type, and
// host.os.name.caseless for Endgame/Endpoint agents.
const (
	osTypeField     = "host.os.type"
	osCaselessField = "host.os.name.caseless"
)

func (c *compiler) item(it *Item) (pred, error) {
	var preds []pred
	if len(it.OSTypes) > 0 {
		var alts []kql.Node
		for _, os := range it.OSTypes {
			alts = append(alts, phrase(osTypeField, os), phrase(osCaselessField, os))
		}
		p, err := c.kql(&kql.Bool{Op: kql.OpOr, Children: alts})
		if err != nil {
			return nil, err
		}
		preds = append(preds, p)
	}
	for i := range it.Entries {
		p, err := c.entry(&it.Entries[i], "")
		if err != nil {
			return nil, err
		}
		preds = append(preds, p)
	}
	return and(preds), nil
}

func and(ps []pred) pred {
	if len(ps) == 1 {
		return ps[0]
	}
	return func(d *doc.Document) bool {
		for _, p := range ps {
			if !p(d) {
				return false
			}
		}
		return true
	}
}

// phrase is Kibana's `match` clause: match_phrase on the field, which on
// keyword fields is an exact, case-sensitive value and on text fields an
// analysed phrase (KQL's quoted value compiles to the same query).
func phrase(field, value string) kql.Node {
	return &kql.Match{HasField: true, Field: kql.FieldRef{Name: field, Quoted: true}, Value: kql.Value{Text: value, Quoted: true}}
}

var caseSensitive = false

func (c *compiler) kql(n kql.Node) (pred, error) {
	mt, err := kql.Compile(n, c.m, kql.Options{Dialect: kql.Kibana, CaseInsensitive: &caseSensitive})
	if err != nil {
		return nil, err
	}
	for _, f := range mt.Fields() {
		c.fields[f] = true
	}
	return mt.Match, nil
}

func (c *compiler) entry(e *Entry, prefix string) (pred, error) {
	field := prefix + e.Field
	var p pred
	var err error
	switch e.Type {
	case TypeMatch:
		p, err = c.kql(phrase(field, e.Value[0]))
	case TypeMatchAny:
		alts := make([]kql.Node, len(e.Value))
		for i, v := range e.Value {
			alts[i] = phrase(field, v)
		}
		if len(alts) == 1 {
			p, err = c.kql(alts[0])
		} else {
			p, err = c.kql(&kql.Bool{Op: kql.OpOr, Children: alts})
		}
	case TypeExists:
		p, err = c.kql(&kql.Exists{Field: kql.FieldRef{Name: field, Quoted: true}})
	case TypeWildcard:
		p, err = c.wildcard(field, e.Value[0])
	case TypeList:
		p, err = c.list(field, e.List)
	case TypeNested:
		return c.nested(e)
	default:
		return nil, fmt.Errorf("unknown entry type %q", e.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("field %q: %w", field, err)
	}
	if e.Operator == Excluded {
		inner := p
		p = func(d *doc.Document) bool { return !inner(d) }
	}
	return p, nil
}

// field resolves a name: its mapped type (Null when unmapped: values are
// then typed by what they hold), ignore_above, and the multi-field parent
// Elasticsearch indexes it from.
func (c *compiler) field(name string) (t doc.Type, ignoreAbove int, parent string) {
	c.fields[name] = true
	if c.m == nil {
		return doc.Null, 0, ""
	}
	fd, ok := c.m.Lookup(name)
	if !ok {
		return doc.Null, 0, ""
	}
	if fd.Parent != "" {
		c.fields[fd.Parent] = true
	}
	return fd.Type, fd.IgnoreAbove, fd.Parent
}

// values calls fn with every single value of the field, stopping at true.
func values(d *doc.Document, name, parent string, fn func(v doc.Value) bool) bool {
	v, ok := d.Lookup(name)
	if !ok && parent != "" {
		v = d.Get(parent)
	}
	for i := 0; i < v.Len(); i++ {
		if fn(v.At(i)) {
			return true
		}
	}
	return false
}

// wildcard is Elasticsearch's wildcard query as Kibana sends it (no
// case_insensitive): on keyword-like fields the whole value against the
// pattern, case-sensitive (values beyond ignore_above are not indexed); on
// text fields each analysed token against the pattern normalised
// (lower-cased) by the field's analyzer. Other types match nothing
// (Elasticsearch rejects the query).
func (c *compiler) wildcard(field, pattern string) (pred, error) {
	t, ignoreAbove, parent := c.field(field)
	exact, err := wildcard.Compile(pattern, false)
	if err != nil {
		return nil, err
	}
	lower, err := wildcard.Compile(strings.ToLower(pattern), false)
	if err != nil {
		return nil, err
	}
	return func(d *doc.Document) bool {
		return values(d, field, parent, func(v doc.Value) bool {
			vt := t
			if vt == doc.Null {
				vt = v.T
			}
			switch vt {
			case doc.Keyword:
				if ignoreAbove > 0 && utf8.RuneCountInString(v.S) > ignoreAbove {
					return false
				}
				return exact.Match(v.S)
			case doc.Text:
				found := false
				kql.EachToken(v.S, func(tok string) bool {
					found = lower.Match(strings.ToLower(tok))
					return !found
				})
				return found
			}
			return false
		})
	}, nil
}

// list is a value-list entry: keyword-like lists are a terms query (any
// value equal, case-sensitive); ip_range lists hold ranges `a-b`, CIDRs
// and addresses; text lists are match queries with operator and (every
// token of a list value among the field's tokens).
func (c *compiler) list(field string, l *ListOf) (pred, error) {
	vals, ok := c.lists[l.ID]
	if !ok {
		return nil, fmt.Errorf("value list %q is not loaded (add %s.txt, one value per line, to the exceptions folder)", l.ID, l.ID)
	}
	_, ignoreAbove, parent := c.field(field)
	switch l.Type {
	case "ip_range", "ip":
		var ranges [][2]netip.Addr
		for _, v := range vals {
			r, ok := parseIPRange(v)
			if !ok {
				return nil, fmt.Errorf("value list %q: %q is not an IP, CIDR or a-b range", l.ID, v)
			}
			ranges = append(ranges, r)
		}
		return func(d *doc.Document) bool {
			return values(d, field, parent, func(v doc.Value) bool {
				var a netip.Addr
				switch v.T {
				case doc.IP:
					a = v.Addr()
				case doc.Keyword, doc.Text:
					a, _ = netip.ParseAddr(v.S)
				}
				if !a.IsValid() {
					return false
				}
				a = a.Unmap()
				for _, r := range ranges {
					if r[0].Compare(a) <= 0 && a.Compare(r[1]) <= 0 {
						return true
					}
				}
				return false
			})
		}, nil
	case "text":
		toks := make([][]string, len(vals))
		for i, v := range vals {
			toks[i] = kql.Analyze(v)
		}
		return func(d *doc.Document) bool {
			return values(d, field, parent, func(v doc.Value) bool {
				have := map[string]bool{}
				for _, tk := range kql.Analyze(v.S) {
					have[tk] = true
				}
			next:
				for _, want := range toks {
					if len(want) == 0 {
						continue
					}
					for _, tk := range want {
						if !have[tk] {
							continue next
						}
					}
					return true
				}
				return false
			})
		}, nil
	}
	// keyword, long, date…: terms. Strings compare exactly; other types go
	// through the value's canonical text.
	set := make(map[string]bool, len(vals))
	for _, v := range vals {
		set[v] = true
	}
	return func(d *doc.Document) bool {
		return values(d, field, parent, func(v doc.Value) bool {
			if v.T == doc.Keyword || v.T == doc.Text {
				if ignoreAbove > 0 && utf8.RuneCountInString(v.S) > ignoreAbove {
					return false
				}
				return set[v.S]
			}
			return set[v.String()]
		})
	}, nil
}

func parseIPRange(s string) ([2]netip.Addr, bool) {
	if lo, hi, ok := strings.Cut(s, "-"); ok {
		a, err1 := netip.ParseAddr(strings.TrimSpace(lo))
		b, err2 := netip.ParseAddr(strings.TrimSpace(hi))
		return [2]netip.Addr{a.Unmap(), b.Unmap()}, err1 == nil && err2 == nil
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		p = p.Masked()
		return [2]netip.Addr{p.Addr().Unmap(), lastAddr(p).Unmap()}, true
	}
	a, err := netip.ParseAddr(s)
	return [2]netip.Addr{a.Unmap(), a.Unmap()}, err == nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := range b {
		keep := p.Bits() - i*8
		switch {
		case keep <= 0:
			b[i] = 0xff
		case keep < 8:
			b[i] |= 0xff >> keep
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// nested is Kibana's nested clause, Elasticsearch's nested query: every
// inner entry must hold on one object of the field. Where the mapping
// declares the path nested, each object is a document of its own
// (doc.Document.Nested, decoded when a rule reads a field under the path)
// and inner fields are typed as mapped. Elsewhere (an object or unmapped
// path, where Elasticsearch refuses a nested query) documents are
// flattened, so which values came from the same object is lost: the entry
// is exact when every inner field holds at most one value (one object),
// and otherwise does not match, so an ambiguous document keeps its alert;
// inner fields are then typed by their values (see docs/exceptions.md).
func (c *compiler) nested(e *Entry) (pred, error) {
	sub := &compiler{lists: c.lists, fields: c.fields}
	mapped := false
	if c.m != nil {
		o, ok := c.m.LookupObject(e.Field)
		mapped = ok && o.Nested
	}
	if mapped {
		sub.m = c.m
	}
	var inner []pred
	var names []string
	for i := range e.Entries {
		p, err := sub.entry(&e.Entries[i], e.Field+".")
		if err != nil {
			return nil, err
		}
		inner = append(inner, p)
		names = append(names, e.Field+"."+e.Entries[i].Field)
	}
	all := and(inner)
	if mapped {
		path := e.Field
		return func(d *doc.Document) bool { return d.AnyNested(path, all) }, nil
	}
	return func(d *doc.Document) bool {
		for _, n := range names {
			if d.Get(n).Len() > 1 {
				return false
			}
		}
		return all(d)
	}, nil
}
