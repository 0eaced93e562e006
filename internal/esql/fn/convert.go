package fn

import (
	"math"
	"net/netip"
	"strconv"
	"strings"

	"vigil/internal/doc"
)

// convFn converts one single value; an error drops the value with a warning.
type convFn func(v doc.Value) (doc.Value, error)

const invalidArg = "org.elasticsearch.xpack.esql.core.InvalidArgumentException: "

func errParseNumber(s string) error { return EvalError(invalidArg + "Cannot parse number [" + s + "]") }

func errOutOfRange(num, typ string) error {
	return EvalError(invalidArg + "[" + num + "] out of [" + typ + "] range")
}

// converter returns the per-value conversion from one type to another, or
// false when Elasticsearch has no such conversion.
func converter(from, to doc.Type) (convFn, bool) {
	if from == to || (to == doc.Keyword && from == doc.Text) || (to == doc.Text && from == doc.Keyword) {
		return func(v doc.Value) (doc.Value, error) { v.T = to; return v, nil }, true
	}
	switch to {
	case doc.Keyword, doc.Text:
		return toStringConv(from, to)
	case doc.Integer:
		return toIntegerConv(from)
	case doc.Long:
		return toLongConv(from)
	case doc.Double:
		return toDoubleConv(from)
	case doc.UnsignedLong:
		return toULongConv(from)
	case doc.Boolean:
		return toBooleanConv(from)
	case doc.Date, doc.DateNanos:
		return toDateConv(from, to)
	case doc.IP, doc.Version:
		if from.IsString() {
			return stringConverter(to), true
		}
	case doc.TimeDuration, doc.DatePeriod:
		if from.IsString() {
			return func(v doc.Value) (doc.Value, error) { return parseSpanString(v.S, to) }, true
		}
	case doc.GeoPoint, doc.CartesianPoint:
		if from.IsString() {
			return wktPointConverter(to), true
		}
	}
	return nil, false
}

func toStringConv(from, to doc.Type) (convFn, bool) {
	switch from {
	case doc.Boolean, doc.Integer, doc.Long, doc.UnsignedLong, doc.Double, doc.Date, doc.IP, doc.Version,
		doc.GeoPoint, doc.CartesianPoint:
		return func(v doc.Value) (doc.Value, error) { return doc.Value{T: to, S: v.String()}, nil }, true
	case doc.DateNanos:
		return func(v doc.Value) (doc.Value, error) { return doc.Value{T: to, S: formatNanosISO(v.I)}, nil }, true
	}
	return nil, false
}

// formatNanosISO prints date_nanos as strict_date_optional_time_nanos: 3 to 9
// fraction digits, trailing zeros beyond millis trimmed.
func formatNanosISO(ns int64) string {
	s := doc.FormatDateNanos(ns) // ....sss000000Z
	end := len(s) - 1
	for end > len(s)-7 && s[end-1] == '0' {
		end--
	}
	return s[:end] + "Z"
}

func toIntegerConv(from doc.Type) (convFn, bool) {
	switch from {
	case doc.Boolean, doc.Integer:
		return func(v doc.Value) (doc.Value, error) { return doc.Value{T: doc.Integer, I: v.I}, nil }, true
	case doc.Long, doc.Date:
		return func(v doc.Value) (doc.Value, error) {
			if v.I != int64(int32(v.I)) {
				return doc.Value{}, errOutOfRange(strconv.FormatInt(v.I, 10), "integer")
			}
			return doc.Value{T: doc.Integer, I: v.I}, nil
		}, true
	case doc.UnsignedLong:
		return func(v doc.Value) (doc.Value, error) {
			if uint64(v.I) > math.MaxInt32 {
				return doc.Value{}, errOutOfRange(v.String(), "integer")
			}
			return doc.Value{T: doc.Integer, I: v.I}, nil
		}, true
	case doc.Double:
		return func(v doc.Value) (doc.Value, error) { return doubleToInt(v.F) }, true
	case doc.Keyword, doc.Text:
		return func(v doc.Value) (doc.Value, error) {
			if i, err := strconv.ParseInt(v.S, 10, 32); err == nil {
				return doc.Value{T: doc.Integer, I: i}, nil
			}
			f, err := parseJavaDouble(v.S)
			if err != nil {
				return doc.Value{}, errParseNumber(v.S)
			}
			r, err := doubleToInt(f)
			if err != nil {
				return doc.Value{}, errParseNumber(v.S)
			}
			return r, nil
		}, true
	}
	return nil, false
}

