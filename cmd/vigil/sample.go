package main

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"vigil/internal/sample"
)

func newSampleCmd() *cobra.Command {
	cfg := sample.DefaultConfig()
	var out string
	var noScenarios, eql bool
	var start string
	cmd := &cobra.Command{
		Use:   "sample",
		Short: "Write synthetic Elastic Defend process events (benign activity, Python backdoors, near misses)",
		Long: `Writes Elastic-Defend-shaped Linux, macOS and Windows process events as NDJSON:
benign background activity plus scripted Python backdoor bursts, near misses and
the seed rule's edge cases. With --eql, also Defend file, network and process
fork/exec/end events: benign activity on every host plus the attacks and near
misses of the EQL scenario rules (docs/eql.md). The same seed always gives the
same bytes.
Scale it for benchmarks with --hosts, --duration and --rate.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Scenarios = !noScenarios
			if eql {
				cfg.EQL = sample.EQLScenarios
			}
			if start != "" {
				t, err := time.Parse(time.RFC3339, start)
				if err != nil {
					return usageErr(fmt.Errorf("--start: %w", err))
				}
				cfg.Start = t
			}
			var w io.Writer = cmd.OutOrStdout()
			if out != "" && out != "-" {
				f, err := os.Create(out)
				if err != nil {
					return inputErr(err)
				}
				defer f.Close()
				bw := bufio.NewWriterSize(f, 1<<20)
				defer bw.Flush()
				w = bw
				if strings.HasSuffix(out, ".gz") {
					gz, _ := gzip.NewWriterLevel(bw, gzip.BestCompression)
					defer gz.Close()
					w = gz
				}
			}
			n, err := sample.Generate(w, cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %d events\n", n)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "out", "o", "", "write to FILE (gzip when it ends in .gz) instead of stdout")
	f.IntVar(&cfg.Hosts, "hosts", 8, "number of background hosts")
	f.DurationVar(&cfg.Duration, "duration", 2*time.Hour, "span of background activity")
	f.Float64Var(&cfg.EventsPerHostMinute, "rate", 4, "mean background events per host per minute")
	f.Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	f.Float64Var(&cfg.PythonShare, "python-share", 0, "fraction of background events from Python tools (0: the plain mix)")
	f.StringVar(&start, "start", "2026-11-20T09:00:00Z", "time of the first event (RFC 3339)")
	f.BoolVar(&noScenarios, "no-scenarios", false, "background activity only, no scripted bursts")
	f.BoolVar(&eql, "eql", false, "add file, network and process fork/exec/end events and the EQL rule scenarios")
	return cmd
}
