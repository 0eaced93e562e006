package server

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ruleActivity is what the rules page shows beside each rule's live
// state: last evaluation and recent errors, per rule in the engine's stats
// order (ES|QL rules, then EQL rules). Written by the engine goroutine,
// read by the API. Events matched is the engine's own count
// (engine.RuleStats.Matched): the events the rule's per-event condition
// passed, decided where the engine decides it.
type ruleActivity struct {
	names    []string       // rule names
	lastEval []atomic.Int64 // ms; 0 = never
	mu       sync.Mutex
	errors   [][]ruleError // per rule, newest last, at most maxRuleErrors
}

type ruleError struct {
	At      int64 // ms
	Message string
}

const maxRuleErrors = 5

func newRuleActivity(names []string) *ruleActivity {
	return &ruleActivity{names: names, lastEval: make([]atomic.Int64, len(names)), errors: make([][]ruleError, len(names))}
}

// evaluated stamps the rules an evaluation ran for (all when ran is nil)
// and attributes err to the rule it names (the engine's errors start
// `rule "NAME"`), or to every rule evaluated when it names none.
func (a *ruleActivity) evaluated(ran map[string]bool, at time.Time, err error) {
	ms := at.UnixMilli()
	for i, name := range a.names {
		if ran != nil && !ran[name] {
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
	for i, name := range a.names {
		if strings.HasPrefix(msg, `rule "`+name+`"`) {
			a.addError(i, ms, msg)
			named = true
		}
	}
	for i, name := range a.names {
		if !named && (ran == nil || ran[name]) {
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

// view is rule i's activity for the API, with the engine's count of the
// events it matched.
func (a *ruleActivity) view(i int, alerts int, matched int64) map[string]any {
	m := map[string]any{"events_matched": matched, "alerts": alerts, "last_evaluation": nil}
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
