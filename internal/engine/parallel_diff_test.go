package engine

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"strings"
	"testing"
	"time"
)

// randomEvents writes n Elastic-Defend-shaped events drawn so that the seed
// rule both fires and narrowly misses, in every encoding JSON allows:
// \uXXXX and \/ escapes, case variants, dotted keys, arrays, whitespace,
// hit envelopes, and a few malformed lines.
func randomEvents(t testing.TB, n int, seed uint64) string {
	t.Helper()
	return eventFile(t, "random.ndjson", func(w *bufio.Writer) { writeRandomEvents(w, n, seed) })
}

func writeRandomEvents(w *bufio.Writer, n int, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	kinds := []string{"grep root /etc/passwd", "find / -name id_rsa", "curl http://x/", "env ", "wget http://y/", "whoami", "uname -a", "hostname", "ls /tmp", "id"}
	for i := range n {
		if rng.IntN(5000) == 0 {
			w.WriteString(`{"@timestamp":"2026-11-20T10:00:00Z","process":{"name":"bash"` + "\n") // malformed
			continue
		}
		host := fmt.Sprintf("h%d", rng.IntN(4))
		min := rng.IntN(30)
		fields := [][2]any{
			{"@timestamp", fmt.Sprintf("2026-11-20T10:%02d:%02d.%03dZ", min, rng.IntN(60), rng.IntN(1000))},
			{"data_stream.type", "logs"},
			{"data_stream.dataset", pick("endpoint.events.process", "endpoint.events.process", "endpoint.events.network")},
			{"data_stream.namespace", "default"},
			{"event.dataset", "endpoint.events.process"},
			{"host.name", host},
			{"agent.id", "agent-" + host},
			{"host.os.type", pick("linux", "linux", "macos", "windows", "Linux")},
			{"event.action", pick("exec", "exec", "exec", "fork", "EXEC")},
			{"process.parent.entity_id", fmt.Sprintf("P%d", rng.IntN(3))},
			{"process.parent.name", pick("python3", "Python", "PYTHON3.11", "python", "ipython", "perl", "pythonw.exe")},
			{"process.name", pick("sh", "bash", "zsh", "busybox", "dash", "fish", "python3", "SH", "ls")},
		}
		switch rng.IntN(4) {
		case 0:
			fields = append(fields, [2]any{"event.type", "start"})
		case 1, 2:
			fields = append(fields, [2]any{"event.type", []string{"start"}})
		default:
			fields = append(fields, [2]any{"event.type", []string{pick("end", "start"), "change"}})
		}
		flag := pick("-c", "-c", "-C", "-cl", "-lc", "-LC", "-x", "-i")
		cmd := kinds[rng.IntN(len(kinds))] + fmt.Sprint(rng.IntN(3))
		fields = append(fields,
			[2]any{"process.args", []string{"sh", flag, cmd}},
			[2]any{"process.command_line", "sh " + flag + " " + cmd},
			[2]any{"process.executable", "/bin/sh"},
			[2]any{"process.parent.executable", "/usr/bin/python3"},
			[2]any{"process.working_directory", "/srv"},
			[2]any{"process.pid", rng.IntN(60000)},
		)
		writeEvent(w, rng, fields, func(body string) string {
			if rng.IntN(50) == 0 {
				body = fmt.Sprintf(`{"_index":".ds-logs-endpoint.events.process-default-2026.11.20-000001","_id":"id%d","_source":%s}`, i, body)
			}
			return body
		})
	}
}