// doubleToInt is DataTypeConverter.safeToInt(double): range check, then Math.round.
func doubleToInt(f float64) (doc.Value, error) {
	if math.IsNaN(f) || f > math.MaxInt32 || f < math.MinInt32 {
		return doc.Value{}, errOutOfRange(javaDouble(f), "integer")
	}
	return doc.Value{T: doc.Integer, I: javaRound(f)}, nil
}

// javaRound is Math.round: the closest long, ties toward positive
// infinity, saturating. Computed without x+0.5 so 0.49999999999999994 stays 0.
func javaRound(f float64) int64 {
	if math.IsNaN(f) {
		return 0
	}
	r := math.Floor(f)
	if f-r >= 0.5 {
		r++
	}
	if r >= 9.223372036854775807e18 {
		return math.MaxInt64
	}
	if r <= -9.223372036854775808e18 {
		return math.MinInt64
	}
	return int64(r)
}

// doubleToLong is safeDoubleToLong: range check, then Math.round.
func doubleToLong(f float64) (int64, error) {
	if math.IsNaN(f) || f >= 9.223372036854775807e18 || f < -9.223372036854775808e18 {
		return 0, errOutOfRange(javaDouble(f), "long")
	}
	return javaRound(f), nil
}

func toLongConv(from doc.Type) (convFn, bool) {
	switch from {
	case doc.Boolean, doc.Integer, doc.Long, doc.Date, doc.DateNanos:
		return func(v doc.Value) (doc.Value, error) { return doc.Long64(v.I), nil }, true
	case doc.UnsignedLong:
		return func(v doc.Value) (doc.Value, error) {
			if v.I < 0 {
				return doc.Value{}, errOutOfRange(v.String(), "long")
			}
			return doc.Long64(v.I), nil
		}, true
	case doc.Double:
		return func(v doc.Value) (doc.Value, error) {
			i, err := doubleToLong(v.F)
			if err != nil {
				return doc.Value{}, err
			}
			return doc.Long64(i), nil
		}, true
	case doc.Keyword, doc.Text:
		return func(v doc.Value) (doc.Value, error) {
			if i, err := strconv.ParseInt(v.S, 10, 64); err == nil {
				return doc.Long64(i), nil
			}
			f, err := parseJavaDouble(v.S)
			if err != nil {
				return doc.Value{}, errParseNumber(v.S)
			}
			i, err := doubleToLong(f)
			if err != nil {
				return doc.Value{}, errParseNumber(v.S)
			}
			return doc.Long64(i), nil
		}, true
	}
	return nil, false
}

// parseJavaDouble parses like StringUtils.parseDouble: Double.parseDouble
// syntax (surrounding whitespace, sign, exponent, a trailing d/f) and only
// finite results.
func parseJavaDouble(s string) (float64, error) {
	t := strings.TrimSpace(s)
	if n := len(t); n > 1 {
		switch t[n-1] {
		case 'd', 'D', 'f', 'F':
			if c := t[n-2]; c >= '0' && c <= '9' || c == '.' {
				t = t[:n-1]
			}
		}
	}
	if t == "" {
		return 0, strconv.ErrSyntax
	}
	// Reject Go-only spellings (inf, nan, 0x…, underscores).
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			return 0, strconv.ErrSyntax
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, strconv.ErrSyntax
	}
	return f, nil
}

func toDoubleConv(from doc.Type) (convFn, bool) {
	switch from {
	case doc.Boolean, doc.Integer, doc.Long, doc.Date:
		return func(v doc.Value) (doc.Value, error) { return doc.Float(float64(v.I)), nil }, true
	case doc.UnsignedLong, doc.Double:
		return func(v doc.Value) (doc.Value, error) { return doc.Float(v.AsFloat()), nil }, true
	case doc.Keyword, doc.Text:
		return func(v doc.Value) (doc.Value, error) {
			f, err := parseJavaDouble(v.S)
			if err != nil {
				return doc.Value{}, errParseNumber(v.S)
			}
			return doc.Float(f), nil
		}, true
	}
	return nil, false
}

