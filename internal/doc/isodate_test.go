package doc

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Sources cited in the table (Elasticsearch 9 behaviour; see isodate.go):
//
//	IP   elastic/elasticsearch …/common/time/Iso8601Parser.java
//	IPT  elastic/elasticsearch …/common/time/Iso8601ParserTests.java
//	DF   elastic/elasticsearch …/common/time/DateFormatters.java (field requirements)
//	DFT  elastic/elasticsearch …/common/time/DateFormattersTests.java
//	DT   elastic/elasticsearch …/common/time/DateTime.java (LocalDate.of/LocalTime.of checks)
//	JZ   java.time ZoneId.of / ZoneOffset.of (what IP falls back to for zone ids)
//	#N   elastic/elasticsearch issue or pull request N

// isoCase is one input: want is the instant for strict_date_optional_time
// (zero: rejected); shortTime marks inputs the _nanos variant rejects (a
// time without seconds), which it otherwise parses identically.
type isoCase struct {
	in        string
	want      time.Time
	shortTime bool
}

func utc(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
}

var isoCases = []isoCase{
	// Partial dates: year, year-month, full date (DFT testPartialDateParsing).
	{in: "2024", want: utc(2024, 1, 1, 0, 0, 0, 0)},
	{in: "2024-03", want: utc(2024, 3, 1, 0, 0, 0, 0)},
	{in: "2024-03-05", want: utc(2024, 3, 5, 0, 0, 0, 0)},
	// The calendar is checked: LocalDate.of rejects these (DT); months > 12 and days > 31 fail in IP (IPT testOutOfRange).
	{in: "2024-02-29", want: utc(2024, 2, 29, 0, 0, 0, 0)},
	{in: "2023-02-29"},
	{in: "2023-02-30"},
	{in: "2024-04-31"},
	{in: "2023-13-12"},
	{in: "2023-12-32"},
	{in: "2024-00-01"},
	{in: "2024-00"},
	{in: "2024-01-00"},
	// Fixed widths: exactly 4-digit years (#73034, #29014), 2-digit fields (IP).
	{in: "20245-01-01"},
	{in: "20245"},
	{in: "202"},
	{in: "2024-1-05"},
	{in: "2024-03-5"},
	{in: "24-03-05"},
	{in: "2024-"},
	// '+' never starts a year; '-' makes it negative (IP tryParse; IPT testStrangeParses "-9999-01-01").
	{in: "+2024-01-01"},
	{in: "-2024-03-05", want: utc(-2024, 3, 5, 0, 0, 0, 0)},
	{in: "-9999-01-01T10:00Z", want: utc(-9999, 1, 1, 10, 0, 0, 0), shortTime: true},
	{in: "-0001", want: utc(-1, 1, 1, 0, 0, 0, 0)},
	{in: "-0000-01-01", want: utc(0, 1, 1, 0, 0, 0, 0)}, // IP negates year 0
	{in: "0000-02-29", want: utc(0, 2, 29, 0, 0, 0, 0)}, // proleptic: year 0 is leap
	{in: "--2024"},
	{in: "-"},
	{in: ""},
	// Time parts (DFT testPartialTimeParsing): a bare 'T' is midnight; hour, minute optional.
	{in: "2024-03-05T", want: utc(2024, 3, 5, 0, 0, 0, 0), shortTime: true},
	{in: "2024-03-05T10", want: utc(2024, 3, 5, 10, 0, 0, 0), shortTime: true},
	{in: "2024-03-05T10:20", want: utc(2024, 3, 5, 10, 20, 0, 0), shortTime: true},
	{in: "2024-03-05T10:20:30", want: utc(2024, 3, 5, 10, 20, 30, 0)},
	{in: "2024-03-05T1:20"},
	{in: "2024-03-05T10:2"},
	{in: "2024-03-05T10:20:3"},
	// Only an upper-case 'T' separates date and time (IP charAt(10) != 'T'); no space.
	{in: "2024-03-05t10:20:30Z"},
	{in: "2024-03-05 10:20:30"},
	// A time needs the full date: the java.time fallback that read these was removed (#116572; IP needs '-' at 4 and 7).
	{in: "2024-03T10:00"},
	{in: "2024T10"},
	// No 24:00, no leap second (IPT testOutOfRange).
	{in: "2023-12-31T24"},
	{in: "2023-12-31T24:00"},
	{in: "2023-12-31T23:60"},
	{in: "2023-12-31T23:59:60"},
	{in: "2023-12-31T23:59:60Z"},
	// Fractions: 1 to 9 digits after '.' or ',' (DFT testFractionalSeconds, testDecimalPointParsing; IPT testParseNanos).
	{in: "2019-05-06T14:52:37.1Z", want: utc(2019, 5, 6, 14, 52, 37, 100_000_000)},
	{in: "2019-05-06T14:52:37.12Z", want: utc(2019, 5, 6, 14, 52, 37, 120_000_000)},
	{in: "2019-05-06T14:52:37,123Z", want: utc(2019, 5, 6, 14, 52, 37, 123_000_000)},
	{in: "2019-05-06T14:52:37.1234Z", want: utc(2019, 5, 6, 14, 52, 37, 123_400_000)},
	{in: "2019-05-06T14:52:37.123456Z", want: utc(2019, 5, 6, 14, 52, 37, 123_456_000)},
	{in: "2019-05-06T14:52:37.123456789Z", want: utc(2019, 5, 6, 14, 52, 37, 123_456_789)},
	{in: "2019-05-06T14:52:37.123456789", want: utc(2019, 5, 6, 14, 52, 37, 123_456_789)},
	{in: "1970-01-01T00:00:00.000000001", want: utc(1970, 1, 1, 0, 0, 0, 1)},
	{in: "2023-01-01T12:00:00.0000000005"}, // 10 digits (IPT "too many nanos")
	{in: "2023-01-01T12:00:00."},
	{in: "2023-01-01T12:00:00.Z"},
	{in: "2001-01-01T00:00:00.123,456Z"}, // DFT testDecimalPointParsing
	{in: "2023-01-01T12:00.5"},           // a fraction needs seconds
	// The fast-path shape and its near misses.
	{in: "2023-10-23T13:55:01.543Z", want: utc(2023, 10, 23, 13, 55, 1, 543_000_000)},
	{in: "2023-10-23T13:55:01.543z"},
	{in: "2023-10-23T13:55:01:543Z"},
	// Numeric offsets: ±HH, ±HHmm, ±HH:mm, ±HHmmss, ±HH:mm:ss (DFT testTimezoneParsing; IPT testParseTimezones).
	{in: "2016-11-30T00+01", want: utc(2016, 11, 29, 23, 0, 0, 0), shortTime: true},
	{in: "2016-11-30T00+0100", want: utc(2016, 11, 29, 23, 0, 0, 0), shortTime: true},
	{in: "2016-11-30T00+01:00", want: utc(2016, 11, 29, 23, 0, 0, 0), shortTime: true},
	{in: "2016-11-30T12:00+01", want: utc(2016, 11, 30, 11, 0, 0, 0), shortTime: true},
	{in: "2016-11-30T12:00:00+01", want: utc(2016, 11, 30, 11, 0, 0, 0)},
	{in: "2016-11-30T12:00:00.000+01", want: utc(2016, 11, 30, 11, 0, 0, 0)},
	{in: "2023-01-01T12:00:00-0415", want: utc(2023, 1, 1, 16, 15, 0, 0)},
	{in: "2023-01-01T12:00:00+08:30", want: utc(2023, 1, 1, 3, 30, 0, 0)},
	{in: "2023-01-01T12:00:00+011030", want: utc(2023, 1, 1, 10, 49, 30, 0)},
	{in: "2023-01-01T12:00:00-07:45:20", want: utc(2023, 1, 1, 19, 45, 20, 0)},
	{in: "2023-01-01T12:00:00-00:00", want: utc(2023, 1, 1, 12, 0, 0, 0)},
	{in: "2023-01-01T12:00:00+18:00", want: utc(2022, 12, 31, 18, 0, 0, 0)},
	{in: "2023-01-01T12:00:00+01:1030"}, // colons both or neither (IP)
	{in: "2023-01-01T12:00:00+0110:30"},
	{in: "2023-01-01T12:00:00+5"}, // IPT testEquivalence failures
	{in: "2023-01-01T12:00:00-7"},
	{in: "2023-01-01T12:00:00+010"},
	{in: "2023-01-01T12:00:00+01:"},
	{in: "2023-01-01T12:00:00+"},
	{in: "2023-12-31T23:59:59+18:30"}, // beyond ±18:00 (IPT testOutOfRange)
	{in: "2023-01-01T12:00:00-19"},
	{in: "2023-01-01T12:00:00+01:60"},
	{in: "2023-01-01T12:00:00+0100:00:00"},
	// 'Z' exactly; a zone only after an hour (DFT testPartialTimeParsing "2016-11-30T+01").
	{in: "2023-01-01T12:00:00Z", want: utc(2023, 1, 1, 12, 0, 0, 0)},
	{in: "2023-01-01T12Z", want: utc(2023, 1, 1, 12, 0, 0, 0), shortTime: true},
	{in: "2023-01-01T12:00:00z"}, // JZ: ZoneId.of("z") fails
	{in: "2023-01-01T12:00:00ZZ"},
	{in: "2023-01-01T12:00:00Z+01:00"}, // one zone only (DF: the ISO parser rejects multiple zones)
	{in: "2016-11-30T+01"},
	{in: "2016-11-30TZ"},
	{in: "2016-11-30Z"},
	{in: "2016-11Z"},
	{in: "2016Z"},
	// Zone ids (IPT testParseTimezones, testEquivalence; JZ ZoneOffset.of allows a 1-digit hour after a prefix).
	{in: "2023-01-01T12:00:00UTC", want: utc(2023, 1, 1, 12, 0, 0, 0)},
	{in: "2023-01-01T12:00:00GMT", want: utc(2023, 1, 1, 12, 0, 0, 0)},
	{in: "2023-01-01T12:00:00UT", want: utc(2023, 1, 1, 12, 0, 0, 0)},
	{in: "2023-01-01T12:00:00GMT+3", want: utc(2023, 1, 1, 9, 0, 0, 0)},
	{in: "2023-01-01T12:00:00UTC-4", want: utc(2023, 1, 1, 16, 0, 0, 0)},
	{in: "2023-01-01T12:00:00UT+6", want: utc(2023, 1, 1, 6, 0, 0, 0)},
	{in: "2023-01-01T12:00:00UTC+05:00", want: utc(2023, 1, 1, 7, 0, 0, 0)},
	{in: "2023-01-01T12:00:00GMT-09:45:30", want: utc(2023, 1, 1, 21, 45, 30, 0)},
	{in: "2023-01-01T12:00:00UTC+0530", want: utc(2023, 1, 1, 6, 30, 0, 0)},
	{in: "2023-01-01T12UTC", want: utc(2023, 1, 1, 12, 0, 0, 0), shortTime: true},
	{in: "2023-01-01T12:00:00Zulu", want: utc(2023, 1, 1, 12, 0, 0, 0)},
	{in: "2023-01-01T12:00:00GMT0", want: utc(2023, 1, 1, 12, 0, 0, 0)},
	{in: "2023-01-01T12:00:00Etc/UTC", want: utc(2023, 1, 1, 12, 0, 0, 0)},
	{in: "2023-01-01T12:00:00Etc/GMT+5", want: utc(2023, 1, 1, 17, 0, 0, 0)}, // POSIX sign: 5 hours west
	{in: "2023-01-01T12:00:00Etc/GMT-14", want: utc(2022, 12, 31, 22, 0, 0, 0)},
	{in: "2023-01-01T12:00:00Etc/GMT+13"},
	{in: "2023-01-01T12:00:00Etc/GMT+05"},
	{in: "2023-01-01T12:00:00UTC+19"},
	{in: "2023-01-01T12:00:00UTC+18:01"},
	{in: "2023-01-01T12:00:00UTC+123"},
	{in: "2023-01-01T12:00:00UTC0"},
	{in: "2023-01-01T12:00:00GMT+"},
	{in: "2023-01-01T12:00:00utc"}, // zone ids are case-sensitive (JZ)
	{in: "2023-01-01T12:00:00InvalidTimeZone"},
	// Deviation: Elasticsearch accepts region ids with daylight saving (IPT "Europe/Paris"); they need the tz database.
	{in: "2023-01-01T12:00:00Europe/Paris"},
	// Trailing or leading garbage.
	{in: "2023-01-01T12:00:00Zjunk"},
	{in: "2023-01-01T12:00:00 "},
	{in: " 2023-01-01"},
	{in: "2023-01-01T12:00:00.123Z\n"},
	{in: "2021-01-01T23-35-00Z"}, // DFT testIncorrectFormat
	{in: "yesterday"},
}

