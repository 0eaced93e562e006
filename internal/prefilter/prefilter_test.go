package prefilter

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"vigil/internal/doc"
	"vigil/internal/rule"
)

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
		{"stops at rename", `FROM logs-* | RENAME user.name AS process.name | WHERE process.name == "bash"`, "<none>"},
		{"keep is transparent", `FROM logs-* | KEEP process.name | WHERE process.name == "bash"`, "bash"},
		{"row gives nothing", `ROW a = "x" | WHERE a == "x"`, "<none>"},
		{"quote splits", `FROM logs-* | WHERE process.command_line == "say \"hi\" now"`, "say  &  now & hi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ForQuery(tc.query, m)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.String(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	f, err := ForQuery(rule.Builtin()[0].Query, endpointMapping(t))
	if err != nil {
		t.Fatal(err)
	}
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
	var nilFilter *Filter
	if !nilFilter.Match([]byte("x")) {
		t.Error("a nil filter must pass every line")
	}
}

func TestRiskyLetters(t *testing.T) {
	f, err := ForQuery(`FROM logs-* | WHERE TO_LOWER(process.name) == "kill"`, endpointMapping(t))
	if err != nil {
		t.Fatal(err)
	}
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
	a, _ := ForQuery(`FROM logs-* | WHERE process.name == "bash"`, m)
	b, _ := ForQuery(`FROM logs-* | WHERE process.name == "zsh"`, m)
	both := Any(a, b)
	for line, want := range map[string]bool{`"bash"`: true, `"zsh"`: true, `"fish"`: false} {
		if got := both.Match([]byte(line)); got != want {
			t.Errorf("%s: got %v", line, got)
		}
	}
	if Any(a, nil) != nil {
		t.Error("a rule without literals must disable the prefilter")
	}
}

// TestAtomIn checks the pair-scanned search against a naive case-folded
// one, for literals from one byte to well past a word and past 32 bytes
// (the AVX2 block), over lines short and long.
func TestAtomIn(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alpha := "abcAB-c\"x@`"
	for range 40000 {
		lit := randStr(rng, "abcAB-c\"x", 1+rng.IntN([]int{4, 12, 70}[rng.IntN(3)]))
		line := randStr(rng, alpha, rng.IntN([]int{20, 100, 300}[rng.IntN(3)]))
		if rng.IntN(2) == 0 { // plant the literal in random case
			at := rng.IntN(len(line) + 1)
			line = line[:at] + randCase(rng, lit) + line[at:]
		}
		a := newAtom(lit)
		want := strings.Contains(strings.ToLower(line), strings.ToLower(lit))
		if got := a.in([]byte(line)); got != want {
			t.Fatalf("in(%q, %q) = %v, want %v", lit, line, got, want)
		}
	}
}

func randCase(rng *rand.Rand, s string) string {
	b := []byte(s)
	for i, c := range b {
		if rng.IntN(2) == 0 {
			b[i] = byte(unicode.ToUpper(rune(c)))
		}
	}
	return string(b)
}

func randStr(rng *rand.Rand, alpha string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[rng.IntN(len(alpha))]
	}
	return string(b)
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
	flt, err := ForQuery(`FROM x | WHERE TO_LOWER(p) like "*python*"`, m)
	if err != nil || flt == nil {
		f.Fatal(err)
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
func referenceFilters(t testing.TB) map[string]*Filter {
	m := endpointMapping(t)
	out := map[string]*Filter{}
	for name, q := range map[string]string{
		"seed":    rule.Builtin()[0].Query,
		"risky":   `FROM logs-* | WHERE TO_LOWER(process.name) == "kill"`,
		"long":    `FROM logs-* | WHERE process.name IN ("xa", "xb") AND process.command_line LIKE "*powershell.exe*"`,
		"or":      `FROM logs-* | WHERE process.name == "bash" or (process.name == "zsh" and host.name == "h1")`,
		"escaped": `FROM logs-* | WHERE process.command_line == "say \"hi\" now"`,
	} {
		f, err := ForQuery(q, m)
		if err != nil || f == nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = f
	}
	out["any"] = Any(out["seed"], out["risky"])
	return out
}

// referenceMatch restates Match's contract naively (see the package doc):
// a line with a \u escape passes; otherwise it passes when, for some rule,
// every clause has an atom in the ASCII-lower-cased line, or has an atom
// holding i, k or s while the line has a non-ASCII byte.
func referenceMatch(f *Filter, line []byte) bool {
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
	for _, cnf := range f.alts {
		pass := true
		for _, c := range cnf {
			held, risky := false, false
			for _, a := range c {
				held = held || bytes.Contains(lower, a.lit)
				risky = risky || bytes.ContainsAny(a.lit, "iks")
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
// shared material is present): none may fail, and most carry literals.
func TestElasticRules(t *testing.T) {
	paths, _ := filepath.Glob("../../../shared/rules/esql/*.toml")
	if len(paths) == 0 {
		t.Skip("shared rules not present")
	}
	m := endpointMapping(t)
	with := 0
	for _, p := range paths {
		r, err := rule.LoadFile(p)
		if err != nil {
			continue // the rule package's tests own load failures
		}
		f, err := ForQuery(r.Query, m)
		if err != nil {
			continue // ditto for parse failures
		}
		if f != nil {
			with++
		}
	}
	t.Logf("%d of %d rules have a prefilter", with, len(paths))
	if with == 0 {
		t.Error("no rule yields a prefilter")
	}
}
