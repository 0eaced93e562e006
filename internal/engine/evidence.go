package engine

import (
	"bytes"
	"encoding/json"
	"sort"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/source"
)

// MaxEvidence bounds the source events kept per alert; Evidence.Total
// counts them all.
const MaxEvidence = 1000

// EvidenceEvent is one source document behind an alert, as the API and
// `hunt --evidence` show it (a search hit's shape).
type EvidenceEvent struct {
	ID     string          `json:"_id"`
	Index  string          `json:"_index"`
	Source json.RawMessage `json:"_source"`
	Time   int64           `json:"-"` // event time, ms (ordering)
}

// Evidence is the source events an alert was formed from, in event-time
// order: at most MaxEvidence of Total (Truncated then).
type Evidence struct {
	Events    []EvidenceEvent
	Total     int
	Truncated bool
}

// EvidenceCollector finds the documents behind alerts, offered one at a
// time: for an aggregating ES|QL rule, the documents whose rows reach its
// STATS in the alert's group (the rule's per-event stage replayed through
// an esql.GroupProbe, its source exceptions applied, as the run applied
// them); for every other alert, the documents its kibana.alert.ancestors
// name. It runs beside detection, never in it: the hot path keeps no rows.
type EvidenceCollector struct {
	// IndexFallback is the index of documents naming none (Sweep's).
	IndexFallback string
	rules         []*evidenceRule
	byID          map[string][]*Alert
	out           map[string]*Evidence
	fields        []string
}

type evidenceRule struct {
	cr    *CompiledRule
	probe *esql.GroupProbe
	want  map[string][]*Alert // by GroupKey
}

// NewEvidenceCollector prepares to collect the evidence of alerts raised
// by rules (alerts of rules not in it are matched by ancestor id only).
func NewEvidenceCollector(rules []*CompiledRule, alerts []*Alert) *EvidenceCollector {
	c := &EvidenceCollector{byID: map[string][]*Alert{}, out: map[string]*Evidence{}}
	byRule := map[string]*CompiledRule{}
	for _, cr := range rules {
		byRule[cr.Rule.RuleID] = cr
	}
	probes := map[string]*evidenceRule{}
	// Routing reads the data stream fields of documents without _index.
	set := map[string]bool{"@timestamp": true, "data_stream.type": true, "data_stream.dataset": true, "data_stream.namespace": true}
	for _, a := range alerts {
		c.out[a.ID] = &Evidence{}
		if cr := byRule[a.RuleID]; cr != nil && a.GroupKey != "" {
			er := probes[a.RuleID]
			if er == nil {
				p := cr.Query.NewGroupProbe()
				if p == nil {
					continue
				}
				er = &evidenceRule{cr: cr, probe: p, want: map[string][]*Alert{}}
				probes[a.RuleID] = er
				c.rules = append(c.rules, er)
				for _, f := range cr.Fields() {
					set[f] = true
				}
				set[timestampField(cr.Rule)] = true
			}
			er.want[a.GroupKey] = append(er.want[a.GroupKey], a)
			continue
		}
		for _, id := range eventAncestors(a) {
			c.byID[id] = append(c.byID[id], a)
		}
	}
	for f := range set {
		c.fields = append(c.fields, f)
	}
	sort.Strings(c.fields)
	return c
}

// eventAncestors are the ids of the source documents an alert names.
func eventAncestors(a *Alert) []string {
	var ids []string
	anc, _ := a.Fields["kibana.alert.ancestors"].([]Ancestor)
	for _, p := range anc {
		if p.Type == "event" && p.ID != "" {
			ids = append(ids, p.ID)
		}
	}
	return ids
}

// Fields are the document fields Offer's documents must carry.
func (c *EvidenceCollector) Fields() []string { return c.fields }

// Wants reports whether any alert still needs documents.
func (c *EvidenceCollector) Wants() bool { return len(c.rules) > 0 || len(c.byID) > 0 }

