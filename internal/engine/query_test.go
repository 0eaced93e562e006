package engine

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// queryInput is what queryEvents writes.
type queryInput int

const (
	cleanInput    queryInput = iota // every line indexable whole
	conflictInput                   // clean, but an unmapped field whose first value is a string and most others numbers
	dirtyInput                      // malformed lines of every kind
)

// queryEvents writes n events for TestQueryDifferential: multi-valued and
// null fields, documents with and without an index, hit envelopes, fields
// no mapping names (one appearing only late), in every JSON encoding
// encodeEvent draws (dotted keys, \uXXXX escapes).
func queryEvents(t testing.TB, n int, seed uint64, kind queryInput) string {
	t.Helper()
	return eventFile(t, fmt.Sprintf("events-%d.ndjson", kind), func(w *bufio.Writer) { writeQueryEvents(w, n, seed, kind) })
}

func writeQueryEvents(w *bufio.Writer, n int, seed uint64, kind queryInput) {
	rng := rand.New(rand.NewPCG(seed, uint64(kind)))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	for i := range n {
		ts := fmt.Sprintf("2026-11-20T10:%02d:%02d.%03dZ", rng.IntN(60), rng.IntN(60), rng.IntN(1000))
		if kind == dirtyInput && rng.IntN(30) == 0 {
			switch rng.IntN(4) {
			case 0:
				w.WriteString(`{"@timestamp":"` + ts + `","process":{"name":"bash"` + "\n") // cut off
			case 1:
				w.WriteString(`[1,2]` + "\n")
			case 2:
				w.WriteString(`{"@timestamp":"` + ts + `","process":"x"}` + "\n") // a scalar where an object is mapped
			default:
				w.WriteString(`{"@timestamp":"` + ts + `","host":{"name":"h1"}} trailing` + "\n")
			}
			continue
		}
		name := pick("sh", "bash", "curl", "python3", "ls", "SH")
		args := []string{name, pick("-c", "-lc", "-x"), pick("id", "whoami", "curl http://x/", "python -c 1")}
		fields := [][2]any{
			{"@timestamp", ts},
			{"host.os.type", pick("linux", "linux", "macos", "windows")},
			{"process.parent.name", pick("python3", "Python", "ipython", "bash", "perl")},
			{"process.name", name},
			{"process.args", args},
			{"process.command_line", strings.Join(args, " ")},
			{"process.pid", rng.IntN(60000)},
			{"process.working_directory", "/srv/" + pick("a", "b")},
		}
		switch rng.IntN(20) {
		case 0:
			fields = append(fields, [2]any{"host.name", rawJSON("null")})
		case 1, 2:
		default:
			fields = append(fields, [2]any{"host.name", fmt.Sprintf("h%d", rng.IntN(5))})
		}
		switch rng.IntN(5) {
		case 0:
			fields = append(fields, [2]any{"event.type", "start"})
		case 1:
			fields = append(fields, [2]any{"event.type", []string{"start"}})
		case 2, 3:
			fields = append(fields, [2]any{"event.type", []string{pick("start", "end"), "change"}})
		}
		if rng.IntN(3) == 0 {
			fields = append(fields, [2]any{"host.ip", rawJSON(fmt.Sprintf(`["10.0.0.%d","::1"]`, rng.IntN(256)))})
		}
		if rng.IntN(2) == 0 {
			fields = append(fields, [2]any{"myapp.user", pick("alice", "bob", "carol")}, [2]any{"myapp.count", rng.IntN(10)})
		}
		if i > n/2 && rng.IntN(10) == 0 {
			fields = append(fields, [2]any{"late.flag", rawJSON("true")}, [2]any{"late.tags", []string{"a", "b"}})
		}
		if kind == conflictInput {
			v := any(rawJSON(fmt.Sprint(rng.IntN(100))))
			if i == 0 || rng.IntN(4) == 0 {
				v = fmt.Sprintf("id-%d", rng.IntN(100))
			}
			fields = append(fields, [2]any{"extra.v", v})
		}
		if kind == dirtyInput && rng.IntN(25) == 0 {
			// Values a mapping rejects, in fields few queries read.
			bad := [][2]any{
				{"process.pid", "abc"},
				{"process.working_directory", rawJSON(`"\q"`)},
				{"host.ip", "not-an-ip"},
				{"myapp.count", "lots"},
				{"labels", rawJSON(`{"":"x"}`)},
			}[rng.IntN(5)]
			for j := range fields {
				if fields[j][0] == bad[0] {
					fields = append(fields[:j], fields[j+1:]...)
					break
				}
			}
			fields = append(fields, bad)
		}
		indexed := rng.IntN(10) > 0
		if indexed {
			fields = append(fields, [2]any{"data_stream.type", "logs"},
				[2]any{"data_stream.dataset", pick("endpoint.events.process", "endpoint.events.process", "endpoint.events.network")},
				[2]any{"data_stream.namespace", "default"})
		}
		writeEvent(w, rng, fields, func(body string) string {
			switch rng.IntN(40) {
			case 0:
				return fmt.Sprintf(`{"_index":".ds-logs-endpoint.events.process-default-2026.11.20-000001","_id":"id%d","_source":%s}`, i, body)
			case 1:
				return fmt.Sprintf(`{"_index":"audit-2026","_id":"a%d","_source":%s}`, i, body)
			}
			return body
		})
	}
}

// TestInferFields: the parallel inference types what the sequential one
// does, the workers agreeing or not.
func TestInferFields(t *testing.T) {
	base := (&Catalog{}).DecoderMapping()
	for _, kind := range []queryInput{cleanInput, conflictInput, dirtyInput} {
		path := queryEvents(t, 2000, 5, kind)
		want, err := InferMapping([]string{path}, base, 0).MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		for _, threads := range []int{1, 2, 4} {
			got, err := InferFields([]string{"-", path}, base, threads, 4<<10).MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("input %d, %d threads: %s\nwant %s", kind, threads, got, want)
			}
		}
	}
}
