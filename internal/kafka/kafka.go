// Package kafka owns `vigil serve`'s Kafka input: a consumer-group member
// (franz-go) that evaluates the rules over the partitions it owns, so N
// instances in one group share the work, with every alert raised once
// across rebalances and crashes.
//
// Each owned partition has its own engine.Live: windows, groups and
// per-source watermarks are per partition, which gives one instance's
// results when producers key events by agent.id or host.id and the rules'
// groups include it (docs/kafka.md). Balancing is cooperative-sticky; a
// revoked partition commits and stops; a lost one (session expired) just
// stops.
//
// Offsets are committed only for events whose windows are final: the
// committed offset is the first event an open window may still read, and
// the commit metadata carries the engine's watermark and the offset read up
// to. A new owner starts from the committed offset with the windows that
// watermark closed kept closed, replays up to that offset into fresh state
// (engine.Live.Replaying) and goes on live. Alerts re-derived by the replay
// have the ids and content they had (rule + group), and are suppressed: by
// the alerts topic, which is the group's ledger of raised alerts (read up to
// its end before a new partition is replayed), and by the service's store.
// Late events re-open final windows, which are rebuilt from Kafka itself,
// read from the offset of (window start − max_future_skew) by timestamp.
//
// Malformed and oversized messages are counted, logged and written to the
// dead-letter topic with headers naming where they came from and why; they
// never stop the partition.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"vigil/internal/config"
	"vigil/internal/doc"
	"vigil/internal/engine"
	"vigil/internal/rule"
)

// Options build a Consumer.
type Options struct {
	Config *config.Config // validated; Kafka enabled
	Rules  []*engine.CompiledRule
	// Mapping types documents (nil: the built-in mappings).
	Mapping *doc.Mapping
	// Deliver receives the alerts that are new or changed (the ledger
	// dropped the rest), on the consumer goroutine, once they are in the
	// alerts topic; the service stores them and sends them to its sinks.
	Deliver func([]engine.Update)
	Clock   engine.Clock // nil: the system clock
	Logger  *slog.Logger // nil: discard
	// ClientOpts are added to every client's options (tests: a dialer).
	ClientOpts []kgo.Opt
	// FlushInterval bounds how long alerts wait while records keep coming
	// (default 100ms); CommitInterval how often offsets are committed
	// (default 1s).
	FlushInterval, CommitInterval time.Duration
}

// Consumer is one member of the consumer group.
type Consumer struct {
	opts    Options
	k       config.Kafka
	log     *slog.Logger
	cl      *kgo.Client
	adm     *kadm.Client
	conn    []kgo.Opt
	dec     *doc.Decoder
	readIDs bool
	ledger  *ledger
	metrics *Metrics

	// mu guards parts and pending: the group's callbacks run on franz-go's
	// goroutine, between polls (BlockRebalanceOnPoll).
	mu      sync.Mutex
	parts   map[tp]*partition
	pending []*partition // assigned, not yet restored
	dlq     []*kgo.Record
	view    []PartitionState // for the API, as of the last poll
	// missing are the subscribed topics the cluster does not have (named
	// topics only; a regex matches what exists), checked every topicCheck.
	missing   []string
	lastCheck time.Time
}

// topicCheck is how often named topics are checked for existence.
const topicCheck = 30 * time.Second

type tp struct {
	topic string
	part  int32
}

