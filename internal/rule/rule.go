// Package rule owns detection rules as files: Elastic's detection-rules TOML
// format (the [metadata] and [rule] tables, threat mappings, investigation
// guides), Elastic's defaults for missing keys, validation with file:line
// positions, the rules built into the binary, and conversion to and from
// Kibana's rule JSON (kibana.go). It does not run queries;
// it hands the query text and schedule to the engine.
package rule

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"vigil/internal/kql"
	"vigil/internal/querydsl"
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

	// Kibana rule parameters Vigil does not act on but carries into alerts
	// (kibana.alert.rule.* and kibana.alert.rule.parameters), as the rule
	// file gives them.
	ExceptionsList      []map[string]any
	RiskScoreMapping    []map[string]any
	SeverityMapping     []map[string]any
	RelatedIntegrations []map[string]any
	RequiredFields      []map[string]any
	BuildingBlockType   string
	RuleNameOverride    string
	Namespace           string
	TimelineID          string
	TimelineTitle       string
	Meta                map[string]any
	InvestigationFields map[string]any
	AlertSuppression    map[string]any
	// Suppression is AlertSuppression parsed; nil when the rule has none.
	Suppression *Suppression
	// Filters are rule.filters as the file gives them (carried into
	// alerts); Filter is them read as KQL (querydsl.Filters): Kibana ANDs
	// them with the query of query, threshold, new_terms and EQL rules.
	// Filter is nil when no filter is active.
	Filters any
	Filter  kql.Node

	// Type-specific parameters: set for threshold and new_terms rules.
	Threshold *Threshold
	NewTerms  *NewTerms

	Path     string   // file the rule came from ("builtin:…" for embedded rules)
	Warnings []*Error // keys outside the detection-rules schema (ignored)
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

// Threshold is a threshold rule's [rule.threshold] table (Kibana's
// threshold parameter): the query's matches are bucketed by Fields (none:
// one bucket) and a bucket alerts when it holds at least Value documents
// and, for each Cardinality entry, at least its Value distinct values of
// its Field.
type Threshold struct {
	Fields      []string
	Value       int
	Cardinality []Cardinality
}

// Cardinality is one threshold.cardinality condition.
type Cardinality struct {
	Field string `toml:"field" json:"field"`
	Value int    `toml:"value" json:"value"`
}

// NewTerms is a new_terms rule's parameters: Fields (1 to 3) whose value
// combination must not have been seen since HistoryWindowStart (Kibana date
// math, e.g. now-7d; History is how far back from the run it reaches).
type NewTerms struct {
	Fields             []string
	HistoryWindowStart string
	History            time.Duration
}

// thresholdTable and newTermsTable mirror the TOML layout of those tables.
type thresholdTable struct {
	Field       stringOrList  `toml:"field"`
	Value       *int          `toml:"value"`
	Cardinality []Cardinality `toml:"cardinality"`
}

type newTermsTable struct {
	Field              string   `toml:"field"` // "new_terms_fields"
	Value              []string `toml:"value"`
	HistoryWindowStart []struct {
		Field string `toml:"field"` // "history_window_start"
		Value string `toml:"value"`
	} `toml:"history_window_start"`
}

// stringOrList takes a string or an array of strings (threshold.field is
// either in Kibana's schema).
type stringOrList []string

func (s *stringOrList) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case string:
		*s = []string{x}
	case []any:
		for _, e := range x {
			str, ok := e.(string)
			if !ok {
				return fmt.Errorf("want strings")
			}
			*s = append(*s, str)
		}
	default:
		return fmt.Errorf("want a string or an array of strings")
	}
	return nil
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
		TimestampOverride string          `toml:"timestamp_override"`
		Threshold         *thresholdTable `toml:"threshold"`
		NewTerms          *newTermsTable  `toml:"new_terms"`
		Type              string          `toml:"type"`
		Version           *int            `toml:"version"`

		ExceptionsList      []map[string]any `toml:"exceptions_list"`
		RiskScoreMapping    []map[string]any `toml:"risk_score_mapping"`
		SeverityMapping     []map[string]any `toml:"severity_mapping"`
		RelatedIntegrations []map[string]any `toml:"related_integrations"`
		RequiredFields      []map[string]any `toml:"required_fields"`
		BuildingBlockType   string           `toml:"building_block_type"`
		RuleNameOverride    string           `toml:"rule_name_override"`
		Namespace           string           `toml:"namespace"`
		TimelineID          string           `toml:"timeline_id"`
		TimelineTitle       string           `toml:"timeline_title"`
		Meta                map[string]any   `toml:"meta"`
		InvestigationFields map[string]any   `toml:"investigation_fields"`
		AlertSuppression    map[string]any   `toml:"alert_suppression"`
		Filters             any              `toml:"filters"`
	} `toml:"rule"`
}

