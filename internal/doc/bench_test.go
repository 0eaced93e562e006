package doc

import (
	"strings"
	"testing"
)

// benchLine is shaped like an Elastic Defend process exec event (~1.2 KB).
const benchLine = `{"@timestamp":"2022-02-16T23:49:50.502Z","agent":{"id":"01010101-0101-0101-0101-010101010101","type":"endpoint","version":"8.2.0"},"data_stream":{"dataset":"endpoint.events.process","namespace":"default","type":"logs"},"ecs":{"version":"1.11.0"},"event":{"action":"exec","category":["process"],"created":"2022-02-16T23:49:50.502Z","dataset":"endpoint.events.process","id":"MUpqbRd8y253e0Yl+++++K2J","kind":"event","module":"endpoint","sequence":7424,"type":["start"]},"host":{"architecture":"x86_64","hostname":"ubuntu-impish","id":"00000000-0000-0000-0000-000000000000","ip":["127.0.0.1","::1","10.0.2.15","fe80::b6:64ff:fef1:a5f0"],"name":"ubuntu-impish","os":{"family":"ubuntu","full":"Ubuntu 21.10","kernel":"5.13.0-28-generic","name":"Linux","platform":"ubuntu","type":"linux","version":"21.10"}},"process":{"args":["python3","-c","import pty; pty.spawn('/bin/sh')"],"args_count":3,"command_line":"python3 -c import pty; pty.spawn('/bin/sh')","entity_id":"MDEwMTAxMDEtMDEwMS0wMTAxLTAxMDEtMDEwMTAxMDEwMTAxLTEyNjQx","executable":"/usr/bin/python3.9","name":"python3","pid":12641,"working_directory":"/home/vagrant","interactive":true,"start":"2022-02-16T23:49:50.502Z","parent":{"args":["-bash"],"args_count":1,"command_line":"-bash","entity_id":"MDEwMTAxMDEtMDEwMS0wMTAxLTAxMDEtMDEwMTAxMDEwMTAxLTEyNjI3","executable":"/bin/bash","name":"bash","pid":12627,"start":"2022-02-16T23:27:52.81Z"},"user":{"id":"1000","name":"vagrant"}},"user":{"id":"1000","name":"vagrant"}}`

func BenchmarkDecode(b *testing.B) {
	m, _ := BuiltinMapping("logs-endpoint.events.process")
	line := []byte(benchLine)
	for _, bc := range []struct {
		name string
		opts DecodeOptions
	}{
		{"full", DecodeOptions{}},
		{"projected", DecodeOptions{Fields: []string{"event.type", "process.name", "process.args", "process.parent.name", "host.id"}}},
		// As the hunt decodes: a layout, values aliasing the line; with and
		// without keeping _source (a rule reading METADATA _source).
		{"hunt", DecodeOptions{Layout: NewLayout([]string{"event.type", "process.name", "process.args"}), Reuse: true}},
		{"hunt_source", DecodeOptions{Layout: NewLayout([]string{"event.type", "process.name", "process.args"}), Reuse: true, Source: true}},
		// A line with a nested field (Defend's process.Ext.code_signature):
		// skipped by a hunt that reads no field under it, decoded into
		// Document.Nested by one that does (a nested KQL query or exception).
		{"nested_skipped", DecodeOptions{Layout: NewLayout([]string{"event.type", "process.name", "process.args"}), Reuse: true}},
		{"nested", DecodeOptions{Layout: NewLayout([]string{"event.type", "process.name", "process.args", "process.Ext.code_signature.subject_name"}), Reuse: true}},
	} {
		line := line
		if strings.HasPrefix(bc.name, "nested") {
			line = []byte(strings.Replace(benchLine, `"interactive":true,`, `"interactive":true,"Ext":{"code_signature":[{"exists":true,"status":"trusted","subject_name":"Microsoft Windows","trusted":true},{"exists":true,"status":"trusted","subject_name":"Microsoft Corporation","trusted":true}]},`, 1))
		}
		b.Run(bc.name, func(b *testing.B) {
			d := NewDecoder(m, bc.opts)
			if doc, err := d.Decode(line); err != nil || (bc.name == "nested") != (len(doc.Nested) == 1) {
				b.Fatal(err, doc.Nested)
			}
			if _, err := d.Decode(line); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.Decode(line); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// skimFields are what the hunt's skim decoder reads: a timestamp and routing.
var skimFields = []string{"@timestamp", "data_stream.type", "data_stream.dataset", "data_stream.namespace"}

// BenchmarkFieldExtractor times the field extractor as the hunt uses it:
// the seed rule's projection (fresh documents) and the skim decoder for
// prefiltered-out lines (Reuse, timestamp and routing fields only).
func BenchmarkFieldExtractor(b *testing.B) {
	m, _ := BuiltinMapping("logs-endpoint.events.process")
	line := []byte(benchLine)
	seed := []string{"@timestamp", "agent.id", "data_stream.dataset", "data_stream.namespace", "data_stream.type",
		"event.action", "event.dataset", "event.type", "host.name", "host.os.type", "process.args",
		"process.command_line", "process.executable", "process.name", "process.parent.entity_id",
		"process.parent.executable", "process.parent.name", "process.parent.working_directory", "process.working_directory"}
	layout := NewLayout(seed) // the hunt's: skim and projection share it
	for _, bc := range []struct {
		name string
		opts DecodeOptions
	}{
		{"seed-projection", DecodeOptions{Dynamic: true, Fields: seed}},
		{"seed-projection-reuse-doc", DecodeOptions{Dynamic: true, ReuseDocument: true, Fields: seed}},
		{"seed-projection-layout", DecodeOptions{Dynamic: true, Reuse: true, Layout: layout}},
		{"skim-reuse", DecodeOptions{Dynamic: true, Reuse: true, Fields: skimFields}},
		{"skim-first-values", DecodeOptions{Dynamic: true, Reuse: true, FirstValuesOnly: true, Fields: skimFields}},
		{"skim-first-values-layout", DecodeOptions{Dynamic: true, Reuse: true, FirstValuesOnly: true, Fields: skimFields, Layout: layout}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			d := NewDecoder(m, bc.opts)
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.Decode(line); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