// New connects the group member (it joins on Run).
func New(opts Options) (*Consumer, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if opts.Clock == nil {
		opts.Clock = engine.SystemClock{}
	}
	if opts.Mapping == nil {
		opts.Mapping = (&engine.Catalog{}).DecoderMapping()
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 100 * time.Millisecond
	}
	if opts.CommitInterval <= 0 {
		opts.CommitInterval = time.Second
	}
	if opts.Deliver == nil {
		opts.Deliver = func([]engine.Update) {}
	}
	// new_terms rules need their seen terms kept across partition moves (the
	// service keeps them in its store, per instance): not served from Kafka
	// yet.
	opts.Rules = slices.DeleteFunc(slices.Clone(opts.Rules), func(cr *engine.CompiledRule) bool {
		if cr.Rule.NewTerms != nil {
			opts.Logger.Warn("new_terms rule not served from Kafka yet (its _bulk ingest is)", "rule", cr.Rule.Name)
			return true
		}
		return false
	})
	k := opts.Config.Kafka
	c := &Consumer{opts: opts, k: k, log: opts.Logger, parts: map[tp]*partition{}, metrics: newMetrics(),
		readIDs: engine.ReadIDs(opts.Rules)}
	c.dec = doc.NewDecoder(opts.Mapping, doc.DecodeOptions{Dynamic: true, Fields: engine.DecodeFields(opts.Rules, nil), Source: engine.ReadSources(opts.Rules)})
	conn, err := connOpts(k)
	if err != nil {
		return nil, err
	}
	c.conn = append(conn, opts.ClientOpts...)
	topics, err := topicOpts(k)
	if err != nil {
		return nil, err
	}
	start := kgo.NewOffset().AtStart()
	if k.StartOffset == config.KafkaLatest {
		start = kgo.NewOffset().AtEnd()
	}
	gopts := append(append([]kgo.Opt{}, c.conn...), topics...)
	gopts = append(gopts,
		kgo.ConsumerGroup(k.Group),
		kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.SessionTimeout(k.SessionTimeout.Duration),
		// Kafka's default 3 s, or a third of a shorter session.
		kgo.HeartbeatInterval(min(3*time.Second, k.SessionTimeout.Duration/3)),
		kgo.ConsumeResetOffset(start),
		// A record over the limit is still fetched (and dead-lettered):
		// the fetch size only has to admit it.
		kgo.FetchMaxPartitionBytes(int32(max(k.MaxMessageBytes+1<<20, 1<<20))),
		kgo.OnPartitionsAssigned(c.assigned),
		kgo.OnPartitionsRevoked(c.revoked),
		kgo.OnPartitionsLost(c.lost),
	)
	if c.cl, err = kgo.NewClient(gopts...); err != nil {
		return nil, err
	}
	c.adm = kadm.NewClient(c.cl)
	c.ledger = &ledger{topic: k.AlertsTopic, seen: map[string]raised{}, read: map[int32]int64{}}
	for _, cr := range spanning(opts.Rules) {
		c.log.Warn("rule groups may span Kafka partitions: its results are per partition (docs/kafka.md)",
			"rule", cr.Rule.Name, "by", cr.Query.GroupBy(), "partition_keys", partitionKeys)
	}
	return c, nil
}

// Run consumes until ctx is done, then commits what is final and leaves
// the group.
func (c *Consumer) Run(ctx context.Context) error {
	defer c.close()
	lastCommit := time.Now()
	for ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, c.opts.FlushInterval)
		fetches := c.cl.PollRecords(pctx, 10_000)
		cancel()
		if fetches.IsClientClosed() {
			return nil
		}
		fetches.EachError(func(topic string, part int32, err error) {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				return
			}
			c.metrics.fetchErrors.Inc()
			c.log.Warn("kafka fetch error", "topic", topic, "partition", part, "err", err)
		})
		c.mu.Lock()
		c.restorePending(ctx)
		fetches.EachPartition(func(f kgo.FetchTopicPartition) {
			p := c.parts[tp{f.Topic, f.Partition}]
			if p == nil || p.state == "" { // revoked meanwhile, or not restored
				return
			}
			for _, r := range f.Records {
				c.consume(p, r)
			}
			if f.HighWatermark > 0 {
				p.hw = f.HighWatermark
			}
		})
		c.deadLetter(ctx)
		for _, p := range c.sorted() {
			c.flush(ctx, p)
		}
		if time.Since(lastCommit) >= c.opts.CommitInterval {
			c.commit(ctx, c.sorted())
			lastCommit = time.Now()
		}
		c.checkTopics(ctx)
		c.publish()
		c.mu.Unlock()
		c.cl.AllowRebalance()
	}
	return nil
}

