package main

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"vigil/internal/doc"
	"vigil/internal/engine"
	"vigil/internal/rule"
	"vigil/internal/source"
)

type huntOptions struct {
	rules       ruleFlags
	index       string
	mapping     []string
	out         string
	format      string
	now         string
	failOnAlert bool
	quiet       bool
	replay      bool
	kibanaDups  bool
	// replayReference: every rule on the replay's reference path (one
	// execution per run), for differential checks and measurements.
	replayReference bool
	threads         int
	noPrefilter     bool
	strictJSON      bool
	lateness        time.Duration
	chunkSize       int
	newTermsWin     time.Duration
	memLimit        memoryLimit
	exceptions      string
	evidence        bool
}

func newHuntCmd() *cobra.Command {
	var o huntOptions
	cmd := &cobra.Command{
		Use:   "hunt [flags] INPUT...",
		Short: "Run detection rules over events and print alerts",
		Long: `Runs detection rules (by default the built-in ones) over ECS events and prints
Kibana-shaped alerts: NDJSON on stdout when it is piped, a table on a terminal.
INPUT is an NDJSON file, a .gz file, a directory (recursive) or - for stdin.
The whole input is one query range: every window in the data is evaluated once.`,
		Example: `  vigil hunt examples/sample-events.ndjson.gz
  zcat export.ndjson.gz | vigil hunt --rules rules/ - > alerts.ndjson`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runHunt(cmd, o, args) },
	}
	o.rules.register(cmd)
	f := cmd.Flags()
	f.StringVar(&o.index, "index", "", "index name for documents that carry neither _index nor data_stream.* fields")
	f.StringArrayVar(&o.mapping, "mapping", nil, mappingFlagHelp)
	f.StringVarP(&o.out, "out", "o", "", "write alerts to FILE instead of stdout")
	f.StringVar(&o.format, "format", "", "alert output: ndjson or table (default: table on a terminal, else ndjson)")
	f.StringVar(&o.now, "now", "", "the sweep's time, RFC 3339: NOW() and alert timestamps use it (default: NOW() is the input's newest event timestamp — stdin: the current time — and alerts are stamped with the current time)")
	f.BoolVar(&o.failOnAlert, "fail-on-alert", false, "exit with status 4 when any alert is raised (for CI)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no summary or progress on stderr")
	f.DurationVar(&o.lateness, "lateness", 10*time.Minute, "how far behind the newest event a document may arrive and still count in its time window; older windows are closed to bound memory. Files that turn out not to be in time order are re-read with every window open, so results stay exact; stdin keeps every window open unless this flag is given (negative: never close windows)")
	f.DurationVar(&o.newTermsWin, "new-terms-history", 0, "new_terms rules: how much of the input's start is history only (a value combination first seen after it alerts); when not given, each rule's history window (history_window_start); 0: every value first seen after the input's first event")
	f.IntVar(&o.chunkSize, "chunk-size", 0, "bytes of input per work unit (default 2 MiB)")
	f.MarkHidden("chunk-size")
	f.BoolVar(&o.replay, "replay", false, "replay Kibana's schedule over the input: a run every rule interval over [run-from, run], max_signals per run")
	f.BoolVar(&o.kibanaDups, "kibana-duplicates", false, "with --replay: alert ids include each run's range, as Kibana's do, so overlapping runs duplicate alerts")
	f.BoolVar(&o.replayReference, "replay-reference", false, "with --replay: evaluate every run on its own (the slow reference the shared replay is checked against)")
	f.MarkHidden("replay-reference")
	f.IntVar(&o.threads, "threads", 0, "decoding workers (default: all cores)")
	f.BoolVar(&o.noPrefilter, "no-prefilter", false, "decode every line instead of skipping lines that cannot match (for differential testing)")
	registerMemoryLimit(f, &o.memLimit)
	f.StringVar(&o.exceptions, "exceptions", "", "Kibana exception lists to apply: an export (.ndjson) or a folder of them with value lists (NAME.txt); see docs/exceptions.md")
	f.BoolVar(&o.evidence, "evidence", false, "add to each alert the source events that formed it (vigil.evidence, at most 1000; vigil.evidence_total, vigil.evidence_truncated) and the process tree around it (vigil.process_tree), read from the input again; see docs/investigate.md")
	f.BoolVar(&o.strictJSON, "strict-json", false, "read lines that cannot match to their end too, so every malformed line is reported (by default such a line is read only up to its timestamp and data_stream fields and must merely look like a whole {…} object)")
	return cmd
}

