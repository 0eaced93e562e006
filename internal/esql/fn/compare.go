package fn

import (
	"math"
	"strings"

	"vigil/internal/doc"
)

// cmpFamily groups types that compare with each other.
type cmpFamily int

const (
	famNone cmpFamily = iota
	famNumeric
	famString
	famTemporal
	famBool
	famIP
	famVersion
	famDuration
	famPeriod
)

func familyOf(t doc.Type) cmpFamily {
	switch {
	case t.IsNumeric():
		return famNumeric
	case t.IsString():
		return famString
	case t.IsTemporal():
		return famTemporal
	}
	switch t {
	case doc.Boolean:
		return famBool
	case doc.IP:
		return famIP
	case doc.Version:
		return famVersion
	case doc.TimeDuration:
		return famDuration
	case doc.DatePeriod:
		return famPeriod
	}
	return famNone
}

// comparison resolves == != < <= > >=. Strings on one side of a datetime, ip
// or version comparison are converted per row (ES only allows that for
// literals, which the analyzer folds, so this path is rarely hot).
func comparison(op Op, l, r doc.Type) (doc.Type, Eval, error) {
	if l == doc.Null || r == doc.Null {
		return doc.Boolean, nullEval, nil
	}
	fl, fr := familyOf(l), familyOf(r)
	ordered := op != Eq && op != Neq
	test := cmpTests[op]
	if fl != fr {
		// A string literal against a typed value: convert it.
		var typ doc.Type
		switch {
		case fl == famString && (fr == famTemporal || fr == famIP || fr == famVersion):
			typ = r
		case fr == famString && (fl == famTemporal || fl == famIP || fl == famVersion):
			typ = l
		default:
			return doc.Null, nil, &OperandError{Left: l, Right: r}
		}
		conv := stringConverter(typ)
		strLeft := fl == famString
		return doc.Boolean, strict2(func(a, b doc.Value) (doc.Value, error) {
			var err error
			if strLeft {
				a, err = conv(a)
			} else {
				b, err = conv(b)
			}
			if err != nil {
				return doc.Value{}, err
			}
			return doc.Bool(test(Compare(a, b))), nil
		}), nil
	}
	switch fl {
	case famNone, famDuration, famPeriod:
		return doc.Null, nil, &TypeError{Arg: 0, Expected: "numeric, keyword, text, ip, version or datetime", Found: l}
	case famBool:
		if ordered {
			return doc.Null, nil, &TypeError{Arg: 0, Expected: "numeric, keyword, text, ip, version or datetime", Found: l}
		}
		return doc.Boolean, strict2(func(a, b doc.Value) (doc.Value, error) {
			return doc.Bool(test(cmpI64(a.I, b.I))), nil
		}), nil
	case famNumeric:
		if (l == doc.UnsignedLong) != (r == doc.UnsignedLong) {
			return doc.Null, nil, uLongMix(l, r)
		}
		if l == doc.Double || r == doc.Double {
			// Java primitive comparisons: NaN is unequal and unordered.
			return doc.Boolean, strict2(func(a, b doc.Value) (doc.Value, error) {
				x, y := a.AsFloat(), b.AsFloat()
				var res bool
				switch op {
				case Eq:
					res = x == y
				case Neq:
					res = x != y
				case Lt:
					res = x < y
				case Lte:
					res = x <= y
				case Gt:
					res = x > y
				case Gte:
					res = x >= y
				}
				return doc.Bool(res), nil
			}), nil
		}
		if l != doc.UnsignedLong && r != doc.UnsignedLong {
			return doc.Boolean, strict2(func(a, b doc.Value) (doc.Value, error) {
				c := 0
				if a.I < b.I {
					c = -1
				} else if a.I > b.I {
					c = 1
				}
				return doc.Bool(test(c)), nil
			}), nil
		}
	case famTemporal, famIP:
		if l == r {
			// Same representation: datetimes in I, ips in S (16-byte form).
			if fl == famIP {
				return doc.Boolean, strict2(func(a, b doc.Value) (doc.Value, error) {
					return doc.Bool(test(strings.Compare(a.S, b.S))), nil
				}), nil
			}
			return doc.Boolean, strict2(func(a, b doc.Value) (doc.Value, error) {
				return doc.Bool(test(cmpI64(a.I, b.I))), nil
			}), nil
		}
	case famString:
		switch op {
		case Eq:
			return doc.Boolean, strict2(func(a, b doc.Value) (doc.Value, error) { return doc.Bool(a.S == b.S), nil }), nil
		case Neq:
			return doc.Boolean, strict2(func(a, b doc.Value) (doc.Value, error) { return doc.Bool(a.S != b.S), nil }), nil
		}
		return doc.Boolean, strict2(func(a, b doc.Value) (doc.Value, error) {
			return doc.Bool(test(strings.Compare(a.S, b.S))), nil
		}), nil
	}
	return doc.Boolean, strict2(func(a, b doc.Value) (doc.Value, error) {
		return doc.Bool(test(Compare(a, b))), nil
	}), nil
}

