package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"vigil/internal/doc"
	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/source"
)

// runReplay is `vigil hunt --replay`: Kibana's schedule simulated over the input.
func runReplay(cmd *cobra.Command, o huntOptions, compiled []*engine.CompiledRule, eqlRules []*engine.EQLRule, files []string, cat *engine.Catalog, out io.Writer, format string) error {
	stderr := cmd.ErrOrStderr()
	var replayed []*engine.CompiledRule
	for _, cr := range compiled {
		if why := engine.NewTermsUnreplayable(cr.Rule); why != "" {
			fmt.Fprintf(stderr, "%s: rule %q: %s; skipped\n", cr.Rule.Path, cr.Rule.Name, why)
			continue
		}
		replayed = append(replayed, cr)
	}
	compiled = replayed
	if len(compiled)+len(eqlRules) == 0 {
		return usageErr(fmt.Errorf("no rule to replay"))
	}
	var alerts []*engine.Alert
	var runs []engine.RunReport
	var excs []engine.RuleExceptions
	var st source.Stats
	var elapsed time.Duration
	var readErr error
	if len(compiled) > 0 {
		var err error
		alerts, runs, excs, st, elapsed, readErr, err = replayESQL(cmd, o, compiled, files, cat)
		if err != nil {
			return err
		}
	}
	if len(eqlRules) > 0 {
		h, est, eqlElapsed, err := readEQL(cmd, o, eqlRules, files, cat, len(compiled) > 0)
		if h != nil {
			a, r := h.Replay(replayExecUUID)
			alerts, runs, excs = append(alerts, a...), append(runs, r...), append(excs, h.Exceptions()...)
		}
		if len(compiled) == 0 {
			st = est
		}
		elapsed += eqlElapsed
		if readErr == nil {
			readErr = err
		}
	}
	if err := engine.FetchSources(files, alerts); err != nil && readErr == nil {
		readErr = err
	}
	alerts = engine.Suppress(alerts)
	if format == "table" {
		writeAlertTable(out, []*engine.RuleResult{{Alerts: alerts}})
	} else {
		bw := bufio.NewWriter(out)
		for _, a := range alerts {
			b, err := a.MarshalJSON()
			if err != nil {
				return err
			}
			bw.Write(b)
			bw.WriteByte('\n')
		}
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	if !o.quiet {
		secs := max(elapsed.Seconds(), 1e-9)
		fmt.Fprintf(stderr, "read %d events (%s) in %s: %.0f events/s\n", st.Events, humanBytes(st.Bytes), elapsed.Round(time.Millisecond), float64(st.Events)/secs)
		writeProblems(stderr, st)
		tw := tabwriter.NewWriter(stderr, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RUN\tRANGE FROM\tRANGE TO\tEVENTS\tROWS\tALERTS\tDROPPED (max_signals)\tRULE")
		for _, r := range runs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", r.Time.Format(time.RFC3339), r.From.Format(time.RFC3339), r.To.Format(time.RFC3339),
				r.Events, r.Rows, r.Alerts, r.Truncated, r.Rule)
		}
		tw.Flush()
		for _, e := range excs {
			fmt.Fprintf(stderr, "rule %q:\n", e.Rule.Name)
			writeExceptionCounts(stderr, e.Counts)
		}
		fmt.Fprintf(stderr, "%d runs, %d alerts\n", len(runs), len(alerts))
	}
	if readErr != nil {
		return inputErr(readErr)
	}
	if o.failOnAlert && len(alerts) > 0 {
		return &exitError{exitAlerts, fmt.Errorf("%d alert(s) raised", len(alerts))}
	}
	return nil
}

// replayESQL replays the ES|QL rules (engine.Replay).
func replayESQL(cmd *cobra.Command, o huntOptions, compiled []*engine.CompiledRule, files []string, cat *engine.Catalog) (_ []*engine.Alert, _ []engine.RunReport, _ []engine.RuleExceptions, _ source.Stats, _ time.Duration, readErr error, _ error) {
	stderr := cmd.ErrOrStderr()
	// new_terms rules replay apart (engine.NewTermsReplay: their runs read
	// a history window), from the same read of the input.
	var others []*engine.CompiledRule
	for _, cr := range compiled {
		if cr.Rule.NewTerms == nil {
			others = append(others, cr)
		}
	}
	nt := engine.NewNewTermsReplay(compiled)
	nt.IndexFallback = o.index
	rp := engine.NewReplay(others)
	rp.IndexFallback = o.index
	rp.KibanaDuplicates = o.kibanaDups
	rp.Catalog = cat
	rp.Reference = o.replayReference
	// Decode only what the rules and the routing read (as the sweep does),
	// plus @timestamp, the fallback of every timestamp_override; the replay
	// keeps no document, only the values executions copy out of it.
	// Slots (a Layout) spare executions a map lookup per field and event.
	fields := append(engine.NewSweep(compiled).ProjectedFields(), "@timestamp")
	layout := doc.NewLayout(fields)
	newDecoder := func() *doc.Decoder {
		return doc.NewDecoder(cat.DecoderMapping(), doc.DecodeOptions{Dynamic: true, AutoID: engine.ReadIDs(compiled), Source: engine.ReadSources(compiled), Fields: fields, Layout: layout, ReuseDocument: true})
	}
	dec := newDecoder()
	reader := &source.Reader{Stdin: cmd.InOrStdin()}
	start := time.Now()
	st, readErr := reader.Documents(files, dec, func(d *doc.Document) { rp.Push(d); nt.Push(d) })
	// Rules on the shared path follow input order only when it is time
	// order; Rescan moves the others to the reference path, which needs the
	// input again. Stdin cannot be read twice: their groups then come in
	// time order (the same rows).
	if slices.Contains(files, "-") {
		if names := rp.Unordered(); len(names) > 0 && !o.quiet {
			fmt.Fprintf(stderr, "input is not in time order; stdin cannot be re-read, so the groups of %d rule(s) (%s) come in time order, not input order\n", len(names), strings.Join(names, ", "))
		}
	} else if names := rp.Rescan(); len(names) > 0 {
		if !o.quiet {
			fmt.Fprintf(stderr, "input is not in time order; re-reading it for %d rule(s) (%s)\n", len(names), strings.Join(names, ", "))
		}
		if _, err := (&source.Reader{}).Documents(files, newDecoder(), rp.Push); err != nil && readErr == nil {
			readErr = err
		}
	}
	elapsed := time.Since(start)
	alerts, runs, err := rp.Finish(replayExecUUID)
	if err == nil {
		var ntAlerts []*engine.Alert
		var ntRuns []engine.RunReport
		ntAlerts, ntRuns, err = nt.Finish(replayExecUUID)
		alerts, runs = append(alerts, ntAlerts...), append(runs, ntRuns...)
	}
	if mem := (*esql.MemoryError)(nil); errors.As(err, &mem) {
		return nil, nil, nil, st, elapsed, readErr, &exitError{exitMemory, err} // the replay stops as a whole (engine.Replay.Finish)
	}
	if err != nil {
		return nil, nil, nil, st, elapsed, readErr, err
	}
	return alerts, runs, rp.Exceptions(), st, elapsed, readErr, nil
}

// replayExecUUID is reproducible per rule and run: the same input replays
// to the same ids.
func replayExecUUID(ruleID string, at time.Time) string {
	return stableUUID("vigil-replay", ruleID, at.Format(time.RFC3339Nano))
}
