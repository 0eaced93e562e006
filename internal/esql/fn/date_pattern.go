package fn

import (
	"errors"
	"strconv"
	"strings"

	"vigil/internal/doc"
)

// datePattern is a compiled java.time DateTimeFormatter pattern (the subset
// DATE_FORMAT and DATE_PARSE use), always applied in UTC with Locale.ROOT
// English names.
type datePattern struct {
	toks []dateTok
	// iso marks Elasticsearch's named ISO formats, handled by parseISODate
	// (isoNanos: strict_date_optional_time_nanos, by parseISODateNanos).
	iso, isoNanos bool
}

// isoFormatNames are built-in Elasticsearch format names DateFormatter.forPattern
// resolves to the ISO parser/printer rather than to a pattern.
var isoFormatNames = map[string]bool{
	"strict_date_optional_time": true, "date_optional_time": true, "iso8601": true,
	"strict_date_optional_time_nanos": true, "strictDateOptionalTime": true, "dateOptionalTime": true,
}

// dateTok is a run of one pattern letter (letter != 0) or literal text.
type dateTok struct {
	letter byte
	n      int
	lit    string
}

// dateLetters lists the supported letters with their maximum run length.
var dateLetters = map[byte]int{
	'G': 5, 'u': 19, 'y': 19, 'Y': 19, 'M': 5, 'L': 5, 'd': 2, 'D': 3, 'Q': 5, 'q': 5,
	'E': 5, 'e': 5, 'a': 1, 'H': 2, 'k': 2, 'K': 2, 'h': 2, 'm': 2, 's': 2, 'S': 9,
	'n': 19, 'A': 19, 'N': 19, 'X': 5, 'x': 5, 'Z': 5, 'z': 4, 'V': 2, 'O': 4,
}

