package prefilter_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/prefilter"
	"vigil/internal/rule"
)

type catalog struct{ m *doc.Mapping }

func (c catalog) Resolve([]string) (*doc.Mapping, error) { return c.m, nil }

// forQuery compiles an ES|QL query over m and derives its prefilter from
// the plan, as the engine does.
func forQuery(t testing.TB, query string, m *doc.Mapping) *prefilter.Filter {
	t.Helper()
	q, err := esql.Compile(query, catalog{m}, esql.Options{})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return prefilter.New(q.Plan().EventCondition(), m)
}

func endpointMapping(t testing.TB) *doc.Mapping {
	t.Helper()
	m := doc.NewMapping()
	ecs, _ := doc.BuiltinMapping("ecs")
	ep, _ := doc.BuiltinMapping("logs-endpoint.events.process")
	m.Merge(ecs)
	m.Merge(ep)
	return m
}

func TestForQuery(t *testing.T) {
	m := endpointMapping(t)
	for _, tc := range []struct {
		name, query, want string
	}{
		{"seed rule", rule.Builtin()[0].Query,
			"python & start & linux|macos & exec & sh|busybox & -c|-lc"},
		{"backquoted name", "FROM logs-* | WHERE `process.name` == \"bash\"", "bash"},
		{"equality either side", `FROM logs-* | WHERE "bash" == process.name`, "bash"},
		{"or distributes", `FROM logs-* | WHERE process.name == "bash" or (process.name == "zsh" and host.name == "h1")`, "bash|zsh & bash|h1"},
		{"like splits at wildcards and escapable bytes", `FROM logs-* | WHERE process.command_line like "*curl*http://*"`, "http: & curl"},
		{"like escape", `FROM logs-* | WHERE process.name like "a\\*b"`, "a*b"},
		{"starts_with", `FROM logs-* | WHERE STARTS_WITH(process.name, "python")`, "python"},
		{"non-ASCII splits runs", `FROM logs-* | WHERE process.name == "pythön3"`, "pyth & n3"},
		{"kql keyword match", `FROM logs-* | WHERE KQL("process.name:(bash or zsh) and not user.name:root")`, "bash|zsh"},
		{"kql wildcard value", `FROM logs-* | WHERE KQL("process.name:py*on")`, "py & on"},
		{"kql text field gives nothing", `FROM logs-* | WHERE KQL("message:hello")`, "<none>"},
		{"not gives nothing", `FROM logs-* | WHERE NOT process.name == "bash"`, "<none>"},
		{"not in gives nothing", `FROM logs-* | WHERE process.name NOT IN ("bash")`, "<none>"},
		{"rlike gives nothing", `FROM logs-* | WHERE process.name RLIKE "bash"`, "<none>"},
		{"numbers give nothing", `FROM logs-* | WHERE process.pid == 12`, "<none>"},
		{"constant_keyword gives nothing", `FROM logs-* | WHERE data_stream.type == "logs"`, "<none>"},
		{"eval shadows", `FROM logs-* | EVAL process.name = "x" | WHERE process.name == "bash"`, "<none>"},
		{"eval of another name keeps", `FROM logs-* | EVAL y = 1 | WHERE process.name == "bash"`, "bash"},
		{"stops at stats", `FROM logs-* | STATS c = COUNT(*) BY host.name | WHERE host.name == "h1"`, "<none>"},
		{"stops at limit", `FROM logs-* | LIMIT 10 | WHERE process.name == "bash"`, "<none>"},
		{"rename follows the field", `FROM logs-* | RENAME user.name AS process.name | WHERE process.name == "bash"`, "bash"},
		{"rename of a constant_keyword gives nothing", `FROM logs-* | RENAME data_stream.type AS process.name | WHERE process.name == "logs"`, "<none>"},
		{"rename and shadowing evals", `FROM logs-* | EVAL process.name = TO_LOWER(user.name) | RENAME process.name AS u, process.executable AS process.name | EVAL x = u | WHERE x == "root" AND process.name LIKE "*/bash"`, "root & bash"},
		{"eval shadowing with a computed value gives nothing", `FROM logs-* | EVAL process.name = CONCAT(user.name, "sh") | WHERE process.name == "bash"`, "<none>"},
		{"eval alias", `FROM logs-* | EVAL x = process.name | WHERE x == "bash"`, "bash"},
		{"eval alias of a field shadowed later", `FROM logs-* | EVAL x = process.name, process.name = user.name | WHERE x == "bash" AND process.name == "root"`, "bash & root"},
		{"mv_expand element", `FROM logs-* | MV_EXPAND process.args | WHERE process.args == "-c"`, "-c"},
		{"dissect output gives nothing", `FROM logs-* | DISSECT process.command_line "%{cmd} %{rest}" | WHERE cmd == "bash"`, "<none>"},
		{"dissect output shadowing a field gives nothing", `FROM logs-* | DISSECT process.command_line "%{process.name} %{rest}" | WHERE process.name == "bash"`, "<none>"},
		{"where after dissect on a field", `FROM logs-* | DISSECT process.command_line "%{a} %{b}" | WHERE process.name == "bash"`, "bash"},
		{"grok output gives nothing", `FROM logs-* | GROK process.command_line "%{WORD:process.name}" | WHERE process.name == "bash"`, "<none>"},
		{"sort is transparent", `FROM logs-* | SORT @timestamp | WHERE process.name == "bash"`, "bash"},
		{"stops at a limit after sort", `FROM logs-* | SORT @timestamp | LIMIT 5 | WHERE process.name == "bash"`, "<none>"},
		{"stops at inline stats", `FROM logs-* | INLINE STATS c = COUNT(*) BY host.name | WHERE process.name == "bash"`, "<none>"},
		{"metadata gives nothing", `FROM logs-* METADATA _index | WHERE _index == "logs"`, "<none>"},
		{"case-insensitive equality", `FROM logs-* | WHERE process.name =~ "Bash"`, "bash"},
		{"ends_with", `FROM logs-* | WHERE ENDS_WITH(process.executable, "bash.exe")`, "bash.exe"},
		{"eval of a constant then where", `FROM logs-* | EVAL process.name = "bash" | WHERE process.name == "bash"`, "<none>"},
		{"keep is transparent", `FROM logs-* | KEEP process.name | WHERE process.name == "bash"`, "bash"},
		{"row gives nothing", `ROW a = "x" | WHERE a == "x"`, "<none>"},
		{"quote splits", `FROM logs-* | WHERE process.command_line == "say \"hi\" now"`, "say  &  now & hi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := forQuery(t, tc.query, m)
			if got := f.String(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	f := forQuery(t, rule.Builtin()[0].Query, endpointMapping(t))
	base := `{"host":{"os":{"type":"linux"}},"event":{"type":["start"],"action":"exec"},"process":{"name":"bash","args":["bash","-c","id"],"parent":{"name":"python3"}}}`
	for _, tc := range []struct {
		name, line string
		want       bool
	}{
		{"matching", base, true},
		{"upper case", strings.ToUpper(base), true},
		{"no python", strings.Replace(base, "python3", "perl", 1), false},
		{"python only as a key", strings.Replace(base, `"python3"`, `"perl","python":1`, 1), true},
		{"unicode escape passes", strings.Replace(base, "python3", `\u0070ython3`, 1), true},
		{"escaped backslash then u is no escape", strings.Replace(base, "python3", `perl\\u`, 1), false},
		{"short escape cannot hide python", strings.Replace(base, "python3", `py\thon`, 1), false},
		{"no -c flag", strings.Replace(base, `"-c"`, `"-x"`, 1), false},
		{"-lc flag", strings.Replace(base, `"-c"`, `"-LC"`, 1), true},
		{"only an upper-case spelling", strings.Replace(base, "python3", "PYTHON3", 1), true},
		{"literal ends the line", strings.Replace(base, "python3", "perl", 1) + "pytHon", true},
		{"literal cut by the line's end", strings.Replace(base, "python3", "perl", 1) + "pytho", false},
		{"kelvin sign near a k-less literal is still rejected", strings.Replace(base, "python3", "perl\u212a", 1), false},
		{"empty", ``, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := f.Match([]byte(tc.line)); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
	var nilFilter *prefilter.Filter
	if !nilFilter.Match([]byte("x")) {
		t.Error("a nil filter must pass every line")
	}
}

func TestRiskyLetters(t *testing.T) {
	f := forQuery(t, `FROM logs-* | WHERE TO_LOWER(process.name) == "kill"`, endpointMapping(t))
	// U+212A KELVIN SIGN lower-cases to k: a line with only it must pass.
	if !f.Match([]byte(`{"process":{"name":"\u212aill"}}`)) || !f.Match([]byte("{\"process\":{\"name\":\"\u212aill\"}}")) {
		t.Error("a Kelvin sign spelling of kill was skipped")
	}
	if f.Match([]byte(`{"process":{"name":"bash"}}`)) {
		t.Error("an ASCII line without kill passed")
	}
}

func TestAny(t *testing.T) {
	m := endpointMapping(t)
	a := forQuery(t, `FROM logs-* | WHERE process.name == "bash"`, m)
	b := forQuery(t, `FROM logs-* | WHERE process.name == "zsh"`, m)
	both := prefilter.Any(a, b)
	for line, want := range map[string]bool{`"bash"`: true, `"zsh"`: true, `"fish"`: false} {
		if got := both.Match([]byte(line)); got != want {
			t.Errorf("%s: got %v", line, got)
		}
	}
	if prefilter.Any(a, nil) != nil {
		t.Error("a rule without literals must disable the prefilter")
	}
}

// FuzzMatch checks soundness on one field: however a value holding the
// literal is encoded as JSON (escapes, case), Match must pass the line. It
// also checks Match against referenceMatch on every reference filter.
func FuzzMatch(f *testing.F) {
	f.Add("python3", uint8(0), "x")
	f.Add("PyThOn", uint8(3), `"\`)
	f.Add("xpython/y", uint8(7), "\u212a")
	f.Add("/bin/SH -lc", uint8(2), `"exec","start","MacOS",\\u`)
	m := doc.NewMapping()
	m.Add(doc.Field{Name: "p", Type: doc.Keyword, ESType: "keyword"})
	flt := forQuery(f, `FROM x | WHERE TO_LOWER(p) like "*python*"`, m)
	if flt == nil {
		f.Fatal("no filter")
	}
	refs := referenceFilters(f)
	f.Fuzz(func(t *testing.T, value string, mode uint8, extra string) {
		line := encode(value, mode) + extra
		decoded := value
		if strings.Contains(strings.ToLower(decoded), "python") && !flt.Match([]byte(line)) {
			t.Fatalf("skipped a matching line %q", line)
		}
		for name, rf := range refs {
			for _, l := range []string{line, extra} {
				if got, want := rf.Match([]byte(l)), referenceMatch(rf, []byte(l)); got != want {
					t.Fatalf("%s: Match(%q) = %v, reference %v", name, l, got, want)
				}
			}
		}
	})
}

// referenceFilters covers the search's cases: letter and non-letter
// anchors, atoms sharing an anchor within and across clauses, literals
// longer than a word, risky literals and joined rules.
func referenceFilters(t testing.TB) map[string]*prefilter.Filter {
	m := endpointMapping(t)
	out := map[string]*prefilter.Filter{}
	for name, q := range map[string]string{
		"seed":    rule.Builtin()[0].Query,
		"risky":   `FROM logs-* | WHERE TO_LOWER(process.name) == "kill"`,
		"long":    `FROM logs-* | WHERE process.name IN ("xa", "xb") AND process.command_line LIKE "*powershell.exe*"`,
		"or":      `FROM logs-* | WHERE process.name == "bash" or (process.name == "zsh" and host.name == "h1")`,
		"escaped": `FROM logs-* | WHERE process.command_line == "say \"hi\" now"`,
	} {
		f := forQuery(t, q, m)
		if f == nil {
			t.Fatalf("%s: no filter", name)
		}
		out[name] = f
	}
	out["any"] = prefilter.Any(out["seed"], out["risky"])
	return out
}

// referenceMatch restates Match's contract naively (see the package doc):
// a line with a \u escape passes; otherwise it passes when, for some rule,
// every clause has an atom in the ASCII-lower-cased line, or has an atom
// holding i, k or s while the line has a non-ASCII byte.
func referenceMatch(f *prefilter.Filter, line []byte) bool {
	for i := 0; i+1 < len(line); i++ {
		if line[i] == '\\' {
			if line[i+1] == 'u' {
				return true
			}
			i++ // the escaped byte
		}
	}
	lower, nonASCII := make([]byte, len(line)), false
	for i, c := range line {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i], nonASCII = c, nonASCII || c >= 0x80
	}
	for _, cnf := range prefilter.Literals(f) {
		pass := true
		for _, c := range cnf {
			held, risky := false, false
			for _, lit := range c {
				held = held || bytes.Contains(lower, []byte(lit))
				risky = risky || strings.ContainsAny(lit, "iks")
			}
			pass = pass && (held || risky && nonASCII)
		}
		if pass {
			return true
		}
	}
	return false
}

// TestMatchReference compares Match with referenceMatch on random lines
// built from the filters' literals in random case, cut by escapes, among
// escapes, non-ASCII letters that fold to ASCII ones, and filler.
func TestMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := []string{`{"a":"`, `","`, `"}`, `\u0070`, `\\u`, `\\`, `\"`, `\/`, `\n`,
		"İ", "\u212a", "ſ", "é", "x", "h", "-", "r", "c", " ", "0"}
	for _, lit := range []string{"python", "start", "linux", "macos", "exec", "sh", "busybox",
		"-c", "-lc", "kill", "xa", "xb", "powershell.exe", "bash", "zsh", "h1", "say ", " now", "hi"} {
		pieces = append(pieces, lit, lit, lit)
	}
	refs := referenceFilters(t)
	for range 50000 {
		var b strings.Builder
		for range rng.IntN(12) {
			p := pieces[rng.IntN(len(pieces))]
			if rng.IntN(4) == 0 { // a literal in random case, maybe cut
				cut := rng.IntN(len(p) + 1)
				for i := range len(p) {
					c := p[i]
					if rng.IntN(2) == 0 {
						c = byte(unicode.ToUpper(rune(c)))
					}
					if i == cut && rng.IntN(2) == 0 {
						b.WriteString([]string{`\u0041`, `\"`, "\u212a"}[rng.IntN(3)])
					}
					b.WriteByte(c)
				}
				continue
			}
			b.WriteString(p)
		}
		line := []byte(b.String())
		for name, f := range refs {
			if got, want := f.Match(line), referenceMatch(f, line); got != want {
				t.Fatalf("%s: Match(%q) = %v, reference %v", name, line, got, want)
			}
		}
	}
}

// encode writes {"p": value} with escapes chosen by mode's bits.
func encode(value string, mode uint8) string {
	var b strings.Builder
	b.WriteString(`{"p":"`)
	for i, r := range value {
		switch {
		case mode&1 != 0 && i%3 == 0:
			b.WriteString(`\u00` + "0123456789abcdef"[r>>4&15:r>>4&15+1] + "0123456789abcdef"[r&15:r&15+1])
			if r > 0xff {
				b.Reset()
				j, _ := json.Marshal(value)
				return `{"p":` + string(j) + `}`
			}
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r == '/' && mode&2 != 0:
			b.WriteString(`\/`)
		case r < 0x20:
			j, _ := json.Marshal(string(r))
			b.WriteString(strings.Trim(string(j), `"`))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(`"}`)
	return b.String()
}

// TestElasticRules derives prefilters for Elastic's ES|QL rules (when the
// shared material is present) that compile over the endpoint mapping (the
// others name fields of other integrations): most carry literals.
func TestElasticRules(t *testing.T) {
	paths, _ := filepath.Glob("../../../shared/rules/esql/*.toml")
	if len(paths) == 0 {
		t.Skip("shared rules not present")
	}
	m := endpointMapping(t)
	with, compiled := 0, 0
	for _, p := range paths {
		r, err := rule.LoadFile(p)
		if err != nil {
			continue // the rule package's tests own load failures
		}
		q, err := esql.Compile(r.Query, catalog{m}, esql.Options{})
		if err != nil {
			continue // fields of other integrations
		}
		compiled++
		if prefilter.New(q.Plan().EventCondition(), m) != nil {
			with++
		}
	}
	t.Logf("%d of %d rules compiled over the endpoint mapping have a prefilter (%d rules)", with, compiled, len(paths))
	if with*2 < compiled {
		t.Errorf("only %d of %d rules yield a prefilter", with, compiled)
	}
}

// TestPlanDerivedSound runs queries whose prefilters follow columns
// through RENAME, EVAL aliases and shadowing, MV_EXPAND, DISSECT and SORT
// over random documents, once over every line and once over the lines
// their prefilter passes: the results must be the same.
func TestPlanDerivedSound(t *testing.T) {
	m := endpointMapping(t)
	queries := []string{
		`FROM logs-* | RENAME user.name AS process.name | WHERE process.name == "bash"`,
		`FROM logs-* | EVAL process.name = TO_LOWER(user.name) | RENAME process.name AS u, process.executable AS process.name | EVAL x = u | WHERE x == "root" AND process.name LIKE "*/bash"`,
		`FROM logs-* | EVAL x = process.name, process.name = user.name | WHERE x == "bash" OR process.name IN ("root", "ad\"min")`,
		`FROM logs-* | EVAL process.name = CONCAT(user.name, "sh") | WHERE process.name == "bash"`,
		`FROM logs-* | MV_EXPAND process.args | WHERE TO_UPPER(process.args) == "-C" | KEEP process.args, process.name`,
		`FROM logs-* | DISSECT process.command_line "%{process.name} %{rest}" | WHERE process.name == "bash" AND STARTS_WITH(user.name, "ro")`,
		`FROM logs-* | SORT user.name | WHERE process.name =~ "BASH" | KEEP user.name`,
	}
	rng := rand.New(rand.NewPCG(5, 6))
	names := []string{"bash", "BASH", "zsh", "root", "Root", "ad\"min", "rot", "-c", "-C", "/bin/bash", "x", "ba"}
	pick := func() string { return names[rng.IntN(len(names))] }
	var lines []string
	for range 400 {
		d := map[string]any{}
		set := func(k string, v any) {
			if rng.IntN(4) > 0 {
				d[k] = v
			}
		}
		set("process.name", pick())
		set("user.name", pick())
		set("process.executable", pick())
		set("process.args", []string{pick(), pick()})
		set("process.command_line", pick()+" "+pick())
		b, _ := json.Marshal(map[string]any{"@timestamp": "2026-01-01T00:00:00Z", "process": map[string]any{
			"name": d["process.name"], "executable": d["process.executable"], "args": d["process.args"], "command_line": d["process.command_line"]},
			"user": map[string]any{"name": d["user.name"]}})
		lines = append(lines, string(b))
	}
	run := func(q string, keep func(string) bool) *esql.Result {
		dec := doc.NewDecoder(m, doc.DecodeOptions{})
		var docs []*doc.Document
		for _, l := range lines {
			if !keep(l) {
				continue
			}
			d, err := dec.Decode([]byte(l))
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, d)
		}
		res, err := esql.Run(q, catalog{m}, slices.Values(docs), esql.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for _, q := range queries {
		f := forQuery(t, q, m)
		all := run(q, func(string) bool { return true })
		some := run(q, func(l string) bool { return f.Match([]byte(l)) })
		if !reflect.DeepEqual(all.Rows, some.Rows) {
			t.Errorf("%s\nfilter %s: %d rows, %d over the lines it passes", q, f, len(all.Rows), len(some.Rows))
		}
		if len(all.Rows) == 0 {
			t.Errorf("%s: no row; the test proves nothing", q)
		}
	}
}