// Error is a rule-file problem with its position (Line 0 when the whole file is at fault).
type Error struct {
	Path      string
	Line, Col int
	Msg       string
	Kind      error // what errors.Is matches, e.g. ErrUnsupportedType; nil for plain problems
}

func (e *Error) Unwrap() error { return e.Kind }

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

// Parse reads one detection-rules TOML file; path is used in errors only.
// It checks the whole file and reports every problem, each an *Error in
// file order, joined (errors.Join). The rule is nil only when the file is
// not TOML; otherwise it holds what could be read, so a validator can still
// compile its query, but a rule returned with an error must not run. A rule
// of a type Vigil cannot run is returned with an error wrapping
// ErrUnsupportedType. Keys outside the schema are not errors: they are
// listed in Rule.Warnings.
func Parse(data []byte, path string) (*Rule, error) {
	var raw struct {
		Metadata map[string]toml.Primitive `toml:"metadata"`
		Rule     map[string]toml.Primitive `toml:"rule"`
	}
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &Error{Path: path, Line: pe.Position.Line, Col: pe.Position.Col, Msg: pe.Message}
		}
		return nil, &Error{Path: path, Msg: err.Error()}
	}
	p := &problems{path: path, ix: indexKeys(data)}
	var f file
	targets := f.keys()
	for _, k := range md.Keys() {
		if len(k) == 1 && !knownTables[k[0]] {
			p.warnf(k[0], "unknown key %s (not in the detection-rules schema; ignored)", k[0])
		}
	}
	if !md.IsDefined("rule") {
		p.errorf("", "missing required table [rule]")
	}
	for _, table := range []string{"metadata", "rule"} {
		prims := raw.Metadata
		if table == "rule" {
			prims = raw.Rule
		}
		for key, prim := range prims {
			full := table + "." + key
			target, used := targets[table][key]
			if !used {
				target = ignoredKeys[table][key]
			}
			if target == nil {
				p.warnf(full, "unknown key %s (not in the detection-rules schema; ignored)", full)
				continue
			}
			if target == tAny {
				continue
			}
			if !used {
				target = reflect.New(reflect.TypeOf(target).Elem()).Interface() // a scratch value to type-check
			}
			if err := md.PrimitiveDecode(prim, target); err != nil {
				p.errorf(full, "%s must be %s, not %s", full, kindOf(target), tomlKind(md.Type(table, key)))
			}
		}
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
		ExceptionsList: r.ExceptionsList, RiskScoreMapping: r.RiskScoreMapping, SeverityMapping: r.SeverityMapping,
		RelatedIntegrations: r.RelatedIntegrations, RequiredFields: r.RequiredFields,
		BuildingBlockType: r.BuildingBlockType, RuleNameOverride: r.RuleNameOverride, Namespace: r.Namespace,
		TimelineID: r.TimelineID, TimelineTitle: r.TimelineTitle, Meta: r.Meta,
		InvestigationFields: r.InvestigationFields, AlertSuppression: r.AlertSuppression,
	}
	out.Suppression = parseSuppression(r.AlertSuppression, p)
	out.Filters = r.Filters
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
	if md.IsDefined("rule") {
		for _, req := range []struct{ key, val string }{
			{"rule_id", r.RuleID}, {"name", r.Name}, {"type", r.Type}, {"severity", r.Severity}, {"risk_score", "n"},
		} {
			if !md.IsDefined("rule", req.key) || (md.Type("rule", req.key) == "String" && strings.TrimSpace(req.val) == "") {
				p.errorf("rule", "missing required key rule.%s", req.key)
			}
		}
	}
	if r.Severity != "" && !severities[r.Severity] {
		p.errorf("rule.severity", "severity %q is not one of low, medium, high, critical", r.Severity)
	}
	if r.RiskScore != nil {
		out.RiskScore = *r.RiskScore
		if *r.RiskScore < 0 || *r.RiskScore > 100 {
			p.errorf("rule.risk_score", "risk_score %d is outside 0..100", *r.RiskScore)
		}
	}
	out.Version = DefaultVersion
	if r.Version != nil {
		out.Version = *r.Version
	}
	out.MaxSignals = DefaultMaxSignals
	if r.MaxSignals != nil {
		out.MaxSignals = *r.MaxSignals
		if *r.MaxSignals < 1 {
			p.errorf("rule.max_signals", "max_signals must be at least 1")
		}
	}
	out.Interval = DefaultInterval
	if r.Interval != "" {
		if d, err := ParseInterval(r.Interval); err != nil {
			p.errorf("rule.interval", "%v", err)
		} else {
			out.Interval = d
		}
	}
	if out.From == "" {
		out.From = DefaultFrom
	}
	if lb, err := ParseFrom(out.From); err != nil {
		p.errorf("rule.from", "%v", err)
	} else {
		out.Lookback = lb
	}
	unsupported := ""
	switch out.Type {
	case "esql":
		if strings.TrimSpace(out.Query) == "" {
			p.errorf("rule", "an esql rule needs rule.query")
		}
		out.QueryLine = p.ix.valueLine("rule.query")
	case "eql":
		if strings.TrimSpace(out.Query) == "" {
			p.errorf("rule", "an eql rule needs rule.query")
		}
		if out.Language == "" {
			out.Language = "eql"
		} else if out.Language != "eql" {
			p.errorf("rule.language", "language %q: an eql rule's language is eql", out.Language)
		}
		out.QueryLine = p.ix.valueLine("rule.query")
		unsupported = p.filters(out, r.Filters)
	case "query", "threshold", "new_terms":
		unsupported = p.kqlRule(out, &f)
		if u := p.filters(out, r.Filters); unsupported == "" {
			unsupported = u
		}
	case "":
	default:
		unsupported = fmt.Sprintf("rule %q has type %q, which Vigil cannot run yet (esql, eql, query, threshold and new_terms rules run)", out.Name, out.Type)
	}
	out.Warnings = sortErrors(p.warnings)
	if len(p.errs) > 0 {
		var errs []error
		for _, e := range sortErrors(p.errs) {
			errs = append(errs, e)
		}
		return out, errors.Join(errs...)
	}
	if unsupported != "" {
		return out, &Error{Path: path, Line: p.ix.line("rule.type"), Kind: ErrUnsupportedType, Msg: unsupported}
	}
	return out, nil
}

