package doc

import "sort"

// Field is one mapped field, named by its full dotted path.
type Field struct {
	Name        string  // full dotted name, e.g. "process.command_line.text"
	Type        Type    // the ES|QL type values of this field have
	ESType      string  // the mapping type as written: keyword, wildcard, match_only_text, short, scaled_float…
	Parent      string  // for a multi-field (process.command_line.text) the field it is derived from
	IgnoreAbove int     // keyword ignore_above, 0 when unset
	Scaling     float64 // scaled_float scaling_factor, 0 when unset

	// Additions beyond the lead's original struct (zero values keep old meaning).
	Normalizer  string // keyword normalizer as written ("lowercase" is applied when decoding)
	Path        string // for an alias (ESType "alias"), the dotted name of the target field
	Constant    Value  // constant_keyword value; null when the mapping sets none
	NoDocValues bool   // doc_values: false — ES|QL then loads the field from _source (source order, duplicates kept)
	NoIndex     bool   // index: false (kept only so MarshalJSON round-trips)
	Format      string // date format as written; only the default formats are interpreted
	Nested      bool   // under a nested object: ES|QL does not list such fields at all (elastic/elasticsearch#99283); Type is Unsupported
}

// Object is an object or nested container in a mapping. Containers hold no
// values of their own, so they are kept apart from Fields.
type Object struct {
	Name     string // full dotted name
	Nested   bool   // type: nested
	Disabled bool   // enabled: false — the contents are kept in _source only and never indexed
}

// Mapping is a set of field definitions, as an Elasticsearch index mapping gives them.
type Mapping struct {
	fields  map[string]*Field
	objects map[string]*Object

	// Templates are the mapping's dynamic_templates, tried in order for a
	// field no property names (see DynamicField).
	Templates []DynamicTemplate
	// Fallback are templates tried after Templates: the index templates'
	// name rules (ECSDynamicTemplates) under a mapping's own.
	Fallback []DynamicTemplate
	// NoDateDetection is date_detection: false (logs@mappings sets it), so
	// date-like strings in unmapped fields stay strings.
	NoDateDetection bool
	// DynamicObjects are objects an integration fills with whatever keys
	// its source sends (its ingest pipeline copies the source record
	// there), leaving their types to the dynamic templates: a field under
	// one exists once a document brings it (see DeclaredField). Vigil's
	// own notion, kept in mapping JSON as _meta.vigil_dynamic_objects.
	DynamicObjects []string
}

// NewMapping returns an empty mapping.
func NewMapping() *Mapping {
	return &Mapping{fields: map[string]*Field{}, objects: map[string]*Object{}}
}

// Add defines (or redefines) a field.
func (m *Mapping) Add(f Field) {
	if m.fields == nil {
		m.fields = map[string]*Field{}
	}
	m.fields[f.Name] = &f
}

// AddObject defines (or redefines) an object or nested container.
func (m *Mapping) AddObject(o Object) {
	if m.objects == nil {
		m.objects = map[string]*Object{}
	}
	m.objects[o.Name] = &o
}

// LookupObject returns the container of that exact dotted name.
func (m *Mapping) LookupObject(name string) (*Object, bool) {
	o, ok := m.objects[name]
	return o, ok
}

// Objects returns every container sorted by name.
func (m *Mapping) Objects() []*Object {
	out := make([]*Object, 0, len(m.objects))
	for _, o := range m.objects {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// AliasTarget returns the field an alias reads, or name itself when it is not an alias.
func (m *Mapping) AliasTarget(name string) string {
	if f, ok := m.fields[name]; ok && f.ESType == "alias" && f.Path != "" {
		return f.Path
	}
	return name
}

// ConstantValue returns the constant_keyword value of a field, if it has one.
func (m *Mapping) ConstantValue(name string) (Value, bool) {
	f, ok := m.fields[name]
	if !ok || f.Constant.IsNull() {
		return Value{}, false
	}
	return f.Constant, true
}

// Clone returns a deep copy, so a caller can extend it without touching the original.
func (m *Mapping) Clone() *Mapping {
	c := NewMapping()
	c.Overlay(m)
	return c
}

// Lookup returns the field of that exact dotted name.
func (m *Mapping) Lookup(name string) (*Field, bool) {
	f, ok := m.fields[name]
	return f, ok
}

// Fields returns every field sorted by name.
func (m *Mapping) Fields() []*Field {
	out := make([]*Field, 0, len(m.fields))
	for _, f := range m.fields {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Len is the number of fields.
func (m *Mapping) Len() int { return len(m.fields) }
