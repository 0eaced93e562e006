// Package csvspec owns Vigil's ES|QL conformance runner: it parses
// Elasticsearch's csv-spec test files, loads their CSV data sets (with the
// mappings beside them) into doc.Documents the way Elasticsearch indexes them,
// serves them through an esql.Catalog, runs every test query through the
// engine and compares columns, rows and warnings with the expected table.
//
// Conformance cannot regress silently: the tests of the shared suite and of
// the documentation examples (testdata/docs-examples.csv-spec) that do not
// pass are listed, with their reasons, in testdata/known-failures.txt (Known),
// and `go test` fails when a run differs from the list in either direction
// (a new failure or skip, a listed test that passes or is gone). The
// -update-known test flag regenerates it after an intended change.
//
// The format is the one Elasticsearch's own spec reader accepts (see
// ../shared/conformance/README.md); where the README is silent the behaviour
// follows Elasticsearch's test utilities (CsvTestUtils: type aliases, skip
// version ranges, cell parsing), read for semantics only.
package csvspec

import (
	"fmt"
	"strings"
)

// Test is one csv-spec test as written in its file.
type Test struct {
	File string // path of the spec file, as given to the parser
	Line int    // line of the test's name
	Name string

	// Instructions are the key:value pairs after '#' on the name line,
	// e.g. {"skip": "-8.12.99", "reason": "..."}.
	Instructions map[string]string
	Ignored      bool // the name ends in "-Ignore"

	Headers      []Header // `word: value` lines before the query
	Capabilities []string // the values of required_capability headers

	Query     string // lines joined by '\n', without the closing ';'
	QueryLine int    // line the query starts on

	Warnings       []string // expected warnings, escaped as in a Warning header
	WarningRegexes []string // Java regexes, each matching some warning anywhere
	IgnoreOrder    bool

	Columns   []Column // expected header
	Rows      [][]Cell // expected rows
	RowLines  []int    // line of each expected row
	TableLine int      // line of the expected header
}

// Header is one `word: value` line before the query.
type Header struct {
	Key, Value string
	Line       int
}

// Column is one expected result column: its name and type as written
// (`name:type`, type possibly a short form such as `i` or `k`).
type Column struct {
	Name, Type string
}

// Cell is one expected value: null, or one or more raw strings (two or more
// make a multi-value). An empty cell is the empty string, not null.
type Cell struct {
	Null bool
	Vals []string
}

// SpecError is a malformed spec file, positioned file:line:col.
type SpecError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *SpecError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

type specState uint8

const (
	wantName specState = iota
	wantQuery
	wantTable
	wantRows
)

// ParseSpec parses a whole csv-spec file. file only labels positions.
func ParseSpec(file string, src []byte) ([]*Test, error) {
	p := specParser{file: file}
	return p.parse(string(src))
}

type specParser struct {
	file  string
	tests []*Test
	cur   *Test
	query []string
}

