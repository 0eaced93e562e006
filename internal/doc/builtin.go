package doc

import (
	"embed"
	"sort"
	"strings"
	"sync"
)

//go:generate go run ./mappinggen

// builtinFS holds the generated mappings (see mappinggen); they are committed
// so the product never reads ../shared.
//
//go:embed builtin/*.json
var builtinFS embed.FS

var builtinOnce = sync.OnceValue(func() map[string]*Mapping {
	out := map[string]*Mapping{}
	entries, err := builtinFS.ReadDir("builtin")
	if err != nil {
		panic("doc: embedded mappings unreadable: " + err.Error())
	}
	for _, e := range entries {
		data, err := builtinFS.ReadFile("builtin/" + e.Name())
		if err != nil {
			panic("doc: embedded mapping " + e.Name() + ": " + err.Error())
		}
		m, err := ParseMapping(data)
		if err != nil {
			panic("doc: embedded mapping " + e.Name() + ": " + err.Error())
		}
		out[strings.TrimSuffix(e.Name(), ".json")] = m
	}
	return out
})

// BuiltinMapping returns a copy of a built-in mapping: "ecs" (every ECS
// field as the ECS index templates map it) or "logs-endpoint.events.process"
// (Elastic Defend's process data stream). The copy is the caller's to change.
func BuiltinMapping(name string) (*Mapping, bool) {
	m, ok := builtinOnce()[name]
	if !ok {
		return nil, false
	}
	return m.Clone(), true
}

// BuiltinMappingNames lists the built-in mapping names, sorted.
func BuiltinMappingNames() []string {
	var out []string
	for k := range builtinOnce() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
