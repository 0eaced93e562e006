package rule

import "time"

// Suppression is Kibana's alert_suppression rule parameter: alerts of a rule
// that agree on GroupBy collapse into one alert per window.
type Suppression struct {
	GroupBy []string // 1 to 3 fields
	// Duration is the window's length; 0 means per rule execution (Kibana's
	// default when duration is absent).
	Duration time.Duration
	// SuppressMissing is missing_fields_strategy "suppress" (the default):
	// alerts missing a group_by field form one group with a null value;
	// "doNotSuppress" leaves each such alert alone.
	SuppressMissing bool
}

// maxSuppressionFields is Kibana's limit on group_by (alert_suppression schema).
const maxSuppressionFields = 3

var durationUnits = map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}

// parseSuppression reads the alert_suppression table; nil when absent. Keys
// were type-checked as a table already; values are checked here.
func parseSuppression(m map[string]any, p *problems) *Suppression {
	if m == nil {
		return nil
	}
	const key = "rule.alert_suppression"
	s := &Suppression{SuppressMissing: true}
	gb, _ := m["group_by"].([]any)
	for _, v := range gb {
		f, ok := v.(string)
		if !ok || f == "" {
			p.errorf(key, "%s.group_by must be a list of field names", key)
			return nil
		}
		s.GroupBy = append(s.GroupBy, f)
	}
	if len(s.GroupBy) < 1 || len(s.GroupBy) > maxSuppressionFields {
		p.errorf(key, "%s.group_by needs 1 to %d fields, not %d", key, maxSuppressionFields, len(s.GroupBy))
		return nil
	}
	if d, ok := m["duration"]; ok {
		dm, _ := d.(map[string]any)
		v, vok := dm["value"].(int64)
		unit, uok := dm["unit"].(string)
		if !vok || !uok || durationUnits[unit] == 0 || v < 1 {
			p.errorf(key, "%s.duration must be {value = N ≥ 1, unit = \"s\", \"m\" or \"h\"}", key)
			return nil
		}
		s.Duration = time.Duration(v) * durationUnits[unit]
	}
	switch st, _ := m["missing_fields_strategy"].(string); st {
	case "", "suppress":
	case "doNotSuppress":
		s.SuppressMissing = false
	default:
		p.errorf(key, "%s.missing_fields_strategy %q is not suppress or doNotSuppress", key, st)
		return nil
	}
	return s
}
