package csvspec

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"vigil/internal/doc"
	"vigil/internal/esql"
)

// specTypes maps the type names a table header may use (full names and
// Elasticsearch's short aliases, case-insensitive) to ES|QL types. Narrow
// mapping types widen as ES|QL reads them.
var specTypes = map[string]doc.Type{
	"integer": doc.Integer, "i": doc.Integer, "short": doc.Integer, "byte": doc.Integer,
	"counter_integer": doc.Integer,
	"long":            doc.Long, "l": doc.Long, "counter_long": doc.Long,
	"unsigned_long": doc.UnsignedLong, "ul": doc.UnsignedLong,
	"double": doc.Double, "d": doc.Double, "float": doc.Double, "half_float": doc.Double,
	"scaled_float": doc.Double, "counter_double": doc.Double, "counter_float": doc.Double,
	"keyword": doc.Keyword, "k": doc.Keyword, "s": doc.Keyword, "string": doc.Keyword,
	"text": doc.Text, "txt": doc.Text,
	"date": doc.Date, "dt": doc.Date, "datetime": doc.Date,
	"date_nanos": doc.DateNanos,
	"boolean":    doc.Boolean, "bool": doc.Boolean,
	"ip":      doc.IP,
	"version": doc.Version, "v": doc.Version,
	"null": doc.Null, "n": doc.Null,
	"geo_point":       doc.GeoPoint,
	"cartesian_point": doc.CartesianPoint,
}

// SpecType resolves a header type name; ok is false for types we do not model.
func SpecType(name string) (doc.Type, bool) {
	t, ok := specTypes[strings.ToLower(strings.TrimSpace(name))]
	return t, ok
}

// cellKey is a comparable rendering of one cell: null, or its values in
// Elasticsearch's printed form.
type cellKey struct {
	null bool
	vals string // values joined by \x1f
	n    int
}

func (k cellKey) String() string {
	if k.null {
		return "null"
	}
	if k.n == 1 {
		return k.vals
	}
	return "[" + strings.ReplaceAll(k.vals, "\x1f", ", ") + "]"
}

// expectedKey normalises an expected cell through the column's type (so
// "2023-10-23T12:00:00" equals "2023-10-23T12:00:00.000Z" and "3.0E8"
// equals "300000000.0"), as Elasticsearch parses expected values.
func expectedKey(c Cell, t doc.Type) (cellKey, error) {
	if c.Null || t == doc.Null {
		return cellKey{null: true}, nil
	}
	parts := make([]string, len(c.Vals))
	for i, s := range c.Vals {
		v, err := normalise(s, t)
		if err != nil {
			return cellKey{}, err
		}
		parts[i] = v
	}
	return cellKey{vals: strings.Join(parts, "\x1f"), n: len(parts)}, nil
}

func normalise(s string, t doc.Type) (string, error) {
	switch t {
	case doc.Integer:
		i, err := strconv.ParseInt(s, 10, 32)
		return strconv.FormatInt(i, 10), err
	case doc.Long:
		i, err := strconv.ParseInt(s, 10, 64)
		return strconv.FormatInt(i, 10), err
	case doc.UnsignedLong:
		u, err := strconv.ParseUint(s, 10, 64)
		return strconv.FormatUint(u, 10), err
	case doc.Double:
		f, err := parseJavaDouble(s)
		return doc.FormatDouble(f), err
	case doc.Boolean:
		switch s {
		case "true", "false":
			return s, nil
		}
		return "", fmt.Errorf("cannot parse [%s] as boolean", s)
	case doc.Date:
		t, err := parseTime(s)
		return doc.FormatDate(t.UnixMilli()), err
	case doc.DateNanos:
		t, err := parseTime(s)
		return doc.FormatDateNanos(t.UnixNano()), err
	case doc.IP:
		a, err := netip.ParseAddr(s)
		if err != nil {
			return "", err
		}
		return a.Unmap().String(), nil
	case doc.GeoPoint, doc.CartesianPoint:
		return normalisePoint(s)
	}
	return s, nil
}

// normalisePoint renders a WKT point as the engine prints points ("POINT (x
// y)", Java doubles): Elasticsearch's tests compare spatial values as
// geometries, so "POINT(1 2)" equals "POINT (1.0 2.0)".
func normalisePoint(s string) (string, error) {
	t := strings.TrimSpace(s)
	if len(t) < 5 || !strings.EqualFold(t[:5], "POINT") {
		return s, nil // another geometry: compared as written
	}
	body := strings.TrimSpace(t[5:])
	if len(body) < 2 || body[0] != '(' || body[len(body)-1] != ')' {
		return "", fmt.Errorf("cannot parse [%s] as a point", s)
	}
	xy := strings.Fields(body[1 : len(body)-1])
	if len(xy) != 2 {
		return "", fmt.Errorf("cannot parse [%s] as a point", s)
	}
	x, err1 := parseJavaDouble(xy[0])
	y, err2 := parseJavaDouble(xy[1])
	if err1 != nil || err2 != nil {
		return "", fmt.Errorf("cannot parse [%s] as a point", s)
	}
	return "POINT (" + doc.FormatDouble(x) + " " + doc.FormatDouble(y) + ")", nil
}

