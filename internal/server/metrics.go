package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics live in a registry per server (no process-global state), served
// at /metrics.
type metrics struct {
	reg          *prometheus.Registry
	events       prometheus.Counter
	bytes        prometheus.Counter
	malformed    prometheus.Counter
	unrouted     prometheus.Counter
	rejected     prometheus.Counter
	late         *prometheus.CounterVec
	future       prometheus.Counter
	expired      prometheus.Counter
	capped       *prometheus.CounterVec
	watermark    prometheus.Gauge
	sources      prometheus.Gauge
	srcDropped   prometheus.Gauge
	alerts       *prometheus.CounterVec
	sinkErrors   prometheus.Counter
	evalSeconds  prometheus.Histogram
	alertLatency prometheus.Histogram
	groups       *prometheus.GaugeVec
	openRuns     *prometheus.GaugeVec
	overflow     *prometheus.GaugeVec
	// new_terms rules: combinations kept, and new ones refused at the cap.
	terms, termsRefused *prometheus.GaugeVec
	seqDropped          *prometheus.GaugeVec // EQL pending sequences dropped by the group limit
	slowBodies          prometheus.Counter
	sseDropped          prometheus.Counter
	// Per rule and exception item: what it removed since start.
	exceptionEvents, exceptionAlerts *prometheus.GaugeVec
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.events = prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_events_received_total", Help: "Events accepted (decoded and queued)."})
	m.bytes = prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_bytes_received_total", Help: "Request body bytes received (after decompression)."})
	m.malformed = prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_events_malformed_total", Help: "Events refused as malformed."})
	m.unrouted = prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_events_unrouted_total", Help: "Events no rule reads (no matching FROM, or no index)."})
	m.rejected = prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_requests_rejected_total", Help: "Ingest requests refused with 429: queue full (batches or limits.queue_bytes), in-flight limits, or spool replay."})
	m.late = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_events_late_total", Help: "Late events that re-opened a rule's windows (re-evaluated from the spool)."}, []string{"rule"})
	m.future = prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_events_future_total", Help: "Events refused and quarantined as stamped more than max_future_skew ahead of the clock."})
	m.expired = prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_events_expired_total", Help: "Events refused as older than the watermark less late_retention."})
	m.capped = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_alerts_capped_total", Help: "Alerts not raised because a window hit max_signals (scheduled) or limits.max_alerts_per_window (real time)."}, []string{"rule"})
	m.watermark = prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_watermark_seconds", Help: "Event-time watermark real-time windows close on (Unix seconds)."})
	m.sources = prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_event_sources", Help: "Event sources (agents, hosts) whose watermarks are tracked."})
	m.srcDropped = prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_alert_sources_dropped", Help: "Events whose source the engine's cap refused, since start: their query or new_terms alerts lack the event's fields."})
	m.alerts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_alerts_total", Help: "New alerts."}, []string{"rule", "severity"})
	m.sinkErrors = prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_sink_errors_total", Help: "Alert deliveries a sink refused."})
	m.evalSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vigil_evaluation_seconds", Help: "Time to evaluate live rules after a batch.", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)})
	m.alertLatency = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vigil_ingest_to_evaluation_seconds", Help: "From a batch's acknowledgement to the evaluation that saw it.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)})
	m.groups = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_live_groups", Help: "Live state per rule: STATS groups (or buffered events)."}, []string{"rule"})
	m.openRuns = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_open_windows", Help: "Open real-time windows per rule."}, []string{"rule"})
	m.overflow = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_group_limit_refused_events", Help: "Events refused by the per-rule live group limit."}, []string{"rule"})
	m.seqDropped = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_eql_sequences_dropped", Help: "Pending EQL sequences dropped, oldest first, by the per-rule live group limit."}, []string{"rule"})
	m.slowBodies = prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_requests_body_timeout_total", Help: "Requests cut off for not sending their body within limits.body_timeout."})
	m.sseDropped = prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_alert_stream_dropped_total", Help: "Alert stream subscribers disconnected for falling sseBuffer events behind (they resume with Last-Event-ID)."})
	m.exceptionEvents = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_exception_events_removed", Help: "Source events an exception item removed before the rule's query, since start."}, []string{"rule", "list", "item"})
	m.exceptionAlerts = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_exception_alerts_removed", Help: "Alerts (result rows of final runs) an exception item on the rule's output columns removed, since start."}, []string{"rule", "list", "item"})
	m.terms = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_new_terms", Help: "Value combinations a new_terms rule keeps (seen within its history window)."}, []string{"rule"})
	m.termsRefused = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_new_terms_refused", Help: "New value combinations a new_terms rule refused at limits.max_terms_per_rule (not alerted), since start."}, []string{"rule"})
	for _, c := range []prometheus.Collector{m.terms, m.termsRefused, m.exceptionEvents, m.exceptionAlerts, m.events, m.bytes, m.malformed, m.unrouted, m.rejected, m.late, m.future, m.expired, m.capped, m.watermark, m.sources, m.srcDropped, m.alerts, m.sinkErrors,
		m.evalSeconds, m.alertLatency, m.groups, m.openRuns, m.overflow, m.seqDropped, m.slowBodies, m.sseDropped,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
	return m
}
