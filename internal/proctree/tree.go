package proctree

import (
	"cmp"
	"slices"
	"time"
)

// Source is where the tree's events come from (the store, or an Index).
// Both return events oldest first, at most limit of them.
type Source interface {
	// Process returns the events of one process (process.entity_id).
	Process(entityID string, limit int) ([]Event, error)
	// Children returns the events of the processes whose
	// process.parent.entity_id is parentID.
	Children(parentID string, limit int) ([]Event, error)
}

// Limits bound a tree. A zero field takes its DefaultLimits value.
type Limits struct {
	Ancestors int // ancestors walked up from the focus
	Children  int // children shown per process
	Depth     int // levels below the focus (1: children only)
	Nodes     int // nodes in all
	Siblings  int // siblings of the focus
	// Events is the most events read per query (a process's, or a
	// parent's children's).
	Events int
}

// DefaultLimits keep a tree readable and its query cost bounded.
var DefaultLimits = Limits{Ancestors: 64, Children: 500, Depth: 4, Nodes: 2000, Siblings: 100, Events: 2000}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	l.Ancestors = cmp.Or(l.Ancestors, d.Ancestors)
	l.Children = cmp.Or(l.Children, d.Children)
	l.Depth = cmp.Or(l.Depth, d.Depth)
	l.Nodes = cmp.Or(l.Nodes, d.Nodes)
	l.Siblings = cmp.Or(l.Siblings, d.Siblings)
	l.Events = cmp.Or(l.Events, d.Events)
	return l
}

// Roles of nodes, in the order a tree lists them.
const (
	RoleAncestor   = "ancestor"
	RoleFocus      = "focus"
	RoleChild      = "child"
	RoleDescendant = "descendant"
	RoleSibling    = "sibling"
)

// Node is one process of a tree.
type Node struct {
	EntityID       string   `json:"entity_id"`
	ParentEntityID *string  `json:"parent_entity_id"`
	PID            *int64   `json:"pid"`
	Name           string   `json:"name"`
	Executable     string   `json:"executable"`
	Args           []string `json:"args"`
	CommandLine    string   `json:"command_line"`
	User           string   `json:"user"`
	WorkingDir     string   `json:"working_directory"`
	Start          *string  `json:"start"`
	End            *string  `json:"end"` // null while running (no end event seen)
	Role           string   `json:"role"`
	Matched        bool     `json:"matched"` // the rule counted this process (set by the caller)
	AlertIDs       []string `json:"alert_ids"`
	// Missing marks a process with no event of its own: what is shown
	// comes from a child's process.parent.* fields or an ancestry list, and
	// the walk up stops at it unless an ancestry list names its parent.
	Missing bool   `json:"missing,omitempty"`
	Host    string `json:"-"`
	start   int64  // ordering (0: unknown, last)
}

// Tree is the processes around a focus, ordered: ancestors root first,
// the focus, its children by start time, deeper descendants (level by
// level, each by start time), then siblings by start time.
type Tree struct {
	Focus  string `json:"focus"`
	HostID string `json:"host_id"`
	Nodes  []Node `json:"nodes"`
	// Truncated: a limit cut the tree, or bad data (a cycle) was cut out.
	Truncated bool `json:"truncated"`
}

// timeLayout is the API's date format (RFC 3339, milliseconds, UTC).
const timeLayout = "2006-01-02T15:04:05.000Z"

func stamp(ms int64) *string {
	s := time.UnixMilli(ms).UTC().Format(timeLayout)
	return &s
}

// NodeOf makes a process's node from its events (oldest first; none: nil).
// The last start/exec event names it (an exec replaces what a fork
// showed); an end event sets End.
func NodeOf(evs []Event) *Node {
	if len(evs) == 0 {
		return nil
	}
	n := &Node{EntityID: evs[0].EntityID, Args: []string{}, AlertIDs: []string{}}
	var best *Event
	first := true
	for i := range evs {
		e := &evs[i]
		if e.End {
			if e.Time != 0 {
				n.End = stamp(e.Time)
			}
			continue
		}
		if first && e.Time != 0 {
			n.start, n.Start, first = e.Time, stamp(e.Time), false
		}
		best = e
	}
	if best == nil {
		best = &evs[0] // only end events: they still name the process
	}
	n.PID, n.Name, n.Executable, n.CommandLine, n.User, n.WorkingDir, n.Host =
		best.PID, best.Name, best.Executable, best.CommandLine, best.User, best.WorkingDir, best.Host
	if best.Args != nil {
		n.Args = best.Args
	}
	for _, e := range evs {
		if e.ParentEntityID != "" {
			p := e.ParentEntityID
			n.ParentEntityID = &p
			break
		}
	}
	return n
}

