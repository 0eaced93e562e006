package doc

import "strings"

// The one parser of Elasticsearch's strict_date_optional_time and
// strict_date_optional_time_nanos, shared by document decoding (mapping
// formats, dynamic date detection) and ES|QL (TO_DATETIME, TO_DATE_NANOS,
// DATE_PARSE with an ISO format name).
//
// Behaviour follows Elasticsearch 9, read from (behaviour only, no code copied):
//   - elastic/elasticsearch server/src/main/java/org/elasticsearch/common/time/
//     Iso8601Parser.java (fixed-position fields, zones), DateFormatters.java
//     (which fields each format requires), DateTime.java (calendar check);
//     tests Iso8601ParserTests.java and DateFormattersTests.java
//     (testPartialTimeParsing, testTimezoneParsing, testFractionalSeconds).
//   - elastic/elasticsearch#106486 added that parser; #116572 removed the
//     java.time fallback, so in 9.x it alone decides. #73034: years are
//     exactly four digits.
//   - https://www.elastic.co/guide/en/elasticsearch/reference/current/mapping-date-format.html
//
// Grammar ([-] year; a zone only after an hour; no zone means UTC):
//
//	strict_date_optional_time:       [-]yyyy[-MM[-dd[T[HH[:mm[:ss[(.|,)f{1,9}]]][zone]]]]]
//	strict_date_optional_time_nanos: [-]yyyy[-MM[-dd[THH:mm:ss[(.|,)f{1,9}][zone]]]]
//	zone: Z | ±HH[[:]mm[[:]ss]] (colons both or neither) | UTC, GMT or UT
//	      [±H[H][[:]mm[[:]ss]]] | a fixed-offset region id (Zulu, Etc/GMT+5…)
//
// Offsets are at most ±18:00. 'T' and 'Z' are upper case only; 24:00 and
// leap seconds are rejected; dates are checked against the proleptic
// Gregorian calendar. Region ids with daylight saving (Europe/Paris), which
// need the tz database, are not accepted (Elasticsearch accepts them).

// ParseISODate parses s as strict_date_optional_time, returning seconds
// since the epoch and nanoseconds in [0, 1e9).
func ParseISODate(s string) (sec, nano int64, ok bool) {
	t, ok := parseISODate(s)
	return t.sec, int64(t.nsec), ok
}

// ParseISODateNanos parses s as strict_date_optional_time_nanos: like
// ParseISODate, but a time, when given, must have hours, minutes and seconds.
func ParseISODateNanos(s string) (sec, nano int64, ok bool) {
	t, ok := parseISODateNanos(s)
	return t.sec, int64(t.nsec), ok
}

// parseISODate is strict_date_optional_time: the fast path, then the rest.
func parseISODate(s string) (instant, bool) {
	if t, ok := parseISOMillisZ(s); ok {
		return t, true
	}
	return parseISODateAny(s)
}

// parseISODateNanos is strict_date_optional_time_nanos.
func parseISODateNanos(s string) (instant, bool) {
	if t, ok := parseISOMillisZ(s); ok {
		return t, true
	}
	return parseISO(s, true)
}

// parseISODateAny is parseISODate without the fast path (every shape).
func parseISODateAny(s string) (instant, bool) { return parseISO(s, false) }