// close evaluates and commits every partition and leaves the group.
func (c *Consumer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c.mu.Lock()
	ps := c.sorted()
	for _, p := range ps {
		c.flush(ctx, p)
	}
	c.commit(ctx, ps)
	c.mu.Unlock()
	c.cl.Close()
}

// crash drops the member as a crash would: nothing flushed or committed,
// no LeaveGroup; the group reassigns its partitions once its session
// expires. Tests use it with a dialer that severs the connections first.
func (c *Consumer) crash() {
	c.mu.Lock()
	c.parts = map[tp]*partition{}
	c.pending = nil
	c.mu.Unlock()
	c.cl.Close()
}

func (c *Consumer) sorted() []*partition {
	out := make([]*partition, 0, len(c.parts))
	for _, p := range c.parts {
		if p.state != "" {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].topic != out[j].topic {
			return out[i].topic < out[j].topic
		}
		return out[i].part < out[j].part
	})
	return out
}

// newLive is a partition's engine: the service's real-time settings.
func (c *Consumer) newLive() *engine.Live {
	cfg := c.opts.Config
	return engine.NewLive(c.opts.Rules, engine.LiveOptions{
		AllowedLateness:    cfg.AllowedLateness.Duration,
		MaxFutureSkew:      cfg.MaxFutureSkew.Duration,
		Retention:          cfg.LateRetention.Duration,
		MaxGroups:          cfg.Limits.MaxGroupsPerRule,
		MaxAlertsPerWindow: cfg.Limits.MaxAlertsPerWindow,
		IndexFallback:      cfg.Index,
		Clock:              c.opts.Clock,
		ExecUUID:           engine.StableExecUUID,
		OnLate: func(_ *rule.Rule, _ *doc.Document, _ int64) {
			c.metrics.expired.Inc()
		},
		OnFuture: func(_ *rule.Rule, _ *doc.Document, _ int64) {
			c.metrics.future.Inc()
		},
	})
}

// assigned registers new partitions; they are restored on the consumer
// goroutine before any of their records is evaluated.
func (c *Consumer) assigned(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for topic, parts := range m {
		for _, n := range parts {
			p := &partition{topic: topic, part: n, live: c.newLive(), assigned: time.Now(), committed: -1}
			c.parts[tp{topic, n}] = p
			c.pending = append(c.pending, p)
		}
	}
	c.log.Info("kafka partitions assigned", "partitions", fmt.Sprint(m))
}

// revoked commits the partitions' state and stops them (cooperative: the
// others keep running).
func (c *Consumer) revoked(ctx context.Context, _ *kgo.Client, m map[string][]int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ps []*partition
	for topic, parts := range m {
		for _, n := range parts {
			if p := c.parts[tp{topic, n}]; p != nil && p.state != "" {
				c.flush(ctx, p)
				ps = append(ps, p)
			}
		}
	}
	c.commit(ctx, ps)
	c.drop(m)
	c.log.Info("kafka partitions revoked", "partitions", fmt.Sprint(m))
}

// lost drops partitions whose ownership already moved (session expired):
// committing would race the new owner.
func (c *Consumer) lost(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drop(m)
	c.log.Warn("kafka partitions lost", "partitions", fmt.Sprint(m))
}

func (c *Consumer) drop(m map[string][]int32) {
	for topic, parts := range m {
		for _, n := range parts {
			delete(c.parts, tp{topic, n})
			c.metrics.forget(topic, n)
		}
	}
	kept := c.pending[:0]
	for _, p := range c.pending {
		if c.parts[tp{p.topic, p.part}] == p {
			kept = append(kept, p)
		}
	}
	c.pending = kept
}

