package engine

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"vigil/internal/rule"
)

// ruleFields writes the kibana.alert.rule.* fields of an alert as Kibana's
// build_alert.ts (buildAlertFields) and the alerting framework's common
// fields (category, producer, rule_type_id, revision) give them for each
// rule type. Optional rule parameters are written only when the rule has
// them, as Kibana leaves undefined values out.
func ruleFields(f map[string]any, r *rule.Rule, ex Execution) {
	f["kibana.alert.rule.uuid"] = ruleUUID(r)
	f["kibana.alert.rule.rule_id"] = r.RuleID
	f["kibana.alert.rule.name"] = r.Name
	f["kibana.alert.rule.description"] = r.Description
	f["kibana.alert.rule.severity"] = r.Severity
	f["kibana.alert.rule.risk_score"] = r.RiskScore
	f["kibana.alert.rule.severity_mapping"] = tables(r.SeverityMapping)
	f["kibana.alert.rule.risk_score_mapping"] = tables(r.RiskScoreMapping)
	f["kibana.alert.rule.exceptions_list"] = tables(r.ExceptionsList)
	f["kibana.alert.rule.tags"] = nonNil(r.Tags)
	f["kibana.alert.rule.threat"] = threats(r.Threat)
	f["kibana.alert.rule.from"] = r.From
	f["kibana.alert.rule.to"] = "now"
	f["kibana.alert.rule.interval"] = formatInterval(r.Interval)
	f["kibana.alert.rule.max_signals"] = r.MaxSignals
	f["kibana.alert.rule.version"] = r.Version
	f["kibana.alert.rule.revision"] = 0 // Kibana counts edits since install; Vigil's rules are as installed
	f["kibana.alert.rule.type"] = r.Type
	kt, ok := kibanaRuleTypes[r.Type]
	if !ok {
		kt = kibanaRuleTypes["esql"]
	}
	f["kibana.alert.rule.rule_type_id"] = kt.id
	f["kibana.alert.rule.category"] = kt.name
	f["kibana.alert.rule.producer"] = "siem"
	f["kibana.alert.rule.consumer"] = "siem"
	f["kibana.alert.rule.author"] = nonNil(r.Author)
	f["kibana.alert.rule.references"] = nonNil(r.References)
	f["kibana.alert.rule.false_positives"] = nonNil(r.FalsePositives)
	f["kibana.alert.rule.immutable"] = r.Prebuilt()
	f["kibana.alert.rule.enabled"] = true
	f["kibana.alert.rule.actions"] = []any{}
	f["kibana.alert.rule.indices"] = nonNil(ex.Indices)
	f["kibana.alert.rule.created_at"] = ruleDate(r.CreationDate, ex.Time)
	f["kibana.alert.rule.updated_at"] = ruleDate(r.UpdatedDate, ex.Time)
	f["kibana.alert.rule.created_by"] = ""
	f["kibana.alert.rule.updated_by"] = ""
	f["kibana.alert.rule.parameters"] = ruleParameters(r)
	optional := map[string]string{
		"kibana.alert.rule.license": r.License, "kibana.alert.rule.note": r.Note,
		"kibana.alert.rule.building_block_type": r.BuildingBlockType,
		"kibana.alert.building_block_type":      r.BuildingBlockType,
		"kibana.alert.rule.rule_name_override":  r.RuleNameOverride,
		"kibana.alert.rule.namespace":           r.Namespace,
		"kibana.alert.rule.timeline_id":         r.TimelineID,
		"kibana.alert.rule.timeline_title":      r.TimelineTitle,
		"kibana.alert.rule.timestamp_override":  r.TimestampField,
	}
	for k, v := range optional {
		if v != "" {
			f[k] = v
		}
	}
	flattenDoc(f, "kibana.alert.rule.meta", r.Meta)
}

// kibanaRuleTypes are the alerting framework's rule type id and name for
// each rule type (kbn-securitysolution-rules rule_type_constants.ts, and
// each type's create_*_alert_type.ts).
var kibanaRuleTypes = map[string]struct{ id, name string }{
	"esql":      {"siem.esqlRule", "ES|QL Rule"},
	"query":     {"siem.queryRule", "Custom Query Rule"},
	"threshold": {"siem.thresholdRule", "Threshold Rule"},
	"new_terms": {"siem.newTermsRule", "New Terms Rule"},
	"eql":       {"siem.eqlRule", "Event Correlation Rule"},
}