func TestParseISODateTable(t *testing.T) {
	for _, c := range isoCases {
		sec, nano, ok := ParseISODate(c.in)
		if c.want.IsZero() {
			if ok {
				t.Errorf("ParseISODate(%q) = %s, want rejected", c.in, time.Unix(sec, nano).UTC())
			}
		} else if !ok || sec != c.want.Unix() || nano != int64(c.want.Nanosecond()) {
			t.Errorf("ParseISODate(%q) = %s %v, want %s", c.in, time.Unix(sec, nano).UTC(), ok, c.want)
		}
		// The _nanos variant (DF: hour, minute and second mandatory once 'T' is there; DFT testNanoOfSecondWidth).
		nsec, nnano, nok := ParseISODateNanos(c.in)
		wantNanos := ok && !c.shortTime
		if nok != wantNanos || (nok && (nsec != sec || nnano != nano)) {
			t.Errorf("ParseISODateNanos(%q) = %d.%09d %v, want %v (strict_date_optional_time gave %d.%09d %v)", c.in, nsec, nnano, nok, wantNanos, sec, nano, ok)
		}
		if ref, rok := refParse(c.in, false); rok != ok || (ok && ref != (instant{sec, int32(nano)})) {
			t.Errorf("reference parser disagrees on %q: %v %v", c.in, ref, rok)
		}
	}
}

