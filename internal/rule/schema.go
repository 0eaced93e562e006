package rule

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
)

// The detection-rules TOML schema as Vigil checks it: every key of the
// [metadata] and [rule] tables Elastic's detection-rules repository and
// Kibana's rule schema define, with the Go type its value must decode into.
// Keys Vigil reads decode into the file struct (see file.keys); the others
// (actions, threat_mapping, data_view_id…) are type-checked and
// ignored. A key outside the schema is a warning: newer detection-rules
// versions add keys, and Kibana ignores what it does not know.
var (
	tString  = new(string)
	tStrings = new([]string)
	tInt     = new(int)
	tBool    = new(bool)
	tTable   = new(map[string]any)
	tTables  = new([]map[string]any)
	tAny     = new(any)
)

// ignoredKeys are schema keys Vigil does not use.
var ignoredKeys = map[string]map[string]any{
	"metadata": {
		"bypass_bbr_timing": tBool, "comments": tString, "deprecation_date": tString,
		"deprecated_reason": tString, "min_stack_comments": tString, "min_stack_version": tString,
		"query_schema_validation": tBool,
	},
	"rule": {
		"actions": tTables, "anomaly_threshold": tInt, "concurrent_searches": tInt,
		"data_view_id": tString, "enabled": tBool, "event_category_override": tString,
		"items_per_search": tInt, "machine_learning_job_id": tAny,
		"output_index": tString, "saved_id": tString,
		"threat_filters": tAny, "threat_index": tStrings, "threat_indicator_path": tString,
		"threat_language": tString, "threat_mapping": tTables, "threat_query": tString,
		"throttle": tString, "tiebreaker_field": tString,
		"timestamp_override_fallback_disabled": tBool,
	},
}

// knownTables are the top-level tables of a rule file besides [metadata]
// and [rule]: [transform] holds investigation-guide plugins (osquery,
// investigate), which Vigil does not run.
var knownTables = map[string]bool{"metadata": true, "rule": true, "transform": true}

// keys maps each key Vigil reads to where it decodes.
func (f *file) keys() map[string]map[string]any {
	m, r := &f.Metadata, &f.Rule
	return map[string]map[string]any{
		"metadata": {
			"creation_date": &m.CreationDate, "updated_date": &m.UpdatedDate,
			"maturity": &m.Maturity, "integration": &m.Integration,
		},
		"rule": {
			"author": &r.Author, "description": &r.Description, "false_positives": &r.FalsePositives,
			"from": &r.From, "index": &r.Index, "interval": &r.Interval, "language": &r.Language,
			"license": &r.License, "max_signals": &r.MaxSignals, "name": &r.Name, "note": &r.Note,
			"query": &r.Query, "references": &r.References, "risk_score": &r.RiskScore,
			"rule_id": &r.RuleID, "setup": &r.Setup, "severity": &r.Severity, "tags": &r.Tags,
			"threat": &r.Threat, "timestamp_override": &r.TimestampOverride, "type": &r.Type,
			"version": &r.Version, "exceptions_list": &r.ExceptionsList,
			"risk_score_mapping": &r.RiskScoreMapping, "severity_mapping": &r.SeverityMapping,
			"related_integrations": &r.RelatedIntegrations, "required_fields": &r.RequiredFields,
			"building_block_type": &r.BuildingBlockType, "rule_name_override": &r.RuleNameOverride,
			"namespace": &r.Namespace, "timeline_id": &r.TimelineID, "timeline_title": &r.TimelineTitle,
			"meta": &r.Meta, "investigation_fields": &r.InvestigationFields,
			"alert_suppression": &r.AlertSuppression, "threshold": &r.Threshold,
			"new_terms": &r.NewTerms, "filters": &r.Filters,
		},
	}
}

// kindOf words a decode target's TOML type for messages.
func kindOf(target any) string {
	t := reflect.TypeOf(target).Elem()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "an integer"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return "an array of strings"
		}
		return "an array of tables"
	}
	return "a table"
}

// tomlKind words the TOML type the decoder reports (MetaData.Type).
func tomlKind(t string) string {
	switch t {
	case "String":
		return "a string"
	case "Integer":
		return "an integer"
	case "Float":
		return "a float"
	case "Bool":
		return "a boolean"
	case "Array":
		return "an array"
	case "Hash":
		return "a table"
	case "ArrayHash":
		return "an array of tables"
	case "Datetime", "DatetimeLocal", "DateLocal", "TimeLocal":
		return "a date-time"
	}
	return strings.ToLower(t)
}

// keyIndex finds keys' lines in a TOML file: table headers and `key =`
// lines, with multi-line strings (a rule's query and note) skipped, so that
// a `query =` inside [[transform.osquery]] is not taken for the rule's.
type keyIndex struct {
	lines map[string]int // "rule.query" → 1-based line of its first occurrence
	block map[string]bool
}

func indexKeys(data []byte) *keyIndex {
	ix := &keyIndex{lines: map[string]int{}, block: map[string]bool{}}
	table := ""
	var inString []byte // the delimiter of the multi-line string being skipped
	for i, line := range bytes.Split(data, []byte("\n")) {
		if inString != nil {
			if bytes.Contains(line, inString) {
				inString = nil
			}
			continue
		}
		t := bytes.TrimSpace(line)
		if bytes.HasPrefix(t, []byte("[")) {
			name, _, _ := bytes.Cut(t, []byte("]"))
			table = string(bytes.TrimSpace(bytes.TrimLeft(name, "[")))
			ix.note(table, i+1)
			continue
		}
		key, val, ok := bytes.Cut(t, []byte("="))
		if !ok || bytes.HasPrefix(t, []byte("#")) {
			continue
		}
		k := strings.Trim(string(bytes.TrimSpace(key)), `"'`)
		if table != "" {
			k = table + "." + k
		}
		ix.note(k, i+1)
		val = bytes.TrimSpace(val)
		for _, q := range [][]byte{[]byte("'''"), []byte(`"""`)} {
			if bytes.HasPrefix(val, q) && !bytes.Contains(val[3:], q) {
				inString = q
				if len(val) == 3 {
					ix.block[k] = true // the value starts on the next line
				}
			}
		}
	}
	return ix
}

func (ix *keyIndex) note(key string, line int) {
	if _, ok := ix.lines[key]; !ok {
		ix.lines[key] = line
	}
}

// line returns the line of a dotted key, else of its nearest enclosing
// table, else 0.
func (ix *keyIndex) line(key string) int {
	for {
		if n, ok := ix.lines[key]; ok {
			return n
		}
		i := strings.LastIndexByte(key, '.')
		if i < 0 {
			return 0
		}
		key = key[:i]
	}
}

// valueLine returns the line on which a key's string value starts: TOML
// drops a newline right after the opening quotes of a multi-line string.
func (ix *keyIndex) valueLine(key string) int {
	n, ok := ix.lines[key]
	if !ok {
		return 0
	}
	if ix.block[key] {
		return n + 1
	}
	return n
}

// problems collects a file's problems, positioned by key.
type problems struct {
	path     string
	ix       *keyIndex
	errs     []*Error
	warnings []*Error
}

func (p *problems) errorf(key, format string, args ...any) {
	p.errs = append(p.errs, &Error{Path: p.path, Line: p.ix.line(key), Msg: fmt.Sprintf(format, args...)})
}

func (p *problems) warnf(key, format string, args ...any) {
	p.warnings = append(p.warnings, &Error{Path: p.path, Line: p.ix.line(key), Msg: fmt.Sprintf(format, args...)})
}
