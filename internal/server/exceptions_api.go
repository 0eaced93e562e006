package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"vigil/internal/engine"
	"vigil/internal/exception"
	"vigil/internal/rule"
	"vigil/internal/store"
)

// exceptionState is the exception items in force: the --exceptions set
// loaded at start and the items added through the API (persisted in the
// store). An API item replaces a file item with the same item_id. mu
// serialises API changes; the engine sees a change only through
// Live.SetExceptions on its own goroutine.
type exceptionState struct {
	file *exception.Set
	api  []*exception.Item // in the order added
}

// merged is the set the rules apply: the file set, its items whose
// item_id an API item has dropped, and the API items.
func (e *exceptionState) merged() *exception.Set {
	set := exception.NewSet()
	set.Lists, set.ValueLists = e.file.Lists, e.file.ValueLists
	ids := map[string]bool{}
	for _, it := range e.api {
		ids[it.ItemID] = true
	}
	for l, its := range e.file.Items {
		for _, it := range its {
			if !ids[it.ItemID] {
				set.Items[l] = append(set.Items[l], it)
			}
		}
	}
	for _, it := range e.api {
		set.Items[it.ListID] = append(set.Items[it.ListID], it)
	}
	return set
}

// exceptionRefs are the lists rule r applies from set: those its
// exceptions_list names and a list whose list_id is its rule_id (its rule
// default list, as `--exceptions` attaches it).
func exceptionRefs(r *rule.Rule, set *exception.Set) []exception.Ref {
	refs := exception.RefsOf(r.ExceptionsList)
	if _, ok := set.Items[r.RuleID]; ok && !slices.ContainsFunc(refs, func(ref exception.Ref) bool { return ref.ListID == r.RuleID }) {
		refs = append(refs, exception.Ref{ListID: r.RuleID, Type: "rule_default", NamespaceType: "single"})
	}
	return refs
}

// excRule is a served rule as the exceptions API handles it, ES|QL or EQL:
// compile compiles the lists refs names from set; apply hands the result
// to the engine (engine goroutine, or before it starts).
type excRule struct {
	r       *rule.Rule
	compile func(set *exception.Set, refs []exception.Ref, now time.Time) (*exception.Applied, []error, error)
	apply   func(a *exception.Applied)
}

// excRules are the served rules, ES|QL then EQL.
func (s *Server) excRules() []excRule {
	var out []excRule
	for _, cr := range s.opts.Rules {
		out = append(out, excRule{cr.Rule, func(set *exception.Set, refs []exception.Ref, now time.Time) (*exception.Applied, []error, error) {
			return cr.CompileExceptions(set, refs, s.catalog(), now)
		}, func(a *exception.Applied) { s.live.SetExceptions(cr, a) }})
	}
	for _, er := range s.opts.EQLRules {
		out = append(out, excRule{er.Rule, er.CompileExceptions, func(a *exception.Applied) { s.live.SetEQLExceptions(er, a) }})
	}
	return out
}

// compileExceptions compiles set for every rule, in rule order. Items a
// rule cannot apply are logged and skipped (an API item was checked when
// added; the rules or files may have changed since).
func (s *Server) compileExceptions(set *exception.Set) ([]*exception.Applied, error) {
	rules := s.excRules()
	out := make([]*exception.Applied, len(rules))
	for i, er := range rules {
		a, problems, err := er.compile(set, exceptionRefs(er.r, set), s.clock.Now())
		if err != nil {
			return nil, err
		}
		for _, p := range problems {
			s.log.Warn("exception not applied", "rule", er.r.Name, "err", p)
		}
		out[i] = a
	}
	return out, nil
}

func (s *Server) catalog() *engine.Catalog {
	if s.opts.Catalog != nil {
		return s.opts.Catalog
	}
	return &engine.Catalog{}
}

// loadExceptions reads the API items from the store and, when there are
// any, applies the merged set to the rules (before the engine starts, so
// the decoder's projection includes their fields).
func (s *Server) loadExceptions() error {
	s.exc.file = s.opts.Exceptions
	if s.exc.file == nil {
		s.exc.file = exception.NewSet()
	}
	stored, err := s.store.Exceptions()
	if err != nil {
		return err
	}
	for _, st := range stored {
		var it exception.Item
		if err := json.Unmarshal(st.Doc, &it); err != nil {
			return fmt.Errorf("stored exception item %q: %w", st.ItemID, err)
		}
		s.exc.api = append(s.exc.api, &it)
	}
	if len(s.exc.api) == 0 {
		return nil
	}
	applied, err := s.compileExceptions(s.exc.merged())
	if err != nil {
		return err
	}
	for i, er := range s.excRules() {
		er.apply(applied[i]) // the engine has not started
	}
	return nil
}

