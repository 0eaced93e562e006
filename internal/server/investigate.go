package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	"vigil/internal/doc"
	"vigil/internal/engine"
	pf "vigil/internal/prefilter"
	"vigil/internal/proctree"
	"vigil/internal/store"
)

// The investigation API (issue 17; docs/investigate.md): an alert's
// evidence events, the process tree around it, one process, and the host's
// process events around it.

// captureEvidence stores the evidence of alerts just created, changed or
// whose run closed (engine goroutine): one pass over the spool's events in the alerts' run
// ranges, each offered to an EvidenceCollector. The spool holds every
// event a rule may read until the engine's horizon, so what formed a
// just-raised alert is there.
func (s *Server) captureEvidence(alerts []*engine.Alert) {
	if len(alerts) == 0 {
		return
	}
	c := engine.NewEvidenceCollector(s.opts.Rules, alerts)
	c.IndexFallback = s.cfg.Index
	from, to := int64(math.MaxInt64), int64(math.MinInt64)
	for _, a := range alerts {
		gte, ok1 := alertTime(a.Fields["vigil.execution.range.gte"])
		lte, ok2 := alertTime(a.Fields["vigil.execution.range.lte"])
		if !ok1 || !ok2 {
			from, to = math.MinInt64, math.MaxInt64 // no range: the whole spool
			break
		}
		from, to = min(from, gte), max(to, lte)
	}
	// A line no involved rule's byte prefilter passes reaches no STATS
	// group: skip it undecoded (most of a run's events, at a low passing
	// share). Alerts naming their events (ancestors) are found by id.
	var filters []*pf.Filter
	scanAll := false
	for _, a := range alerts {
		if a.GroupKey == "" {
			continue
		}
		f, ok := s.ruleFilters[a.RuleID]
		if !ok || f == nil {
			scanAll = true
		} else if !slices.Contains(filters, f) {
			filters = append(filters, f)
		}
	}
	if c.Wants() {
		// Offer copies what it keeps out of the Document (the probe is an
		// esql.Execution): one Document serves the whole scan.
		dec := doc.NewDecoder(s.opts.Mapping, doc.DecodeOptions{Dynamic: true, Fields: c.Fields(), ReuseDocument: true})
		err := s.spool.Scan(s.pushed, from, to, func(e store.Entry) {
			if !c.Examines(e.ID) || !scanAll && !c.Names(e.ID) && !anyPasses(filters, e.Raw) {
				return
			}
			d, err := dec.Decode(e.Raw)
			if err != nil {
				return
			}
			d.Index, d.ID = e.Index, e.ID
			c.Offer(d, e.Raw)
		})
		if err != nil {
			s.log.Error("evidence scan failed", "err", err)
		}
	}
	now := s.clock.Now().UnixMilli()
	for _, a := range alerts {
		ev := c.Evidence(a.ID)
		if ev == nil {
			continue
		}
		set := store.EvidenceSet{AlertID: a.ID, Total: ev.Total, Truncated: ev.Truncated, Stored: now}
		if t, ok := alertTime(a.Fields["@timestamp"]); ok {
			set.Time = t
		}
		entities := make([]string, len(ev.Events))
		for i, e := range ev.Events {
			entity, host := proctree.Identify(e.Source)
			if set.Host == "" {
				set.Host = host
			}
			entities[i] = entity
			set.Events = append(set.Events, store.EvidenceEvent{DocID: e.ID, Index: e.Index, Time: e.Time, EntityID: entity, Source: e.Source})
		}
		set.Focus = proctree.FocusOf(a.Fields, entities)
		if set.Host == "" {
			set.Host = proctree.HostOf(a.Fields)
		}
		if err := s.store.PutEvidence(set); err != nil {
			s.log.Error("evidence store failed", "alert", a.ID, "err", err)
		}
	}
}

func alertTime(v any) (int64, bool) {
	s, ok := v.(string)
	if !ok {
		return 0, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.UnixMilli(), err == nil
}

// pruneInvestigation is one bounded step of pruning (the process writer
// runs it, processes.go): up to 10,000 process events older than the
// retention behind the newest one, and the evidence of up to 10,000 alerts
// stored longer ago than the retention. It reports whether more may remain.
func (s *Server) pruneInvestigation() bool {
	keep := s.cfg.Investigate.Retention.Duration.Milliseconds()
	events := int64(math.MinInt64)
	if newest := s.procs.newest.Load(); newest != math.MinInt64 {
		events = newest - keep
	}
	n, err := s.store.PruneInvestigation(events, s.clock.Now().UnixMilli()-keep, 10_000)
	if err != nil {
		s.log.Error("investigation prune failed", "err", err)
		return false
	}
	return n > 0
}

// hit is a stored document as the API shows it.
type hit struct {
	ID     string          `json:"_id"`
	Index  string          `json:"_index"`
	Source json.RawMessage `json:"_source"`
}

func rawSource(b []byte) json.RawMessage {
	if !json.Valid(b) {
		q, _ := json.Marshal(string(b))
		return q
	}
	return b
}

// alertEvidence loads an alert's evidence, answering 404 for an unknown
// alert; an alert with none stored has an empty set.
func (s *Server) alertEvidence(w http.ResponseWriter, id string) (store.EvidenceSet, bool) {
	if _, err := s.store.Get(id); errors.Is(err, store.ErrNotFound) {
		esError(w, 404, "resource_not_found_exception", "no alert ["+id+"]")
		return store.EvidenceSet{}, false
	} else if err != nil {
		esError(w, 500, "store_exception", err.Error())
		return store.EvidenceSet{}, false
	}
	set, err := s.store.Evidence(id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		esError(w, 500, "store_exception", err.Error())
		return set, false
	}
	return set, true
}

// alertEvents is GET /api/alerts/{id}/events.
func (s *Server) alertEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	set, ok := s.alertEvidence(w, id)
	if !ok {
		return
	}
	events := make([]hit, 0, len(set.Events))
	for _, e := range set.Events {
		events = append(events, hit{ID: e.DocID, Index: e.Index, Source: rawSource(e.Source)})
	}
	writeJSON(w, 200, map[string]any{"alert_id": id, "events": events, "total": set.Total, "truncated": set.Truncated})
}

