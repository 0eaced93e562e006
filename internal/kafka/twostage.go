package kafka

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"

	"vigil/internal/doc"
	"vigil/internal/engine"
	"vigil/internal/esql"
)

// The two-stage plan for rules whose groups span partitions (spanning):
// stage 1 runs on each source partition, stage 2 on the partitions of an
// internal partials topic.
//
//   - Stage 1 (spanProducer) evaluates a source partition's events up to
//     the STATS and, when the partition's watermark passes windows, exports
//     their groups' partial aggregation states (esql.GroupState), one
//     record per group keyed by rule and group key, so that every
//     producer's piece of a group meets in one partials partition; then it
//     writes a mark (the source's watermark) to every partials partition,
//     after its partials, so a partition's reader knows that source is
//     past those windows.
//   - Stage 2 (spanMerger) keeps, per rule, window and group, the latest
//     state from each source: a source that re-publishes (a new owner
//     replaying after a crash) replaces its piece instead of counting it
//     twice. A window is final once every source partition's mark has
//     passed its end; its groups are then merged into a fresh execution,
//     which runs the rest of the query, and the rows become alerts as
//     `vigil hunt` builds them.
//
// Ids and content equal hunt's because the states merge exactly
// (esql.TestPartialMergeEqualsSingle) and alerts are built by rule + group.

// Header names of the partials topic's records.
const (
	hdrKind      = "vigil-kind" // kindPartial or kindMark
	hdrRule      = "vigil-rule"
	hdrSource    = "vigil-source"
	hdrWatermark = "vigil-watermark"
	kindPartial  = "partial"
	kindMark     = "mark"
)

// twoStage tells whether a spanning rule can run through the two-stage
// plan: its STATS states must merge (esql.Query.Mergeable) and its groups
// close with time windows (a group that never closes has no final moment
// to merge at).
func twoStage(cr *engine.CompiledRule) error {
	if err := cr.Query.Mergeable(); err != nil {
		return err
	}
	if cr.Query.WindowField() == "" {
		return errors.New("its STATS has no time-window key (BY DATE_TRUNC/BUCKET of the event time)")
	}
	if cr.Exceptions != nil {
		return errors.New("its exception items are not applied by the two-stage plan yet")
	}
	return nil
}

// spanProducer is stage 1 for one source partition.
type spanProducer struct {
	source string // topic/partition
	rules  []*engine.CompiledRule
	execs  []*esql.Execution
	// Fallback index for events with neither _index nor data_stream.*.
	fallback string
}

func newSpanProducer(source string, rules []*engine.CompiledRule, fallback string) *spanProducer {
	s := &spanProducer{source: source, rules: rules, fallback: fallback}
	for _, cr := range rules {
		s.execs = append(s.execs, cr.Query.NewExecution())
	}
	return s
}

// push routes one event to the rules that read its index, as hunt does.
func (s *spanProducer) push(d *doc.Document) {
	index := engine.IndexOf(d, s.fallback)
	if index == "" {
		return
	}
	if d.Index == "" {
		d.Index = index
	}
	stream := engine.DataStreamOf(index)
	for i, cr := range s.rules {
		if engine.Reads(cr.Query, index, stream) {
			s.execs[i].Push(d)
		}
	}
}

// flush exports the groups of the windows that ended by watermark (epoch
// ms) as partial records, each routed to the partials partition its rule
// and group key hash to, followed by the source's mark on every one of the
// partitions partitions. The records go out with a manual partitioner, in
// this order.
func (s *spanProducer) flush(watermark int64, topic string, partitions int32) ([]*kgo.Record, error) {
	var out []*kgo.Record
	for i, cr := range s.rules {
		gs, err := s.execs[i].ExportWindows(watermark)
		if err != nil {
			return nil, fmt.Errorf("rule %q: %w", cr.Rule.Name, err)
		}
		for _, g := range gs {
			val, err := g.MarshalBinary()
			if err != nil {
				return nil, err
			}
			key := groupRecordKey(cr.Rule.RuleID, g)
			out = append(out, &kgo.Record{Topic: topic, Partition: partitionOf(key, partitions), Key: key, Value: val,
				Headers: []kgo.RecordHeader{{Key: hdrKind, Value: []byte(kindPartial)}, {Key: hdrRule, Value: []byte(cr.Rule.RuleID)},
					{Key: hdrSource, Value: []byte(s.source)}}})
		}
	}
	for p := range partitions {
		out = append(out, &kgo.Record{Topic: topic, Partition: p, Key: []byte(s.source),
			Headers: []kgo.RecordHeader{{Key: hdrKind, Value: []byte(kindMark)}, {Key: hdrSource, Value: []byte(s.source)},
				{Key: hdrWatermark, Value: strconv.AppendInt(nil, watermark, 10)}}})
	}
	return out, nil
}

