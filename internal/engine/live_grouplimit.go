package engine

import (
	"math"
	"sync/atomic"

	"vigil/internal/doc"
)

// groupShare is a real-time rule's accounting for the MaxGroups limit,
// which is fair per source (SourceOf: the agent, else the host): a source
// may add live state while the rule's groups plus the groups it added
// itself stay under the limit. Alone, a source can so take half of the
// limit, and each further source at most half of what the others left —
// so a flood of distinct groups from one host fills half the limit and is
// refused beyond, and a real burst from another host still has room. The
// source a group is charged to is the one whose event created it; charges
// are released when its run is final (or rebuilt, for late events), so
// windows a rule finalises early (CloseWindows) still count against their
// source until then. A source that forges many agent ids is many sources:
// fairness holds between hosts that report their own identity.
type groupShare struct {
	usage map[string]int // groups each source added to the open runs
	// pool is the rule's groups over every partition of a Partitioned
	// engine (nil: this engine alone); published is this engine's part.
	pool      *atomic.Int64
	published int
}

// admits reports whether an event from source may add to the rule's live
// state under the limit max.
func (r *liveRule) admits(source string, max int) bool {
	if max == math.MaxInt {
		return true
	}
	g := r.groups()
	if r.pool != nil {
		g += int(r.pool.Load()) - r.published
	}
	return g+r.usage[source] < max
}

// push adds an event to a run, charging the groups it creates to source.
func (r *liveRule) push(run *liveRun, d *doc.Document, source string) {
	before := run.exec.Groups()
	run.exec.Push(d)
	n := run.exec.Groups() - before
	if n <= 0 {
		return
	}
	if run.bySource == nil {
		run.bySource = map[string]int{}
	}
	if r.usage == nil {
		r.usage = map[string]int{}
	}
	run.bySource[source] += n
	r.usage[source] += n
	if r.pool != nil {
		r.pool.Add(int64(n))
		r.published += n
	}
}

// release returns a run's charges (it is final, or replaced).
func (r *liveRule) release(run *liveRun) {
	for s, n := range run.bySource {
		if r.usage[s] -= n; r.usage[s] <= 0 {
			delete(r.usage, s)
		}
	}
	run.bySource = nil
}

// publish brings the shared pool up to this engine's groups (they also
// shrink as windows close and runs end).
func (r *liveRule) publish() {
	if r.pool == nil {
		return
	}
	g := r.groups()
	r.pool.Add(int64(g - r.published))
	r.published = g
}
