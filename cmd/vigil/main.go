// Command vigil runs Elastic Security detection rules without Elasticsearch:
// hunt over exported events, ad-hoc ES|QL over files, rule inspection and
// sample data. This package only wires flags to the internal packages.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// Exit codes, documented in the README.
const (
	exitOK       = 0
	exitUsage    = 2 // bad flags, invalid rule or query
	exitInput    = 3 // an input could not be read
	exitAlerts   = 4 // --fail-on-alert and at least one alert
	exitMemory   = 5 // a rule was stopped at --memory-limit (the others ran)
	exitInternal = 1
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(err error) error { return &exitError{exitUsage, err} }
func inputErr(err error) error { return &exitError{exitInput, err} }

var version = "0.1.0-dev"

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "vigil",
		Short: "Run Elastic Security detection rules (ES|QL) anywhere, with Elasticsearch's answers",
		Long: `Vigil runs Elastic Security detection rules without Elasticsearch: hunt over
exported ECS events (NDJSON, .gz, stdin), query files with ES|QL, and inspect rules.
With no rule flags it runs its built-in rule, "Suspicious Python Shell Command Execution".`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	// --cpuprofile and --memprofile are for performance work
	// (docs/performance.md), hidden from help.
	var cpuProfile, memProfile string
	var profFile *os.File
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a Go CPU profile to FILE")
	root.PersistentFlags().StringVar(&memProfile, "memprofile", "", "write a Go allocation profile to FILE at exit")
	root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentFlags().MarkHidden("memprofile")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return usageErr(err)
		}
		profFile = f
		return pprof.StartCPUProfile(f)
	}
	root.PersistentPostRun = func(*cobra.Command, []string) {
		if profFile != nil {
			pprof.StopCPUProfile()
			profFile.Close()
		}
		if memProfile != "" {
			if f, err := os.Create(memProfile); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}
	}
	root.AddCommand(newHuntCmd(), newQueryCmd(), newRulesCmd(), newSampleCmd())
	root.AddCommand(newServeCmd(), newTestCmd())
	return root
}

func main() {
	err := newRoot().Execute()
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "vigil:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		os.Exit(ee.code)
	}
	os.Exit(exitUsage) // cobra's own errors are flag/usage errors
}