// groupRecordKey is rule id, window end and group key: equal for every
// source's piece of one group.
func groupRecordKey(ruleID string, g esql.GroupState) []byte {
	k, _ := esql.GroupState{Key: g.Key, End: g.End}.MarshalBinary() // keys from an execution are never multi-valued
	return append(append([]byte(ruleID), 0), k...)
}

func partitionOf(key []byte, partitions int32) int32 {
	h := fnv.New32a()
	h.Write(key)
	return int32(h.Sum32() % uint32(partitions))
}

// spanMerger is stage 2 for one partials partition.
type spanMerger struct {
	rules   map[string]*engine.CompiledRule // by rule id
	sources []string                        // every source partition a window waits for
	marks   map[string]int64
	// groups[rule][end][group record key][source] is a source's latest
	// state of a group.
	groups map[string]map[int64]map[string]map[string]esql.GroupState
	// final is the watermark every source has passed, up to which windows
	// were evaluated; a partial for a window at or before it is stale
	// (replayed after a restart, or re-published late) and dropped.
	final int64
	Stale int64
	// next is the offset after the last record added; first[rule][end] the
	// offset of the first partial of a pending window (the commit point is
	// the least of them).
	next  int64
	first map[string]map[int64]int64
}

// mergerCheckpoint is the commit metadata of a partials partition: a new
// owner reads again from the committed offset (the first partial of a
// pending window), so it needs the marks and what was evaluated.
type mergerCheckpoint struct {
	Final int64            `json:"final"`
	Marks map[string]int64 `json:"marks"`
}

