package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// compileRules compiles every rule. Fields no mapping knows are first looked
// for in the inputs (all of them, so whether a rule compiles never depends
// on where in the input a field first appears; typed as the logs-* index
// templates' dynamic mapping would). A rule that still does not compile is reported
// and skipped so one bad rule in a folder does not stop a hunt; it is an
// error only when no rule is left.
func compileRules(w io.Writer, rules []*rule.Rule, cat *engine.Catalog, now time.Time, files []string) ([]*engine.CompiledRule, int, error) {
	var ok []*engine.CompiledRule
	var failed []*rule.Rule
	var errs []error
	try := func(rs []*rule.Rule) {
		failed, errs = failed[:0], errs[:0]
		for _, r := range rs {
			cr, err := engine.Compile(r, cat, esql.Options{Now: now})
			if err != nil {
				failed, errs = append(failed, r), append(errs, err)
				continue
			}
			ok = append(ok, cr)
		}
	}
	try(rules)
	if len(failed) > 0 && mentionsUnknownColumn(errs) {
		if inferred := engine.InferFields(files, cat.DecoderMapping(), 0, 0); inferred.Len() > 0 {
			cat.Inferred = inferred
			try(append([]*rule.Rule(nil), failed...))
		}
	}
	if len(ok) == 0 && len(errs) > 0 {
		return nil, len(errs), usageErr(errors.Join(errs...))
	}
	for _, err := range errs {
		lines := strings.Split(err.Error(), "\n")
		more := ""
		if len(lines) > 1 {
			more = fmt.Sprintf(" (and %d more problems)", len(lines)-1)
		}
		fmt.Fprintf(w, "invalid rule skipped: %s%s\n", lines[0], more)
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
