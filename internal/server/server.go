// Package server owns `vigil serve`'s HTTP side and its ingest pipeline: an
// Elasticsearch-compatible _bulk endpoint and the probes shippers make at
// start-up, /api/events, tailed files and stdin; the bounded queue into the
// live engine (429 when full); alert handling (store, sinks at least once
// through the store's outbox, Server-Sent Events), with alert suppression's
// windows (suppression.go) and new_terms rules' seen combinations
// (newterms.go) kept in the store; the alert and rule API; Prometheus metrics, health, auth, TLS and request limits;
// checkpoints and graceful shutdown.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"vigil/internal/config"
	"vigil/internal/doc"
	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/exception"
	pf "vigil/internal/prefilter"
	"vigil/internal/proctree"
	"vigil/internal/rule"
	"vigil/internal/sink"
	"vigil/internal/store"
)

// Options build a Server.
type Options struct {
	Config  *config.Config // validated
	Rules   []*engine.CompiledRule
	Mapping *doc.Mapping    // documents are typed by it (unmapped fields inferred)
	Catalog *engine.Catalog // what the rules were compiled against (nil: built-in mappings)
	Clock   engine.Clock    // nil: the system clock
	Logger  *slog.Logger    // nil: discard
	Stdout  io.Writer       // the stdout sink's writer (nil: os.Stdout)
	Stdin   io.Reader       // read when Config.Inputs.Stdin
	Version string
	// EvalInterval bounds how long a real-time evaluation may wait while
	// batches keep arriving (default 100ms).
	EvalInterval time.Duration
	// ExtraSinks receive alerts besides the configured ones (tests).
	ExtraSinks []sink.Sink
	// Exceptions are the lists loaded with --exceptions (nil: none); the
	// exceptions API adds to them.
	Exceptions *exception.Set
	// SpoolFiles opens spool segment files (nil: the file system; tests
	// substitute a double that records fsyncs).
	SpoolFiles func(path string) (store.SegmentFile, error)
	// Collectors are served on /metrics besides the service's own, and
	// Routes on the API (behind auth): other inputs' (internal/kafka).
	Collectors []prometheus.Collector
	Routes     map[string]http.Handler

	// EQLRules are the EQL rules served beside Rules (engine.Live.AddEQL).
	EQLRules []*engine.EQLRule
}

// Server is a running detection service.
type Server struct {
	opts    Options
	cfg     *config.Config
	log     *slog.Logger
	clock   engine.Clock
	live    *engine.Partitioned
	store   *store.Store
	spool   *store.Spool
	sinks   sink.Multi
	webhook *sink.Webhook
	late    *sink.File // events refused as older than the late retention
	future  *sink.File // events quarantined as stamped in the future
	metrics *metrics
	sse     *broker
	http    *http.Server
	creds   []credential // accepted tokens; nil = no auth
	fields  []string
	decs    sync.Pool
	// prefilter rejects raw lines no rule's per-event filters can pass
	// (nil: every line may); those are only skimmed for validity and time,
	// never spooled or queued.
	prefilter *pf.Filter
	// ruleFilters are the ES|QL rules' own prefilters by rule_id (nil: the
	// rule reads every line), for the evidence scan.
	ruleFilters map[string]*pf.Filter
	skims       sync.Pool

	inflight  *inflight
	resources resources

	// ingestMu orders spool appends with queue sends (the engine sees
	// batches in spool order); the fsync that makes them durable runs
	// outside it, shared by concurrent requests.
	ingestMu sync.Mutex
	queue    chan *batch
	queued   atomic.Int64 // accounted bytes of the batches in queue
	// recovering is set while the spool replays after a restart: the port
	// is open, /healthz says so, ingest answers 429. ready closes after.
	recovering atomic.Bool
	ready      chan struct{}
	stopped    bool
	started    atomic.Bool
	engineWG   sync.WaitGroup
	inputsWG   sync.WaitGroup
	stop       chan struct{}
	abandon    chan struct{}

	seqNo    atomic.Int64
	lastSave []byte
	stats    atomic.Pointer[[]engine.RuleStats] // the engine's view, for the API
	activity *ruleActivity                      // events matched, evaluations, errors per rule
	realtime map[string]bool                    // names of the rules Flush evaluates
	// known caches stored alerts' content hashes (engine goroutine only), so
	// re-evaluating an unchanged alert costs no store query. Bounded: reset
	// past knownMax entries.
	known map[string]string
	// overflowSeen is each rule's refused-event count already alerted on;
	// lateSeen its late-event count already added to the metric.
	overflowSeen, lateSeen map[string]int64
	// capSeen is each capped window's dropped-alert count already alerted
	// on (rule and window).
	capSeen map[string]int
	// floor is the oldest event time the engine still evaluates (ms),
	// published for the ingest path, which refuses older events.
	floor atomic.Int64
	// pushed is the spool position of the last batch pushed to the engine
	// (engine goroutine): late re-evaluation reads the spool up to it, as
	// later entries are still queued. lateDone is the position up to which
	// every late event has been re-evaluated (checkpointed); lastLate when
	// the last re-evaluation ran.
	pushed, lateDone store.Pos
	lastLate         time.Time
	// procs writes every host's process events to the store and prunes
	// the investigation tables (processes.go).
	procs *procWriter
	// excMu serialises exception API changes to exc (exceptions_api.go).
	excMu sync.Mutex
	exc   exceptionState
	// supp is alert suppression's open windows (suppression.go; engine
	// goroutine).
	supp suppressionState
}

