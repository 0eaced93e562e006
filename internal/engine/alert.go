package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// Alert is one Kibana-shaped security alert.
type Alert struct {
	ID       string // kibana.alert.uuid
	RuleID   string
	RuleName string
	Severity string
	Host     string         // host.name of the row, when it has one (for summaries)
	Fields   map[string]any // the alert document, flat dotted keys
	Columns  []string       // the query's result columns, in order (for summaries)
	GroupBy  []string       // the BY columns identifying the alert's group, if aggregating
}

// MarshalJSON writes the alert document: keys sorted, so output is stable,
// and no HTML escaping, since command lines are full of < > &.
func (a *Alert) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(a.Fields); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Execution describes the rule run that produced alerts.
type Execution struct {
	UUID     string    // kibana.alert.rule.execution.uuid
	Time     time.Time // when the run happened (the alert's @timestamp)
	From, To time.Time // the run's query range on the timestamp field
	// KibanaIDs makes alert ids include the run's range, as Kibana's do for
	// aggregating rules (so overlapping runs raise duplicates).
	KibanaIDs bool
}

// groupKey identifies an alert within a rule: the BY values of an
// aggregating query, or the source document's identity otherwise.
func groupKey(cols []esql.Column, row []doc.Value, by []string) string {
	var b strings.Builder
	want := map[string]bool{}
	for _, n := range by {
		want[n] = true
	}
	identity := map[string]bool{"_id": true, "_index": true, "_version": true}
	for i, c := range cols {
		if len(by) > 0 && !want[c.Name] {
			continue
		}
		if len(by) == 0 && !identity[c.Name] && hasIdentity(cols) {
			continue
		}
		b.WriteString(c.Name)
		b.WriteByte('=')
		j, _ := json.Marshal(row[i].JSON())
		b.Write(j)
		b.WriteByte(0)
	}
	return b.String()
}

func hasIdentity(cols []esql.Column) bool {
	for _, c := range cols {
		if c.Name == "_id" {
			return true
		}
	}
	return false
}

