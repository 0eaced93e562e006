package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"vigil/internal/engine"
	"vigil/internal/exception"
	"vigil/internal/rule"
)

// applyExceptions loads --exceptions (a Kibana export or an exceptions/
// folder) and attaches each rule's lists: those its exceptions_list names
// and, for rules whose file one does not edit (the built-in ones), a list
// whose list_id is the rule's rule_id. Bad lines, missing lists and items
// a rule cannot apply are reported on w and skipped. EQL rules (eqlRules)
// get theirs the same way, all on source events. The set loaded is
// returned (nil without path): serve's exceptions API adds to it.
func applyExceptions(w io.Writer, path string, rules []*engine.CompiledRule, eqlRules []*engine.EQLRule, cat *engine.Catalog, now time.Time) (*exception.Set, error) {
	if path == "" {
		return nil, nil
	}
	set, probs, err := exception.Load(path)
	if err != nil {
		return nil, usageErr(fmt.Errorf("--exceptions: %w", err))
	}
	for _, p := range probs {
		fmt.Fprintf(w, "exceptions: %v (skipped)\n", p)
	}
	// Every rule type goes through the same steps: its default list,
	// then its engine's ApplyExceptions.
	type target struct {
		r     *rule.Rule
		apply func() ([]error, *exception.Applied, error)
	}
	var targets []target
	for _, cr := range rules {
		targets = append(targets, target{cr.Rule, func() ([]error, *exception.Applied, error) {
			p, err := cr.ApplyExceptions(set, cat, now)
			return p, cr.Exceptions, err
		}})
	}
	for _, er := range eqlRules {
		targets = append(targets, target{er.Rule, func() ([]error, *exception.Applied, error) {
			p, err := er.ApplyExceptions(set, now)
			return p, er.Exceptions, err
		}})
	}
	used := map[string]bool{}
	for _, t := range targets {
		if _, ok := set.Items[t.r.RuleID]; ok && !referencesList(t.r, t.r.RuleID) {
			t.r.ExceptionsList = append(t.r.ExceptionsList, map[string]any{
				"id": t.r.RuleID, "list_id": t.r.RuleID, "type": "rule_default", "namespace_type": "single"})
		}
		for _, r := range exception.RefsOf(t.r.ExceptionsList) {
			used[r.ListID] = true
		}
		problems, a, err := t.apply()
		if err != nil {
			return nil, usageErr(err)
		}
		for _, p := range problems {
			fmt.Fprintf(w, "rule %q: %v\n", t.r.Name, p)
		}
		if a != nil {
			for _, it := range a.Expired {
				fmt.Fprintf(w, "rule %q: exception item %q expired at %s (not applied)\n", t.r.Name, it.ItemID, it.ExpireTime.Format(time.RFC3339))
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(set.Items)) {
		if !used[id] {
			fmt.Fprintf(w, "exceptions: list %q (%d items) is used by no rule (no exceptions_list names it, and it is no rule's rule_id)\n", id, len(set.Items[id]))
		}
	}
	return set, nil
}

func referencesList(r0 *rule.Rule, listID string) bool {
	for _, r := range exception.RefsOf(r0.ExceptionsList) {
		if r.ListID == listID {
			return true
		}
	}
	return false
}

// writeExceptionCounts prints what each exception item removed from a rule.
func writeExceptionCounts(w io.Writer, counts []engine.ExceptionCount) {
	for _, c := range counts {
		name := c.Item.ItemID
		if c.Item.Name != "" {
			name = fmt.Sprintf("%s (%s)", c.Item.ItemID, c.Item.Name)
		}
		fmt.Fprintf(w, "  exception %s of list %s: %d source events removed, %d alerts removed\n", name, c.Item.ListID, c.Events, c.Alerts)
	}
}
