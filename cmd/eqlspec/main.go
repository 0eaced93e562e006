// Command eqlspec runs Elasticsearch's EQL conformance suite
// (../shared/conformance/eql) against Vigil's EQL engine, printing one line
// per failed or skipped test and a closing "N passed, N failed, N skipped".
package main

import (
	"fmt"
	"os"

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
		switch {
		case o.Skipped != "":
			skip++
			fmt.Printf("SKIP %s: %s\n", o.Name, o.Skipped)
		case o.Passed():
			pass++
		case o.Err != nil:
			fail++
			fmt.Printf("FAIL %s: %v\n", o.Name, o.Err)
		default:
			fail++
			fmt.Printf("FAIL %s: got %v, want %v\n", o.Name, o.Got, o.Expected[0])
		}
	}
	fmt.Printf("%d passed, %d failed, %d skipped\n", pass, fail, skip)
	if fail > 0 {
		os.Exit(1)
	}
}
