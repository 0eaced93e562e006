// Package editdistance owns string edit distances: Levenshtein, and the
// optimal string alignment variant (an adjacent transposition counts as one
// edit, as Lucene's fuzzy automata accept; not full Damerau, so "ca"→"abc"
// is 3), with an optional early cutoff for callers that only ask "within k?".
// It serves ES|QL's fuzzy full-text match and its "did you mean" messages
// (unknown columns, date units). Elements are generic so callers choose
// bytes or code points.
package editdistance

// Levenshtein is the plain edit distance of a and b (insertions, deletions,
// substitutions).
func Levenshtein[E comparable](a, b []E) int {
	return Bounded(a, b, false, max(len(a), len(b)))
}

// Bounded is the Levenshtein distance of a and b, or with transpose the
// optimal string alignment distance, capped at limit+1: it stops once every
// alignment exceeds limit, so asking "within k edits?" costs O(k) rows past
// a mismatch rather than the full table.
func Bounded[E comparable](a, b []E, transpose bool, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if transpose && i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, prev2[j-2]+1)
			}
			cur[j] = d
			rowMin = min(rowMin, d)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], limit+1)
}
