package csvspec

import (
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
)

// Status is a test's outcome.
type Status uint8

const (
	Passed Status = iota
	Failed
	Skipped
)

func (s Status) String() string {
	switch s {
	case Passed:
		return "PASS"
	case Failed:
		return "FAIL"
	}
	return "SKIP"
}

// Outcome is what running one test gave.
type Outcome struct {
	Test   *Test
	Status Status
	Reason string // why it failed or was skipped; empty for a pass
}

// ID names a test as file:line name.
func (o Outcome) ID() string {
	return fmt.Sprintf("%s:%d %s", filepath.Base(o.Test.File), o.Test.Line, o.Test.Name)
}

// ExecFunc runs one ES|QL query over a catalog and its documents; esql.Run
// has this shape.
type ExecFunc func(query string, cat esql.Catalog, docs iter.Seq[*doc.Document], opts esql.Options) (*esql.Result, error)

// fixedNow is the instant NOW() means in every test, so runs are repeatable.
var fixedNow = time.Date(2024, 5, 10, 12, 34, 56, 789_000_000, time.UTC)

// Runner runs csv-spec tests. The zero Runner runs every test through
// esql.Run as Elasticsearch 9.2 would.
type Runner struct {
	Exec      ExecFunc          // nil: esql.Run
	Now       time.Time         // zero: fixedNow
	Version   [3]int            // zero: the version in capabilities.go
	Filter    *regexp.Regexp    // when set, only tests whose name matches run; others are left out
	Supported func(string) bool // nil: Supported (the capability table)
	// Timeout bounds one query (zero: 30s), so an engine that hangs fails
	// its test instead of the whole run. The stuck query is abandoned.
	Timeout time.Duration
}

func (r *Runner) exec() ExecFunc {
	if r.Exec != nil {
		return r.Exec
	}
	return esql.Run
}

// RunPaths runs the csv-spec files named, or found (*.csv-spec, recursively)
// under the directories named. Each file's data sets are loaded from the
// data/ and mappings/ directories beside it. Outcomes are in file order.
func (r *Runner) RunPaths(paths []string) ([]Outcome, error) {
	files, err := SpecFiles(paths)
	if err != nil {
		return nil, err
	}
	libs := map[string]*Library{}
	var out []Outcome
	for _, f := range files {
		dir := filepath.Dir(f)
		lib, ok := libs[dir]
		if !ok {
			if lib, err = LoadLibrary(dir); err != nil {
				return nil, err
			}
			libs[dir] = lib
		}
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		tests, err := ParseSpec(f, src)
		if err != nil {
			return nil, err
		}
		for _, t := range tests {
			if r.Filter != nil && !r.Filter.MatchString(t.Name) {
				continue
			}
			out = append(out, r.Run(lib, t))
		}
	}
	return out, nil
}

// SpecFiles expands files and directories into the sorted list of
// *.csv-spec files they name.
func SpecFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(path, ".csv-spec") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(files)
	return slices.Compact(files), nil
}

// SkipReason says why a test must not run, or "" when it should.
func (r *Runner) SkipReason(lib *Library, t *Test) string {
	if t.Ignored {
		return "disabled: name ends in -Ignore"
	}
	if rng, ok := t.Instructions["skip"]; ok {
		version := r.Version
		if version == [3]int{} {
			version = defaultVersion
		}
		in, err := versionInRange(version, rng)
		if err != nil {
			return "malformed skip instruction: " + err.Error()
		}
		if in {
			reason := t.Instructions["reason"]
			return fmt.Sprintf("skip:%s applies to version %d.%d.%d: %s", rng, version[0], version[1], version[2], reason)
		}
	}
	supported := r.Supported
	if supported == nil {
		supported = Supported
	}
	for _, c := range t.Capabilities {
		if !supported(c) {
			return "requires capability " + c + " (not supported)"
		}
	}
	for _, c := range t.Columns {
		if _, ok := SpecType(c.Type); !ok {
			return "expected column type " + c.Type + " not supported"
		}
	}
	for _, n := range fromIndices(t.Query) {
		if strings.ContainsAny(n, "*:") || strings.HasPrefix(n, "-") {
			continue
		}
		if _, ok := lib.Dataset(n); !ok {
			return "data set " + n + " not available"
		}
	}
	return ""
}