// filters reads rule.filters into out.Filter. It returns why Vigil cannot
// run the rule ("" when it can): a filter clause with no KQL reading, as
// ignoring it would widen the rule. Malformed filters are problems.
func (p *problems) filters(out *Rule, v any) (unsupported string) {
	if v == nil {
		return ""
	}
	data, err := json.Marshal(v)
	if err != nil {
		p.errorf("rule.filters", "rule.filters: %v", err)
		return ""
	}
	out.Filter, err = querydsl.Filters(data)
	switch {
	case querydsl.IsUnsupported(err):
		return fmt.Sprintf("rule %q: %v (Kibana ANDs a rule's filters with its query; Vigil will not run it without them)", out.Name, err)
	case err != nil:
		p.errorf("rule.filters", "rule.%v", err)
	}
	return ""
}

// kqlRule checks a query, threshold or new_terms rule's query language and
// type parameters, filling out.Threshold / out.NewTerms. It returns why
// Vigil cannot run the rule ("" when it can): Lucene query_string rules.
func (p *problems) kqlRule(out *Rule, f *file) (unsupported string) {
	r := f.Rule
	out.QueryLine = p.ix.valueLine("rule.query")
	if out.Language == "" {
		out.Language = "kuery" // Kibana's default for these types
	}
	switch out.Language {
	case "kuery":
	case "lucene":
		unsupported = fmt.Sprintf("rule %q is written in Lucene query syntax (language = \"lucene\"), which Vigil cannot run yet (only kuery)", out.Name)
	default:
		p.errorf("rule.language", "language %q: a %s rule's language is kuery or lucene", out.Language, out.Type)
	}
	switch out.Type {
	case "threshold":
		if r.Threshold == nil {
			p.errorf("rule", "a threshold rule needs a [rule.threshold] table")
			break
		}
		th := &Threshold{Fields: r.Threshold.Field, Cardinality: r.Threshold.Cardinality}
		if r.Threshold.Value == nil || *r.Threshold.Value < 1 {
			p.errorf("rule.threshold", "threshold.value must be an integer of at least 1")
		} else {
			th.Value = *r.Threshold.Value
		}
		if len(th.Fields) > 5 { // Kibana's schema allows up to 5 (the UI, 3)
			p.errorf("rule.threshold", "threshold.field has %d fields; at most 5", len(th.Fields))
		}
		for _, c := range th.Cardinality {
			if c.Field == "" || c.Value < 1 {
				p.errorf("rule.threshold", "threshold.cardinality needs a field and a value of at least 1")
			}
		}
		out.Threshold = th
	case "new_terms":
		nt := r.NewTerms
		if nt == nil {
			p.errorf("rule", "a new_terms rule needs a [rule.new_terms] table")
			break
		}
		t := &NewTerms{Fields: nt.Value}
		if nt.Field != "new_terms_fields" {
			p.errorf("rule.new_terms", "new_terms.field must be \"new_terms_fields\", not %q", nt.Field)
		}
		if len(t.Fields) < 1 || len(t.Fields) > 3 {
			p.errorf("rule.new_terms", "new_terms.value must name 1 to 3 fields, not %d", len(t.Fields))
		}
		for _, h := range nt.HistoryWindowStart {
			if h.Field == "history_window_start" {
				t.HistoryWindowStart = h.Value
			}
		}
		if t.HistoryWindowStart == "" {
			p.errorf("rule.new_terms", "new_terms needs a history_window_start entry (e.g. now-7d)")
		} else if d, err := ParseFrom(t.HistoryWindowStart); err != nil {
			p.errorf("rule.new_terms", "history_window_start: %v", err)
		} else {
			t.History = d
		}
		out.NewTerms = t
	}
	if strings.TrimSpace(out.Query) == "" && out.Type != "threshold" {
		p.errorf("rule", "a %s rule needs rule.query", out.Type)
	}
	return unsupported
}

