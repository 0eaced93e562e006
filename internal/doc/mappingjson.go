package doc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// esTypes maps Elasticsearch mapping types to the ES|QL type their values
// read as. Anything absent (flattened, binary, geo_shape, histogram…) is
// Unsupported: ES|QL lists such fields but reads them as null.
var esTypes = map[string]Type{
	"keyword": Keyword, "wildcard": Keyword, "constant_keyword": Keyword,
	"text": Text, "match_only_text": Text,
	"long": Long, "integer": Integer, "short": Integer, "byte": Integer,
	"double": Double, "float": Double, "half_float": Double, "scaled_float": Double,
	"unsigned_long": UnsignedLong,
	"date":          Date, "date_nanos": DateNanos,
	"boolean": Boolean, "ip": IP, "version": Version,
	"geo_point": GeoPoint, "point": CartesianPoint,
}

// ESTypeOf returns the ES|QL type of an Elasticsearch mapping type.
func ESTypeOf(esType string) Type {
	if t, ok := esTypes[esType]; ok {
		return t
	}
	return Unsupported
}

// ParseMapping reads Elasticsearch mapping JSON in any of the shapes the APIs
// use: {"properties":…}, {"mappings":{"properties":…}} and a get-mapping
// response {"idx":{"mappings":…}, …} (several indices are merged). Mapping
// JSON is read once per index, so encoding/json is fine here.
func ParseMapping(data []byte) (*Mapping, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, jsonPosError(data, err)
	}
	if dec.More() {
		off := int(dec.InputOffset())
		line, col := lineCol(data, off)
		return nil, fmt.Errorf("mapping %d:%d: trailing data after the mapping object", line, col)
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, errors.New("mapping 1:1: expected a JSON object")
	}
	if _, ok := obj["properties"]; ok {
		return parseMappingsObject(obj, "")
	}
	if mm, ok := obj["mappings"]; ok {
		mo, ok := mm.(map[string]any)
		if !ok {
			return nil, errors.New("mapping: [mappings] must be an object")
		}
		return parseMappingsObject(mo, "")
	}
	// A get-mapping response: index name → {"mappings": …}.
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	var out *Mapping
	for _, idx := range names {
		io, ok := obj[idx].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("mapping: [%s] must be an object", idx)
		}
		mm, ok := io["mappings"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("mapping: [%s] has no [mappings] object", idx)
		}
		m, err := parseMappingsObject(mm, idx+": ")
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = m
		} else {
			out.Merge(m)
		}
	}
	if out == nil {
		out = NewMapping()
	}
	return out, nil
}

// jsonPosError adds line:col to an encoding/json error.
func jsonPosError(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := -1
	switch {
	case errors.As(err, &se):
		off = int(se.Offset)
	case errors.As(err, &te):
		off = int(te.Offset)
	}
	if off < 0 {
		return fmt.Errorf("mapping 1:1: %v", err)
	}
	line, col := lineCol(data, off)
	return fmt.Errorf("mapping %d:%d: %v", line, col, err)
}

func lineCol(data []byte, off int) (int, int) {
	if off > len(data) {
		off = len(data)
	}
	line, col := 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

func parseMappingsObject(mo map[string]any, where string) (*Mapping, error) {
	m := NewMapping()
	if _, ok := mo["properties"]; !ok {
		// Pre-7.0 responses wrap the mapping in its type name ("_doc").
		if typed, ok := mo["_doc"].(map[string]any); ok {
			mo = typed
		}
	}
	if p, ok := mo["properties"]; ok {
		props, ok := p.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("mapping: %s[properties] must be an object", where)
		}
		if err := m.walkProperties(props, "", false, where); err != nil {
			return nil, err
		}
	}
	if err := m.resolveAliases(); err != nil {
		return nil, fmt.Errorf("mapping: %s%v", where, err)
	}
	if meta, ok := mo["_meta"].(map[string]any); ok {
		objs, err := stringOrList(meta["vigil_dynamic_objects"])
		if err != nil {
			return nil, fmt.Errorf("mapping: %s[_meta.vigil_dynamic_objects] %v", where, err)
		}
		m.DynamicObjects = objs
	}
	if dd, ok := mo["date_detection"].(bool); ok && !dd {
		m.NoDateDetection = true
	}
	if raw, ok := mo["dynamic_templates"]; ok {
		ts, err := parseDynamicTemplates(raw, where)
		if err != nil {
			return nil, err
		}
		m.Templates = ts
	}
	return m, nil
}