func parseNow(s string) (time.Time, error) {
	if s == "" {
		return time.Now().UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, usageErr(fmt.Errorf("--now: %w", err))
	}
	return t.UTC(), nil
}

const mappingFlagHelp = "Elasticsearch mapping JSON (a GET <index>/_mapping response or {\"properties\":…}) laid over the built-in mappings; a folder means every *.json in it; repeatable, later ones win"

// loadMapping reads the --mapping files and folders (every *.json below a
// folder, in name order) and lays each over the ones before it.
func loadMapping(paths []string) (*doc.Mapping, error) {
	var out *doc.Mapping
	for _, path := range paths {
		files := []string{path}
		if st, err := os.Stat(path); err == nil && st.IsDir() {
			files = nil
			err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
					files = append(files, p)
				}
				return err
			})
			if err != nil {
				return nil, usageErr(err)
			}
			if len(files) == 0 {
				return nil, usageErr(fmt.Errorf("--mapping %s: no *.json file in the folder", path))
			}
			sort.Strings(files)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, usageErr(err)
			}
			m, err := doc.ParseMapping(data)
			if err != nil {
				return nil, usageErr(fmt.Errorf("%s: %w", f, err))
			}
			if out == nil {
				out = m
			} else {
				out.Overlay(m)
			}
		}
	}
	return out, nil
}

