package server

import (
	"encoding/json"
	"math"
	"strings"
	"time"

	"vigil/internal/doc"
	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/rule"
	"vigil/internal/sink"
	"vigil/internal/store"
)

// This file is event time at the service's edge: what the ingest path
// refuses (events stamped beyond the allowed future skew, and events older
// than the late retention), where refused and late events are kept, how the
// engine re-reads the spool to re-evaluate late events, and the alerts a
// cap raises.

// lateInterval spaces late re-evaluation passes while batches keep coming:
// each pass reads the spool over the re-opened runs.
const lateInterval = time.Second

// sourceTime is the newest event time (ms) one source sent in a request.
type sourceTime struct {
	source string
	t      int64
}

// noteTime folds an event's time into its source's entry.
func noteTime(times []sourceTime, d *doc.Document) []sourceTime {
	t := timeOf(d)
	if t == math.MinInt64 {
		return times
	}
	src := engine.SourceOf(d)
	for i := range times {
		if times[i].source == src {
			times[i].t = max(times[i].t, t)
			return times
		}
	}
	return append(times, sourceTime{strings.Clone(src), t}) // the decoder may reuse src's bytes
}

// refusal is why an event was not accepted: an HTTP status and
// Elasticsearch-style error type and reason, for its _bulk item.
type refusal struct {
	status       int
	errType, msg string
}

// admit decides whether an event's time lets it in: events stamped more
// than max_future_skew ahead of the clock are quarantined (kept in
// future.ndjson), and events older than the engine's floor (no rule can
// evaluate them: see engine.Live.Floor) are kept in late.ndjson; both are
// counted and refused, so the shipper's item says so.
// floor is read once per request.
func (s *Server) admit(d *doc.Document, raw []byte, index, id string, floor int64) *refusal {
	t := timeOf(d)
	if t == math.MinInt64 {
		return nil
	}
	now := s.clock.Now()
	if skew := s.cfg.MaxFutureSkew.Duration; t > now.Add(skew).UnixMilli() {
		s.metrics.future.Inc()
		s.keep(s.future, "future", index, id, t, raw)
		return &refusal{400, "illegal_argument_exception", "event time [" + fmtMillis(t) + "] is more than max_future_skew [" + skew.String() +
			"] ahead of the clock [" + fmtMillis(now.UnixMilli()) + "]; the event is quarantined, not evaluated"}
	}
	if t < floor {
		s.metrics.expired.Inc()
		s.keep(s.late, "expired", index, id, t, raw)
		return &refusal{400, "illegal_argument_exception", "event time [" + fmtMillis(t) + "] is older than the oldest time still evaluated [" + fmtMillis(floor) +
			"] (real time: the watermark less late_retention [" + s.cfg.LateRetention.Duration.String() + "]; scheduled: the oldest window the next run queries); the event is not evaluated"}
	}
	return nil
}

func fmtMillis(t int64) string { return time.UnixMilli(t).UTC().Format("2006-01-02T15:04:05.000Z") }

// keep writes a refused event, whole, to f, and logs it.
func (s *Server) keep(f *sink.File, reason, index, id string, t int64, raw []byte) {
	s.log.Warn("event refused", "reason", reason, "event_time", fmtMillis(t), "index", index, "id", id)
	m := map[string]any{"reason": reason, "index": index, "id": id, "event_time": fmtMillis(t)}
	if json.Valid(raw) {
		m["event"] = json.RawMessage(raw)
	}
	b, _ := json.Marshal(m)
	if err := f.Send(sink.Event{Kind: reason, Alert: b}); err != nil {
		s.log.Error("keeping refused event failed", "reason", reason, "err", err)
	}
}

// onLate: an event the ingest path admitted but a rule refused as older
// than its retention (the rule's own timestamp field, or the floor moved).
func (s *Server) onLate(r *rule.Rule, d *doc.Document, t int64) {
	s.metrics.expired.Inc()
	s.log.Warn("event too old for rule", "rule", r.Name, "event_time", fmtMillis(t), "index", d.Index, "id", d.ID)
	b, _ := json.Marshal(map[string]any{"reason": "expired", "rule_id": r.RuleID, "index": d.Index, "id": d.ID, "event_time": fmtMillis(t)})
	s.late.Send(sink.Event{Kind: "expired", Alert: b})
}

