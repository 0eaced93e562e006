package engine

import (
	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/esql/logical"
)

// PartitionKey is the field a partitioned live engine routes events by:
// the agent that sent them. It is the key a Kafka producer should set
// (Elastic Agent / Beats: partition by agent.id), so an in-process
// partition and a Kafka partition hold the same agents' events when their
// counts are equal.
const PartitionKey = "agent.id"

// PartitionOf returns the partition (0..n-1) an event belongs to: Kafka's
// default partitioner applied to its key field's value as UTF-8 —
// toPositive(murmur2(key)) % n, what the Java producer (and franz-go's
// default, librdkafka's murmur2_random) computes for a record keyed by that
// value. An event without the field (or with a non-string value) is keyed
// by its JSON-less rendering: the empty key, or the value's text; a
// multi-valued key is keyed by its first value (agent.id is one value in
// ECS; see Partitioned for what a second value costs).
func PartitionOf(d *doc.Document, field string, n int) int {
	if n <= 1 {
		return 0
	}
	v := d.Get(field)
	if v.IsMulti() {
		v = v.M[0]
	}
	var key string
	switch {
	case v.IsNull():
	case v.T.IsString():
		key = v.S
	default:
		key = v.String()
	}
	return PartitionOfKey(key, n)
}

// PartitionOfKey is PartitionOf for a key's text.
func PartitionOfKey(key string, n int) int {
	if n <= 1 {
		return 0
	}
	return int(uint32(Murmur2([]byte(key)))&0x7fffffff) % n
}

// Murmur2 is Kafka's murmur2 hash (org.apache.kafka.common.utils.Utils.murmur2,
// seed 0x9747b28c), checked against the Java client's UtilsTest vectors.
func Murmur2(data []byte) int32 {
	const m, r = 0x5bd1e995, 24
	n := len(data)
	h := uint32(0x9747b28c) ^ uint32(n)
	i := 0
	for ; i+4 <= n; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	switch n - i {
	case 3:
		h ^= uint32(data[i+2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[i+1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[i])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// KeyedBy reports whether partitioning a query's events by field keeps
// every result row in one partition, so per-partition results are the
// whole result's rows: the query's first blocking command is a STATS
// (not INLINE) with field itself (read verbatim, not computed) among its
// BY keys — events of one group then share the field's value — and what
// follows only filters, computes or orders rows within a group (WHERE,
// EVAL, KEEP/DROP/RENAME, SORT, the implicit LIMIT). A second STATS, an
// explicit LIMIT, or no STATS at all (a per-event query's run LIMIT spans
// every key) keep the query on one partition.
func KeyedBy(q *esql.Query, field string) bool {
	p := q.Plan()
	st, ok := p.Aggregating().(*logical.Stats)
	if !ok || st.Inline {
		return false
	}
	for _, c := range p.After() {
		switch c := c.(type) {
		case *logical.Where, *logical.Eval, *logical.Project, *logical.Sort:
		case *logical.Limit:
			if !c.Implicit {
				return false
			}
		default:
			return false
		}
	}
	for _, c := range st.By {
		if sourceField(c) == field {
			return true
		}
	}
	return false
}

// sourceField is the document field a STATS key holds verbatim, or "".
func sourceField(c *logical.Col) string {
	for i := 0; i < 64 && c != nil; i++ { // chains are short; the bound is a guard
		if c.Expr == nil {
			if c.Meta != "" {
				return ""
			}
			if _, expanded := c.By.(*logical.MvExpand); expanded {
				return ""
			}
			return c.Field
		}
		r, ok := c.Expr.(*logical.Ref)
		if !ok {
			return ""
		}
		c = r.Col
	}
	return ""
}