// parseISOMillisZ is the fast path for the shape nearly every event
// timestamp has, yyyy-MM-ddTHH:mm:ss.SSSZ, at fixed positions. It declines
// anything else, leaving it to the general parser.
func parseISOMillisZ(s string) (instant, bool) {
	if len(s) != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[23] != 'Z' {
		return instant{}, false
	}
	// Every digit is checked at once: a byte outside '0'..'9' wraps (or
	// stays) above 9 once '0' is taken away.
	bad := false
	d2 := func(i int) int {
		a, b := s[i]-'0', s[i+1]-'0'
		bad = bad || a > 9 || b > 9
		return int(a)*10 + int(b)
	}
	year := d2(0)*100 + d2(2)
	month, day := d2(5), d2(8)
	hour, minute, sec := d2(11), d2(14), d2(17)
	ms := d2(20)*10 + int(s[22]-'0')
	if bad || s[22]-'0' > 9 {
		return instant{}, false
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 59 {
		return instant{}, false
	}
	days := daysFromCivil(year, month, day)
	return instant{sec: days*86400 + int64(hour*3600+minute*60+sec), nsec: int32(ms * 1e6)}, true
}

// ISODateParts is a strict_date_optional_time string read field by field:
// the local date and time, the zone's offset in seconds east of UTC, and
// Given, how many fields after the year the string has (0 for "2024", 2 for
// "2024-03-05", 6 with a fraction). Date math rounding (KQL ranges) needs
// them: a missing field rounds to the unit's start or end.
type ISODateParts struct {
	Year, Month, Day, Hour, Minute, Second, Nano int
	Offset                                       int
	Given                                        int
}

// ParseISODateParts is ParseISODate without the conversion to an instant.
func ParseISODateParts(s string) (ISODateParts, bool) {
	var t ISODateParts
	ok := parseISOParts(s, false, &t)
	return t, ok
}

// parseISO is the general parser; nanos selects the _nanos variant.
func parseISO(s string, nanos bool) (instant, bool) {
	var t ISODateParts
	if !parseISOParts(s, nanos, &t) {
		return instant{}, false
	}
	days := daysFromCivil(t.Year, t.Month, t.Day)
	return instant{sec: days*86400 + int64(t.Hour*3600+t.Minute*60+t.Second-t.Offset), nsec: int32(t.Nano)}, true
}

// parseISOParts reads s; like Elasticsearch's parser, it takes fields at
// fixed positions after an optional '-'.
func parseISOParts(s string, nanos bool, t *ISODateParts) bool {
	*t = ISODateParts{Month: 1, Day: 1}
	neg := s != "" && s[0] == '-'
	if neg {
		s = s[1:]
	}
	n := len(s)
	var ok bool
	if t.Year, ok = digitsAt(s, 0, 4); !ok {
		return false
	}
	if neg {
		t.Year = -t.Year // "-0000" is year 0, as in Elasticsearch
	}
	p := n // where the zone starts; n when there is none
	switch {
	case n == 4:
	case s[4] != '-':
		return false
	default:
		if t.Month, ok = digitsAt(s, 5, 2); !ok || t.Month < 1 || t.Month > 12 {
			return false
		}
		t.Given = 1
		if n == 7 {
			break
		}
		if s[7] != '-' {
			return false
		}
		if t.Day, ok = digitsAt(s, 8, 2); !ok || t.Day < 1 || t.Day > daysIn(t.Year, t.Month) {
			return false
		}
		t.Given = 2
		if n == 10 {
			break
		}
		if s[10] != 'T' {
			return false
		}
		if n == 11 { // "yyyy-MM-ddT" is midnight (DateFormattersTests)
			if nanos {
				return false
			}
			break
		}
		if t.Hour, ok = digitsAt(s, 11, 2); !ok || t.Hour > 23 {
			return false
		}
		t.Given = 3
		if p = 13; p == n || s[p] != ':' {
			if nanos { // the _nanos variant needs minutes and seconds
				return false
			}
			break
		}
		if t.Minute, ok = digitsAt(s, 14, 2); !ok || t.Minute > 59 {
			return false
		}
		t.Given = 4
		if p = 16; p == n || s[p] != ':' {
			if nanos {
				return false
			}
			break
		}
		if t.Second, ok = digitsAt(s, 17, 2); !ok || t.Second > 59 {
			return false
		}
		t.Given = 5
		if p = 19; p < n && (s[p] == '.' || s[p] == ',') {
			p++
			start := p
			for p < n && p-start < 9 && s[p] >= '0' && s[p] <= '9' {
				t.Nano = t.Nano*10 + int(s[p]-'0')
				p++
			}
			if p == start {
				return false
			}
			for i := p - start; i < 9; i++ {
				t.Nano *= 10
			}
			t.Given = 6
		}
	}
	if p < n {
		if t.Offset, ok = parseZone(s[p:]); !ok {
			return false
		}
	}
	return true
}

// maxOffset is java.time's ZoneOffset limit, ±18:00.
const maxOffset = 18 * 3600

// parseZone reads a zone that makes up all of z and returns its offset in
// seconds east of UTC.
func parseZone(z string) (int, bool) {
	switch z[0] {
	case 'Z':
		if len(z) == 1 {
			return 0, true
		}
	case '+', '-':
		return parseOffset(z)
	}
	return parseZoneID(z)
}

// parseOffset reads ±HH, ±HHmm, ±HH:mm, ±HHmmss or ±HH:mm:ss (Iso8601Parser's
// numeric zones: two-digit hours, colons both or neither).
func parseOffset(z string) (int, bool) {
	hh, ok := digitsAt(z, 1, 2)
	if !ok || hh > 23 {
		return 0, false
	}
	mm, ss, p := 0, 0, 3
	if p < len(z) {
		colon := z[p] == ':'
		if colon {
			p++
		}
		if mm, ok = digitsAt(z, p, 2); !ok || mm > 59 {
			return 0, false
		}
		if p += 2; p < len(z) {
			if (z[p] == ':') != colon {
				return 0, false
			}
			if colon {
				p++
			}
			if ss, ok = digitsAt(z, p, 2); !ok || ss > 59 || p+2 != len(z) {
				return 0, false
			}
		}
	}
	return signed(z[0], hh*3600+mm*60+ss)
}

// parseZoneID reads what java.time's ZoneId.of accepts without the tz
// database: UTC, GMT and UT, optionally followed by a ZoneOffset.of offset,
// and the region ids that are fixed offsets.
func parseZoneID(z string) (int, bool) {
	for _, prefix := range [...]string{"UTC", "GMT", "UT"} {
		if !strings.HasPrefix(z, prefix) {
			continue
		}
		rest := z[len(prefix):]
		if rest == "" {
			return 0, true
		}
		if rest[0] == '+' || rest[0] == '-' {
			return parseZoneOffsetOf(rest)
		}
		break // "GMT0", "UTCx": a region id
	}
	switch z {
	case "Zulu", "UCT", "Universal", "Greenwich", "GMT0",
		"Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "Etc/Greenwich", "Etc/GMT", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0":
		return 0, true
	}
	// Etc/GMT+N is N hours west (the POSIX sign): Etc/GMT+1…+12, Etc/GMT-1…-14.
	if rest, ok := strings.CutPrefix(z, "Etc/GMT"); ok && len(rest) >= 2 && len(rest) <= 3 && (rest[0] == '+' || rest[0] == '-') && rest[1] != '0' {
		h, ok := digitsAt(rest, 1, len(rest)-1)
		if !ok || (rest[0] == '+' && h > 12) || h > 14 {
			return 0, false
		}
		if rest[0] == '+' {
			return -h * 3600, true
		}
		return h * 3600, true
	}
	return 0, false
}

// parseZoneOffsetOf reads java.time's ZoneOffset.of forms: ±H, ±HH, ±HHmm,
// ±HH:mm, ±HHmmss, ±HH:mm:ss, hours at most 18.
func parseZoneOffsetOf(z string) (int, bool) {
	var hh, mm, ss int
	ok := true
	switch len(z) {
	case 2:
		hh, ok = digitsAt(z, 1, 1)
	case 3:
		hh, ok = digitsAt(z, 1, 2)
	case 5, 7:
		hh, ok = digitsAt(z, 1, 2)
		if v, o := digitsAt(z, 3, 2); ok && o {
			mm = v
		} else {
			ok = false
		}
		if len(z) == 7 {
			if v, o := digitsAt(z, 5, 2); ok && o {
				ss = v
			} else {
				ok = false
			}
		}
	case 6, 9:
		hh, ok = digitsAt(z, 1, 2)
		if v, o := digitsAt(z, 4, 2); ok && o && z[3] == ':' {
			mm = v
		} else {
			ok = false
		}
		if len(z) == 9 {
			if v, o := digitsAt(z, 7, 2); ok && o && z[6] == ':' {
				ss = v
			} else {
				ok = false
			}
		}
	default:
		return 0, false
	}
	if !ok || hh > 18 || mm > 59 || ss > 59 {
		return 0, false
	}
	return signed(z[0], hh*3600+mm*60+ss)
}

// signed applies a '+' or '-' to an offset and checks java.time's ±18:00 limit.
func signed(sign byte, secs int) (int, bool) {
	if secs > maxOffset {
		return 0, false
	}
	if sign == '-' {
		return -secs, true
	}
	return secs, true
}

// digitsAt reads n ASCII digits at s[i:], failing if s is too short.
func digitsAt(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for j := i; j < i+n; j++ {
		c := s[j]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil counts days since 1970-01-01 in the proleptic Gregorian calendar.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}
