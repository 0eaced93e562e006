package engine

import (
	"testing"

	"vigil/internal/doc"
)

func TestIndexOf(t *testing.T) {
	ds := map[string]doc.Value{
		"data_stream.type": doc.KeywordOf("logs"), "data_stream.dataset": doc.KeywordOf("endpoint.events.process"),
		"data_stream.namespace": doc.KeywordOf("default"),
	}
	cases := []struct {
		name     string
		d        doc.Document
		fallback string
		want     string
	}{
		{"hit", doc.Document{Index: ".ds-x-2024.01.01-000001", Fields: ds}, "f", ".ds-x-2024.01.01-000001"},
		{"data stream", doc.Document{Fields: ds}, "f", "logs-endpoint.events.process-default"},
		{"partial data stream", doc.Document{Fields: map[string]doc.Value{"data_stream.type": doc.KeywordOf("logs")}}, "f", "f"},
		{"nothing", doc.Document{}, "", ""},
	}
	for _, c := range cases {
		if got := IndexOf(&c.d, c.fallback); got != c.want {
			t.Errorf("%s: IndexOf = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestDataStreamOf(t *testing.T) {
	cases := map[string]string{
		".ds-logs-endpoint.events.process-default-2022.02.15-000001": "logs-endpoint.events.process-default",
		"logs-endpoint.events.process-default":                       "logs-endpoint.events.process-default",
		".ds-weird":                                                  ".ds-weird",
		".ds-a-2022.13-000001":                                       ".ds-a-2022.13-000001",
	}
	for in, want := range cases {
		if got := DataStreamOf(in); got != want {
			t.Errorf("DataStreamOf(%q) = %q, want %q", in, got, want)
		}
	}
}
