package proctree

import (
	"cmp"
	"slices"
)

// Index is an in-memory Source (`vigil hunt --evidence`, tests). Add
// events, then query; not safe for concurrent use.
type Index struct {
	byEntity, byParent map[string][]Event
	sorted             bool
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{byEntity: map[string][]Event{}, byParent: map[string][]Event{}}
}

// Add indexes one event.
func (x *Index) Add(e Event) {
	x.byEntity[e.EntityID] = append(x.byEntity[e.EntityID], e)
	if e.ParentEntityID != "" {
		x.byParent[e.ParentEntityID] = append(x.byParent[e.ParentEntityID], e)
	}
	x.sorted = false
}

func (x *Index) sort() {
	if x.sorted {
		return
	}
	by := func(a, b Event) int { return cmp.Compare(a.Time, b.Time) }
	for _, m := range []map[string][]Event{x.byEntity, x.byParent} {
		for _, evs := range m {
			slices.SortStableFunc(evs, by)
		}
	}
	x.sorted = true
}

// Process implements Source.
func (x *Index) Process(id string, limit int) ([]Event, error) {
	x.sort()
	evs := x.byEntity[id]
	return evs[:min(len(evs), limit)], nil
}

// Children implements Source.
func (x *Index) Children(id string, limit int) ([]Event, error) {
	x.sort()
	evs := x.byParent[id]
	return evs[:min(len(evs), limit)], nil
}
