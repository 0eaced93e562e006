package eql

import (
	"cmp"
	"math"
	"net/netip"
	"strings"

	"vigil/internal/doc"
)

// evaluator computes an expression for one event. Conditions yield a
// Boolean or null (three-valued logic, as Elasticsearch's EQL: a comparison
// with null is null, and `not null` is null).
type evaluator func(d *doc.Document) doc.Value

var (
	vTrue  = doc.Bool(true)
	vFalse = doc.Bool(false)
)

func truth(v doc.Value) (val, known bool) {
	if v.T != doc.Boolean || v.M != nil {
		return false, false
	}
	return v.I != 0, true
}

func isNumeric(t doc.Type) bool { return t.IsNumeric() }
func isString(t doc.Type) bool  { return t == doc.Keyword || t == doc.Text || t == doc.Version }

// compareScalars orders two single values; ok is false when they are not
// comparable (different kinds).
func compareScalars(a, b doc.Value) (int, bool) {
	switch {
	case isNumeric(a.T) && isNumeric(b.T):
		if a.T != doc.Double && b.T != doc.Double && a.T != doc.UnsignedLong && b.T != doc.UnsignedLong {
			return cmp.Compare(a.I, b.I), true
		}
		x, y := a.AsFloat(), b.AsFloat()
		if math.IsNaN(x) || math.IsNaN(y) {
			return 0, false
		}
		return cmp.Compare(x, y), true
	case isString(a.T) && isString(b.T):
		return strings.Compare(a.S, b.S), true
	case a.T == doc.Boolean && b.T == doc.Boolean:
		return cmp.Compare(a.I, b.I), true
	case a.T.IsTemporal() && b.T.IsTemporal():
		return cmp.Compare(nanos(a), nanos(b)), true
	case a.T.IsTemporal() && isNumeric(b.T):
		return cmp.Compare(a.I, b.I), true
	case isNumeric(a.T) && b.T.IsTemporal():
		return cmp.Compare(a.I, b.I), true
	case a.T == doc.IP && isString(b.T):
		return ipCompare(a, b.S)
	case isString(a.T) && b.T == doc.IP:
		c, ok := ipCompare(b, a.S)
		return -c, ok
	case a.T == doc.IP && b.T == doc.IP:
		return strings.Compare(a.S, b.S), true
	}
	return 0, false
}

func ipCompare(ip doc.Value, s string) (int, bool) {
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return 0, false
	}
	return strings.Compare(ip.S, doc.IPOf(addr).S), true
}

func nanos(v doc.Value) int64 {
	if v.T == doc.Date {
		return v.I * 1e6
	}
	return v.I
}

// anyPair evaluates pred over every pair of elements of a and b: true when
// any pair satisfies it (a multi-valued field matches when one of its values
// does, as the term and range queries Elasticsearch's EQL translates event
// filters to), null when either side is null.
func anyPair(a, b doc.Value, pred func(x, y doc.Value) bool) doc.Value {
	if a.IsNull() || b.IsNull() {
		return doc.Value{}
	}
	for i := 0; i < a.Len(); i++ {
		for j := 0; j < b.Len(); j++ {
			if pred(a.At(i), b.At(j)) {
				return vTrue
			}
		}
	}
	return vFalse
}

func compareOp(op string) func(x, y doc.Value) bool {
	var ok func(c int) bool
	switch op {
	case "==":
		ok = func(c int) bool { return c == 0 }
	case "!=":
		ok = func(c int) bool { return c != 0 }
	case "<":
		ok = func(c int) bool { return c < 0 }
	case "<=":
		ok = func(c int) bool { return c <= 0 }
	case ">":
		ok = func(c int) bool { return c > 0 }
	default:
		ok = func(c int) bool { return c >= 0 }
	}
	return func(x, y doc.Value) bool {
		c, comparable := compareScalars(x, y)
		return comparable && ok(c)
	}
}

func and(a, b evaluator) evaluator {
	return func(d *doc.Document) doc.Value {
		x, xk := truth(a(d))
		if xk && !x {
			return vFalse
		}
		y, yk := truth(b(d))
		switch {
		case yk && !y:
			return vFalse
		case xk && yk:
			return vTrue
		}
		return doc.Value{}
	}
}

func or(a, b evaluator) evaluator {
	return func(d *doc.Document) doc.Value {
		x, xk := truth(a(d))
		if xk && x {
			return vTrue
		}
		y, yk := truth(b(d))
		switch {
		case yk && y:
			return vTrue
		case xk && yk:
			return vFalse
		}
		return doc.Value{}
	}
}

func not(a evaluator) evaluator {
	return func(d *doc.Document) doc.Value {
		x, k := truth(a(d))
		if !k {
			return doc.Value{}
		}
		return doc.Bool(!x)
	}
}

// arith applies + - * / % to two numbers: integer arithmetic when both are
// integral (Java's truncating division), double otherwise; null when either
// is null or on division by zero.
func arith(op string, a, b doc.Value) doc.Value {
	if a.IsNull() || b.IsNull() || a.IsMulti() || b.IsMulti() || !isNumeric(a.T) || !isNumeric(b.T) {
		return doc.Value{}
	}
	if a.T != doc.Double && b.T != doc.Double {
		x, y := a.I, b.I
		switch op {
		case "+":
			return doc.Long64(x + y)
		case "-":
			return doc.Long64(x - y)
		case "*":
			return doc.Long64(x * y)
		case "/":
			if y == 0 || x == math.MinInt64 && y == -1 {
				return doc.Value{}
			}
			return doc.Long64(x / y)
		default:
			if y == 0 || y == -1 {
				if y == -1 {
					return doc.Long64(0)
				}
				return doc.Value{}
			}
			return doc.Long64(x % y)
		}
	}
	x, y := a.AsFloat(), b.AsFloat()
	switch op {
	case "+":
		return doc.Float(x + y)
	case "-":
		return doc.Float(x - y)
	case "*":
		return doc.Float(x * y)
	case "/":
		if y == 0 {
			return doc.Value{}
		}
		return doc.Float(x / y)
	default:
		if y == 0 {
			return doc.Value{}
		}
		return doc.Float(math.Mod(x, y))
	}
}

// first returns the first value of a possibly multi-valued value: functions
// other than comparisons read one value, as Elasticsearch's scripts do.
func first(v doc.Value) doc.Value {
	if v.M != nil {
		return v.M[0]
	}
	return v
}
