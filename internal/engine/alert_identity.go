package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"time"
)

// volatile fields change between evaluations of the same alert without it
// changing: they are left out of its content hash.
var volatile = map[string]bool{
	"@timestamp": true, "kibana.alert.start": true, "kibana.alert.last_detected": true,
	"kibana.alert.rule.execution.uuid": true, "kibana.alert.rule.execution.timestamp": true,
	"kibana.alert.intended_timestamp": true, "kibana.alert.rule.created_at": true, "kibana.alert.rule.updated_at": true,
	"vigil.execution.range.gte": true, "vigil.execution.range.lte": true,
	"kibana.alert.workflow_status": true,
	// Re-deriving an alert late is no change to it.
	LateField: true,
}

// ContentHash identifies an alert's content apart from the fields that
// change with every evaluation (times, execution ids, workflow status): a
// re-derived alert with the same hash is the same alert, unchanged. The
// service's store and the Kafka alerts ledger both compare by it.
func ContentHash(a *Alert) string {
	keys := make([]string, 0, len(a.Fields))
	for k := range a.Fields {
		if !volatile[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		b, _ := json.Marshal(a.Fields[k])
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// VolatileField reports whether ContentHash leaves the field out.
func VolatileField(name string) bool { return volatile[name] }

// StableExecUUID is a run's kibana.alert.rule.execution.uuid, stable per
// rule and run: a restart (or another instance) re-deriving the run's
// alerts gives them the execution id they had.
func StableExecUUID(ruleID string, at time.Time) string {
	h := sha256.Sum256([]byte("vigil-serve\x00" + ruleID + "\x00" + at.UTC().Format(time.RFC3339Nano)))
	b := h[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b)
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}
