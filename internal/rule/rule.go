// Package rule owns detection rules as files: Elastic's detection-rules TOML
// format (the [metadata] and [rule] tables, threat mappings, investigation
// guides), Elastic's defaults for missing keys, validation with file:line
// positions, and the rules built into the binary. It does not run queries;
// it hands the query text and schedule to the engine.
package rule

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Elastic's defaults for keys a rule file may omit (detection-rules schema and
// Kibana's rule defaults).
const (
	DefaultInterval   = 5 * time.Minute
	DefaultFrom       = "now-6m"
	DefaultMaxSignals = 100
	DefaultVersion    = 1
)

// Rule is one detection rule with everything an alert carries about it.
type Rule struct {
	RuleID      string
	Name        string
	Description string
	Type        string // esql, query (KQL), eql, threshold…
	Language    string
	Query       string
	QueryLine   int // file line of the query's first line (for positioned errors)
	Index       []string

	Severity       string
	RiskScore      int
	Tags           []string
	Author         []string
	License        string
	References     []string
	FalsePositives []string
	Note           string // investigation guide, markdown
	Setup          string
	Threat         []Threat
	Version        int
	From           string        // Kibana date math, e.g. "now-9m"
	Lookback       time.Duration // From resolved: how far before the run's time the range starts
	Interval       time.Duration
	MaxSignals     int
	TimestampField string // timestamp_override, empty = @timestamp
	Maturity       string
	CreationDate   string
	UpdatedDate    string
	Integration    []string

	Path string // file the rule came from ("builtin:…" for embedded rules)
}

// Threat is one MITRE ATT&CK mapping entry, in Kibana's shape.
type Threat struct {
	Framework string      `toml:"framework" json:"framework"`
	Tactic    ThreatRef   `toml:"tactic" json:"tactic"`
	Technique []Technique `toml:"technique" json:"technique,omitempty"`
}

// ThreatRef names a tactic, technique or subtechnique.
type ThreatRef struct {
	ID        string `toml:"id" json:"id"`
	Name      string `toml:"name" json:"name"`
	Reference string `toml:"reference" json:"reference"`
}

// Technique is an ATT&CK technique with its subtechniques.
type Technique struct {
	ThreatRef
	Subtechnique []ThreatRef `toml:"subtechnique" json:"subtechnique,omitempty"`
}

// file mirrors the detection-rules TOML layout.
type file struct {
	Metadata struct {
		CreationDate string   `toml:"creation_date"`
		UpdatedDate  string   `toml:"updated_date"`
		Maturity     string   `toml:"maturity"`
		Integration  []string `toml:"integration"`
	} `toml:"metadata"`
	Rule struct {
		Author         []string `toml:"author"`
		Description    string   `toml:"description"`
		FalsePositives []string `toml:"false_positives"`
		From           string   `toml:"from"`
		Index          []string `toml:"index"`
		Interval       string   `toml:"interval"`
		Language       string   `toml:"language"`
		License        string   `toml:"license"`
		MaxSignals     *int     `toml:"max_signals"`
		Name           string   `toml:"name"`
		Note           string   `toml:"note"`
		Query          string   `toml:"query"`
		References     []string `toml:"references"`
		RiskScore      *int     `toml:"risk_score"`
		RuleID         string   `toml:"rule_id"`
		Setup          string   `toml:"setup"`
		Severity       string   `toml:"severity"`
		Tags           []string `toml:"tags"`
		Threat         []struct {
			Framework string    `toml:"framework"`
			Tactic    ThreatRef `toml:"tactic"`
			Technique []struct {
				ID           string      `toml:"id"`
				Name         string      `toml:"name"`
				Reference    string      `toml:"reference"`
				Subtechnique []ThreatRef `toml:"subtechnique"`
			} `toml:"technique"`
		} `toml:"threat"`
		TimestampOverride string `toml:"timestamp_override"`
		Type              string `toml:"type"`
		Version           *int   `toml:"version"`
	} `toml:"rule"`
}

