package kafka

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the input's Prometheus collectors (served with the service's
// /metrics by registering them in its registry).
type Metrics struct {
	messages, alerts, expired, future    prometheus.Counter
	fetchErrors, produceErrors           prometheus.Counter
	missingTopics                        prometheus.Gauge
	deadLetters                          *prometheus.CounterVec
	replayed                             *prometheus.CounterVec
	lag, rebuild, watermark, openWindows *prometheus.GaugeVec
}

func newMetrics() *Metrics {
	part := []string{"topic", "partition"}
	return &Metrics{
		messages:      prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_kafka_messages_total", Help: "Kafka records read (replayed ones included)."}),
		alerts:        prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_kafka_alerts_total", Help: "Alerts raised or changed from Kafka partitions (after the ledger's de-duplication)."}),
		expired:       prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_kafka_events_expired_total", Help: "Events from Kafka older than the late retention (not evaluated)."}),
		future:        prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_kafka_events_future_total", Help: "Events from Kafka stamped beyond max_future_skew (quarantined)."}),
		fetchErrors:   prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_kafka_fetch_errors_total", Help: "Fetch errors reported by the Kafka client (it retries)."}),
		produceErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_kafka_produce_errors_total", Help: "Failed writes to the alerts or dead-letter topic."}),
		missingTopics: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_kafka_missing_topics", Help: "Subscribed topics the cluster does not have (checked every 30 s)."}),
		deadLetters:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_kafka_dead_letters_total", Help: "Messages rejected (and written to the dead-letter topic), by reason."}, []string{"reason"}),
		replayed:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_kafka_replayed_events_total", Help: "Records replayed to rebuild a partition's open windows after assignment."}, part),
		lag:           prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_kafka_partition_lag", Help: "Records between the partition's high watermark and the next one to evaluate."}, part),
		rebuild:       prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_kafka_rebuild_seconds", Help: "Wall time the last rebuild of the partition's open windows took."}, part),
		watermark:     prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_kafka_watermark_seconds", Help: "The partition's event-time watermark (Unix seconds)."}, part),
		openWindows:   prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_kafka_open_windows", Help: "Open rule runs (windows) of the partition, all rules together."}, part),
	}
}

// Collectors are the input's metrics, to register with the service's.
func (c *Consumer) Collectors() []prometheus.Collector {
	m := c.metrics
	return []prometheus.Collector{m.messages, m.alerts, m.expired, m.future, m.fetchErrors, m.produceErrors, m.missingTopics,
		m.deadLetters, m.replayed, m.lag, m.rebuild, m.watermark, m.openWindows}
}

func (m *Metrics) forget(topic string, part int32) {
	l := prometheus.Labels{"topic": topic, "partition": strconv.Itoa(int(part))}
	for _, g := range []*prometheus.GaugeVec{m.lag, m.rebuild, m.watermark, m.openWindows} {
		g.Delete(l)
	}
}

// PartitionState is an owned partition as GET /api/kafka/partitions shows
// it.
type PartitionState struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	State     string `json:"state"` // rebuilding, live (or assigned: not yet restored)
	// Next is the next offset to evaluate; Committed the committed offset
	// (the first record an open window may still read); HighWatermark the
	// partition's end; Lag their difference with Next.
	Next          int64 `json:"next_offset"`
	Committed     int64 `json:"committed_offset"`
	HighWatermark int64 `json:"high_watermark"`
	Lag           int64 `json:"lag"`
	// ReplayEnd is where the previous owner had evaluated to.
	ReplayEnd      int64      `json:"replay_end_offset"`
	Watermark      *time.Time `json:"watermark,omitempty"`
	Events         int64      `json:"events"`
	Replayed       int64      `json:"replayed_events"`
	Rejected       int64      `json:"rejected_messages"`
	OpenWindows    int        `json:"open_windows"`
	RebuildSeconds float64    `json:"rebuild_seconds"`
	AssignedAt     time.Time  `json:"assigned_at"`
}

// publish refreshes the metrics and the API's view (under mu).
func (c *Consumer) publish() {
	view := make([]PartitionState, 0, len(c.parts))
	for _, p := range c.sorted() {
		s := PartitionState{Topic: p.topic, Partition: p.part, State: p.state, Next: p.next, Committed: p.committed,
			HighWatermark: p.hw, Lag: max(p.hw-p.next, 0), ReplayEnd: p.replayEnd, Events: p.events, Replayed: p.replayed,
			Rejected: p.malformed, RebuildSeconds: p.rebuildSeconds, AssignedAt: p.assigned}
		if wm := p.live.Watermark(); wm != math.MinInt64 {
			t := time.UnixMilli(wm).UTC()
			s.Watermark = &t
			c.metrics.watermark.WithLabelValues(p.topic, strconv.Itoa(int(p.part))).Set(float64(wm) / 1000)
		}
		for _, st := range p.live.Stats() {
			s.OpenWindows += st.OpenRuns
		}
		l := []string{p.topic, strconv.Itoa(int(p.part))}
		c.metrics.lag.WithLabelValues(l...).Set(float64(s.Lag))
		c.metrics.openWindows.WithLabelValues(l...).Set(float64(s.OpenWindows))
		view = append(view, s)
	}
	c.view = view
}

// MissingTopics are the subscribed topics the cluster did not have at the
// last check.
func (c *Consumer) MissingTopics() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string{}, c.missing...)
}

// Partitions is every owned partition's state as of the last poll.
func (c *Consumer) Partitions() []PartitionState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]PartitionState{}, c.view...)
}

// Handler serves GET /api/kafka/partitions:
// {"partitions":[…],"missing_topics":[…]}.
func (c *Consumer) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"partitions": c.Partitions(), "missing_topics": c.MissingTopics()})
	})
}
