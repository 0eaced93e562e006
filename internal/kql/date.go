package kql

import (
	"strconv"
	"strings"
	"time"

	"vigil/internal/doc"
)

// Dates in queries are read as Elasticsearch's default date format
// (strict_date_optional_time||epoch_millis) with date math
// (https://www.elastic.co/guide/en/elasticsearch/reference/current/common-options.html#date-math),
// in UTC. roundUp mirrors Elasticsearch's range rounding: gt and lte round
// up, so a missing time part and `/d` mean the end of the unit, while gte
// and lt round down. An equality on a date field is the range [down, up],
// so `@timestamp:2024-01-02` matches the whole day.

// parseDateMath returns milliseconds since the epoch.
func parseDateMath(s string, now time.Time, roundUp bool) (int64, bool) {
	var t time.Time
	var math string
	switch {
	case strings.HasPrefix(s, "now"):
		t, math = now.UTC(), s[3:]
	default:
		date := s
		if i := strings.Index(s, "||"); i >= 0 {
			date, math = s[:i], s[i+2:]
		}
		var ok bool
		// The date itself is rounded up only when no math follows.
		t, ok = parseDate(date, roundUp && math == "")
		if !ok {
			return 0, false
		}
	}
	for len(math) > 0 {
		op := math[0]
		math = math[1:]
		switch op {
		case '/':
			if len(math) == 0 {
				return 0, false
			}
			u := math[0]
			math = math[1:]
			var ok bool
			t, ok = roundTo(t, u, roundUp)
			if !ok {
				return 0, false
			}
		case '+', '-':
			j := 0
			for j < len(math) && math[j] >= '0' && math[j] <= '9' {
				j++
			}
			n := 1
			if j > 0 {
				v, err := strconv.Atoi(math[:j])
				if err != nil {
					return 0, false
				}
				n = v
			}
			if j >= len(math) {
				return 0, false
			}
			u := math[j]
			math = math[j+1:]
			if op == '-' {
				n = -n
			}
			var ok bool
			t, ok = addUnit(t, u, n)
			if !ok {
				return 0, false
			}
		default:
			return 0, false
		}
	}
	return t.UnixMilli(), true
}

// DateMath evaluates Elasticsearch date math anchored on now (now-2m,
// now-1d/d), rounding down, for callers that write relative times outside
// queries (rule tests).
func DateMath(s string, now time.Time) (time.Time, bool) {
	if !strings.HasPrefix(s, "now") {
		return time.Time{}, false
	}
	ms, ok := parseDateMath(s, now, false)
	return time.UnixMilli(ms).UTC(), ok
}

func addUnit(t time.Time, u byte, n int) (time.Time, bool) {
	switch u {
	case 'y':
		return t.AddDate(n, 0, 0), true
	case 'M':
		return t.AddDate(0, n, 0), true
	case 'w':
		return t.AddDate(0, 0, 7*n), true
	case 'd':
		return t.AddDate(0, 0, n), true
	case 'h', 'H':
		return t.Add(time.Duration(n) * time.Hour), true
	case 'm':
		return t.Add(time.Duration(n) * time.Minute), true
	case 's':
		return t.Add(time.Duration(n) * time.Second), true
	}
	return t, false
}

// roundTo floors t to the unit, or moves it to the unit's last millisecond.
func roundTo(t time.Time, u byte, up bool) (time.Time, bool) {
	y, mo, d := t.Date()
	var start time.Time
	switch u {
	case 'y':
		start = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	case 'M':
		start = time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC)
	case 'w':
		wd := (int(t.Weekday()) + 6) % 7 // ISO weeks start on Monday
		start = time.Date(y, mo, d-wd, 0, 0, 0, 0, time.UTC)
	case 'd':
		start = time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
	case 'h', 'H':
		start = t.Truncate(time.Hour)
	case 'm':
		start = t.Truncate(time.Minute)
	case 's':
		start = t.Truncate(time.Second)
	default:
		return t, false
	}
	if !up {
		return start, true
	}
	next, _ := addUnit(start, u, 1)
	return next.Add(-time.Millisecond), true
}

// parseDate reads strict_date_optional_time (doc.ParseISODateParts) or
// epoch milliseconds. Missing fields are the unit's start, or with roundUp
// its end.
func parseDate(s string, roundUp bool) (time.Time, bool) {
	if t, ok := parseISO(s, roundUp); ok {
		return t, true
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), true
	}
	return time.Time{}, false
}

func parseISO(s string, roundUp bool) (time.Time, bool) {
	p, ok := doc.ParseISODateParts(s)
	if !ok {
		return time.Time{}, false
	}
	loc := time.UTC
	if p.Offset != 0 {
		loc = time.FixedZone("", p.Offset)
	}
	t := time.Date(p.Year, time.Month(p.Month), p.Day, p.Hour, p.Minute, p.Second, p.Nano, loc)
	if roundUp {
		switch p.Given {
		case 0:
			t = time.Date(p.Year+1, 1, 1, 0, 0, 0, 0, loc)
		case 1:
			t = time.Date(p.Year, time.Month(p.Month)+1, 1, 0, 0, 0, 0, loc)
		case 2:
			t = t.AddDate(0, 0, 1)
		case 3:
			t = t.Add(time.Hour)
		case 4:
			t = t.Add(time.Minute)
		case 5:
			t = t.Add(time.Second)
		default:
			t = t.Add(time.Millisecond)
		}
		t = t.Add(-time.Millisecond)
	}
	return t.UTC(), true
}
