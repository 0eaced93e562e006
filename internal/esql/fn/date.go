package fn

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"vigil/internal/doc"
	"vigil/internal/match/editdistance"
)

// instant is a point in time as whole seconds plus nanoseconds [0, 1e9), so
// datetime and date_nanos share code without overflow.
type instant struct{ sec, nano int64 }

func instantOf(v doc.Value) instant {
	if v.T == doc.DateNanos {
		s := floorDivI64(v.I, 1e9)
		return instant{s, v.I - s*1e9}
	}
	s := floorDivI64(v.I, 1000)
	return instant{s, (v.I - s*1000) * 1e6}
}

func (in instant) time() time.Time { return time.Unix(in.sec, in.nano).UTC() }

// value converts back to the type of the input (millis floor the nanos).
func (in instant) value(t doc.Type) doc.Value {
	if t == doc.DateNanos {
		return doc.DateNano(in.sec*1e9 + in.nano)
	}
	return doc.DateMillis(in.sec*1000 + in.nano/1e6)
}

// daysFromCivil converts a proleptic Gregorian date to days since 1970-01-01.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDivI64(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func monthDays(y, m int64) int64 {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseISODate parses strict_date_optional_time with the parser document
// decoding uses (doc.ParseISODate), so ES|QL and indexing agree.
func parseISODate(s string) (instant, bool) {
	sec, nano, ok := doc.ParseISODate(s)
	return instant{sec, nano}, ok
}

// parseISODateNanos parses strict_date_optional_time_nanos (doc.ParseISODateNanos).
func parseISODateNanos(s string) (instant, bool) {
	sec, nano, ok := doc.ParseISODateNanos(s)
	return instant{sec, nano}, ok
}

// ---- DATE_TRUNC ----

// truncer rounds an instant down; built once per constant interval.
type truncer func(in instant) instant

var (
	errMultiPeriod  = errors.New("Time interval with multiple periods is not supported")
	errZeroInterval = errors.New("Zero or negative time interval is not supported")
)

// makeTruncer follows DateTrunc's rounding choice: fixed durations align to
// the epoch (UTC); 1 day, 1 week (Monday), months, quarters and years align
// to the calendar; other day counts are fixed lengths.
func makeTruncer(span doc.Value) (truncer, error) {
	if span.T == doc.TimeDuration {
		ms := span.I / 1e6
		if ms <= 0 {
			return nil, errZeroInterval
		}
		step := ms * 1e6
		return func(in instant) instant { return fixedTrunc(in, step) }, nil
	}
	months, days := span.I, int64(span.F)
	if months != 0 && days != 0 {
		return nil, errMultiPeriod
	}
	if months < 0 || days < 0 || (months == 0 && days == 0) {
		return nil, errZeroInterval
	}
	switch {
	case days == 1:
		return func(in instant) instant { return instant{floorDivI64(in.sec, 86400) * 86400, 0} }, nil
	case days == 7:
		return func(in instant) instant {
			d := floorDivI64(in.sec, 86400)
			// 1970-01-01 was a Thursday: Monday-based weeks start 3 days earlier.
			d -= ((d+3)%7 + 7) % 7
			return instant{d * 86400, 0}
		}, nil
	case days > 1:
		step := days * 86400 * 1e9
		return func(in instant) instant { return fixedTrunc(in, step) }, nil
	}
	return func(in instant) instant {
		t := in.time()
		total := (int64(t.Year())-1970)*12 + int64(t.Month()-1)
		total = floorDivI64(total, months) * months
		y := 1970 + floorDivI64(total, 12)
		m := total - floorDivI64(total, 12)*12 + 1
		return instant{daysFromCivil(y, m, 1) * 86400, 0}
	}, nil
}

// fixedTrunc floors an instant to a multiple of step nanoseconds since the epoch.
func fixedTrunc(in instant, step int64) instant {
	if step%1e9 == 0 {
		s := step / 1e9
		return instant{floorDivI64(in.sec, s) * s, 0}
	}
	// Steps are whole milliseconds (Duration.toMillis), so millisecond arithmetic is exact.
	ms := in.sec*1000 + in.nano/1e6
	st := step / 1e6
	r := floorDivI64(ms, st) * st
	s := floorDivI64(r, 1000)
	return instant{s, (r - s*1000) * 1e6}
}

