package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil/internal/config"
)

// --tail follows appends, then the new file after a rotation; --stdin reads
// to EOF. Events land in the alert's window like any other input.
func TestTailSurvivesRotationAndStdin(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.ndjson")
	os.WriteFile(path, []byte(execEvent(time.Now(), "old", "P-OLD", "whoami")+"\n"), 0o644) // before start: not read
	base := time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC)
	ev := func(i int, host string) string {
		return execEvent(base.Add(time.Duration(i)*time.Second), host, "P-"+host, fiveCommands[i])
	}
	stdin := strings.NewReader(ev(0, "stdin-01") + "\n" + ev(1, "stdin-01") + "\n" + ev(2, "stdin-01") + "\n" + ev(3, "stdin-01") + "\n" + ev(4, "stdin-01") + "\n")
	ts := start(t, "", func(c *config.Config) {
		c.Inputs.Tail = []string{path}
		c.Inputs.Stdin = true
	}, func(o *Options) { o.Stdin = stdin })
	defer ts.stop(t)
	time.Sleep(300 * time.Millisecond) // the tailer has opened the file at its end

	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
	f.WriteString(ev(0, "tail-01") + "\n" + ev(1, "tail-01") + "\n" + ev(2, "tail-01")) // last line incomplete
	f.Close()
	time.Sleep(300 * time.Millisecond)
	// Rotate: the old file moves away (its partial line is completed there
	// first, as a writer would before reopening), a new file takes the name.
	f, _ = os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
	f.WriteString("\n")
	f.Close()
	time.Sleep(300 * time.Millisecond)
	os.Rename(path, path+".1")
	os.WriteFile(path, []byte(ev(3, "tail-01")+"\n"+ev(4, "tail-01")+"\n"), 0o644)

	waitFor(t, 5*time.Second, "tail and stdin alerts", func() bool {
		ts.Sync()
		return ts.alerts(t, "?host=tail-01").Total == 1 && ts.alerts(t, "?host=stdin-01").Total == 1
	})
	if n := ts.alerts(t, "?host=old").Total; n != 0 {
		t.Fatalf("pre-existing content was read")
	}
}