func runHunt(cmd *cobra.Command, o huntOptions, args []string) error {
	stderr := cmd.ErrOrStderr()
	now, err := parseNow(o.now)
	if err != nil {
		return err
	}
	rules, err := o.rules.load(stderr)
	if err != nil {
		return err
	}
	if cmd.Flags().Changed("new-terms-history") {
		if o.newTermsWin < 0 {
			return usageErr(fmt.Errorf("--new-terms-history %s: want 0 or more", o.newTermsWin))
		}
		rules = withNewTermsHistory(rules, o.newTermsWin)
	}
	user, err := loadMapping(o.mapping)
	if err != nil {
		return err
	}
	files, err := source.Expand(args)
	if err != nil {
		return inputErr(err)
	}
	cat := &engine.Catalog{User: user}
	compiled, eqlRules, _, err := compileRules(stderr, rules, cat, now, files, int64(o.memLimit))
	if err != nil {
		return err
	}
	if _, err := applyExceptions(stderr, o.exceptions, compiled, eqlRules, cat, now); err != nil {
		return err
	}

	out, closeOut, err := openOut(cmd, o.out)
	if err != nil {
		return err
	}
	defer closeOut()
	format := o.format
	if format == "" {
		format = "ndjson"
		if o.out == "" && isTerminal(cmd.OutOrStdout()) {
			format = "table"
		}
	}
	if format != "ndjson" && format != "table" {
		return usageErr(fmt.Errorf("--format %q: want ndjson or table", format))
	}

	if o.evidence && o.replay {
		return usageErr(fmt.Errorf("--evidence does not work with --replay yet"))
	}
	if o.kibanaDups && !o.replay {
		return usageErr(fmt.Errorf("--kibana-duplicates needs --replay"))
	}
	if o.replay {
		return runReplay(cmd, o, compiled, eqlRules, files, cat, out, format)
	}
	execUUID := newUUID()
	if o.now != "" {
		execUUID = stableUUID("vigil-hunt", o.now) // a pinned --now makes the whole output reproducible
	}
	sweepOnce := func(compiled []*engine.CompiledRule, lateness time.Duration) (*engine.Sweep, []*engine.RuleResult, source.Stats, time.Duration, error, error) {
		sweep := engine.NewSweep(compiled)
		sweep.IndexFallback = o.index
		sweep.Lateness = lateness
		reader := &source.Reader{Stdin: cmd.InOrStdin()}
		var bar *progress
		if !o.quiet && isTerminal(stderr) {
			bar = newProgress(stderr, source.TotalSize(files))
			reader.OnProgress = bar.update
		}
		popts, err := sweepOptions(o, cat, sweep, cat.DecoderMapping())
		if err != nil {
			return nil, nil, source.Stats{}, 0, nil, err
		}
		start := time.Now()
		st, readErr := sweep.Run(reader, files, popts)
		elapsed := time.Since(start)
		bar.done()
		results, err := sweep.Finish(now, execUUID)
		return sweep, results, st, elapsed, readErr, err
	}
	lateness := o.lateness
	if slices.Contains(files, "-") && !cmd.Flags().Changed("lateness") {
		// Stdin cannot be re-read if it turns out to be out of order, so by
		// default keep every window open: exact, at the cost of memory.
		lateness = -1
	}
	sweep := engine.NewSweep(nil)
	var results []*engine.RuleResult
	var st source.Stats
	var elapsed time.Duration
	var readErr error
	if len(compiled) > 0 {
		sweep, results, st, elapsed, readErr, err = sweepOnce(compiled, lateness)
		if err != nil {
			return err
		}
	}
	// Closing windows is exact only if no event came in behind the
	// watermark. If some did and the input can be read again, read it again
	// with every window open: one more pass instead of a wrong answer (a
	// damaged file is damaged again; the others are read whole).
	if late := lateEvents(results); late > 0 && !slices.Contains(files, "-") {
		if !o.quiet {
			fmt.Fprintf(stderr, "input is not in time order (%d events more than --lateness %s behind the newest); re-reading it with all windows open\n", late, o.lateness)
		}
		lateness = -1
		sweep, results, st, elapsed, readErr, err = sweepOnce(compiled, lateness)
		if err != nil {
			return err
		}
	}
	// NOW() in a sweep is the input's newest timestamp unless --now says
	// otherwise. It is known only once the input is read, so the rules that
	// read NOW() — compiled with the current time — are compiled again with
	// it and swept again (only they). Stdin cannot be read twice: there they
	// keep the current time, and the summary says so.
	nowNotes := map[*rule.Rule]string{}
	var nowRules []*engine.CompiledRule
	for _, cr := range compiled {
		if cr.Query.UsesNow() {
			nowRules = append(nowRules, cr)
		}
	}
	if len(nowRules) > 0 {
		at, how := now, "--now"
		if o.now == "" {
			newest, ok := sweep.Newest()
			switch {
			case !ok:
				how = "the current time: no event in scope has a timestamp"
			case slices.Contains(files, "-"):
				how = "the current time: stdin cannot be read twice, give --now"
			default:
				// A rule that saw no event gives nothing at any time.
				inScope := map[*rule.Rule]bool{}
				for _, rr := range results {
					inScope[rr.Rule] = rr.Events > 0
				}
				var redo []*engine.CompiledRule
				for _, cr := range nowRules {
					if inScope[cr.Rule] {
						redo = append(redo, cr)
					}
				}
				var nowResults []*engine.RuleResult
				if len(redo) > 0 {
					again, err := recompile(redo, cat, newest)
					if err != nil {
						return err
					}
					if _, nowResults, _, _, _, err = sweepOnce(again, lateness); err != nil {
						return err
					}
				}
				byRule := map[*rule.Rule]*engine.RuleResult{}
				for _, rr := range nowResults {
					byRule[rr.Rule] = rr
				}
				for i, rr := range results {
					if nr := byRule[rr.Rule]; nr != nil {
						results[i] = nr
					}
				}
				at, how = newest, "the newest event in the input"
			}
		}
		for _, cr := range nowRules {
			nowNotes[cr.Rule] = fmt.Sprintf("uses NOW(): evaluated at %s (%s)", at.Format(time.RFC3339Nano), how)
		}
	}
	if len(eqlRules) > 0 {
		eqlResults, est, eqlElapsed, eqlErr := huntEQL(cmd, o, eqlRules, files, cat, now, execUUID, len(compiled) > 0)
		results = append(results, eqlResults...)
		if len(compiled) == 0 {
			st = est
		}
		elapsed += eqlElapsed
		if readErr == nil {
			readErr = eqlErr
		}
	}
	var all []*engine.Alert
	for _, rr := range results {
		all = append(all, rr.Alerts...)
	}
	// Non-aggregating rules' alerts carry their source document, as Kibana's.
	if err := engine.FetchSources(files, all); err != nil && readErr == nil {
		readErr = err
	}
	// Alert suppression reads group_by fields from the whole alert, source
	// included; the sweep is one rule execution.
	nAlerts := 0
	var kept []*engine.Alert
	for _, rr := range results {
		rr.Alerts = engine.Suppress(rr.Alerts)
		nAlerts += len(rr.Alerts)
		kept = append(kept, rr.Alerts...)
	}
	if o.evidence {
		if err := attachEvidence(files, cat.DecoderMapping(), o.index, compiled, kept); err != nil && readErr == nil {
			readErr = err
		}
	}
	if format == "table" {
		writeAlertTable(out, results)
	} else {
		bw := bufio.NewWriter(out)
		for _, rr := range results {
			for _, a := range rr.Alerts {
				b, err := a.MarshalJSON()
				if err != nil {
					return err
				}
				bw.Write(b)
				bw.WriteByte('\n')
			}
		}
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	if !o.quiet {
		writeSummary(stderr, st, elapsed, sweep, results, nowNotes)
	}
	var stopped []error
	for _, rr := range results {
		if rr.Err != nil {
			fmt.Fprintln(stderr, rr.Err)
			stopped = append(stopped, rr.Err)
		}
	}
	if readErr != nil {
		return inputErr(readErr)
	}
	if len(stopped) > 0 {
		return &exitError{exitMemory, fmt.Errorf("%d rule(s) stopped at the memory limit", len(stopped))}
	}
	if o.failOnAlert && nAlerts > 0 {
		return &exitError{exitAlerts, fmt.Errorf("%d alert(s) raised", nAlerts)}
	}
	return nil
}

// withNewTermsHistory gives new_terms rules a history of d (copies; the
// loaded rules stay as their files say).
func withNewTermsHistory(rules []*rule.Rule, d time.Duration) []*rule.Rule {
	out := make([]*rule.Rule, len(rules))
	for i, r := range rules {
		if r.NewTerms != nil {
			c, nt := *r, *r.NewTerms
			nt.History = d
			c.NewTerms = &nt
			r = &c
		}
		out[i] = r
	}
	return out
}

// sweepOptions sets up the parallel sweep (see engine.Sweep.Options).
func sweepOptions(o huntOptions, cat *engine.Catalog, sweep *engine.Sweep, m *doc.Mapping) (engine.ParallelOptions, error) {
	if err := checkThreads(o.threads); err != nil {
		return engine.ParallelOptions{}, err
	}
	popts, err := sweep.Options(cat, m, o.threads, !o.noPrefilter)
	if err != nil {
		return popts, usageErr(err)
	}
	popts.ChunkSize = o.chunkSize
	popts.ValidateSkipped = o.strictJSON
	return popts, nil
}

func checkThreads(n int) error {
	if n < 0 {
		return usageErr(fmt.Errorf("--threads %d: want 1 or more (0: all cores)", n))
	}
	return nil
}

func openOut(cmd *cobra.Command, path string) (io.Writer, func(), error) {
	if path == "" || path == "-" {
		return cmd.OutOrStdout(), func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, usageErr(err)
	}
	return f, func() { f.Close() }, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// stableUUID derives a version-4-shaped UUID from its inputs.
func stableUUID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	b := h[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	s := hex.EncodeToString(b)
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

func writeAlertTable(w io.Writer, results []*engine.RuleResult) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tRULE\tHOST\tDETAILS")
	for _, rr := range results {
		for _, a := range rr.Alerts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Severity, a.RuleName, a.Host, alertDetails(a))
		}
	}
	tw.Flush()
}

