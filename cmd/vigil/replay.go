package main

import (
	"bufio"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"vigil/internal/doc"
	"vigil/internal/engine"
	"vigil/internal/source"
)

// runReplay is `vigil hunt --replay`: Kibana's schedule simulated over the input.
func runReplay(cmd *cobra.Command, o huntOptions, compiled []*engine.CompiledRule, files []string, cat *engine.Catalog, out io.Writer, format string) error {
	stderr := cmd.ErrOrStderr()
	rp := engine.NewReplay(compiled)
	rp.IndexFallback = o.index
	rp.KibanaDuplicates = o.kibanaDups
	rp.Catalog = cat
	dec := doc.NewDecoder(cat.DecoderMapping(), doc.DecodeOptions{Dynamic: true, AutoID: engine.ReadIDs(compiled)})
	reader := &source.Reader{Stdin: cmd.InOrStdin()}
	start := time.Now()
	st, readErr := reader.Documents(files, dec, rp.Push)
	elapsed := time.Since(start)
	alerts, runs, err := rp.Finish(func(ruleID string, at time.Time) string {
		// Reproducible per run: the same input replays to the same ids.
		return stableUUID("vigil-replay", ruleID, at.Format(time.RFC3339Nano))
	})
	if err != nil {
		return err
	}
	if err := engine.FetchSources(files, alerts); err != nil && readErr == nil {
		readErr = err
	}
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
