package engine

import (
	"math"

	"vigil/internal/doc"
)

// Timestamp is a document's @timestamp in ms, or math.MinInt64 when it
// has none (or not one date): the time inputs spool, track and observe
// events by.
func Timestamp(d *doc.Document) int64 {
	if t, ok := eventTime(d, ""); ok {
		return t
	}
	return math.MinInt64
}
