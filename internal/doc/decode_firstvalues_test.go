package doc

import (
	"slices"
	"strings"
	"testing"
)

// TestFirstValuesOnly: the skim decoder stops once every projected field
// has its values, and only then.
func TestFirstValuesOnly(t *testing.T) {
	m, _ := BuiltinMapping("logs-endpoint.events.process")
	head := `{"@timestamp":"2022-02-16T23:49:50.502Z","data_stream":{"dataset":"d","namespace":"n","type":"logs"}`
	cases := []struct {
		name   string
		fields []string
		line   string
		first  bool   // FirstValuesOnly
		err    bool   // want a decode error
		want   string // "field=value ..." of the document, when no error
	}{
		{name: "garbage tail read when complete", fields: skimFields, first: true,
			line: head + `,"event":{"kind":` + "\x01 garbage",
			want: "@timestamp=2022-02-16T23:49:50.502Z data_stream.dataset=d data_stream.namespace=n data_stream.type=logs"},
		{name: "garbage tail without the option", fields: skimFields,
			line: head + `,"event":{"kind":` + "\x01 garbage", err: true},
		{name: "a missing field scans to the end", fields: append([]string{"host.name"}, skimFields...), first: true,
			line: head + `,"event":{"kind":` + "\x01 garbage", err: true},
		{name: "later fields still found", fields: append([]string{"process.name"}, skimFields...), first: true,
			line: head + `,"host":{"name":"h"},"process":{"name":"bash"},"user":` + "\x01",
			want: "@timestamp=2022-02-16T23:49:50.502Z data_stream.dataset=d data_stream.namespace=n data_stream.type=logs process.name=bash"},
		{name: "a leaf array is read whole", fields: []string{"event.type"}, first: true,
			line: `{"event":{"type":["start","end"]},"x":` + "\x01",
			want: "event.type=[end, start]"},
		{name: "an array of objects is read whole", fields: []string{"process.args", "host.name"}, first: true,
			line: `{"host":{"name":"h"},"process":[{"args":"b"},{"args":"a"}],"x":` + "\x01",
			want: "host.name=h process.args=[a, b]"},
		{name: "no projection: option ignored", first: true,
			line: `{"host":{"name":"h"}}x`, err: true},
		{name: "valid line decodes as without the option", fields: append([]string{"process.name"}, skimFields...), first: true,
			line: `{"process":{"name":"bash"}}`, want: "process.name=bash"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := NewDecoder(m, DecodeOptions{Dynamic: true, Reuse: true, FirstValuesOnly: c.first, Fields: c.fields})
			for range 2 { // the same again with the decoder's state reused
				doc, err := d.Decode([]byte(c.line))
				if c.err {
					if err == nil {
						t.Fatalf("no error: %v", doc.Fields)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if got := fieldString(doc); got != c.want {
					t.Fatalf("got %s\nwant %s", got, c.want)
				}
			}
		})
	}
}

func fieldString(doc *Document) string {
	var parts []string
	for name, v := range doc.Fields {
		parts = append(parts, name+"="+v.String())
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}
