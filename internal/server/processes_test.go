package server

import (
	"testing"

	"vigil/internal/doc"
	"vigil/internal/proctree"
)

// TestNoteProcess: ingest decides what the process store gets from the
// decode it made anyway — lines no rule reads (skimmed) are dropped when
// not process events and handed over keyed when they are, with Parse's
// key; lines a rule reads, and those the projection cannot decide, go to
// the writer unkeyed.
func TestNoteProcess(t *testing.T) {
	ts := start(t, "", nil)
	defer ts.stop(t)
	dec := ts.decs.Get().(*doc.Decoder)
	defer ts.decs.Put(dec)
	skim := ts.skims.Get().(*doc.Decoder)
	defer ts.skims.Put(skim)
	const (
		dropped = iota
		keyed
		writer
		refused
	)
	cases := []struct {
		name string
		line string
		want int
	}{
		{"rule reads it", `{"@timestamp":"2026-01-01T00:00:00.000Z","event":{"category":["process"],"type":["start"]},"host":{"name":"h","os":{"type":"linux"}},"process":{"entity_id":"E","name":"sh","args":["sh","-c","id"],"parent":{"name":"python3","entity_id":"P","executable":"/usr/bin/python3"}}}`, writer},
		{"process event", `{"@timestamp":"2026-01-01T00:00:00.000Z","event":{"category":["process"]},"host":{"id":"H","name":"h"},"process":{"entity_id":"E","name":"bash","parent":{"entity_id":"P"}}}`, keyed},
		{"dotted, dataset only", `{"@timestamp":"2026-01-01T00:00:01.000Z","data_stream.dataset":"endpoint.events.process","host.name":"h","process.entity_id":"E2"}`, keyed},
		{"network event", `{"@timestamp":"2026-01-01T00:00:00.000Z","event":{"category":["network"]},"host":{"name":"h"},"process":{"entity_id":"E","name":"curl"}}`, dropped},
		{"parent only", `{"@timestamp":"2026-01-01T00:00:00.000Z","event":{"category":["process"]},"process":{"name":"bash","parent":{"entity_id":"P"}}}`, dropped},
		{"no entity id", `{"@timestamp":"2026-01-01T00:00:00.000Z","event":{"category":["process"]},"process":{"name":"bash"}}`, dropped},
		// The skim decoder types the key fields now: an object where the
		// mapping has a keyword is refused, as Elasticsearch refuses it
		// (document_parsing_exception), no longer only on lines rules read.
		{"object for a keyword", `{"@timestamp":"2026-01-01T00:00:00.000Z","event":{"category":{"a":1}},"process":{"entity_id":"E"}}`, refused},
		{"multi-valued id", `{"@timestamp":"2026-01-01T00:00:00.000Z","event":{"category":["process"]},"process":{"entity_id":["B","A"],"name":"bash"}}`, writer},
	}
	for _, c := range cases {
		d, pass, err := ts.decodeEvent(dec, skim, []byte(c.line))
		if (err != nil) != (c.want == refused) {
			t.Fatalf("%s: error %v", c.name, err)
		}
		if err != nil {
			continue
		}
		ls := noteProcess(nil, []byte(c.line), "i", "id", keyDoc(d, pass))
		got := dropped
		if len(ls) == 1 {
			got = writer
			if ls[0].keyed {
				got = keyed
			}
		}
		if got != c.want {
			t.Errorf("%s: got %d, want %d (0 dropped, 1 keyed, 2 writer, 3 refused)", c.name, got, c.want)
			continue
		}
		if got == keyed {
			e, _ := proctree.Parse([]byte(c.line))
			if k := ls[0].key; k != (proctree.Key{Time: e.Time, EntityID: e.EntityID, ParentEntityID: e.ParentEntityID, Host: e.Host}) {
				t.Errorf("%s: key %+v, Parse %+v", c.name, k, e)
			}
		}
	}
}
