package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"vigil/internal/rule"
	"vigil/internal/ruletest"
)

const exitTestFailed = 1 // `vigil test`: a test failed (a broken test file is exitUsage)

func newTestCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "test [flags] [PATH...]",
		Short: "Run rule unit tests (*_test.toml) and report failures as diffs",
		Long: `Runs rule unit tests: TOML files ending in _test.toml that name a rule, give
input events (relative times such as now-2m allowed) and the alerts expected
(docs/rule-tests.md). PATH is a test file or a directory searched recursively;
with no PATH, the built-in rules' tests run. A test's rule is found among the
built-in rules and the rules in the test file's directory, or by path.
Exit status: 0 all passed, 1 a test failed, 2 a test file is broken.`,
		Example: `  vigil test
  vigil test rules/`,
		RunE: func(cmd *cobra.Command, args []string) error { return runTests(cmd, format, args) },
	}
	cmd.Flags().StringVar(&format, "format", "text", "report format: text or json")
	return cmd
}

// testSet is test files in one file system.
type testSet struct {
	fsys   fs.FS
	prefix string // prepended to names for display
	names  []string
}

func runTests(cmd *cobra.Command, format string, args []string) error {
	if format != "text" && format != "json" {
		return usageErr(fmt.Errorf("--format %q: want text or json", format))
	}
	var sets []testSet
	if len(args) == 0 {
		names, err := ruletest.TestFiles(rule.BuiltinTests(), ".")
		if err != nil {
			return err
		}
		sets = append(sets, testSet{fsys: rule.BuiltinTests(), prefix: "builtin:", names: names})
	}
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return inputErr(err)
		}
		if !st.IsDir() {
			sets = append(sets, testSet{fsys: os.DirFS(filepath.Dir(a)), prefix: dirPrefix(filepath.Dir(a)), names: []string{filepath.Base(a)}})
			continue
		}
		fsys := os.DirFS(a)
		names, err := ruletest.TestFiles(fsys, ".")
		if err != nil {
			return inputErr(err)
		}
		if len(names) == 0 {
			return usageErr(fmt.Errorf("%s: no *%s file", a, rule.TestFileSuffix))
		}
		sets = append(sets, testSet{fsys: fsys, prefix: dirPrefix(a), names: names})
	}
	var results []*ruletest.FileResult
	var broken []error
	for _, s := range sets {
		for _, name := range s.names {
			f, err := ruletest.Load(s.fsys, name, s.prefix+filepath.FromSlash(name))
			var res *ruletest.FileResult
			if err == nil {
				res, err = ruletest.Run(f)
			}
			if err != nil {
				broken = append(broken, err)
				continue
			}
			results = append(results, res)
		}
	}
	out := cmd.OutOrStdout()
	var failed int
	if format == "json" {
		failed = ruletest.ReportJSON(out, results)
	} else {
		failed = ruletest.Report(out, results)
	}
	if len(broken) > 0 {
		for _, err := range broken {
			fmt.Fprintln(cmd.ErrOrStderr(), err)
		}
		return &exitError{exitUsage, fmt.Errorf("%d test file(s) broken", len(broken))}
	}
	if failed > 0 {
		return &exitError{exitTestFailed, fmt.Errorf("%d test(s) failed", failed)}
	}
	return nil
}

// dirPrefix is how paths inside dir are displayed.
func dirPrefix(dir string) string {
	if dir == "." {
		return ""
	}
	return dir + string(filepath.Separator)
}
