package prefilter_test

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"vigil/internal/prefilter"
	"vigil/internal/rule"
)

// BenchmarkMatch times the seed rule's prefilter over sample-shaped lines,
// or over $VIGIL_BENCH_FILE streamed the way a hunt streams it: 2 MiB
// chunks read into a reused buffer (untimed), then cut at newlines and
// matched line by line, so each line is as cache-warm as after the hunt's
// own newline scan (which is timed with Match). The pass-ratio metric is
// the share of lines Match passes.
func BenchmarkMatch(b *testing.B) {
	f := forQuery(b, rule.Builtin()[0].Query, endpointMapping(b))
	path := os.Getenv("VIGIL_BENCH_FILE")
	if path == "" {
		benchLines(b, f, sampleLines())
		return
	}
	file, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	buf := make([]byte, 2<<20)
	pass, total := 0, 0
	for b.Loop() {
		pass, total = 0, 0
		b.StopTimer()
		if _, err := file.Seek(0, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		for fill := 0; ; {
			n, err := io.ReadFull(file, buf[fill:])
			data := buf[:fill+n]
			end := bytes.LastIndexByte(data, '\n') + 1
			if err != nil { // the file's tail
				end = len(data)
			}
			b.StartTimer()
			for rest := data[:end]; len(rest) > 0; total++ {
				var line []byte
				line, rest, _ = bytes.Cut(rest, []byte("\n"))
				if f.Match(line) {
					pass++
				}
			}
			b.StopTimer()
			if err != nil {
				break
			}
			fill = copy(buf, data[end:])
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(pass)/float64(total), "pass-ratio")
}

// sampleLines is a small in-memory stand-in for the benchmark file: a
// quarter of the lines pass the seed rule's prefilter.
func sampleLines() [][]byte {
	hit := `{"@timestamp":"2026-11-20T09:00:00.019Z","agent":{"id":"a75e6344-057c-381c-c7e9-fcea84e99af7","type":"endpoint"},"data_stream":{"dataset":"endpoint.events.process","namespace":"default","type":"logs"},"event":{"action":"exec","category":["process"],"type":["start"]},"host":{"name":"host-00166","os":{"type":"linux"}},"process":{"args":["/bin/sh","-c","git rev-parse HEAD"],"name":"sh","parent":{"name":"python3.11"}}}`
	miss := strings.Replace(strings.Replace(hit, "python3.11", "sshd", 1), "/bin/sh", "/usr/bin/ls", 1)
	var lines [][]byte
	for i := range 100 {
		if i%4 == 0 {
			lines = append(lines, []byte(hit))
		} else {
			lines = append(lines, []byte(miss))
		}
	}
	return lines
}

func benchLines(b *testing.B, f *prefilter.Filter, lines [][]byte) {
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
