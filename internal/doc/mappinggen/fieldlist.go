package main

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"vigil/internal/doc"
)

// A field list (fields/*.txt) is the committed, compact extract of the
// fields.yml files of Fleet integration packages: per data stream, every
// field's dotted name and mapping type, nothing else. One directive or
// field per line; blank lines and lines starting with # are ignored.
//
//	@source REPO@COMMIT PATH   where the following lines were read (recorded in the output)
//	@stream NAME...            the data streams (without namespace) the following fields belong to
//	@prefix PREFIX             prepended to the following field names (none when omitted)
//	NAME TYPE [OPTION...]      a field; options: ia=N (ignore_above), sf=N (scaling_factor),
//	                           norm=NAME (normalizer), mf=SUB:TYPE (a multi-field, repeatable)
//
// A NAME containing `*` is a dynamic template, as Fleet installs for
// `name: "x.*"` object fields (object_type) and wildcard groups: fields
// whose path matches get TYPE when a document brings them. TYPE nested
// makes NAME a nested object (ES|QL cannot read the fields under it).
// "NAME.* dynamic" marks an object the integration's ingest pipeline fills
// with the source record's own keys, typed by the dynamic templates
// (doc.Mapping.DynamicObjects); the line's comment says why.
type fieldList struct {
	streams map[string]*doc.Mapping
	sources map[string][]string // stream → @source lines that fed it
}

func parseFieldList(file string, data []byte, into *fieldList) error {
	var streams []string
	var prefix, source string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		words := strings.Fields(line)
		where := fmt.Sprintf("%s:%d", file, n)
		switch words[0] {
		case "@source":
			source = strings.Join(words[1:], " ")
			continue
		case "@stream":
			streams = words[1:]
			continue
		case "@prefix":
			prefix = ""
			if len(words) > 1 {
				prefix = words[1]
			}
			continue
		}
		if len(streams) == 0 || source == "" {
			return fmt.Errorf("%s: a field before @source and @stream", where)
		}
		if len(words) < 2 {
			return fmt.Errorf("%s: want NAME TYPE [OPTION...]", where)
		}
		f, multi, err := listField(prefix+words[0], words[1], words[2:])
		if err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
		for _, s := range streams {
			m := into.streams[s]
			if m == nil {
				m = doc.NewMapping()
				into.streams[s] = m
			}
			if !slices.Contains(into.sources[s], source) {
				into.sources[s] = append(into.sources[s], source)
			}
			addListField(m, f, multi)
		}
	}
	return sc.Err()
}

func listField(name, typ string, opts []string) (doc.Field, []doc.Field, error) {
	f := doc.Field{Name: name, ESType: typ, Type: doc.ESTypeOf(typ)}
	switch typ {
	case "keyword", "flattened":
		f.IgnoreAbove = 1024 // Fleet's default for keyword fields
	case "scaled_float":
		f.Scaling = 1000
	}
	var multi []doc.Field
	for _, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			return f, nil, fmt.Errorf("option %q: want KEY=VALUE", o)
		}
		switch k {
		case "ia":
			n, err := strconv.Atoi(v)
			if err != nil {
				return f, nil, fmt.Errorf("option %q: %v", o, err)
			}
			f.IgnoreAbove = n
		case "sf":
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return f, nil, fmt.Errorf("option %q: %v", o, err)
			}
			f.Scaling = x
		case "norm":
			f.Normalizer = v
		case "mf":
			sub, st, ok := strings.Cut(v, ":")
			if !ok {
				return f, nil, fmt.Errorf("option %q: want mf=SUB:TYPE", o)
			}
			multi = append(multi, doc.Field{Name: sub, ESType: st, Type: doc.ESTypeOf(st)})
		default:
			return f, nil, fmt.Errorf("unknown option %q", o)
		}
	}
	return f, multi, nil
}

// addListField adds a field, a nested object or a dynamic template.
func addListField(m *doc.Mapping, f doc.Field, multi []doc.Field) {
	switch {
	case f.ESType == "dynamic":
		if o := strings.TrimSuffix(f.Name, ".*"); !slices.Contains(m.DynamicObjects, o) {
			m.DynamicObjects = append(m.DynamicObjects, o)
		}
	case f.ESType == "nested" || f.ESType == "object":
		m.AddObject(doc.Object{Name: f.Name, Nested: f.ESType == "nested"})
	case strings.Contains(f.Name, "*"):
		t := doc.DynamicTemplate{Name: f.Name, PathMatch: []string{f.Name}, Field: f, Multi: multi}
		t.Field.Name = ""
		for i, ex := range m.Templates {
			if ex.Name == t.Name {
				m.Templates[i] = t
				return
			}
		}
		m.Templates = append(m.Templates, t) // in field order, as Fleet installs them
	default:
		m.Add(f)
		for _, mf := range multi {
			mf.Name, mf.Parent = f.Name+"."+mf.Name, f.Name
			m.Add(mf)
		}
	}
}
