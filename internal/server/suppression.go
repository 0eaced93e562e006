package server

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"time"

	"vigil/internal/engine"
	"vigil/internal/rule"
	"vigil/internal/store"
)

// Alert suppression (Kibana's alert_suppression) in vigil serve: the alerts
// of a suppression group (engine.SuppressionOf: a rule and its group_by
// values) within one window are one alert, stored once and updated in place
// (same id) as the window absorbs more, with kibana.alert.suppression.{terms,
// start, end, docs_count} as engine.Alert.SetSuppression writes them for
// hunt. A window is the rule's duration from the group's first alert; with
// no duration, one rule execution: a scheduled run (Update.Run), or for a
// real-time rule the rule's interval, aligned to the epoch, that the
// alert's time falls in (real-time runs overlap, so the run would count an
// alert once per run).
//
// The open windows and the alerts each absorbed are in the store
// (store/suppression.go): after a restart a window is rebuilt from its
// stored alert, and an alert the spool replay re-derives is not counted
// again.

// suppressionState is the server's view of open windows (engine goroutine).
type suppressionState struct {
	windows map[string][]*suppressWindow // by group key, in the order opened
	rules   map[string]*rule.Rule        // by rule id
}

type suppressWindow struct {
	store.SuppressionWindow
	alert      *engine.Alert // the window's alert
	terms      []engine.SuppressionTerm
	start, end time.Time
	count      int
}

// suppress replaces the updates of suppressed alerts by their window's
// alert: new for a window's first alert, updated for each alert it absorbs,
// dropped for an alert it already absorbed.
func (s *Server) suppress(ups []engine.Update) []engine.Update {
	type item struct {
		u engine.Update
		g engine.SuppressionGroup
	}
	var out []engine.Update
	var sup []item
	for _, u := range ups {
		if g, ok := engine.SuppressionOf(u.Alert); ok {
			sup = append(sup, item{u, g})
		} else {
			out = append(out, u)
		}
	}
	// A window opens at its group's earliest alert.
	slices.SortStableFunc(sup, func(x, y item) int { return x.g.Time.Compare(y.g.Time) })
	for _, it := range sup {
		if u, ok := s.suppressOne(it.u, it.g); ok {
			out = append(out, u)
		}
	}
	return out
}

func (s *Server) suppressOne(u engine.Update, g engine.SuppressionGroup) (engine.Update, bool) {
	pos, lo, hi := s.suppressionSpan(u, g)
	member := u.Alert.ID
	w := s.suppressionWindow(g.Key, pos)
	if w == nil {
		u.Alert.SetSuppression(g.Terms, g.Time, g.Time, 0)
		// An alert an earlier window absorbed (re-derived after a restart,
		// once its group moved on) opens none.
		if added, err := s.store.AddSuppressed(u.Alert.ID, member, hi); err != nil || !added {
			if err != nil {
				s.log.Error("suppression store failed", "alert", u.Alert.ID, "err", err)
			}
			return u, false
		}
		w = &suppressWindow{SuppressionWindow: store.SuppressionWindow{Key: g.Key, AlertID: u.Alert.ID, Lo: lo, Hi: hi},
			alert: u.Alert, terms: g.Terms, start: g.Time, end: g.Time}
		if err := s.store.PutSuppressionWindow(w.SuppressionWindow); err != nil {
			s.log.Error("suppression store failed", "alert", w.AlertID, "err", err)
		}
		s.supp.windows[g.Key] = append(s.supp.windows[g.Key], w)
		return u, true
	}
	added, err := s.store.AddSuppressed(w.AlertID, member, w.Hi)
	if err != nil {
		s.log.Error("suppression store failed", "alert", w.AlertID, "err", err)
		return u, false
	}
	if !added {
		return u, false // absorbed already (a real-time run re-evaluated, or the spool replayed)
	}
	w.count++
	if g.Time.After(w.end) {
		w.end = g.Time
	}
	w.alert.SetSuppression(w.terms, w.start, w.end, w.count)
	return engine.Update{Alert: w.alert, Run: u.Run, Final: u.Final, Late: u.Late}, true
}

