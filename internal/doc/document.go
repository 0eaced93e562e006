package doc

// Document is one event: its fields flattened to dotted names (the way
// Elasticsearch names object sub-fields) with values typed by a mapping, plus
// the metadata ES|QL's METADATA clause exposes.
type Document struct {
	Index   string // concrete index name (_index)
	ID      string // _id, empty when unknown
	Version int64  // _version, 0 when unknown (Elasticsearch reports 1 for a first write)
	Fields  map[string]Value
}

// Get returns the value of a field, or null when absent.
func (d *Document) Get(name string) Value { return d.Fields[name] }
