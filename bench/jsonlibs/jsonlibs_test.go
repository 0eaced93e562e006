// Package jsonlibs benchmarks third-party JSON libraries on the field
// extraction the hunt does (the seed rule's 19 fields of a 1.2 KB Elastic
// Defend exec event), to compare with internal/doc's hand-written decoder
// (BenchmarkFieldExtractor there). Its own module keeps the dependencies out
// of Vigil: go test -bench . in this directory.
package jsonlibs

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/bytedance/sonic"
	"github.com/valyala/fastjson"
)

// line is internal/doc's benchLine (kept in sync by hand).
const line = `{"@timestamp":"2022-02-16T23:49:50.502Z","agent":{"id":"01010101-0101-0101-0101-010101010101","type":"endpoint","version":"8.2.0"},"data_stream":{"dataset":"endpoint.events.process","namespace":"default","type":"logs"},"ecs":{"version":"1.11.0"},"event":{"action":"exec","category":["process"],"created":"2022-02-16T23:49:50.502Z","dataset":"endpoint.events.process","id":"MUpqbRd8y253e0Yl+++++K2J","kind":"event","module":"endpoint","sequence":7424,"type":["start"]},"host":{"architecture":"x86_64","hostname":"ubuntu-impish","id":"00000000-0000-0000-0000-000000000000","ip":["127.0.0.1","::1","10.0.2.15","fe80::b6:64ff:fef1:a5f0"],"name":"ubuntu-impish","os":{"family":"ubuntu","full":"Ubuntu 21.10","kernel":"5.13.0-28-generic","name":"Linux","platform":"ubuntu","type":"linux","version":"21.10"}},"process":{"args":["python3","-c","import pty; pty.spawn('/bin/sh')"],"args_count":3,"command_line":"python3 -c import pty; pty.spawn('/bin/sh')","entity_id":"MDEwMTAxMDEtMDEwMS0wMTAxLTAxMDEtMDEwMTAxMDEwMTAxLTEyNjQx","executable":"/usr/bin/python3.9","name":"python3","pid":12641,"working_directory":"/home/vagrant","interactive":true,"start":"2022-02-16T23:49:50.502Z","parent":{"args":["-bash"],"args_count":1,"command_line":"-bash","entity_id":"MDEwMTAxMDEtMDEwMS0wMTAxLTAxMDEtMDEwMTAxMDEwMTAxLTEyNjI3","executable":"/bin/bash","name":"bash","pid":12627,"start":"2022-02-16T23:27:52.81Z"},"user":{"id":"1000","name":"vagrant"}},"user":{"id":"1000","name":"vagrant"}}`

var fields = [][]string{}

func init() {
	for _, f := range []string{"@timestamp", "agent.id", "data_stream.dataset", "data_stream.namespace", "data_stream.type",
		"event.action", "event.dataset", "event.type", "host.name", "host.os.type", "process.args",
		"process.command_line", "process.executable", "process.name", "process.parent.entity_id",
		"process.parent.executable", "process.parent.name", "process.parent.working_directory", "process.working_directory"} {
		fields = append(fields, strings.Split(f, "."))
	}
}

func data(b *testing.B) []byte {
	if p := os.Getenv("VIGIL_BENCH_LINE"); p != "" {
		d, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	return []byte(line)
}

// Nested objects only: these libraries do not resolve dotted keys, which
// real exports contain and Vigil's decoder handles.
func BenchmarkFastjson(b *testing.B) {
	d := data(b)
	var p fastjson.Parser
	b.SetBytes(int64(len(d)))
	b.ReportAllocs()
	for b.Loop() {
		v, err := p.ParseBytes(d)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range fields {
			if v.Get(f...) == nil && f[0] != "process" {
				b.Fatal(f)
			}
		}
	}
}

func BenchmarkSonicGet(b *testing.B) {
	d := data(b)
	s := string(d)
	b.SetBytes(int64(len(d)))
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range fields {
			path := make([]any, len(f))
			for i, p := range f {
				path[i] = p
			}
			if _, err := sonic.GetFromString(s, path...); err != nil && f[0] != "process" {
				b.Fatal(f, err)
			}
		}
	}
}

func BenchmarkSonicUnmarshalMap(b *testing.B) {
	d := data(b)
	b.SetBytes(int64(len(d)))
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]any
		if err := sonic.Unmarshal(d, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodingJSONMap(b *testing.B) {
	d := data(b)
	b.SetBytes(int64(len(d)))
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(d, &m); err != nil {
			b.Fatal(err)
		}
	}
}