// missingNode is a process known only by reference: its child's
// process.parent.* fields (from, when non-nil) describe it.
func missingNode(id string, from *Event) *Node {
	n := &Node{EntityID: id, Args: []string{}, AlertIDs: []string{}, Missing: true}
	if from != nil {
		p := from.Parent
		n.PID, n.Name, n.Executable, n.CommandLine, n.User, n.WorkingDir, n.Host =
			p.PID, p.Name, p.Executable, p.CommandLine, p.User, p.WorkingDir, from.Host
		if p.Args != nil {
			n.Args = p.Args
		}
	}
	return n
}

// builder holds one Build's state.
type builder struct {
	src     Source
	lim     Limits
	seen    map[string]bool   // entity ids placed in the tree
	parents map[string]string // parent by ancestry lists
	tree    *Tree
}

func (b *builder) hint(e *Event) {
	child := e.EntityID
	for _, a := range e.Ancestry {
		if a == "" || a == child {
			break
		}
		if _, ok := b.parents[child]; !ok {
			b.parents[child] = a
		}
		child = a
	}
}

// parentOf is a node's parent: its events', else an ancestry list's.
func (b *builder) parentOf(n *Node) string {
	if n.ParentEntityID != nil {
		return *n.ParentEntityID
	}
	if p := b.parents[n.EntityID]; p != "" {
		n.ParentEntityID = &p
		return p
	}
	return ""
}

// Build makes the tree around the focus process. It reads at most a
// bounded number of events per node and places each entity id once, so
// cycles and fan-out in bad data end the walk rather than hang it.
func Build(src Source, focus string, lim Limits) (*Tree, error) {
	lim = lim.withDefaults()
	b := &builder{src: src, lim: lim, seen: map[string]bool{focus: true}, parents: map[string]string{}, tree: &Tree{Focus: focus}}
	evs, err := src.Process(focus, lim.Events)
	if err != nil {
		return nil, err
	}
	kids, kidsCut, err := b.children(focus, lim.Children)
	if err != nil {
		return nil, err
	}
	for i := range evs {
		b.hint(&evs[i])
	}
	f := NodeOf(evs)
	if f == nil {
		var from *Event
		if len(kids) > 0 {
			from = &kids[0].evs[0]
		}
		f = missingNode(focus, from)
	}
	f.Role = RoleFocus
	b.tree.HostID = f.Host
	ancestors, err := b.ancestors(f, evs, kids)
	if err != nil {
		return nil, err
	}
	slices.Reverse(ancestors)
	b.tree.Nodes = append(ancestors, *f)
	b.tree.Truncated = b.tree.Truncated || kidsCut
	level := b.place(kids, RoleChild)
	for depth := 2; depth <= lim.Depth && len(level) > 0; depth++ {
		var next []Node
		for _, n := range level {
			if len(b.tree.Nodes) >= lim.Nodes {
				b.tree.Truncated = true
				break
			}
			gs, cut, err := b.children(n.EntityID, lim.Children)
			if err != nil {
				return nil, err
			}
			b.tree.Truncated = b.tree.Truncated || cut
			next = append(next, b.place(gs, RoleDescendant)...)
		}
		level = next
	}
	if p := b.parentOf(f); p != "" {
		sibs, cut, err := b.children(p, lim.Siblings+1)
		if err != nil {
			return nil, err
		}
		b.tree.Truncated = b.tree.Truncated || cut
		b.place(sibs, RoleSibling)
	}
	return b.tree, nil
}