// listExceptions answers every list and item in force, as Kibana's export
// holds them: lists (one synthesised, type detection or rule_default, for
// a list only API items name) and items.
func (s *Server) listExceptions(w http.ResponseWriter, r *http.Request) {
	s.excMu.Lock()
	set := s.exc.merged()
	s.excMu.Unlock()
	rules := map[string]bool{}
	for _, er := range s.excRules() {
		rules[er.r.RuleID] = true
	}
	ids := make([]string, 0, len(set.Items))
	for id := range set.Items {
		ids = append(ids, id)
	}
	for id := range set.Lists {
		if _, ok := set.Items[id]; !ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	lists, items := []*exception.List{}, []*exception.Item{}
	for _, id := range ids {
		l := set.Lists[id]
		if l == nil {
			l = &exception.List{ListID: id, Name: id, Type: "detection", NamespaceType: "single"}
			if rules[id] {
				l.Type = "rule_default"
			}
		}
		lists = append(lists, l)
		items = append(items, set.Items[id]...)
	}
	writeJSON(w, 200, map[string]any{"lists": lists, "items": items})
}

// exceptionError answers 400 with the reasons an item was refused.
func exceptionError(w http.ResponseWriter, reasons []string) {
	reason := strings.Join(reasons, "; ")
	writeJSON(w, 400, map[string]any{"error": map[string]any{"type": "illegal_argument_exception", "reason": reason}, "errors": reasons, "status": 400})
}

// itemErrors checks an item as Kibana's schema does, reporting each bad
// entry separately (Validate stops at the first problem: the item's own
// keys are checked with a placeholder entry, then each entry alone).
func itemErrors(it *exception.Item) []string {
	err := it.Validate()
	if err == nil {
		return nil
	}
	one := *it
	one.Entries = []exception.Entry{{Type: exception.TypeExists, Field: "x", Operator: exception.Included}}
	if one.Validate() != nil || len(it.Entries) == 0 {
		return []string{err.Error()}
	}
	var out []string
	for i, e := range it.Entries {
		one.Entries = []exception.Entry{e}
		if err := one.Validate(); err != nil {
			out = append(out, strings.Replace(err.Error(), "entry 1:", fmt.Sprintf("entry %d:", i+1), 1))
		}
	}
	return out
}

// addException adds (or replaces, by item_id) an exception item: checked,
// persisted, then applied to the running engine for the events after.
func (s *Server) addException(w http.ResponseWriter, r *http.Request) {
	body, ch, ok := s.readBody(w, r)
	if !ok {
		return
	}
	defer ch.done()
	var it exception.Item
	if err := json.Unmarshal(body, &it); err != nil {
		exceptionError(w, []string{"not an exception item: " + err.Error()})
		return
	}
	if it.Type == "" {
		it.Type = "simple"
	}
	if it.NamespaceType == "" {
		it.NamespaceType = "single"
	}
	if errs := itemErrors(&it); len(errs) > 0 {
		exceptionError(w, errs)
		return
	}
	s.excMu.Lock()
	defer s.excMu.Unlock()
	if reasons := s.itemProblems(&it); len(reasons) > 0 {
		exceptionError(w, reasons)
		return
	}
	next := exceptionState{file: s.exc.file}
	for _, old := range s.exc.api {
		if old.ItemID != it.ItemID {
			next.api = append(next.api, old)
		}
	}
	next.api = append(next.api, &it)
	applied, err := s.compileExceptions(next.merged())
	if err != nil {
		exceptionError(w, []string{err.Error()})
		return
	}
	doc, _ := json.Marshal(&it)
	if err := s.store.PutException(store.ExceptionItem{ItemID: it.ItemID, ListID: it.ListID, Created: s.clock.Now().UnixMilli(), Doc: doc}); err != nil {
		esError(w, 500, "store_exception", err.Error())
		return
	}
	s.exc = next
	s.swapExceptions(applied)
	writeJSON(w, 200, &it)
}

// itemProblems are the reasons a valid item cannot apply: no rule uses its
// list, a rule cannot see a field it names (the exception package's
// message), or it names a source field the decoder does not keep (only
// fields the rules read at start are decoded; see docs/exceptions.md).
func (s *Server) itemProblems(it *exception.Item) []string {
	only := exception.NewSet()
	only.Lists, only.ValueLists = s.exc.file.Lists, s.exc.file.ValueLists
	only.Items[it.ListID] = []*exception.Item{it}
	kept := map[string]bool{}
	for _, f := range s.fields {
		kept[f] = true
	}
	var out []string
	used := false
	for _, er := range s.excRules() {
		refs := exceptionRefs(er.r, only)
		if !slices.ContainsFunc(refs, func(r exception.Ref) bool { return r.ListID == it.ListID }) {
			continue
		}
		used = true
		a, problems, err := er.compile(only, []exception.Ref{{ListID: it.ListID}}, s.clock.Now())
		if err != nil {
			out = append(out, fmt.Sprintf("rule %q: %v", er.r.Name, err))
			continue
		}
		for _, p := range problems {
			out = append(out, fmt.Sprintf("rule %q: %v", er.r.Name, p))
		}
		var missing []string
		for _, f := range a.Fields() {
			if !kept[f] {
				missing = append(missing, fmt.Sprintf("%q", f))
			}
		}
		if len(missing) > 0 {
			out = append(out, fmt.Sprintf("rule %q: %s not decoded by the running service (no rule reads it); add the item with --exceptions and restart", er.r.Name, strings.Join(missing, ", ")))
		}
	}
	if !used {
		out = append(out, fmt.Sprintf("list %q is used by no rule (no exceptions_list names it, and it is no rule's rule_id)", it.ListID))
	}
	return out
}

// swapExceptions hands the rules' new exceptions to the engine goroutine.
func (s *Server) swapExceptions(applied []*exception.Applied) {
	s.sync(func() {
		for i, er := range s.excRules() {
			er.apply(applied[i])
		}
	})
}

// deleteException removes an API item (404 for an id no API item has;
// items of --exceptions files are changed in the files).
func (s *Server) deleteException(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("item_id")
	s.excMu.Lock()
	defer s.excMu.Unlock()
	next := exceptionState{file: s.exc.file}
	for _, it := range s.exc.api {
		if it.ItemID != id {
			next.api = append(next.api, it)
		}
	}
	if len(next.api) == len(s.exc.api) {
		esError(w, 404, "resource_not_found_exception", "no exception item ["+id+"] added through the API")
		return
	}
	applied, err := s.compileExceptions(next.merged())
	if err == nil {
		err = s.store.DeleteException(id)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		esError(w, 500, "store_exception", err.Error())
		return
	}
	s.exc = next
	s.swapExceptions(applied)
	writeJSON(w, 200, map[string]any{"deleted": id})
}