func resolveDateTrunc(args []doc.Type, consts []*doc.Value) (doc.Type, Eval, error) {
	it, dt := args[0], args[1]
	if it.IsString() && len(consts) > 0 && consts[0] != nil && consts[0].T.IsString() && consts[0].M == nil {
		// A string literal interval ("1 day") is implicitly cast, as Elasticsearch does.
		v, err := parseSpanString(consts[0].S, doc.DatePeriod)
		if err != nil {
			if v, err = parseSpanString(consts[0].S, doc.TimeDuration); err != nil {
				return doc.Null, nil, errors.New("Cannot parse [" + consts[0].S + "] to date_period or time_duration")
			}
		}
		c := append([]*doc.Value{&v}, consts[1:]...)
		return resolveDateTrunc([]doc.Type{v.T, dt}, c)
	}
	if it != doc.Null && !isSpan(it) {
		return doc.Null, nil, &TypeError{Arg: 0, Expected: "date_period or time_duration", Found: it}
	}
	if !temporalOrNull(dt) {
		return doc.Null, nil, &TypeError{Arg: 1, Expected: "date_nanos or datetime", Found: dt}
	}
	out := dt
	if dt == doc.Null {
		out = doc.Date
	}
	if it == doc.Null || dt == doc.Null {
		return out, nullEval, nil
	}
	if len(consts) > 0 && consts[0] != nil && !consts[0].IsNull() && consts[0].M == nil {
		tr, err := makeTruncer(*consts[0])
		if err != nil {
			return doc.Null, nil, err
		}
		return out, strict2(func(_, d doc.Value) (doc.Value, error) {
			return tr(instantOf(d)).value(d.T), nil
		}), nil
	}
	return out, strict2(func(span, d doc.Value) (doc.Value, error) {
		tr, err := makeTruncer(span)
		if err != nil {
			return doc.Value{}, EvalError("java.lang.IllegalArgumentException: " + err.Error())
		}
		return tr(instantOf(d)).value(d.T), nil
	}), nil
}

// ---- DATE_DIFF ----

type diffUnit int

const (
	duYear diffUnit = iota
	duQuarter
	duMonth
	duDay
	duWeek
	duHour
	duMinute
	duSecond
	duMilli
	duMicro
	duNano
)

// diffUnits are DateDiff.Part names and aliases (lower-cased).
var diffUnits = map[string]diffUnit{
	"year": duYear, "years": duYear, "yy": duYear, "yyyy": duYear,
	"quarter": duQuarter, "quarters": duQuarter, "qq": duQuarter, "q": duQuarter,
	"month": duMonth, "months": duMonth, "mm": duMonth, "m": duMonth,
	"dayofyear": duDay, "dy": duDay, "y": duDay,
	"day": duDay, "days": duDay, "dd": duDay, "d": duDay,
	"week": duWeek, "weeks": duWeek, "wk": duWeek, "ww": duWeek,
	"weekday": duDay, "weekdays": duDay, "dw": duDay,
	"hour": duHour, "hours": duHour, "hh": duHour,
	"minute": duMinute, "minutes": duMinute, "mi": duMinute, "n": duMinute,
	"second": duSecond, "seconds": duSecond, "ss": duSecond, "s": duSecond,
	"millisecond": duMilli, "milliseconds": duMilli, "ms": duMilli,
	"microsecond": duMicro, "microseconds": duMicro, "mcs": duMicro,
	"nanosecond": duNano, "nanoseconds": duNano, "ns": duNano,
}

// diffUnitNames lists DateDiff.Part names and aliases in enum order, the
// order Elasticsearch offers them as suggestions.
var diffUnitNames = []string{
	"year", "years", "yy", "yyyy", "quarter", "quarters", "qq", "q", "month", "months", "mm", "m",
	"dayofyear", "dy", "y", "day", "days", "dd", "d", "week", "weeks", "wk", "ww", "weekday", "weekdays", "dw",
	"hour", "hours", "hh", "minute", "minutes", "mi", "n", "second", "seconds", "ss", "s",
	"millisecond", "milliseconds", "ms", "microsecond", "microseconds", "mcs", "nanosecond", "nanoseconds", "ns",
}

