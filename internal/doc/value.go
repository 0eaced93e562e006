// Package doc owns Vigil's data model: typed values (null, single or
// multi-valued), documents built from JSON (with the objects of nested
// fields kept apart, for nested queries), Elasticsearch mappings (parsed,
// built in per data stream and loaded on demand, typed dynamically by
// dynamic templates as the logs-* index templates do) and index-pattern
// resolution. It is the ground floor: it imports only the standard library.
package doc

import (
	"encoding/json"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// Type is a value type as ES|QL sees it. Mapping types collapse onto these
// (wildcard and constant_keyword read as Keyword, short/byte as Integer,
// float/half_float/scaled_float as Double, match_only_text as Text).
type Type uint8

const (
	Null Type = iota
	Boolean
	Integer      // 32-bit signed
	Long         // 64-bit signed
	UnsignedLong // 64-bit unsigned, stored in I as its bit pattern
	Double
	Keyword
	Text
	Date      // I = milliseconds since the Unix epoch, UTC
	DateNanos // I = nanoseconds since the Unix epoch, UTC
	IP        // S = the 16-byte form (IPv4 mapped into IPv6), as Elasticsearch stores it
	Version
	TimeDuration // I = nanoseconds (fixed-length span: 1 hour, 90 seconds)
	DatePeriod   // I = months, F = days (calendar span: 1 day, 2 weeks, 1 month)
	GeoPoint
	CartesianPoint
	Unsupported
	// Source is METADATA _source: S holds the document's original JSON
	// object, printed as that object. Only JSON_EXTRACT reads it.
	Source
)

var typeNames = [...]string{
	Null: "null", Boolean: "boolean", Integer: "integer", Long: "long",
	UnsignedLong: "unsigned_long", Double: "double", Keyword: "keyword",
	Text: "text", Date: "datetime", DateNanos: "date_nanos", IP: "ip",
	Version: "version", TimeDuration: "time_duration", DatePeriod: "date_period",
	GeoPoint: "geo_point", CartesianPoint: "cartesian_point", Unsupported: "unsupported",
	Source: "_source",
}

// String returns the ES|QL type name (as in error messages and `_query` column types).
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// IsString reports whether values of t are strings compared byte-wise (keyword, text).
func (t Type) IsString() bool { return t == Keyword || t == Text }

// IsNumeric reports whether t is one of the numeric types.
func (t Type) IsNumeric() bool {
	return t == Integer || t == Long || t == UnsignedLong || t == Double
}

// IsTemporal reports whether t is a point in time.
func (t Type) IsTemporal() bool { return t == Date || t == DateNanos }

// Value is one cell: null, a single value, or a multi-value. The zero Value is
// null. A multi-value has T set to its element type and M holding at least two
// single values of that type; I, F and S are unused then.
type Value struct {
	T Type
	I int64
	F float64
	S string
	M []Value
}

// Constructors for single values.
func Bool(b bool) Value {
	if b {
		return Value{T: Boolean, I: 1}
	}
	return Value{T: Boolean}
}
func Int(i int32) Value              { return Value{T: Integer, I: int64(i)} }
func Long64(i int64) Value           { return Value{T: Long, I: i} }
func ULong(u uint64) Value           { return Value{T: UnsignedLong, I: int64(u)} }
func Float(f float64) Value          { return Value{T: Double, F: f} }
func KeywordOf(s string) Value       { return Value{T: Keyword, S: s} }
func TextOf(s string) Value          { return Value{T: Text, S: s} }
func VersionOf(s string) Value       { return Value{T: Version, S: s} }
func DateMillis(ms int64) Value      { return Value{T: Date, I: ms} }
func DateNano(ns int64) Value        { return Value{T: DateNanos, I: ns} }
func Duration(d time.Duration) Value { return Value{T: TimeDuration, I: int64(d)} }
func Period(months, days int64) Value {
	return Value{T: DatePeriod, I: months, F: float64(days)}
}
func TimeOf(t time.Time) Value { return DateMillis(t.UnixMilli()) }

// IPOf stores an address in Elasticsearch's 16-byte form, so byte order is sort order.
func IPOf(a netip.Addr) Value {
	b := a.As16()
	return Value{T: IP, S: string(b[:])}
}

// Multi builds a value from elements of one type: none gives null, one gives
// that single value, more give a multi-value. Null elements are dropped.
func Multi(t Type, elems []Value) Value {
	n := 0
	for _, e := range elems {
		if !e.IsNull() {
			elems[n] = e
			n++
		}
	}
	switch n {
	case 0:
		return Value{}
	case 1:
		return elems[0]
	}
	return Value{T: t, M: elems[:n]}
}

// IsNull reports whether v is null (absent).
func (v Value) IsNull() bool { return v.T == Null }

// IsMulti reports whether v holds two or more values.
func (v Value) IsMulti() bool { return len(v.M) > 1 }

// Len is the number of values: 0 for null, 1 for single, len(M) for multi.
func (v Value) Len() int {
	switch {
	case v.T == Null:
		return 0
	case v.M != nil:
		return len(v.M)
	}
	return 1
}

// At returns the i-th value (0 <= i < Len()).
func (v Value) At(i int) Value {
	if v.M != nil {
		return v.M[i]
	}
	return v
}

// Bool, Int64, Uint64, Float64 and Str read a single value's payload.
func (v Value) Bool() bool       { return v.I != 0 }
func (v Value) Int64() int64     { return v.I }
func (v Value) Uint64() uint64   { return uint64(v.I) }
func (v Value) Float64() float64 { return v.F }
func (v Value) Str() string      { return v.S }

// Addr returns an IP value's address, unmapping IPv4.
func (v Value) Addr() netip.Addr {
	var b [16]byte
	copy(b[:], v.S)
	return netip.AddrFrom16(b).Unmap()
}

// Time returns a Date or DateNanos value as a UTC time.
func (v Value) Time() time.Time {
	if v.T == DateNanos {
		return time.Unix(0, v.I).UTC()
	}
	return time.UnixMilli(v.I).UTC()
}

// AsFloat converts a numeric single value to float64 (for mixed arithmetic and comparison).
func (v Value) AsFloat() float64 {
	switch v.T {
	case Double:
		return v.F
	case UnsignedLong:
		return float64(uint64(v.I))
	}
	return float64(v.I)
}

// FormatDate renders milliseconds as Elasticsearch does in results: ISO-8601 UTC with millis.
func FormatDate(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

// FormatDateNanos renders nanoseconds as Elasticsearch does for date_nanos.
func FormatDateNanos(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000000000Z")
}

// FormatDouble renders a double the way Java's Double.toString does, which is
// how Elasticsearch prints doubles in results (1.0, 1.0E10, 1.234E-5).
func FormatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		for i := 0; i < len(s); i++ {
			if s[i] == '.' {
				return s
			}
		}
		return s + ".0"
	}
	// Scientific: shortest digits, Java style mantissa "d.ddd" and "E" exponent.
	s := strconv.FormatFloat(f, 'E', -1, 64) // e.g. 1.5E+10, 1E-05
	mant, exp := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == 'E' {
			mant, exp = s[:i], s[i+1:]
			break
		}
	}
	hasDot := false
	for i := 0; i < len(mant); i++ {
		if mant[i] == '.' {
			hasDot = true
		}
	}
	if !hasDot {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// String renders a single or multi value as Elasticsearch prints it in
// results; multi-values as "[a, b]"; null as "null".
func (v Value) String() string {
	if v.T == Null {
		return "null"
	}
	if v.M != nil {
		s := "["
		for i, e := range v.M {
			if i > 0 {
				s += ", "
			}
			s += e.String()
		}
		return s + "]"
	}
	switch v.T {
	case Boolean:
		if v.I != 0 {
			return "true"
		}
		return "false"
	case Integer, Long:
		return strconv.FormatInt(v.I, 10)
	case UnsignedLong:
		return strconv.FormatUint(uint64(v.I), 10)
	case Double:
		return FormatDouble(v.F)
	case Date:
		return FormatDate(v.I)
	case DateNanos:
		return FormatDateNanos(v.I)
	case IP:
		return v.Addr().String()
	case TimeDuration:
		return time.Duration(v.I).String()
	case DatePeriod:
		return "P" + strconv.FormatInt(v.I, 10) + "M" + strconv.FormatInt(int64(v.F), 10) + "D"
	}
	return v.S
}

// JSON converts a value to what Elasticsearch's JSON responses hold for it:
// nil for null, booleans, integers, doubles printed as Java prints them (a
// json.Number, so 1.0 stays 1.0; NaN and infinities become null), strings
// for everything else (dates ISO-8601, IPs textual) and arrays for
// multi-values.
func (v Value) JSON() any {
	if v.T == Null {
		return nil
	}
	if v.M != nil {
		out := make([]any, len(v.M))
		for i, e := range v.M {
			out[i] = e.JSON()
		}
		return out
	}
	switch v.T {
	case Boolean:
		return v.I != 0
	case Integer, Long:
		return v.I
	case UnsignedLong:
		return uint64(v.I)
	case Double:
		if math.IsNaN(v.F) || math.IsInf(v.F, 0) {
			return nil
		}
		return json.Number(FormatDouble(v.F))
	case Source:
		return json.RawMessage(v.S) // the object itself, not a string
	}
	return v.String()
}

// Clone returns v with its own copy of the memory it refers to (its
// strings and elements), for keeping a value that may alias a reused
// buffer, such as a decoded line's.
func (v Value) Clone() Value {
	if v.M == nil {
		v.S = strings.Clone(v.S)
		return v
	}
	var one [1]Value
	CloneInto(one[:], []Value{v})
	return one[0]
}

// CloneInto sets dst[i] to src[i].Clone(), with all of their strings in
// one allocation and all multi-value elements in another: a kept row
// costs a few allocations, not one per value. dst and src may be the same.
func CloneInto(dst, src []Value) {
	size, elems := 0, 0
	for _, v := range src {
		size += len(v.S)
		elems += len(v.M)
		for _, e := range v.M {
			size += len(e.S)
		}
	}
	buf := make([]byte, 0, size)
	own := func(s string) string {
		if s == "" {
			return ""
		}
		start := len(buf)
		buf = append(buf, s...)
		return unsafe.String(&buf[start], len(s))
	}
	var store []Value
	if elems > 0 {
		store = make([]Value, 0, elems)
	}
	for i, v := range src {
		v.S = own(v.S)
		if v.M != nil {
			start := len(store)
			for _, e := range v.M {
				e.S = own(e.S)
				store = append(store, e)
			}
			v.M = store[start:len(store):len(store)]
		}
		dst[i] = v
	}
}