func (p *specParser) errf(line, col int, format string, args ...any) error {
	return &SpecError{File: p.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

func (p *specParser) parse(src string) ([]*Test, error) {
	state := wantName
	lineNo, last := 0, 1
	for _, raw := range strings.Split(src, "\n") {
		lineNo++
		line, col := trimLine(raw)
		// Elasticsearch's reader skips blank and comment lines everywhere.
		if line == "" || strings.HasPrefix(line, "//") || strings.HasPrefix(line, "#") {
			continue
		}
		last = lineNo
		var err error
		switch state {
		case wantName:
			err = p.name(line, lineNo, col)
			state = wantQuery
		case wantQuery:
			var done bool
			done, err = p.queryLine(line, lineNo, col)
			if done {
				state = wantTable
			}
		case wantTable:
			if strings.HasPrefix(line, ";") { // a test without a result table
				p.finish()
				state = wantName
				break
			}
			var table bool
			table, err = p.afterQuery(line, lineNo, col)
			if table {
				state = wantRows
			}
		case wantRows:
			if strings.HasPrefix(line, ";") {
				p.finish()
				state = wantName
				break
			}
			err = p.row(line, lineNo, col)
		}
		if err != nil {
			return nil, err
		}
	}
	switch state {
	case wantQuery:
		return nil, p.errf(last, 1, "test [%s] (line %d): end of file before the query's closing ';'", p.cur.Name, p.cur.Line)
	case wantTable, wantRows:
		return nil, p.errf(last, 1, "test [%s] (line %d): end of file before the result's closing ';'", p.cur.Name, p.cur.Line)
	}
	return p.tests, nil
}

// trimLine trims like Java's String.trim and returns the 1-based column of
// the first kept byte.
func trimLine(raw string) (string, int) {
	start := 0
	for start < len(raw) && raw[start] <= ' ' {
		start++
	}
	end := len(raw)
	for end > start && raw[end-1] <= ' ' {
		end--
	}
	return raw[start:end], start + 1
}

func (p *specParser) name(line string, lineNo, col int) error {
	t := &Test{File: p.file, Line: lineNo}
	name, instr, hasInstr := strings.Cut(line, "#")
	t.Name = strings.TrimSpace(name)
	if t.Name == "" {
		return p.errf(lineNo, col, "expected a test name, found %q", line)
	}
	if hasInstr {
		m, err := parseInstructions(instr)
		if err != nil {
			return p.errf(lineNo, col+len(name)+1, "%v", err)
		}
		t.Instructions = m
	}
	t.Ignored = strings.HasSuffix(t.Name, "-Ignore")
	p.cur = t
	p.query = p.query[:0]
	return nil
}

// parseInstructions reads "[k1:v1,k2:v2]" (text outside the brackets is ignored).
func parseInstructions(s string) (map[string]string, error) {
	open := strings.IndexByte(s, '[')
	if open < 0 {
		return nil, nil
	}
	closing := strings.IndexByte(s[open:], ']')
	if closing < 0 {
		return nil, fmt.Errorf("instruction %q has no closing ']'", s)
	}
	m := map[string]string{}
	for _, kv := range strings.Split(s[open+1:open+closing], ",") {
		k, v, ok := strings.Cut(kv, ":")
		if !ok {
			return nil, fmt.Errorf("expected instruction in [k1:v1,k2:v2] format; got %q", kv)
		}
		m[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return m, nil
}

// isHeaderLine reports whether a line before the query is a `word: value`
// setting (required_capability:, skip_flattened_rewrite:, ...).
func isHeaderLine(line string) bool {
	i := 0
	for i < len(line) {
		c := line[i]
		if c == '_' || c == '-' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9' {
			i++
			continue
		}
		break
	}
	return i > 0 && i < len(line) && line[i] == ':' && (i+1 == len(line) || line[i+1] != ':')
}

func (p *specParser) queryLine(line string, lineNo, col int) (bool, error) {
	t := p.cur
	if len(p.query) == 0 && isHeaderLine(line) {
		k, v, _ := strings.Cut(line, ":")
		h := Header{Key: strings.TrimSpace(k), Value: strings.TrimSpace(v), Line: lineNo}
		t.Headers = append(t.Headers, h)
		if h.Key == "required_capability" {
			if h.Value == "" {
				return false, p.errf(lineNo, col, "required_capability without a name")
			}
			t.Capabilities = append(t.Capabilities, h.Value)
		}
		return false, nil
	}
	if len(p.query) == 0 {
		t.QueryLine = lineNo
	}
	if strings.HasSuffix(line, ";") {
		p.query = append(p.query, line[:len(line)-1])
		t.Query = strings.TrimSpace(strings.Join(p.query, "\n"))
		if t.Query == "" {
			return false, p.errf(lineNo, col, "test [%s] has an empty query", t.Name)
		}
		return true, nil
	}
	p.query = append(p.query, line)
	return false, nil
}

// afterQuery handles the lines between the query and the table: warnings,
// ignoreOrder, then the table header (reported by returning true).
func (p *specParser) afterQuery(line string, lineNo, col int) (bool, error) {
	t := p.cur
	lower := strings.ToLower(line)
	switch {
	case strings.HasPrefix(lower, "warning:"):
		if len(t.WarningRegexes) > 0 {
			return false, p.errf(lineNo, col, "cannot mix warnings and regex warnings in one test")
		}
		t.Warnings = append(t.Warnings, strings.TrimSpace(line[len("warning:"):]))
		return false, nil
	case strings.HasPrefix(lower, "warningregex:"):
		if len(t.Warnings) > 0 {
			return false, p.errf(lineNo, col, "cannot mix warnings and regex warnings in one test")
		}
		t.WarningRegexes = append(t.WarningRegexes, strings.TrimSpace(line[len("warningregex:"):]))
		return false, nil
	case strings.HasPrefix(lower, "ignoreorder:"):
		v := strings.TrimSpace(line[len("ignoreorder:"):])
		switch strings.ToLower(v) {
		case "true":
			t.IgnoreOrder = true
		case "false":
			t.IgnoreOrder = false
		default:
			return false, p.errf(lineNo, col+len("ignoreOrder:"), "ignoreOrder must be true or false, found %q", v)
		}
		return false, nil
	}
	cols, err := p.tableHeader(line, lineNo, col)
	if err != nil {
		return false, err
	}
	t.Columns = cols
	t.TableLine = lineNo
	return true, nil
}

func (p *specParser) tableHeader(line string, lineNo, col int) ([]Column, error) {
	var cols []Column
	off := 0
	for _, part := range strings.Split(line, "|") {
		// "::" is a cast inside a column name, not the name:type separator.
		at := col + off + len(part) - len(strings.TrimLeft(part, " \t"))
		esc := strings.ReplaceAll(part, "::", "\x00\x00")
		name, typ, ok := strings.Cut(esc, ":")
		if !ok || strings.Contains(typ, ":") {
			return nil, p.errf(lineNo, at, "invalid table header column %q: want name:type", strings.TrimSpace(part))
		}
		name = strings.TrimSpace(strings.ReplaceAll(name, "\x00\x00", "::"))
		typ = strings.TrimSpace(strings.ReplaceAll(typ, "\x00\x00", "::"))
		if typ == "" {
			return nil, p.errf(lineNo, at, "a type is always expected in the table header; found %q", strings.TrimSpace(part))
		}
		cols = append(cols, Column{Name: name, Type: typ})
		off += len(part) + 1
	}
	return cols, nil
}

func (p *specParser) row(line string, lineNo, col int) error {
	cells, err := splitRow(line)
	if err != nil {
		return p.errf(lineNo, col, "%v", err)
	}
	row := make([]Cell, len(cells))
	for i, c := range cells {
		row[i], err = parseCell(c)
		if err != nil {
			return p.errf(lineNo, col, "%v", err)
		}
	}
	p.cur.Rows = append(p.cur.Rows, row)
	p.cur.RowLines = append(p.cur.RowLines, lineNo)
	return nil
}

// splitRow splits a table row on '|', honouring double-quoted cells ("a|b",
// with "" for a quote) as the CSV reader Elasticsearch uses does.
func splitRow(line string) ([]string, error) {
	var cells []string
	var b strings.Builder
	i := 0
	for {
		// skip leading blanks of the cell to see whether it is quoted
		j := i
		for j < len(line) && (line[j] == ' ' || line[j] == '\t') {
			j++
		}
		if j < len(line) && line[j] == '"' {
			b.Reset()
			k := j + 1
			closed := false
			for k < len(line) {
				if line[k] == '"' {
					if k+1 < len(line) && line[k+1] == '"' {
						b.WriteByte('"')
						k += 2
						continue
					}
					closed = true
					k++
					break
				}
				b.WriteByte(line[k])
				k++
			}
			if !closed {
				return nil, fmt.Errorf("unterminated quoted cell at column %d", j+1)
			}
			for k < len(line) && line[k] != '|' {
				if line[k] != ' ' && line[k] != '\t' {
					return nil, fmt.Errorf("unexpected %q after quoted cell at column %d", line[k], k+1)
				}
				k++
			}
			cells = append(cells, "\x00"+b.String()) // \x00 marks "quoted"
			if k >= len(line) {
				return cells, nil
			}
			i = k + 1
			continue
		}
		k := strings.IndexByte(line[i:], '|')
		if k < 0 {
			cells = append(cells, line[i:])
			return cells, nil
		}
		cells = append(cells, line[i:i+k])
		i += k + 1
	}
}

// parseCell turns one raw cell into a Cell: "null" (any case) is null,
// "[a, b]" a multi-value split on commas not escaped as "\,".
func parseCell(raw string) (Cell, error) {
	quoted := strings.HasPrefix(raw, "\x00")
	v := strings.TrimSpace(strings.TrimPrefix(raw, "\x00"))
	if quoted {
		// A quoted cell keeps its text; only the null check applies, as in ES.
		v = strings.TrimPrefix(raw, "\x00")
		if strings.EqualFold(strings.TrimSpace(v), "null") {
			return Cell{Null: true}, nil
		}
		return Cell{Vals: []string{v}}, nil
	}
	if strings.EqualFold(v, "null") {
		return Cell{Null: true}, nil
	}
	if strings.HasPrefix(v, "[") {
		if !strings.HasSuffix(v, "]") {
			return Cell{}, fmt.Errorf("incomplete multi-value %q: no closing ']'", v)
		}
		parts := splitUnescapedCommas(v[1 : len(v)-1])
		if len(parts) == 1 {
			return Cell{Vals: []string{unquoteElem(strings.ReplaceAll(parts[0], `\,`, ","))}}, nil
		}
		vals := make([]string, len(parts))
		for i, s := range parts {
			vals[i] = unquoteElem(strings.ReplaceAll(strings.TrimSpace(s), `\,`, ","))
		}
		return Cell{Vals: vals}, nil
	}
	return Cell{Vals: []string{v}}, nil
}

// unquoteElem drops the double quotes of a multi-value element as the CSV
// tokenizer Elasticsearch reads spec rows with does: a '"' anywhere opens or
// closes a quoted run and "" inside one is a literal quote, so
// ["foo", "bar"] is [foo, bar] (string.csv-spec mvCount) and
// ["[a] [b]"] the one value [a] [b].
func unquoteElem(s string) string {
	if !strings.Contains(s, `"`) {
		return s
	}
	var b strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '"' {
			b.WriteByte(c)
			continue
		}
		if quoted && i+1 < len(s) && s[i+1] == '"' {
			b.WriteByte('"')
			i++
			continue
		}
		quoted = !quoted
	}
	return b.String()
}

// splitUnescapedCommas splits on ',' not preceded by '\', dropping trailing
// empty pieces as Java's String.split does.
func splitUnescapedCommas(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == ',' && (i == 0 || s[i-1] != '\\') {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	out = append(out, s[start:])
	for len(out) > 1 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

func (p *specParser) finish() {
	p.tests = append(p.tests, p.cur)
	p.cur = nil
}

// String renders a cell as the spec writes it.
func (c Cell) String() string {
	if c.Null {
		return "null"
	}
	if len(c.Vals) == 1 {
		return c.Vals[0]
	}
	return "[" + strings.Join(c.Vals, ", ") + "]"
}