func toULongConv(from doc.Type) (convFn, bool) {
	switch from {
	case doc.Boolean:
		return func(v doc.Value) (doc.Value, error) { return doc.ULong(uint64(v.I)), nil }, true
	case doc.Integer, doc.Long, doc.Date:
		return func(v doc.Value) (doc.Value, error) {
			if v.I < 0 {
				return doc.Value{}, errOutOfRange(strconv.FormatInt(v.I, 10), "unsigned_long")
			}
			return doc.ULong(uint64(v.I)), nil
		}, true
	case doc.Double:
		return func(v doc.Value) (doc.Value, error) { return doubleToULong(v.F, javaDouble(v.F)) }, true
	case doc.Keyword, doc.Text:
		return func(v doc.Value) (doc.Value, error) {
			if u, err := strconv.ParseUint(strings.TrimSpace(v.S), 10, 64); err == nil {
				return doc.ULong(u), nil
			}
			f, err := parseJavaDouble(v.S)
			if err != nil {
				return doc.Value{}, errParseNumber(v.S)
			}
			return doubleToULong(f, v.S)
		}, true
	}
	return nil, false
}

// doubleToULong truncates toward zero (BigDecimal.toBigInteger) after a range check.
func doubleToULong(f float64, text string) (doc.Value, error) {
	if math.IsNaN(f) || f < 0 || f >= 18446744073709551616.0 {
		return doc.Value{}, errOutOfRange(text, "unsigned_long")
	}
	return doc.ULong(uint64(math.Trunc(f))), nil
}

func toBooleanConv(from doc.Type) (convFn, bool) {
	switch from {
	case doc.Integer, doc.Long, doc.UnsignedLong:
		return func(v doc.Value) (doc.Value, error) { return doc.Bool(v.I != 0), nil }, true
	case doc.Double:
		return func(v doc.Value) (doc.Value, error) { return doc.Bool(v.F != 0), nil }, true
	case doc.Keyword, doc.Text:
		// Boolean.parseBoolean: "true" in any case, everything else false.
		return func(v doc.Value) (doc.Value, error) { return doc.Bool(strings.EqualFold(v.S, "true")), nil }, true
	}
	return nil, false
}

var errNanosBeforeEpoch = func(ms int64) error {
	return EvalError("java.lang.IllegalArgumentException: milliSeconds [" + strconv.FormatInt(ms, 10) +
		"] are before the epoch in 1970 and cannot be stored in nanosecond resolution")
}

func toDateConv(from, to doc.Type) (convFn, bool) {
	nanos := to == doc.DateNanos
	switch from {
	case doc.Keyword, doc.Text:
		return stringConverter(to), true
	case doc.Date: // to date_nanos
		return func(v doc.Value) (doc.Value, error) {
			if v.I < 0 {
				return doc.Value{}, errNanosBeforeEpoch(v.I)
			}
			if v.I > math.MaxInt64/1_000_000 {
				return doc.Value{}, errOpLongOverflow
			}
			return doc.DateNano(v.I * 1e6), nil
		}, true
	case doc.DateNanos: // to datetime
		return func(v doc.Value) (doc.Value, error) { return doc.DateMillis(floorDivI64(v.I, 1e6)), nil }, true
	case doc.Integer, doc.Long:
		return func(v doc.Value) (doc.Value, error) {
			if nanos && v.I < 0 {
				return doc.Value{}, errNanosBeforeEpoch(v.I)
			}
			return doc.Value{T: to, I: v.I}, nil
		}, true
	case doc.UnsignedLong:
		return func(v doc.Value) (doc.Value, error) {
			if v.I < 0 {
				return doc.Value{}, errOutOfRange(v.String(), "long")
			}
			return doc.Value{T: to, I: v.I}, nil
		}, true
	case doc.Double:
		return func(v doc.Value) (doc.Value, error) {
			i, err := doubleToLong(v.F)
			if err != nil {
				return doc.Value{}, err
			}
			if nanos && i < 0 {
				return doc.Value{}, errNanosBeforeEpoch(i)
			}
			return doc.Value{T: to, I: i}, nil
		}, true
	}
	return nil, false
}