// TestDecodeDateEdgeCases: the document decoder applies the same parser to
// date fields (default format) and, for date_nanos fields (whose default
// format is strict_date_optional_time_nanos||epoch_millis) or an explicit
// strict_date_optional_time_nanos format, the _nanos variant.
func TestDecodeDateEdgeCases(t *testing.T) {
	m := mustMapping(t, `{"mappings":{"properties":{
  "d":{"type":"date"},
  "n":{"type":"date_nanos","format":"strict_date_optional_time_nanos"},
  "dn":{"type":"date_nanos"}}}}`)
	for _, c := range isoCases {
		if strings.ContainsAny(c.in, "\"\\\n") {
			continue
		}
		d, err := NewDecoder(m, DecodeOptions{}).Decode([]byte(`{"d":"` + c.in + `"}`))
		wantOK := !c.want.IsZero() || isEpochMillis(c.in)
		if (err == nil) != wantOK {
			t.Errorf("decode date %q: err %v, want ok=%v", c.in, err, wantOK)
		} else if err == nil && !c.want.IsZero() {
			if got := d.Get("d"); got.T != Date || got.I != c.want.UnixMilli() {
				t.Errorf("decode date %q = %v, want %d", c.in, got, c.want.UnixMilli())
			}
		}
		if c.want.IsZero() || c.shortTime || c.want.Year() < 1970 {
			continue
		}
		d, err = NewDecoder(m, DecodeOptions{}).Decode([]byte(`{"n":"` + c.in + `"}`))
		if err != nil || d.Get("n").I != c.want.UnixNano() {
			t.Errorf("decode date_nanos %q = %v (%v), want %d", c.in, d.Get("n"), err, c.want.UnixNano())
		}
	}
	for _, s := range []string{"2024-03-05T", "2024-03-05T10", "2016-11-30T00+01"} {
		for _, f := range []string{"n", "dn"} {
			if _, err := NewDecoder(m, DecodeOptions{}).Decode([]byte(`{"` + f + `":"` + s + `"}`)); err == nil {
				t.Errorf("%s: strict_date_optional_time_nanos accepted %q", f, s)
			}
		}
	}
	for in, want := range map[string]int64{"2024-03-05T10:20:30.123456789Z": 1709634030123456789, "1420070400000": 1420070400000 * 1e6, "2024-03-05": 1709596800 * 1e9} {
		if d, err := NewDecoder(m, DecodeOptions{}).Decode([]byte(`{"dn":"` + in + `"}`)); err != nil || d.Get("dn").I != want {
			t.Errorf("date_nanos with the default format: %q = %v (%v), want %d", in, d.Get("dn"), err, want)
		}
	}
}

