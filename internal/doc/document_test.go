package doc

import (
	"regexp"
	"testing"
)

// AutoID: Elasticsearch's id shape, a function of the line's bytes only;
// a decoder asked for it fills only documents without an _id, in every
// decoding mode.
func TestAutoID(t *testing.T) {
	a, b := []byte(`{"process":{"name":"sh"}}`), []byte(`{"process":{"name":"sh"} }`)
	if AutoID(a) != AutoID(append([]byte(nil), a...)) || AutoID(a) == AutoID(b) {
		t.Errorf("AutoID is not a function of the bytes: %s %s", AutoID(a), AutoID(b))
	}
	if id := AutoID(a); !regexp.MustCompile(`^[A-Za-z0-9_-]{20}$`).MatchString(id) {
		t.Errorf("AutoID %q is not 20 URL-safe base64 characters", id)
	}
	hit := []byte(`{"_index":"logs-a","_id":"given","_source":{"process":{"name":"sh"}}}`)
	bareHit := []byte(`{"_index":"logs-a","_source":{"process":{"name":"sh"}}}`)
	for name, opts := range map[string]DecodeOptions{
		"fresh":          {AutoID: true},
		"reuse":          {AutoID: true, Reuse: true},
		"reuse document": {AutoID: true, ReuseDocument: true},
		"layout":         {AutoID: true, Reuse: true, Layout: NewLayout([]string{"process.name"})},
	} {
		dec := NewDecoder(NewMapping(), opts)
		for _, tc := range []struct {
			line []byte
			want string
		}{{a, AutoID(a)}, {hit, "given"}, {bareHit, AutoID(bareHit)}, {a, AutoID(a)}} {
			d, err := dec.Decode(tc.line)
			if err != nil || d.ID != tc.want {
				t.Errorf("%s: %s: id %q (%v), want %q", name, tc.line, d.ID, err, tc.want)
			}
		}
	}
	if d, _ := NewDecoder(NewMapping(), DecodeOptions{}).Decode(a); d.ID != "" {
		t.Errorf("without AutoID: id %q", d.ID)
	}
}