const knownMax = 100_000

type batch struct {
	docs []*doc.Document
	// times are the newest event times, per source, of the request's
	// events no rule reads (not pushed, but they show time passing).
	times    []sourceTime
	pos      store.Pos // the spool position after the batch
	floor    int64     // the floor the ingest path refused older events by
	accepted time.Time
	cost     int64  // accounted bytes (limits.queue_bytes)
	fn       func() // a control batch: run on the engine goroutine, then close done
	done     chan struct{}
}

// New opens the store and spool and restores the last checkpoint; Start
// replays the spool (on the engine goroutine, while the port is already
// open), so windows open at a crash are rebuilt before ingest resumes.
func New(opts Options) (*Server, error) {
	cfg := opts.Config
	if opts.Clock == nil {
		opts.Clock = engine.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.EvalInterval <= 0 {
		opts.EvalInterval = 100 * time.Millisecond
	}
	if opts.Mapping == nil {
		opts.Mapping = (&engine.Catalog{}).DecoderMapping()
	}
	s := &Server{opts: opts, cfg: cfg, log: opts.Logger, clock: opts.Clock,
		queue: make(chan *batch, cfg.Limits.QueueBatches), stop: make(chan struct{}), ready: make(chan struct{}),
		inflight: newInflight(cfg.Limits.MaxInflight, cfg.Limits.MaxInflightBytes), abandon: make(chan struct{}), known: map[string]string{},
		overflowSeen: map[string]int64{}, lateSeen: map[string]int64{}, capSeen: map[string]int{}}
	s.floor.Store(math.MinInt64)
	s.creds = credentials(cfg.Auth)
	s.metrics = newMetrics()
	for _, c := range opts.Collectors {
		s.metrics.reg.MustRegister(c)
	}
	s.sse = newBroker(s.metrics.sseDropped.Inc)
	s.fields = projection(opts.Rules, opts.EQLRules)
	// Keep each event's JSON only for rules that read it (engine.KeepSources):
	// an ES|QL-only service keeps none.
	source := engine.KeepSources(opts.Rules, opts.EQLRules)
	s.decs.New = func() any {
		return doc.NewDecoder(opts.Mapping, doc.DecodeOptions{Dynamic: true, Fields: s.fields, Source: source})
	}
	s.skims.New = func() any {
		// The process store's keys too: a line no rule reads is decoded once.
		fields := slices.Concat([]string{"@timestamp"}, engine.SourceFields(), proctree.KeyFields())
		return doc.NewDecoder(opts.Mapping, doc.DecodeOptions{Dynamic: true, Fields: fields, Reuse: true})
	}
	if err := s.buildPrefilter(); err != nil {
		return nil, err
	}
	modes := map[string]engine.Mode{}
	for id, m := range cfg.RuleModes {
		modes[id] = modeOf(m)
	}
	modeFor := func(r *rule.Rule) engine.Mode {
		if m, ok := modes[r.RuleID]; ok {
			return m
		}
		return modeOf(cfg.Mode)
	}
	var names []string
	s.realtime = map[string]bool{}
	for _, cr := range opts.Rules {
		names = append(names, cr.Rule.Name)
		if modeFor(cr.Rule) == engine.Realtime {
			s.realtime[cr.Rule.Name] = true
		}
	}
	for _, er := range opts.EQLRules {
		names = append(names, er.Rule.Name)
		if modeFor(er.Rule) == engine.Realtime {
			s.realtime[er.Rule.Name] = true
		}
	}
	s.activity = newRuleActivity(names)
	s.live = engine.NewPartitioned(opts.Rules, engine.LiveOptions{
		Mode:               modeFor,
		AllowedLateness:    cfg.AllowedLateness.Duration,
		MaxFutureSkew:      cfg.MaxFutureSkew.Duration,
		Retention:          cfg.LateRetention.Duration,
		MaxGroups:          cfg.Limits.MaxGroupsPerRule,
		MaxTerms:           cfg.Limits.MaxTermsPerRule,
		MaxAlertsPerWindow: cfg.Limits.MaxAlertsPerWindow,
		IndexFallback:      cfg.Index,
		Clock:              opts.Clock,
		ExecUUID:           execUUID,
		OnLate:             s.onLate,
		OnFuture:           s.onFuture,
	}, cfg.Partitions)
	s.live.AddEQL(opts.EQLRules)
	var err error
	if s.store, err = store.Open(filepath.Join(cfg.DataDir, "vigil.db")); err != nil {
		return nil, err
	}
	s.procs = newProcWriter(s.store, opts.Mapping, func(err error) { s.log.Error("process store failed", "err", err) }, s.pruneInvestigation)
	if err := s.loadExceptions(); err != nil {
		s.procs.close()
		s.store.Close()
		return nil, err
	}
	if err := s.loadTerms(); err != nil {
		s.store.Close()
		return nil, err
	}
	s.fields = projection(opts.Rules, opts.EQLRules) // with the stored exception items' fields
	so := store.SpoolOptions{Create: opts.SpoolFiles}
	if cfg.Durability == config.DurabilityAsync {
		so.SyncEvery = cfg.SyncInterval.Duration
	}
	if s.spool, err = store.OpenSpool(filepath.Join(cfg.DataDir, "spool"), so); err != nil {
		s.procs.close()
		s.store.Close()
		return nil, err
	}
	if s.late, err = sink.NewFile(filepath.Join(cfg.DataDir, "late.ndjson"), 0, 0); err != nil {
		s.close()
		return nil, err
	}
	if s.future, err = sink.NewFile(filepath.Join(cfg.DataDir, "future.ndjson"), 0, 0); err != nil {
		s.close()
		return nil, err
	}
	if err := s.openSinks(); err != nil {
		s.close()
		return nil, err
	}
	if err := s.restore(); err != nil {
		s.close()
		return nil, err
	}
	if err := s.redeliver(); err != nil {
		s.close()
		return nil, err
	}
	s.recovering.Store(true)
	// Headers must arrive within ReadHeaderTimeout, each body within
	// limits.body_timeout (readBody sets the deadline per request).
	s.http = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	return s, nil
}

func modeOf(m string) engine.Mode {
	if m == config.ModeScheduled {
		return engine.Scheduled
	}
	return engine.Realtime
}

// execUUID is engine.StableExecUUID: the same run has the same execution
// id across restarts and instances.
func execUUID(ruleID string, at time.Time) string { return engine.StableExecUUID(ruleID, at) }

// projection is what decoding keeps of each event (engine.DecodeFields).
func projection(rules []*engine.CompiledRule, eqlRules []*engine.EQLRule) []string {
	return engine.DecodeFields(rules, eqlRules)
}

func (s *Server) buildPrefilter() error {
	cat := s.opts.Catalog
	if cat == nil {
		cat = &engine.Catalog{}
	}
	var filters []*pf.Filter
	all := false // some rule reads every line
	s.ruleFilters = map[string]*pf.Filter{}
	for _, cr := range s.opts.Rules {
		qm, err := cat.Resolve(cr.Query.IndexPatterns())
		if err != nil {
			return err
		}
		f := pf.New(cr.Query.Plan().EventCondition(), qm, s.opts.Mapping)
		s.ruleFilters[cr.Rule.RuleID] = f
		all = all || f == nil
		filters = append(filters, f)
	}
	for _, er := range s.opts.EQLRules {
		f := er.Prefilter(s.opts.Mapping)
		all = all || f == nil
		filters = append(filters, f)
	}
	if !all && len(filters) > 0 {
		s.prefilter = pf.Any(filters...)
	}
	return nil
}

func (s *Server) openSinks() error {
	c := s.cfg.Sinks
	if c.Stdout {
		s.sinks = append(s.sinks, sink.NewWriter(s.opts.Stdout))
	}
	if c.File != nil {
		f, err := sink.NewFile(c.File.Path, c.File.MaxBytes, c.File.MaxFiles)
		if err != nil {
			return fmt.Errorf("sinks.file: %w", err)
		}
		s.sinks = append(s.sinks, f)
	}
	if w := c.Webhook; w != nil {
		s.webhook = sink.NewWebhook(w.URL, w.Headers, w.Timeout.Duration, w.MaxRetries, w.Backoff.Duration, 0, s.log)
		s.webhook.OnDone = s.webhookDone
		s.sinks = append(s.sinks, s.webhook)
	}
	s.sinks = append(s.sinks, s.opts.ExtraSinks...)
	return nil
}

const stateKey = "live"

// checkpointState is what survives a restart besides the spool: which runs
// are final, the watermarks (events skipped by the prefilter advanced them
// but are not in the spool), and how far into the spool late events have
// been re-evaluated.
type checkpointState struct {
	engine.Checkpoint
	LateDone store.Pos `json:"late_done"`
}

// restore loads the checkpoint.
func (s *Server) restore() error {
	if b, err := s.store.GetState(stateKey); err != nil {
		return err
	} else if b != nil {
		var st checkpointState
		if err := json.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		s.live.Restore(st.Checkpoint)
		s.lateDone = st.LateDone
	}
	return nil
}

// recover replays the spool (engine goroutine, before any batch). Alerts
// the replay re-derives carry their original ids and content, so the store
// reports them unchanged and no sink sees them twice.
func (s *Server) recover() error {
	start := time.Now()
	dec := s.decs.Get().(*doc.Decoder)
	defer s.decs.Put(dec)
	n := 0
	from := s.live.OpenHorizon()
	keep := func(t int64, p store.Pos) bool { return t >= from || s.lateDone.Before(p) }
	err := s.spool.Replay(keep, func(e store.Entry) int64 {
		d, err := dec.Decode(e.Raw)
		if err != nil {
			return math.MinInt64
		}
		d.Index, d.ID = e.Index, e.ID
		// Late events the last instance had re-evaluated are not again;
		// those after (a crash before their pass) are.
		s.live.SetReplaying(!s.lateDone.Before(e.Pos))
		s.live.Push(d)
		n++
		return timeOf(d)
	})
	s.live.SetReplaying(false)
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Info("spool replayed", "events", n, "seconds", time.Since(start).Seconds())
	}
	s.pushed = s.spool.End()
	s.evaluate(time.Time{}, true)
	s.tick() // Kibana runs a rule as soon as it is enabled; after downtime, with catch-up
	return nil
}

