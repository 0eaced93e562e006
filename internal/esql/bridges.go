package esql

// Thin adapters over the matching packages DISSECT, GROK and KQL() use.

import (
	"strings"
	"time"

	"vigil/internal/doc"
	"vigil/internal/kql"
	"vigil/internal/match/dissect"
	"vigil/internal/match/grok"
)

type dissectPattern struct {
	p    *dissect.Pattern
	keys []string
}

func compileDissect(p, appendSep string) (*dissectPattern, error) {
	d, err := dissect.Compile(p, appendSep)
	if err != nil {
		return nil, err
	}
	return &dissectPattern{p: d, keys: d.Keys()}, nil
}

func (d *dissectPattern) parse(s string) ([]string, bool) { return d.p.Parse(s) }

type grokField struct {
	name string
	t    doc.Type
}

type grokPattern struct {
	p      *grok.Pattern
	fields []grokField
}

// compileGrok compiles GROK's pattern; several patterns are alternatives.
func compileGrok(patterns []string) (*grokPattern, error) {
	src := patterns[0]
	if len(patterns) > 1 {
		src = "(?:" + strings.Join(patterns, ")|(?:") + ")"
	}
	p, err := grok.Compile(src)
	if err != nil {
		return nil, err
	}
	g := &grokPattern{p: p}
	for _, f := range p.Fields() {
		g.fields = append(g.fields, grokField{f.Name, f.Type})
	}
	return g, nil
}

func (g *grokPattern) match(s string) ([]doc.Value, bool) { return g.p.Match(s) }

// compileKQL parses and compiles a KQL() query (Elasticsearch's dialect,
// or Kibana's for KQL rules) for matching source documents, and lists the
// fields it reads.
func compileKQL(q string, m *doc.Mapping, now time.Time, kibana bool) (kql.Node, func(*doc.Document) bool, []string, error) {
	dialect := kql.Elasticsearch
	if kibana {
		dialect = kql.Kibana
	}
	n, err := kql.Parse(q, dialect)
	if err != nil {
		return nil, nil, nil, err
	}
	mt, err := kql.Compile(n, m, kql.Options{Dialect: dialect, Now: now})
	if err != nil {
		return nil, nil, nil, err
	}
	return n, mt.Match, mt.Fields(), nil
}