// stringConverter parses a keyword/text value into datetime, date_nanos, ip
// or version, with Elasticsearch's failure texts.
func stringConverter(to doc.Type) convFn {
	switch to {
	case doc.Date, doc.DateNanos:
		nanos := to == doc.DateNanos
		format := "strict_date_optional_time"
		if nanos {
			format = "strict_date_optional_time_nanos"
		}
		parse := parseISODate
		if nanos {
			parse = parseISODateNanos
		}
		return func(v doc.Value) (doc.Value, error) {
			ns, ok := parse(v.S)
			if !ok {
				return doc.Value{}, EvalError("java.lang.IllegalArgumentException: failed to parse date field [" + v.S + "] with format [" + format + "]")
			}
			if nanos {
				if ns.sec < 0 {
					return doc.Value{}, EvalError("java.lang.IllegalArgumentException: date[" + v.S + "] is before the epoch in 1970 and cannot be stored in nanosecond resolution")
				}
				if ns.sec > math.MaxInt64/1_000_000_000 || (ns.sec == math.MaxInt64/1_000_000_000 && ns.nano > math.MaxInt64%1_000_000_000) { // DateUtils.MAX_NANOSECOND_INSTANT
					return doc.Value{}, EvalError("java.lang.IllegalArgumentException: date[" + v.S + "] is after 2262-04-11T23:47:16.854775807 and cannot be stored in nanosecond resolution")
				}
				return doc.DateNano(ns.sec*1e9 + ns.nano), nil
			}
			return doc.DateMillis(ns.sec*1000 + ns.nano/1e6), nil
		}
	case doc.IP:
		return func(v doc.Value) (doc.Value, error) {
			a, err := netip.ParseAddr(v.S)
			if err != nil || a.Zone() != "" {
				return doc.Value{}, EvalError("java.lang.IllegalArgumentException: '" + v.S + "' is not an IP string literal.")
			}
			return doc.IPOf(a), nil
		}
	case doc.Version:
		return func(v doc.Value) (doc.Value, error) { return doc.VersionOf(v.S), nil }
	}
	return func(v doc.Value) (doc.Value, error) { return v, nil }
}

// convEval applies a per-value conversion to a null, single or multi value:
// multi-values convert element-wise and failing elements are dropped. The
// first failure is returned alongside whatever converted (the caller warns).
func convEval(to doc.Type, c convFn) Eval {
	return func(args []doc.Value) (doc.Value, error) {
		a := args[0]
		if a.T == doc.Null {
			return doc.Value{}, nil
		}
		if a.M == nil {
			return c(a)
		}
		out := make([]doc.Value, 0, len(a.M))
		var first error
		for _, e := range a.M {
			r, err := c(e)
			if err != nil {
				if first == nil {
					first = err
				}
				continue
			}
			out = append(out, r)
		}
		return doc.Multi(to, out), first
	}
}

// Cast resolves `expr::type` (and the TO_* functions) from one type to another.
func Cast(from, to doc.Type) (Eval, error) {
	if from == doc.Null {
		return nullEval, nil
	}
	c, ok := converter(from, to)
	if !ok {
		return nil, &TypeError{Arg: 0, Expected: convAccepts[to], Found: from}
	}
	if from == to {
		return func(args []doc.Value) (doc.Value, error) { return args[0], nil }, nil
	}
	return convEval(to, c), nil
}

// castNames maps the names `::` accepts to types.
var castNames = map[string]doc.Type{
	"bool": doc.Boolean, "boolean": doc.Boolean,
	"int": doc.Integer, "integer": doc.Integer,
	"long": doc.Long, "double": doc.Double, "unsigned_long": doc.UnsignedLong,
	"keyword": doc.Keyword, "string": doc.Keyword, "text": doc.Text,
	"datetime": doc.Date, "date": doc.Date, "date_nanos": doc.DateNanos,
	"ip": doc.IP, "version": doc.Version,
	"time_duration": doc.TimeDuration, "date_period": doc.DatePeriod,
	"geo_point": doc.GeoPoint, "cartesian_point": doc.CartesianPoint,
}

// CastType resolves a type name written after `::`, case-insensitively.
func CastType(name string) (doc.Type, bool) {
	t, ok := castNames[strings.ToLower(name)]
	return t, ok
}