// eventFile writes what gen writes to a new file and returns its path.
func eventFile(t testing.TB, name string, gen func(w *bufio.Writer)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	gen(w)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeEvent writes fields in random order (see encodeEvent), passed
// through wrap (which may put a hit envelope around them), as one line with
// a random ending (and blank lines).
func writeEvent(w *bufio.Writer, rng *rand.Rand, fields [][2]any, wrap func(body string) string) {
	rng.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
	w.WriteString(wrap(encodeEvent(rng, fields)))
	w.WriteString([]string{"\n", "\n", "\n", "\r\n", "\n\n", "  \n"}[rng.IntN(6)])
}

// encodeEvent writes fields nested, dotted or mixed, with random escapes
// and whitespace.
func encodeEvent(rng *rand.Rand, fields [][2]any) string {
	ws := func() string { return []string{"", "", " ", "\t", " \r "}[rng.IntN(5)] }
	var b strings.Builder
	if rng.IntN(3) == 0 {
		// Dotted keys at the top level.
		b.WriteString("{" + ws())
		for i, f := range fields {
			if i > 0 {
				b.WriteString("," + ws())
			}
			b.WriteString(jsonString(rng, f[0].(string)) + ws() + ":" + ws() + jsonValue(rng, f[1]))
		}
		b.WriteString(ws() + "}")
		return b.String()
	}
	// Nested objects, sometimes splitting a name at its first dot only.
	type tree struct {
		keys []string
		kids map[string]*tree
		vals map[string]any
	}
	root := &tree{kids: map[string]*tree{}, vals: map[string]any{}}
	for _, f := range fields {
		name := f[0].(string)
		parts := strings.Split(name, ".")
		if rng.IntN(4) == 0 && len(parts) > 2 {
			parts = []string{parts[0], strings.Join(parts[1:], ".")}
		}
		n := root
		for _, p := range parts[:len(parts)-1] {
			k := n.kids[p]
			if k == nil {
				if _, clash := n.vals[p]; clash {
					break
				}
				k = &tree{kids: map[string]*tree{}, vals: map[string]any{}}
				n.kids[p] = k
				n.keys = append(n.keys, p)
			}
			n = k
		}
		last := parts[len(parts)-1]
		if _, dup := n.kids[last]; dup {
			continue
		}
		n.vals[last] = f[1]
		n.keys = append(n.keys, last)
	}
	var write func(n *tree)
	write = func(n *tree) {
		b.WriteString("{" + ws())
		for i, k := range n.keys {
			if i > 0 {
				b.WriteString("," + ws())
			}
			b.WriteString(jsonString(rng, k) + ws() + ":" + ws())
			if kid, ok := n.kids[k]; ok {
				write(kid)
			} else {
				b.WriteString(jsonValue(rng, n.vals[k]))
			}
		}
		b.WriteString(ws() + "}")
	}
	write(root)
	return b.String()
}

// rawJSON is a value written as it is.
type rawJSON string

func jsonValue(rng *rand.Rand, v any) string {
	switch v := v.(type) {
	case rawJSON:
		return string(v)
	case string:
		return jsonString(rng, v)
	case []string:
		parts := make([]string, len(v))
		for i, s := range v {
			parts[i] = jsonString(rng, s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// jsonString escapes a string, spelling some characters as \uXXXX (either
// hex case) or / as \/.
func jsonString(rng *rand.Rand, s string) string {
	var b strings.Builder
	b.WriteByte('"')
	escape := rng.IntN(4) == 0
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r == '/' && escape && rng.IntN(2) == 0:
			b.WriteString(`\/`)
		case escape && rng.IntN(3) == 0:
			if rng.IntN(2) == 0 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04X`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// TestParallelDifferential: prefilter on/off and 1/N threads give the same
// alerts, counts and problems over 20k randomized events (100k with
// VIGIL_LONG_TESTS=1). 20k events (16 MB: ~240 chunks of 64 KiB, 15,000
// of 1 KiB) raise 124 of the 360 host × parent × minute windows:
// windows on both sides of the rule's thresholds, so an event lost or
// counted twice at a chunk boundary changes an alert. At 100k every window
// fires, which proves less per second spent.
func TestParallelDifferential(t *testing.T) {
	t.Parallel()
	n := 20_000
	switch {
	case longTests():
		n = 100_000
	case testing.Short():
		n = 10_000
	}
	path := randomEvents(t, n, 42)
	for _, lateness := range []time.Duration{-1, time.Hour, 2 * time.Minute} {
		t.Run(fmt.Sprint("lateness ", lateness), func(t *testing.T) {
			t.Parallel()
			differential(t, seedRules(t), path, lateness)
		})
	}
}

// longTests reports whether VIGIL_LONG_TESTS=1 asks for the long versions
// of the randomized tests (README, "Testing").
func longTests() bool { return os.Getenv("VIGIL_LONG_TESTS") == "1" }

func differential(t *testing.T, rules []*CompiledRule, path string, lateness time.Duration) {
	type run struct {
		threads   int
		prefilter bool
		chunk     int
	}
	var base string
	var baseSt string
	runs := []run{{1, false, 0}, {1, true, 0}, {4, true, 64 << 10}, {3, false, 8 << 10}, {2, true, 1 << 10}, {1, true, 4 << 10}}
	if lateness >= 0 && lateness < 30*time.Minute {
		// Events later than the allowance (the data is shuffled over 30
		// minutes) lose windows closed at chunk boundaries, so results
		// depend on the chunk size: keep it, vary threads and prefilter.
		runs = []run{{1, false, 16 << 10}, {1, true, 16 << 10}, {4, true, 16 << 10}, {3, false, 16 << 10}, {2, true, 16 << 10}}
	}
	for _, r := range runs {
		out, st, s := sweepFile(t, rules, path, r.threads, r.prefilter, r.chunk, lateness)
		res, _ := s.Finish(huntNow, "exec-uuid")
		alerts := alertsOnly(out)
		summary := fmt.Sprintf("lines=%d events=%d malformed=%d problems=%v unindexed=%d in-scope=%d matched=%d late=%d",
			st.Lines, st.Events, st.Malformed, st.Problems, s.Unindexed, res[0].Events, res[0].Matched, res[0].Late)
		if base == "" {
			base, baseSt = alerts, summary
			if strings.Count(alerts, "\n") < 5 {
				t.Fatalf("the random data raised only %d alerts; the test would prove little", strings.Count(alerts, "\n"))
			}
			t.Logf("%d alerts; %s", strings.Count(alerts, "\n"), summary)
			continue
		}
		if alerts != base {
			t.Errorf("%+v: alerts differ from the single-threaded unfiltered sweep", r)
		}
		if summary != baseSt {
			t.Errorf("%+v: %s\nwant %s", r, summary, baseSt)
		}
	}
}

// alertsOnly drops warning lines (the prefilter does not raise warnings for
// rows it skips; see docs/performance.md) and sorts nothing: order matters.
func alertsOnly(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "warning: ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