// isEpochMillis: what the default format's epoch_millis alternative takes.
func isEpochMillis(s string) bool {
	_, ok := parseEpoch(s, 1e6)
	return ok
}

// refZone and refISO are an independent reading of the grammar in isodate.go,
// as regular expressions plus the time package, to cross-check the parser.
const refZone = `Z|[+-]\d{2}(?:\d{2}(?:\d{2})?|:\d{2}(?::\d{2})?)?` +
	`|(?:UTC|GMT|UT)(?:[+-](?:\d{1,2}|\d{4}|\d{2}:\d{2}|\d{6}|\d{2}:\d{2}:\d{2}))?` +
	`|Zulu|UCT|Universal|Greenwich|GMT0|Etc/(?:UTC|UCT|Universal|Zulu|Greenwich|GMT0|GMT(?:[+-](?:0|[1-9]\d?))?)`

var refISO = regexp.MustCompile(`^(-?)(\d{4})(?:-(\d{2})(?:-(\d{2})(T(?:(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(` + refZone + `)?)?)?)?)?$`)

func refParse(s string, nanos bool) (instant, bool) {
	m := refISO.FindStringSubmatch(s)
	if m == nil {
		return instant{}, false
	}
	num := func(g string, def int) int {
		if g == "" {
			return def
		}
		v, _ := strconv.Atoi(g)
		return v
	}
	y := num(m[2], 0)
	if m[1] == "-" {
		y = -y
	}
	mo, d, h, mi, sec := num(m[3], 1), num(m[4], 1), num(m[6], 0), num(m[7], 0), num(m[8], 0)
	if nanos && m[5] != "" && m[8] == "" {
		return instant{}, false
	}
	frac := (m[9] + "000000000")[:9]
	ns := num(frac, 0)
	if mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59 {
		return instant{}, false
	}
	tm := time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC)
	if tm.Day() != d || int(tm.Month()) != mo {
		return instant{}, false
	}
	off, ok := refOffset(m[10])
	if !ok {
		return instant{}, false
	}
	return instant{tm.Unix() - int64(off), int32(ns)}, true
}

