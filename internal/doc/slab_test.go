package doc

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// TestKeptValuesShareNothing: values kept from many lines (their strings
// share slabs, see keep) stay intact when the lines are overwritten,
// including strings longer than a slab.
func TestKeptValuesShareNothing(t *testing.T) {
	m := mustMapping(t, `{"properties":{"process":{"properties":{"name":{"type":"keyword"},"args":{"type":"keyword"}}}}}`)
	d := NewDecoder(m, DecodeOptions{ReuseDocument: true, Fields: []string{"process.name", "process.args"}})
	var kept []Value
	var want []string
	for i := range 300 {
		name := strings.Repeat(string(rune('a'+i%26)), 1+i*37%(strSlab+100))
		line := []byte(`{"process":{"name":"` + name + `","args":["` + name + `","x","` + name[:1] + `y"]}}`)
		doc, err := d.Decode(line)
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, doc.Get("process.name"), doc.Get("process.args"))
		args := []string{name, "x", name[:1] + "y"}
		slices.Sort(args)
		want = append(want, name, "["+strings.Join(args, ", ")+"]")
		copy(line, bytes.Repeat([]byte("#"), len(line)))
	}
	for i, v := range kept {
		if v.String() != want[i] {
			t.Fatalf("value %d = %.40s, want %.40s", i, v.String(), want[i])
		}
	}
}
