package esql

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"vigil/internal/doc"
	"vigil/internal/esql/fn"
	"vigil/internal/esql/logical"
	"vigil/internal/kql"
	"vigil/internal/match/editdistance"
)

// Full-text matching: MATCH(field, query[, {options}]) and `field : query`.
// Elasticsearch runs them as a Lucene match query on the field, so Vigil
// answers as that query would on the document's indexed terms
// (docs: ES|QL search functions, MATCH; the match query reference):
//   - keyword fields index the whole value (no normalizer in the shipped
//     mappings): the query matches a value equal to it;
//   - text fields are analyzed with the standard analyzer, and so is the
//     query; by default any query term present matches (operator OR), with
//     "operator": "AND" all must be; the terms of all values of a
//     multi-valued field count together, as Lucene indexes them in one field;
//   - other types compare the query, converted to the field's type, with
//     each value;
//   - "fuzziness" (0, 1, 2, "AUTO", "AUTO:low,high") accepts terms within
//     that many edits (a transposition is one edit unless
//     "fuzzy_transpositions" is false; the first "prefix_length" characters
//     must agree);
//   - a document without the field does not match: the result is false,
//     never null, so `NOT field : "x"` keeps documents lacking the field, as
//     Lucene's must_not does.
//
// The field must be a column read from the document (possibly through a
// cast, as in `MATCH(f::STRING, …)`, which still queries the field itself);
// the query a constant.

// matchOptionNames are the options Elasticsearch's MATCH accepts.
var matchOptionNames = []string{"analyzer", "auto_generate_synonyms_phrase_query", "boost", "fuzziness", "fuzzy_rewrite",
	"fuzzy_transpositions", "lenient", "max_expansions", "minimum_should_match", "operator", "prefix_length"}

type matchOptions struct {
	fuzzAuto  bool
	autoLo    int // AUTO: terms shorter than autoLo allow no edit,
	autoHi    int // shorter than autoHi one, others two
	edits     int
	prefix    int
	transpose bool
	and       bool // operator AND
}

func (c *compiler) matchCall(e *Call, sc *scope) *cexpr {
	if len(e.Args) < 2 || len(e.Args) > 3 {
		return c.errf(e.P, arityMsg(e, 2, 3))
	}
	var opts *MapExpr
	if len(e.Args) == 3 {
		m, ok := e.Args[2].(*MapExpr)
		if !ok {
			return c.errf(e.Args[2].Pos(), "third argument of ["+e.Txt+"] must be a map expression, found value ["+e.Args[2].Src()+"]")
		}
		opts = m
	}
	return c.fullText("MATCH", false, e.Txt, e.P, e.Args[0], e.Args[1], opts, sc)
}

func (c *compiler) matchOperator(e *Binary, sc *scope) *cexpr {
	return c.fullText(":", true, e.Txt, e.P, e.L, e.R, nil, sc)
}

// fullText compiles MATCH (op false) or the ':' operator (op true): in the
// logical plan a function or operator call over the field and the query,
// its Eval answering from the field's value.
func (c *compiler) fullText(name string, op bool, src string, p Pos, fieldArg, queryArg Expr, opts *MapExpr, sc *scope) *cexpr {
	kind, what := logical.Function, "function"
	if op {
		kind, what = logical.Operator, "operator"
	}
	fieldX := fieldArg
	if cast, ok := fieldArg.(*Cast); ok {
		fieldX = cast.X
	}
	nerr := len(c.errs)
	f := c.expr(fieldX, sc)
	q := c.expr(queryArg, sc)
	if len(c.errs) > nerr {
		return constExpr(doc.Value{}, doc.Null, src, p)
	}
	if f.field == "" { // Match.postAnalysisPlanVerification's wording
		return c.errf(fieldArg.Pos(), "["+name+"] "+what+" cannot operate on ["+fieldArg.Src()+"], which is not a field from an index mapping")
	}
	switch f.t {
	case doc.Keyword, doc.Text, doc.Boolean, doc.Date, doc.DateNanos, doc.Double, doc.Integer, doc.IP, doc.Long,
		doc.UnsignedLong, doc.Version:
	default:
		return c.errf(fieldArg.Pos(), "first argument of ["+src+"] must be [keyword, text, boolean, date, date_nanos, double, integer, ip, long, unsigned_long or version], found value ["+fieldArg.Src()+"] type ["+f.t.String()+"]")
	}
	if !q.konst {
		return c.errf(queryArg.Pos(), "second argument of ["+src+"] must be a constant, received ["+queryArg.Src()+"]")
	}
	if q.val.IsNull() || q.val.IsMulti() {
		return c.errf(queryArg.Pos(), "second argument of ["+src+"] must be a single non-null value, found value ["+queryArg.Src()+"]")
	}
	o, msg := c.matchOpts(src, opts, sc)
	if msg != "" {
		return c.errf(opts.P, msg)
	}
	match, err := valueMatcher(f.t, q.val, o)
	if err != nil {
		return c.errf(queryArg.Pos(), "Invalid query ["+q.val.String()+"] for ["+src+"]: "+err.Error())
	}
	ev := func(args []doc.Value) (doc.Value, error) { return doc.Bool(match(args[0])), nil }
	return c.apply(src, p, doc.Boolean, ev, []*cexpr{f, q}, kind, name)
}

