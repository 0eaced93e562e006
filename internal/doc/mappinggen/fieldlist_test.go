package main

import (
	"strings"
	"testing"

	"vigil/internal/doc"
)

func TestParseFieldList(t *testing.T) {
	list := `# comment
@source repo@abc path/fields.yml
@stream logs-a.x logs-a.y
@prefix a.
name keyword
count long
msg keyword ia=8191 mf=text:text
obj.* keyword
items nested
items.id keyword
props.* dynamic
@stream logs-a.y
@prefix
top.level ip
`
	fl := &fieldList{streams: map[string]*doc.Mapping{}, sources: map[string][]string{}}
	if err := parseFieldList("t.txt", []byte(list), fl); err != nil {
		t.Fatal(err)
	}
	x, y := fl.streams["logs-a.x"], fl.streams["logs-a.y"]
	if x == nil || y == nil || len(fl.sources["logs-a.x"]) != 1 {
		t.Fatalf("streams %v, sources %v", fl.streams, fl.sources)
	}
	if f, ok := x.Lookup("a.msg"); !ok || f.IgnoreAbove != 8191 || f.Type != doc.Keyword {
		t.Errorf("a.msg = %+v", f)
	}
	if f, ok := x.Lookup("a.msg.text"); !ok || f.Parent != "a.msg" || f.Type != doc.Text {
		t.Errorf("a.msg.text = %+v", f)
	}
	if f, ok := x.Lookup("a.name"); !ok || f.IgnoreAbove != 1024 {
		t.Errorf("a.name = %+v (keyword fields get Fleet's ignore_above 1024)", f)
	}
	if len(x.Templates) != 1 || x.Templates[0].PathMatch[0] != "a.obj.*" {
		t.Errorf("templates %+v", x.Templates)
	}
	if o, ok := x.LookupObject("a.items"); !ok || !o.Nested {
		t.Errorf("a.items = %+v", o)
	}
	if len(x.DynamicObjects) != 1 || x.DynamicObjects[0] != "a.props" {
		t.Errorf("dynamic objects %v", x.DynamicObjects)
	}
	if _, ok := x.Lookup("top.level"); ok {
		t.Error("top.level leaked into logs-a.x")
	}
	if f, ok := y.Lookup("top.level"); !ok || f.Type != doc.IP {
		t.Errorf("top.level = %+v", f)
	}
	for _, bad := range []string{
		"name keyword\n",                               // before @source/@stream
		"@source s\n@stream x\nname\n",                 // no type
		"@source s\n@stream x\nname keyword ia\n",      // option without =
		"@source s\n@stream x\nname keyword ia=x\n",    // bad number
		"@source s\n@stream x\nname keyword what=1\n",  // unknown option
		"@source s\n@stream x\nname keyword mf=text\n", // mf without type
	} {
		fl := &fieldList{streams: map[string]*doc.Mapping{}, sources: map[string][]string{}}
		if err := parseFieldList("bad.txt", []byte(bad), fl); err == nil || !strings.HasPrefix(err.Error(), "bad.txt:") {
			t.Errorf("%q: err = %v, want a bad.txt:N error", bad, err)
		}
	}
}
