package esql

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"vigil/internal/doc"
	"vigil/internal/esql/agg"
)

// This file is the two-stage side of an Execution: producers that each see
// part of the input export their STATS groups as partial aggregation states
// (the key and each aggregate's agg.Marshal bytes), and a merging execution
// of the same query imports them from any number of producers and runs the
// rest of the query (the commands after STATS) over the merged groups at
// Finish. Because the states merge exactly, the merged result is the one a
// single execution over all the input would give, up to the order of rows
// no SORT fixes and the order-sensitive details the aggregates document
// (VALUES' first-seen order, FIRST/LAST among tied rows, the last bits of
// a floating-point sum or variance). Warnings the producers' per-event
// stage raised stay with them.

// GroupState is one STATS group's partial aggregation: its key (one value
// per BY column, never multi-valued) and its aggregates' states, encoded
// by agg.Marshal, in the order of the STATS' aggregates.
type GroupState struct {
	Key    []doc.Value
	States [][]byte
	// End is when the group's time window ends (epoch ms), so that a
	// merger knows when every producer is past it; 0 for a group that
	// never closes (no window key, or a null one). Import ignores it.
	End int64
}

// Mergeable reports why the query's partial states cannot be exported and
// merged, or nil when they can: the first blocking command must be a STATS
// (a SORT or LIMIT head holds rows, not states), not an INLINE STATS (it
// annotates its input rows, which a merger never sees), and every
// aggregate's state must serialize.
func (q *Query) Mergeable() error {
	s, ok := q.head.(*statsSpec)
	switch {
	case !ok:
		return errors.New("the first blocking command is not a STATS: its rows, not mergeable states, would have to move")
	case s.inline:
		return errors.New("INLINE STATS annotates its input rows, which a merging execution does not see")
	}
	for _, a := range s.aggs {
		if _, err := agg.Marshal(a.factory()); err != nil {
			return fmt.Errorf("aggregate %s has no serializable state: %w", a.node.Name, err)
		}
	}
	return nil
}

// ExportGroups returns the partial state of every open STATS group, in
// creation order; the execution keeps them. It fails when the query is not
// Mergeable, or when CloseWindows has already turned groups into final
// rows (use ExportWindows instead of CloseWindows on a producer).
func (e *Execution) ExportGroups() ([]GroupState, error) {
	h, err := e.partialHead()
	if err != nil {
		return nil, err
	}
	if len(h.closed) > 0 {
		return nil, errors.New("esql: groups were closed into rows by CloseWindows and cannot be exported")
	}
	return exportStates(h, h.liveOrder())
}

// ExportWindows is CloseWindows for a producer: the groups whose time
// window ended at or before watermark (epoch ms) are exported and dropped
// from the execution, with no row computed. A query whose STATS has no
// window key exports nothing (its groups never close).
func (e *Execution) ExportWindows(watermark int64) ([]GroupState, error) {
	h, err := e.partialHead()
	if err != nil {
		return nil, err
	}
	closing := h.popWindows(watermark)
	out, err := exportStates(h, closing)
	h.dropAll(closing)
	return out, err
}

// ImportGroups merges producers' partial states into the execution's
// groups, creating those it lacks; Finish then runs the rest of the query
// over them. The states must come from executions of the same query text
// compiled against the same mappings (the factories must agree); a key or
// state that does not fit is an error and leaves the groups imported
// before it in place.
func (e *Execution) ImportGroups(gs []GroupState) error {
	h, err := e.partialHead()
	if err != nil {
		return err
	}
	for _, in := range gs {
		states, err := h.s.restore(in)
		if err != nil {
			return err
		}
		g := h.lookup(in.Key, true)
		n := h.heldBy(g)
		for i, st := range states {
			g.states[i].Merge(st)
		}
		h.x.mem.charge(h.heldBy(g)-n, h.s.label)
		if h.x.mem.err != nil {
			e.done = true
			return h.x.mem.err
		}
	}
	return nil
}

// CheckGroup reports whether ImportGroups would take g: a transport
// checks a partial when it arrives, not when its window is merged.
func (q *Query) CheckGroup(g GroupState) error {
	if err := q.Mergeable(); err != nil {
		return err
	}
	_, err := q.head.(*statsSpec).restore(g)
	return err
}

// restore checks a partial group against the STATS and rebuilds its states.
func (s *statsSpec) restore(in GroupState) ([]agg.State, error) {
	if len(in.Key) != len(s.keys) || len(in.States) != len(s.aggs) {
		return nil, fmt.Errorf("esql: partial group with %d keys and %d states, the STATS has %d and %d",
			len(in.Key), len(in.States), len(s.keys), len(s.aggs))
	}
	for _, k := range in.Key {
		if k.IsMulti() {
			return nil, errors.New("esql: partial group key is multi-valued")
		}
	}
	states := make([]agg.State, len(in.States))
	for i, b := range in.States {
		var err error
		if states[i], err = agg.Restore(s.aggs[i].factory, b); err != nil {
			return nil, fmt.Errorf("esql: partial state of %s: %w", s.aggs[i].node.Name, err)
		}
	}
	return states, nil
}

