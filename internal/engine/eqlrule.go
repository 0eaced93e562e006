package engine

// EQL rules (type = "eql") cannot be lowered to ES|QL (sequences have no
// ES|QL form), so they run on their own path: an EQLHunt collects, per
// rule, the events of the rule's indices that can take part in a result
// (eql.Query.Candidate: an event query's matches; for a sequence or a
// sample, the events of its stages and until),
// projected to the query's fields, and at Finish runs eql.Query.Search over
// them — sorted by timestamp, tiebreaker, then input order, as
// Elasticsearch's EQL search orders them — with the rule's max_signals as
// the search size. Alerts are shaped by BuildAlert; sequences as Kibana's
// build_alert_group_from_sequence.ts writes them (see sequenceAlerts), and
// samples alike: Elasticsearch returns samples under hits.sequences, and
// Kibana's EQL executor (rule_types/eql/eql.ts) wraps whatever it finds
// there with wrapSequences. EQLHunt.Replay runs them on Kibana's schedule
// (eqlreplay.go), the live engine in `vigil serve` (live_eql.go), with the
// same alerts.

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/doc"
	"vigil/internal/eql"
	"vigil/internal/esql"
	"vigil/internal/exception"
	"vigil/internal/kql"
	"vigil/internal/prefilter"
	"vigil/internal/rule"
	"vigil/internal/source"
)

// EQLRule is an EQL rule with its query compiled against the mapping of
// its index patterns.
type EQLRule struct {
	Rule    *rule.Rule
	Query   *eql.Query
	index   []string
	mapping *doc.Mapping // of the index patterns, for the prefilter
	// Exceptions are the rule's exception items (nil: none; see
	// ApplyExceptions). All are source-stage: an EQL rule has no output
	// columns.
	Exceptions *exception.Applied
	// filter is the rule's filters (rule.Filter) compiled against mapping;
	// nil when it has none. Kibana passes them in the EQL search's filter
	// with the exceptions (build_eql_search_request.ts), so they too keep
	// events from every stage of a sequence.
	filter *kql.Matcher
}

// ApplyExceptions attaches the items of the lists the rule's
// exceptions_list names, as CompiledRule.ApplyExceptions does. Kibana adds
// an EQL rule's exceptions to the EQL search's filter
// (rule_types/eql/build_eql_search_request.ts: getQueryFilter with the
// exception lists becomes the request's `filter`), and Elasticsearch's
// EQL search runs the query only over the events that filter keeps: an
// excepted event takes part in no stage of a sequence. Items naming a
// field the rule's indices do not map are rejected (problems).
func (r *EQLRule) ApplyExceptions(set *exception.Set, now time.Time) ([]error, error) {
	a, problems, err := r.CompileExceptions(set, exception.RefsOf(r.Rule.ExceptionsList), now)
	if err != nil {
		return problems, err
	}
	r.Exceptions = a
	return problems, nil
}

// CompileExceptions is ApplyExceptions for the lists refs names, without
// attaching the result (see CompiledRule.CompileExceptions and
// Live.SetEQLExceptions). The problems include a.Rejected; a is nil when
// no item applies.
func (r *EQLRule) CompileExceptions(set *exception.Set, refs []exception.Ref, now time.Time) (*exception.Applied, []error, error) {
	items, problems := set.Resolve(refs)
	if len(items) == 0 {
		return nil, problems, nil
	}
	a, err := exception.Apply(items, exception.View{Source: r.mapping}, set.ValueLists, now)
	if err != nil {
		return nil, problems, ruleError(r.Rule, err)
	}
	return a, append(problems, a.Rejected...), nil
}

// DefaultMaxEQLEvents bounds the events an EQLHunt keeps per rule.
const DefaultMaxEQLEvents = 5_000_000

