package eql

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf16"

	"vigil/internal/doc"
)

// function describes one EQL function: its arity bounds, whether it has a
// case-insensitive `name~` form, and its body over already evaluated
// arguments (single values; a null argument makes the result null unless
// the function says otherwise).
type function struct {
	min, max int // max < 0: variadic
	tilde    bool
	result   doc.Type
	eval     func(args []doc.Value, ci bool) doc.Value
}

// functions are Elasticsearch's EQL functions (EQL function reference,
// https://www.elastic.co/guide/en/elasticsearch/reference/current/eql-function-ref.html).
var functions = map[string]function{
	"add":            {2, 2, false, doc.Null, arithFn("+")},
	"subtract":       {2, 2, false, doc.Null, arithFn("-")},
	"multiply":       {2, 2, false, doc.Null, arithFn("*")},
	"divide":         {2, 2, false, doc.Null, arithFn("/")},
	"modulo":         {2, 2, false, doc.Null, arithFn("%")},
	"between":        {3, 4, true, doc.Keyword, between},
	"cidrMatch":      {2, -1, false, doc.Boolean, cidrMatch},
	"concat":         {1, -1, false, doc.Keyword, concat},
	"endsWith":       {2, 2, true, doc.Boolean, strPred(strings.HasSuffix)},
	"startsWith":     {2, 2, true, doc.Boolean, strPred(strings.HasPrefix)},
	"stringContains": {2, 2, true, doc.Boolean, strPred(strings.Contains)},
	"indexOf":        {2, 3, true, doc.Integer, indexOf},
	"length":         {1, 1, false, doc.Integer, length},
	"number":         {1, 2, false, doc.Null, number},
	"string":         {1, 1, false, doc.Keyword, toString},
	"substring":      {2, 3, false, doc.Keyword, substring},
}

func (c *compiler) call(e *Call) node {
	f, ok := lookupFunction(e.Name)
	if !ok {
		c.errorf(e.At, "Unknown function [%s]", e.Name)
		return constNode(doc.Value{})
	}
	if e.CI && !f.tilde {
		c.errorf(e.At, "Function [%s] does not support case-insensitive (~) matching", e.Name)
	}
	if len(e.Args) < f.min || f.max >= 0 && len(e.Args) > f.max {
		c.errorf(e.At, "error building [%s]: wrong number of arguments [%d]", e.Name, len(e.Args))
		return constNode(doc.Value{})
	}
	args := make([]node, len(e.Args))
	k := true
	for i, a := range e.Args {
		args[i] = c.expr(a)
		k = k && args[i].konst
	}
	if e.Name == "cidrMatch" {
		for _, a := range args[1:] {
			if !a.konst {
				c.errorf(e.At, "second argument of [%s] must be a constant, received [%s]", c.text(e), "field")
			}
		}
	}
	ci, body := e.CI, f.eval
	t := f.result
	if t == doc.Null && len(args) > 0 {
		t = args[0].t
		if len(args) > 1 && args[1].t == doc.Double {
			t = doc.Double
		}
	}
	return fold(node{ev: func(d *doc.Document) doc.Value {
		vals := make([]doc.Value, len(args))
		for i, a := range args {
			vals[i] = first(a.ev(d))
		}
		return body(vals, ci)
	}, t: t, konst: k})
}

// lookupFunction finds a function by name, ignoring case as
// Elasticsearch's function registry does (rules write cidrmatch).
func lookupFunction(name string) (function, bool) {
	f, ok := functions[canonical(name)]
	return f, ok
}

// canonical returns a function name as the functions table spells it.
func canonical(name string) string {
	if _, ok := functions[name]; ok {
		return name
	}
	for n := range functions {
		if strings.EqualFold(n, name) {
			return n
		}
	}
	return name
}

func anyNull(args []doc.Value) bool {
	for _, a := range args {
		if a.IsNull() {
			return true
		}
	}
	return false
}

func arithFn(op string) func([]doc.Value, bool) doc.Value {
	return func(a []doc.Value, _ bool) doc.Value { return arith(op, a[0], a[1]) }
}

// str renders a value as EQL's string functions see it.
func str(v doc.Value) string {
	if isString(v.T) {
		return v.S
	}
	return v.String()
}

func fold2(a, b string, ci bool) (string, string) {
	if ci {
		return strings.ToLower(a), strings.ToLower(b)
	}
	return a, b
}

