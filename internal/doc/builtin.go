package doc

import (
	"bufio"
	"bytes"
	"embed"
	"sort"
	"strings"
	"sync"
)

//go:generate go run ./mappinggen

// builtinFS holds the generated mappings (see mappinggen); they are committed
// so the product never reads ../shared. Each is parsed the first time it is
// asked for, so a run pays only for the data streams its queries read.
//
//go:embed builtin/*.json builtin/streams.txt
var builtinFS embed.FS

// BuiltinStream describes one built-in mapping (builtin/streams.txt).
type BuiltinStream struct {
	Name string // mapping name: "ecs", or a data stream without its namespace ("logs-aws.cloudtrail")
	// Complete is set when the mapping lists every field of the stream, ECS
	// ones included; otherwise ECS stands in for the ECS fields the
	// integration's fields.yml declares as external.
	Complete bool
}

var builtinIndex = sync.OnceValue(func() []BuiltinStream {
	data, err := builtinFS.ReadFile("builtin/streams.txt")
	if err != nil {
		panic("doc: embedded mapping index unreadable: " + err.Error())
	}
	var out []BuiltinStream
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		out = append(out, BuiltinStream{Name: f[0], Complete: len(f) > 1 && f[1] == "complete"})
	}
	return out
})

var builtinCache sync.Map // name → func() *Mapping (a sync.OnceValue)

func builtinParsed(name string) (*Mapping, bool) {
	known := false
	for _, s := range builtinIndex() {
		known = known || s.Name == name
	}
	if !known {
		return nil, false
	}
	load, _ := builtinCache.LoadOrStore(name, sync.OnceValue(func() *Mapping {
		data, err := builtinFS.ReadFile("builtin/" + name + ".json")
		if err != nil {
			panic("doc: embedded mapping " + name + ": " + err.Error())
		}
		m, err := ParseMapping(data)
		if err != nil {
			panic("doc: embedded mapping " + name + ": " + err.Error())
		}
		return m
	}))
	return load.(func() *Mapping)(), true
}

// BuiltinMapping returns a copy of a built-in mapping: "ecs" (every ECS
// field as the ECS index templates map it) or a data stream's, named
// without its namespace ("logs-endpoint.events.process",
// "logs-aws.cloudtrail", ".alerts-security.alerts"). The copy is the
// caller's to change.
func BuiltinMapping(name string) (*Mapping, bool) {
	m, ok := builtinParsed(name)
	if !ok {
		return nil, false
	}
	return m.Clone(), true
}

// BuiltinMappingNames lists the built-in mapping names, sorted.
func BuiltinMappingNames() []string {
	var out []string
	for _, s := range builtinIndex() {
		out = append(out, s.Name)
	}
	sort.Strings(out)
	return out
}

// BuiltinStreams returns the built-in data stream mappings that index
// patterns can read, judged by the stream's name in the default namespace
// or in the namespace a pattern names ("logs-aws.cloudtrail-prod").
func BuiltinStreams(patterns []string) []BuiltinStream {
	var out []BuiltinStream
	for _, s := range builtinIndex() {
		if s.Name == "ecs" {
			continue
		}
		if MatchIndex(patterns, s.Name+"-default") {
			out = append(out, s)
			continue
		}
		for _, p := range patterns {
			if ns, ok := strings.CutPrefix(p, s.Name+"-"); ok && !strings.Contains(ns, "-") && MatchIndex(patterns, p) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}
