package engine

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/rule"
	"vigil/internal/sample"
	"vigil/internal/source"
)

var huntNow = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// huntMapping is what the CLI types documents with.
func huntMapping() *doc.Mapping {
	m := doc.NewMapping()
	ecs, _ := doc.BuiltinMapping("ecs")
	endpoint, _ := doc.BuiltinMapping("logs-endpoint.events.process")
	m.Merge(ecs)
	m.Merge(endpoint)
	return m
}

func seedRules(t testing.TB) []*CompiledRule {
	t.Helper()
	cr, err := Compile(rule.Builtin()[0], &Catalog{}, esql.Options{Now: huntNow})
	if err != nil {
		t.Fatal(err)
	}
	return []*CompiledRule{cr}
}

// sweepFile hunts one file and returns the alerts as NDJSON, plus stats.
func sweepFile(t testing.TB, rules []*CompiledRule, path string, threads int, prefilter bool, chunk int, lateness time.Duration) (string, source.Stats, *Sweep) {
	t.Helper()
	s := NewSweep(rules)
	s.Lateness = lateness
	o, err := s.Options(&Catalog{}, huntMapping(), threads, prefilter)
	if err != nil {
		t.Fatal(err)
	}
	if prefilter && o.Prefilter == nil {
		t.Fatal("no prefilter derived")
	}
	o.ChunkSize = chunk
	st, err := s.Run(&source.Reader{}, []string{path}, o)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Finish(huntNow, "exec-uuid")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, rr := range res {
		for _, a := range rr.Alerts {
			j, err := a.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			b.Write(j)
			b.WriteByte('\n')
		}
		for _, w := range rr.Warnings {
			b.WriteString("warning: " + w + "\n")
		}
	}
	return b.String(), st, s
}

func writeSample(t testing.TB, cfg sample.Config) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.ndjson")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sample.Generate(f, cfg); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// BenchmarkPipeline times the whole per-event pipeline (chunking, prefilter,
// projected decoding, routing, the seed rule's streaming stage and merge)
// on the sample generator's data, one worker.
func BenchmarkPipeline(b *testing.B) {
	cfg := sample.DefaultConfig()
	cfg.Hosts, cfg.Duration = 20, time.Hour
	path := os.Getenv("VIGIL_BENCH_FILE") // a bigger file for profiling
	if path == "" {
		path = writeSample(b, cfg)
	}
	st, _ := os.Stat(path)
	rules := seedRules(b)
	for _, bc := range []struct {
		name      string
		prefilter bool
	}{{"prefilter", true}, {"decode-all", false}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(st.Size())
			for b.Loop() {
				sweepFile(b, rules, path, 1, bc.prefilter, 0, time.Hour)
			}
		})
	}
}

// TestSkippedLineValidation: a line the prefilter rejects is read only up
// to its skim fields, so a cut-off line is still reported (it does not look
// like a whole object) but one garbled past those fields only with
// ValidateSkipped, or with the prefilter off.
func TestSkippedLineValidation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.ndjson")
	lines := `{"@timestamp":"2026-11-20T10:00:00Z","data_stream":{"type":"logs","dataset":"endpoint.events.process","namespace":"default"},"process":{"name":"ls"}}
{"@timestamp":"2026-11-20T10:00:01Z","data_stream":{"type":"logs","dataset":"endpoint.events.process","namespace":"default"},"process":{"name":"ls"
{"@timestamp":"2026-11-20T10:00:02Z","data_stream":{"type":"logs","dataset":"endpoint.events.process","namespace":"default"},"process":{"name":"ls",,}}
`
	if err := os.WriteFile(path, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name              string
		prefilter, strict bool
		wantMalformed     []int // line numbers reported
	}{
		{"prefilter", true, false, []int{2}},
		{"prefilter-validate-skipped", true, true, []int{2, 3}},
		{"no-prefilter", false, false, []int{2, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSweep(seedRules(t))
			o, err := s.Options(&Catalog{}, huntMapping(), 1, tc.prefilter)
			if err != nil {
				t.Fatal(err)
			}
			o.ValidateSkipped = tc.strict
			st, err := s.Run(&source.Reader{}, []string{path}, o)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, p := range st.Problems {
				got = append(got, p.Line)
			}
			if !slices.Equal(got, tc.wantMalformed) || st.Malformed != int64(len(tc.wantMalformed)) || st.Events != int64(3-len(tc.wantMalformed)) {
				t.Errorf("malformed lines %v (count %d, events %d), want %v", got, st.Malformed, st.Events, tc.wantMalformed)
			}
		})
	}
}

// TestProblemLogOrder: problems the reader reports ahead of the merge (an
// over-long line) take their place among the chunks' own, and which
// MaxProblems are kept is what a sequential read keeps.
func TestProblemLogOrder(t *testing.T) {
	var st source.Stats
	log := &problemLog{st: &st}
	pb := func(line int) source.Problem { return source.Problem{File: "f", Line: line} }
	chunk := func(lines ...int) *source.Stats {
		c := &source.Stats{Lines: int64(len(lines)), Malformed: int64(len(lines))}
		for _, l := range lines {
			c.Problems = append(c.Problems, pb(l))
		}
		return c
	}
	// The reader cuts chunks 0 and 1, reports line 25, cuts chunk 2 and
	// reports line 40 before any chunk is merged.
	log.cut()
	log.cut()
	log.early(pb(25))
	log.cut()
	log.early(pb(40))
	log.add(0, chunk(1, 2, 3))
	log.add(1, chunk(11, 12, 13, 14))
	log.add(2, chunk(31, 32, 33))
	log.flush()
	var got []int
	for _, p := range st.Problems {
		got = append(got, p.Line)
	}
	if want := []int{1, 2, 3, 11, 12, 13, 14, 25, 31, 32}; !slices.Equal(got, want) {
		t.Errorf("problems at lines %v, want %v", got, want)
	}
	if st.Malformed != 12 || st.Lines != 10 {
		t.Errorf("malformed %d, lines %d; want 12, 10", st.Malformed, st.Lines)
	}
}
