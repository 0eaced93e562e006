package proctree

import (
	"slices"
	"strings"

	"vigil/internal/doc"
)

// Key is what a store indexes a process event by: the identity fields of
// Event, nothing else.
type Key struct {
	Time           int64 // @timestamp, ms since the epoch
	EntityID       string
	ParentEntityID string
	Host           string // host.id, else host.name
}

// keyFields are the fields a Key is read from: Key's, and what Parse reads
// to tell a process event.
var keyFields = []string{"@timestamp", "process.entity_id", "process.parent.entity_id", "host.id", "host.name",
	"event.category", "event.dataset", "data_stream.dataset"}

// KeyFields lists the fields KeyOf reads: a decoder projected to them (at
// least) gives it what it needs.
func KeyFields() []string { return slices.Clone(keyFields) }

// KeyReader reads Keys for a process store's writer, which sees every
// event a server accepts: Parse decodes the whole document into maps with
// encoding/json, KeyReader decodes only KeyFields with a projected
// doc.Decoder (the ingest decoder's scanner, typed by the same mapping), at
// a fraction of the cost. A document it cannot read as Parse would — a
// multi-valued id, host or dataset (the decoder orders values, Parse takes
// the first as written), a non-string id, a non-date @timestamp, or a line
// the mapping rejects — is handed to Parse. Where the two differ, the
// mapping decides: a @timestamp in a format Elasticsearch's date mapping
// accepts but RFC 3339 does not (a date without a zone) has its time, and
// a boolean id reads as the keyword "true". Not safe for concurrent use.
type KeyReader struct{ dec *doc.Decoder }

// NewKeyReader returns a KeyReader typing fields by m (nil: dynamic
// mapping only).
func NewKeyReader(m *doc.Mapping) *KeyReader {
	return &KeyReader{dec: doc.NewDecoder(m, doc.DecodeOptions{Dynamic: true, Fields: keyFields, Reuse: true})}
}

// Read is Parse's verdict and identity fields for a document: ok is false
// when it is not a process event with a process.entity_id. The Key's
// strings are copies, safe to keep.
func (r *KeyReader) Read(src []byte) (Key, bool) {
	k, ok, exact := r.read(src)
	if exact {
		return k, ok
	}
	e, ok := Parse(src)
	return Key{Time: e.Time, EntityID: e.EntityID, ParentEntityID: e.ParentEntityID, Host: e.Host}, ok
}

// read is the projected decode; exact is false when Parse must decide.
func (r *KeyReader) read(src []byte) (k Key, ok, exact bool) {
	d, err := r.dec.Decode(src)
	if err != nil {
		return Key{}, false, false
	}
	return KeyOf(d)
}

// KeyOf is KeyReader's reading of a document decoded (with KeyFields
// projected, by the mapping KeyReader would use) by another decoder — the
// ingest's, so a server reads each line once. exact is false when Parse
// must decide (see KeyReader); the Key's strings are copies.
func KeyOf(d *doc.Document) (k Key, ok, exact bool) {
	id, exact := single(d, "process.entity_id")
	if !exact {
		return Key{}, false, false
	}
	if id == "" {
		return Key{}, false, true
	}
	process := false
	cat := d.Get("event.category")
	for i := range cat.Len() {
		if v := cat.At(i); v.T.IsString() && v.S == "process" {
			process = true
		}
	}
	for _, f := range []string{"event.dataset", "data_stream.dataset"} {
		s, one := single(d, f)
		if !one {
			return Key{}, false, false
		}
		process = process || s == "endpoint.events.process"
	}
	if !process {
		return Key{}, false, true
	}
	parent, one := single(d, "process.parent.entity_id")
	hostID, one2 := single(d, "host.id")
	hostName, one3 := single(d, "host.name")
	if !one || !one2 || !one3 {
		return Key{}, false, false
	}
	switch t := d.Get("@timestamp"); {
	case t.IsNull():
	case t.IsMulti():
		return Key{}, false, false
	case t.T == doc.Date:
		k.Time = t.I
	case t.T == doc.DateNanos: // floor, as time.Time.UnixMilli
		k.Time = t.I / 1e6
		if t.I%1e6 < 0 {
			k.Time--
		}
	default:
		return Key{}, false, false
	}
	k.EntityID, k.ParentEntityID = strings.Clone(id), strings.Clone(parent)
	k.Host = strings.Clone(hostID)
	if k.Host == "" {
		k.Host = strings.Clone(hostName)
	}
	return k, true, true
}

// single is a field's one string value ("" when absent); one is false when
// it has several values or a non-string one.
func single(d *doc.Document, name string) (s string, one bool) {
	v := d.Get(name)
	switch {
	case v.IsNull():
		return "", true
	case v.IsMulti() || !v.T.IsString():
		return "", false
	}
	return v.S, true
}
