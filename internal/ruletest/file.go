// Package ruletest owns rule unit tests (`vigil test`): the test file format
// (TOML naming a rule, input events with relative times such as now-2m, and
// the alerts expected, optionally Kibana exception items the rule runs with
// and the value lists their list entries name), running a test through the
// engine's sweep (ES|QL rules) or EQL hunt (EQL rules) — the code paths of
// `vigil hunt`, exceptions attached as `hunt --exceptions` attaches them —
// with a fixed now, comparing the alerts raised with the ones expected, and
// reporting the difference. The format is documented in docs/rule-tests.md.
package ruletest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"vigil/internal/exception"
	"vigil/internal/rule"
)

// File is one parsed test file.
type File struct {
	Path  string // as reported (file:line positions)
	FS    fs.FS  // where the file, its events_file and rule paths are read
	Name  string // the file's path within FS
	Rule  string // rule_id, rule name, or a rule file's path relative to this file
	Now   time.Time
	Base  map[string]any // fields every event of every test starts from
	Tests []*Case
}

// Case is one [[tests]] entry.
type Case struct {
	Name   string
	Line   int
	Events []map[string]any // base fields applied, relative times not yet expanded
	Alerts *int             // total alerts expected; nil: exactly those of Expect
	Expect []*Expect
	// Exceptions are the file's and the test's exception items (nil: none).
	Exceptions *exception.Set
}

// Expect describes Count alerts that carry the given group and field values
// and lack the Absent fields.
type Expect struct {
	Line   int
	Count  int
	Group  map[string]any
	Fields map[string]any
	Absent []string
}

// Error is a problem with a test file, positioned when the line is known.
type Error struct {
	Path string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return e.Path + ": " + e.Msg
}

type rawFile struct {
	Rule  string         `toml:"rule"`
	Now   string         `toml:"now"`
	Base  map[string]any `toml:"base"`
	Tests []rawCase      `toml:"tests"`

	Exceptions     []any          `toml:"exceptions"`
	ExceptionsFile string         `toml:"exceptions_file"`
	ValueLists     map[string]any `toml:"value_lists"`
}

type rawCase struct {
	Name       string         `toml:"name"`
	Base       map[string]any `toml:"base"`
	Events     []any          `toml:"events"`
	EventsFile string         `toml:"events_file"`
	Alerts     *int           `toml:"alerts"`
	Expect     []rawExpect    `toml:"expect"`

	Exceptions     []any          `toml:"exceptions"`
	ExceptionsFile string         `toml:"exceptions_file"`
	ValueLists     map[string]any `toml:"value_lists"`
}

type rawExpect struct {
	Count  *int           `toml:"count"`
	Group  map[string]any `toml:"group"`
	Fields map[string]any `toml:"fields"`
	Absent []string       `toml:"absent"`
}

// unsetKey, in an event, lists base fields the event does not have.
const unsetKey = "_unset"

