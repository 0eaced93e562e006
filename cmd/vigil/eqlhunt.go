package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"vigil/internal/doc"
	"vigil/internal/engine"
	"vigil/internal/source"
)

// huntEQL runs the EQL rules in a pass of their own over the input
// (readEQL) and builds their alerts.
func huntEQL(cmd *cobra.Command, o huntOptions, rules []*engine.EQLRule, files []string, cat *engine.Catalog, now time.Time, execUUID string, reread bool) ([]*engine.RuleResult, source.Stats, time.Duration, error) {
	h, st, elapsed, err := readEQL(cmd, o, rules, files, cat, reread)
	if h == nil {
		return nil, st, elapsed, err
	}
	return h.Finish(now, execUUID), st, elapsed, err
}

// readEQL reads the input for the EQL rules (engine.EQLHunt): decoded
// projected to the rules' fields, every line given an _id (doc.AutoID) as
// Elasticsearch would. Standard input cannot be read a second time: when
// esql rules already read it (reread), the EQL rules are reported and
// skipped (nil hunt).
func readEQL(cmd *cobra.Command, o huntOptions, rules []*engine.EQLRule, files []string, cat *engine.Catalog, reread bool) (*engine.EQLHunt, source.Stats, time.Duration, error) {
	if reread && slices.Contains(files, "-") {
		for _, r := range rules {
			fmt.Fprintf(cmd.ErrOrStderr(), "eql rule %q: skipped: standard input was read by the esql rules (run eql rules on their own over stdin)\n", r.Rule.Name)
		}
		return nil, source.Stats{}, 0, nil
	}
	h := engine.NewEQLHunt(rules)
	h.IndexFallback = o.index
	dec := doc.NewDecoder(cat.DecoderMapping(), doc.DecodeOptions{Dynamic: true, AutoID: true, Fields: h.Fields()})
	if !o.noPrefilter {
		h.Prefilter(cat.DecoderMapping())
	}
	reader := &source.Reader{Stdin: cmd.InOrStdin()}
	start := time.Now()
	st, err := h.Read(reader, files, dec)
	return h, st, time.Since(start), err
}