// suppressionSpan is where an alert falls (ms) and the window it would
// open, [lo, hi).
func (s *Server) suppressionSpan(u engine.Update, g engine.SuppressionGroup) (pos, lo, hi int64) {
	t := g.Time.UnixMilli()
	if g.Duration > 0 {
		return t, t, t + g.Duration.Milliseconds()
	}
	r := s.ruleOf(u.Alert.RuleID)
	if r == nil || s.live.ModeOf(r) == engine.Scheduled || r.Interval <= 0 {
		run := u.Run.UnixMilli()
		return run, run, run + 1
	}
	iv := r.Interval.Milliseconds()
	lo = t - ((t%iv)+iv)%iv
	return t, lo, lo + iv
}

func (s *Server) ruleOf(id string) *rule.Rule {
	if s.supp.rules == nil {
		s.supp.rules = map[string]*rule.Rule{}
		for _, cr := range s.opts.Rules {
			s.supp.rules[cr.Rule.RuleID] = cr.Rule
		}
	}
	return s.supp.rules[id]
}

// suppressionWindow is the group's window holding pos (the latest opened
// when windows overlap), read back from the store after a restart; nil
// when there is none.
func (s *Server) suppressionWindow(key string, pos int64) *suppressWindow {
	if s.supp.windows == nil {
		s.supp.windows = map[string][]*suppressWindow{}
	}
	ws := s.supp.windows[key]
	for i := len(ws) - 1; i >= 0; i-- {
		if ws[i].Lo <= pos && pos < ws[i].Hi {
			return ws[i]
		}
	}
	sw, ok, err := s.store.SuppressionWindow(key, pos)
	if err != nil || !ok {
		return nil
	}
	rec, err := s.store.Get(sw.AlertID)
	if err != nil {
		return nil
	}
	fields := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(rec.Doc))
	dec.UseNumber() // numbers as they were written
	if dec.Decode(&fields) != nil {
		return nil
	}
	w := &suppressWindow{SuppressionWindow: sw,
		alert: &engine.Alert{ID: rec.ID, RuleID: rec.RuleID, RuleName: rec.RuleName, Severity: rec.Severity, Host: rec.Host, Fields: fields}}
	if b, err := json.Marshal(fields["kibana.alert.suppression.terms"]); err == nil {
		json.Unmarshal(b, &w.terms)
	}
	w.start, _ = time.Parse(time.RFC3339Nano, str(fields["kibana.alert.suppression.start"]))
	w.end, _ = time.Parse(time.RFC3339Nano, str(fields["kibana.alert.suppression.end"]))
	if n, ok := fields["kibana.alert.suppression.docs_count"].(json.Number); ok {
		c, _ := n.Int64()
		w.count = int(c)
	}
	s.supp.windows[key] = append(ws, w)
	return w
}

func str(v any) string { s, _ := v.(string); return s }

// pruneSuppression forgets windows the watermark (less the allowed
// lateness) has passed.
func (s *Server) pruneSuppression() {
	wm := s.live.Watermark()
	if wm == math.MinInt64 || len(s.supp.windows) == 0 {
		return // nothing opened since start (windows a restart left are read back, and pruned, once used)
	}
	cut := wm - s.cfg.AllowedLateness.Milliseconds()
	for k, ws := range s.supp.windows {
		ws = slices.DeleteFunc(ws, func(w *suppressWindow) bool { return w.Hi < cut })
		if len(ws) == 0 {
			delete(s.supp.windows, k)
		} else {
			s.supp.windows[k] = ws
		}
	}
	if err := s.store.PruneSuppression(cut); err != nil {
		s.log.Error("suppression prune failed", "err", err)
	}
}
