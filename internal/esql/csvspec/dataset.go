package csvspec

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/doc"
)

// Dataset is one loaded test index: its mapping and its documents in CSV order.
type Dataset struct {
	Name    string
	Mapping *doc.Mapping
	Docs    []*doc.Document
}

// Library holds the data sets found in one directory (data/NAME.csv with
// mappings/mapping-NAME.json). It is read-only once loaded.
type Library struct {
	Dir  string
	sets map[string]*Dataset
	// names in sorted order, for deterministic wildcard resolution
	names []string
}

// LoadLibrary loads every data/NAME.csv under dir that has a mapping.
// A missing data directory gives an empty library.
func LoadLibrary(dir string) (*Library, error) {
	lib := &Library{Dir: dir, sets: map[string]*Dataset{}}
	files, err := filepath.Glob(filepath.Join(dir, "data", "*.csv"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".csv")
		mp := filepath.Join(dir, "mappings", "mapping-"+name+".json")
		if _, err := os.Stat(mp); err != nil {
			continue // no mapping: not a loadable index
		}
		ds, err := LoadDataset(name, f, mp)
		if err != nil {
			return nil, err
		}
		lib.sets[name] = ds
		lib.names = append(lib.names, name)
	}
	slices.Sort(lib.names)
	return lib, nil
}

// Dataset returns the data set of that name.
func (l *Library) Dataset(name string) (*Dataset, bool) {
	ds, ok := l.sets[name]
	return ds, ok
}

// Names lists the loaded data sets, sorted.
func (l *Library) Names() []string { return slices.Clone(l.names) }

// LoadDataset reads one CSV data set with its mapping file.
func LoadDataset(name, csvPath, mappingPath string) (*Dataset, error) {
	msrc, err := os.ReadFile(mappingPath)
	if err != nil {
		return nil, err
	}
	m, err := doc.ParseMapping(msrc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mappingPath, err)
	}
	src, err := os.ReadFile(csvPath)
	if err != nil {
		return nil, err
	}
	docs, err := ParseData(csvPath, name, src, m)
	if err != nil {
		return nil, err
	}
	return &Dataset{Name: name, Mapping: m, Docs: docs}, nil
}

// dataColumn is one CSV column with what it feeds: the field itself and the
// multi-fields derived from it.
type dataColumn struct {
	name    string
	field   *doc.Field   // nil when the column is a multi-field (derived, not read)
	derived []*doc.Field // multi-fields of this column
}

// ParseData reads a data set CSV: a schema line `field:type,...`, then one
// document per line. Values are trimmed; empty or `[]` means absent; `[a,b]`
// is multi-valued; `\,` escapes a comma. Fields are typed by the mapping
// (the schema type only where the mapping lacks the field). Multi-fields are
// derived from their parent's text, as Elasticsearch indexes them, not read
// from their own columns.
func ParseData(file, index string, src []byte, m *doc.Mapping) ([]*doc.Document, error) {
	sub := map[string][]*doc.Field{}
	for _, f := range m.Fields() {
		if f.Parent != "" {
			sub[f.Parent] = append(sub[f.Parent], f)
		}
	}
	var cols []dataColumn
	var docs []*doc.Document
	lineNo := 0
	for len(src) > 0 {
		var raw []byte
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			raw, src = src[:i], src[i+1:]
		} else {
			raw, src = src, nil
		}
		lineNo++
		line, col := trimLine(string(raw))
		if line == "" || strings.HasPrefix(line, "//") || strings.HasPrefix(line, "#") {
			continue
		}
		entries, err := splitDataLine(line)
		if err != nil {
			return nil, &SpecError{File: file, Line: lineNo, Col: col, Msg: err.Error()}
		}
		if cols == nil {
			cols, err = schema(entries, m, sub)
			if err != nil {
				return nil, &SpecError{File: file, Line: lineNo, Col: col, Msg: err.Error()}
			}
			continue
		}
		if len(entries) != len(cols) {
			return nil, &SpecError{File: file, Line: lineNo, Col: col,
				Msg: fmt.Sprintf("incorrect number of entries; expected [%d] but found [%d]", len(cols), len(entries))}
		}
		d := &doc.Document{Index: index, Version: 1, Fields: make(map[string]doc.Value, len(cols))}
		for i, c := range cols {
			if c.field == nil {
				continue
			}
			vals := entryValues(entries[i])
			if len(vals) == 0 {
				continue
			}
			v, err := convert(c.field, vals)
			if err != nil {
				return nil, &SpecError{File: file, Line: lineNo, Col: col,
					Msg: fmt.Sprintf("column [%s] value [%s]: %v", c.name, entries[i], err)}
			}
			d.Fields[c.name] = v
			for _, sf := range c.derived {
				sv, err := convert(sf, vals)
				if err != nil {
					// Elasticsearch would reject the document; so do we.
					return nil, &SpecError{File: file, Line: lineNo, Col: col,
						Msg: fmt.Sprintf("multi-field [%s] from value [%s]: %v", sf.Name, entries[i], err)}
				}
				d.Fields[sf.Name] = sv
			}
		}
		docs = append(docs, d)
	}
	if cols == nil {
		return nil, &SpecError{File: file, Line: max(lineNo, 1), Col: 1, Msg: "no schema line"}
	}
	return docs, nil
}

