package main

import (
	"bytes"

	"vigil/internal/doc"
	"vigil/internal/engine"
	"vigil/internal/proctree"
)

// Fields `hunt --evidence` adds to each alert (docs/investigate.md): its
// evidence events as search hits, how many there were, whether the list
// was cut at engine.MaxEvidence, and the process tree around it, shaped as
// `vigil serve`'s /api/alerts/{id}/events and /tree answers.
const (
	evidenceField          = "vigil.evidence"
	evidenceTotalField     = "vigil.evidence_total"
	evidenceTruncatedField = "vigil.evidence_truncated"
	processTreeField       = "vigil.process_tree"
)

// attachEvidence reads the inputs again, twice: for the documents behind
// each alert (engine.EvidenceCollector), then for the process events of
// the hosts those documents are on, from which each alert's process tree
// is built. Only those hosts' process events are held, without their
// documents. Stdin cannot be re-read: its alerts get empty evidence.
func attachEvidence(files []string, m *doc.Mapping, index string, rules []*engine.CompiledRule, alerts []*engine.Alert) error {
	c := engine.NewEvidenceCollector(rules, alerts)
	c.IndexFallback = index
	if err := engine.ReadEvidence(files, m, c); err != nil {
		return err
	}
	type found struct {
		ev          *engine.Evidence
		entities    []string
		focus, host string
		matched     map[string]bool
	}
	per := make([]found, len(alerts))
	hosts := map[string]bool{}
	involved := map[string][]string{} // entity id → alerts
	for i, a := range alerts {
		f := found{ev: c.Evidence(a.ID), matched: map[string]bool{}}
		for _, e := range f.ev.Events {
			entity, host := proctree.Identify(e.Source)
			f.entities = append(f.entities, entity)
			f.matched[entity] = true
			if f.host == "" {
				f.host = host
			}
		}
		f.focus = proctree.FocusOf(a.Fields, f.entities)
		if f.host == "" {
			f.host = proctree.HostOf(a.Fields)
		}
		hosts[f.host] = true
		for e := range f.matched {
			involved[e] = append(involved[e], a.ID)
		}
		if f.focus != "" && !f.matched[f.focus] {
			involved[f.focus] = append(involved[f.focus], a.ID)
		}
		per[i] = f
	}
	procs := proctree.NewIndex()
	err := engine.EachLine(files, func(line []byte) {
		if !bytes.Contains(line, []byte(`entity_id"`)) {
			return
		}
		e, ok := proctree.Parse(engine.HitSource(line))
		if ok && hosts[e.Host] {
			procs.Add(e)
		}
	})
	if err != nil {
		return err
	}
	for i, a := range alerts {
		f := per[i]
		hits := make([]engine.EvidenceEvent, len(f.ev.Events))
		copy(hits, f.ev.Events)
		a.Fields[evidenceField] = hits
		a.Fields[evidenceTotalField] = f.ev.Total
		a.Fields[evidenceTruncatedField] = f.ev.Truncated
		tree := &proctree.Tree{Focus: f.focus, HostID: f.host, Nodes: []proctree.Node{}}
		if f.focus != "" {
			if tree, err = proctree.Build(procs, f.focus, proctree.Limits{}); err != nil {
				return err
			}
			if tree.HostID == "" {
				tree.HostID = f.host
			}
			for j := range tree.Nodes {
				n := &tree.Nodes[j]
				n.Matched = f.matched[n.EntityID]
				if ids := involved[n.EntityID]; ids != nil {
					n.AlertIDs = ids
				}
			}
		}
		a.Fields[processTreeField] = tree
	}
	return nil
}