// CompileEQL compiles an EQL rule against the catalog's mapping for its
// index patterns; query errors are positioned in the rule file.
func CompileEQL(r *rule.Rule, cat esql.Catalog) (*EQLRule, error) {
	index := r.Index
	if len(index) == 0 {
		index = []string{"*"}
	}
	m, err := cat.Resolve(index)
	if err != nil {
		return nil, &rule.Error{Path: r.Path, Line: r.QueryLine, Msg: err.Error()}
	}
	size := r.MaxSignals
	if size <= 0 {
		size = rule.DefaultMaxSignals
	}
	opts := eql.Options{Size: size}
	if r.TimestampField != "" {
		opts.TimestampField = r.TimestampField
	}
	q, err := eql.Compile(r.Query, m, opts)
	if err != nil {
		// Fields the index patterns' mappings declare by pattern compile as
		// they do in ES|QL rules (see declaredColumns).
		if extra := declareFields(m, unknownEQLColumns(err), cat); extra != nil {
			fill(m, extra)
			q, err = eql.Compile(r.Query, m, opts)
		}
	}
	if err != nil {
		return nil, eqlRuleError(r, err)
	}
	er := &EQLRule{Rule: r, Query: q, index: index, mapping: m}
	if r.Filter != nil {
		if er.filter, err = kql.Compile(r.Filter, m, kql.Options{Dialect: kql.Kibana}); err != nil {
			return nil, &rule.Error{Path: r.Path, Line: r.QueryLine, Msg: "rule.filters: " + err.Error()}
		}
	}
	return er, nil
}

// unknownEQLColumns lists the names of an EQL error's "Unknown column [x]".
func unknownEQLColumns(err error) []string {
	var list eql.ErrorList
	if !errors.As(err, &list) {
		return nil
	}
	var out []string
	for _, e := range list {
		if name, ok := unknownColumn(e.Msg); ok {
			out = append(out, name)
		}
	}
	return out
}

// eqlRuleError re-positions EQL errors (line:col within the query) as
// file:line:col within the rule file.
func eqlRuleError(r *rule.Rule, err error) error {
	var list eql.ErrorList
	if !errors.As(err, &list) {
		return &rule.Error{Path: r.Path, Line: r.QueryLine, Msg: err.Error()}
	}
	var out []error
	for _, e := range list {
		out = append(out, inRuleFile(r, e.Line, e.Col, e.Msg))
	}
	return errors.Join(out...)
}

// reads reports whether the rule's index patterns name the index (or the
// data stream it backs).
func (r *EQLRule) reads(index string) bool {
	stream := DataStreamOf(index)
	for _, p := range r.index {
		if ok, _ := path.Match(p, stream); ok {
			return true
		}
		if ok, _ := path.Match(p, index); ok {
			return true
		}
	}
	return false
}

// EQLHunt runs EQL rules over a stream of documents pushed in input order.
type EQLHunt struct {
	IndexFallback     string
	UnindexedMatchAll bool
	// MaxEvents bounds the events kept per rule (DefaultMaxEQLEvents when
	// 0); further events are dropped and counted (RuleResult.Warnings).
	MaxEvents int
	rules     []*eqlHuntRule
}

type eqlHuntRule struct {
	r       *EQLRule
	filter  *prefilter.Filter // nil: every line may matter
	passed  bool              // the current line passed filter
	events  []*doc.Document
	pushed  int64
	dropped int64
	// excepted counts per source-stage exception item the events it
	// removed (nil until one does).
	excepted []int64
}

// NewEQLHunt prepares a hunt over the given rules.
func NewEQLHunt(rules []*EQLRule) *EQLHunt {
	h := &EQLHunt{}
	for _, r := range rules {
		h.rules = append(h.rules, &eqlHuntRule{r: r})
	}
	return h
}

// Fields is the union of the rules' fields plus what routing reads: the
// projection for the decoder. Documents must not be reused by the decoder:
// the hunt keeps them.
func (h *EQLHunt) Fields() []string {
	seen := map[string]bool{}
	var out []string
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	for _, f := range []string{"data_stream.type", "data_stream.dataset", "data_stream.namespace", "@timestamp"} {
		add(f)
	}
	for _, r := range h.rules {
		for _, f := range r.r.Fields() {
			add(f)
		}
	}
	return out
}

