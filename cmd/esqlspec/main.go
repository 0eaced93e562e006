// Command esqlspec runs Elasticsearch's ES|QL csv-spec conformance tests
// through Vigil's engine.
//
//	esqlspec [-v] [-run REGEX] [-markdown FILE] PATH...
//
// PATH is a .csv-spec file or a directory searched for them; the data sets
// are read from the data/ and mappings/ directories beside each file. It
// prints one line per failed or skipped test (every test with -v), then
// "N passed, N failed, N skipped", and exits 1 when any test failed.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"vigil/internal/esql"
	"vigil/internal/esql/csvspec"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("esqlspec", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "print passing tests too")
	filter := fs.String("run", "", "run only tests whose name matches this regular expression")
	markdown := fs.String("markdown", "", "also write a markdown report (every failure and skip with its reason) to this file")
	columnar := fs.Bool("columnar", false, "push documents in batches (esql.RunBatched), running per-event stages column-wise where they lower")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: esqlspec [-v] [-run REGEX] [-markdown FILE] [-columnar] PATH...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	var r csvspec.Runner
	if *columnar {
		r.Exec = esql.RunBatched
	}
	if *filter != "" {
		re, err := regexp.Compile(*filter)
		if err != nil {
			fmt.Fprintf(stderr, "esqlspec: -run: %v\n", err)
			return 2
		}
		r.Filter = re
	}
	outs, err := r.RunPaths(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "esqlspec: %v\n", err)
		return 2
	}
	for _, o := range outs {
		if o.Status == csvspec.Passed && !*verbose {
			continue
		}
		line := o.Status.String() + " " + o.ID()
		if o.Reason != "" {
			line += ": " + oneLine(o.Reason)
		}
		fmt.Fprintln(stdout, line)
	}
	if *markdown != "" {
		f, err := os.Create(*markdown)
		if err == nil {
			cmd := "go run ./cmd/esqlspec -markdown " + *markdown + " " + strings.Join(fs.Args(), " ")
			err = csvspec.WriteMarkdown(f, outs, cmd)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "esqlspec: %v\n", err)
			return 2
		}
	}
	s := csvspec.Summarize(outs)
	fmt.Fprintln(stdout, s.String())
	if s.Failed > 0 {
		return 1
	}
	return 0
}

// oneLine keeps each test to one output line, joining a multi-line reason.
func oneLine(s string) string {
	return strings.ReplaceAll(s, "\n", "; ")
}