// similarNames mirrors StringUtils.findSimilar: candidates whose Lucene
// Levenshtein similarity (1 - edits/longer length) is at least 0.5, best first.
func similarNames(s string, names []string) []string {
	type scored struct {
		score float64
		name  string
	}
	var out []scored
	for _, n := range names {
		a, b := []rune(s), []rune(n)
		longer := len(a)
		if len(b) > longer {
			longer = len(b)
		}
		if longer == 0 {
			continue
		}
		if sc := 1 - float64(editdistance.Levenshtein(a, b))/float64(longer); sc >= 0.5 {
			out = append(out, scored{sc, n})
		}
	}
	// Stable insertion sort by descending score keeps enum order among ties.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].score > out[j-1].score; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	names = make([]string, len(out))
	for i, o := range out {
		names[i] = o.name
	}
	return names
}

func errDiffUnit(s string) error {
	if sim := similarNames(strings.ToLower(s), diffUnitNames); len(sim) > 0 {
		return errors.New("Received value [" + s + "] is not valid date part to add; did you mean [" + strings.Join(sim, ", ") + "]?")
	}
	return errors.New("A value of [YEAR, QUARTER, MONTH, DAYOFYEAR, DAY, WEEK, WEEKDAY, HOUR, MINUTE, SECOND, MILLISECOND, MICROSECOND, NANOSECOND] or their aliases is required; received [" + s + "]")
}

// dateDiff is ChronoUnit.between on UTC date-times: whole units, truncated
// toward zero; month-based units compare day-of-month and time of day.
func dateDiff(u diffUnit, a, b instant) (int64, error) {
	switch u {
	case duYear, duQuarter, duMonth:
		m := monthsBetween(a, b)
		switch u {
		case duYear:
			m /= 12
		case duQuarter:
			m /= 3
		}
		return m, nil
	case duDay, duWeek:
		d := daysBetween(a, b)
		if u == duWeek {
			d /= 7
		}
		return d, nil
	}
	unit := map[diffUnit]int64{duHour: 3600e9, duMinute: 60e9, duSecond: 1e9, duMilli: 1e6, duMicro: 1e3, duNano: 1}[u]
	ds, dn := b.sec-a.sec, b.nano-a.nano
	if unit >= 1e9 {
		// Whole seconds then adjust: truncation toward zero as Java's until().
		per := unit / 1e9
		if ds > 0 && dn < 0 {
			ds--
		} else if ds < 0 && dn > 0 {
			ds++
		}
		return ds / per, nil
	}
	total, ok := mulInt64(ds, 1e9)
	if !ok {
		return 0, errOpLongOverflow
	}
	s := total + dn
	if (total >= 0) == (dn >= 0) && (s >= 0) != (total >= 0) {
		return 0, errOpLongOverflow
	}
	return s / unit, nil
}

func dayAndNanos(in instant) (day, nod int64) {
	day = floorDivI64(in.sec, 86400)
	return day, (in.sec-day*86400)*1e9 + in.nano
}

func daysBetween(a, b instant) int64 {
	da, na := dayAndNanos(a)
	db, nb := dayAndNanos(b)
	if db > da && nb < na {
		db--
	} else if db < da && nb > na {
		db++
	}
	return db - da
}

func monthsBetween(a, b instant) int64 {
	da, na := dayAndNanos(a)
	db, nb := dayAndNanos(b)
	if db > da && nb < na {
		db--
	} else if db < da && nb > na {
		db++
	}
	ta, tb := time.Unix(da*86400, 0).UTC(), time.Unix(db*86400, 0).UTC()
	pa := (int64(ta.Year())*12+int64(ta.Month()-1))*32 + int64(ta.Day())
	pb := (int64(tb.Year())*12+int64(tb.Month()-1))*32 + int64(tb.Day())
	return (pb - pa) / 32
}