// Read reads the files, decoding only the lines some rule's prefilter
// passes (see Prefilter), and pushes each document to the rules whose
// filter it passed.
func (h *EQLHunt) Read(rd *source.Reader, files []string, dec *doc.Decoder) (source.Stats, error) {
	keep := func(line []byte) bool {
		any := false
		for _, r := range h.rules {
			r.passed = r.filter.Match(line)
			any = any || r.passed
		}
		return any
	}
	return rd.FilteredDocuments(files, dec, keep, func(d *doc.Document) { h.push(d, true) })
}

// Prefilter derives each rule's line prefilter from its query's
// EventCondition, with the same soundness rules as ES|QL rules' (mappings
// are those that type the events' fields: the decoder's).
func (h *EQLHunt) Prefilter(mappings ...*doc.Mapping) {
	for _, r := range h.rules {
		r.filter = r.r.Prefilter(mappings...)
	}
}

// Prefilter is the rule's line prefilter, derived from its query's
// EventCondition (nil: every line may matter); mappings are those that
// type the events' fields (the decoder's).
func (r *EQLRule) Prefilter(mappings ...*doc.Mapping) *prefilter.Filter {
	c := r.Query.EventCondition()
	if c == nil {
		return nil
	}
	return prefilter.New(c, append([]*doc.Mapping{r.mapping}, mappings...)...)
}

// Index is the rule's index patterns ("*" when it names none).
func (r *EQLRule) Index() []string { return r.index }

// Fields are what the rule reads: its query's fields, its exception
// items' and its filters'.
func (r *EQLRule) Fields() []string {
	out := append(slices.Clone(r.Query.Fields()), r.Exceptions.Fields()...)
	if r.filter != nil {
		out = append(out, r.filter.Fields()...)
	}
	return out
}

// filteredOut reports whether the rule's filters (rule.filters) keep the
// event out of its search.
func (r *EQLRule) filteredOut(d *doc.Document) bool {
	return r.filter != nil && !r.filter.Match(d)
}

// Push routes one document to the rules whose index patterns name its
// index, keeping it when it can take part in a result.
func (h *EQLHunt) Push(d *doc.Document) { h.push(d, false) }

// push is Push; filtered skips the rules whose prefilter the document's
// line failed (eqlHuntRule.passed).
func (h *EQLHunt) push(d *doc.Document, filtered bool) {
	index, _, ok := route(d, h.IndexFallback)
	if !ok && !h.UnindexedMatchAll {
		return
	}
	limit := h.MaxEvents
	if limit <= 0 {
		limit = DefaultMaxEQLEvents
	}
	for _, r := range h.rules {
		if ok && !r.r.reads(index) {
			continue
		}
		r.pushed++
		if filtered && !r.passed {
			continue
		}
		// Exceptions filter the events before the query, as the EQL
		// search's filter does (see ApplyExceptions).
		if exceptedBy(r.r.Exceptions, d, &r.excepted) {
			continue
		}
		if r.r.filteredOut(d) {
			continue
		}
		if !r.r.Query.Candidate(d) {
			continue
		}
		if len(r.events) >= limit {
			r.dropped++
			continue
		}
		r.events = append(r.events, d)
	}
}

// Finish searches each rule's events and builds its alerts.
func (h *EQLHunt) Finish(now time.Time, execUUID string) []*RuleResult {
	var out []*RuleResult
	for _, r := range h.rules {
		res := r.r.Query.Search(r.events)
		// No vigil.execution.range: the prefilter skips lines undecoded,
		// so the range of the events seen would depend on it.
		ex := Execution{UUID: execUUID, Time: now, Indices: r.r.index}
		rr := &RuleResult{Rule: r.r.Rule, Events: r.pushed, Matched: int64(len(r.events)),
			Exceptions: exceptionCounts(r.r.Exceptions, r.excepted, nil)}
		if r.dropped > 0 {
			rr.Warnings = append(rr.Warnings, itoa(r.dropped)+" events dropped: more than the per-rule cap of candidate events")
		}
		if res.Dropped > 0 {
			rr.Warnings = append(rr.Warnings, itoa(int64(res.Dropped))+" pending sequences dropped by the sequence cap")
		}
		if r.r.Query.HasStages() {
			rr.Rows = len(res.Sequences)
			for _, s := range res.Sequences {
				rr.Alerts = append(rr.Alerts, sequenceAlerts(r.r.Rule, s, ex)...)
			}
		} else {
			rr.Rows = len(res.Events)
			for _, d := range res.Events {
				rr.Alerts = append(rr.Alerts, eventAlert(r.r.Rule, d, ex))
			}
		}
		out = append(out, rr)
	}
	return out
}

