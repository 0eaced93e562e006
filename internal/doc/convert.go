package doc

import (
	"errors"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxTermBytes is Lucene's limit on one indexed term; a longer keyword value
// rejects the document unless ignore_above dropped it first.
const maxTermBytes = 32766

var errSkip = errors.New("skip") // the value is dropped without error (ignore_above, "" for numbers)

// convert types one JSON scalar for a field as Elasticsearch would index it.
// s is the unescaped string or the number's text as written.
func (p *fieldPlan) convert(kind int, s string) (Value, error) {
	switch p.typ {
	case Keyword, Text, Version:
		switch kind {
		case tokTrue:
			s = "true"
		case tokFalse:
			s = "false"
		}
		if p.lower {
			s = lowerASCIIFast(s)
		}
		// UTF-16 length never exceeds the byte length, so short values skip the count.
		over := p.typ == Keyword && p.ignoreAbove > 0 && len(s) > p.ignoreAbove && utf16Len(s) > p.ignoreAbove
		if over && !p.keepLong {
			// Values over ignore_above are not in doc values, and ES|QL reads
			// keywords from doc values on standard indices, so they read as
			// absent (elastic/elasticsearch#124678; logsdb's synthetic
			// source loads them back, #119546: DecodeOptions.KeepIgnoredAbove).
			return Value{}, errSkip
		}
		if !over && p.checkTerm && len(s) > maxTermBytes {
			return Value{}, errors.New("document contains at least one immense term (longer than " + strconv.Itoa(maxTermBytes) + " bytes); set ignore_above to skip such values")
		}
		if p.hasConst {
			if s != p.constant {
				return Value{}, errors.New("[constant_keyword] field only accepts values that are equal to the value defined in the mappings [" + p.constant + "], but got [" + s + "]")
			}
		}
		return Value{T: p.typ, S: s}, nil
	case Integer, Long:
		if kind == tokTrue || kind == tokFalse {
			return Value{}, errors.New("cannot parse a boolean as a number")
		}
		if kind == tokString && s == "" {
			return Value{}, errSkip // Elasticsearch indexes "" as null for numbers
		}
		i, err := parseIntCoerce(s, kind == tokString)
		if err != nil {
			return Value{}, err
		}
		lo, hi := p.intRange()
		if i < lo || i > hi {
			return Value{}, errors.New("value [" + s + "] is out of range for " + p.es)
		}
		return Value{T: p.typ, I: i}, nil
	case UnsignedLong:
		if kind == tokTrue || kind == tokFalse {
			return Value{}, errors.New("cannot parse a boolean as a number")
		}
		if kind == tokString && s == "" {
			return Value{}, errSkip
		}
		u, err := parseUnsignedCoerce(s)
		if err != nil {
			return Value{}, err
		}
		return ULong(u), nil
	case Double:
		if kind == tokTrue || kind == tokFalse {
			return Value{}, errors.New("cannot parse a boolean as a number")
		}
		if kind == tokString {
			s = strings.TrimSpace(s)
			if s == "" {
				return Value{}, errSkip
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return Value{}, errors.New("[" + s + "] is not a number")
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return Value{}, errors.New("[" + p.es + "] supports only finite values, but got [" + s + "]")
		}
		switch p.es {
		case "float":
			f32 := float32(f)
			if math.IsInf(float64(f32), 0) {
				return Value{}, errors.New("[float] supports only finite values, but got [" + s + "]")
			}
			f = float64(f32)
		case "half_float":
			f = roundHalf(f)
			if math.IsInf(f, 0) {
				return Value{}, errors.New("[half_float] supports only finite values, but got [" + s + "]")
			}
		case "scaled_float":
			// Stored as the long Math.round(v*factor) (halves round up, as
			// Java does); read back divided by the factor.
			scaled := math.Floor(f*p.scale + 0.5)
			if scaled >= 9.223372036854775807e18 || scaled < -9.223372036854775808e18 {
				return Value{}, errors.New("[scaled_float] value [" + s + "] is out of range for a long once scaled")
			}
			f = scaled / p.scale
		}
		return Float(f), nil
	case Boolean:
		switch kind {
		case tokTrue:
			return Bool(true), nil
		case tokFalse:
			return Bool(false), nil
		case tokString:
			switch s {
			case "true":
				return Bool(true), nil
			case "false", "":
				return Bool(false), nil
			}
		}
		return Value{}, errors.New("failed to parse value [" + s + "] as only [true] or [false] are allowed")
	case Date, DateNanos:
		if kind == tokTrue || kind == tokFalse {
			return Value{}, errors.New("failed to parse date field [" + s + "]")
		}
		ns, ok := parseDate(s, p.dateFmts)
		if !ok {
			return Value{}, errors.New("failed to parse date field [" + s + "] ")
		}
		if p.typ == DateNanos {
			if ns.sec < 0 || ns.sec > 9223372036 || (ns.sec == 9223372036 && ns.nsec > 854775807) {
				return Value{}, errors.New("date [" + s + "] is out of the range of date_nanos (1970 to 2262)")
			}
			return DateNano(ns.sec*1e9 + int64(ns.nsec)), nil
		}
		return DateMillis(ns.sec*1000 + int64(ns.nsec)/1e6), nil
	case IP:
		if kind != tokString {
			return Value{}, errors.New("'" + s + "' is not an IP string literal")
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return Value{}, errors.New("'" + s + "' is not an IP string literal")
		}
		return IPOf(a), nil
	case GeoPoint:
		if kind != tokString {
			return Value{}, errors.New("geo_point expected")
		}
		return parseGeoString(s)
	}
	return Value{}, errSkip
}

func (p *fieldPlan) intRange() (int64, int64) {
	switch p.es {
	case "byte":
		return math.MinInt8, math.MaxInt8
	case "short":
		return math.MinInt16, math.MaxInt16
	}
	if p.typ == Integer {
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

// parseIntCoerce parses an integer, truncating a fraction as Elasticsearch's
// coerce does for integer types ("1.5" and 1.5 both index as 1).
func parseIntCoerce(s string, isString bool) (int64, error) {
	if isString {
		s = strings.TrimSpace(s)
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, nil
	} else if errors.Is(err, strconv.ErrRange) {
		return 0, errors.New("value [" + s + "] is out of range for a long")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		if errors.Is(err, strconv.ErrRange) {
			return 0, errors.New("value [" + s + "] is out of range for a long")
		}
		return 0, errors.New("for input string: [" + s + "]: not a number")
	}
	f = math.Trunc(f)
	if f < -9.223372036854775808e18 || f >= 9.223372036854775808e18 {
		return 0, errors.New("value [" + s + "] is out of range for a long")
	}
	return int64(f), nil
}

func parseUnsignedCoerce(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		return u, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0, errors.New("for input string: [" + s + "]: not a number")
	}
	f = math.Trunc(f)
	if f < 0 || f >= 1.8446744073709551616e19 {
		return 0, errors.New("value [" + s + "] is out of range for unsigned_long")
	}
	return uint64(f), nil
}

// roundHalf rounds to the nearest IEEE half-precision value (ties to even),
// which is what a half_float field stores and ES|QL reads back.
func roundHalf(f float64) float64 {
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	a := math.Abs(f)
	if a >= 65520 { // rounds past the largest half (65504)
		return math.Copysign(math.Inf(1), f)
	}
	// Quantum: 2^(exp-10) for normals, 2^-24 for subnormals.
	_, e := math.Frexp(a) // a = m * 2^e, m in [0.5,1)
	exp := e - 1
	if exp < -14 {
		exp = -14
	}
	q := math.Ldexp(1, exp-10)
	r := math.RoundToEven(a/q) * q
	// Rounding through float32 first would double-round; Go float64 is exact here.
	return math.Copysign(r, f)
}

// utf16Len is the length Java's String.length() reports, which ignore_above counts.
func utf16Len(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r >= 0x10000 {
			n += 2 // a surrogate pair in UTF-16
		} else {
			n++
		}
		i += size
	}
	return n
}

// lowerASCIIFast lowercases like the lowercase normalizer; it returns s unchanged when already lower.
func lowerASCIIFast(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return strings.ToLower(s)
		}
	}
	return s
}