// alertDetails summarises an alert's row for a terminal: its columns in
// query order, lists shown by their size, cut to a readable width.
func alertDetails(a *engine.Alert) string {
	var parts []string
	// Time window first, then the row's values, then the rest of the key
	// (entity ids are long and last).
	isKey := map[string]bool{}
	for _, k := range a.GroupBy {
		isKey[k] = true
	}
	var windows, values, keys []string
	for _, c := range a.Columns {
		_, isTime := a.Fields[c].(string)
		switch {
		case isKey[c] && isTime && strings.HasSuffix(a.Fields[c].(string), "Z") && strings.Contains(a.Fields[c].(string), "T"):
			windows = append(windows, c)
		case isKey[c]:
			keys = append(keys, c)
		default:
			values = append(values, c)
		}
	}
	order := append(append(windows, values...), keys...)
	shown := map[string]bool{"host.name": true}
	for _, c := range order {
		v, ok := a.Fields[c]
		if !ok || shown[c] {
			continue
		}
		shown[c] = true
		if c == "@timestamp" {
			v = a.Fields["kibana.alert.original_time"]
		}
		switch x := v.(type) {
		case []any:
			parts = append(parts, fmt.Sprintf("%s=[%d values]", strings.TrimPrefix(c, "Esql."), len(x)))
		default:
			parts = append(parts, fmt.Sprintf("%s=%v", strings.TrimPrefix(c, "Esql."), x))
		}
	}
	s := strings.Join(parts, " ")
	if r := []rune(s); len(r) > 160 {
		s = string(r[:159]) + "…"
	}
	return s
}