func newSpanMerger(rules []*engine.CompiledRule, sources []string) *spanMerger {
	m := &spanMerger{rules: map[string]*engine.CompiledRule{}, sources: sources, marks: map[string]int64{},
		groups: map[string]map[int64]map[string]map[string]esql.GroupState{}, final: math.MinInt64,
		first: map[string]map[int64]int64{}}
	for _, cr := range rules {
		m.rules[cr.Rule.RuleID] = cr
	}
	return m
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// add takes one record of the partials topic; a malformed one (unknown
// kind or rule, corrupt encoding, states that do not fit the rule's query)
// is an error, for the caller to dead-letter, and changes nothing.
func (m *spanMerger) add(r *kgo.Record) error {
	m.next = r.Offset + 1
	source := header(r, hdrSource)
	if source == "" {
		return errors.New("partial record without " + hdrSource)
	}
	switch header(r, hdrKind) {
	case kindMark:
		wm, err := strconv.ParseInt(header(r, hdrWatermark), 10, 64)
		if err != nil {
			return fmt.Errorf("mark: %w", err)
		}
		m.marks[source] = max(m.marks[source], wm)
		return nil
	case kindPartial:
	default:
		return errors.New("partial record of unknown kind")
	}
	ruleID := header(r, hdrRule)
	cr := m.rules[ruleID]
	if cr == nil {
		return fmt.Errorf("partial record of unknown rule %q", ruleID)
	}
	var g esql.GroupState
	if err := g.UnmarshalBinary(r.Value); err != nil {
		return err
	}
	if err := cr.Query.CheckGroup(g); err != nil {
		return err // now, not when its window is merged (which it would stop)
	}
	if g.End <= m.final {
		m.Stale++
		return nil
	}
	byEnd := m.groups[ruleID]
	if byEnd == nil {
		byEnd = map[int64]map[string]map[string]esql.GroupState{}
		m.groups[ruleID] = byEnd
		m.first[ruleID] = map[int64]int64{}
	}
	if _, ok := m.first[ruleID][g.End]; !ok {
		m.first[ruleID][g.End] = r.Offset
	}
	byKey := byEnd[g.End]
	if byKey == nil {
		byKey = map[string]map[string]esql.GroupState{}
		byEnd[g.End] = byKey
	}
	key := string(groupRecordKey(ruleID, g))
	if byKey[key] == nil {
		byKey[key] = map[string]esql.GroupState{}
	}
	byKey[key][source] = g // a re-publication replaces
	return nil
}

// ready evaluates every window all sources have passed and returns its
// alerts, as hunt builds them (ex gives the execution fields).
func (m *spanMerger) ready(ex func(cr *engine.CompiledRule) engine.Execution) ([]*engine.Alert, error) {
	wm := int64(math.MinInt64)
	for i, s := range m.sources {
		v, ok := m.marks[s]
		if !ok {
			return nil, nil // a source not heard from yet
		}
		if i == 0 || v < wm {
			wm = v
		}
	}
	if wm <= m.final {
		return nil, nil
	}
	m.final = wm
	var out []*engine.Alert
	ids := slices.Sorted(maps.Keys(m.rules))
	for _, id := range ids {
		cr := m.rules[id]
		byEnd := m.groups[id]
		ends := slices.Sorted(maps.Keys(byEnd))
		for _, end := range ends {
			if end > wm {
				break
			}
			alerts, err := m.evaluate(cr, byEnd[end], ex(cr))
			if err != nil {
				return out, fmt.Errorf("rule %q: %w", cr.Rule.Name, err)
			}
			out = append(out, alerts...)
			delete(byEnd, end)
			delete(m.first[id], end)
		}
	}
	return out, nil
}

// commitPoint is the offset a new owner of the partials partition must
// read from: the first partial of a window not evaluated yet, else the
// next record. Call it after ready.
func (m *spanMerger) commitPoint() int64 {
	at := m.next
	for _, byEnd := range m.first {
		for _, off := range byEnd {
			at = min(at, off)
		}
	}
	return at
}

func (m *spanMerger) checkpointMeta() string {
	b, _ := json.Marshal(mergerCheckpoint{Final: m.final, Marks: m.marks})
	return string(b)
}

// restore applies a previous owner's commit metadata: windows it evaluated
// stay evaluated (their partials, read again, are stale), and the marks it
// had read count.
func (m *spanMerger) restore(meta string) error {
	var cp mergerCheckpoint
	if err := json.Unmarshal([]byte(meta), &cp); err != nil {
		return err
	}
	m.final = cp.Final
	for s, wm := range cp.Marks {
		m.marks[s] = max(m.marks[s], wm)
	}
	return nil
}

// evaluate merges one window's groups and runs the rest of the query.
func (m *spanMerger) evaluate(cr *engine.CompiledRule, byKey map[string]map[string]esql.GroupState, ex engine.Execution) ([]*engine.Alert, error) {
	e := cr.Query.NewExecution()
	for _, key := range slices.Sorted(maps.Keys(byKey)) {
		bySource := byKey[key]
		for _, s := range slices.Sorted(maps.Keys(bySource)) {
			if err := e.ImportGroups([]esql.GroupState{bySource[s]}); err != nil {
				return nil, err
			}
		}
	}
	res, err := e.Finish()
	if err != nil {
		return nil, err
	}
	by := cr.Query.GroupBy()
	var out []*engine.Alert
	for _, row := range res.Rows {
		out = append(out, engine.BuildAlert(cr.Rule, res.Columns, row, by, ex))
	}
	return out, nil
}

// sourceName names a source partition in the partials' headers.
func sourceName(topic string, part int32) string { return topic + "/" + strconv.Itoa(int(part)) }