type instant struct {
	sec  int64
	nsec int32
}

// Date format alternatives Vigil interprets (a mapping "format" is a "||" list).
const (
	fmtISO      = iota // strict_date_optional_time and its relatives
	fmtISONanos        // strict_date_optional_time_nanos: a time needs HH:mm:ss
	fmtEpochMillis
	fmtEpochSecond
)

// The default formats: date's strict_date_optional_time||epoch_millis and
// date_nanos's strict_date_optional_time_nanos||epoch_millis
// (https://www.elastic.co/docs/reference/elasticsearch/mapping-reference/date_nanos).
var (
	defaultDateFormats  = []uint8{fmtISO, fmtEpochMillis}
	defaultNanosFormats = []uint8{fmtISONanos, fmtEpochMillis}
)

// compileDateFormats maps a mapping's format list onto the parsers Vigil has.
// Named ISO formats (date_optional_time, strict_date_time, date…) all use the
// ISO parser, which is more lenient than the stricter ones; custom patterns
// ("yyyy/MM/dd HH:mm") are not interpreted and fall back to ISO.
func compileDateFormats(t Type, format string) []uint8 {
	if format == "" && t == DateNanos {
		return defaultNanosFormats
	}
	if format == "" {
		return defaultDateFormats
	}
	var out []uint8
	for _, f := range strings.Split(format, "||") {
		switch strings.TrimSpace(f) {
		case "strict_date_optional_time_nanos":
			out = append(out, fmtISONanos)
		case "epoch_millis":
			out = append(out, fmtEpochMillis)
		case "epoch_second":
			out = append(out, fmtEpochSecond)
		default:
			out = append(out, fmtISO)
		}
	}
	return out
}

