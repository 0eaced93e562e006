package engine

// Event sources in the live engine: the alerts of query and new_terms
// rules carry the event they were built from, as Kibana copies the hit's
// _source into them and a hunt merges the input's (FetchSources). The
// live engine has no file to read again, so it keeps the JSON the decoder
// kept (doc.Document.Source) — only for the events such a rule's
// per-event stage passed (a query rule's matches, a new_terms rule's
// events with every term), and only until the Flush that evaluates them.
//
// A real-time query rule's run gives each matching row once, at the Flush
// after its event's push, where its source is at hand. A run rebuilt for
// a late event (Reevaluate) gives its rows again: it reads their sources
// again from the spool with the events. An alert whose source is not at
// hand was raised before (the same alert, only volatile fields could
// differ) and is skipped rather than raised again without it. Scheduled
// rules keep their run's events whole (their buffer), sources included.
//
// The bytes kept between two Flushes are capped (LiveOptions.
// MaxSourceBytes): past the cap an alert is raised without its source
// (counted per event: Live.SourcesDropped), never lost. The cap binds
// when the spool is replayed after a restart, which pushes the whole
// replay before its one Flush.

import (
	"encoding/json"
	"strings"

	"vigil/internal/doc"
)

// DefaultMaxSourceBytes is LiveOptions.MaxSourceBytes's default.
const DefaultMaxSourceBytes = 64 << 20

// carriesSource reports whether the rule's alerts carry the source of the
// event they were built from, which a live engine must keep for them.
func (cr *CompiledRule) carriesSource() bool {
	return cr.Rule.Type == "query" || cr.Rule.Type == "new_terms"
}

// KeepSources reports whether a live engine running these rules needs each
// event's JSON (doc.DecodeOptions.Source): for ES|QL rules reading
// METADATA _source, query and new_terms rules, and EQL rules, whose alerts
// carry their events' source as a hunt's do.
func KeepSources(rules []*CompiledRule, eqlRules []*EQLRule) bool {
	if len(eqlRules) > 0 || ReadSources(rules) {
		return true
	}
	for _, cr := range rules {
		if cr.carriesSource() {
			return true
		}
	}
	return false
}

// liveSources are the sources of the events pushed since the last Flush
// that query and new_terms rules' alerts may carry, by _id ("" when the
// cap refused one).
type liveSources struct {
	byID    map[string]string
	bytes   int64
	max     int64
	dropped int64
}

// keep records d's source (the first document with an id is the one, as
// FetchSources takes it).
func (s *liveSources) keep(d *doc.Document) {
	if d.ID == "" {
		return
	}
	if s.byID == nil {
		s.byID = map[string]string{}
	}
	if _, ok := s.byID[d.ID]; ok {
		return
	}
	src := d.Source
	if s.bytes+int64(len(src)) > s.max {
		src = ""
		s.dropped++
	}
	s.bytes += int64(len(src))
	s.byID[d.ID] = src
}

// reset forgets the sources once a Flush has used them; a map grown large
// (the replay after a restart) is let go, as clear keeps its buckets.
func (s *liveSources) reset() {
	if len(s.byID) > 1024 {
		s.byID = nil
	} else {
		clear(s.byID)
	}
	s.bytes = 0
}

// merge completes a with its event's source; known is false when the
// event was not pushed since the last Flush. An event the cap refused is
// known but merges nothing.
func (s *liveSources) merge(a *Alert) (known bool) {
	src, known := s.byID[a.SourceID()]
	if src != "" {
		mergeJSONSource(a, src)
	}
	return known
}

// SourcesDropped is the number of events whose source the engine's cap
// refused: their alerts were raised without it.
func (l *Live) SourcesDropped() int64 { return l.src.dropped }

// mergeJSONSource merges a document's JSON (doc.Document.Source) into an
// alert built from it (MergeSource).
func mergeJSONSource(a *Alert, src string) {
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(src))
	dec.UseNumber()
	if dec.Decode(&m) == nil {
		a.MergeSource(m, "")
	}
}

// mergeEventSources merges into each alert of a single event the JSON
// document it came as (doc.Document.Source, when the decoder kept it), as
// a hunt merges the input's (FetchSources).
func mergeEventSources(alerts []*Alert, docs []*doc.Document) {
	if len(docs) == 0 {
		return
	}
	byID := make(map[string]string, len(docs))
	for _, d := range docs {
		if _, ok := byID[d.ID]; !ok && d.ID != "" && d.Source != "" {
			byID[d.ID] = d.Source // the first document with an id is the one
		}
	}
	for _, a := range alerts {
		if src, ok := byID[a.SourceID()]; ok {
			mergeJSONSource(a, src)
		}
	}
}

// mergeUpdateSources is mergeEventSources for updates' alerts.
func mergeUpdateSources(ups []Update, docs []*doc.Document) {
	if len(docs) == 0 {
		return
	}
	alerts := make([]*Alert, len(ups))
	for i, u := range ups {
		alerts[i] = u.Alert
	}
	mergeEventSources(alerts, docs)
}

// passed is how many events the per-event stage (WHERE…) of a query or
// new_terms rule's live executions passed so far: Push keeps an event's
// source when it grows. 0 for other rules, which keep none.
func (r *liveRule) passed() int64 {
	if !r.cr.carriesSource() {
		return 0
	}
	var n int64
	for _, run := range r.runs {
		n += run.exec.Matched()
	}
	if r.terms != nil && r.terms.exec != nil {
		n += r.terms.exec.Matched()
	}
	return n
}