// onFuture: an event a rule quarantined as future-dated on its own
// timestamp field (timestamp_override; @timestamp is checked at ingest).
func (s *Server) onFuture(r *rule.Rule, d *doc.Document, t int64) {
	s.metrics.future.Inc()
	s.log.Warn("future-dated event quarantined", "rule", r.Name, "event_time", fmtMillis(t), "index", d.Index, "id", d.ID)
	b, _ := json.Marshal(map[string]any{"reason": "future", "rule_id": r.RuleID, "index": d.Index, "id": d.ID, "event_time": fmtMillis(t)})
	s.future.Send(sink.Event{Kind: "future", Alert: b})
}

// spoolSource is the engine's view of every event pushed so far: the
// spool up to the last batch pushed (later entries are still queued and
// will be pushed). Engine goroutine only.
func (s *Server) spoolSource(from, to int64, fn func(*doc.Document)) error {
	dec := s.decs.Get().(*doc.Decoder)
	defer s.decs.Put(dec)
	return s.spool.Scan(s.pushed, from, to, func(e store.Entry) {
		d, err := dec.Decode(e.Raw)
		if err != nil {
			return
		}
		d.Index, d.ID = e.Index, e.ID
		fn(d)
	})
}

// handleCaps logs, counts and alerts on the caps the engine applied: one
// "alerts capped" alert per rule and window, updated as the count grows.
func (s *Server) handleCaps() {
	for _, c := range s.live.TakeCaps() {
		key := c.Rule.RuleID + "\x00" + c.Window.String()
		delta := c.Dropped - s.capSeen[key]
		if delta <= 0 {
			continue
		}
		s.capSeen[key] = c.Dropped
		if len(s.capSeen) > knownMax {
			clear(s.capSeen)
		}
		cap := "max_signals"
		if c.Realtime {
			cap = "limits.max_alerts_per_window"
		}
		s.metrics.capped.WithLabelValues(c.Rule.Name).Add(float64(delta))
		s.log.Warn("alerts capped", "rule", c.Rule.Name, "cap", cap, "limit", c.Cap, "dropped", c.Dropped, "from", c.From, "to", c.Window)
		s.handle([]engine.Update{{Alert: s.capAlert(c, cap), Run: c.Window, Final: true}})
	}
}

// capAlert is the alert a capped window raises: its id is the rule and the
// window, so a window raises one, updated as more alerts are dropped.
func (s *Server) capAlert(c engine.CapReport, cap string) *engine.Alert {
	r := &rule.Rule{
		RuleID:      "vigil-alerts-capped",
		Name:        "Vigil alerts capped",
		Description: "A rule's window produced more alerts than " + cap + " allows; the rest were not raised (vigil_alerts_capped_total). Detections of that rule in the window may be missing: investigate the window, raise the cap or narrow the rule.",
		Type:        "esql", Language: "esql", Severity: "high", RiskScore: 73, Version: 1,
		Interval: time.Minute, From: "now-1m", MaxSignals: 1, Path: "builtin:vigil", License: "Elastic License v2",
	}
	cols := []esql.Column{{Name: "vigil.rule.rule_id", Type: doc.Keyword}, {Name: "vigil.rule.name", Type: doc.Keyword},
		{Name: "vigil.window.start", Type: doc.Date}, {Name: "vigil.window.end", Type: doc.Date},
		{Name: "vigil.cap", Type: doc.Keyword}, {Name: "vigil.cap.limit", Type: doc.Long}, {Name: "vigil.cap.dropped_alerts", Type: doc.Long}}
	row := []doc.Value{doc.KeywordOf(c.Rule.RuleID), doc.KeywordOf(c.Rule.Name), {T: doc.Date, I: c.From.UnixMilli()}, {T: doc.Date, I: c.Window.UnixMilli()},
		doc.KeywordOf(cap), doc.Long64(int64(c.Cap)), doc.Long64(int64(c.Dropped))}
	now := s.clock.Now()
	return engine.BuildAlert(r, cols, row, []string{"vigil.rule.rule_id", "vigil.window.end"}, engine.Execution{UUID: execUUID(r.RuleID, now), Time: now})
}