// ancestors walks up from the focus: events of each parent when stored,
// else a node from the child's parent fields, marked Missing; the walk
// stops at a process whose parent is unknown, at a cycle, or at the limit.
func (b *builder) ancestors(f *Node, focusEvs []Event, kids []group) ([]Node, error) {
	// The focus's own parent fields come from its events, or, when it has
	// none, from its children's ancestry lists (focus first, then its
	// parent).
	for _, k := range kids {
		for i := range k.evs {
			b.hint(&k.evs[i])
		}
	}
	var out []Node
	cur, curEvs := f, focusEvs
	for {
		p := b.parentOf(cur)
		if p == "" {
			return out, nil
		}
		if b.seen[p] {
			b.tree.Truncated = true // a cycle: cut where it closes
			return out, nil
		}
		if len(out) >= b.lim.Ancestors {
			b.tree.Truncated = true
			return out, nil
		}
		b.seen[p] = true
		evs, err := b.src.Process(p, b.lim.Events)
		if err != nil {
			return nil, err
		}
		for i := range evs {
			b.hint(&evs[i])
		}
		n := NodeOf(evs)
		if n == nil {
			var from *Event
			for i := range curEvs {
				if curEvs[i].ParentEntityID == p {
					from = &curEvs[i]
					break
				}
			}
			n = missingNode(p, from)
		}
		n.Role = RoleAncestor
		out = append(out, *n)
		cur, curEvs = &out[len(out)-1], evs
	}
}

// group is one process's events among a parent's children's.
type group struct {
	id  string
	evs []Event
}

// children returns up to max processes whose parent is id, by start time;
// cut when more may exist (the event or the process limit was reached).
func (b *builder) children(id string, max int) ([]group, bool, error) {
	evs, err := b.src.Children(id, b.lim.Events)
	if err != nil {
		return nil, false, err
	}
	cut := len(evs) >= b.lim.Events
	var out []group
	at := map[string]int{}
	for _, e := range evs {
		if e.EntityID == id {
			cut = true // a process its own parent: bad data
			continue
		}
		i, ok := at[e.EntityID]
		if !ok {
			if len(out) >= max {
				cut = true
				continue
			}
			i = len(out)
			at[e.EntityID] = i
			out = append(out, group{id: e.EntityID})
		}
		out[i].evs = append(out[i].evs, e)
	}
	return out, cut, nil
}

// place adds the groups not yet in the tree as nodes of role, ordered by
// start time, within the node limit; it returns the nodes it added.
func (b *builder) place(gs []group, role string) []Node {
	var add []Node
	for _, g := range gs {
		if b.seen[g.id] {
			continue
		}
		b.seen[g.id] = true
		n := NodeOf(g.evs)
		for i := range g.evs {
			b.hint(&g.evs[i])
		}
		n.Role = role
		add = append(add, *n)
	}
	slices.SortStableFunc(add, func(x, y Node) int { return cmp.Compare(startKey(x), startKey(y)) })
	if room := b.lim.Nodes - len(b.tree.Nodes); len(add) > room {
		add = add[:max(room, 0)]
		b.tree.Truncated = true
	}
	b.tree.Nodes = append(b.tree.Nodes, add...)
	return add
}

func startKey(n Node) int64 {
	if n.Start == nil {
		return 1<<63 - 1
	}
	return n.start
}

// Describe returns one process's node (role unset) and its events; nil
// when nothing names the process. A process with no events of its own is
// described from a child's parent fields, marked Missing.
func Describe(src Source, id string, lim Limits) (*Node, []Event, error) {
	lim = lim.withDefaults()
	evs, err := src.Process(id, lim.Events)
	if err != nil {
		return nil, nil, err
	}
	if n := NodeOf(evs); n != nil {
		return n, evs, nil
	}
	kids, err := src.Children(id, 1)
	if err != nil || len(kids) == 0 {
		return nil, nil, err
	}
	n := missingNode(id, &kids[0])
	if len(kids[0].Ancestry) > 1 && kids[0].Ancestry[0] == id {
		p := kids[0].Ancestry[1]
		n.ParentEntityID = &p
	}
	return n, nil, nil
}