// alertTree is GET /api/alerts/{id}/tree.
func (s *Server) alertTree(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	set, ok := s.alertEvidence(w, id)
	if !ok {
		return
	}
	tree := &proctree.Tree{Focus: set.Focus, HostID: set.Host, Nodes: []proctree.Node{}}
	if set.Focus != "" {
		t, err := proctree.Build(storeSource{s.store}, set.Focus, proctree.Limits{})
		if err != nil {
			esError(w, 500, "store_exception", err.Error())
			return
		}
		tree = t
		if tree.HostID == "" {
			tree.HostID = set.Host
		}
		matched := map[string]bool{}
		for _, e := range set.Events {
			matched[e.EntityID] = true
		}
		if err := s.markNodes(tree.Nodes, matched); err != nil {
			esError(w, 500, "store_exception", err.Error())
			return
		}
	}
	writeJSON(w, 200, map[string]any{"alert_id": id, "focus": tree.Focus, "host_id": tree.HostID, "nodes": tree.Nodes, "truncated": tree.Truncated})
}

// markNodes sets each node's matched flag and the alerts involving it.
func (s *Server) markNodes(nodes []proctree.Node, matched map[string]bool) error {
	ids := make([]string, len(nodes))
	for i, n := range nodes {
		ids[i] = n.EntityID
	}
	alerts, err := s.store.AlertsOfProcesses(ids)
	if err != nil {
		return err
	}
	for i := range nodes {
		nodes[i].Matched = matched[nodes[i].EntityID]
		if a := alerts[nodes[i].EntityID]; a != nil {
			nodes[i].AlertIDs = slices.Compact(a)
		}
	}
	return nil
}

// maxProcessEvents bounds /api/processes/{id}'s events and the timeline.
const maxProcessEvents = 1000

// process is GET /api/processes/{entity_id}.
func (s *Server) process(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("entity_id")
	n, evs, err := proctree.Describe(storeSource{s.store}, id, proctree.Limits{Events: maxProcessEvents})
	if err != nil {
		esError(w, 500, "store_exception", err.Error())
		return
	}
	if n == nil {
		esError(w, 404, "resource_not_found_exception", "no process ["+id+"]")
		return
	}
	n.Role = proctree.RoleFocus
	nodes := []proctree.Node{*n}
	if err := s.markNodes(nodes, nil); err != nil {
		esError(w, 500, "store_exception", err.Error())
		return
	}
	events := make([]hit, 0, len(evs))
	for _, e := range evs {
		events = append(events, hit{ID: e.ID, Index: e.Index, Source: rawSource(e.Source)})
	}
	writeJSON(w, 200, map[string]any{"process": nodes[0], "events": events})
}

// timeline is GET /api/alerts/{id}/timeline?before=5m&after=5m: the host's
// process events from `before` ahead of the alert's first evidence event
// (its time when it has none) to `after` past its last.
func (s *Server) timeline(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var span [2]time.Duration
	for i, k := range []string{"before", "after"} {
		span[i] = 5 * time.Minute
		if v := r.URL.Query().Get(k); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 || d > 24*time.Hour {
				esError(w, 400, "illegal_argument_exception", fmt.Sprintf("%s: want a duration from 0 to 24h, such as 5m", k))
				return
			}
			span[i] = d
		}
	}
	set, ok := s.alertEvidence(w, id)
	if !ok {
		return
	}
	first, last := set.Time, set.Time
	if len(set.Events) > 0 {
		first, last = set.Events[0].Time, set.Events[len(set.Events)-1].Time
	}
	from, to := first-span[0].Milliseconds(), last+span[1].Milliseconds()
	events := []hit{}
	truncated := false
	if set.Host != "" {
		evs, err := s.store.HostEvents(set.Host, from, to, maxProcessEvents+1)
		if err != nil {
			esError(w, 500, "store_exception", err.Error())
			return
		}
		if len(evs) > maxProcessEvents {
			evs, truncated = evs[:maxProcessEvents], true
		}
		for _, e := range evs {
			events = append(events, hit{ID: e.DocID, Index: e.Index, Source: rawSource(e.Source)})
		}
	}
	writeJSON(w, 200, map[string]any{"alert_id": id, "host_id": set.Host, "from": apiTime(from), "to": apiTime(to),
		"events": events, "truncated": truncated})
}

func apiTime(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z") }

// anyPasses reports whether any filter passes the line.
func anyPasses(filters []*pf.Filter, line []byte) bool {
	for _, f := range filters {
		if f.Match(line) {
			return true
		}
	}
	return false
}
