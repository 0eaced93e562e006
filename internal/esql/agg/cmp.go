package agg

import (
	"math"

	"vigil/internal/doc"
	"vigil/internal/esql/fn"
)

// cmpValues is the total order MIN, MAX, VALUES and TOP use on two non-null
// single values of one type: SORT's order (fn.Compare), with a direct path
// for the integral types that dominate per-row work.
func cmpValues(a, b doc.Value) int {
	switch a.T {
	case doc.Integer, doc.Long, doc.Date, doc.DateNanos, doc.Boolean:
		if a.T == b.T {
			return cmpI(a.I, b.I)
		}
	}
	return fn.Compare(a, b)
}

func cmpI(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpDouble is Java's Double.compare: -0.0 < 0.0 and NaN above everything.
func cmpDouble(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	ab, bb := int64(math.Float64bits(a)), int64(math.Float64bits(b))
	if math.IsNaN(a) {
		ab = 0x7ff8000000000000
	}
	if math.IsNaN(b) {
		bb = 0x7ff8000000000000
	}
	return cmpI(ab, bb)
}