// Error is a rule-file problem with its position (Line 0 when the whole file is at fault).
type Error struct {
	Path      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return e.Path + ": " + e.Msg
}

// ErrUnsupportedType marks a rule whose type Vigil cannot run yet; loaders
// report and skip it rather than failing.
var ErrUnsupportedType = errors.New("unsupported rule type")

var severities = map[string]bool{"low": true, "medium": true, "high": true, "critical": true}

// Parse reads one detection-rules TOML file. path is used in errors only.
func Parse(data []byte, path string) (*Rule, error) {
	var f file
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &Error{Path: path, Line: pe.Position.Line, Col: pe.Position.Col, Msg: pe.Message}
		}
		return nil, &Error{Path: path, Msg: err.Error()}
	}
	if und := md.Undecoded(); len(und) > 0 {
		_ = und // unknown keys (alert suppression, required_fields, …) are kept by Elastic's tools; ignore them here
	}
	r := f.Rule
	out := &Rule{
		RuleID: r.RuleID, Name: r.Name, Description: strings.TrimSpace(r.Description),
		Type: r.Type, Language: r.Language, Query: r.Query, Index: r.Index,
		Severity: r.Severity, Tags: r.Tags, Author: r.Author, License: r.License,
		References: r.References, FalsePositives: r.FalsePositives, Note: r.Note, Setup: r.Setup,
		From: r.From, TimestampField: r.TimestampOverride,
		Maturity: f.Metadata.Maturity, CreationDate: f.Metadata.CreationDate,
		UpdatedDate: f.Metadata.UpdatedDate, Integration: f.Metadata.Integration, Path: path,
	}
	for _, t := range r.Threat {
		th := Threat{Framework: t.Framework, Tactic: t.Tactic}
		for _, tq := range t.Technique {
			th.Technique = append(th.Technique, Technique{
				ThreatRef:    ThreatRef{ID: tq.ID, Name: tq.Name, Reference: tq.Reference},
				Subtechnique: tq.Subtechnique,
			})
		}
		out.Threat = append(out.Threat, th)
	}
	fail := func(key, msg string) error {
		return &Error{Path: path, Line: keyLine(data, key), Msg: msg}
	}
	for _, req := range []struct{ key, val string }{
		{"rule_id", r.RuleID}, {"name", r.Name}, {"type", r.Type}, {"severity", r.Severity},
	} {
		if strings.TrimSpace(req.val) == "" {
			return nil, fail("rule", "missing required key rule."+req.key)
		}
	}
	if !severities[r.Severity] {
		return nil, fail("severity", fmt.Sprintf("severity %q is not one of low, medium, high, critical", r.Severity))
	}
	if r.RiskScore == nil {
		return nil, fail("rule", "missing required key rule.risk_score")
	}
	if *r.RiskScore < 0 || *r.RiskScore > 100 {
		return nil, fail("risk_score", fmt.Sprintf("risk_score %d is outside 0..100", *r.RiskScore))
	}
	out.RiskScore = *r.RiskScore
	out.Version = DefaultVersion
	if r.Version != nil {
		out.Version = *r.Version
	}
	out.MaxSignals = DefaultMaxSignals
	if r.MaxSignals != nil {
		if *r.MaxSignals < 1 {
			return nil, fail("max_signals", "max_signals must be at least 1")
		}
		out.MaxSignals = *r.MaxSignals
	}
	out.Interval = DefaultInterval
	if r.Interval != "" {
		d, err := ParseInterval(r.Interval)
		if err != nil {
			return nil, fail("interval", err.Error())
		}
		out.Interval = d
	}
	if out.From == "" {
		out.From = DefaultFrom
	}
	lb, err := ParseFrom(out.From)
	if err != nil {
		return nil, fail("from", err.Error())
	}
	out.Lookback = lb
	if out.Type == "esql" {
		if strings.TrimSpace(out.Query) == "" {
			return nil, fail("rule", "an esql rule needs rule.query")
		}
		out.QueryLine = queryLine(data)
	} else {
		return out, fmt.Errorf("%s: rule %q has type %q: %w (only esql rules run yet)", path, out.Name, out.Type, ErrUnsupportedType)
	}
	return out, nil
}

