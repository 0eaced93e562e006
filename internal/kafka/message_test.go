package kafka

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestDecodeMessage(t *testing.T) {
	cases := []struct {
		name, value, index string
		max                int
		wantRaw            string // "" = the value unchanged
		wantIndex, wantID  string
		wantErr            string
		oversized          bool
	}{
		{name: "ECS document", value: `{"@timestamp":"2026-11-20T09:00:00Z","agent":{"id":"a"}}`},
		{name: "leading space", value: "  {\"a\":1}\n", wantRaw: `{"a":1}`},
		{name: "topic index", value: `{"a":1}`, index: "logs-x-default", wantIndex: "logs-x-default"},
		{name: "beats envelope", value: `{"@metadata":{"beat":"filebeat","type":"_doc","version":"8.19.0","_id":"abc","raw_index":"logs-y-default"},"a":1}`,
			wantRaw: `{"a":1}`, wantIndex: "logs-y-default", wantID: "abc"},
		{name: "envelope, topic index wins", value: `{"@metadata":{"raw_index":"logs-y-default"},"a":1}`, index: "logs-x-default",
			wantRaw: `{"a":1}`, wantIndex: "logs-x-default"},
		{name: "metadata not an object", value: `{"@metadata":3,"a":1}`, wantRaw: `{"a":1}`},
		{name: "metadata only in a value", value: `{"msg":"\"@metadata\" is a field"}`},
		{name: "not JSON", value: "hello", wantErr: "not a JSON object"},
		{name: "array", value: `[1,2]`, wantErr: "not a JSON object"},
		{name: "empty", value: "", wantErr: "not a JSON object"},
		{name: "broken envelope", value: `{"@metadata":{"_id":"x"`, wantErr: "unexpected end"},
		{name: "oversized", value: `{"a":"` + strings.Repeat("x", 100) + `"}`, max: 50, wantErr: "max_message_bytes", oversized: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			max := c.max
			if max == 0 {
				max = 1 << 20
			}
			m, err := decodeMessage([]byte(c.value), c.index, max)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
				if errors.Is(err, errOversized) != c.oversized {
					t.Errorf("oversized: %v, want %v", errors.Is(err, errOversized), c.oversized)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := c.wantRaw
			if want == "" {
				want = strings.TrimSpace(c.value)
			}
			if string(m.raw) != want || m.index != c.wantIndex || m.id != c.wantID {
				t.Errorf("got raw %s index %q id %q, want %s %q %q", m.raw, m.index, m.id, want, c.wantIndex, c.wantID)
			}
		})
	}
}

// FuzzDecodeMessage: any message is decoded or refused, never panics, and
// what is decoded is a JSON object without the envelope's @metadata.
func FuzzDecodeMessage(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"@metadata":{"_id":"x"},"a":1}`, `not json`, `{"@metadata":null}`, ``, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMessage(b, "", 1<<16)
		if err != nil {
			return
		}
		if len(m.raw) == 0 || m.raw[0] != '{' {
			t.Fatalf("decoded %q is not an object", m.raw)
		}
		if m.id != "" || m.index != "" { // came through the envelope: it is gone
			var top map[string]json.RawMessage
			if json.Unmarshal(m.raw, &top) != nil {
				t.Fatalf("re-encoded envelope %q is not JSON", m.raw)
			}
			if _, ok := top["@metadata"]; ok {
				t.Fatalf("@metadata kept in %q", m.raw)
			}
		}
	})
}
