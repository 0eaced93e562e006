package ruletest

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"vigil/internal/doc"
	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/kql"
	"vigil/internal/rule"
)

// FileResult is the outcome of one test file.
type FileResult struct {
	Path  string
	Rule  string // the rule's name
	Cases []*CaseResult
}

// CaseResult is the outcome of one test: passed when Diff is empty.
type CaseResult struct {
	Name   string
	Line   int
	Alerts int      // alerts the rule raised
	Diff   []string // what differs from the expectation, one problem per entry
}

// Passed reports whether the test met its expectation.
func (c *CaseResult) Passed() bool { return len(c.Diff) == 0 }

// Run runs every test of f against its rule: read from a path relative to
// the test file when f.Rule ends in .toml, else found by rule_id or name
// among the rules beside the test file and the built-in rules. An error
// means the test file could not be run (a broken test, as opposed to a
// failing one).
func Run(f *File) (*FileResult, error) {
	r, err := resolveRule(f)
	if err != nil {
		return nil, err
	}
	cat := &engine.Catalog{}
	mapping := cat.DecoderMapping()
	// evaluate runs one test's events through the rule's engine path.
	var evaluate func(c *Case, lines [][]byte) ([]*engine.Alert, error)
	if r.Type == "eql" {
		er, err := engine.CompileEQL(r, cat)
		if err != nil {
			return nil, &Error{Path: f.Path, Msg: fmt.Sprintf("rule %q does not compile: %v", r.Name, err)}
		}
		evaluate = func(c *Case, lines [][]byte) ([]*engine.Alert, error) {
			if err := applyEQLExceptions(er, r, c.Exceptions, f.Now); err != nil {
				return nil, err
			}
			return huntEQL(er, mapping, f.Now, lines)
		}
	} else {
		cr, err := engine.Compile(r, cat, esql.Options{Now: f.Now})
		if err != nil {
			return nil, &Error{Path: f.Path, Msg: fmt.Sprintf("rule %q does not compile: %v", r.Name, err)}
		}
		evaluate = func(c *Case, lines [][]byte) ([]*engine.Alert, error) {
			if err := applyExceptions(cr, r, c.Exceptions, cat, f.Now); err != nil {
				return nil, err
			}
			return sweep(cr, mapping, f.Now, lines)
		}
	}
	out := &FileResult{Path: f.Path, Rule: r.Name}
	for _, c := range f.Tests {
		lines, err := eventLines(mapping, f.Now, c.Events)
		if err != nil {
			return nil, &Error{Path: f.Path, Line: c.Line, Msg: err.Error()}
		}
		alerts, err := evaluate(c, lines)
		if err != nil {
			return nil, &Error{Path: f.Path, Line: c.Line, Msg: err.Error()}
		}
		out.Cases = append(out.Cases, &CaseResult{Name: c.Name, Line: c.Line, Alerts: len(alerts), Diff: compare(c, alerts, f.Now)})
	}
	return out, nil
}

func resolveRule(f *File) (*rule.Rule, error) {
	if strings.HasSuffix(f.Rule, ".toml") {
		p := path.Join(path.Dir(f.Name), f.Rule)
		data, err := fs.ReadFile(f.FS, p)
		if err != nil {
			return nil, &Error{Path: f.Path, Msg: fmt.Sprintf("rule %s: %v", f.Rule, unwrapPath(err))}
		}
		return rule.Parse(data, path.Join(path.Dir(f.Path), f.Rule))
	}
	got := rule.Select(candidates(f), f.Rule)
	switch len(got) {
	case 0:
		return nil, &Error{Path: f.Path, Msg: fmt.Sprintf("no rule %q (looked among the built-in rules and those beside the test)", f.Rule)}
	case 1:
		return got[0], nil
	}
	return nil, &Error{Path: f.Path, Msg: fmt.Sprintf("%d rules match %q", len(got), f.Rule)}
}

// candidates are the rules in the test file's directory (files that are not
// valid rules are left to `vigil rules validate`), then the built-in rules
// none of those replaces.
func candidates(f *File) []*rule.Rule {
	var out []*rule.Rule
	ids := map[string]bool{}
	dir := path.Dir(f.Name)
	entries, _ := fs.ReadDir(f.FS, dir)
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".toml") || rule.IsTestFile(e.Name()) {
			continue
		}
		data, err := fs.ReadFile(f.FS, path.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		if r, err := rule.Parse(data, path.Join(path.Dir(f.Path), e.Name())); err == nil {
			out, ids[r.RuleID] = append(out, r), true
		}
	}
	for _, r := range rule.Builtin() {
		if !ids[r.RuleID] {
			out = append(out, r)
		}
	}
	return out
}