func resolveDateDiff(args []doc.Type, consts []*doc.Value) (doc.Type, Eval, error) {
	if !stringOrNull(args[0]) {
		return doc.Null, nil, &TypeError{Arg: 0, Expected: "string", Found: args[0]}
	}
	for i := 1; i < 3; i++ {
		if !temporalOrNull(args[i]) {
			return doc.Null, nil, &TypeError{Arg: i, Expected: "date_nanos or datetime", Found: args[i]}
		}
	}
	if args[0] == doc.Null || args[1] == doc.Null || args[2] == doc.Null {
		return doc.Integer, nullEval, nil
	}
	fixed := diffUnit(-1)
	if len(consts) > 0 && consts[0] != nil && consts[0].T.IsString() && consts[0].M == nil {
		u, ok := diffUnits[strings.ToLower(consts[0].S)]
		if !ok {
			return doc.Null, nil, errDiffUnit(consts[0].S)
		}
		fixed = u
	}
	return doc.Integer, strictN(func(a []doc.Value) (doc.Value, error) {
		u := fixed
		if u < 0 {
			var ok bool
			if u, ok = diffUnits[strings.ToLower(a[0].S)]; !ok {
				return doc.Value{}, EvalError("java.lang.IllegalArgumentException: " + errDiffUnit(a[0].S).Error())
			}
		}
		d, err := dateDiff(u, instantOf(a[1]), instantOf(a[2]))
		if err != nil {
			return doc.Value{}, err
		}
		if d != int64(int32(d)) {
			// DateDiff narrows with safeToInt (DateDiffTests: "[300000000000] out of [integer] range").
			return doc.Value{}, errOutOfRange(strconv.FormatInt(d, 10), "integer")
		}
		return doc.Int(int32(d)), nil
	}), nil
}

// ---- DATE_EXTRACT ----

// chronoFields implements java.time.temporal.ChronoField on UTC instants.
var chronoFields = map[string]func(in instant) int64{
	"NANO_OF_SECOND":   func(in instant) int64 { return in.nano },
	"NANO_OF_DAY":      func(in instant) int64 { _, n := dayAndNanos(in); return n },
	"MICRO_OF_SECOND":  func(in instant) int64 { return in.nano / 1e3 },
	"MICRO_OF_DAY":     func(in instant) int64 { _, n := dayAndNanos(in); return n / 1e3 },
	"MILLI_OF_SECOND":  func(in instant) int64 { return in.nano / 1e6 },
	"MILLI_OF_DAY":     func(in instant) int64 { _, n := dayAndNanos(in); return n / 1e6 },
	"SECOND_OF_MINUTE": func(in instant) int64 { return secOfDay(in) % 60 },
	"SECOND_OF_DAY":    secOfDay,
	"MINUTE_OF_HOUR":   func(in instant) int64 { return secOfDay(in) / 60 % 60 },
	"MINUTE_OF_DAY":    func(in instant) int64 { return secOfDay(in) / 60 },
	"HOUR_OF_AMPM":     func(in instant) int64 { return secOfDay(in) / 3600 % 12 },
	"CLOCK_HOUR_OF_AMPM": func(in instant) int64 {
		if h := secOfDay(in) / 3600 % 12; h != 0 {
			return h
		}
		return 12
	},
	"HOUR_OF_DAY": func(in instant) int64 { return secOfDay(in) / 3600 },
	"CLOCK_HOUR_OF_DAY": func(in instant) int64 {
		if h := secOfDay(in) / 3600; h != 0 {
			return h
		}
		return 24
	},
	"AMPM_OF_DAY":                  func(in instant) int64 { return secOfDay(in) / 3600 / 12 },
	"DAY_OF_WEEK":                  isoWeekday,
	"ALIGNED_DAY_OF_WEEK_IN_MONTH": func(in instant) int64 { return (int64(in.time().Day())-1)%7 + 1 },
	"ALIGNED_DAY_OF_WEEK_IN_YEAR":  func(in instant) int64 { return (int64(in.time().YearDay())-1)%7 + 1 },
	"DAY_OF_MONTH":                 func(in instant) int64 { return int64(in.time().Day()) },
	"DAY_OF_YEAR":                  func(in instant) int64 { return int64(in.time().YearDay()) },
	"EPOCH_DAY":                    func(in instant) int64 { return floorDivI64(in.sec, 86400) },
	"ALIGNED_WEEK_OF_MONTH":        func(in instant) int64 { return (int64(in.time().Day())-1)/7 + 1 },
	"ALIGNED_WEEK_OF_YEAR":         func(in instant) int64 { return (int64(in.time().YearDay())-1)/7 + 1 },
	"MONTH_OF_YEAR":                func(in instant) int64 { return int64(in.time().Month()) },
	"PROLEPTIC_MONTH":              func(in instant) int64 { t := in.time(); return int64(t.Year())*12 + int64(t.Month()) - 1 },
	"YEAR_OF_ERA": func(in instant) int64 {
		if y := int64(in.time().Year()); y >= 1 {
			return y
		} else {
			return 1 - y
		}
	},
	"YEAR": func(in instant) int64 { return int64(in.time().Year()) },
	"ERA": func(in instant) int64 {
		if in.time().Year() >= 1 {
			return 1
		}
		return 0
	},
	"INSTANT_SECONDS": func(in instant) int64 { return in.sec },
	"OFFSET_SECONDS":  func(in instant) int64 { return 0 },
}