// convAccepts words each conversion's accepted input types for type errors.
var convAccepts = map[doc.Type]string{
	doc.Keyword:        "boolean or cartesian_point or date or double or geo_point or integer or ip or keyword or long or text or unsigned_long or version",
	doc.Text:           "boolean or cartesian_point or date or double or geo_point or integer or ip or keyword or long or text or unsigned_long or version",
	doc.Integer:        "boolean or date or double or integer or keyword or long or text or unsigned_long",
	doc.Long:           "boolean or date or date_nanos or double or integer or keyword or long or text or unsigned_long",
	doc.Double:         "boolean or date or double or integer or keyword or long or text or unsigned_long",
	doc.UnsignedLong:   "boolean or date or double or integer or keyword or long or text or unsigned_long",
	doc.Boolean:        "boolean or double or integer or keyword or long or text or unsigned_long",
	doc.Date:           "date or date_nanos or double or integer or keyword or long or text or unsigned_long",
	doc.DateNanos:      "date or date_nanos or double or keyword or long or text or unsigned_long",
	doc.IP:             "ip or keyword or text",
	doc.Version:        "keyword or text or version",
	doc.TimeDuration:   "time_duration or keyword or text",
	doc.DatePeriod:     "date_period or keyword or text",
	doc.GeoPoint:       "geo_point or keyword or text",
	doc.CartesianPoint: "cartesian_point or keyword or text",
}

func registerConversion(to doc.Type, names ...string) {
	resolve := func(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
		e, err := Cast(args[0], to)
		if err != nil {
			return doc.Null, nil, err
		}
		return to, e, nil
	}
	for _, n := range names {
		register(&Func{Name: n, MinArgs: 1, MaxArgs: 1, Resolve: resolve})
	}
}

func init() {
	registerConversion(doc.Keyword, "TO_STRING")
	// TO_TEXT only accepts strings (ES docs: keyword | text → text).
	register(&Func{Name: "TO_TEXT", MinArgs: 1, MaxArgs: 1, Resolve: func(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
		if !stringOrNull(args[0]) {
			return doc.Null, nil, &TypeError{Arg: 0, Expected: "keyword or text", Found: args[0]}
		}
		e, err := Cast(args[0], doc.Text)
		return doc.Text, e, err
	}})
	registerConversion(doc.Integer, "TO_INTEGER", "TO_INT")
	registerConversion(doc.Long, "TO_LONG")
	registerConversion(doc.Double, "TO_DOUBLE", "TO_DBL")
	registerConversion(doc.UnsignedLong, "TO_UNSIGNED_LONG", "TO_UL", "TO_ULONG")
	registerConversion(doc.Boolean, "TO_BOOLEAN", "TO_BOOL")
	registerConversion(doc.Date, "TO_DATETIME", "TO_DT")
	registerConversion(doc.DateNanos, "TO_DATE_NANOS", "TO_DATENANOS")
	registerConversion(doc.IP, "TO_IP")
	registerConversion(doc.Version, "TO_VERSION", "TO_VER")
	registerConversion(doc.TimeDuration, "TO_TIMEDURATION")
	registerConversion(doc.DatePeriod, "TO_DATEPERIOD")
	registerAngle("TO_DEGREES", 180/math.Pi)
	registerAngle("TO_RADIANS", math.Pi/180)
}

// registerAngle registers TO_DEGREES / TO_RADIANS: numeric to double,
// element-wise like the other conversions.
func registerAngle(name string, factor float64) {
	register(&Func{Name: name, MinArgs: 1, MaxArgs: 1, Resolve: func(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
		if !numericOrNull(args[0]) {
			return doc.Null, nil, &TypeError{Arg: 0, Expected: "numeric", Found: args[0]}
		}
		if args[0] == doc.Null {
			return doc.Double, nullEval, nil
		}
		return doc.Double, convEval(doc.Double, func(v doc.Value) (doc.Value, error) {
			f := v.AsFloat() * factor
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return doc.Value{}, errNotFinite(f)
			}
			return doc.Float(f), nil
		}), nil
	}})
}

// javaDouble renders a float as Java's Double.toString does, for messages.
func javaDouble(f float64) string { return doc.FormatDouble(f) }
