package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// compileRules compiles every rule. Fields no mapping knows are first looked
// for in the inputs (all of them, so whether a rule compiles never depends
// on where in the input a field first appears; typed as the logs-* index
// templates' dynamic mapping would). A rule that still does not compile is
// reported with all its problems and skipped, so one bad rule in a folder
// does not stop a hunt; a valid rule Vigil cannot run (COMPLETION) is
// skipped with the reason; it is an error when no rule is left.
//
// memLimit is esql.Options.MemoryLimit (0: the default).
//
// EQL rules are compiled apart (engine.CompileEQL; they run on their own
// path) and returned in eqlRules.
func compileRules(w io.Writer, rules []*rule.Rule, cat *engine.Catalog, now time.Time, files []string, memLimit int64) (_ []*engine.CompiledRule, eqlRules []*engine.EQLRule, _ int, _ error) {
	var ok []*engine.CompiledRule
	var failed []*rule.Rule
	var errs []error
	var eqlFailed []*rule.Rule
	var eqlErrs []error
	tryEQL := func(rs []*rule.Rule) {
		eqlFailed, eqlErrs = eqlFailed[:0], eqlErrs[:0]
		for _, r := range rs {
			er, err := engine.CompileEQL(r, cat)
			if err != nil {
				eqlFailed, eqlErrs = append(eqlFailed, r), append(eqlErrs, err)
				continue
			}
			eqlRules = append(eqlRules, er)
		}
	}
	var eqlRuleList []*rule.Rule
	rules = slices.DeleteFunc(slices.Clone(rules), func(r *rule.Rule) bool {
		if r.Type == "eql" {
			eqlRuleList = append(eqlRuleList, r)
			return true
		}
		return false
	})
	tryEQL(eqlRuleList)
	try := func(rs []*rule.Rule, opts esql.Options) {
		failed, errs = failed[:0], errs[:0]
		for _, r := range rs {
			cr, err := engine.Compile(r, cat, opts)
			if err != nil {
				failed, errs = append(failed, r), append(errs, err)
				continue
			}
			ok = append(ok, cr)
		}
	}
	// "Did you mean" compares an unknown name with every mapped field: leave
	// it to the compilation whose errors are printed.
	if len(rules) > 0 {
		try(rules, esql.Options{Now: now, NoSuggestions: true, MemoryLimit: memLimit})
	}
	if (len(failed) > 0 && mentionsUnknownColumn(errs)) || (len(eqlFailed) > 0 && mentionsUnknownColumn(eqlErrs)) {
		if inferred := engine.InferFields(files, cat.DecoderMapping(), 0, 0); inferred.Len() > 0 {
			cat.Inferred = inferred
			if len(failed) > 0 {
				try(slices.Clone(failed), esql.Options{Now: now, NoSuggestions: true, MemoryLimit: memLimit})
			}
			if len(eqlFailed) > 0 {
				tryEQL(slices.Clone(eqlFailed))
			}
		}
	}
	if len(failed) > 0 {
		try(slices.Clone(failed), esql.Options{Now: now, MemoryLimit: memLimit})
	}
	errs = append(errs, eqlErrs...)
	for _, err := range errs {
		reportInvalid(w, err)
	}
	// Valid rules Vigil cannot run (COMPLETION) are skipped with the reason.
	runnable := ok[:0]
	for _, cr := range ok {
		if err := cr.CannotRun(); err != nil {
			fmt.Fprintln(w, "rule skipped:", err)
			continue
		}
		runnable = append(runnable, cr)
	}
	if len(runnable)+len(eqlRules) == 0 {
		return nil, nil, len(errs), usageErr(fmt.Errorf("no runnable rule: %d of %d failed to compile, %d cannot run", len(errs), len(rules)+len(eqlRuleList), len(ok)))
	}
	return runnable, eqlRules, len(errs), nil
}

func mentionsUnknownColumn(errs []error) bool {
	for _, e := range errs {
		if strings.Contains(e.Error(), "Unknown column") {
			return true
		}
	}
	return false
}

// recompile compiles rules again with NOW() at now (they compiled once).
func recompile(rules []*engine.CompiledRule, cat *engine.Catalog, now time.Time) ([]*engine.CompiledRule, error) {
	out := make([]*engine.CompiledRule, len(rules))
	for i, cr := range rules {
		again, err := engine.Compile(cr.Rule, cat, esql.Options{Now: now, NoSuggestions: true, MemoryLimit: cr.Query.MemoryLimit()})
		if err != nil {
			return nil, fmt.Errorf("rule %q at %s: %w", cr.Rule.Name, now.Format(time.RFC3339), err)
		}
		out[i] = again
	}
	return out, nil
}
