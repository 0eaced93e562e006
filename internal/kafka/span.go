package kafka

import (
	"slices"

	"vigil/internal/engine"
)

// partitionKeys are the fields docs/kafka.md asks producers to partition
// by: a group whose BY holds one of them lives in one partition.
var partitionKeys = []string{"agent.id", "host.id"}

// spanning lists the rules whose results on Kafka are per partition rather
// than one instance's: they aggregate (STATS, or a SORT/LIMIT over every
// event) and their last STATS groups by none of the partition keys. Until
// the two-stage plan (twostage.go) is wired into the Consumer they are
// served per partition, and said so at start.
func spanning(rules []*engine.CompiledRule) []*engine.CompiledRule {
	var out []*engine.CompiledRule
	for _, cr := range rules {
		if len(cr.Query.Stages().Aggregating) == 0 {
			continue // per event: any partition gives the same alerts
		}
		by := cr.Query.GroupBy()
		if !slices.ContainsFunc(partitionKeys, func(k string) bool { return slices.Contains(by, k) }) {
			out = append(out, cr)
		}
	}
	return out
}