var cmpTests = [...]func(int) bool{
	Eq:  func(c int) bool { return c == 0 },
	Neq: func(c int) bool { return c != 0 },
	Lt:  func(c int) bool { return c < 0 },
	Lte: func(c int) bool { return c <= 0 },
	Gt:  func(c int) bool { return c > 0 },
	Gte: func(c int) bool { return c >= 0 },
	Mod: nil,
}

// InsensitiveEquals is the =~ operator on two strings: equality under
// Unicode case folding, with the argument checks of InsensitiveEqualsEvaluator.
var InsensitiveEquals = strict2(func(a, b doc.Value) (doc.Value, error) {
	return doc.Bool(strings.EqualFold(a.S, b.S)), nil
})

// Compare is the total order of two non-null single values of one type
// family, as SORT and MIN/MAX use it: numbers across integer, long,
// unsigned_long and double (NaN last and -0.0 < 0.0, like Double.compare);
// strings byte-wise on UTF-8 (Lucene's BytesRef order); datetime against
// date_nanos exactly; ip by its 16-byte form; version by semantic version
// rules; false < true. Values of different families order by type.
func Compare(a, b doc.Value) int {
	fa, fb := familyOf(a.T), familyOf(b.T)
	if fa != fb {
		return cmpI64(int64(fa), int64(fb))
	}
	switch fa {
	case famNumeric:
		return compareNumbers(a, b)
	case famString, famIP:
		return strings.Compare(a.S, b.S)
	case famTemporal:
		if a.T == b.T {
			return cmpI64(a.I, b.I)
		}
		if a.T == doc.Date {
			return -compareMillisNanos(b.I, a.I)
		}
		return compareMillisNanos(a.I, b.I)
	case famVersion:
		return compareVersions(a.S, b.S)
	case famPeriod:
		if c := cmpI64(a.I, b.I); c != 0 {
			return c
		}
		return cmpI64(int64(a.F), int64(b.F))
	}
	if a.T == doc.Source {
		return strings.Compare(a.S, b.S) // _source: by its JSON text
	}
	return cmpI64(a.I, b.I)
}

// compareMillisNanos compares a nanosecond instant with a millisecond one.
func compareMillisNanos(ns, ms int64) int {
	q := floorDivI64(ns, 1e6)
	if c := cmpI64(q, ms); c != 0 {
		return c
	}
	if ns-q*1e6 > 0 {
		return 1
	}
	return 0
}

