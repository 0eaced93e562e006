package esql

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
)

// sourceLines are bare ECS lines and search-hit lines (whose _source is the
// document), with spacing kept as written: _source is the original text.
var sourceLines = []string{
	`{"@timestamp":"2024-01-01T00:00:00Z","name":"alice","sip":{"method":"REGISTER","code":401}}`,
	`{"_index":"logs-a","_id":"h1","_source": {"name": "bob", "sip.method":"INVITE", "arr":[{"y":"z"},{"y":"w"}]} }`,
	`{"name":"carol"}`,
	`{"_index":"logs-b","_id":"h2"}`,
}

// decodeAll yields lines decoded by a decoder with opts, lazily, so a
// Reuse decoder's documents are consumed before the next line.
func decodeAll(t *testing.T, lines []string, opts doc.DecodeOptions) func(func(*doc.Document) bool) {
	dec := doc.NewDecoder(testMapping(), opts)
	return func(yield func(*doc.Document) bool) {
		for _, l := range lines {
			d, err := dec.Decode([]byte(l))
			if err != nil {
				t.Fatalf("decode %s: %v", l, err)
			}
			if !yield(d) {
				return
			}
		}
	}
}

func TestMetadataSource(t *testing.T) {
	cases := []struct {
		name, q string
		want    []string
	}{
		{"keep", `FROM logs-* METADATA _source | KEEP _source`, []string{
			"_source:_source",
			`{"@timestamp":"2024-01-01T00:00:00Z","name":"alice","sip":{"method":"REGISTER","code":401}}`,
			`{"name": "bob", "sip.method":"INVITE", "arr":[{"y":"z"},{"y":"w"}]}`,
			`{"name":"carol"}`,
			"null",
		}},
		{"dotted_key", `FROM logs-* METADATA _source | EVAL m = JSON_EXTRACT(_source, "['sip.method']") | WHERE m IS NOT NULL | KEEP m`, []string{
			"m:keyword",
			"INVITE",
		}},
		{"json_extract", `FROM logs-* METADATA _source | EVAL m = JSON_EXTRACT(_source, "sip.method"), x = JSON_EXTRACT(_source, "$.arr[0].y") | KEEP name, m, x`, []string{
			"name:keyword|m:keyword|x:keyword",
			"alice|REGISTER|null",
			"bob|null|z", // a dotted key is one key to the path: ['sip.method']
			"carol|null|null",
			"null|null|null",
		}},
		{"nested_path", `FROM logs-* METADATA _source | EVAL m = JSON_EXTRACT(_source, "sip.code") | WHERE m IS NOT NULL | KEEP m`, []string{
			"m:keyword",
			"401",
		}},
		{"filter_and_stats", `FROM logs-* METADATA _source | EVAL m = COALESCE(JSON_EXTRACT(_source, "sip.method"), "none") | STATS c = COUNT(*) BY m | SORT m`, []string{
			"c:long|m:keyword",
			"1|REGISTER",
			"3|none",
		}},
		{"group_by", `FROM logs-* METADATA _source | EVAL k = CASE(name == "alice", "a", "b") | STATS c = COUNT(*) BY _source, k | SORT c, k | KEEP c, k`, []string{
			"c:long|k:keyword",
			"1|a",
			"1|b",
			"1|b",
			"1|b",
		}},
		{"sort", `FROM logs-* METADATA _source | SORT _source DESC NULLS LAST | KEEP name`, []string{
			"name:keyword",
			"carol", // byte order: ':"' after ': '
			"bob",
			"alice",
			"null",
		}},
	}
	projected := doc.NewLayout([]string{"name"})
	decoders := map[string]doc.DecodeOptions{
		"full":       {Dynamic: true, Source: true},
		"projecting": {Dynamic: true, Layout: projected, Reuse: true, Source: true},
		"whole":      {Dynamic: true, Layout: projected, Whole: true, ReuseDocument: true, Source: true},
	}
	for _, c := range cases {
		for dname, opts := range decoders {
			t.Run(c.name+"/"+dname, func(t *testing.T) {
				r, err := Run(c.q, testCatalog{testMapping()}, decodeAll(t, sourceLines, opts), Options{Now: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)})
				if err != nil {
					t.Fatal(err)
				}
				if got := render(r); !slices.Equal(got, c.want) {
					t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
				}
			})
		}
	}
}

// A _source column is written as the JSON object, not as a string.
func TestMetadataSourceJSON(t *testing.T) {
	r, err := Run(`FROM logs-* METADATA _source | KEEP _source | LIMIT 1`, testCatalog{testMapping()}, decodeAll(t, sourceLines[1:2], doc.DecodeOptions{Source: true}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r.Rows[0][0].JSON())
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"name":"bob","sip.method":"INVITE","arr":[{"y":"z"},{"y":"w"}]}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

func TestMetadataSourceTypes(t *testing.T) {
	cases := []struct{ q, err string }{
		{`FROM logs-* METADATA _source | EVAL x = TO_UPPER(_source)`, "_source"},
		{`FROM logs-* METADATA _source | EVAL x = JSON_EXTRACT(_source, "a")`, ""},
		{`FROM logs-* METADATA _ignored`, "1:22: METADATA [_ignored] is not supported yet"},
		{`FROM logs-* METADATA _nosuch`, "unsupported metadata field [_nosuch]"},
	}
	for _, c := range cases {
		_, err := Compile(c.q, testCatalog{testMapping()}, Options{})
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.q, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: got %v, want an error naming %q", c.q, err, c.err)
		}
	}
}