// matchOpts reads MATCH's option map; msg is a positioned error's text.
func (c *compiler) matchOpts(src string, m *MapExpr, sc *scope) (o matchOptions, msg string) {
	o = matchOptions{transpose: true}
	if m == nil {
		return o, ""
	}
	for i, k := range m.Keys {
		known := false
		for _, n := range matchOptionNames {
			known = known || n == k
		}
		if !known {
			return o, "Invalid option [" + k + "] in [" + src + "], expected one of [" + strings.Join(matchOptionNames, ", ") + "]"
		}
		x := c.expr(m.Vals[i], sc)
		if !x.konst || x.val.IsNull() || x.val.IsMulti() {
			return o, "Invalid option [" + k + "] in [" + src + "], the value must be a constant"
		}
		v := x.val
		bad := func() (matchOptions, string) {
			return o, "Invalid option [" + k + "] in [" + src + "], cannot cast [" + v.String() + "]"
		}
		switch k {
		case "fuzziness":
			s := strings.ToUpper(v.String())
			switch {
			case s == "AUTO":
				o.fuzzAuto, o.autoLo, o.autoHi = true, 3, 6
			case strings.HasPrefix(s, "AUTO:"):
				lo, hi, ok := strings.Cut(s[5:], ",")
				l, err1 := strconv.Atoi(lo)
				h, err2 := strconv.Atoi(hi)
				if !ok || err1 != nil || err2 != nil || l < 0 || h < l {
					return bad()
				}
				o.fuzzAuto, o.autoLo, o.autoHi = true, l, h
			default:
				n, err := strconv.Atoi(s)
				if err != nil || n < 0 || n > 2 {
					return bad()
				}
				o.edits = n
			}
		case "fuzzy_transpositions":
			if v.T != doc.Boolean {
				return bad()
			}
			o.transpose = v.Bool()
		case "prefix_length", "max_expansions":
			n, err := strconv.Atoi(v.String())
			if err != nil || n < 0 {
				return bad()
			}
			if k == "prefix_length" {
				o.prefix = n
			} // max_expansions: every term of the document is considered
		case "operator":
			switch strings.ToUpper(v.String()) {
			case "OR":
			case "AND":
				o.and = true
			default:
				return bad()
			}
		case "boost", "lenient":
			// scoring and error leniency do not change which documents match here
		default:
			return o, "[MATCH] option [" + k + "] is not supported yet"
		}
	}
	return o, ""
}

// valueMatcher builds the per-row test of a field of type t against query q.
func valueMatcher(t doc.Type, q doc.Value, o matchOptions) (func(doc.Value) bool, error) {
	switch t {
	case doc.Keyword:
		term := q.String()
		return func(v doc.Value) bool {
			for _, e := range valuesOf(v) {
				if o.termMatches(e.S, term) {
					return true
				}
			}
			return false
		}, nil
	case doc.Text:
		terms := kql.Analyze(q.String())
		if len(terms) == 0 {
			return func(doc.Value) bool { return false }, nil // no query terms match no document
		}
		fuzzy := o.edits > 0 || o.fuzzAuto
		return func(v doc.Value) bool {
			// found[i]: query term i is among the field's terms; the
			// common case (OR, no fuzziness) stops at the first hit
			// without allocating.
			var small [8]bool
			found := small[:0]
			if len(terms) <= len(small) {
				found = small[:len(terms)]
			} else {
				found = make([]bool, len(terms))
			}
			hit := false
			for _, e := range valuesOf(v) {
				kql.EachToken(e.S, func(tok string) bool {
					var lower string
					if fuzzy {
						lower = strings.ToLower(tok)
					}
					for i, term := range terms {
						if found[i] {
							continue
						}
						if fuzzy && o.termMatches(lower, term) || !fuzzy && kql.TokenIs(tok, term) {
							found[i] = true
							hit = true
						}
					}
					return o.and || !hit
				})
			}
			if !o.and {
				return hit
			}
			for _, f := range found {
				if !f {
					return false
				}
			}
			return true
		}, nil
	}
	want := q
	if q.T != t {
		conv, err := fn.Cast(q.T, t)
		if err != nil {
			return nil, err
		}
		if want, err = conv([]doc.Value{q}); err != nil || want.IsNull() {
			if err == nil {
				err = errors.New("cannot convert to " + t.String())
			}
			return nil, err
		}
	}
	key := want.String()
	return func(v doc.Value) bool {
		for _, e := range valuesOf(v) {
			if e.String() == key {
				return true
			}
		}
		return false
	}, nil
}

// valuesOf lists a value's elements (none for null).
func valuesOf(v doc.Value) []doc.Value {
	switch {
	case v.IsNull():
		return nil
	case v.M != nil:
		return v.M
	}
	return []doc.Value{v}
}

// termMatches compares an indexed term with a query term under the fuzziness options.
func (o matchOptions) termMatches(have, term string) bool {
	if have == term {
		return true
	}
	edits := o.edits
	if o.fuzzAuto {
		switch n := utf8.RuneCountInString(term); {
		case n < o.autoLo:
			edits = 0
		case n < o.autoHi:
			edits = 1
		default:
			edits = 2
		}
	}
	if edits == 0 {
		return false
	}
	a, b := []rune(have), []rune(term)
	if o.prefix > 0 {
		n := min(o.prefix, len(b))
		if len(a) < n || string(a[:n]) != string(b[:n]) {
			return false
		}
	}
	return editdistance.Bounded(a, b, o.transpose, edits) <= edits
}