// Run runs one test and judges it.
func (r *Runner) Run(lib *Library, t *Test) Outcome {
	if reason := r.SkipReason(lib, t); reason != "" {
		return Outcome{Test: t, Status: Skipped, Reason: reason}
	}
	now := r.Now
	if now.IsZero() {
		now = fixedNow
	}
	cat := lib.Catalog()
	res, err := r.safeExec(t.Query, cat, now)
	if err != nil {
		if errors.Is(err, errTimeout) {
			return Outcome{Test: t, Status: Failed, Reason: "query failed: " + err.Error()}
		}
		if m := cat.Missing(); len(m) > 0 {
			return Outcome{Test: t, Status: Skipped, Reason: "data set " + strings.Join(m, ", ") + " not available"}
		}
		return Outcome{Test: t, Status: Failed, Reason: "query failed: " + err.Error()}
	}
	if err := Compare(t, res); err != nil {
		reason := err.Error()
		if note, ok := deviations[t.Name]; ok {
			reason = note + "\n" + reason
		}
		return Outcome{Test: t, Status: Failed, Reason: reason}
	}
	return Outcome{Test: t, Status: Passed}
}

// errTimeout marks a query abandoned by safeExec; its catalog may still be in use.
var errTimeout = errors.New("no answer")

// safeExec runs the engine on its own goroutine, turning a panic into a
// failure of the one test and giving up after the timeout.
func (r *Runner) safeExec(query string, cat *Catalog, now time.Time) (*esql.Result, error) {
	type answer struct {
		res *esql.Result
		err error
	}
	done := make(chan answer, 1) // buffered: an abandoned query must not block forever
	exec := r.exec()
	go func() {
		defer func() {
			if p := recover(); p != nil {
				stack := string(debug.Stack())
				if i := strings.Index(stack, "panic("); i >= 0 {
					stack = stack[i:]
				}
				if len(stack) > 1500 {
					stack = stack[:1500]
				}
				done <- answer{err: fmt.Errorf("engine panic: %v\n%s", p, stack)}
			}
		}()
		res, err := exec(query, cat, cat.Docs(), esql.Options{Now: now})
		done <- answer{res, err}
	}()
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case a := <-done:
		return a.res, a.err
	case <-timer.C:
		return nil, fmt.Errorf("%w within %v", errTimeout, timeout)
	}
}

// versionInRange reads a skip range "LOW-HIGH" (either end may be empty:
// the first version ever, or the current one) and tells whether v is in it.
func versionInRange(v [3]int, rng string) (bool, error) {
	lo, hi, ok := strings.Cut(rng, "-")
	if !ok || strings.Contains(hi, "-") {
		return false, errors.New("malformed version range [" + rng + "]")
	}
	low, high := [3]int{}, v
	var err error
	if s := strings.TrimSpace(lo); s != "" {
		if low, err = parseVersion(s); err != nil {
			return false, err
		}
	}
	if s := strings.TrimSpace(hi); s != "" {
		if high, err = parseVersion(s); err != nil {
			return false, err
		}
	}
	return compareVersion(v, low) >= 0 && compareVersion(v, high) <= 0, nil
}

func parseVersion(s string) ([3]int, error) {
	var out [3]int
	s = strings.TrimSuffix(s, "-SNAPSHOT")
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return out, errors.New("malformed version [" + s + "]")
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, errors.New("malformed version [" + s + "]")
		}
		out[i] = n
	}
	return out, nil
}

func compareVersion(a, b [3]int) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// fromIndices returns the index names of a query's leading FROM command
// (nil for ROW and other sources). It is a light scan, only used to tell
// "data set not available" before running the query.
func fromIndices(q string) []string {
	q = strings.TrimSpace(q)
	if len(q) < 5 || !strings.EqualFold(q[:4], "from") || (q[4] != ' ' && q[4] != '\n' && q[4] != '\t') {
		return nil
	}
	rest := q[5:]
	if i := strings.IndexByte(rest, '|'); i >= 0 {
		rest = rest[:i]
	}
	fields := strings.Fields(strings.ReplaceAll(rest, ",", " , "))
	var names []string
	for _, f := range fields {
		if strings.EqualFold(f, "metadata") {
			break
		}
		if f == "," {
			continue
		}
		names = append(names, strings.Trim(f, `"`))
	}
	return names
}

// Summary counts outcomes.
type Summary struct{ Passed, Failed, Skipped int }

// Summarize counts outcomes by status.
func Summarize(outs []Outcome) Summary {
	var s Summary
	for _, o := range outs {
		switch o.Status {
		case Passed:
			s.Passed++
		case Failed:
			s.Failed++
		default:
			s.Skipped++
		}
	}
	return s
}

// Total is the number of tests counted.
func (s Summary) Total() int { return s.Passed + s.Failed + s.Skipped }

// String is the runner's final line: "N passed, N failed, N skipped".
func (s Summary) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", s.Passed, s.Failed, s.Skipped)
}