// restorePending reads the ledger up to its end and the committed offsets'
// metadata, and rebuilds each new partition's closed windows. The client
// already fetches from the committed offset.
func (c *Consumer) restorePending(ctx context.Context) {
	if len(c.pending) == 0 {
		return
	}
	if err := c.ledger.catchUp(ctx, c.conn, c.adm); err != nil {
		c.log.Error("kafka alerts ledger not read; alerts may repeat", "err", err)
	}
	offs, err := c.adm.FetchOffsets(ctx, c.k.Group)
	if err != nil {
		c.log.Error("kafka committed offsets not read", "err", err)
	}
	for _, p := range c.pending {
		o, ok := offs.Lookup(p.topic, p.part)
		p.state = stateLive
		p.rebuilt = time.Now()
		if ok && o.Err == nil && o.At >= 0 {
			p.committed, p.meta = o.At, o.Metadata
			p.next = o.At
			if p.restore(o.Metadata, c.opts.Rules) && p.replayEnd > o.At {
				p.state = stateRebuilding
			}
		}
	}
	c.pending = nil
}

// consume evaluates one record.
func (c *Consumer) consume(p *partition, r *kgo.Record) {
	replay := r.Offset < p.replayEnd
	p.next = r.Offset + 1
	c.metrics.messages.Inc()
	if replay {
		p.replayed++
		c.metrics.replayed.WithLabelValues(p.topic, strconv.Itoa(int(p.part))).Inc()
	} else if p.state == stateRebuilding {
		p.finishRebuild(c.metrics)
	}
	d, err := c.document(r)
	if err != nil {
		if !replay { // the previous owner dead-lettered it
			c.reject(p, r, err)
		}
		return
	}
	p.events++
	p.live.Replaying = replay
	t := engine.Timestamp(d)
	if p.live.Push(d) {
		if t != math.MinInt64 {
			p.track(r.Offset, t)
		}
	} else if t != math.MinInt64 {
		p.live.Observe(engine.SourceOf(d), t)
	}
	p.live.Replaying = false
	if p.state == stateRebuilding && p.next >= p.replayEnd {
		p.finishRebuild(c.metrics)
	}
}

func (p *partition) finishRebuild(m *Metrics) {
	p.state = stateLive
	p.rebuildSeconds = time.Since(p.rebuilt).Seconds()
	m.rebuild.WithLabelValues(p.topic, strconv.Itoa(int(p.part))).Set(p.rebuildSeconds)
}

// checkTopics reports subscribed topics the cluster does not have: the
// member waits for them (a shipper may create them later), and says so.
func (c *Consumer) checkTopics(ctx context.Context) {
	if c.k.TopicRegex || time.Since(c.lastCheck) < topicCheck {
		return
	}
	c.lastCheck = time.Now()
	details, err := c.adm.ListTopics(ctx, c.k.Topics...)
	if err != nil {
		return // the cluster is away: fetch errors say it
	}
	var missing []string
	for _, t := range c.k.Topics {
		if d, ok := details[t]; !ok || d.Err != nil {
			missing = append(missing, t)
		}
	}
	if !slices.Equal(missing, c.missing) && len(missing) > 0 {
		c.log.Warn("kafka topics not found; waiting for them", "topics", missing)
	}
	c.missing = missing
	c.metrics.missingTopics.Set(float64(len(missing)))
}

// document decodes a record's event, with its index and id.
func (c *Consumer) document(r *kgo.Record) (*doc.Document, error) {
	m, err := decodeMessage(r.Value, c.k.TopicIndex[r.Topic], c.k.MaxMessageBytes)
	if err != nil {
		return nil, err
	}
	d, err := c.dec.Decode(m.raw)
	if err != nil {
		return nil, err
	}
	if m.index != "" {
		d.Index = m.index
	}
	if d.ID = m.id; d.ID == "" && c.readIDs {
		d.ID = doc.AutoID(m.raw)
	}
	return d, nil
}

// reject counts a bad message and queues it for the dead-letter topic.
func (c *Consumer) reject(p *partition, r *kgo.Record, err error) {
	reason := reasonMalformed
	if errors.Is(err, errOversized) {
		reason = reasonOversized
	}
	p.malformed++
	c.metrics.deadLetters.WithLabelValues(reason).Inc()
	c.log.Warn("kafka message rejected", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "reason", reason, "err", err)
	if c.k.DeadLetterTopic == "" {
		return
	}
	val := r.Value
	if reason == reasonOversized {
		val = nil // the dead-letter topic would refuse it too; the headers say where it is
	}
	c.dlq = append(c.dlq, &kgo.Record{Topic: c.k.DeadLetterTopic, Key: r.Key, Value: val, Headers: []kgo.RecordHeader{
		{Key: "vigil-reason", Value: []byte(reason)},
		{Key: "vigil-error", Value: []byte(err.Error())},
		{Key: "vigil-source", Value: []byte(r.Topic + "/" + strconv.Itoa(int(r.Partition)) + "@" + strconv.FormatInt(r.Offset, 10))},
	}})
}

