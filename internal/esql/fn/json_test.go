package fn

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"vigil/internal/doc"
)

func TestJSONExtract(t *testing.T) {
	const spans = `{"spans":[{"name":"auth","duration":12},{"name":"db-query","duration":45}]}`
	const res = `{"resource":{"service.name":"api-gateway", "host.name" : "api-server-03"},"severity":"INFO"}`
	notExist := func(p string) string {
		return "java.lang.IllegalArgumentException: path [" + p + "] does not exist"
	}
	runCalls(t, []callCase{
		{name: "key", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(`{"severity":"ERROR","body":"x"}`), kwOf("severity")}, consts: true, want: "ERROR", checkT: true, wantT: doc.Keyword},
		{name: "dollar", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(`{"severity":"ERROR"}`), kwOf("$.severity")}, want: "ERROR"},
		{name: "nested", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(`{"resource":{"service":{"name":"order-service"}}}`), kwOf("resource.service.name")}, want: "order-service"},
		{name: "dotted key", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(res), kwOf("resource['service.name']")}, want: "api-gateway"},
		{name: "array index", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(spans), kwOf("spans[1].name")}, want: "db-query"},
		{name: "number", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(spans), kwOf("spans[ 0 ]['duration']")}, want: "12"},
		{name: "object compact", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(res), kwOf("resource")}, want: `{"service.name":"api-gateway","host.name":"api-server-03"}`},
		{name: "top array", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(`["a","b","c"]`), kwOf("$[1]")}, want: "b"},
		{name: "bool", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(`{"a":true}`), kwOf("a")}, want: "true"},
		{name: "json null", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(`{"a":null}`), kwOf("a")}, want: "null"},
		{name: "escapes", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(`{"a":"x\"y\u00e9\ud83d\ude00"}`), kwOf("a")}, want: "x\"yé😀"},
		{name: "root", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(` {"a": [1, 2]} `), kwOf("$")}, want: `{"a":[1,2]}`},
		{name: "first duplicate wins", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(`{"a":1,"a":2}`), kwOf("a")}, want: "1"},
		{name: "missing", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(`{"a":1}`), kwOf("b")}, err: notExist("b")},
		{name: "through scalar", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(`{"a":1}`), kwOf("a.b")}, err: notExist("a.b")},
		{name: "out of bounds", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(`[1]`), kwOf("[3]")}, err: "java.lang.IllegalArgumentException: array index out of bounds"},
		{name: "invalid json", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(`{"a":`), kwOf("a")}, err: "java.lang.IllegalArgumentException: invalid JSON input"},
		{name: "empty input", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(` `), kwOf("a")}, err: "java.lang.IllegalArgumentException: invalid JSON input"},
		{name: "null arg", fn: "JSON_EXTRACT", args: []doc.Value{nullV, kwOf("a")}, want: "null"},
		{name: "mv", fn: "JSON_EXTRACT", args: []doc.Value{kwsOf(`{}`, `[]`), kwOf("a")}, err: ErrMultiValue.Error()},
		{name: "bad const path", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(`{}`), kwOf("a[-1]")}, consts: true, resErr: true,
			resErrS: "line 1:3: invalid JSON path [a[-1]]: negative array indices are not supported"},
		{name: "bad row path", fn: "JSON_EXTRACT", args: []doc.Value{kwOf(`{}`), kwOf("a..b")},
			err: "java.lang.IllegalArgumentException: line 1:3: invalid JSON path [a..b]: recursive descent (..) is not supported"},
		{name: "int arg", fn: "JSON_EXTRACT", args: []doc.Value{doc.Int(1), kwOf("a")}, resErr: true},
	})
}

func TestParseJSONPath(t *testing.T) {
	cases := []struct {
		in   string
		segs []jsonSeg
		err  string
	}{
		{in: "a.b", segs: []jsonSeg{{"a", -1}, {"b", -1}}},
		{in: "$['a.b'][2]", segs: []jsonSeg{{"a.b", -1}, {"", 2}}},
		{in: `["x\"y"]`, segs: []jsonSeg{{`x"y`, -1}}},
		{in: "$", segs: nil},
		{in: "[0]", segs: []jsonSeg{{"", 0}}},
		{in: "", err: "line 1:1: invalid JSON path []: path must not be empty"},
		{in: "a.", err: "line 1:3: invalid JSON path [a.]: expected a key"},
		{in: "a[*]", err: "line 1:3: invalid JSON path [a[*]]: wildcards (*) are not supported"},
		{in: "a[0:2]", err: "line 1:4: invalid JSON path [a[0:2]]: array slicing is not supported"},
		{in: "a['b", err: "line 1:3: invalid JSON path [a['b]: unclosed quoted key"},
		{in: ".a", err: "line 1:1: invalid JSON path [.a]: path must not start with '.'"},
	}
	for _, c := range cases {
		jp, err := ParseJSONPath(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if len(jp.segs) != len(c.segs) {
			t.Errorf("%q: segs %v, want %v", c.in, jp.segs, c.segs)
			continue
		}
		for i := range c.segs {
			if jp.segs[i] != c.segs[i] {
				t.Errorf("%q: seg %d = %v, want %v", c.in, i, jp.segs[i], c.segs[i])
			}
		}
	}
}

// Every JSON_EXTRACT path in the shared Elastic rules must parse.
func TestSharedRuleJSONPaths(t *testing.T) {
	files, _ := filepath.Glob("../../../../shared/rules/esql/*.toml")
	if len(files) == 0 {
		t.Skip("shared rules not present")
	}
	call := regexp.MustCompile(`(?i)json_extract\([^,]+,\s*"([^"]*)"\)`)
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(b), -1) {
			n++
			if _, err := ParseJSONPath(m[1]); err != nil {
				t.Errorf("%s: %v", filepath.Base(f), err)
			}
		}
	}
	if n < 15 {
		t.Errorf("found only %d JSON_EXTRACT paths", n)
	}
}

func FuzzJSONExtract(f *testing.F) {
	f.Add(`{"a":{"b":[1,{"c":"d"}]}}`, "a.b[1].c")
	f.Add(`[1,2,"x"]`, "$[2]")
	f.Add(`{"k.k":true}`, "['k.k']")
	f.Add(`{"a":"\u00e9"}`, "a")
	f.Fuzz(func(t *testing.T, js, path string) {
		jp, err := ParseJSONPath(path)
		if err != nil {
			if _, ok := err.(*JSONPathError); !ok {
				t.Fatalf("untyped path error %T", err)
			}
			return
		}
		v, err := jp.Extract(js)
		if err != nil && !v.IsNull() {
			t.Fatalf("error with value %v", v)
		}
	})
}
