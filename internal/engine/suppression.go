package engine

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// SuppressionTerm is one group_by field and its value in a suppressed
// alert's kibana.alert.suppression.terms, as Kibana's getSuppressionTerms
// writes it (rule_types/utils/suppression_utils.ts): the value is null when
// the field is missing, and an array's values are sorted.
type SuppressionTerm struct {
	Field string `json:"field"`
	Value any    `json:"value"`
}

// Suppress applies each alert's rule's alert suppression (rule.Suppression)
// to alerts collected from a sweep or a replay and returns the alerts kept,
// in their input order. Alerts of one rule whose group_by values agree
// collapse into the group's first alert, per window: without a duration
// the window is the whole rule execution (a sweep is one), with one a
// window opens at a group's first alert and takes every later alert of the
// group less than the duration after it; the next alert opens a new
// window. The kept alert carries kibana.alert.suppression.{terms, start,
// end, docs_count} as Kibana's suppression_utils.ts and
// bulk_create_with_suppression.ts write them: start and end are the first
// and last suppressed alert's time (the source event's timestamp,
// kibana.alert.original_time, else the alert's @timestamp, Kibana's
// fallback), docs_count the number of alerts merged into it. Its id hashes
// the rule, the terms and the window start, so each window is one alert;
// kibana.alert.instance.id hashes the rule and terms only, as Kibana's
// instance id does. Alerts of rules without suppression pass unchanged, and
// so do alerts missing a group_by field under missing_fields_strategy
// doNotSuppress.
func Suppress(alerts []*Alert) []*Alert {
	type member struct {
		i int
		t time.Time
	}
	groups := map[string][]member{}
	var order []string
	terms := make([][]SuppressionTerm, len(alerts))
	for i, a := range alerts {
		g, ok := SuppressionOf(a)
		if !ok {
			continue
		}
		terms[i] = g.Terms
		if groups[g.Key] == nil {
			order = append(order, g.Key)
		}
		groups[g.Key] = append(groups[g.Key], member{i, g.Time})
	}
	drop := make([]bool, len(alerts))
	for _, key := range order {
		g := groups[key]
		slices.SortStableFunc(g, func(x, y member) int { return x.t.Compare(y.t) })
		dur := alerts[g[0].i].rule.Suppression.Duration
		for w := 0; w < len(g); {
			start, end := w, w+1
			for end < len(g) && (dur == 0 || g[end].t.Sub(g[start].t) < dur) {
				drop[g[end].i] = true
				end++
			}
			alerts[g[start].i].SetSuppression(terms[g[start].i], g[start].t, g[end-1].t, end-start-1)
			w = end
		}
	}
	out := alerts[:0:0]
	for i, a := range alerts {
		if !drop[i] {
			out = append(out, a)
		}
	}
	return out
}

// SuppressionGroup is the suppression group an alert belongs to.
type SuppressionGroup struct {
	Key   string // the rule and the terms (kibana.alert.instance.id)
	Terms []SuppressionTerm
	Time  time.Time // the alert's time for windows (suppressionTime)
	// Duration is the rule's window; 0: one per rule execution.
	Duration time.Duration
}

// SuppressionOf returns the group of an alert whose rule suppresses
// alerts; ok is false when it does not, or when a group_by field is
// missing under missing_fields_strategy doNotSuppress.
func SuppressionOf(a *Alert) (g SuppressionGroup, ok bool) {
	if a.rule == nil || a.rule.Suppression == nil {
		return g, false
	}
	s := a.rule.Suppression
	ts, missing := suppressionTerms(a.Fields, s.GroupBy)
	if missing && !s.SuppressMissing {
		return g, false
	}
	j, _ := json.Marshal(ts)
	id := sha256.Sum256([]byte(a.RuleID + "\x00" + string(j)))
	return SuppressionGroup{Key: hex.EncodeToString(id[:]), Terms: ts, Time: suppressionTime(a.Fields), Duration: s.Duration}, true
}

// SetSuppression makes a its group's alert for the window opened at start:
// its id hashes the rule, the terms and start, and it carries
// kibana.alert.suppression.* (end the last suppressed alert's time,
// suppressed the number of alerts merged into it).
func (a *Alert) SetSuppression(ts []SuppressionTerm, start, end time.Time, suppressed int) {
	j, _ := json.Marshal(ts)
	id := sha256.Sum256([]byte(a.RuleID + "\x00" + string(j)))
	a.Fields["kibana.alert.instance.id"] = hex.EncodeToString(id[:])
	id = sha256.Sum256([]byte(a.RuleID + "\x00" + string(j) + "\x00" + start.UTC().Format(time.RFC3339Nano)))
	a.ID = hex.EncodeToString(id[:])
	a.Fields["kibana.alert.uuid"] = a.ID
	a.Fields["kibana.alert.suppression.terms"] = ts
	a.Fields["kibana.alert.suppression.start"] = start.UTC().Format(alertTime)
	a.Fields["kibana.alert.suppression.end"] = end.UTC().Format(alertTime)
	a.Fields["kibana.alert.suppression.docs_count"] = int64(suppressed)
}

// suppressionTerms reads the group_by values from the alert document;
// missing reports whether any is absent.
func suppressionTerms(f map[string]any, by []string) (ts []SuppressionTerm, missing bool) {
	for _, field := range by {
		v := lookupField(f, field)
		if arr, ok := v.([]any); ok {
			if len(arr) == 0 {
				v = nil
			} else {
				arr = slices.Clone(arr)
				slices.SortStableFunc(arr, compareJSON)
				v = arr
			}
		}
		missing = missing || v == nil
		ts = append(ts, SuppressionTerm{field, v})
	}
	return ts, missing
}

// compareJSON orders a field's values as lodash sortBy does for one type:
// strings by text, numbers numerically, anything else by its JSON.
func compareJSON(x, y any) int {
	xs, xok := x.(string)
	ys, yok := y.(string)
	if xok && yok {
		return strings.Compare(xs, ys)
	}
	xf, xok := number(x)
	yf, yok := number(y)
	if xok && yok && !isString(x) && !isString(y) {
		return cmp.Compare(xf, yf)
	}
	xj, _ := json.Marshal(x)
	yj, _ := json.Marshal(y)
	return strings.Compare(string(xj), string(yj))
}

func isString(v any) bool { _, ok := v.(string); return ok }

// lookupField finds a field by its dotted name in an alert document whose
// keys are flat, or nested where a source document was merged in.
func lookupField(f map[string]any, name string) any {
	if v, ok := f[name]; ok {
		return v
	}
	for i := strings.IndexByte(name, '.'); i > 0; i = strings.IndexByte(name[i+1:], '.') + i + 1 {
		if sub, ok := f[name[:i]].(map[string]any); ok {
			if v := lookupField(sub, name[i+1:]); v != nil {
				return v
			}
		}
		if strings.IndexByte(name[i+1:], '.') < 0 {
			break
		}
	}
	return nil
}

// suppressionTime is the alert's time for suppression windows.
func suppressionTime(f map[string]any) time.Time {
	for _, k := range []string{"kibana.alert.original_time", "@timestamp"} {
		if s, ok := f[k].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}
