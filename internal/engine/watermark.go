package engine

import (
	"math"
	"slices"
	"time"

	"vigil/internal/doc"
)

// Watermarks is event time as a live engine may trust it. Each source (the
// agent, else the host: SourceOf) has its own watermark, the newest event
// time it sent; the engine's watermark combines them as a low quantile over
// the sources heard from recently, and never passes the wall clock:
//
//   - One source cannot push time ahead: the quantile is an order statistic
//     below the maximum, so moving one source forward moves it at most to
//     the next honest source's time — and the wall clock caps it anyway.
//   - Events stamped further than Skew ahead of the wall clock are not
//     credible at all: Future reports them and the engine quarantines them
//     (they neither advance time nor enter windows).
//   - A source silent for Idle (wall clock) stops holding time back; when
//     every source is silent, the newest of them stands.
//
// It is a value per engine, fed in the order that engine evaluates events.
// Partitioned keeps one over every partition's sources and sets its value
// in each partition; a Kafka consumer's engine per owned partition has
// only the sources it reads.
type Watermarks struct {
	opts    WatermarkOptions
	sources map[string]*sourceMark
}

// WatermarkOptions configure Watermarks; zero values take the defaults.
type WatermarkOptions struct {
	Skew       time.Duration // default DefaultFutureSkew
	Idle       time.Duration // default 5m
	MaxSources int           // default 10,000; the least recently heard is forgotten past it
	// Quantile of the active sources' watermarks (default 0.25: with five
	// or more sources one lagging source cannot hold time back either;
	// negative: the oldest source).
	Quantile float64
}

// DefaultFutureSkew is how far ahead of the wall clock an event may be
// stamped and still be believed: 5 minutes, the clock skew Kerberos
// tolerates by default — a host further off fails domain authentication,
// so honest fleets stay well within it — and small enough that windows an
// attacker could reach are ones the wall clock reaches within minutes.
const DefaultFutureSkew = 5 * time.Minute

type sourceMark struct {
	t    int64 // newest credible event time, ms
	seen int64 // wall clock when last heard, ms
}

// NewWatermarks returns an empty set of watermarks.
func NewWatermarks(o WatermarkOptions) *Watermarks {
	if o.Skew <= 0 {
		o.Skew = DefaultFutureSkew
	}
	if o.Idle <= 0 {
		o.Idle = 5 * time.Minute
	}
	if o.MaxSources <= 0 {
		o.MaxSources = 10_000
	}
	if o.Quantile == 0 {
		o.Quantile = 0.25
	}
	return &Watermarks{opts: o, sources: map[string]*sourceMark{}}
}

// Future reports whether an event time (ms) is too far ahead of the wall
// clock now (ms) to be believed.
func (w *Watermarks) Future(t, now int64) bool { return t > now+w.opts.Skew.Milliseconds() }

// Observe records that source sent an event stamped t at wall time now
// (both ms). Future times are ignored.
func (w *Watermarks) Observe(source string, t, now int64) {
	if t == math.MinInt64 || w.Future(t, now) {
		return
	}
	m := w.sources[source]
	if m == nil {
		if len(w.sources) >= w.opts.MaxSources {
			w.forget()
		}
		m = &sourceMark{t: t}
		w.sources[source] = m
	}
	m.t, m.seen = max(m.t, t), max(m.seen, now)
}

// forget drops the least recently heard eighth of the sources (amortised:
// a flood of new source ids costs O(1) per source).
func (w *Watermarks) forget() {
	seen := make([]int64, 0, len(w.sources))
	for _, m := range w.sources {
		seen = append(seen, m.seen)
	}
	slices.Sort(seen)
	cut := seen[len(seen)/8]
	for k, m := range w.sources {
		if m.seen <= cut {
			delete(w.sources, k)
		}
	}
}

// Value is the combined watermark at wall time now (ms), or math.MinInt64
// before any event.
func (w *Watermarks) Value(now int64) int64 {
	if len(w.sources) == 0 {
		return math.MinInt64
	}
	active := make([]int64, 0, len(w.sources))
	newest := int64(math.MinInt64)
	idle := w.opts.Idle.Milliseconds()
	for _, m := range w.sources {
		newest = max(newest, m.t)
		if m.seen >= now-idle {
			active = append(active, m.t)
		}
	}
	v := newest // every source silent: all that was sent has arrived
	if len(active) > 0 {
		slices.Sort(active)
		q := max(w.opts.Quantile, 0)
		v = active[int(float64(len(active)-1)*q)]
	}
	return min(v, now)
}

// Sources is the number of sources tracked.
func (w *Watermarks) Sources() int { return len(w.sources) }

// State is what a checkpoint keeps: each source's watermark.
func (w *Watermarks) State() map[string]int64 {
	st := make(map[string]int64, len(w.sources))
	for k, m := range w.sources {
		st[k] = m.t
	}
	return st
}

// Restore reloads a checkpoint's sources as heard at now (so they count as
// active until Idle passes): time restored is clamped by the same rules as
// time observed, so a checkpoint cannot carry a future watermark.
func (w *Watermarks) Restore(st map[string]int64, now int64) {
	for k, t := range st {
		w.Observe(k, t, now)
	}
}

// SourceOf names the source an event came from, for its watermark: the
// agent (agent.id), else the host (host.id, host.name), else "".
func SourceOf(d *doc.Document) string {
	for _, f := range watermarkSourceFields {
		if v := d.Get(f); v.T.IsString() && !v.IsMulti() && v.S != "" {
			return v.S
		}
	}
	return ""
}

// watermarkSourceFields are the fields SourceOf reads; decoders must keep them.
var watermarkSourceFields = []string{"agent.id", "host.id", "host.name"}

// SourceFields lists the fields SourceOf reads.
func SourceFields() []string { return slices.Clone(watermarkSourceFields) }
