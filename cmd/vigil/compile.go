package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"vigil/internal/doc"
	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/rule"
	"vigil/internal/source"
)

// inferLines bounds how much of each input file hunt reads ahead to type
// fields that no mapping names (integration fields outside ECS).
const inferLines = 20000

// compileRules compiles every rule. Fields no mapping knows are first looked
// for in the inputs (the first lines of each file, typed as Elasticsearch's
// dynamic mapping would). A rule that still does not compile is reported
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
		if inferred := inferMapping(files, decoderMapping(cat.User, nil), inferLines); inferred.Len() > 0 {
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

// inferMapping types the fields of the first maxLines lines of each file
// (all lines when maxLines <= 0) that base does not map, as Elasticsearch's
// dynamic mapping would. Stdin is skipped: it can be read only once.
func inferMapping(files []string, base *doc.Mapping, maxLines int) *doc.Mapping {
	dec := doc.NewDecoder(base, doc.DecodeOptions{Dynamic: true, IgnoreMalformed: true})
	var scan []string
	for _, f := range files {
		if f != "-" {
			scan = append(scan, f)
		}
	}
	// Unreadable files are reported by the real read that follows.
	_ = (&source.Reader{MaxLines: maxLines}).ReadFiles(scan, func(l source.Line) { dec.Decode(l.Bytes) })
	return dec.Dynamic()
}

// decoderMapping is what documents are typed by (engine.Catalog.DecoderMapping).
func decoderMapping(user, inferred *doc.Mapping) *doc.Mapping {
	return (&engine.Catalog{User: user, Inferred: inferred}).DecoderMapping()
}
