package kafka

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Why a message went to the dead-letter topic (the vigil-reason header and
// the vigil_kafka_dead_letters_total label).
const (
	reasonOversized = "oversized"
	reasonMalformed = "malformed"
)

var errOversized = errors.New("message over kafka.max_message_bytes")

// message is one event read from a record: the ECS document's JSON, the
// index the configuration or a Beats envelope names ("" = its data_stream.*
// fields decide) and its id ("" = derived from the line when a rule reads
// it, as for _bulk).
type message struct {
	raw       []byte
	index, id string
}

// beatsMeta is what Vigil reads of a Beats / Elastic Agent envelope's
// @metadata: the document id its Elasticsearch output would use, and the
// index it would write to (raw_index; Fleet's data streams come from the
// event's own data_stream.* fields).
type beatsMeta struct {
	ID       string `json:"_id"`
	RawIndex string `json:"raw_index"`
}

// decodeMessage reads one record's value: an ECS document, or the same
// wrapped by a shipper's Kafka output in an envelope with "@metadata"
// (Beats' json codec), which is removed. index is the topic's configured
// index ("" = none). Messages over max bytes are refused unread.
func decodeMessage(value []byte, index string, max int) (message, error) {
	if len(value) > max {
		return message{}, fmt.Errorf("%w (%d > %d bytes)", errOversized, len(value), max)
	}
	v := bytes.TrimSpace(value)
	if len(v) == 0 || v[0] != '{' {
		return message{}, errors.New("not a JSON object")
	}
	m := message{raw: v, index: index}
	if !bytes.Contains(v, []byte(`"@metadata"`)) {
		return m, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(v, &top); err != nil {
		return message{}, err
	}
	metaRaw, ok := top["@metadata"]
	if !ok {
		return m, nil // the string occurs inside a value
	}
	var meta beatsMeta
	json.Unmarshal(metaRaw, &meta) // a @metadata that is no object names nothing
	delete(top, "@metadata")
	raw, err := json.Marshal(top)
	if err != nil {
		return message{}, err
	}
	m.raw, m.id = raw, meta.ID
	if m.index == "" {
		m.index = meta.RawIndex
	}
	return m, nil
}
