package ruletest

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"vigil/internal/engine"
)

// compare matches the alerts against the case's expectations and returns
// the differences: expectations with too few matching alerts (each shown
// against the nearest alert left, field by field), a wrong total, and
// alerts no expectation claims.
func compare(c *Case, alerts []*engine.Alert, now time.Time) []string {
	var diff []string
	used := make([]bool, len(alerts))
	want := 0
	for i, e := range c.Expect {
		want += e.Count
		found := 0
		for j, a := range alerts {
			if found < e.Count && !used[j] && len(mismatches(e, a, now)) == 0 {
				used[j] = true
				found++
			}
		}
		if found == e.Count {
			continue
		}
		msg := fmt.Sprintf("expect #%d (line %d): want %d matching alert(s), found %d", i+1, e.Line, e.Count, found)
		if near := nearest(e, alerts, used, now); near >= 0 {
			msg += "; nearest other alert " + describe(alerts[near]) + ":"
			for _, m := range mismatches(e, alerts[near], now) {
				msg += "\n    " + m
			}
		} else {
			msg += "; no other alert to compare it with"
		}
		diff = append(diff, msg)
	}
	if c.Alerts != nil {
		want = *c.Alerts
		if len(alerts) != want {
			diff = append(diff, fmt.Sprintf("want %d alert(s) in all, got %d", want, len(alerts)))
		}
	}
	if c.Alerts == nil || len(alerts) > want {
		for j, a := range alerts {
			if !used[j] {
				diff = append(diff, "unexpected alert "+describe(a)+columns(a))
			}
		}
	}
	return diff
}

// columns lists an alert's result columns outside its group, one a line.
func columns(a *engine.Alert) string {
	var b strings.Builder
	for _, k := range a.Columns {
		if v, ok := a.Fields[k]; ok && v != nil && !slices.Contains(a.GroupBy, k) {
			b.WriteString("\n    " + k + " = " + canonical(v, time.Time{}))
		}
	}
	return b.String()
}

// mismatches lists, field by field, how an alert differs from e.
func mismatches(e *Expect, a *engine.Alert, now time.Time) []string {
	var out []string
	check := func(kind string, want map[string]any) {
		for _, k := range sortedKeys(want) {
			got, ok := a.Fields[k]
			// Date math is expanded in the expected value only, unless the
			// alert holds the same text (kibana.alert.rule.from = "now-9m").
			w, g := canonical(want[k], now), canonical(got, time.Time{})
			switch {
			case !ok || got == nil:
				out = append(out, fmt.Sprintf("%s %s: want %s, got no value", kind, k, w))
			case g != w && g != canonical(want[k], time.Time{}):
				out = append(out, fmt.Sprintf("%s %s: want %s, got %s", kind, k, w, g))
			}
		}
	}
	check("group", e.Group)
	check("field", e.Fields)
	for _, k := range e.Absent {
		if v, ok := a.Fields[k]; ok && v != nil {
			out = append(out, fmt.Sprintf("absent %s: want no value, got %s", k, canonical(v, now)))
		}
	}
	return out
}

// nearest returns the unclaimed alert with the fewest mismatches, -1 if none.
func nearest(e *Expect, alerts []*engine.Alert, used []bool, now time.Time) int {
	best, bestN := -1, math.MaxInt
	for j, a := range alerts {
		if n := len(mismatches(e, a, now)); !used[j] && n < bestN {
			best, bestN = j, n
		}
	}
	return best
}

// describe names an alert by its group (the BY values), or by its columns
// when the rule does not aggregate.
func describe(a *engine.Alert) string {
	keys := a.GroupBy
	if len(keys) == 0 {
		keys = a.Columns
	}
	var parts []string
	for _, k := range keys {
		if v, ok := a.Fields[k]; ok && v != nil {
			parts = append(parts, k+"="+canonical(v, time.Time{}))
		} else {
			parts = append(parts, k+"=null")
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// canonical renders a value for comparison and display: numbers by value
// (5 and 5.0 agree), times as UTC milliseconds (date math expanded),
// multi-values as sorted lists, since VALUES() promises no order.
func canonical(v any, now time.Time) string {
	switch v := v.(type) {
	case string:
		if strings.HasPrefix(v, "now") && !now.IsZero() {
			if t, err := DateMath(v, now); err == nil {
				return fmtTime(t)
			}
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return fmtTime(t)
		}
		return strconv.Quote(v)
	case time.Time:
		return fmtTime(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = canonical(x, now)
		}
		sort.Strings(parts)
		return "[" + strings.Join(parts, ", ") + "]"
	case []string:
		parts := make([]any, len(v))
		for i, x := range v {
			parts[i] = x
		}
		return canonical(parts, now)
	}
	return fmt.Sprint(v)
}

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
