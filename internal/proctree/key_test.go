package proctree

import (
	"testing"

	"vigil/internal/doc"
)

// keyDocs are documents of the shapes a process store sees: Parse is the
// reference KeyReader must agree with on each.
var keyDocs = []string{
	`{"@timestamp":"2022-02-16T23:49:50.502Z","event":{"category":["process"],"type":["start"]},"host":{"id":"H","name":"n"},"process":{"entity_id":"E","parent":{"entity_id":"P"}}}`,
	`{"@timestamp":"2022-02-16T23:49:50.502123Z","event.category":"process","host.name":"n","process.entity_id":"E","process.parent.entity_id":"P"}`,
	`{"@timestamp":1645055390502,"event":{"dataset":"endpoint.events.process"},"process":{"entity_id":"E"}}`,
	`{"@timestamp":"1645055390502","data_stream":{"dataset":"endpoint.events.process"},"process.parent":{"entity_id":"P"},"process":{"entity_id":"E"}}`,
	`{"event":{"category":["network","process"]},"host":{"id":"","name":"n"},"process":{"entity_id":"E"}}`,
	`{"event":{"category":["file"]},"host":{"id":"H"},"process":{"entity_id":"E"}}`,
	`{"event":{"category":["process"]},"process":{"entity_id":""}}`,
	`{"event":{"category":["process"]},"process":{"pid":1}}`,
	`{"event":{"category":"process"},"process":{"entity_id":["E2","E1"]},"host":{"name":["b","a"]}}`,
	`{"event":{"category":"process","dataset":["x","endpoint.events.process"]},"process":{"entity_id":"E"}}`,
	`{"event":{"category":"process"},"process":{"entity_id":"E\u00e9\"x"},"host":{"name":"h\n"}}`,
	`{"@timestamp":"not a date","event":{"category":"process"},"process":{"entity_id":"E"}}`,
	`{"@timestamp":["2022-02-16T23:49:50.502Z","2022-02-16T23:49:51.502Z"],"event":{"category":"process"},"process":{"entity_id":"E"}}`,
	`{"@timestamp":"1969-12-31T23:59:59.999999Z","event":{"category":"process"},"process":{"entity_id":"E"}}`,
	`{"event":{"category":"process"},"process":{"entity_id":{"x":1}}}`,
	`{"user":{"name":"u"},"message":"process entity_id"}`,
	`not json`,
}

// TestKeyReader: Read is Parse's verdict and identity fields, with the
// ECS mapping, the endpoint mapping and none, each document read twice
// (the decoder's state reused) and the keys kept across reads.
func TestKeyReader(t *testing.T) {
	ecs, _ := doc.BuiltinMapping("ecs")
	ep, _ := doc.BuiltinMapping("logs-endpoint.events.process")
	for name, m := range map[string]*doc.Mapping{"ecs": ecs, "endpoint": ep, "none": nil} {
		r := NewKeyReader(m)
		var kept []Key
		for range 2 {
			for _, src := range keyDocs {
				e, want := Parse([]byte(src))
				k, ok := r.Read([]byte(src))
				wk := Key{Time: e.Time, EntityID: e.EntityID, ParentEntityID: e.ParentEntityID, Host: e.Host}
				if ok != want || k != wk {
					t.Errorf("%s: %s:\nRead  %+v %v\nParse %+v %v", name, src, k, ok, wk, want)
				}
				kept = append(kept, k)
			}
		}
		for i, k := range kept[len(keyDocs):] { // strings own their memory
			if kept[i] != k {
				t.Errorf("%s: key %d changed: %+v, then %+v", name, i, kept[i], k)
			}
		}
	}
}

// TestKeyReaderFastPath: the documents of the process store's ordinary
// shapes are read by the projected decoder, not handed to Parse (a
// KeyReader that always fell back would pass TestKeyReader).
func TestKeyReaderFastPath(t *testing.T) {
	ecs, _ := doc.BuiltinMapping("ecs")
	r := NewKeyReader(ecs)
	for _, src := range keyDocs[:7] {
		if _, _, exact := r.read([]byte(src)); !exact {
			t.Errorf("handed to Parse: %s", src)
		}
	}
}

// FuzzKeyReader: Read never fails on any input, and where the projected
// decoder decides, it agrees with Parse on every id Parse reads as a
// string (a non-string id is typed by the mapping: see KeyReader).
func FuzzKeyReader(f *testing.F) {
	for _, d := range keyDocs {
		f.Add([]byte(d))
	}
	ecs, _ := doc.BuiltinMapping("ecs")
	r := NewKeyReader(ecs)
	f.Fuzz(func(t *testing.T, b []byte) {
		k, ok := r.Read(b)
		if ok && k.EntityID == "" {
			t.Fatal("ok without an entity id")
		}
		e, pok := Parse(b)
		if !ok || !pok {
			return
		}
		for _, p := range [][2]string{{k.EntityID, e.EntityID}, {k.ParentEntityID, e.ParentEntityID}, {k.Host, e.Host}} {
			if p[1] != "" && p[0] != p[1] {
				t.Fatalf("Read %+v, Parse %+v", k, e)
			}
		}
		if e.Time != 0 && k.Time != e.Time {
			t.Fatalf("time: Read %d, Parse %d", k.Time, e.Time)
		}
	})
}

// BenchmarkKeyReader: a Defend process event's key, read by KeyReader and
// by Parse (the reference it replaces in the process store's writer).
//
//	go test ./internal/proctree -run '^$' -bench BenchmarkKeyReader -count 4
func BenchmarkKeyReader(b *testing.B) {
	src := []byte(`{"@timestamp":"2026-11-19T21:00:00.000Z","agent":{"id":"agent-h","type":"endpoint","version":"8.15.2"},"data_stream":{"dataset":"endpoint.events.process","namespace":"default","type":"logs"},"ecs":{"version":"8.11.0"},"event":{"action":"exec","category":["process"],"dataset":"endpoint.events.process","kind":"event","module":"endpoint","outcome":"success","type":["start"]},"host":{"architecture":"x86_64","hostname":"h","id":"h","name":"h","os":{"family":"ubuntu","full":"Ubuntu 22.04.4","kernel":"5.15.0-105-generic","name":"Ubuntu","platform":"ubuntu","type":"linux","version":"22.04.4"}},"process":{"Ext":{"ancestry":["h-1"]},"args":["sh","-c","whoami"],"args_count":3,"command_line":"sh -c whoami","entity_id":"h-2","executable":"/usr/bin/sh","name":"sh","parent":{"entity_id":"h-1","pid":100},"pid":101,"user":{"id":"0","name":"root"},"working_directory":"/"},"user":{"id":"0","name":"root"}}`)
	ecs, _ := doc.BuiltinMapping("ecs")
	r := NewKeyReader(ecs)
	b.Run("KeyReader", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for i := 0; i < b.N; i++ {
			if _, ok := r.Read(src); !ok {
				b.Fatal("not a process event")
			}
		}
	})
	b.Run("Parse", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for i := 0; i < b.N; i++ {
			if _, ok := Parse(src); !ok {
				b.Fatal("not a process event")
			}
		}
	})
}