// Examines reports whether Offer would look at a document with this _id:
// when only per-event alerts are collected, others need not be decoded.
func (c *EvidenceCollector) Examines(id string) bool { return len(c.rules) > 0 || c.byID[id] != nil }

// Names reports whether an alert names the document with this _id as its
// source event (its kibana.alert.ancestors).
func (c *EvidenceCollector) Names(id string) bool { return c.byID[id] != nil }

// Offer matches one document (decoded with Fields, its ID and Index set)
// to the alerts it formed; raw is its line, a bare document or a search
// hit, kept only when it matches.
func (c *EvidenceCollector) Offer(d *doc.Document, raw []byte) {
	var hit []*Alert
	if d.ID != "" {
		hit = append(hit, c.byID[d.ID]...)
	}
	if len(c.rules) > 0 {
		index, stream, ok := route(d, c.IndexFallback)
		for _, er := range c.rules {
			if !ok || !Reads(er.cr.Query, index, stream) || er.cr.excepted(d, nil) {
				continue
			}
			er.probe.Groups(d, func(key string) {
				hit = append(hit, er.want[key]...)
			})
		}
	}
	if len(hit) == 0 {
		return
	}
	ev := EvidenceEvent{ID: d.ID, Index: d.Index, Source: HitSource(raw), Time: docTime(d)}
	seen := map[string]bool{}
	for _, a := range hit {
		if seen[a.ID] { // a multi-valued key may name a group twice
			continue
		}
		seen[a.ID] = true
		e := c.out[a.ID]
		e.Total++
		if len(e.Events) < MaxEvidence {
			e.Events = append(e.Events, ev)
		} else {
			e.Truncated = true
		}
	}
}

// Evidence returns an alert's evidence (nil for an alert not given to
// NewEvidenceCollector), events in time order, ties in input order.
func (c *EvidenceCollector) Evidence(alertID string) *Evidence {
	e := c.out[alertID]
	if e != nil {
		sort.SliceStable(e.Events, func(i, j int) bool { return e.Events[i].Time < e.Events[j].Time })
	}
	return e
}

// HitSource is a line's document: a search hit's _source, else the line.
func HitSource(raw []byte) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if bytes.Contains(raw, []byte(`"_source"`)) {
		var hit struct {
			Source json.RawMessage `json:"_source"`
		}
		if json.Unmarshal(raw, &hit) == nil && len(hit.Source) > 0 && hit.Source[0] == '{' {
			return hit.Source
		}
	}
	return json.RawMessage(bytes.Clone(raw))
}

func docTime(d *doc.Document) int64 {
	v := d.Get("@timestamp")
	if v.IsNull() || v.IsMulti() || !v.T.IsTemporal() {
		return 0
	}
	return millis(v)
}

// ReadEvidence reads files again (stdin cannot be) and offers every
// document to c.
func ReadEvidence(files []string, m *doc.Mapping, c *EvidenceCollector) error {
	dec := doc.NewDecoder(m, doc.DecodeOptions{Dynamic: true, Fields: c.Fields()})
	return EachLine(files, func(line []byte) {
		d, err := dec.Decode(line)
		if err != nil {
			return
		}
		if d.ID == "" {
			d.ID = doc.AutoID(line)
		}
		c.Offer(d, line)
	})
}

// EachLine calls fn with every line of files again, in order, after a run
// read them (stdin, which cannot be re-read, is skipped; problems were
// reported by the first read).
func EachLine(files []string, fn func(line []byte)) error {
	var readable []string
	for _, f := range files {
		if f != "-" {
			readable = append(readable, f)
		}
	}
	if len(readable) == 0 {
		return nil
	}
	r := &source.Reader{OnProblem: func(source.Problem) {}}
	pool := source.NewChunkPool(2, source.DefaultChunkSize)
	return r.Chunks(readable, pool, func(ch *source.Chunk) {
		defer pool.Release(ch)
		ch.Lines(func(_ int, line []byte) { fn(line) })
	})
}