// parseDate tries each format in order, as Elasticsearch does for "a||b".
// Numbers are parsed from their text like strings, so 1645055390502 is
// epoch_millis under the default strict_date_optional_time||epoch_millis while
// 2024 and -1234 are years (elastic/elasticsearch#51080).
func parseDate(s string, formats []uint8) (instant, bool) {
	for _, f := range formats {
		var t instant
		var ok bool
		switch f {
		case fmtISO:
			t, ok = parseISODate(s)
		case fmtISONanos:
			t, ok = parseISODateNanos(s)
		case fmtEpochMillis:
			t, ok = parseEpoch(s, 1e6)
		case fmtEpochSecond:
			t, ok = parseEpoch(s, 1e9)
		}
		if ok {
			return t, true
		}
	}
	return instant{}, false
}

// parseEpoch reads an epoch count ("-12", "1.5", "1e3") in units of unit
// nanoseconds (1e6 for millis, 1e9 for seconds); fraction digits finer than
// a nanosecond are dropped.
func parseEpoch(s string, unit int64) (instant, bool) {
	if s == "" {
		return instant{}, false
	}
	if strings.ContainsAny(s, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 9e15 {
			return instant{}, false
		}
		whole := math.Floor(f)
		frac := int64(math.Round((f - whole) * float64(unit)))
		return epochInstant(int64(whole), frac, unit), true
	}
	neg := false
	if s[0] == '-' {
		neg = true
		s = s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if intPart == "" || len(intPart) > 16 || (hasFrac && frac == "") {
		return instant{}, false
	}
	for i := 0; i < len(intPart); i++ {
		if intPart[i] < '0' || intPart[i] > '9' {
			return instant{}, false
		}
	}
	n, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return instant{}, false
	}
	var fracNs, scale int64 = 0, unit
	for i := 0; i < len(frac); i++ {
		c := frac[i]
		if c < '0' || c > '9' {
			return instant{}, false
		}
		if scale >= 10 {
			scale /= 10
			fracNs += int64(c-'0') * scale
		}
	}
	if neg {
		return epochInstant(-n, -fracNs, unit), true
	}
	return epochInstant(n, fracNs, unit), true
}

// epochInstant converts whole units plus extra nanoseconds into an instant.
func epochInstant(whole, extraNs, unit int64) instant {
	perSec := int64(1e9) / unit // units per second
	return norm(whole/perSec, (whole%perSec)*unit+extraNs)
}

func norm(sec, ns int64) instant {
	sec += ns / 1e9
	ns %= 1e9
	if ns < 0 {
		ns += 1e9
		sec--
	}
	return instant{sec: sec, nsec: int32(ns)}
}
