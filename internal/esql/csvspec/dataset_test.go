package csvspec

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"vigil/internal/doc"
)

// sharedESQL locates ../shared/conformance/esql from this package directory.
func sharedESQL(t testing.TB) string {
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "shared", "conformance", "esql"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("conformance suite not found at %s: %v", dir, err)
	}
	return dir
}

const testMapping = `{"properties": {
  "k": {"type": "keyword"},
  "t": {"type": "text"},
  "d": {"type": "double", "fields": {
     "int": {"type": "integer"}, "kw": {"type": "keyword"}, "f": {"type": "float"},
     "h": {"type": "half_float"}, "s": {"type": "scaled_float", "scaling_factor": 100}}},
  "b": {"type": "boolean"},
  "ts": {"type": "date"},
  "ip": {"type": "ip"},
  "obj": {"properties": {"x": {"type": "long"}}}
}}`

func TestParseData(t *testing.T) {
	m, err := doc.ParseMapping([]byte(testMapping))
	if err != nil {
		t.Fatal(err)
	}
	src := `// comment
k:keyword , t:text, d:double, d.int:integer, d.kw:keyword, b:boolean, ts:date, ip:ip, obj.x:long, extra:long
[b,a,b] , [z, y, z], [1.90,-0.35,1.90], [9,9], [x], [true,false,true], 2023-10-23T13:55:01.543Z, [::1, 127.0.0.1, ::1], 5, 7
 ,,[],,,,0,,[],
x\,y, a\,b, 2.05, , , false, 1700000000000, fe80::1, , 
`
	docs, err := ParseData("t.csv", "idx", []byte(src), m)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 3 {
		t.Fatalf("got %d docs, want 3", len(docs))
	}
	ms := func(s string) int64 { v, _ := parseDateMillis(s); return v }
	cases := []struct {
		doc   int
		field string
		want  string // doc.Value.String(); "null" when absent
		typ   doc.Type
	}{
		{0, "k", "[a, b]", doc.Keyword},           // sorted, de-duplicated
		{0, "t", "[z, y, z]", doc.Text},           // source order
		{0, "d", "[-0.35, 1.9, 1.9]", doc.Double}, // sorted, duplicates kept
		{0, "d.int", "[0, 1, 1]", doc.Integer},    // derived, truncated toward zero
		{0, "d.kw", "[-0.35, 1.90]", doc.Keyword}, // derived from the source text
		{0, "d.f", "[-0.3499999940395355, 1.899999976158142, 1.899999976158142]", doc.Double},
		{0, "b", "[false, true, true]", doc.Boolean}, // sorted, duplicates kept
		{0, "ts", doc.FormatDate(ms("2023-10-23T13:55:01.543Z")), doc.Date},
		{0, "ip", "[::1, 127.0.0.1]", doc.IP}, // byte order: v4-mapped sorts after ::1
		{0, "obj.x", "5", doc.Long},
		{0, "extra", "7", doc.Long}, // unmapped: typed by the schema
		{1, "k", "null", doc.Null},
		{1, "d", "null", doc.Null},
		{1, "d.int", "null", doc.Null},
		{1, "ts", "1970-01-01T00:00:00.000Z", doc.Date},
		{2, "k", "x,y", doc.Keyword},
		{2, "t", "a,b", doc.Text},
		{2, "d.h", "2.05078125", doc.Double},
		{2, "d.s", "2.05", doc.Double},
		{2, "d.f", "2.049999952316284", doc.Double},
		{2, "b", "false", doc.Boolean},
		{2, "ts", "2023-11-14T22:13:20.000Z", doc.Date},
		{2, "ip", "fe80::1", doc.IP},
	}
	for _, c := range cases {
		v := docs[c.doc].Get(c.field)
		if v.String() != c.want || v.T != c.typ {
			t.Errorf("doc %d %s = %s (%v), want %s (%v)", c.doc, c.field, v.String(), v.T, c.want, c.typ)
		}
	}
	if docs[0].Index != "idx" || docs[0].Version != 1 {
		t.Errorf("metadata: index %q version %d", docs[0].Index, docs[0].Version)
	}
}

func TestParseDataErrors(t *testing.T) {
	m, _ := doc.ParseMapping([]byte(testMapping))
	cases := []struct{ name, src, want string }{
		{"no schema", "// nothing\n", "t.csv:1:1: no schema line"},
		{"schema without type", "k:keyword,b\n", "t.csv:1:1: a type is always expected in the schema definition; found [b]"},
		{"wrong width", "k:keyword,b:boolean\nx\n", "t.csv:2:1: incorrect number of entries; expected [2] but found [1]"},
		{"bad boolean", "k:keyword,b:boolean\nx, yes\n", "t.csv:2:1: column [b] value [yes]: cannot parse [yes] as boolean"},
		{"open multi", "k:keyword,b:boolean\n  [x, y\n", "t.csv:2:3: multi-value starting at column 1 has no closing ']'"},
		{"unknown type", "z:blob\n", "t.csv:1:1: unknown type [blob] for column [z]"},
		{"bad date", "ts:date\nyesterday\n", "t.csv:2:1: column [ts] value [yesterday]: cannot parse date [yesterday]"},
	}
	for _, c := range cases {
		_, err := ParseData("t.csv", "i", []byte(c.src), m)
		var se *SpecError
		if !errors.As(err, &se) || err.Error() != c.want {
			t.Errorf("%s: got %v, want %s", c.name, err, c.want)
		}
	}
}