func lateEvents(results []*engine.RuleResult) int64 {
	var n int64
	for _, rr := range results {
		n += rr.Late
	}
	return n
}

func writeSummary(w io.Writer, st source.Stats, elapsed time.Duration, sweep *engine.Sweep, results []*engine.RuleResult, notes map[*rule.Rule]string) {
	secs := elapsed.Seconds()
	if secs <= 0 {
		secs = 1e-9
	}
	fmt.Fprintf(w, "read %d events (%s) in %s: %.0f events/s, %.1f MB/s\n",
		st.Events, humanBytes(st.Bytes), elapsed.Round(time.Millisecond), float64(st.Events)/secs, float64(st.Bytes)/secs/1e6)
	writeProblems(w, st)
	if sweep.Unindexed > 0 {
		fmt.Fprintf(w, "events with no index (no _index, no data_stream.*; see --index): %d\n", sweep.Unindexed)
	}
	bySeverity := map[string]int{}
	for _, rr := range results {
		outcome := fmt.Sprintf("%d alerts", len(rr.Alerts))
		if rr.Err != nil {
			outcome = "stopped at the memory limit"
		}
		fmt.Fprintf(w, "rule %q: %d events in scope, %d matched its filter, %s\n", rr.Rule.Name, rr.Events, rr.Matched, outcome)
		if n := notes[rr.Rule]; n != "" {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
		for _, a := range rr.Alerts {
			bySeverity[a.Severity]++
		}
		writeExceptionCounts(w, rr.Exceptions)
		if rr.Late > 0 {
			fmt.Fprintf(w, "  warning: %d events arrived more than the lateness allowance behind the newest event; windows they belong to may have closed without them (sort the input or raise --lateness)\n", rr.Late)
		}
		if rr.Truncated {
			fmt.Fprintf(w, "  note: the result reached the query's LIMIT; more groups may exist\n")
		}
		for _, wn := range rr.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", wn)
		}
	}
	var sev []string
	for s, n := range bySeverity {
		sev = append(sev, fmt.Sprintf("%s %d", s, n))
	}
	sort.Strings(sev)
	if len(sev) > 0 {
		fmt.Fprintf(w, "alerts by severity: %s\n", strings.Join(sev, ", "))
	}
}

func writeProblems(w io.Writer, st source.Stats) {
	if st.Malformed == 0 {
		return
	}
	fmt.Fprintf(w, "malformed lines: %d (skipped)\n", st.Malformed)
	for _, p := range st.Problems {
		fmt.Fprintf(w, "  %s\n", p.Error())
	}
	if st.Malformed > int64(len(st.Problems)) {
		fmt.Fprintf(w, "  … and %d more\n", st.Malformed-int64(len(st.Problems)))
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// progress draws a one-line bar over input bytes on a terminal.
type progress struct {
	w     io.Writer
	total int64
	last  time.Time
	drawn bool
}

func newProgress(w io.Writer, total int64) *progress { return &progress{w: w, total: total} }

func (p *progress) update(n int64) {
	if time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.drawn = true
	if p.total <= 0 {
		fmt.Fprintf(p.w, "\r%s read", humanBytes(n))
		return
	}
	frac := float64(n) / float64(p.total)
	if frac > 1 {
		frac = 1
	}
	const width = 30
	fill := int(frac * width)
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%% %s", strings.Repeat("#", fill), strings.Repeat(".", width-fill), frac*100, humanBytes(n))
}

func (p *progress) done() {
	if p != nil && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