// parseDynamicTemplates reads [{"name": {"path_match": …, "mapping": {…}}}, …].
func parseDynamicTemplates(raw any, where string) ([]DynamicTemplate, error) {
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("mapping: %s[dynamic_templates] must be an array", where)
	}
	var out []DynamicTemplate
	for _, item := range list {
		named, ok := item.(map[string]any)
		if !ok || len(named) != 1 {
			return nil, fmt.Errorf("mapping: %seach dynamic template must be an object with one name", where)
		}
		for name, body := range named {
			def, ok := body.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("mapping: %sdynamic template [%s] must be an object", where, name)
			}
			t := DynamicTemplate{Name: name}
			for key, dst := range map[string]*[]string{"match": &t.Match, "unmatch": &t.Unmatch, "path_match": &t.PathMatch,
				"path_unmatch": &t.PathUnmatch, "match_mapping_type": &t.MatchType, "unmatch_mapping_type": &t.UnmatchType} {
				v, err := stringOrList(def[key])
				if err != nil {
					return nil, fmt.Errorf("mapping: %sdynamic template [%s]: [%s] %v", where, name, key, err)
				}
				*dst = v
			}
			if mp, _ := def["match_pattern"].(string); mp == "regex" {
				// Regex templates are rare in index templates; they are kept
				// out rather than matched as simple wildcards.
				continue
			}
			mdef, ok := def["mapping"].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("mapping: %sdynamic template [%s] has no [mapping] object", where, name)
			}
			typ, _ := mdef["type"].(string)
			if typ == "" || typ == "object" || typ == "nested" {
				continue // templates for objects add no leaf field
			}
			f, err := leafField("", typ, mdef, false, where)
			if err != nil {
				return nil, err
			}
			t.Field = f
			if subs, ok := mdef["fields"].(map[string]any); ok {
				for sn, sraw := range subs {
					sdef, _ := sraw.(map[string]any)
					st, _ := sdef["type"].(string)
					sf, err := leafField(sn, st, sdef, false, where)
					if err != nil {
						return nil, err
					}
					t.Multi = append(t.Multi, sf)
				}
				sort.Slice(t.Multi, func(i, j int) bool { return t.Multi[i].Name < t.Multi[j].Name })
			}
			out = append(out, t)
		}
	}
	return out, nil
}

func stringOrList(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{x}, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, errors.New("must be a string or an array of strings")
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, errors.New("must be a string or an array of strings")
}

func (m *Mapping) walkProperties(props map[string]any, prefix string, nested bool, where string) error {
	for name, raw := range props {
		full := prefix + name
		def, ok := raw.(map[string]any)
		if !ok {
			return fmt.Errorf("mapping: %sfield [%s] must be an object", where, full)
		}
		typ, _ := def["type"].(string)
		if typ == "" {
			if _, has := def["properties"]; has {
				typ = "object"
			} else if _, has := def["type"]; has {
				return fmt.Errorf("mapping: %sfield [%s]: [type] must be a string", where, full)
			} else {
				typ = "object" // an empty object mapping
			}
		}
		switch typ {
		case "object", "nested":
			o := Object{Name: full, Nested: typ == "nested"}
			if e, ok := def["enabled"].(bool); ok && !e {
				o.Disabled = true
			}
			m.AddObject(o)
			if p, ok := def["properties"]; ok && !o.Disabled {
				sub, ok := p.(map[string]any)
				if !ok {
					return fmt.Errorf("mapping: %sfield [%s]: [properties] must be an object", where, full)
				}
				if err := m.walkProperties(sub, full+".", nested || o.Nested, where); err != nil {
					return err
				}
			}
			continue
		}
		f, err := leafField(full, typ, def, nested, where)
		if err != nil {
			return err
		}
		m.Add(f)
		if fs, ok := def["fields"]; ok && typ != "alias" {
			subs, ok := fs.(map[string]any)
			if !ok {
				return fmt.Errorf("mapping: %sfield [%s]: [fields] must be an object", where, full)
			}
			for sn, sraw := range subs {
				sdef, ok := sraw.(map[string]any)
				if !ok {
					return fmt.Errorf("mapping: %smulti-field [%s.%s] must be an object", where, full, sn)
				}
				st, _ := sdef["type"].(string)
				if st == "" || st == "object" || st == "nested" || st == "alias" {
					return fmt.Errorf("mapping: %smulti-field [%s.%s] has invalid type [%s]", where, full, sn, st)
				}
				sf, err := leafField(full+"."+sn, st, sdef, nested, where)
				if err != nil {
					return err
				}
				sf.Parent = full
				m.Add(sf)
			}
		}
	}
	return nil
}