// ruleParameters is kibana.alert.rule.parameters: the rule's parameters in
// Kibana's snake_case API shape (commonParamsCamelToSnake plus the ES|QL
// type's own), output_index left out.
func ruleParameters(r *rule.Rule) map[string]any {
	source := map[string]any{"type": "internal"}
	if r.Prebuilt() {
		source = map[string]any{"type": "external", "is_customized": false}
	}
	p := map[string]any{
		"author": nonNil(r.Author), "description": r.Description, "exceptions_list": tables(r.ExceptionsList),
		"false_positives": nonNil(r.FalsePositives), "from": r.From, "immutable": r.Prebuilt(),
		"max_signals": r.MaxSignals, "references": nonNil(r.References),
		"related_integrations": tables(r.RelatedIntegrations), "required_fields": tables(r.RequiredFields),
		"risk_score": r.RiskScore, "risk_score_mapping": tables(r.RiskScoreMapping), "rule_id": r.RuleID,
		"rule_source": source, "setup": r.Setup, "severity": r.Severity,
		"severity_mapping": tables(r.SeverityMapping), "threat": threats(r.Threat), "to": "now",
		"version": r.Version, "type": r.Type, "language": "esql", "query": r.Query,
	}
	if r.Type != "esql" { // the KQL types and eql: their language and index patterns, and their own parameters
		p["language"], p["index"] = r.Language, nonNil(r.Index)
	}
	if t := r.Threshold; t != nil {
		card := []rule.Cardinality{}
		p["threshold"] = map[string]any{"field": nonNil(t.Fields), "value": t.Value, "cardinality": append(card, t.Cardinality...)}
	}
	if t := r.NewTerms; t != nil {
		p["new_terms_fields"], p["history_window_start"] = t.Fields, t.HistoryWindowStart
	}
	for k, v := range map[string]string{
		"license": r.License, "note": r.Note, "building_block_type": r.BuildingBlockType,
		"rule_name_override": r.RuleNameOverride, "namespace": r.Namespace, "timeline_id": r.TimelineID,
		"timeline_title": r.TimelineTitle, "timestamp_override": r.TimestampField,
	} {
		if v != "" {
			p[k] = v
		}
	}
	for k, v := range map[string]map[string]any{
		"meta": r.Meta, "investigation_fields": r.InvestigationFields, "alert_suppression": r.AlertSuppression,
	} {
		if v != nil {
			p[k] = v
		}
	}
	if r.Filters != nil {
		p["filters"] = r.Filters
	}
	return p
}

// ruleDate turns a detection-rules date ("2026/03/26") into the ISO time
// Kibana records for the rule's saved object; a rule without one was
// created by this run.
func ruleDate(d string, run time.Time) string {
	if t, err := time.Parse("2006/01/02", d); err == nil {
		return t.UTC().Format(alertTime)
	}
	return run.UTC().Format(alertTime)
}

func tables(t []map[string]any) []map[string]any {
	if t == nil {
		return []map[string]any{}
	}
	return t
}

func threats(t []rule.Threat) []rule.Threat {
	if t == nil {
		return []rule.Threat{}
	}
	return t
}

// firstSegment is a dotted name's top-level object.
func firstSegment(name string) string {
	top, _, _ := strings.Cut(name, ".")
	return top
}

// applyOverrides sets the alert's severity, risk score and rule name from
// its source fields where the rule maps them, then words its reason, as
// Kibana's transformHitToAlert does before building the alert
// (buildSeverityFromMapping, buildRiskScoreFromMapping,
// buildRuleNameFromMapping). The rule's own kibana.alert.rule.severity and
// risk_score stay as configured.
func (a *Alert) applyOverrides() {
	r, f := a.rule, a.Fields
	a.RuleName, a.Severity = r.Name, r.Severity
	var risk any = r.RiskScore
	if field, _ := mappingString(r.RiskScoreMapping, 0, "field"); field != "" {
		// The highest valid score (0 to 100, numbers or numeric strings) of the field.
		best := -1.0
		for _, v := range values(f[field]) {
			n, ok := number(v)
			if ok && n >= 0 && n <= 100 && n > best {
				best = n
			}
		}
		if best >= 0 {
			risk = best
		}
	}
	// Mappings in ascending severity; the last (highest) that matches wins.
	for _, sev := range []string{"low", "medium", "high", "critical"} {
		for i := range r.SeverityMapping {
			if s, _ := mappingString(r.SeverityMapping, i, "severity"); s != sev {
				continue
			}
			field, _ := mappingString(r.SeverityMapping, i, "field")
			want, _ := mappingString(r.SeverityMapping, i, "value")
			if severityMatches(field, want, f[field]) {
				a.Severity = sev
			}
		}
	}
	if r.RuleNameOverride != "" {
		if s, ok := f[r.RuleNameOverride].(string); ok && s != "" {
			a.RuleName = s
		}
	}
	f["kibana.alert.severity"] = a.Severity
	f["kibana.alert.risk_score"] = risk
	f["kibana.alert.rule.name"] = a.RuleName
	f["kibana.alert.reason"] = reason(a.RuleName, a.Severity, f)
	a.Host, _ = f["host.name"].(string)
}

// severityMatches compares a severity mapping's value with a field's
// values: as strings, except event.severity (ECS long), compared as an
// integer.
func severityMatches(field, want string, v any) bool {
	for _, e := range values(v) {
		n, isNum := e.(json.Number)
		switch x := e.(type) {
		case int64:
			isNum, n = true, json.Number(itoa(x))
		case string:
			if field != "event.severity" && x == want {
				return true
			}
		}
		if isNum {
			i, err := n.Int64()
			if err != nil {
				continue
			}
			if field == "event.severity" {
				if w, err := strconv.ParseFloat(want, 64); err == nil && float64(i) == math.Floor(w) {
					return true
				}
			} else if itoa(i) == want {
				return true
			}
		}
	}
	return false
}

func mappingString(m []map[string]any, i int, key string) (string, bool) {
	if i >= len(m) {
		return "", false
	}
	s, ok := m[i][key].(string)
	return s, ok
}

// values lists a field's values: an array's elements, or the one value.
func values(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil && strings.TrimSpace(x) != ""
	}
	return 0, false
}