// parseJavaDouble accepts Java's spellings (NaN, Infinity) besides Go's.
func parseJavaDouble(s string) (float64, error) {
	switch s {
	case "Infinity", "+Infinity":
		s = "+Inf"
	case "-Infinity":
		s = "-Inf"
	}
	return strconv.ParseFloat(s, 64)
}

// actualKey renders an engine value as Elasticsearch prints it.
func actualKey(v doc.Value) cellKey {
	if v.IsNull() {
		return cellKey{null: true}
	}
	n := v.Len()
	parts := make([]string, n)
	for i := range n {
		e := v.At(i)
		if e.T.IsString() || e.T == doc.Version {
			parts[i] = e.S
		} else {
			parts[i] = e.String()
		}
	}
	return cellKey{vals: strings.Join(parts, "\x1f"), n: n}
}

func rowString(r []cellKey) string {
	s := make([]string, len(r))
	for i, k := range r {
		s[i] = k.String()
	}
	return strings.Join(s, " | ")
}

func rowKey(r []cellKey) string {
	var b strings.Builder
	for _, k := range r {
		if k.null {
			b.WriteString("\x00N")
		} else {
			b.WriteString(strconv.Itoa(k.n))
			b.WriteByte(':')
			b.WriteString(k.vals)
		}
		b.WriteByte('\x1e')
	}
	return b.String()
}

// Compare checks an engine result against the test's expectations: column
// names and types, rows (in order unless ignoreOrder, then as multisets)
// and warnings. It returns nil on a match, else an error saying what
// differed first.
func Compare(t *Test, res *esql.Result) error {
	if res == nil {
		return fmt.Errorf("no result")
	}
	types := make([]doc.Type, len(t.Columns))
	for i, c := range t.Columns {
		ty, ok := SpecType(c.Type)
		if !ok {
			return fmt.Errorf("expected column %s has unsupported type %s", c.Name, c.Type)
		}
		types[i] = ty
	}
	if err := compareColumns(t, types, res.Columns); err != nil {
		return err
	}
	exp := make([][]cellKey, len(t.Rows))
	for i, r := range t.Rows {
		if len(r) != len(t.Columns) {
			return fmt.Errorf("spec line %d: expected row has %d cells, header has %d", t.RowLines[i], len(r), len(t.Columns))
		}
		exp[i] = make([]cellKey, len(r))
		for j, c := range r {
			k, err := expectedKey(c, types[j])
			if err != nil {
				return fmt.Errorf("spec line %d: column %s: bad expected value %q: %v", t.RowLines[i], t.Columns[j].Name, c.String(), err)
			}
			exp[i][j] = k
		}
	}
	got := make([][]cellKey, len(res.Rows))
	for i, r := range res.Rows {
		if len(r) != len(res.Columns) {
			return fmt.Errorf("result row %d has %d values for %d columns", i+1, len(r), len(res.Columns))
		}
		got[i] = make([]cellKey, len(r))
		for j, v := range r {
			got[i][j] = actualKey(v)
		}
	}
	var err error
	if t.IgnoreOrder {
		err = compareUnordered(t, exp, got)
	} else {
		err = compareOrdered(t, exp, got)
	}
	if err != nil {
		return err
	}
	return CompareWarnings(t, res.Warnings)
}

func header(names []string, types []string) string {
	s := make([]string, len(names))
	for i := range names {
		s[i] = names[i] + ":" + types[i]
	}
	return strings.Join(s, " | ")
}

func compareColumns(t *Test, types []doc.Type, got []esql.Column) error {
	en, et := make([]string, len(t.Columns)), make([]string, len(t.Columns))
	for i, c := range t.Columns {
		en[i], et[i] = c.Name, types[i].String()
	}
	gn, gt := make([]string, len(got)), make([]string, len(got))
	for i, c := range got {
		gn[i], gt[i] = c.Name, c.Type.String()
	}
	if len(got) != len(t.Columns) {
		return fmt.Errorf("expected %d columns, got %d\nexpected: %s\ngot:      %s", len(en), len(gn), header(en, et), header(gn, gt))
	}
	for i := range en {
		if en[i] != gn[i] || et[i] != gt[i] {
			return fmt.Errorf("column %d: expected %s:%s, got %s:%s\nexpected: %s\ngot:      %s",
				i+1, en[i], et[i], gn[i], gt[i], header(en, et), header(gn, gt))
		}
	}
	return nil
}