// deadLetter writes the poll's rejected messages before anything past them
// is committed (the producer retries while the cluster is away).
func (c *Consumer) deadLetter(ctx context.Context) {
	if len(c.dlq) == 0 {
		return
	}
	if err := c.cl.ProduceSync(ctx, c.dlq...).FirstErr(); err != nil {
		c.metrics.produceErrors.Inc()
		c.log.Error("kafka dead-letter write failed", "err", err)
	}
	c.dlq = c.dlq[:0]
}

// flush evaluates a partition's windows (and, at most once a second, the
// windows late events re-opened) and raises what is new.
func (c *Consumer) flush(ctx context.Context, p *partition) {
	ups, err := p.live.Flush()
	if err != nil {
		c.log.Error("evaluation failed", "topic", p.topic, "partition", p.part, "err", err)
	}
	if p.live.PendingLate() && time.Since(p.lastLateReevaluation) >= time.Second {
		p.lastLateReevaluation = time.Now()
		more, err := p.live.Reevaluate(c.source(ctx, p))
		if err != nil {
			c.log.Error("late re-evaluation failed", "topic", p.topic, "partition", p.part, "err", err)
		}
		ups = append(ups, more...)
	}
	c.raise(ctx, p, ups)
}

// raise passes on the updates of p's windows that the ledger calls new,
// after writing them to the alerts topic.
func (c *Consumer) raise(ctx context.Context, p *partition, ups []engine.Update) {
	fresh, recs := c.ledger.filter(ups, p.topic+"/"+strconv.Itoa(int(p.part)), p.next)
	if len(fresh) == 0 {
		return
	}
	if len(recs) > 0 {
		if err := c.cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			c.metrics.produceErrors.Inc()
			c.log.Error("kafka alerts topic write failed", "err", err)
		}
	}
	c.metrics.alerts.Add(float64(len(fresh)))
	c.opts.Deliver(fresh)
}

// commit commits each partition's commit point with its checkpoint.
func (c *Consumer) commit(ctx context.Context, ps []*partition) {
	offs := map[string]map[int32]kgo.EpochOffset{}
	metas := map[tp]string{}
	for _, p := range ps {
		if p.state != stateLive {
			continue // mid-rebuild: the previous owner's commit still holds
		}
		at, meta := p.commitPoint(), p.checkpointMeta()
		if at == p.committed && meta == p.meta {
			continue
		}
		if offs[p.topic] == nil {
			offs[p.topic] = map[int32]kgo.EpochOffset{}
		}
		offs[p.topic][p.part] = kgo.EpochOffset{Epoch: -1, Offset: at}
		metas[tp{p.topic, p.part}] = meta
	}
	if len(offs) == 0 {
		return
	}
	cctx := kgo.PreCommitFnContext(ctx, func(req *kmsg.OffsetCommitRequest) error {
		for i := range req.Topics {
			t := &req.Topics[i]
			for j := range t.Partitions {
				if m, ok := metas[tp{t.Topic, t.Partitions[j].Partition}]; ok {
					t.Partitions[j].Metadata = &m
				}
			}
		}
		return nil
	})
	c.cl.CommitOffsetsSync(cctx, offs, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			c.log.Warn("kafka commit failed", "err", err)
			return
		}
		for _, t := range resp.Topics {
			for _, pr := range t.Partitions {
				key := tp{t.Topic, pr.Partition}
				if pr.ErrorCode != 0 {
					continue
				}
				if p := c.parts[key]; p != nil {
					p.committed, p.meta = offs[t.Topic][pr.Partition].Offset, metas[key]
				}
			}
		}
	})
}