func leafField(full, typ string, def map[string]any, nested bool, where string) (Field, error) {
	f := Field{Name: full, ESType: typ, Type: ESTypeOf(typ), Nested: nested}
	if nested {
		f.Type = Unsupported
	}
	if v, ok := def["ignore_above"]; ok {
		n, err := jsonInt(v)
		if err != nil || n < 0 {
			return f, fmt.Errorf("mapping: %sfield [%s]: bad ignore_above %v", where, full, v)
		}
		f.IgnoreAbove = n
	}
	if v, ok := def["scaling_factor"]; ok {
		n, ok := v.(json.Number)
		sf, err := n.Float64()
		if !ok || err != nil || sf <= 0 {
			return f, fmt.Errorf("mapping: %sfield [%s]: bad scaling_factor %v", where, full, v)
		}
		f.Scaling = sf
	}
	if typ == "scaled_float" && f.Scaling == 0 {
		return f, fmt.Errorf("mapping: %sfield [%s]: scaled_float requires [scaling_factor]", where, full)
	}
	if s, ok := def["normalizer"].(string); ok {
		f.Normalizer = s
	}
	if s, ok := def["format"].(string); ok {
		f.Format = s
	}
	if b, ok := def["doc_values"].(bool); ok && !b {
		f.NoDocValues = true
	}
	if b, ok := def["index"].(bool); ok && !b {
		f.NoIndex = true
	}
	if typ == "constant_keyword" {
		if v, ok := def["value"]; ok && v != nil {
			switch x := v.(type) {
			case string:
				f.Constant = KeywordOf(x)
			case json.Number:
				f.Constant = KeywordOf(x.String())
			case bool:
				f.Constant = KeywordOf(strconv.FormatBool(x))
			default:
				return f, fmt.Errorf("mapping: %sfield [%s]: constant_keyword [value] must be a scalar", where, full)
			}
		}
	}
	if typ == "alias" {
		p, _ := def["path"].(string)
		if p == "" {
			return f, fmt.Errorf("mapping: %salias [%s] needs a [path]", where, full)
		}
		f.Path = p
	}
	return f, nil
}

func jsonInt(v any) (int, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, errors.New("not a number")
	}
	i, err := strconv.Atoi(n.String())
	return i, err
}

// resolveAliases types every alias as its target; Elasticsearch rejects an
// alias to a missing field, another alias or an object.
func (m *Mapping) resolveAliases() error {
	for _, f := range m.fields {
		if f.ESType != "alias" {
			continue
		}
		t, ok := m.fields[f.Path]
		if !ok {
			return fmt.Errorf("invalid [path] value [%s] for field alias [%s]: an alias must refer to an existing field in the mappings", f.Path, f.Name)
		}
		if t.ESType == "alias" {
			return fmt.Errorf("invalid [path] value [%s] for field alias [%s]: an alias cannot refer to another alias", f.Path, f.Name)
		}
		f.Type = t.Type
	}
	return nil
}