// AlertID is deterministic: the same rule and group give the same id on every
// run, so re-runs and restarts are idempotent.
func AlertID(r *rule.Rule, key string, ex Execution) string {
	h := sha256.New()
	h.Write([]byte(r.RuleID))
	h.Write([]byte{0})
	h.Write([]byte(key))
	if ex.KibanaIDs {
		h.Write([]byte{0})
		h.Write([]byte(ex.From.UTC().Format(time.RFC3339Nano) + "/" + ex.To.UTC().Format(time.RFC3339Nano)))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// BuildAlert shapes one result row as Kibana's security solution writes an
// ES|QL rule's alert: the row's columns as fields, then kibana.alert.*.
func BuildAlert(r *rule.Rule, cols []esql.Column, row []doc.Value, by []string, ex Execution) *Alert {
	f := map[string]any{}
	for i, c := range cols {
		if v := row[i].JSON(); v != nil {
			f[c.Name] = v
		}
	}
	key := groupKey(cols, row, by)
	id := AlertID(r, key, ex)
	now := ex.Time.UTC().Format("2006-01-02T15:04:05.000Z")
	if ts, ok := f["@timestamp"]; ok {
		f["kibana.alert.original_time"] = ts
	}
	f["@timestamp"] = now
	f["event.kind"] = "signal"
	f["kibana.alert.uuid"] = id
	f["kibana.alert.instance.id"] = id
	f["kibana.alert.status"] = "active"
	f["kibana.alert.workflow_status"] = "open"
	f["kibana.alert.severity"] = r.Severity
	f["kibana.alert.risk_score"] = r.RiskScore
	f["kibana.alert.depth"] = 1
	f["kibana.alert.start"] = now
	f["kibana.alert.last_detected"] = now
	f["kibana.alert.rule.execution.uuid"] = ex.UUID
	f["kibana.alert.rule.execution.timestamp"] = now
	f["kibana.alert.rule.name"] = r.Name
	f["kibana.alert.rule.rule_id"] = r.RuleID
	f["kibana.alert.rule.uuid"] = ruleUUID(r)
	f["kibana.alert.rule.description"] = r.Description
	f["kibana.alert.rule.severity"] = r.Severity
	f["kibana.alert.rule.risk_score"] = r.RiskScore
	f["kibana.alert.rule.tags"] = nonNil(r.Tags)
	f["kibana.alert.rule.threat"] = r.Threat
	f["kibana.alert.rule.from"] = r.From
	f["kibana.alert.rule.to"] = "now"
	f["kibana.alert.rule.interval"] = formatInterval(r.Interval)
	f["kibana.alert.rule.max_signals"] = r.MaxSignals
	f["kibana.alert.rule.note"] = r.Note
	f["kibana.alert.rule.version"] = r.Version
	f["kibana.alert.rule.type"] = r.Type
	f["kibana.alert.rule.rule_type_id"] = "siem.esqlRule"
	f["kibana.alert.rule.category"] = "ES|QL Rule"
	f["kibana.alert.rule.producer"] = "siem"
	f["kibana.alert.rule.consumer"] = "siem"
	f["kibana.alert.rule.author"] = nonNil(r.Author)
	f["kibana.alert.rule.license"] = r.License
	f["kibana.alert.rule.references"] = nonNil(r.References)
	f["kibana.alert.rule.false_positives"] = nonNil(r.FalsePositives)
	f["kibana.alert.rule.immutable"] = strings.HasPrefix(r.Path, "builtin:")
	f["kibana.alert.rule.enabled"] = true
	f["kibana.alert.rule.query"] = r.Query
	f["kibana.alert.rule.language"] = "esql"
	if r.TimestampField != "" {
		f["kibana.alert.rule.timestamp_override"] = r.TimestampField
	}
	if !ex.From.IsZero() {
		f["kibana.alert.rule.execution.range.gte"] = ex.From.UTC().Format("2006-01-02T15:04:05.000Z")
		f["kibana.alert.rule.execution.range.lte"] = ex.To.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	f["kibana.space_ids"] = []string{"default"}
	f["kibana.alert.reason"] = reason(r, f)
	host, _ := f["host.name"].(string)
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return &Alert{ID: id, RuleID: r.RuleID, RuleName: r.Name, Severity: r.Severity, Host: host, Fields: f, Columns: names, GroupBy: by}
}

// reason words the alert as Kibana's security solution does for every rule
// type (its reason-formatter tests pin the shape): "<categories> event with
// process P, parent process Q, file F, source S:P, destination D:P, by U on H
// created <severity> alert <rule name>." with absent parts left out.
func reason(r *rule.Rule, f map[string]any) string {
	str := func(k string) string {
		switch v := f[k].(type) {
		case string:
			return v
		case int64:
			return itoa(v)
		case []any:
			parts := make([]string, 0, len(v))
			for _, e := range v {
				if s, ok := e.(string); ok {
					parts = append(parts, s)
				}
			}
			return strings.Join(parts, ", ")
		}
		return ""
	}
	var with []string
	if p := str("process.name"); p != "" {
		with = append(with, "process "+p+",")
	}
	if p := str("process.parent.name"); p != "" {
		with = append(with, "parent process "+p+",")
	}
	if p := str("file.name"); p != "" {
		with = append(with, "file "+p+",")
	}
	for _, side := range []string{"source", "destination"} {
		ip := str(side + ".ip")
		if ip == "" {
			continue
		}
		if port := str(side + ".port"); port != "" {
			with = append(with, side+" "+ip+":"+port+",")
		} else {
			with = append(with, side+" "+ip)
		}
	}
	var b strings.Builder
	if c := str("event.category"); c != "" {
		b.WriteString(c + " event")
	} else {
		b.WriteString("event")
	}
	if len(with) > 0 {
		b.WriteString(" with " + strings.Join(with, " "))
	}
	if u := str("user.name"); u != "" {
		b.WriteString(" by " + u)
	}
	if h := str("host.name"); h != "" {
		b.WriteString(" on " + h)
	}
	b.WriteString(" created " + r.Severity + " alert " + r.Name + ".")
	return b.String()
}

// ruleUUID stands in for the saved object id Kibana gives an installed rule:
// derived from rule_id and version so it is stable.
func ruleUUID(r *rule.Rule) string {
	sum := sha256.Sum256([]byte("vigil-rule\x00" + r.RuleID))
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func formatInterval(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return itoa(int64(d/(24*time.Hour))) + "d"
	case d%time.Hour == 0:
		return itoa(int64(d/time.Hour)) + "h"
	case d%time.Minute == 0:
		return itoa(int64(d/time.Minute)) + "m"
	}
	return itoa(int64(d/time.Second)) + "s"
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
