// Command eqlspec runs Elasticsearch's EQL conformance suite
// (../shared/conformance/eql) against Vigil's EQL engine, printing one line
// per failed or skipped test and a closing "N passed, N failed, N skipped".
package main

import (
	"fmt"
	"os"
	"strings"

	"vigil/internal/eql/spec"
)

func main() {
	dir := "../shared/conformance/eql"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	s, err := spec.Load(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "eqlspec:", err)
		os.Exit(2)
	}
	var pass, fail, skip int
	for _, o := range s.Run() {
		st, why := o.Status()
		switch st {
		case "passed":
			pass++
			continue
		case "skipped":
			skip++
		default:
			fail++
		}
		fmt.Printf("%s %s: %s\n", strings.ToUpper(st[:4]), o.Name, why)
	}
	fmt.Printf("%d passed, %d failed, %d skipped\n", pass, fail, skip)
	if fail > 0 {
		os.Exit(1)
	}
}