// eventColumns are the columns of an EQL event alert's row: the event's
// identity (FetchSources merges its source) and time.
var eventColumns = []esql.Column{{Name: "_id", Type: doc.Keyword}, {Name: "_index", Type: doc.Keyword}, {Name: "@timestamp", Type: doc.Date}}

// eventAlert is the alert of one event, as a non-aggregating rule's.
func eventAlert(r *rule.Rule, d *doc.Document, ex Execution) *Alert {
	row := []doc.Value{doc.KeywordOf(d.ID), doc.KeywordOf(d.Index), d.Get("@timestamp")}
	return BuildAlert(r, eventColumns, row, nil, ex)
}

// sequenceAlerts shapes a sequence as Kibana's buildAlertGroupFromSequence
// (rule_types/eql/build_alert_group_from_sequence.ts) does: one building
// block alert per event (kibana.alert.building_block_type "default",
// kibana.alert.group.index its position) and a shell alert whose ancestors
// are each event followed by its building block, all sharing
// kibana.alert.group.id, the shell's id. Building block ids are Kibana's
// (generate_building_block_ids.ts): sha256 of every block's ancestors' id
// and index and the rule's uuid, then the block's position. Kibana's shell
// id hashes the whole shell document (generateAlertId), run times
// included; Vigil's hashes the rule and the building block ids, so re-runs
// give the same id. Kibana's shell also carries the source fields its
// building blocks share (objectArrayIntersection); Vigil's does not (see
// docs/eql.md).
func sequenceAlerts(r *rule.Rule, s eql.Sequence, ex Execution) []*Alert {
	var events []*doc.Document
	var base strings.Builder
	for _, d := range s.Events {
		if d != nil { // nil: a missing-event stage
			events = append(events, d)
			base.WriteString(d.ID + d.Index + ruleUUID(r))
		}
	}
	var out []*Alert
	var ancestors []Ancestor
	h := sha256.New()
	h.Write([]byte(r.RuleID))
	for i, d := range events {
		sum := sha256.Sum256([]byte(base.String() + strconv.Itoa(i)))
		a := eventAlert(r, d, ex)
		a.ID = hex.EncodeToString(sum[:])
		a.Fields["kibana.alert.uuid"] = a.ID
		a.Fields["kibana.alert.instance.id"] = a.ID
		a.Fields["kibana.alert.building_block_type"] = "default"
		a.Fields["kibana.alert.group.index"] = i
		out = append(out, a)
		ancestors = append(ancestors, a.Fields["kibana.alert.ancestors"].([]Ancestor)...)
		ancestors = append(ancestors, Ancestor{Type: "signal", ID: a.ID, Depth: 1, Rule: ruleUUID(r)})
		h.Write([]byte{0})
		h.Write([]byte(a.ID))
	}
	shell := BuildAlert(r, nil, nil, nil, ex)
	shell.ID = hex.EncodeToString(h.Sum(nil))
	shell.Fields["kibana.alert.uuid"] = shell.ID
	shell.Fields["kibana.alert.instance.id"] = shell.ID
	shell.Fields["kibana.alert.group.id"] = shell.ID
	shell.Fields["kibana.alert.ancestors"] = ancestors
	shell.Fields["kibana.alert.depth"] = int64(2)
	if len(events) > 0 {
		if t, ok := originalTime(events[0].Get("@timestamp").JSON()); ok {
			shell.Fields["kibana.alert.original_time"] = t
		}
	}
	for _, a := range out {
		a.Fields["kibana.alert.group.id"] = shell.ID
	}
	return append(out, shell)
}
