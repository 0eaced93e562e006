package ruletest

import (
	"os"
	"testing"
	"testing/fstest"
	"time"
)

// Any test file either loads or is reported as an *Error; never a panic.
func FuzzLoad(f *testing.F) {
	if seed, err := os.ReadFile("testdata/broken_test.toml"); err == nil {
		f.Add(seed)
	}
	f.Add([]byte("rule = \"x\"\n[[tests]]\nname = \"a\"\nevents = ['{}', {a = 1}]\n[[tests.expect]]\ncount = 2\n"))
	f.Add([]byte("rule = \"x\"\ntests = [{name = \"a\", alerts = 0}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"t_test.toml": {Data: data}, "burst.ndjson": {Data: []byte("{}\n")}}
		file, err := Load(fsys, "t_test.toml", "t_test.toml")
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T: %v", err, err)
			}
			return
		}
		if file.Rule == "" || len(file.Tests) == 0 {
			t.Fatalf("loaded a file with no rule or no tests")
		}
	})
}

// Date math either evaluates or errs; never a panic.
func FuzzDateMath(f *testing.F) {
	for _, s := range []string{"now", "now-2m", "now/d", "now+1h-30s/m", "now-", "now-99999999999999999999y"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) { DateMath(s, now) })
}
