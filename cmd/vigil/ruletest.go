package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

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

// testFile is one test file to run: its path in fsys and as displayed.
type testFile struct {
	fsys          fs.FS
	name, display string
}

func runTests(cmd *cobra.Command, format string, args []string) error {
	if format != "text" && format != "json" {
		return usageErr(fmt.Errorf("--format %q: want text or json", format))
	}
	var files []testFile
	if len(args) == 0 {
		names, err := ruletest.TestFiles(rule.BuiltinTests(), ".")
		if err != nil {
			return err
		}
		for _, n := range names {
			files = append(files, testFile{rule.BuiltinTests(), n, "builtin:" + n})
		}
	}
	for _, a := range args {
		// The file system is rooted at the volume so a test may name a
		// rule file anywhere (rule = "../rules/x.toml").
		abs, err := filepath.Abs(a)
		if err != nil {
			return inputErr(err)
		}
		root := filepath.VolumeName(abs) + string(filepath.Separator)
		rel, _ := filepath.Rel(root, abs)
		fsys, dir := os.DirFS(root), filepath.ToSlash(rel)
		st, err := os.Stat(a)
		if err != nil {
			return inputErr(err)
		}
		if !st.IsDir() {
			files = append(files, testFile{fsys, dir, a})
			continue
		}
		names, err := ruletest.TestFiles(fsys, dir)
		if err != nil {
			return inputErr(err)
		}
		if len(names) == 0 {
			return usageErr(fmt.Errorf("%s: no *%s file", a, rule.TestFileSuffix))
		}
		for _, n := range names {
			files = append(files, testFile{fsys, n, filepath.Join(a, filepath.FromSlash(strings.TrimPrefix(n, dir+"/")))})
		}
	}
	var results []*ruletest.FileResult
	var broken []error
	for _, tf := range files {
		f, err := ruletest.Load(tf.fsys, tf.name, tf.display)
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