func TestHalfFloatAndScaled(t *testing.T) {
	cases := []struct {
		in   float32
		want float64
	}{
		{2.05, 2.05078125}, {1.63, 1.6298828125}, {1.7, 1.7001953125}, {0, 0},
		{-1.7, -1.7001953125}, {65504, 65504}, {70000, posInf()}, {1e-8, 0}, {6e-8, 5.960464477539063e-08},
	}
	for _, c := range cases {
		if got := halfFloat(c.in); got != c.want {
			t.Errorf("halfFloat(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	if got := scaledFloat(1.63, 100); got != 1.63 {
		t.Errorf("scaledFloat(1.63) = %v", got)
	}
	if got := scaledFloat(-0.125, 100); got != -0.12 { // Java Math.round: half up
		t.Errorf("scaledFloat(-0.125) = %v", got)
	}
}

// TestEmployees checks the shared employees data set against values the
// spec files' expected tables show.
func TestEmployees(t *testing.T) {
	lib, err := LoadLibrary(sharedESQL(t))
	if err != nil {
		t.Fatal(err)
	}
	ds, ok := lib.Dataset("employees")
	if !ok || len(ds.Docs) != 100 {
		t.Fatalf("employees: ok=%v", ok)
	}
	byEmp := map[int64]*doc.Document{}
	for _, d := range ds.Docs {
		byEmp[d.Get("emp_no").I] = d
	}
	cases := []struct {
		emp         int64
		field, want string
	}{
		{10001, "job_positions", "[Accountant, Senior Python Developer]"},
		{10001, "is_rehired", "[false, true]"},
		{10002, "is_rehired", "[false, false]"},
		{10003, "job_positions", "null"},
		{10005, "height.float", "2.049999952316284"},
		{10005, "height.half_float", "2.05078125"},
		{10005, "height.scaled_float", "2.05"},
		{10005, "salary_change.int", "[-2, 13]"},
		{10029, "salary_change.keyword", "[-0.32, -1.90, -8.19]"},
		{10029, "salary_change.long", "[-8, -1, 0]"},
		{10029, "languages", "null"},
		{10029, "languages.long", "null"},
		{10030, "first_name", "null"},
		{10033, "height.float", "1.6299999952316284"},
		{10033, "height.half_float", "1.6298828125"},
		{10010, "languages.byte", "4"},
		{10040, "birth_date", "null"},
		{10001, "hire_date", "1986-06-26T00:00:00.000Z"},
	}
	for _, c := range cases {
		d := byEmp[c.emp]
		if d == nil {
			t.Fatalf("no employee %d", c.emp)
		}
		if got := d.Get(c.field).String(); got != c.want {
			t.Errorf("%d %s = %s, want %s", c.emp, c.field, got, c.want)
		}
	}
	if f, _ := ds.Mapping.Lookup("languages.long"); f == nil || f.Parent != "languages" || f.Type != doc.Long {
		t.Errorf("languages.long mapping: %+v", f)
	}
	hosts, _ := lib.Dataset("hosts")
	if got := hosts.Docs[4].Get("description").String(); got != "[beta k8s server, beta k8s server2]" {
		t.Errorf("hosts description = %s", got)
	}
	if got := hosts.Docs[7].Get("ip0").String(); got != "[fe80::cae2:65ff:fece:feb9, fe80::cae2:65ff:fece:fec0, fe80::cae2:65ff:fece:fec1]" {
		t.Errorf("hosts ip0 = %s", got)
	}
}

func FuzzParseData(f *testing.F) {
	m, err := doc.ParseMapping([]byte(testMapping))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("k:keyword,d:double\n[a,b],[1,2]\n,\n")
	f.Add("k:keyword,t:text,d:double,ts:date,ip:ip,b:boolean\nx\\,y,[a\\,b, c],1.5,0,::1,true\n")
	f.Add("ts:date\n2023-10-23T13:55:01Z\n[]\n")
	f.Fuzz(func(t *testing.T, src string) {
		docs, err := ParseData("fuzz.csv", "i", []byte(src), m)
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) || se.Line < 1 || se.Col < 1 {
				t.Fatalf("error without position: %v", err)
			}
			return
		}
		for _, d := range docs {
			for name, v := range d.Fields {
				if v.IsNull() {
					t.Fatalf("field %s stored as null", name)
				}
				if v.M != nil && len(v.M) < 2 {
					t.Fatalf("field %s: multi-value with %d elements", name, len(v.M))
				}
			}
		}
	})
}

func posInf() float64 { return math.Inf(1) }
