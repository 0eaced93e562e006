package kql

import (
	"errors"

	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"vigil/internal/doc"
)

// corpus reads one of the shared KQL corpora, skipping when /work/shared is absent.
func corpus(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "..", "shared", "conformance", "kql", name))
	if err != nil {
		t.Skipf("shared conformance material not available: %v", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "//") {
			continue
		}
		out = append(out, line)
	}
	return out
}

func TestSupportedQueries(t *testing.T) {
	for _, q := range corpus(t, "supported-queries") {
		n, err := Parse(q, Elasticsearch)
		if err != nil {
			t.Errorf("Elasticsearch: Parse(%q): %v", q, err)
			continue
		}
		// Canonical printing must read back to the same tree.
		s := n.String()
		n2, err := Parse(s, Elasticsearch)
		if err != nil || n2.String() != s {
			t.Errorf("round trip of %q via %q: %v", q, s, err)
		}
	}
}

func TestSupportedQueriesKibana(t *testing.T) {
	for _, q := range corpus(t, "supported-queries") {
		// Kibana's grammar needs whitespace after `not`, so `NOT(x)` is a
		// Kibana syntax error; everything else in the corpus is valid kuery.
		_, err := Parse(q, Kibana)
		if strings.Contains(q, "NOT(") {
			if err == nil {
				t.Errorf("Kibana: Parse(%q) succeeded; kuery requires a space after not", q)
			}
			continue
		}
		if err != nil {
			t.Errorf("Kibana: Parse(%q): %v", q, err)
		}
	}
}

// corpusMapping gives the unsupported corpus's fields the types its
// upstream test mapping has, so the semantic rejects can be checked.
func corpusMapping() *doc.Mapping {
	m := doc.NewMapping()
	for _, n := range []string{"mapped_string", "mapped_string_2", "mapped_nested.mapped_string", "mapped_nested.mapped_string_2"} {
		m.Add(doc.Field{Name: n, Type: doc.Keyword, ESType: "keyword"})
	}
	m.Add(doc.Field{Name: "mapped_nested", Type: doc.Unsupported, ESType: "nested"})
	return m
}

func TestUnsupportedQueries(t *testing.T) {
	mustParse := map[string]bool{"mapped_string: (foo and bar)": true, "mapped_string: (foo or bar)": true}
	for _, q := range corpus(t, "unsupported-queries") {
		n, err := Parse(q, Elasticsearch)
		if err == nil {
			_, err = Compile(n, corpusMapping(), Options{Dialect: Elasticsearch})
		}
		if mustParse[strings.TrimSpace(q)] {
			if err != nil {
				t.Errorf("%q: current Elasticsearch accepts value lists, got %v", q, err)
			}
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: want a positioned *SyntaxError, got %v", q, err)
			continue
		}
		if se.Line < 1 || se.Col < 1 || !strings.HasPrefix(se.Error(), "line ") {
			t.Errorf("%q: bad position in %v", q, se)
		}
	}
}

// TestRuleQueries parses and compiles every KQL("""…""") filter in the
// shared Elastic ES|QL rules and the seed rule.
func TestRuleQueries(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "shared")
	files, _ := filepath.Glob(filepath.Join(shared, "rules", "esql", "*.toml"))
	seeds, _ := filepath.Glob(filepath.Join(shared, "seed", "*"))
	files = append(files, seeds...)
	if len(files) == 0 {
		t.Skip("shared rules not available")
	}
	re := regexp.MustCompile(`(?s)KQL\("""(.*?)"""\)`)
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			n++
			q, err := Parse(m[1], Elasticsearch)
			if err != nil {
				t.Errorf("%s: %q: %v", filepath.Base(f), m[1], err)
				continue
			}
			if _, err := Compile(q, nil, Options{Dialect: Elasticsearch}); err != nil {
				t.Errorf("%s: %q: %v", filepath.Base(f), m[1], err)
			}
		}
	}
	if n == 0 {
		t.Error("no KQL() calls found in the shared rules")
	}
}