func cmpI64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareNumbers(a, b doc.Value) int {
	if a.T == doc.Double || b.T == doc.Double {
		return javaDoubleCompare(a.AsFloat(), b.AsFloat())
	}
	au, bu := a.T == doc.UnsignedLong, b.T == doc.UnsignedLong
	switch {
	case au && bu:
		x, y := uint64(a.I), uint64(b.I)
		if x < y {
			return -1
		} else if x > y {
			return 1
		}
		return 0
	case au: // a >= 2^63 as signed is negative: it is larger than any long
		if a.I < 0 || b.I < 0 {
			return 1
		}
	case bu:
		if b.I < 0 || a.I < 0 {
			return -1
		}
	}
	return cmpI64(a.I, b.I)
}

// javaDoubleCompare orders like java.lang.Double.compare.
func javaDoubleCompare(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	xn, yn := math.IsNaN(x), math.IsNaN(y)
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	}
	sx, sy := math.Signbit(x), math.Signbit(y)
	switch {
	case sx == sy:
		return 0
	case sx:
		return -1
	}
	return 1
}

// compareVersions orders versions as Elasticsearch's version field does:
// valid semantic versions (numeric dot-separated core, optional -prerelease
// and +build) before anything else; numeric parts numerically; a prerelease
// before its release; prerelease identifiers numeric-before-alphanumeric.
// Invalid versions sort after valid ones, byte-wise among themselves.
func compareVersions(a, b string) int {
	va, vb := parseVersion(a), parseVersion(b)
	if !va.ok || !vb.ok {
		if va.ok != vb.ok {
			if va.ok {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	}
	n := len(va.core)
	if len(vb.core) < n {
		n = len(vb.core)
	}
	for i := 0; i < n; i++ {
		if c := cmpNumeric(va.core[i], vb.core[i]); c != 0 {
			return c
		}
	}
	if c := cmpI64(int64(len(va.core)), int64(len(vb.core))); c != 0 {
		return c
	}
	if (va.pre == "") != (vb.pre == "") {
		if va.pre == "" {
			return 1
		}
		return -1
	}
	if c := comparePrerelease(va.pre, vb.pre); c != 0 {
		return c
	}
	return strings.Compare(va.build, vb.build)
}

type semVersion struct {
	ok         bool
	core       []string
	pre, build string
}

func parseVersion(s string) semVersion {
	v := semVersion{}
	main := s
	if i := strings.IndexByte(main, '+'); i >= 0 {
		v.build = main[i+1:]
		main = main[:i]
		if !validIdentifiers(v.build, false) {
			return semVersion{}
		}
	}
	if i := strings.IndexByte(main, '-'); i >= 0 {
		v.pre = main[i+1:]
		main = main[:i]
		if !validIdentifiers(v.pre, true) {
			return semVersion{}
		}
	}
	if main == "" {
		return semVersion{}
	}
	v.core = strings.Split(main, ".")
	for _, p := range v.core {
		if !allDigits(p) || (len(p) > 1 && p[0] == '0') {
			return semVersion{}
		}
	}
	v.ok = true
	return v
}

// validIdentifiers checks dot-separated, non-empty [0-9A-Za-z-] identifiers;
// prerelease numeric identifiers may not have leading zeros (semver).
func validIdentifiers(s string, pre bool) bool {
	if s == "" {
		return false
	}
	for _, id := range strings.Split(s, ".") {
		if id == "" || !isAlnumHyphen(id) {
			return false
		}
		if pre && len(id) > 1 && id[0] == '0' && allDigits(id) {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isAlnumHyphen(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// cmpNumeric compares two digit strings without leading zeros numerically.
func cmpNumeric(a, b string) int {
	if c := cmpI64(int64(len(a)), int64(len(b))); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func comparePrerelease(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		da, db := allDigits(pa[i]), allDigits(pb[i])
		var c int
		switch {
		case da && db:
			c = cmpNumeric(pa[i], pb[i])
		case da:
			c = -1
		case db:
			c = 1
		default:
			c = strings.Compare(pa[i], pb[i])
		}
		if c != 0 {
			return c
		}
	}
	return cmpI64(int64(len(pa)), int64(len(pb)))
}