func strPred(f func(s, sub string) bool) func([]doc.Value, bool) doc.Value {
	return func(a []doc.Value, ci bool) doc.Value {
		if anyNull(a) {
			return doc.Value{}
		}
		s, sub := fold2(str(a[0]), str(a[1]), ci)
		return doc.Bool(f(s, sub))
	}
}

// between returns the text of source between left and right ("" when either
// is absent); greedy takes the last right.
func between(a []doc.Value, ci bool) doc.Value {
	if anyNull(a) {
		return doc.Value{}
	}
	src := str(a[0])
	s, left := fold2(src, str(a[1]), ci)
	_, right := fold2(src, str(a[2]), ci)
	greedy := len(a) > 3 && a[3].T == doc.Boolean && a[3].I != 0
	i := strings.Index(s, left)
	if i < 0 {
		return doc.KeywordOf("")
	}
	i += len(left)
	var j int
	if greedy {
		j = strings.LastIndex(s, right)
		if j < i {
			return doc.KeywordOf("")
		}
	} else {
		j = strings.Index(s[i:], right)
		if j < 0 {
			return doc.KeywordOf("")
		}
		j += i
	}
	return doc.KeywordOf(src[i:j])
}

func cidrMatch(a []doc.Value, _ bool) doc.Value {
	if a[0].IsNull() {
		return doc.Value{}
	}
	var addr netip.Addr
	if a[0].T == doc.IP {
		addr = a[0].Addr()
	} else {
		var err error
		if addr, err = netip.ParseAddr(str(a[0])); err != nil {
			return vFalse
		}
	}
	for _, c := range a[1:] {
		p, err := netip.ParsePrefix(str(c))
		if err != nil {
			if ip, err2 := netip.ParseAddr(str(c)); err2 == nil && ip == addr {
				return vTrue
			}
			continue
		}
		if p.Masked().Contains(addr) {
			return vTrue
		}
	}
	return vFalse
}

func concat(a []doc.Value, _ bool) doc.Value {
	var b strings.Builder
	for _, v := range a {
		if v.IsNull() {
			return doc.Value{}
		}
		b.WriteString(str(v))
	}
	return doc.KeywordOf(b.String())
}

func indexOf(a []doc.Value, ci bool) doc.Value {
	if a[0].IsNull() || a[1].IsNull() {
		return doc.Value{}
	}
	s, sub := fold2(str(a[0]), str(a[1]), ci)
	start := 0
	if len(a) > 2 && !a[2].IsNull() {
		if !isNumeric(a[2].T) {
			return doc.Value{}
		}
		start = int(max(0, min(a[2].AsFloat(), float64(len(s)+1))))
	}
	if start > len(s) {
		return doc.Value{}
	}
	i := strings.Index(s[start:], sub)
	if i < 0 {
		return doc.Value{}
	}
	return doc.Int(int32(start + i))
}

// length counts UTF-16 code units, as Java's String.length does.
func length(a []doc.Value, _ bool) doc.Value {
	if a[0].IsNull() {
		return doc.Value{}
	}
	return doc.Int(int32(len(utf16.Encode([]rune(str(a[0]))))))
}

func number(a []doc.Value, _ bool) doc.Value {
	if a[0].IsNull() {
		return doc.Value{}
	}
	s := strings.TrimSpace(str(a[0]))
	base := 10
	if len(a) > 1 && !a[1].IsNull() {
		base = int(a[1].AsFloat())
	}
	if base == 16 {
		s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	}
	if i, err := strconv.ParseInt(s, base, 64); err == nil {
		return doc.Long64(i)
	}
	if base == 10 {
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) {
			return doc.Float(f)
		}
	}
	return doc.Value{}
}

func toString(a []doc.Value, _ bool) doc.Value {
	if a[0].IsNull() {
		return doc.Value{}
	}
	return doc.KeywordOf(str(a[0]))
}

// substring takes characters [start, end) with Python's negative-index
// rules, as EQL defines it.
func substring(a []doc.Value, _ bool) doc.Value {
	if a[0].IsNull() || a[1].IsNull() {
		return doc.Value{}
	}
	r := []rune(str(a[0]))
	n := len(r)
	idx := func(v doc.Value) int {
		i := int(max(-1e9, min(1e9, v.AsFloat())))
		if i < 0 {
			i += n
		}
		return max(0, min(n, i))
	}
	start, end := idx(a[1]), n
	if len(a) > 2 && !a[2].IsNull() {
		end = idx(a[2])
	}
	if start >= end {
		return doc.KeywordOf("")
	}
	return doc.KeywordOf(string(r[start:end]))
}
