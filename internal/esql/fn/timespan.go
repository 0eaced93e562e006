package fn

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"vigil/internal/doc"
	"vigil/internal/esql/registry"
)

// spanUnit is one time-span qualifier: a fixed length in nanoseconds, or a
// calendar amount in months and days.
type spanUnit struct {
	nanos        int64
	months, days int64
}

// spanUnits lists every qualifier Elasticsearch accepts after a number
// (EsqlDataTypeConverter.INTERVALS); matching is case-insensitive.
var spanUnits = map[string]spanUnit{
	"MILLISECOND": {nanos: 1e6}, "MILLISECONDS": {nanos: 1e6}, "MS": {nanos: 1e6},
	"SECOND": {nanos: 1e9}, "SECONDS": {nanos: 1e9}, "SEC": {nanos: 1e9}, "S": {nanos: 1e9},
	"MINUTE": {nanos: 60e9}, "MINUTES": {nanos: 60e9}, "MIN": {nanos: 60e9},
	// `m` is minute since Elasticsearch PR #136448 (the time-spans reference table lists it).
	"M":    {nanos: 60e9},
	"HOUR": {nanos: 3600e9}, "HOURS": {nanos: 3600e9}, "H": {nanos: 3600e9},
	"DAY": {days: 1}, "DAYS": {days: 1}, "D": {days: 1},
	"WEEK": {days: 7}, "WEEKS": {days: 7}, "W": {days: 7},
	"MONTH": {months: 1}, "MONTHS": {months: 1}, "MO": {months: 1},
	"QUARTER": {months: 3}, "QUARTERS": {months: 3}, "Q": {months: 3},
	"YEAR": {months: 12}, "YEARS": {months: 12}, "YR": {months: 12}, "Y": {months: 12},
}

// ParseTimeSpan builds the value of a time-span literal such as `1 hour` or
// `2 weeks`: fixed units (millisecond to hour) give a TimeDuration in
// nanoseconds, calendar units (day and above) a DatePeriod.
func ParseTimeSpan(n int64, unit string) (doc.Value, error) {
	u, ok := spanUnits[asciiUpper(unit)]
	if !ok {
		return doc.Value{}, errors.New("Unexpected temporal unit: '" + unit + "'")
	}
	if u.nanos != 0 {
		if n > math.MaxInt64/u.nanos || n < math.MinInt64/u.nanos {
			return doc.Value{}, errors.New("long overflow")
		}
		return doc.Value{T: doc.TimeDuration, I: n * u.nanos}, nil
	}
	if n != int64(int32(n)) {
		return doc.Value{}, errors.New("[" + strconv.FormatInt(n, 10) + "] out of [integer] range")
	}
	m, d := n*u.months, n*u.days
	if m != int64(int32(m)) || d != int64(int32(d)) {
		return doc.Value{}, errors.New("integer overflow")
	}
	return doc.Period(m, d), nil
}

// parseSpanString parses "1 day" / "  3   hours " for TO_TIMEDURATION,
// TO_DATEPERIOD and the casts: an integer, one or more spaces, a unit. want
// is TimeDuration or DatePeriod.
func parseSpanString(s string, want doc.Type) (doc.Value, error) {
	fail := func(hint string) error {
		return EvalError("org.elasticsearch.xpack.esql.core.ParsingException: Cannot parse [" + s + "] to " + want.String() + hint)
	}
	fields := strings.Split(strings.TrimSpace(s), " ")
	parts := fields[:0]
	for _, f := range fields {
		if f != "" {
			parts = append(parts, f)
		}
	}
	if len(parts) != 2 {
		return doc.Value{}, fail("")
	}
	n, err := strconv.ParseInt(parts[0], 10, 32)
	if err != nil {
		return doc.Value{}, fail("")
	}
	v, err := ParseTimeSpan(n, parts[1])
	if err != nil {
		return doc.Value{}, fail("")
	}
	if v.T != want {
		other := doc.TimeDuration
		if want == doc.TimeDuration {
			other = doc.DatePeriod
		}
		return doc.Value{}, fail(", did you mean " + other.String() + "?")
	}
	return v, nil
}

// asciiUpper upper-cases ASCII letters (unit and field names are ASCII and
// matched like function names).
func asciiUpper(s string) string { return registry.Upper(s) }
