package engine

import (
	"sort"
	"sync"

	"vigil/internal/doc"
)

// Catalog answers ES|QL's "what does this FROM read" for data that lives in
// files, standing in for the index templates a cluster would have:
//
//   - the built-in mapping of every data stream the patterns can name
//     (Elastic Defend's, the alerts index, the integrations' — see
//     doc.BuiltinStreams), loaded the first time a pattern names it;
//   - ECS for everything else (and for the ECS fields an integration's
//     mapping leaves to ECS), except where every pattern names only streams
//     whose mapping is complete;
//   - the ecs@mappings dynamic templates and logs@mappings' date_detection:
//     false under all of them, so a field no mapping names is typed by name
//     rules (doc.ECSDynamicTemplates), never by where it first appears;
//   - the user's mappings (--mapping) laid over the result.
//
// A Catalog may be used by several goroutines.
type Catalog struct {
	// User holds the mappings given with --mapping, laid over the built-in
	// ones in order; nil when none.
	User *doc.Mapping
	// Inferred, when set, adds fields seen in the data that no other mapping
	// names (typed by the templates above, from the whole input).
	Inferred *doc.Mapping

	mu       sync.Mutex
	loaded   map[string]bool // built-in streams some Resolve named
	declared *doc.Mapping    // fields compiled queries read that their mappings declare by pattern
}

// declare records fields a compiled query reads that its FROM's mappings
// declare by pattern (see declaredColumns), so documents are decoded with
// the types the query was compiled with.
func (c *Catalog) declare(fields *doc.Mapping) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.declared == nil {
		c.declared = doc.NewMapping()
	}
	fill(c.declared, fields)
}

// Resolve returns the merged mapping of what the patterns can name.
func (c *Catalog) Resolve(patterns []string) (*doc.Mapping, error) {
	streams := doc.BuiltinStreams(patterns)
	c.mu.Lock()
	if c.loaded == nil {
		c.loaded = map[string]bool{}
	}
	for _, s := range streams {
		c.loaded[s.Name] = true
	}
	c.mu.Unlock()
	// The streams merge as ES|QL merges indices (a field mapped with
	// conflicting types becomes unsupported)…
	merged := doc.NewMapping()
	for _, s := range streams {
		sm, _ := doc.BuiltinMapping(s.Name)
		merged.Merge(sm)
	}
	// …and lie over ECS, as an integration's own index template wins over
	// the ECS component template, unless every pattern names only streams
	// whose mapping is complete.
	m := merged
	if !namesOnlyComplete(patterns) {
		m, _ = doc.BuiltinMapping("ecs")
		m.Overlay(merged)
	}
	if c.Inferred != nil {
		fill(m, c.Inferred)
	}
	c.finish(m)
	return m, nil
}

// namesOnlyComplete reports whether every pattern names built-in streams,
// and only complete ones (so no ECS stand-in is needed).
func namesOnlyComplete(patterns []string) bool {
	for _, p := range patterns {
		if len(p) > 0 && p[0] == '-' {
			continue
		}
		streams := doc.BuiltinStreams([]string{p})
		if len(streams) == 0 {
			return false
		}
		for _, s := range streams {
			if !s.Complete {
				return false
			}
		}
	}
	return len(patterns) > 0
}

// fill adds the fields, objects and templates of extra that m lacks.
func fill(m, extra *doc.Mapping) {
	for _, f := range extra.Fields() {
		if _, ok := m.Lookup(f.Name); !ok {
			m.Add(*f)
		}
	}
	for _, o := range extra.Objects() {
		if _, ok := m.LookupObject(o.Name); !ok {
			m.AddObject(*o)
		}
	}
	m.Merge(&doc.Mapping{Templates: extra.Templates, DynamicObjects: extra.DynamicObjects}) // no fields: those are above
}

// finish lays the user's mappings over m and puts the logs-* dynamic typing
// under everything.
func (c *Catalog) finish(m *doc.Mapping) {
	if c.User != nil {
		m.Overlay(c.User)
	}
	m.Fallback = doc.ECSDynamicTemplates()
	m.NoDateDetection = true
}

// LoadedStreams lists the built-in streams resolved so far, sorted.
func (c *Catalog) LoadedStreams() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.loaded))
	for s := range c.loaded {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// DecoderMapping is what documents are typed by whatever index they route
// to: ECS, the built-in Elastic Defend process mapping and every built-in
// stream the queries resolved so far read, the user's laid over them, the
// fields queries read that those mappings declare by pattern, then inferred
// fields that none of those names, with the logs-* dynamic templates for
// the rest. Where two streams map a name differently the first (by name)
// keeps it: a decoder needs one type per name.
func (c *Catalog) DecoderMapping() *doc.Mapping {
	streams := doc.NewMapping()
	for _, name := range append([]string{"logs-endpoint.events.process"}, c.LoadedStreams()...) {
		sm, _ := doc.BuiltinMapping(name)
		fill(streams, sm)
	}
	m, _ := doc.BuiltinMapping("ecs")
	m.Overlay(streams)
	c.mu.Lock()
	if c.declared != nil {
		fill(m, c.declared)
	}
	c.mu.Unlock()
	if c.Inferred != nil {
		fill(m, c.Inferred)
	}
	c.finish(m)
	return m
}