// Prebuilt reports whether Kibana would hold the rule as one of Elastic's
// prebuilt rules (immutable, rule_source external): the rules built into
// Vigil, and rule files authored by Elastic (every rule of Elastic's
// detection-rules repository has author ["Elastic"]; Kibana installs or
// imports those as prebuilt by rule_id).
func (r *Rule) Prebuilt() bool {
	return strings.HasPrefix(r.Path, "builtin:") || slices.Contains(r.Author, "Elastic")
}

// sortErrors orders problems by position (map iteration found them).
func sortErrors(errs []*Error) []*Error {
	sort.SliceStable(errs, func(i, j int) bool {
		if errs[i].Line != errs[j].Line {
			return errs[i].Line < errs[j].Line
		}
		return errs[i].Msg < errs[j].Msg
	})
	return errs
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

// LoadFile parses one rule file (see Parse).
func LoadFile(path string) (*Rule, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is the Error's
		}
		return nil, &Error{Path: path, Msg: err.Error()}
	}
	return Parse(data, path)
}

// LoadResult is what loading a set of paths produced.
type LoadResult struct {
	Rules   []*Rule
	Skipped []error // rules of unsupported types: reported, not fatal
	Invalid []error // files that are not valid rules (every problem, joined): reported and skipped
}

// Load reads rule files and directories (every *.toml below a directory).
// A file that is not a valid rule is reported in Invalid and skipped, as is
// a rule of an unsupported type (Skipped); only a path that cannot be
// listed fails the load.
func Load(paths ...string) (*LoadResult, error) {
	files, err := Files(paths...)
	if err != nil {
		return nil, err
	}
	res := &LoadResult{}
	for _, f := range files {
		r, err := LoadFile(f)
		switch {
		case errors.Is(err, ErrUnsupportedType):
			res.Skipped = append(res.Skipped, err)
		case err != nil:
			res.Invalid = append(res.Invalid, err)
		default:
			res.Rules = append(res.Rules, r)
		}
	}
	return res, nil
}

// Files lists the rule files paths name: files as given, directories
// searched recursively for *.toml (test files, *_test.toml, excepted), each
// directory's files in name order.
func Files(paths ...string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		var files []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(path, ".toml") && !IsTestFile(path) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		out = append(out, files...)
	}
	return out, nil
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