// Load reads and checks the test file name in fsys; display is the path
// errors and reports give it. Every problem is an *Error.
func Load(fsys fs.FS, name, display string) (*File, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, &Error{Path: display, Msg: unwrapPath(err).Error()}
	}
	var raw rawFile
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &Error{Path: display, Line: pe.Position.Line, Msg: pe.Message}
		}
		return nil, &Error{Path: display, Msg: err.Error()}
	}
	pos := indexLines(data)
	bad := func(line int, format string, args ...any) error {
		return &Error{Path: display, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	for _, k := range md.Undecoded() {
		if !structKey(k) {
			continue // inside an event, base, group or fields: free-form
		}
		last := k[len(k)-1]
		return nil, bad(pos.key(last), "unknown key %q", k.String())
	}
	f := &File{Path: display, FS: fsys, Name: name, Rule: raw.Rule, Base: raw.Base}
	if f.Rule == "" {
		return nil, bad(1, "missing key \"rule\" (a rule_id, rule name or rule file path)")
	}
	f.Now = time.Now().UTC()
	if raw.Now != "" {
		if f.Now, err = time.Parse(time.RFC3339Nano, raw.Now); err != nil {
			return nil, bad(pos.key("now"), "now %q: want an RFC 3339 time", raw.Now)
		}
		f.Now = f.Now.UTC()
	}
	if len(raw.Tests) == 0 {
		return nil, bad(1, "no [[tests]]")
	}
	for i, rc := range raw.Tests {
		c := &Case{Name: rc.Name, Line: pos.testLine(i), Alerts: rc.Alerts}
		if c.Name == "" {
			return nil, bad(c.Line, "test %d has no name", i+1)
		}
		if c.Alerts != nil && *c.Alerts < 0 {
			return nil, bad(c.Line, "alerts = %d: want 0 or more", *c.Alerts)
		}
		base := merge(f.Base, rc.Base)
		for j, e := range rc.Events {
			m, err := eventMap(e)
			if err != nil {
				return nil, bad(c.Line, "events[%d]: %v", j, err)
			}
			c.Events = append(c.Events, applyBase(base, m))
		}
		if rc.EventsFile != "" {
			evs, err := readEvents(fsys, path.Join(path.Dir(name), rc.EventsFile))
			if err != nil {
				return nil, bad(c.Line, "events_file: %v", err)
			}
			for _, m := range evs {
				c.Events = append(c.Events, applyBase(base, m))
			}
		}
		for j, re := range rc.Expect {
			line := c.Line
			if k := pos.expectIndex(i, j); k > 0 {
				line = k
			}
			e := &Expect{Line: line, Count: 1, Group: re.Group, Fields: re.Fields, Absent: re.Absent}
			if re.Count != nil {
				e.Count = *re.Count
			}
			if e.Count < 1 {
				return nil, bad(line, "count = %d: want 1 or more (use alerts = 0 for no alert)", e.Count)
			}
			if len(e.Group)+len(e.Fields)+len(e.Absent) == 0 && re.Count == nil {
				return nil, bad(line, "an expect needs count, group, fields or absent")
			}
			c.Expect = append(c.Expect, e)
		}
		inline := append(slices.Clip(raw.Exceptions), rc.Exceptions...)
		lists := merge(raw.ValueLists, rc.ValueLists)
		if c.Exceptions, err = loadExceptions(fsys, path.Dir(name), inline, []string{raw.ExceptionsFile, rc.ExceptionsFile}, lists); err != nil {
			return nil, bad(c.Line, "%v", err)
		}
		if c.Alerts == nil && len(c.Expect) == 0 {
			return nil, bad(c.Line, "test %q expects nothing: add [[tests.expect]] or alerts = 0", c.Name)
		}
		f.Tests = append(f.Tests, c)
	}
	return f, nil
}

// structKey reports whether k names a key of the format itself (top level,
// a [[tests]] key or a [[tests.expect]] key) rather than one inside a
// free-form table, which the decoder may also list as undecoded.
func structKey(k toml.Key) bool {
	switch len(k) {
	case 1:
		return true
	case 2:
		return k[0] == "tests"
	case 3:
		return k[0] == "tests" && k[1] == "expect"
	}
	return false
}

// eventMap reads one inline event: a TOML table or a JSON object string.
func eventMap(e any) (map[string]any, error) {
	switch e := e.(type) {
	case map[string]any:
		return e, nil
	case string:
		var m map[string]any
		if err := json.Unmarshal([]byte(e), &m); err != nil || m == nil {
			return nil, fmt.Errorf("not a JSON object: %v", err)
		}
		return m, nil
	}
	return nil, fmt.Errorf("want a table or a JSON object string, got %T", e)
}

// readEvents reads an NDJSON file of events (blank lines skipped).
func readEvents(fsys fs.FS, name string) ([]map[string]any, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, unwrapPath(err)
	}
	var out []map[string]any
	for i, l := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil || m == nil {
			return nil, fmt.Errorf("%s:%d: not a JSON object", name, i+1)
		}
		out = append(out, m)
	}
	return out, nil
}

// merge returns a's keys overlaid with b's (neither is modified).
func merge(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// applyBase lays an event over the base fields, dropping its _unset ones.
func applyBase(base, ev map[string]any) map[string]any {
	out := merge(base, ev)
	if un, ok := ev[unsetKey].([]any); ok {
		for _, k := range un {
			if s, ok := k.(string); ok {
				delete(out, s)
			}
		}
	}
	delete(out, unsetKey)
	return out
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// lineIndex finds the lines of [[tests]] and [[tests.expect]] headers and
// of keys, for positioned errors.
type lineIndex struct {
	lines  []string
	tests  []int   // line of each [[tests]]
	expect [][]int // per test, line of each [[tests.expect]]
}

func indexLines(data []byte) *lineIndex {
	ix := &lineIndex{lines: strings.Split(string(data), "\n")}
	for i, l := range ix.lines {
		switch strings.TrimSpace(strings.SplitN(l, "#", 2)[0]) {
		case "[[tests]]":
			ix.tests = append(ix.tests, i+1)
			ix.expect = append(ix.expect, nil)
		case "[[tests.expect]]":
			if n := len(ix.expect); n > 0 {
				ix.expect[n-1] = append(ix.expect[n-1], i+1)
			}
		}
	}
	return ix
}

// testLine returns the line of the i-th [[tests]] header, 1 when the tests
// are written as an inline array.
func (ix *lineIndex) testLine(i int) int {
	if i < len(ix.tests) {
		return ix.tests[i]
	}
	return 1
}

// expectIndex returns the line of a test's j-th [[tests.expect]], 0 if none.
func (ix *lineIndex) expectIndex(test, j int) int {
	if test < len(ix.expect) && j < len(ix.expect[test]) {
		return ix.expect[test][j]
	}
	return 0
}

// key returns the first line that assigns key, 0 when none does.
func (ix *lineIndex) key(key string) int {
	for i, l := range ix.lines {
		t := strings.TrimLeft(strings.TrimSpace(l), `"'{ `)
		if rest, ok := strings.CutPrefix(t, key); ok {
			rest = strings.TrimLeft(rest, `"' `)
			if strings.HasPrefix(rest, "=") {
				return i + 1
			}
		}
	}
	return 0
}

// TestFiles lists the test files (*_test.toml) under root in fsys, sorted.
func TestFiles(fsys fs.FS, root string) ([]string, error) {
	var out []string
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && rule.IsTestFile(p) {
			out = append(out, p)
		}
		return err
	})
	return out, err
}
