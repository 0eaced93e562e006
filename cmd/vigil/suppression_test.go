package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// Alert suppression in the sweep and --replay, hand-computed over
// alerts-input.ndjson: the query rule matches www-data at 10:01:00.250,
// 10:04 and 10:05. Per execution: one alert absorbing two. With a 2m
// duration: 10:01:00.250 alone, then 10:04 absorbing 10:05.
func TestHuntSuppression(t *testing.T) {
	base, err := os.ReadFile("testdata/alerts-suppressed.toml")
	if err != nil {
		t.Fatal(err)
	}
	windowed := filepath.Join(t.TempDir(), "windowed.toml")
	if err := os.WriteFile(windowed, append(base, "duration = {value = 2, unit = \"m\"}\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	perRun := []string{"2:2026-11-20T10:01:00.250Z-2026-11-20T10:05:00.000Z"}
	twoMin := []string{"0:2026-11-20T10:01:00.250Z-2026-11-20T10:01:00.250Z", "1:2026-11-20T10:04:00.000Z-2026-11-20T10:05:00.000Z"}
	for _, c := range []struct {
		rules  string
		replay bool
		want   []string
	}{
		{"testdata/alerts-suppressed.toml", false, perRun},
		{"testdata/alerts-suppressed.toml", true, perRun},
		{windowed, false, twoMin},
		{windowed, true, twoMin},
	} {
		args := []string{"hunt", "--now", "2026-11-20T11:00:00Z", "--rules", c.rules, "testdata/alerts-input.ndjson"}
		if c.replay {
			args = append(args, "--replay")
		}
		out, stderr, code := run(t, "", args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var got []string
		for _, d := range decodeAlerts(t, out) {
			got = append(got, fmt.Sprintf("%v:%v-%v", d["kibana.alert.suppression.docs_count"],
				d["kibana.alert.suppression.start"], d["kibana.alert.suppression.end"]))
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s replay=%v: got %q, want %q", filepath.Base(c.rules), c.replay, got, c.want)
		}
	}
}