func schema(entries []string, m *doc.Mapping, sub map[string][]*doc.Field) ([]dataColumn, error) {
	cols := make([]dataColumn, len(entries))
	for i, e := range entries {
		name, typ, ok := strings.Cut(e, ":")
		name, typ = strings.TrimSpace(name), strings.TrimSpace(typ)
		if !ok || typ == "" {
			return nil, fmt.Errorf("a type is always expected in the schema definition; found [%s]", e)
		}
		f, mapped := m.Lookup(name)
		if mapped && f.Parent != "" {
			cols[i] = dataColumn{name: name} // derived from its parent
			continue
		}
		if !mapped {
			f = &doc.Field{Name: name, Type: doc.ESTypeOf(typ), ESType: typ}
			if f.Type == doc.Unsupported {
				return nil, fmt.Errorf("unknown type [%s] for column [%s]", typ, name)
			}
		}
		cols[i] = dataColumn{name: name, field: f, derived: sub[name]}
	}
	return cols, nil
}

// splitDataLine splits a data line on commas not escaped with '\', keeping
// `[a, b]` groups together as one entry; entries are trimmed.
func splitDataLine(line string) ([]string, error) {
	var out []string
	var multi strings.Builder
	inMulti, multiCol := false, 0
	start := 0
	for i := 0; i <= len(line); i++ {
		if i < len(line) && (line[i] != ',' || i > 0 && line[i-1] == '\\') {
			continue
		}
		piece := strings.TrimSpace(line[start:i])
		switch {
		case inMulti:
			multi.WriteByte(',')
			multi.WriteString(piece)
			if strings.HasSuffix(piece, "]") {
				out = append(out, multi.String())
				inMulti = false
			}
		case strings.HasPrefix(piece, "[") && !strings.HasSuffix(piece, "]"):
			multi.Reset()
			multi.WriteString(piece)
			inMulti, multiCol = true, start+1
		default:
			out = append(out, piece)
		}
		start = i + 1
	}
	if inMulti {
		return nil, fmt.Errorf("multi-value starting at column %d has no closing ']'", multiCol)
	}
	return out, nil
}

// entryValues splits an entry into its raw values: none for "" and "[]",
// the elements of "[a, b]", else the entry itself. `\,` becomes ','.
func entryValues(e string) []string {
	if e == "" {
		return nil
	}
	if strings.HasPrefix(e, "[") && strings.HasSuffix(e, "]") {
		inner := strings.TrimSpace(e[1 : len(e)-1])
		if inner == "" {
			return nil
		}
		parts := splitUnescapedCommas(inner)
		out := parts[:0]
		for _, p := range parts {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			out = append(out, strings.ReplaceAll(p, `\,`, ","))
		}
		return out
	}
	if strings.HasPrefix(e, `"`) && strings.HasSuffix(e, `"`) && len(e) >= 2 {
		e = e[1 : len(e)-1]
	}
	return []string{strings.ReplaceAll(e, `\,`, ",")}
}

// convert types raw values as the field's mapping type indexes them, and
// orders multi-values as Elasticsearch returns them from doc values:
// keyword, ip and version sorted and de-duplicated, numbers, dates and
// booleans sorted with duplicates kept; text keeps source order.
func convert(f *doc.Field, raws []string) (doc.Value, error) {
	vals := make([]doc.Value, 0, len(raws))
	for _, r := range raws {
		v, err := convertOne(f, r)
		if err != nil {
			return doc.Value{}, err
		}
		if v.IsNull() {
			continue
		}
		vals = append(vals, v)
	}
	switch f.Type {
	case doc.Keyword, doc.IP, doc.Version:
		slices.SortFunc(vals, func(a, b doc.Value) int { return strings.Compare(a.S, b.S) })
		vals = slices.CompactFunc(vals, func(a, b doc.Value) bool { return a.S == b.S })
	case doc.Double:
		slices.SortFunc(vals, func(a, b doc.Value) int { return cmp.Compare(a.F, b.F) })
	case doc.UnsignedLong:
		slices.SortFunc(vals, func(a, b doc.Value) int { return cmp.Compare(uint64(a.I), uint64(b.I)) })
	case doc.Integer, doc.Long, doc.Date, doc.DateNanos, doc.Boolean:
		slices.SortFunc(vals, func(a, b doc.Value) int { return cmp.Compare(a.I, b.I) })
	}
	return doc.Multi(f.Type, vals), nil
}

