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
// does not stop a hunt; it is an error when no rule is left.
func compileRules(w io.Writer, rules []*rule.Rule, cat *engine.Catalog, now time.Time, files []string) ([]*engine.CompiledRule, int, error) {
	var ok []*engine.CompiledRule
	var failed []*rule.Rule
	var errs []error
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
	try(rules, esql.Options{Now: now, NoSuggestions: true})
	if len(failed) > 0 && mentionsUnknownColumn(errs) {
		if inferred := engine.InferFields(files, cat.DecoderMapping(), 0, 0); inferred.Len() > 0 {
			cat.Inferred = inferred
			try(slices.Clone(failed), esql.Options{Now: now, NoSuggestions: true})
		}
	}
	if len(failed) > 0 {
		try(slices.Clone(failed), esql.Options{Now: now})
	}
	for _, err := range errs {
		reportInvalid(w, err)
	}
	if len(ok) == 0 {
		return nil, len(errs), usageErr(fmt.Errorf("no runnable rule: %d of %d failed to compile", len(errs), len(rules)))
	}
	return ok, len(errs), nil
}

func mentionsUnknownColumn(errs []error) bool {
	for _, e := range errs {
		if strings.Contains(e.Error(), "Unknown column") {
			return true
		}
	}
	return false
}