// eventLines are a test's events as input lines, date math expanded.
func eventLines(m *doc.Mapping, now time.Time, events []map[string]any) ([][]byte, error) {
	var out [][]byte
	for i, ev := range events {
		expanded, err := expandTimes(ev, "", m, now)
		if err != nil {
			return nil, fmt.Errorf("event %d: %v", i+1, err)
		}
		line, err := json.Marshal(expanded)
		if err != nil {
			return nil, fmt.Errorf("event %d: %v", i+1, err)
		}
		out = append(out, line)
	}
	return out, nil
}

// decode decodes the lines as `vigil hunt` does, passing each to push.
func decode(dec *doc.Decoder, lines [][]byte, push func(*doc.Document)) error {
	for i, line := range lines {
		d, err := dec.Decode(line)
		if err != nil {
			return fmt.Errorf("event %d: %v", i+1, err)
		}
		push(d)
	}
	return nil
}

// sweep runs an ES|QL rule over the lines as one query range. Events that
// name no index go to the rule.
func sweep(cr *engine.CompiledRule, m *doc.Mapping, now time.Time, lines [][]byte) ([]*engine.Alert, error) {
	dec := doc.NewDecoder(m, doc.DecodeOptions{Dynamic: true, AutoID: cr.Query.ReadsID()})
	sw := engine.NewSweep([]*engine.CompiledRule{cr})
	sw.UnindexedMatchAll = true
	if err := decode(dec, lines, sw.Push); err != nil {
		return nil, err
	}
	res, err := sw.Finish(now, "vigil-test")
	if err != nil {
		return nil, err
	}
	return res[0].Alerts, nil
}

// huntEQL runs an EQL rule over the lines as `vigil hunt` does
// (engine.EQLHunt, every line given its doc.AutoID), then merges each
// event's source into its alerts as hunt's FetchSources does. Events that
// name no index go to the rule.
func huntEQL(er *engine.EQLRule, m *doc.Mapping, now time.Time, lines [][]byte) ([]*engine.Alert, error) {
	dec := doc.NewDecoder(m, doc.DecodeOptions{Dynamic: true, AutoID: true})
	h := engine.NewEQLHunt([]*engine.EQLRule{er})
	h.UnindexedMatchAll = true
	if err := decode(dec, lines, h.Push); err != nil {
		return nil, err
	}
	alerts := h.Finish(now, "vigil-test")[0].Alerts
	byID := map[string][]byte{}
	for _, line := range lines {
		byID[doc.AutoID(line)] = line
	}
	for _, a := range alerts {
		line, ok := byID[a.SourceID()]
		if !ok {
			continue
		}
		var src map[string]any
		if err := json.Unmarshal(line, &src); err != nil {
			return nil, err
		}
		a.MergeSource(src, "")
	}
	return alerts, nil
}

// expandTimes replaces date math (now-2m) in the date-typed fields of an
// event, nested objects and arrays included, with RFC 3339 times.
func expandTimes(v any, field string, m *doc.Mapping, now time.Time) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			name := k
			if field != "" {
				name = field + "." + k
			}
			e, err := expandTimes(x, name, m, now)
			if err != nil {
				return nil, err
			}
			out[k] = e
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			e, err := expandTimes(x, field, m, now)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case string:
		if f, ok := m.Lookup(field); !ok || !f.Type.IsTemporal() || !strings.HasPrefix(v, "now") {
			return v, nil
		}
		t, err := DateMath(v, now)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", field, err)
		}
		return t.Format(time.RFC3339Nano), nil
	case time.Time: // a TOML datetime
		return v.UTC().Format(time.RFC3339Nano), nil
	}
	return v, nil
}

// DateMath evaluates Elasticsearch date math anchored on now: now, then
// +N<unit> and -N<unit> and /<unit> to round down (units y M w d h m s),
// e.g. now-2m, now-1h+30s, now/m.
func DateMath(s string, now time.Time) (time.Time, error) {
	t, ok := kql.DateMath(s, now)
	if !ok {
		return time.Time{}, fmt.Errorf("date math %q: want now, now-2m, now+1h, now-1d/d… (units y M w d h m s)", s)
	}
	return t, nil
}