// ParseInterval reads Kibana's interval syntax: a positive integer and one of s, m, h, d.
func ParseInterval(s string) (time.Duration, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("interval %q: want a number and a unit (s, m, h, d)", s)
	}
	var n int64
	for _, c := range s[:len(s)-1] {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("interval %q: want a number and a unit (s, m, h, d)", s)
		}
		n = n*10 + int64(c-'0')
		if n > 1e9 {
			return 0, fmt.Errorf("interval %q is too large", s)
		}
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 || n == 0 {
		return 0, fmt.Errorf("interval %q: want a positive number and a unit (s, m, h, d)", s)
	}
	return time.Duration(n) * unit, nil
}

// ParseFrom reads a rule's look-back, Kibana date math of the form now-<n><unit>
// (units s, m, h, d), and returns how far back from the run it reaches.
func ParseFrom(s string) (time.Duration, error) {
	rest, ok := strings.CutPrefix(s, "now-")
	if !ok {
		if s == "now" {
			return 0, nil
		}
		return 0, fmt.Errorf("from %q: want date math like now-6m", s)
	}
	d, err := ParseInterval(rest)
	if err != nil {
		return 0, fmt.Errorf("from %q: %v", s, err)
	}
	return d, nil
}

// keyLine finds the line of `key =` (or a [key] table) in a TOML file, for
// errors about values the decoder accepted but validation did not.
func keyLine(data []byte, key string) int {
	for i, line := range bytes.Split(data, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if bytes.HasPrefix(t, []byte(key)) {
			rest := bytes.TrimSpace(t[len(key):])
			if bytes.HasPrefix(rest, []byte("=")) {
				return i + 1
			}
		}
		if string(t) == "["+key+"]" {
			return i + 1
		}
	}
	return 0
}

// queryLine returns the file line on which the query text's first line
// stands: TOML drops a newline right after the opening quotes.
func queryLine(data []byte) int {
	lines := bytes.Split(data, []byte("\n"))
	for i, line := range lines {
		t := bytes.TrimSpace(line)
		if !bytes.HasPrefix(t, []byte("query")) {
			continue
		}
		rest := bytes.TrimSpace(t[len("query"):])
		if !bytes.HasPrefix(rest, []byte("=")) {
			continue
		}
		rest = bytes.TrimSpace(rest[1:])
		for _, q := range []string{"'''", `"""`} {
			if bytes.Equal(rest, []byte(q)) {
				return i + 2
			}
		}
		return i + 1
	}
	return 0
}

// LoadFile parses one rule file.
func LoadFile(path string) (*Rule, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path)
}

// LoadResult is what loading a set of paths produced.
type LoadResult struct {
	Rules   []*Rule
	Skipped []error // rules of unsupported types: reported, not fatal
}

// Load reads rule files and directories (every *.toml below a directory).
// A malformed rule fails the load; a rule of an unsupported type is skipped.
func Load(paths ...string) (*LoadResult, error) {
	res := &LoadResult{}
	add := func(path string) error {
		r, err := LoadFile(path)
		switch {
		case errors.Is(err, ErrUnsupportedType):
			res.Skipped = append(res.Skipped, err)
		case err != nil:
			return err
		default:
			res.Rules = append(res.Rules, r)
		}
		return nil
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			if err := add(p); err != nil {
				return nil, err
			}
			continue
		}
		var files []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(path, ".toml") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		for _, f := range files {
			if err := add(f); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

// Select picks rules by rule_id, name (case-insensitive) or source path.
func Select(rules []*Rule, key string) []*Rule {
	var out []*Rule
	for _, r := range rules {
		if r.RuleID == key || strings.EqualFold(r.Name, key) || r.Path == key || filepath.Clean(r.Path) == filepath.Clean(key) {
			out = append(out, r)
		}
	}
	return out
}
