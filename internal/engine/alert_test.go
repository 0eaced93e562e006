package engine

import (
	"testing"

	"vigil/internal/rule"
)

// The expected sentences are those of Kibana's reason-formatter tests.
func TestReason(t *testing.T) {
	r := &rule.Rule{Name: "my-rule", Severity: "medium"}
	full := func() map[string]any {
		return map[string]any{
			"destination.ip": "9.99.99.9", "destination.port": int64(6789), "event.category": "test",
			"file.name": "sample", "host.name": "host", "process.name": "doingThings.exe",
			"process.parent.name": "didThings.exe", "source.ip": "1.11.11.1", "source.port": int64(1234), "user.name": "test-user",
		}
	}
	cases := []struct {
		name   string
		change map[string]any
		want   string
	}{
		{"full", nil, "test event with process doingThings.exe, parent process didThings.exe, file sample, source 1.11.11.1:1234, destination 9.99.99.9:6789, by test-user on host created medium alert my-rule."},
		{"categories", map[string]any{"event.category": []any{"item one", "item two"}}, "item one, item two event with process doingThings.exe, parent process didThings.exe, file sample, source 1.11.11.1:1234, destination 9.99.99.9:6789, by test-user on host created medium alert my-rule."},
		{"no host", map[string]any{"host.name": nil}, "test event with process doingThings.exe, parent process didThings.exe, file sample, source 1.11.11.1:1234, destination 9.99.99.9:6789, by test-user created medium alert my-rule."},
		{"no destination port", map[string]any{"destination.port": nil}, "test event with process doingThings.exe, parent process didThings.exe, file sample, source 1.11.11.1:1234, destination 9.99.99.9 by test-user on host created medium alert my-rule."},
		{"no source port", map[string]any{"source.port": nil}, "test event with process doingThings.exe, parent process didThings.exe, file sample, source 1.11.11.1 destination 9.99.99.9:6789, by test-user on host created medium alert my-rule."},
		{"no process", map[string]any{"process.name": nil, "process.parent.name": nil}, "test event with file sample, source 1.11.11.1:1234, destination 9.99.99.9:6789, by test-user on host created medium alert my-rule."},
	}
	for _, c := range cases {
		f := full()
		for k, v := range c.change {
			if v == nil {
				delete(f, k)
			} else {
				f[k] = v
			}
		}
		if got := reason(r.Name, r.Severity, f); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
	if got := reason(r.Name, r.Severity, map[string]any{"event.category": "test", "user.name": "test-user"}); got != "test event by test-user created medium alert my-rule." {
		t.Errorf("minimal: %s", got)
	}
}