// compileDatePattern parses a pattern once: letters, 'quoted text' (” is a
// quote), [ ] optional sections (treated as plain for formatting), and
// other characters as literals.
func compileDatePattern(pat string) (*datePattern, error) {
	if isoFormatNames[pat] {
		return &datePattern{iso: true, isoNanos: pat == "strict_date_optional_time_nanos"}, nil
	}
	p := &datePattern{}
	for i := 0; i < len(pat); {
		c := pat[i]
		switch {
		case c == '\'':
			j := i + 1
			var b strings.Builder
			for {
				if j >= len(pat) {
					return nil, errors.New("Pattern ends with an incomplete string literal: " + pat)
				}
				if pat[j] == '\'' {
					if j+1 < len(pat) && pat[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(pat[j])
				j++
			}
			if j == i+1 {
				p.toks = append(p.toks, dateTok{lit: "'"})
			} else {
				p.toks = append(p.toks, dateTok{lit: b.String()})
			}
			i = j + 1
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(pat) && pat[j] == c {
				j++
			}
			max, ok := dateLetters[c]
			if !ok {
				return nil, errors.New("Unknown pattern letter: " + string(c))
			}
			if j-i > max {
				return nil, errors.New("Too many pattern letters: " + string(c))
			}
			p.toks = append(p.toks, dateTok{letter: c, n: j - i})
			i = j
		case c == '[' || c == ']':
			i++ // optional sections: everything is printed, parsing is strict
		default:
			p.toks = append(p.toks, dateTok{lit: string(c)})
			i++
		}
	}
	return p, nil
}

func datePad(b []byte, v int64, width int) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	s := strconv.FormatInt(v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

func (p *datePattern) format(in instant) string {
	if p.iso {
		return doc.FormatDate(in.sec*1000 + in.nano/1e6)
	}
	t := in.time()
	b := make([]byte, 0, 32)
	for _, k := range p.toks {
		if k.letter == 0 {
			b = append(b, k.lit...)
			continue
		}
		n := k.n
		switch k.letter {
		case 'G':
			if n == 4 {
				b = append(b, "Anno Domini"...)
			} else if n == 5 {
				b = append(b, 'A')
			} else {
				b = append(b, "AD"...)
			}
		case 'y', 'u', 'Y':
			y := int64(t.Year())
			if n == 2 {
				b = datePad(b, (y%100+100)%100, 2)
			} else {
				b = datePad(b, y, n)
			}
		case 'M', 'L':
			m := int(t.Month())
			switch n {
			case 1, 2:
				b = datePad(b, int64(m), n)
			case 3:
				b = append(b, monthNames[m-1][:3]...)
			case 4:
				b = append(b, monthNames[m-1]...)
			default:
				b = append(b, monthNames[m-1][0])
			}
		case 'd':
			b = datePad(b, int64(t.Day()), n)
		case 'D':
			b = datePad(b, int64(t.YearDay()), n)
		case 'Q', 'q':
			q := (int64(t.Month())-1)/3 + 1
			switch n {
			case 1, 2:
				b = datePad(b, q, n)
			case 3:
				b = append(b, 'Q')
				b = datePad(b, q, 1)
			case 4:
				b = append(b, [...]string{"1st quarter", "2nd quarter", "3rd quarter", "4th quarter"}[q-1]...)
			default:
				b = datePad(b, q, 1)
			}
		case 'E', 'e':
			wd := isoWeekday(in)
			switch {
			case k.letter == 'e' && n <= 2:
				b = datePad(b, wd, n)
			case n <= 3:
				b = append(b, dayNames[wd-1][:3]...)
			case n == 4:
				b = append(b, dayNames[wd-1]...)
			default:
				b = append(b, dayNames[wd-1][0])
			}
		case 'a':
			if t.Hour() < 12 {
				b = append(b, "AM"...)
			} else {
				b = append(b, "PM"...)
			}
		case 'H':
			b = datePad(b, int64(t.Hour()), n)
		case 'k':
			h := t.Hour()
			if h == 0 {
				h = 24
			}
			b = datePad(b, int64(h), n)
		case 'K':
			b = datePad(b, int64(t.Hour()%12), n)
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b = datePad(b, int64(h), n)
		case 'm':
			b = datePad(b, int64(t.Minute()), n)
		case 's':
			b = datePad(b, int64(t.Second()), n)
		case 'S':
			f := datePad(nil, in.nano, 9)
			b = append(b, f[:n]...)
		case 'n':
			b = datePad(b, in.nano, n)
		case 'N':
			_, nod := dayAndNanos(in)
			b = datePad(b, nod, n)
		case 'A':
			_, nod := dayAndNanos(in)
			b = datePad(b, nod/1e6, n)
		case 'X', 'z', 'V':
			b = append(b, 'Z')
		case 'x':
			b = append(b, [...]string{"", "+00", "+0000", "+00:00", "+0000", "+00:00"}[n]...)
		case 'Z':
			switch n {
			case 4:
				b = append(b, "GMT"...)
			case 5:
				b = append(b, 'Z')
			default:
				b = append(b, "+0000"...)
			}
		case 'O':
			b = append(b, "GMT"...)
		}
	}
	return string(b)
}

// parse reads s strictly against the pattern; absent fields default to
// 1970-01-01T00:00:00Z.
func (p *datePattern) parse(s string) (instant, bool) {
	if p.isoNanos {
		return parseISODateNanos(s)
	}
	if p.iso {
		return parseISODate(s)
	}
	year, month, day, yday := int64(1970), int64(1), int64(1), int64(0)
	var hour, minute, sec, nano, off int64
	pm, hasAmPm, h12 := false, false, false
	pos := 0
	readNumSigned := func(min, max int, signed bool) (int64, bool) {
		start := pos
		neg := false
		if signed && pos < len(s) && (s[pos] == '-' || s[pos] == '+') {
			neg = s[pos] == '-'
			pos++
			start = pos
		}
		for pos < len(s) && pos-start < max && s[pos] >= '0' && s[pos] <= '9' {
			pos++
		}
		if pos-start < min {
			return 0, false
		}
		v, err := strconv.ParseInt(s[start:pos], 10, 64)
		if err != nil {
			return 0, false
		}
		if neg {
			v = -v
		}
		return v, true
	}
	readNum := func(min, max int) (int64, bool) { return readNumSigned(min, max, false) }
	readName := func(names []string, prefix int) (int64, bool) {
		for i, nm := range names {
			if prefix > 0 {
				nm = nm[:prefix]
			}
			if len(s)-pos >= len(nm) && strings.EqualFold(s[pos:pos+len(nm)], nm) {
				pos += len(nm)
				return int64(i + 1), true
			}
		}
		return 0, false
	}
	for i, k := range p.toks {
		if k.letter == 0 {
			if !strings.HasPrefix(s[pos:], k.lit) {
				return instant{}, false
			}
			pos += len(k.lit)
			continue
		}
		// Adjacent numeric fields need fixed widths ("yyyyMMdd").
		nextNumeric := i+1 < len(p.toks) && p.toks[i+1].letter != 0
		width := func(minW int) (int, int) {
			if k.n > 1 || nextNumeric {
				return k.n, k.n
			}
			return minW, 19
		}
		var ok bool
		var v int64
		switch k.letter {
		case 'y', 'u', 'Y':
			if k.n == 2 {
				if v, ok = readNum(2, 2); ok {
					v += 2000
				}
			} else if nextNumeric {
				v, ok = readNum(k.n, k.n)
			} else {
				v, ok = readNumSigned(k.n, 10, true)
			}
			year = v
		case 'M', 'L':
			switch k.n {
			case 3:
				month, ok = readName(monthNames[:], 3)
			case 4:
				month, ok = readName(monthNames[:], 0)
			default:
				a, b := width(1)
				if b > 2 {
					b = 2
				}
				month, ok = readNum(a, b)
			}
		case 'd':
			a, b := width(1)
			day, ok = readNum(a, min(b, 2))
		case 'D':
			a, b := width(1)
			yday, ok = readNum(a, min(b, 3))
		case 'E':
			if k.n == 4 {
				_, ok = readName(dayNames[:], 0)
			} else {
				_, ok = readName(dayNames[:], 3)
			}
		case 'a':
			var x int64
			x, ok = readName([]string{"AM", "PM"}, 0)
			pm, hasAmPm = x == 2, true
		case 'H', 'k', 'K', 'h':
			a, b := width(1)
			hour, ok = readNum(a, min(b, 2))
			if k.letter == 'k' && hour == 24 {
				hour = 0
			}
			h12 = k.letter == 'h' || k.letter == 'K'
		case 'm':
			a, b := width(1)
			minute, ok = readNum(a, min(b, 2))
		case 's':
			a, b := width(1)
			sec, ok = readNum(a, min(b, 2))
		case 'S':
			start := pos
			v, ok = readNum(k.n, k.n)
			for d := pos - start; ok && d < 9; d++ {
				v *= 10
			}
			nano = v
		case 'n':
			nano, ok = readNum(1, 9)
		case 'X', 'x', 'Z', 'z', 'V', 'O':
			off, ok = parseOffset(s, &pos)
		default:
			ok = false
		}
		if !ok {
			return instant{}, false
		}
	}
	if pos != len(s) {
		return instant{}, false
	}
	if h12 && hasAmPm {
		if hour < 1 && hour != 0 || hour > 12 {
			return instant{}, false
		}
		hour %= 12
		if pm {
			hour += 12
		}
	}
	if month < 1 || month > 12 || hour > 23 || minute > 59 || sec > 59 || hour < 0 {
		return instant{}, false
	}
	days := int64(0)
	if yday > 0 {
		max := int64(365)
		if isLeap(year) {
			max = 366
		}
		if yday > max {
			return instant{}, false
		}
		days = daysFromCivil(year, 1, 1) + yday - 1
	} else {
		if day < 1 || day > monthDays(year, month) {
			return instant{}, false
		}
		days = daysFromCivil(year, month, day)
	}
	return instant{days*86400 + hour*3600 + minute*60 + sec - off, nano}, true
}

// parseOffset reads Z, ±HH, ±HHmm or ±HH:mm (and GMT/UTC prefixes) as seconds east of UTC.
func parseOffset(s string, pos *int) (int64, bool) {
	p := *pos
	for _, pre := range []string{"GMT", "UTC"} {
		if strings.HasPrefix(s[p:], pre) {
			p += 3
			if p == len(s) || (s[p] != '+' && s[p] != '-') {
				*pos = p
				return 0, true
			}
		}
	}
	if p < len(s) && s[p] == 'Z' {
		*pos = p + 1
		return 0, true
	}
	if p >= len(s) || (s[p] != '+' && s[p] != '-') {
		return 0, false
	}
	sign := int64(1)
	if s[p] == '-' {
		sign = -1
	}
	p++
	digits := func() (int64, bool) {
		if p+2 > len(s) || s[p] < '0' || s[p] > '9' || s[p+1] < '0' || s[p+1] > '9' {
			return 0, false
		}
		v := int64(s[p]-'0')*10 + int64(s[p+1]-'0')
		p += 2
		return v, true
	}
	h, ok := digits()
	if !ok || h > 18 {
		return 0, false
	}
	var m int64
	if p < len(s) && s[p] == ':' {
		p++
		if m, ok = digits(); !ok {
			return 0, false
		}
	} else if p+1 < len(s) && s[p] >= '0' && s[p] <= '9' {
		if m, ok = digits(); !ok {
			return 0, false
		}
	}
	if m > 59 {
		return 0, false
	}
	*pos = p
	return sign * (h*3600 + m*60), true
}