func secOfDay(in instant) int64 { return in.sec - floorDivI64(in.sec, 86400)*86400 }

// isoWeekday is Monday=1 … Sunday=7.
func isoWeekday(in instant) int64 {
	d := floorDivI64(in.sec, 86400)
	return ((d+3)%7+7)%7 + 1
}

func resolveDateExtract(args []doc.Type, consts []*doc.Value) (doc.Type, Eval, error) {
	if !stringOrNull(args[0]) {
		return doc.Null, nil, &TypeError{Arg: 0, Expected: "string", Found: args[0]}
	}
	if !temporalOrNull(args[1]) {
		return doc.Null, nil, &TypeError{Arg: 1, Expected: "date_nanos or datetime", Found: args[1]}
	}
	if args[0] == doc.Null || args[1] == doc.Null {
		return doc.Long, nullEval, nil
	}
	if len(consts) > 0 && consts[0] != nil && consts[0].T.IsString() && consts[0].M == nil {
		f, ok := chronoFields[asciiUpper(consts[0].S)]
		if !ok {
			return doc.Null, nil, errors.New("invalid date field for [DATE_EXTRACT]: [" + consts[0].S + "]")
		}
		return doc.Long, strict2(func(_, d doc.Value) (doc.Value, error) { return doc.Long64(f(instantOf(d))), nil }), nil
	}
	return doc.Long, strict2(func(field, d doc.Value) (doc.Value, error) {
		f, ok := chronoFields[asciiUpper(field.S)]
		if !ok {
			return doc.Value{}, EvalError("java.lang.IllegalArgumentException: No enum constant java.time.temporal.ChronoField." + asciiUpper(field.S))
		}
		return doc.Long64(f(instantOf(d))), nil
	}), nil
}

// ---- DATE_FORMAT / DATE_PARSE ----

const defaultDateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"

var (
	monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	dayNames   = [...]string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
)

func resolveDateFormat(args []doc.Type, consts []*doc.Value) (doc.Type, Eval, error) {
	if len(args) == 1 {
		if !temporalOrNull(args[0]) {
			return doc.Null, nil, &TypeError{Arg: 0, Expected: "date_nanos or datetime", Found: args[0]}
		}
		if args[0] == doc.Null {
			return doc.Keyword, nullEval, nil
		}
		return doc.Keyword, strict1(func(d doc.Value) (doc.Value, error) {
			if d.T == doc.DateNanos {
				return doc.KeywordOf(formatNanosISO(d.I)), nil
			}
			return doc.KeywordOf(doc.FormatDate(d.I)), nil
		}), nil
	}
	if !stringOrNull(args[0]) {
		return doc.Null, nil, &TypeError{Arg: 0, Expected: "string", Found: args[0]}
	}
	if !temporalOrNull(args[1]) {
		return doc.Null, nil, &TypeError{Arg: 1, Expected: "date_nanos or datetime", Found: args[1]}
	}
	if args[0] == doc.Null || args[1] == doc.Null {
		return doc.Keyword, nullEval, nil
	}
	if len(consts) > 0 && consts[0] != nil && consts[0].T.IsString() && consts[0].M == nil {
		p, err := compileDatePattern(consts[0].S)
		if err != nil {
			return doc.Null, nil, errors.New("Invalid format: [" + consts[0].S + "]: " + err.Error())
		}
		return doc.Keyword, strict2(func(_, d doc.Value) (doc.Value, error) {
			return doc.KeywordOf(p.format(instantOf(d))), nil
		}), nil
	}
	return doc.Keyword, strict2(func(f, d doc.Value) (doc.Value, error) {
		p, err := compileDatePattern(f.S)
		if err != nil {
			return doc.Value{}, EvalError("java.lang.IllegalArgumentException: Invalid format: [" + f.S + "]: " + err.Error())
		}
		return doc.KeywordOf(p.format(instantOf(d))), nil
	}), nil
}