func compareOrdered(t *Test, exp, got [][]cellKey) error {
	for i := 0; i < len(exp) && i < len(got); i++ {
		for j := range exp[i] {
			if exp[i][j] != got[i][j] {
				return fmt.Errorf("row %d (spec line %d) column %s: expected %s, got %s\nexpected row: %s\ngot row:      %s",
					i+1, t.RowLines[i], t.Columns[j].Name, exp[i][j], got[i][j], rowString(exp[i]), rowString(got[i]))
			}
		}
	}
	switch {
	case len(got) < len(exp):
		return fmt.Errorf("expected %d rows, got %d; first missing row %d (spec line %d): %s",
			len(exp), len(got), len(got)+1, t.RowLines[len(got)], rowString(exp[len(got)]))
	case len(got) > len(exp):
		return fmt.Errorf("expected %d rows, got %d; first extra row %d: %s",
			len(exp), len(got), len(exp)+1, rowString(got[len(exp)]))
	}
	return nil
}

func compareUnordered(t *Test, exp, got [][]cellKey) error {
	count := map[string]int{}
	for _, r := range got {
		count[rowKey(r)]++
	}
	var missing []string
	for i, r := range exp {
		k := rowKey(r)
		if count[k] > 0 {
			count[k]--
			continue
		}
		missing = append(missing, fmt.Sprintf("(spec line %d) %s", t.RowLines[i], rowString(r)))
	}
	var extra []string
	for _, r := range got {
		k := rowKey(r)
		if count[k] > 0 {
			count[k]--
			extra = append(extra, rowString(r))
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return nil
	}
	msg := fmt.Sprintf("expected %d rows, got %d (ignoring order)", len(exp), len(got))
	const show = 3
	if len(missing) > 0 {
		msg += fmt.Sprintf("\n%d expected rows missing, first: %s", len(missing), strings.Join(missing[:min(show, len(missing))], "; "))
	}
	if len(extra) > 0 {
		msg += fmt.Sprintf("\n%d unexpected rows, first: %s", len(extra), strings.Join(extra[:min(show, len(extra))], "; "))
	}
	return fmt.Errorf("%s", msg)
}

// escapeWarning escapes a warning the way an HTTP Warning header carries it
// (backslash and double quote escaped), which is how csv-spec files write
// expected warnings.
func escapeWarning(s string) string {
	if !strings.ContainsAny(s, `"\`) {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

// CompareWarnings checks the engine's warnings as Elasticsearch's spec tests
// do (AssertWarnings): `warning:` lines must equal the produced warnings
// exactly, as a set; `warningRegex:` lines are an allowlist, each produced
// warning matching one of them somewhere (they may match nothing); with
// neither, no warning is allowed. Elasticsearch de-duplicates identical
// Warning headers, so produced warnings are too.
func CompareWarnings(t *Test, warnings []string) error {
	got := slices.Clone(warnings)
	slices.Sort(got)
	got = slices.Compact(got)
	var missing, extra []string
	if len(t.WarningRegexes) > 0 {
		res := make([]*regexp.Regexp, len(t.WarningRegexes))
		for i, rx := range t.WarningRegexes {
			re, err := compileJavaRegex(rx)
			if err != nil {
				return fmt.Errorf("warningRegex %q: %v", rx, err)
			}
			res[i] = re
		}
		for _, g := range got {
			if !slices.ContainsFunc(res, func(re *regexp.Regexp) bool {
				return re.MatchString(escapeWarning(g)) || re.MatchString(g)
			}) {
				extra = append(extra, g)
			}
		}
	} else {
		used := make([]bool, len(got))
		for _, w := range t.Warnings {
			i := slices.IndexFunc(got, func(g string) bool { return g == w || escapeWarning(g) == w })
			if i < 0 || used[i] {
				missing = append(missing, w)
				continue
			}
			used[i] = true
		}
		for i, g := range got {
			if !used[i] {
				extra = append(extra, g)
			}
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("warnings differ")
	for _, m := range missing {
		b.WriteString("\nmissing warning: " + m)
	}
	for _, e := range extra {
		b.WriteString("\nunexpected warning: " + e)
	}
	return fmt.Errorf("%s", b.String())
}

// compileJavaRegex compiles a Java regex with Go's RE2 syntax, which agrees
// on everything the spec files use (escapes, classes, \Q..\E). Java-only
// constructs (look-around, possessive quantifiers) fail to compile and the
// test then fails with that reason.
func compileJavaRegex(rx string) (*regexp.Regexp, error) {
	return regexp.Compile(rx)
}