func timeOf(d *doc.Document) int64 { return engine.Timestamp(d) }

// Serve accepts connections on ln (at most limits.max_connections at once)
// until Shutdown; it starts the engine and the configured inputs first, and
// accepts connections at once, while the spool replays.
func (s *Server) Serve(ln net.Listener) error {
	ln = newLimitListener(ln, s.cfg.Limits.MaxConnections)
	s.Start()
	var err error
	if s.cfg.TLS.Cert != "" {
		err = s.http.ServeTLS(ln, s.cfg.TLS.Cert, s.cfg.TLS.Key)
	} else {
		err = s.http.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Start runs the engine goroutine and inputs (Serve calls it; idempotent).
func (s *Server) Start() {
	if s.started.Swap(true) {
		return
	}
	s.engineWG.Add(1)
	go func() {
		s.replay()
		s.engineLoop()
	}()
	for _, p := range s.cfg.Inputs.Tail {
		s.inputsWG.Add(1)
		go func() { defer s.inputsWG.Done(); s.tail(p) }()
	}
	if s.cfg.Inputs.Stdin && s.opts.Stdin != nil {
		// Not waited for on shutdown: a read from an open terminal cannot be
		// interrupted. After shutdown its batches are refused.
		go s.readStream(s.opts.Stdin, "stdin")
	}
}

// replay runs recover and opens ingest.
func (s *Server) replay() {
	if err := s.recover(); err != nil {
		// The windows the spool held are lost; new events still alert.
		s.log.Error("spool replay failed", "err", err)
	}
	s.recovering.Store(false)
	close(s.ready)
}

// docCost is what a decoded document (its projected fields) is accounted
// beyond the body its raw line is a slice of: measured, a 445-byte ECS
// process event decoded for the seed rule retains 1.7 KB.
func docCost(raw []byte) int64 { return 1024 + 2*int64(len(raw)) }

// enqueue spools the batch and hands it to the engine, or refuses it whole
// (429) while the spool replays, or when the queue is full in batches or
// in accounted bytes: the request body (which the queued raw lines keep
// alive) plus docCost per document. With durability "request" it
// returns once the batch is fsynced, so an acknowledged event survives an
// OS crash.
func (s *Server) enqueue(docs []*doc.Document, raws [][]byte, times []sourceTime, floor, bodyBytes int64) error {
	if len(docs) == 0 && len(times) == 0 {
		return nil
	}
	if s.recovering.Load() {
		s.metrics.rejected.Inc()
		return errRecovering
	}
	entries := make([]store.Entry, len(docs))
	cost := bodyBytes
	for i, d := range docs {
		entries[i] = store.Entry{Index: d.Index, ID: d.ID, Raw: raws[i], Time: timeOf(d)}
		cost += docCost(raws[i])
	}
	s.ingestMu.Lock()
	if s.stopped {
		s.ingestMu.Unlock()
		return errors.New("shutting down")
	}
	if q := s.queued.Load(); len(s.queue) == cap(s.queue) || q > 0 && q+cost > s.cfg.Limits.QueueBytes {
		s.ingestMu.Unlock()
		s.metrics.rejected.Inc()
		return errQueueFull
	}
	pos, err := s.spool.Append(entries)
	if err != nil {
		s.ingestMu.Unlock()
		return fmt.Errorf("spool: %w", err)
	}
	s.queued.Add(cost)
	s.queue <- &batch{docs: docs, times: times, pos: pos, floor: floor, accepted: time.Now(), cost: cost} // room: only enqueue sends, under ingestMu
	s.ingestMu.Unlock()
	if s.cfg.Durability == config.DurabilityRequest {
		if err := s.spool.Sync(pos); err != nil {
			return err // not acknowledged; the shipper resends (same ids)
		}
	}
	return nil
}

func (s *Server) engineLoop() {
	defer s.engineWG.Done()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var oldest time.Time // acceptance time of the oldest batch not yet evaluated
	lastEval := time.Now()
	lastSave := time.Now()
	for {
		select {
		case <-s.abandon:
			return
		case b, ok := <-s.queue:
			if !ok {
				s.evaluate(oldest, true)
				s.tick()
				s.checkpoint()
				return
			}
			if b.fn != nil {
				s.evaluate(oldest, true)
				oldest, lastEval = time.Time{}, time.Now()
				b.fn()
				close(b.done)
				continue
			}
			s.queued.Add(-b.cost)
			s.live.Admit(b.floor)
			for _, st := range b.times {
				s.live.Observe(st.source, st.t)
			}
			for _, d := range b.docs {
				if !s.live.Push(d) {
					s.metrics.unrouted.Inc()
				}
			}
			s.pushed = b.pos
			if oldest.IsZero() {
				oldest = b.accepted
			}
			if len(s.queue) == 0 || time.Since(lastEval) >= s.opts.EvalInterval {
				s.evaluate(oldest, false)
				oldest, lastEval = time.Time{}, time.Now()
			}
		case <-tick.C:
			if !oldest.IsZero() || s.live.PendingLate() {
				s.evaluate(oldest, false)
				oldest, lastEval = time.Time{}, time.Now()
			}
			s.tick()
			if time.Since(lastSave) >= time.Second {
				s.checkpoint()
				lastSave = time.Now()
			}
		}
	}
}

// evaluate flushes real-time rules and handles their alerts, and
// re-evaluates runs late events re-opened: every pending run when force
// (Sync, shutdown), else one pass at most every lateInterval, since each
// pass reads the spool.
func (s *Server) evaluate(accepted time.Time, force bool) {
	start := time.Now()
	ups, err := s.live.Flush()
	if err != nil {
		s.log.Error("evaluation failed", "err", err)
	}
	s.activity.evaluated(s.realtime, start, err)
	s.handle(ups)
	s.saveTerms()
	for s.live.PendingLate() && (force || time.Since(s.lastLate) >= lateInterval) {
		s.lastLate = time.Now()
		ups, err := s.live.Reevaluate(s.spoolSource)
		s.activity.evaluated(s.realtime, s.lastLate, err)
		if err != nil {
			s.log.Error("late re-evaluation failed", "err", err)
			break
		}
		s.handle(ups)
		if !force {
			break
		}
	}
	if !s.live.PendingLate() {
		s.lateDone = s.pushed
	}
	s.handleCaps()
	s.floor.Store(s.live.Floor())
	s.metrics.evalSeconds.Observe(time.Since(start).Seconds())
	if !accepted.IsZero() {
		s.metrics.alertLatency.Observe(time.Since(accepted).Seconds())
	}
	s.observeStats()
}

// tick runs scheduled rules that are due.
func (s *Server) tick() {
	if next := s.live.NextTick(); next.IsZero() || s.clock.Now().Before(next) {
		return
	}
	ups, reports, err := s.live.Tick()
	if err != nil {
		s.log.Error("scheduled run failed", "err", err)
	}
	ran := map[string]bool{}
	for _, r := range reports {
		ran[r.Rule] = true
	}
	s.activity.evaluated(ran, s.clock.Now(), err)
	for _, r := range reports {
		s.log.Info("rule run", "rule", r.Rule, "from", r.From, "to", r.To, "events", r.Events, "alerts", r.Alerts, "max_signals_dropped", r.Truncated)
	}
	s.handle(ups)
	s.saveTerms()
	s.handleCaps()
	s.floor.Store(s.live.Floor()) // a run moves scheduled rules' floor
}

// TickNow runs due scheduled rules at once (tests with a fake clock).
func (s *Server) TickNow() { s.sync(func() { s.tick() }) }

// sync runs fn on the engine goroutine once every batch accepted before
// it is pushed and evaluated. Before Start it runs fn directly.
func (s *Server) sync(fn func()) {
	if !s.started.Load() {
		fn()
		return
	}
	b := &batch{fn: fn, done: make(chan struct{})}
	s.ingestMu.Lock()
	if s.stopped {
		s.ingestMu.Unlock()
		return
	}
	s.queue <- b // may wait for room: control batches are never refused
	s.ingestMu.Unlock()
	<-b.done
}

// Deliver handles alerts another input's engines produced (internal/kafka)
// as the service's own: stored, sent to the sinks and streamed, on the
// engine goroutine.
func (s *Server) Deliver(ups []engine.Update) { s.sync(func() { s.handle(ups) }) }

// Sync waits until every accepted event is evaluated and its alerts
// handled, and every accepted process event is stored.
func (s *Server) Sync() {
	s.sync(func() {})
	s.procs.flush()
}

// checkpoint saves the live engine's closed runs and prunes the spool.
func (s *Server) checkpoint() {
	st, err := json.Marshal(checkpointState{Checkpoint: s.live.State(), LateDone: s.lateDone})
	if err == nil && string(st) != string(s.lastSave) {
		if err := s.store.PutState(stateKey, st); err != nil {
			s.log.Error("checkpoint failed", "err", err)
			return
		}
		s.lastSave = st
	}
	s.pruneTerms()
	s.pruneSuppression()
	if n := s.spool.Prune(s.live.Horizon()); n > 0 {
		s.log.Debug("spool pruned", "segments", n)
	}
}

func contentHash(a *engine.Alert) string { return engine.ContentHash(a) }

// handle stores alerts and fans out the new and changed ones, then
// captures the evidence of those and of every alert whose run closed.
func (s *Server) handle(ups []engine.Update) {
	ups = s.suppress(ups)
	var capture []*engine.Alert
	defer func() { s.captureEvidence(capture) }()
	for _, u := range ups {
		a := u.Alert
		if u.Final {
			// A closed run's last word: its evidence is complete, rows that
			// changed nothing in the alert (a repeated command line)
			// included.
			capture = append(capture, a)
		}
		hash := contentHash(a)
		if s.known[a.ID] == hash {
			continue
		}
		old, err := s.store.Get(a.ID)
		if err == nil {
			if len(s.known) >= knownMax {
				clear(s.known)
			}
			s.known[a.ID] = old.Hash
			if old.Hash == hash {
				continue
			}
			// An update keeps its first detection time and workflow status.
			first := time.UnixMilli(old.Time).UTC().Format("2006-01-02T15:04:05.000Z")
			a.Fields["@timestamp"], a.Fields["kibana.alert.start"] = first, first
			a.Fields["kibana.alert.workflow_status"] = old.Status
		}
		body, err := a.MarshalJSON()
		if err != nil {
			s.log.Error("alert encoding failed", "alert", a.ID, "err", err)
			continue
		}
		tm, _ := time.Parse("2006-01-02T15:04:05.000Z", a.Fields["@timestamp"].(string))
		rec := store.Record{ID: a.ID, RuleID: a.RuleID, RuleName: a.RuleName, Severity: a.Severity, Host: a.Host,
			Time: tm.UnixMilli(), Updated: s.clock.Now().UnixMilli(), Hash: hash, Doc: body}
		var out store.Outcome
		var seq int64
		if len(s.sinks) > 0 { // the sinks' copy is committed with the alert (the outbox)
			out, _, seq, err = s.store.PutQueued(rec)
		} else {
			out, _, err = s.store.Put(rec)
		}
		if err != nil {
			s.log.Error("alert store failed", "alert", a.ID, "err", err)
			continue
		}
		if len(s.known) >= knownMax {
			clear(s.known)
		}
		s.known[a.ID] = hash
		kind := "created"
		switch out {
		case store.Unchanged:
			continue
		case store.Updated:
			kind = "updated"
		case store.Created:
			s.metrics.alerts.WithLabelValues(a.RuleName, a.Severity).Inc()
		}
		if !u.Final {
			capture = append(capture, a)
		}
		s.log.Info("alert "+kind, "alert", a.ID, "rule", a.RuleName, "host", a.Host, "severity", a.Severity, "final", u.Final)
		s.deliver(sink.Event{Kind: kind, ID: a.ID, Alert: body, Seq: seq})
		s.sse.publish(kind, rec.Updated, body)
	}
}

// deliver sends an alert to the sinks and clears its outbox entry once
// they have it: at once when every sink took it (they write as they are
// sent), else when the webhook has delivered it (webhookDone). An entry
// left — a failed send, a crash before or during delivery — is delivered
// again at the next start (redeliver): sinks get every alert at least
// once, and may see one twice (the same kibana.alert.uuid and content).
func (s *Server) deliver(ev sink.Event) {
	err := s.sinks.Send(ev)
	if err != nil {
		s.metrics.sinkErrors.Inc()
		s.log.Error("sink failed", "alert", ev.ID, "err", err)
	}
	if err == nil && s.webhook == nil && ev.Seq != 0 {
		s.delivered(ev.Seq)
	}
}

// webhookDone clears a delivery the webhook finished: delivered, or given
// up on after its retries (counted); one shutdown cut short stays queued.
func (s *Server) webhookDone(ev sink.Event, err error) {
	if ev.Seq != 0 && !errors.Is(err, sink.ErrAbandoned) {
		s.delivered(ev.Seq)
	}
}

func (s *Server) delivered(seq int64) {
	if err := s.store.Delivered(seq); err != nil {
		s.log.Error("outbox update failed", "seq", seq, "err", err)
	}
}

// redeliver sends the alerts the last run committed but did not see
// delivered (a crash between the store's commit and the sinks).
func (s *Server) redeliver() error {
	if len(s.sinks) == 0 {
		return nil
	}
	pending, err := s.store.Pending()
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	for _, q := range pending {
		s.deliver(sink.Event{Kind: q.Kind, ID: q.ID, Alert: q.Doc, Seq: q.Seq})
	}
	if len(pending) > 0 {
		s.log.Info("undelivered alerts sent to the sinks again", "alerts", len(pending))
	}
	return nil
}

func (s *Server) observeStats() {
	stats := s.live.Stats()
	s.stats.Store(&stats)
	if wm := s.live.Watermark(); wm != math.MinInt64 {
		s.metrics.watermark.Set(float64(wm) / 1000)
	}
	s.metrics.sources.Set(float64(s.live.Sources()))
	s.metrics.srcDropped.Set(float64(s.live.SourcesDropped()))
	for _, st := range stats {
		if st.Overflow > s.overflowSeen[st.RuleID] {
			s.overflowSeen[st.RuleID] = st.Overflow
			s.handle([]engine.Update{{Alert: s.groupLimitAlert(st), Final: true}})
		}
		if st.Late > s.lateSeen[st.RuleID] {
			s.metrics.late.WithLabelValues(st.Name).Add(float64(st.Late - s.lateSeen[st.RuleID]))
			s.lateSeen[st.RuleID] = st.Late
		}
		s.metrics.groups.WithLabelValues(st.Name).Set(float64(st.Groups))
		s.metrics.openRuns.WithLabelValues(st.Name).Set(float64(st.OpenRuns))
		s.metrics.overflow.WithLabelValues(st.Name).Set(float64(st.Overflow))
		if st.Terms > 0 || st.TermsRefused > 0 {
			s.metrics.terms.WithLabelValues(st.Name).Set(float64(st.Terms))
			s.metrics.termsRefused.WithLabelValues(st.Name).Set(float64(st.TermsRefused))
		}
		if st.SequencesDropped > 0 {
			s.metrics.seqDropped.WithLabelValues(st.Name).Set(float64(st.SequencesDropped))
		}
		for _, c := range st.Exceptions {
			s.metrics.exceptionEvents.WithLabelValues(st.Name, c.Item.ListID, c.Item.ItemID).Set(float64(c.Events))
			s.metrics.exceptionAlerts.WithLabelValues(st.Name, c.Item.ListID, c.Item.ItemID).Set(float64(c.Alerts))
		}
	}
}

// Shutdown stops accepting requests, drains the queue through the engine,
// checkpoints, and flushes and closes the sinks and the store.
// Open alert streams are ended first (http.Server.Shutdown waits for every
// handler, and a stream's never returns on its own); the webhook drains
// with its own deadline, whatever the shutdown's context has left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.sse.close()
	err := s.http.Shutdown(ctx)
	close(s.stop)
	s.inputsWG.Wait()
	s.ingestMu.Lock()
	if !s.stopped {
		s.stopped = true
		close(s.queue)
	}
	s.ingestMu.Unlock()
	if s.started.Load() {
		s.engineWG.Wait()
	} else {
		s.checkpoint()
	}
	if s.webhook != nil {
		d := s.cfg.Sinks.Webhook.DrainTimeout.Duration
		if d <= 0 {
			d = 30 * time.Second
		}
		wctx, cancel := context.WithTimeout(context.Background(), d)
		s.webhook.CloseContext(wctx)
		cancel()
	}
	return errors.Join(err, s.close())
}

// Abandon drops the server as a crash would: no drain, no checkpoint, no
// flush (tests simulate kill -9 with it). Files are closed only so the
// next instance can open them.
func (s *Server) Abandon() {
	s.http.Close()
	s.ingestMu.Lock()
	s.stopped = true
	s.ingestMu.Unlock()
	close(s.abandon)
	close(s.stop)
	s.engineWG.Wait()
	s.inputsWG.Wait()
	if s.webhook != nil {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		s.webhook.CloseContext(ctx)
	}
	s.sse.close()
	s.live.Close()
	s.procs.close()
	s.store.Close()
	s.spool.Close()
}

func (s *Server) close() error {
	var errs []error
	for _, sk := range s.sinks {
		if sk != sink.Sink(s.webhook) {
			errs = append(errs, sk.Close())
		}
	}
	for _, f := range []*sink.File{s.late, s.future} {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	s.live.Close()
	s.procs.close()
	errs = append(errs, s.spool.Close(), s.store.Close())
	return errors.Join(errs...)
}

// groupLimitAlert is the alert a rule flooding its live group limit raises:
// one per rule (its id is the rule's), updated as the refused count grows.
func (s *Server) groupLimitAlert(st engine.RuleStats) *engine.Alert {
	r := &rule.Rule{
		RuleID:      "vigil-group-limit",
		Name:        "Vigil live group limit reached",
		Description: "A rule holds limits.max_groups_per_rule live groups; events that would add more are refused for it (vigil_group_limit_refused_events). Detections of that rule may be missed: raise the limit or narrow the rule.",
		Type:        "esql", Language: "esql", Severity: "high", RiskScore: 73, Version: 1,
		Interval: time.Minute, From: "now-1m", MaxSignals: 1, Path: "builtin:vigil", License: "Elastic License v2",
	}
	cols := []esql.Column{{Name: "vigil.rule.rule_id", Type: doc.Keyword}, {Name: "vigil.rule.name", Type: doc.Keyword},
		{Name: "vigil.refused_events", Type: doc.Long}, {Name: "vigil.max_groups_per_rule", Type: doc.Long}}
	row := []doc.Value{doc.KeywordOf(st.RuleID), doc.KeywordOf(st.Name), doc.Long64(st.Overflow), doc.Long64(int64(s.cfg.Limits.MaxGroupsPerRule))}
	now := s.clock.Now()
	return engine.BuildAlert(r, cols, row, []string{"vigil.rule.rule_id"}, engine.Execution{UUID: execUUID(r.RuleID, now), Time: now})
}
