package engine

import (
	"strings"

	"vigil/internal/doc"
)

// Catalog answers ES|QL's "what does this FROM read" for data that lives in
// files: the built-in mappings stand in for the index templates a cluster
// would have (Elastic Defend's process data stream for
// logs-endpoint.events.process-*, ECS for everything else), and a user
// mapping, when given, is laid over them.
type Catalog struct {
	User *doc.Mapping // from --mapping; nil when none
	// Inferred, when set, adds fields seen in the data that no other mapping
	// names (vigil query infers it by scanning its inputs).
	Inferred *doc.Mapping
}

const endpointProcessStream = "logs-endpoint.events.process-default"

// Resolve returns the merged mapping of what the patterns can name.
func (c *Catalog) Resolve(patterns []string) (*doc.Mapping, error) {
	endpoint, _ := doc.BuiltinMapping("logs-endpoint.events.process")
	ecs, _ := doc.BuiltinMapping("ecs")
	onlyEndpoint := len(patterns) > 0
	for _, p := range patterns {
		if strings.HasPrefix(p, "-") {
			continue
		}
		if !strings.HasPrefix(p, "logs-endpoint.events.process") {
			onlyEndpoint = false
		}
	}
	m := doc.NewMapping()
	if onlyEndpoint {
		m.Merge(endpoint)
	} else {
		m.Merge(ecs)
		if doc.MatchIndex(patterns, endpointProcessStream) {
			m.Merge(endpoint)
		}
	}
	if c.Inferred != nil {
		for _, f := range c.Inferred.Fields() {
			if _, ok := m.Lookup(f.Name); !ok {
				m.Add(*f)
			}
		}
	}
	if c.User != nil {
		for _, f := range c.User.Fields() {
			m.Add(*f)
		}
	}
	return m, nil
}

// DecoderMapping is what documents are typed by whatever index they route
// to: the built-in ECS and Elastic Defend mappings, the user's laid over
// them, then inferred fields that none of those names.
func (c *Catalog) DecoderMapping() *doc.Mapping {
	m := doc.NewMapping()
	ecs, _ := doc.BuiltinMapping("ecs")
	endpoint, _ := doc.BuiltinMapping("logs-endpoint.events.process")
	m.Merge(ecs)
	m.Merge(endpoint)
	if c.User != nil {
		for _, f := range c.User.Fields() {
			m.Add(*f)
		}
	}
	if c.Inferred != nil {
		for _, f := range c.Inferred.Fields() {
			if _, ok := m.Lookup(f.Name); !ok {
				m.Add(*f)
			}
		}
	}
	return m
}