func (e *Execution) partialHead() (*statsOp, error) {
	if err := e.q.Mergeable(); err != nil {
		return nil, fmt.Errorf("esql: partial states: %w", err)
	}
	return e.head.(*statsOp), nil
}

func exportStates(h *statsOp, groups []*group) ([]GroupState, error) {
	out := make([]GroupState, 0, len(groups))
	for _, g := range groups {
		gs := GroupState{Key: make([]doc.Value, len(g.keys)), States: make([][]byte, len(g.states)), End: h.windowEnd(g.keys)}
		doc.CloneInto(gs.Key, g.keys)
		for i, st := range g.states {
			b, err := agg.Marshal(st)
			if err != nil {
				return nil, err
			}
			gs.States[i] = b
		}
		out = append(out, gs)
	}
	return out, nil
}

// windowEnd is the end of the window a group key closes with, 0 if none.
func (o *statsOp) windowEnd(kv []doc.Value) int64 {
	if !o.closes(kv) {
		return 0
	}
	return o.s.bucket.end(kv[o.s.window])
}

// MarshalBinary encodes the group for a transport: the key as encodeKey
// writes it (count first), each state's length and bytes, then End.
func (g GroupState) MarshalBinary() ([]byte, error) {
	for _, k := range g.Key {
		if k.IsMulti() {
			return nil, errors.New("esql: partial group key is multi-valued")
		}
	}
	b := binary.AppendUvarint(nil, uint64(len(g.Key)))
	b = encodeKey(b, g.Key)
	b = binary.AppendUvarint(b, uint64(len(g.States)))
	for _, s := range g.States {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return binary.AppendVarint(b, g.End), nil
}

var errCorruptGroup = errors.New("esql: corrupt partial group encoding")

// UnmarshalBinary decodes MarshalBinary's bytes. Hostile input is rejected:
// every count is bounded by the bytes left, so decoding allocates no more
// than the input's size allows.
func (g *GroupState) UnmarshalBinary(b []byte) error {
	n, b, ok := readUvarint(b)
	if !ok || n > uint64(len(b)) { // a key value takes at least its type byte
		return errCorruptGroup
	}
	key := make([]doc.Value, n)
	for i := range key {
		if key[i], b, ok = decodeKeyValue(b); !ok {
			return errCorruptGroup
		}
	}
	n, b, ok = readUvarint(b)
	if !ok || n > uint64(len(b)) { // a state takes at least its length byte
		return errCorruptGroup
	}
	states := make([][]byte, n)
	for i := range states {
		var l uint64
		if l, b, ok = readUvarint(b); !ok || l > uint64(len(b)) {
			return errCorruptGroup
		}
		states[i] = bytes.Clone(b[:l])
		b = b[l:]
	}
	end, m := binary.Varint(b)
	if m <= 0 || m != len(b) {
		return errCorruptGroup
	}
	g.Key, g.States, g.End = key, states, end
	return nil
}

func readUvarint(b []byte) (uint64, []byte, bool) {
	u, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, nil, false
	}
	return u, b[n:], true
}

// decodeKeyValue reads one value encodeKey wrote.
func decodeKeyValue(b []byte) (doc.Value, []byte, bool) {
	if len(b) == 0 {
		return doc.Value{}, nil, false
	}
	v := doc.Value{T: doc.Type(b[0])}
	b = b[1:]
	fixed := func() (uint64, bool) {
		if len(b) < 8 {
			return 0, false
		}
		u := binary.LittleEndian.Uint64(b)
		b = b[8:]
		return u, true
	}
	var u uint64
	ok := true
	switch v.T {
	case doc.Null:
	case doc.Double:
		u, ok = fixed()
		v.F = math.Float64frombits(u)
	case doc.Keyword, doc.Text, doc.IP, doc.Version, doc.GeoPoint, doc.CartesianPoint, doc.Source:
		var l uint64
		if l, b, ok = readUvarint(b); ok && l <= uint64(len(b)) {
			v.S, b = string(b[:l]), b[l:]
		} else {
			ok = false
		}
	case doc.Boolean, doc.Integer, doc.Long, doc.UnsignedLong, doc.Date, doc.DateNanos, doc.TimeDuration, doc.DatePeriod:
		u, ok = fixed()
		v.I = int64(u)
		if ok && v.T == doc.DatePeriod {
			u, ok = fixed()
			v.F = math.Float64frombits(u)
		}
	default:
		ok = false
	}
	return v, b, ok
}