func refOffset(z string) (int, bool) {
	sign, maxH := 1, 23
	switch {
	case z == "" || z == "Z":
		return 0, true
	case z[0] == '+' || z[0] == '-':
	case strings.HasPrefix(z, "Etc/GMT") && len(z) > 8:
		n, _ := strconv.Atoi(z[8:])
		if (z[7] == '+' && n > 12) || n > 14 {
			return 0, false
		}
		if z[7] == '+' {
			n = -n
		}
		return n * 3600, true
	case strings.HasPrefix(z, "UTC") || strings.HasPrefix(z, "GMT") || strings.HasPrefix(z, "UT"):
		z = strings.TrimLeft(z, "UTCGM")
		if z == "" {
			return 0, true
		}
		maxH = 18
	default:
		return 0, true // a UTC alias
	}
	if z[0] == '-' {
		sign = -1
	}
	digits := strings.ReplaceAll(z[1:], ":", "")
	if len(digits) == 1 {
		digits = "0" + digits
	}
	h, mi, s := num2(digits, 0), num2(digits, 2), num2(digits, 4)
	total := h*3600 + mi*60 + s
	if h > maxH || mi > 59 || s > 59 || total > 18*3600 {
		return 0, false
	}
	return sign * total, true
}

func num2(s string, i int) int {
	if i+2 > len(s) {
		return 0
	}
	v, _ := strconv.Atoi(s[i : i+2])
	return v
}