// Merge folds other into m, as ES|QL combines the mappings of the indices a
// query reads. A field mapped with different ES|QL types becomes Unsupported
// (ES|QL reports it as "mapped as [2] incompatible types"); wildcard and
// constant_keyword agree with keyword because they read the same.
func (m *Mapping) Merge(other *Mapping) {
	if other == nil {
		return
	}
	for name, of := range other.fields {
		mf, ok := m.fields[name]
		if !ok {
			cp := *of
			m.Add(cp)
			continue
		}
		if mf.Type != of.Type {
			mf.Type = Unsupported
			if mf.ESType != of.ESType {
				mf.ESType = mergeESTypes(mf.ESType, of.ESType)
			}
			continue
		}
		if !mf.Constant.IsNull() && (of.Constant.IsNull() || of.Constant.S != mf.Constant.S) {
			// Differing constants: each index has its own; no single fill value.
			mf.Constant = Value{}
		}
		if mf.ESType == "constant_keyword" && of.ESType != "constant_keyword" {
			mf.Constant = Value{}
		}
	}
	for name, oo := range other.objects {
		if _, ok := m.objects[name]; !ok {
			cp := *oo
			m.AddObject(cp)
		}
	}
	m.Templates = mergeTemplates(m.Templates, other.Templates)
	m.Fallback = mergeTemplates(m.Fallback, other.Fallback)
	m.NoDateDetection = m.NoDateDetection || other.NoDateDetection
	for _, o := range other.DynamicObjects {
		if !slices.Contains(m.DynamicObjects, o) {
			m.DynamicObjects = append(m.DynamicObjects, o)
		}
	}
}

// Overlay lays top over m, as a later index template's mappings override an
// earlier one's: top's fields replace m's of the same name, its objects are
// added, its dynamic templates are tried before m's.
func (m *Mapping) Overlay(top *Mapping) {
	if m.fields == nil {
		m.fields = map[string]*Field{}
	}
	if m.objects == nil {
		m.objects = map[string]*Object{}
	}
	for name, f := range top.fields {
		cp := *f
		m.fields[name] = &cp
	}
	for name, o := range top.objects {
		cp := *o
		m.objects[name] = &cp
	}
	m.Templates = mergeTemplates(slices.Clone(top.Templates), m.Templates)
	m.Fallback = mergeTemplates(slices.Clone(top.Fallback), m.Fallback)
	m.NoDateDetection = m.NoDateDetection || top.NoDateDetection
	for _, o := range top.DynamicObjects {
		if !slices.Contains(m.DynamicObjects, o) {
			m.DynamicObjects = append(m.DynamicObjects, o)
		}
	}
}

// mergeTemplates appends the templates of b whose names a lacks: index
// templates name theirs after the paths they cover, so equal names are the
// same template.
func mergeTemplates(a, b []DynamicTemplate) []DynamicTemplate {
	for _, t := range b {
		if !slices.ContainsFunc(a, func(x DynamicTemplate) bool { return x.Name == t.Name }) {
			a = append(a, t)
		}
	}
	return a
}

