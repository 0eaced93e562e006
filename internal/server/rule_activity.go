package server

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"vigil/internal/doc"
	"vigil/internal/engine"
	pf "vigil/internal/prefilter"
)

// ruleActivity is what the rules page shows beside each rule's live
// state: events matched, last evaluation and recent errors. Written by the
// engine goroutine, read by the API.
//
// Events matched counts, per rule, the events routed to it (its FROM names
// their index) whose line passes its per-event prefilter: the events that
// can reach its per-event stage. The prefilter is sound, not exact (it
// passes every line that can match, and some that cannot), so for queries
// whose WHERE it does not fully decide the count is an upper bound; an
// exact count belongs in engine.Live (its Push knows), left for later.
type ruleActivity struct {
	filters  []*pf.Filter // per rule; nil: every line of its indices passes
	matched  []atomic.Int64
	lastEval []atomic.Int64 // ms; 0 = never
	mu       sync.Mutex
	errors   [][]ruleError // per rule, newest last, at most maxRuleErrors
}

type ruleError struct {
	At      int64 // ms
	Message string
}

const maxRuleErrors = 5

func newRuleActivity(rules []*engine.CompiledRule, cat *engine.Catalog, m *doc.Mapping) *ruleActivity {
	a := &ruleActivity{filters: make([]*pf.Filter, len(rules)), matched: make([]atomic.Int64, len(rules)),
		lastEval: make([]atomic.Int64, len(rules)), errors: make([][]ruleError, len(rules))}
	if cat == nil {
		cat = &engine.Catalog{}
	}
	for i, cr := range rules {
		if qm, err := cat.Resolve(cr.Query.IndexPatterns()); err == nil {
			a.filters[i] = pf.New(cr.Query.Plan().EventCondition(), qm, m)
		}
	}
	return a
}

// count notes a pushed event (its index already resolved by Live.Push).
func (a *ruleActivity) count(rules []*engine.CompiledRule, d *doc.Document, raw []byte) {
	if d.Index == "" {
		return
	}
	stream := engine.DataStreamOf(d.Index)
	for i, cr := range rules {
		if engine.Reads(cr.Query, d.Index, stream) && (a.filters[i] == nil || raw == nil || a.filters[i].Match(raw)) {
			a.matched[i].Add(1)
		}
	}
}

// evaluated stamps the rules an evaluation ran for (all when names is nil)
// and attributes err to the rule it names (the engine's errors start
// `rule "NAME"`), or to every rule evaluated when it names none.
func (a *ruleActivity) evaluated(rules []*engine.CompiledRule, names map[string]bool, at time.Time, err error) {
	ms := at.UnixMilli()
	for i, cr := range rules {
		if names != nil && !names[cr.Rule.Name] {
			continue
		}
		a.lastEval[i].Store(ms)
	}
	if err == nil {
		return
	}
	msg := err.Error()
	a.mu.Lock()
	defer a.mu.Unlock()
	named := false
	for i, cr := range rules {
		if strings.HasPrefix(msg, `rule "`+cr.Rule.Name+`"`) {
			a.addError(i, ms, msg)
			named = true
		}
	}
	for i, cr := range rules {
		if !named && (names == nil || names[cr.Rule.Name]) {
			a.addError(i, ms, msg)
		}
	}
}

func (a *ruleActivity) addError(i int, at int64, msg string) {
	e := append(a.errors[i], ruleError{at, msg})
	if len(e) > maxRuleErrors {
		e = e[len(e)-maxRuleErrors:]
	}
	a.errors[i] = e
}

// view is rule i's activity for the API.
func (a *ruleActivity) view(i int, alerts int) map[string]any {
	m := map[string]any{"events_matched": a.matched[i].Load(), "alerts": alerts, "last_evaluation": nil}
	if ms := a.lastEval[i].Load(); ms != 0 {
		m["last_evaluation"] = fmtMillis(ms)
	}
	a.mu.Lock()
	errs := make([]map[string]any, 0, len(a.errors[i]))
	for _, e := range a.errors[i] {
		errs = append(errs, map[string]any{"at": fmtMillis(e.At), "message": e.Message})
	}
	a.mu.Unlock()
	m["errors"] = errs
	return m
}