// FuzzParseISODate: the parser never panics, agrees with the fast path and
// with the reference reading, keeps nanoseconds in range, and the _nanos
// variant only ever narrows strict_date_optional_time.
func FuzzParseISODate(f *testing.F) {
	for _, c := range isoCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseISODate(s)
		slow, sok := parseISODateAny(s)
		if ok != sok || got != slow {
			t.Fatalf("%q: parseISODate %v %v, general path %v %v", s, got, ok, slow, sok)
		}
		if fast, fok := parseISOMillisZ(s); fok && fast != slow {
			t.Fatalf("%q: fast path %v, general path %v", s, fast, slow)
		}
		if ok && (got.nsec < 0 || got.nsec >= 1e9) {
			t.Fatalf("%q: nanos %d out of range", s, got.nsec)
		}
		n, nok := parseISODateNanos(s)
		if nok && (!ok || n != got) {
			t.Fatalf("%q: _nanos %v, strict_date_optional_time %v %v", s, n, got, ok)
		}
		// No valid date is longer than 44 bytes. Long inputs skip the
		// reference: its regexp takes another path on them, which the fuzzer
		// would chase (and spend its time minimizing).
		if len(s) > 64 {
			if ok {
				t.Fatalf("%q: accepted %d bytes", s, len(s))
			}
			return
		}
		if ref, rok := refParse(s, false); rok != ok || ref != got {
			t.Fatalf("%q: parser %v %v, reference %v %v", s, got, ok, ref, rok)
		}
		if ref, rok := refParse(s, true); rok != nok || ref != n {
			t.Fatalf("%q: _nanos %v %v, reference %v %v", s, n, nok, ref, rok)
		}
	})
}

var benchISOInputs = []string{
	"2023-10-23T13:55:01.543Z",       // the fast path
	"2023-10-23T13:55:01.543+02:00",  // offset
	"2023-10-23T13:55:01.123456789Z", // nanos
	"2023-10-23",                     // date only
}

var sinkInstant instant

func BenchmarkParseISODate(b *testing.B) {
	for _, s := range benchISOInputs {
		b.Run(s, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				sinkInstant, _ = parseISODate(s)
			}
		})
	}
}

// FuzzParseISOMillisZ: the timestamp fast path agrees with the general
// parser wherever it answers, and answers for every valid date of its shape.
func FuzzParseISOMillisZ(f *testing.F) {
	for _, s := range []string{"2026-11-20T09:00:00.004Z", "2024-02-29T23:59:59.999Z", "2023-02-29T00:00:00.000Z",
		"0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", "2026-13-01T00:00:00.000Z", "2026-11-20T24:00:00.000Z",
		"2026-11-20t09:00:00.004Z", "2026-11-20T09:00:00.004z", "2026-11-20T09:00:00,004Z", "2026-1a-20T09:00:00.004Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fast, fok := parseISOMillisZ(s)
		slow, sok := parseISODateAny(s)
		if fok && (!sok || fast != slow) {
			t.Fatalf("%q: fast %v %v, general %v %v", s, fast, fok, slow, sok)
		}
		canonical := len(s) == 24 && s[10] == 'T' && s[19] == '.' && s[23] == 'Z' && !strings.ContainsAny(s[:4], "+-")
		if sok && canonical && !fok {
			t.Fatalf("%q: fast path declined a valid date (%v)", s, slow)
		}
	})
}