// mergeESTypes records conflicting mapping types as a sorted comma list.
func mergeESTypes(a, b string) string {
	set := map[string]bool{}
	for _, s := range strings.Split(a+","+b, ",") {
		if s != "" {
			set[s] = true
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// MarshalJSON emits the mapping as Elasticsearch mapping JSON
// ({"properties":…}) with objects nested and multi-fields under "fields".
// Keys are sorted, so output is deterministic.
func (m *Mapping) MarshalJSON() ([]byte, error) {
	type node struct {
		children map[string]*node
		field    *Field
		object   *Object
		multi    []*Field
	}
	root := &node{children: map[string]*node{}}
	get := func(path string) *node {
		n := root
		for _, part := range strings.Split(path, ".") {
			c, ok := n.children[part]
			if !ok {
				c = &node{children: map[string]*node{}}
				n.children[part] = c
			}
			n = c
		}
		return n
	}
	for _, o := range m.Objects() {
		get(o.Name).object = o
	}
	var multis []*Field
	for _, f := range m.Fields() {
		if f.Parent != "" {
			multis = append(multis, f)
			continue
		}
		get(f.Name).field = f
	}
	for _, f := range multis {
		p := get(f.Parent)
		p.multi = append(p.multi, f)
	}
	var b bytes.Buffer
	var emitProps func(n *node)
	var emitField func(f *Field, withMulti []*Field, parent string)
	emitField = func(f *Field, withMulti []*Field, parent string) {
		b.WriteString(`{"type":`)
		writeJSONString(&b, f.ESType)
		if f.ESType == "alias" {
			b.WriteString(`,"path":`)
			writeJSONString(&b, f.Path)
		}
		if f.IgnoreAbove > 0 {
			b.WriteString(`,"ignore_above":` + strconv.Itoa(f.IgnoreAbove))
		}
		if f.Scaling != 0 {
			b.WriteString(`,"scaling_factor":` + strconv.FormatFloat(f.Scaling, 'g', -1, 64))
		}
		if f.Normalizer != "" {
			b.WriteString(`,"normalizer":`)
			writeJSONString(&b, f.Normalizer)
		}
		if f.Format != "" {
			b.WriteString(`,"format":`)
			writeJSONString(&b, f.Format)
		}
		if f.NoIndex {
			b.WriteString(`,"index":false`)
		}
		if f.NoDocValues {
			b.WriteString(`,"doc_values":false`)
		}
		if !f.Constant.IsNull() {
			b.WriteString(`,"value":`)
			writeJSONString(&b, f.Constant.S)
		}
		if len(withMulti) > 0 {
			b.WriteString(`,"fields":{`)
			for i, mf := range withMulti {
				if i > 0 {
					b.WriteByte(',')
				}
				writeJSONString(&b, strings.TrimPrefix(mf.Name, parent+"."))
				b.WriteByte(':')
				emitField(mf, nil, "")
			}
			b.WriteByte('}')
		}
		b.WriteByte('}')
	}
	emitProps = func(n *node) {
		keys := make([]string, 0, len(n.children))
		for k := range n.children {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(`{`)
		for i, k := range keys {
			c := n.children[k]
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, k)
			b.WriteByte(':')
			if c.field != nil {
				emitField(c.field, c.multi, c.field.Name)
				continue
			}
			b.WriteByte('{')
			sep := ""
			if c.object != nil && c.object.Nested {
				b.WriteString(`"type":"nested"`)
				sep = ","
			}
			if c.object != nil && c.object.Disabled {
				b.WriteString(sep + `"type":"object","enabled":false`)
				sep = ","
			}
			if len(c.children) > 0 {
				b.WriteString(sep + `"properties":`)
				emitProps(c)
			} else if sep == "" {
				b.WriteString(`"type":"object"`)
			}
			b.WriteByte('}')
		}
		b.WriteString(`}`)
	}
	b.WriteString(`{`)
	if len(m.DynamicObjects) > 0 {
		q, _ := json.Marshal(m.DynamicObjects)
		b.WriteString(`"_meta":{"vigil_dynamic_objects":` + string(q) + `},`)
	}
	if m.NoDateDetection {
		b.WriteString(`"date_detection":false,`)
	}
	if len(m.Templates) > 0 {
		b.WriteString(`"dynamic_templates":[`)
		for i, t := range m.Templates {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('{')
			writeJSONString(&b, t.Name)
			b.WriteString(`:{`)
			for _, c := range []struct {
				key  string
				list []string
			}{{"match", t.Match}, {"unmatch", t.Unmatch}, {"path_match", t.PathMatch}, {"path_unmatch", t.PathUnmatch},
				{"match_mapping_type", t.MatchType}, {"unmatch_mapping_type", t.UnmatchType}} {
				if len(c.list) > 0 {
					writeJSONString(&b, c.key)
					q, _ := json.Marshal(c.list)
					b.WriteString(":" + string(q) + ",")
				}
			}
			b.WriteString(`"mapping":`)
			multi := make([]*Field, len(t.Multi))
			for j := range t.Multi {
				multi[j] = &t.Multi[j]
			}
			emitField(&t.Field, multi, "")
			b.WriteString(`}}`)
		}
		b.WriteString(`],`)
	}
	b.WriteString(`"properties":`)
	emitProps(root)
	b.WriteString(`}`)
	return b.Bytes(), nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s)
	b.Write(q)
}