func resolveDateParse(args []doc.Type, consts []*doc.Value) (doc.Type, Eval, error) {
	for i, t := range args {
		if !stringOrNull(t) {
			return doc.Null, nil, &TypeError{Arg: i, Expected: "string", Found: t}
		}
	}
	for _, t := range args {
		if t == doc.Null {
			return doc.Date, nullEval, nil
		}
	}
	if len(args) == 1 {
		return doc.Date, strict1(stringConverter(doc.Date)), nil
	}
	parse := func(p *datePattern, fmtText, s string) (doc.Value, error) {
		in, ok := p.parse(s)
		if !ok {
			return doc.Value{}, EvalError("java.lang.IllegalArgumentException: failed to parse date field [" + s + "] with format [" + fmtText + "]")
		}
		return in.value(doc.Date), nil
	}
	if len(consts) > 0 && consts[0] != nil && consts[0].T.IsString() && consts[0].M == nil {
		text := consts[0].S
		p, err := compileDatePattern(text)
		if err != nil {
			return doc.Null, nil, errors.New("Invalid format: [" + text + "]: " + err.Error())
		}
		return doc.Date, strict2(func(_, s doc.Value) (doc.Value, error) { return parse(p, text, s.S) }), nil
	}
	return doc.Date, strict2(func(f, s doc.Value) (doc.Value, error) {
		p, err := compileDatePattern(f.S)
		if err != nil {
			return doc.Value{}, EvalError("java.lang.IllegalArgumentException: Invalid format: [" + f.S + "]: " + err.Error())
		}
		return parse(p, f.S, s.S)
	}), nil
}

func resolveNameOf(names []string, pick func(instant) int64) func([]doc.Type, []*doc.Value) (doc.Type, Eval, error) {
	return func(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
		if !temporalOrNull(args[0]) {
			return doc.Null, nil, &TypeError{Arg: 0, Expected: "date_nanos or datetime", Found: args[0]}
		}
		if args[0] == doc.Null {
			return doc.Keyword, nullEval, nil
		}
		return doc.Keyword, strict1(func(d doc.Value) (doc.Value, error) {
			return doc.KeywordOf(names[pick(instantOf(d))-1]), nil
		}), nil
	}
}

func init() {
	register(&Func{Name: "DATE_TRUNC", MinArgs: 2, MaxArgs: 2, Resolve: resolveDateTrunc})
	register(&Func{Name: "DATE_DIFF", MinArgs: 3, MaxArgs: 3, Resolve: resolveDateDiff})
	register(&Func{Name: "DATE_EXTRACT", MinArgs: 2, MaxArgs: 2, Resolve: resolveDateExtract})
	register(&Func{Name: "DATE_FORMAT", MinArgs: 1, MaxArgs: 2, Resolve: resolveDateFormat})
	register(&Func{Name: "DATE_PARSE", MinArgs: 1, MaxArgs: 2, Resolve: resolveDateParse})
	register(&Func{Name: "DAY_NAME", MinArgs: 1, MaxArgs: 1, Resolve: resolveNameOf(dayNames[:], isoWeekday)})
	register(&Func{Name: "MONTH_NAME", MinArgs: 1, MaxArgs: 1, Resolve: resolveNameOf(monthNames[:], chronoFields["MONTH_OF_YEAR"])})
}
