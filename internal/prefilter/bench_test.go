package prefilter

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"vigil/internal/rule"
)

// BenchmarkMatch times the seed rule's prefilter over sample-shaped lines
// (or the lines of $VIGIL_BENCH_FILE) and reports the share it passes.
func BenchmarkMatch(b *testing.B) {
	f, err := ForQuery(rule.Builtin()[0].Query, endpointMapping(b))
	if err != nil {
		b.Fatal(err)
	}
	var lines [][]byte
	if path := os.Getenv("VIGIL_BENCH_FILE"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		lines = bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	} else {
		hit := `{"@timestamp":"2026-11-20T09:00:00.019Z","agent":{"id":"a75e6344-057c-381c-c7e9-fcea84e99af7","type":"endpoint"},"data_stream":{"dataset":"endpoint.events.process","namespace":"default","type":"logs"},"event":{"action":"exec","category":["process"],"type":["start"]},"host":{"name":"host-00166","os":{"type":"linux"}},"process":{"args":["/bin/sh","-c","git rev-parse HEAD"],"name":"sh","parent":{"name":"python3.11"}}}`
		miss := strings.Replace(strings.Replace(hit, "python3.11", "sshd", 1), "/bin/sh", "/usr/bin/ls", 1)
		for i := range 100 {
			if i%4 == 0 {
				lines = append(lines, []byte(hit))
			} else {
				lines = append(lines, []byte(miss))
			}
		}
	}
	size := 0
	for _, l := range lines {
		size += len(l)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	pass := 0
	for b.Loop() {
		pass = 0
		for _, l := range lines {
			if f.Match(l) {
				pass++
			}
		}
	}
	b.ReportMetric(float64(pass)/float64(len(lines)), "pass-ratio")
}
