package compute

import "slices"

// Failure is one evaluation failure: at a page position, at a failure
// point (Rank, see Number) of an expression whose warning site (the row
// engine's id for the expression's source text) is Site.
type Failure struct {
	Pos  int32
	Rank int32
	Site int
	Err  error
}

// Recorder collects the failures of a page's evaluation. Kernels run
// column by column, so they record out of row order; Flush restores the
// order the row engine meets them in, row by row and within a row in
// evaluation order, so replaying them into the row engine's warnings gives
// identical Warning headers.
type Recorder struct {
	fails []Failure
}

func (r *Recorder) fail(pos, rank int32, site int, err error) {
	r.fails = append(r.fails, Failure{Pos: pos, Rank: rank, Site: site, Err: err})
}

// Len is the number of failures recorded since the last Flush.
func (r *Recorder) Len() int { return len(r.fails) }

// Flush calls f for every failure recorded since the last Flush in row
// evaluation order, then forgets them.
func (r *Recorder) Flush(f func(Failure)) {
	slices.SortStableFunc(r.fails, func(a, b Failure) int {
		if a.Pos != b.Pos {
			return int(a.Pos - b.Pos)
		}
		return int(a.Rank - b.Rank)
	})
	for _, x := range r.fails {
		f(x)
	}
	clear(r.fails)
	r.fails = r.fails[:0]
}
