package kafka

import (
	"encoding/json"
	"math"
	"time"

	"vigil/internal/engine"
)

// partition is the live state of one owned partition: its own engine (its
// own windows, groups and source watermarks), where it has read to, and
// which events open windows still need (the commit point).
type partition struct {
	topic string
	part  int32
	live  *engine.Live
	// next is the offset after the last record pushed; replayEnd the end
	// of the range the previous owner had already evaluated (records below
	// it are replayed: late accounting suppressed, their alerts already
	// raised).
	next, replayEnd int64
	// needed are the pushed events (offset order) some open window may
	// still read; the commit point is the first of them.
	needed []offsetTime
	// committed is the offset last committed, meta its metadata.
	committed int64
	meta      string
	hw        int64 // the partition's high watermark, as of the last fetch
	// stats
	state                       string
	events, replayed, malformed int64
	assigned, rebuilt           time.Time
	rebuildSeconds              float64
	lastLateReevaluation        time.Time
}

type offsetTime struct{ offset, t int64 }

// Partition states.
const (
	stateRebuilding = "rebuilding" // replaying what the previous owner evaluated
	stateLive       = "live"
)

// checkpoint is the commit metadata: with the committed offset, what a
// new owner needs to rebuild exactly the windows still open. End is the
// offset after the last record evaluated; Watermark the engine's event-time
// watermark at that point (windows it closed stay closed); Floor its
// retention floor.
type checkpoint struct {
	End       int64 `json:"end"`
	Watermark int64 `json:"wm"`
	Floor     int64 `json:"floor,omitempty"`
}

// track records a pushed event for the commit point.
func (p *partition) track(offset, t int64) {
	p.needed = append(p.needed, offsetTime{offset, t})
}

// commitPoint is the offset a new owner must start reading at: the first
// pushed event an open window may still read (time at or after the
// engine's OpenHorizon), else the next record. Events before it belong to
// final windows only, which is what committing means here; a late event
// for them is re-evaluated from Kafka (see Consumer.source).
func (p *partition) commitPoint() int64 {
	h := p.live.OpenHorizon()
	if h == math.MinInt64 { // no window final yet: everything is needed
		if len(p.needed) > 0 {
			return p.needed[0].offset
		}
		return p.next
	}
	i := 0
	for i < len(p.needed) && p.needed[i].t < h {
		i++
	}
	p.needed = p.needed[i:]
	if len(p.needed) > 0 {
		return p.needed[0].offset
	}
	return p.next
}

// checkpointMeta is the commit metadata for the current state.
func (p *partition) checkpointMeta() string {
	b, _ := json.Marshal(checkpoint{End: p.next, Watermark: p.live.Watermark(), Floor: p.live.State().Floor})
	return string(b)
}

// restore applies a previous owner's commit metadata to the fresh engine:
// the windows its watermark had closed stay closed (engine.Live.Restore
// closes every run the watermark less the allowed lateness has passed, as
// Flush had), and the records up to End are replayed.
func (p *partition) restore(meta string, rules []*engine.CompiledRule) bool {
	var cp checkpoint
	if meta == "" || json.Unmarshal([]byte(meta), &cp) != nil || cp.End <= 0 {
		return false
	}
	st := engine.Checkpoint{Rules: map[string]engine.RuleState{}, Floor: cp.Floor}
	if cp.Watermark != math.MinInt64 {
		st.Watermark = cp.Watermark
		for _, cr := range rules {
			st.Rules[cr.Rule.RuleID] = engine.RuleState{Closed: cp.Watermark}
		}
	}
	p.live.Restore(st)
	p.replayEnd = cp.End
	return true
}