func convertOne(f *doc.Field, s string) (doc.Value, error) {
	switch f.ESType {
	case "keyword", "wildcard", "constant_keyword":
		if f.IgnoreAbove > 0 && len([]rune(s)) > f.IgnoreAbove {
			return doc.Value{}, nil // not indexed, so absent from doc values
		}
		return doc.KeywordOf(s), nil
	case "text", "match_only_text":
		return doc.TextOf(s), nil
	case "version":
		return doc.VersionOf(s), nil
	case "long":
		i, err := parseWhole(s, math.MinInt64, math.MaxInt64)
		return doc.Long64(i), err
	case "integer":
		i, err := parseWhole(s, math.MinInt32, math.MaxInt32)
		return doc.Int(int32(i)), err
	case "short":
		i, err := parseWhole(s, math.MinInt16, math.MaxInt16)
		return doc.Int(int32(i)), err
	case "byte":
		i, err := parseWhole(s, math.MinInt8, math.MaxInt8)
		return doc.Int(int32(i)), err
	case "unsigned_long":
		u, err := strconv.ParseUint(s, 10, 64)
		return doc.ULong(u), err
	case "double":
		d, err := strconv.ParseFloat(s, 64)
		return doc.Float(d), err
	case "float":
		d, err := strconv.ParseFloat(s, 32)
		return doc.Float(float64(float32(d))), err
	case "half_float":
		d, err := strconv.ParseFloat(s, 32)
		return doc.Float(halfFloat(float32(d))), err
	case "scaled_float":
		d, err := strconv.ParseFloat(s, 64)
		return doc.Float(scaledFloat(d, f.Scaling)), err
	case "date":
		ms, err := parseDateMillis(s)
		return doc.DateMillis(ms), err
	case "date_nanos":
		ns, err := parseDateNanos(s)
		return doc.DateNano(ns), err
	case "boolean":
		switch s {
		case "true":
			return doc.Bool(true), nil
		case "false":
			return doc.Bool(false), nil
		}
		return doc.Value{}, fmt.Errorf("cannot parse [%s] as boolean", s)
	case "ip":
		a, err := netip.ParseAddr(s)
		if err != nil {
			return doc.Value{}, err
		}
		return doc.IPOf(a), nil
	}
	return doc.Value{}, fmt.Errorf("unsupported field type [%s]", f.ESType)
}

// parseWhole parses an integer field value. Like Elasticsearch's numeric
// fields (coerce on by default) a decimal is truncated toward zero.
func parseWhole(s string, lo, hi int64) (int64, error) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		if i < lo || i > hi {
			return 0, fmt.Errorf("value [%s] is out of range", s)
		}
		return i, nil
	}
	d, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(d) || math.IsInf(d, 0) {
		return 0, fmt.Errorf("cannot parse [%s] as a number", s)
	}
	d = math.Trunc(d)
	if d < float64(lo) || d > float64(hi) {
		return 0, fmt.Errorf("value [%s] is out of range", s)
	}
	return int64(d), nil
}

// halfFloat rounds a float to IEEE half precision (11 significant bits,
// round half to even), as a half_float field stores it.
func halfFloat(f float32) float64 {
	x := float64(f)
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	abs := math.Abs(x)
	_, e := math.Frexp(abs) // abs = frac * 2^e, frac in [0.5, 1)
	ulpExp := e - 11
	if ulpExp < -24 { // half subnormals share one step
		ulpExp = -24
	}
	r := math.Ldexp(math.RoundToEven(math.Ldexp(abs, -ulpExp)), ulpExp)
	if r >= 65520 {
		r = math.Inf(1)
	}
	return math.Copysign(r, x)
}

// scaledFloat stores round(v*factor) as a long and reads it back divided by
// the factor (the fix_precision_of_scaled_float_fields behaviour). Java's
// Math.round rounds half up.
func scaledFloat(v, factor float64) float64 {
	if factor == 0 {
		return v
	}
	return math.Floor(v*factor+0.5) / factor
}

// dateLayouts are the ISO-8601 shapes data and expected tables use; a zone-less
// time is UTC.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

func parseTime(s string) (time.Time, error) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot parse date [%s]", s)
}

// parseDateMillis accepts ISO-8601 or epoch milliseconds.
func parseDateMillis(s string) (int64, error) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, nil
	}
	t, err := parseTime(s)
	if err != nil {
		return 0, err
	}
	return t.UnixMilli(), nil
}

func parseDateNanos(s string) (int64, error) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i * int64(time.Millisecond), nil
	}
	t, err := parseTime(s)
	if err != nil {
		return 0, err
	}
	if t.Year() < 1970 || t.Year() > 2262 {
		return 0, errors.New("date_nanos out of range [" + s + "]")
	}
	return t.UnixNano(), nil
}
