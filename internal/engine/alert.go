package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
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
	// GroupKey is the row's BY values as esql.GroupKey encodes them ("" when
	// not aggregating): evidence capture matches input rows to it.
	GroupKey string

	row  []string   // the row's non-null columns that are source fields (they win over MergeSource's document)
	rule *rule.Rule // for the severity, risk score and name overrides
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
	// Indices are the index patterns the rule searched (its FROM), Kibana's
	// kibana.alert.rule.indices for an ES|QL rule.
	Indices []string
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

// byValues encodes the row's BY values in BY order (esql.GroupKey), or ""
// when a BY column is not in the result (dropped or renamed after STATS).
func byValues(cols []esql.Column, row []doc.Value, by []string) string {
	if len(by) == 0 {
		return ""
	}
	kv := make([]doc.Value, len(by))
	for i, n := range by {
		j := slices.IndexFunc(cols, func(c esql.Column) bool { return c.Name == n })
		if j < 0 {
			return ""
		}
		kv[i] = row[j]
	}
	return esql.GroupKey(kv)
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

// KibanaVersion is the Kibana release whose alert schema Vigil writes
// (kibana.version; cmd/vigil/testdata/kibana-alert-fields.tsv is its field list).
const KibanaVersion = "9.6.0"

// BuildAlert shapes one result row as Kibana's security solution writes an
// ES|QL rule's alert (rule_types/esql/esql.ts, wrap_esql_alerts.ts,
// factories/utils/transform_hit_to_alert.ts and build_alert.ts): the row's
// columns without _id, _index and _version are the alert's source (Kibana
// merges them into the document it fetched by _id; see MergeSource), the
// source's event.* and data_stream.* are copied under
// kibana.alert.original_event / original_data_stream, kibana.*, signal.*
// and threshold_result.* columns are dropped, and the kibana.alert.* fields
// follow, with the row's document as the alert's one ancestor.
func BuildAlert(r *rule.Rule, cols []esql.Column, row []doc.Value, by []string, ex Execution) *Alert {
	parent := Ancestor{Type: "event"} // Kibana's '' id and index when the row has none (aggregating rules)
	result := map[string]any{}
	var srcKeys []string
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
		v := row[i].JSON()
		if v == nil {
			continue // ES|QL gives null for absent fields; Kibana skips them (row_to_document.ts)
		}
		switch c.Name {
		case "_id":
			parent.ID, _ = v.(string)
		case "_index":
			parent.Index, _ = v.(string)
		case "_version":
		default:
			result[c.Name] = v
			srcKeys = append(srcKeys, c.Name)
		}
	}
	key := groupKey(cols, row, by)
	var typeFields map[string]any
	if r.Threshold != nil {
		key, typeFields = thresholdFields(r, result)
	}
	if r.NewTerms != nil {
		// One alert per document and new combination, as Kibana's
		// wrap_new_terms_alerts.ts hashes the document's index and id and
		// the new terms into the id: a combination new again after its
		// history window is another alert.
		j, _ := json.Marshal(newTermsField(r, result))
		key += "new_terms=" + string(j) + "\x00" + parent.Index + "\x00" + parent.ID
	}
	id := AlertID(r, key, ex)
	f := sourceFields(result)
	for k, v := range typeFields {
		f[k] = v
	}
	if r.NewTerms != nil {
		f["kibana.alert.new_terms"] = newTermsField(r, result)
	}
	if isAlert(result) {
		parent.Type, parent.Depth = "signal", 1
		if d, ok := result["kibana.alert.depth"].(int64); ok {
			parent.Depth = d
		}
		parent.Rule, _ = result["kibana.alert.rule.uuid"].(string)
	}
	now := ex.Time.UTC().Format(alertTime)
	if t, ok := originalTime(result["@timestamp"]); ok {
		f["kibana.alert.original_time"] = t
	}
	f["@timestamp"] = now
	f["event.kind"] = "signal"
	f["kibana.version"] = KibanaVersion
	f["kibana.space_ids"] = []string{"default"}
	f["kibana.alert.uuid"] = id
	f["kibana.alert.instance.id"] = id
	f["kibana.alert.status"] = "active"
	f["kibana.alert.workflow_status"] = "open"
	f["kibana.alert.workflow_tags"] = []string{}
	f["kibana.alert.workflow_assignee_ids"] = []string{}
	f["kibana.alert.ancestors"] = []Ancestor{parent}
	f["kibana.alert.depth"] = parent.Depth + 1
	f["kibana.alert.start"] = now
	f["kibana.alert.last_detected"] = now
	f["kibana.alert.intended_timestamp"] = now
	f["kibana.alert.rule.execution.uuid"] = ex.UUID
	f["kibana.alert.rule.execution.timestamp"] = now
	f["kibana.alert.rule.execution.type"] = "scheduled"
	if !ex.From.IsZero() {
		// Kibana keeps no run range in alerts; Vigil's own namespace does.
		f["vigil.execution.range.gte"] = ex.From.UTC().Format(alertTime)
		f["vigil.execution.range.lte"] = ex.To.UTC().Format(alertTime)
	}
	ruleFields(f, r, ex)
	a := &Alert{ID: id, RuleID: r.RuleID, Fields: f, Columns: names, GroupBy: by, GroupKey: byValues(cols, row, by), row: srcKeys, rule: r}
	a.applyOverrides()
	return a
}

// alertTime is the layout of the alert's dates (JavaScript's toISOString).
const alertTime = "2006-01-02T15:04:05.000Z"

// Ancestor is one entry of kibana.alert.ancestors: a document the alert
// was built from (build_alert.ts buildParent).
type Ancestor struct {
	Depth int64  `json:"depth"`
	ID    string `json:"id"`
	Index string `json:"index"`
	Rule  string `json:"rule,omitempty"` // the rule of a parent that is itself an alert
	Type  string `json:"type"`           // "event", or "signal" for an alert
}

// isAlert reports whether a row is a detection alert (a rule over the
// alerts index): Kibana then records its parent as a signal.
func isAlert(result map[string]any) bool {
	_, ok := result["kibana.alert.uuid"]
	return ok
}

// originalTime is the source's @timestamp as Kibana records it
// (getValidDateFromDoc, then toISOString): dates and epoch milliseconds.
func originalTime(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		if tm, err := time.Parse(time.RFC3339Nano, t); err == nil {
			return tm.UTC().Format(alertTime), true
		}
	case int64:
		return time.UnixMilli(t).UTC().Format(alertTime), true
	case json.Number: // epoch milliseconds in a fetched source document
		if n, err := t.Int64(); err == nil {
			return originalTime(n)
		}
	case []any:
		if len(t) > 0 {
			return originalTime(t[0])
		}
	}
	return "", false
}

// reason words the alert as Kibana's security solution does for every rule
// type (its reason-formatter tests pin the shape): "<categories> event with
// process P, parent process Q, file F, source S:P, destination D:P, by U on H
// created <severity> alert <rule name>." with absent parts left out.
func reason(name, severity string, f map[string]any) string {
	str := func(k string) string {
		switch v := f[k].(type) {
		case string:
			return v
		case int64:
			return itoa(v)
		case json.Number:
			return v.String()
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
	b.WriteString(" created " + severity + " alert " + name + ".")
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
