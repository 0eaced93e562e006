package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// TestSharedKQLRulesCompile loads and compiles every one of Elastic's
// prebuilt query, threshold and new_terms rules in ../shared.
func TestSharedKQLRulesCompile(t *testing.T) {
	for _, typ := range []string{"query", "threshold", "new_terms"} {
		dir := filepath.Join("..", "..", "..", "shared", "rules", typ)
		if _, err := os.Stat(dir); err != nil {
			t.Skipf("no %s (../shared absent)", dir)
		}
		res, err := rule.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range append(res.Invalid, res.Skipped...) {
			t.Errorf("%s", e)
		}
		if len(res.Rules) == 0 {
			t.Errorf("%s: no rules", dir)
		}
		for _, r := range res.Rules {
			if r.Type != typ {
				t.Errorf("%s: type %q in the %s folder", r.Path, r.Type, typ)
			}
			if _, err := Compile(r, &Catalog{}, esql.Options{Now: time.Unix(0, 0)}); err != nil {
				t.Errorf("%s: %v\n%s", r.Path, err, lower(r))
			}
		}
		t.Logf("%s: %d rules compiled", typ, len(res.Rules))
	}
}

// kqlSweep runs one KQL-type rule over NDJSON lines as a hunt's sweep.
func kqlSweep(t *testing.T, r *rule.Rule, lines ...string) []*Alert {
	t.Helper()
	r.RuleID, r.Name, r.Severity, r.Language, r.MaxSignals = "r-"+r.Type, "test "+r.Type, "low", "kuery", 100
	if r.Index == nil {
		r.Index = []string{"logs-*"}
	}
	cr, err := Compile(r, &Catalog{}, esql.Options{Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatalf("%v\n%s", err, lower(r))
	}
	dec := doc.NewDecoder(nil, doc.DecodeOptions{Dynamic: true, AutoID: true})
	s := NewSweep([]*CompiledRule{cr})
	for _, l := range lines {
		d, err := dec.Decode([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		s.Push(d)
	}
	res, err := s.Finish(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), "exec")
	if err != nil {
		t.Fatal(err)
	}
	return res[0].Alerts
}

// kqlEv is one event line in index logs-test at minute min past 10:00.
func kqlEv(min int, fields string) string {
	ts := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC).Add(time.Duration(min) * time.Minute).Format(time.RFC3339)
	return fmt.Sprintf(`{"_index":"logs-test","_id":"e%d-%s","_source":{"@timestamp":%q,%s}}`, min, strings.NewReplacer(`"`, "", ":", "", ",", "", " ", "", "[", "", "]", "").Replace(fields), ts, fields)
}

func TestQueryRule(t *testing.T) {
	alerts := kqlSweep(t, &rule.Rule{Type: "query", Query: `process.name:curl and not user.name:root`},
		kqlEv(0, `"process.name":"curl","user.name":"alice"`),
		kqlEv(1, `"process.name":"curl","user.name":"root"`),
		kqlEv(2, `"process.name":"wget","user.name":"bob"`),
		kqlEv(3, `"process.name":"curl"`),
		`{"_index":"other-idx","_id":"x","_source":{"@timestamp":"2026-11-30T10:00:00Z","process.name":"curl"}}`,
	)
	var ids []string
	for _, a := range alerts {
		anc := a.Fields["kibana.alert.ancestors"].([]Ancestor)
		ids = append(ids, anc[0].ID)
		if a.Fields["kibana.alert.original_time"] == nil {
			t.Errorf("alert %s has no original_time", anc[0].ID)
		}
	}
	if want := "e0-process.namecurluser.namealice e3-process.namecurl"; strings.Join(ids, " ") != want {
		t.Errorf("alerts for %v, want %s", ids, want)
	}
}

func TestThresholdRule(t *testing.T) {
	lines := []string{
		kqlEv(0, `"event.action":"login","host.name":"a","user.name":"u1"`),
		kqlEv(1, `"event.action":"login","host.name":"a","user.name":"u1"`),
		kqlEv(2, `"event.action":"login","host.name":"b","user.name":"u1"`),
		kqlEv(3, `"event.action":"login","host.name":"b","user.name":"u2"`),
		kqlEv(4, `"event.action":"login","host.name":["b","c"],"user.name":"u3"`),
		kqlEv(5, `"event.action":"login","user.name":"u4"`),
		kqlEv(6, `"event.action":"logout","host.name":"a"`),
	}
	for _, tc := range []struct {
		name string
		th   rule.Threshold
		want string // per alert: terms/count/cardinality
	}{
		{"no fields", rule.Threshold{Value: 6}, "[]/6/"},
		{"no fields, below", rule.Threshold{Value: 7}, ""},
		{"one field", rule.Threshold{Fields: []string{"host.name"}, Value: 2}, "[host.name=a]/2/ [host.name=b]/3/"},
		{"multi-valued field in each bucket", rule.Threshold{Fields: []string{"host.name"}, Value: 1}, "[host.name=a]/2/ [host.name=b]/3/ [host.name=c]/1/"},
		{"two fields", rule.Threshold{Fields: []string{"host.name", "user.name"}, Value: 2}, "[host.name=a user.name=u1]/2/"},
		{"cardinality", rule.Threshold{Fields: []string{"host.name"}, Value: 1, Cardinality: []rule.Cardinality{{Field: "user.name", Value: 2}}}, "[host.name=b]/3/user.name=3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th := tc.th
			alerts := kqlSweep(t, &rule.Rule{Type: "threshold", Query: "event.action:login", Threshold: &th}, lines...)
			var got []string
			for _, a := range alerts {
				var terms []string
				for _, tm := range a.Fields["kibana.alert.threshold_result.terms"].([]map[string]any) {
					terms = append(terms, fmt.Sprintf("%s=%v", tm["field"], tm["value"]))
				}
				card := ""
				if c, ok := a.Fields["kibana.alert.threshold_result.cardinality"].([]map[string]any); ok {
					card = fmt.Sprintf("%s=%v", c[0]["field"], c[0]["value"])
				}
				got = append(got, fmt.Sprintf("[%s]/%v/%s", strings.Join(terms, " "), a.Fields["kibana.alert.threshold_result.count"], card))
				if a.Fields["kibana.alert.threshold_result.from"] == nil {
					t.Errorf("no threshold_result.from")
				}
			}
			sort.Strings(got)
			if strings.Join(got, " ") != tc.want {
				t.Errorf("got %q, want %q", strings.Join(got, " "), tc.want)
			}
		})
	}
}

func TestNewTermsRule(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fields   []string
		override string
		lines    []string
		want     string // kibana.alert.new_terms of each alert, in time order
	}{
		{"one field: history is the input's first hour", []string{"process.name"}, "", []string{
			kqlEv(0, `"process.name":"x"`),
			kqlEv(30, `"process.name":"y"`), // first seen inside the history window: known
			kqlEv(60, `"process.name":"w"`), // at the window's end: Kibana's first_seen > start is strict
			kqlEv(120, `"process.name":"x"`),
			kqlEv(125, `"process.name":"z"`),
			kqlEv(130, `"process.name":"z"`), // z again: one alert, on its first document
		}, "[z]"},
		{"timestamp_override falls back to @timestamp", []string{"process.name"}, "event.ingested", []string{
			kqlEv(0, `"process.name":"x"`),
			kqlEv(125, `"process.name":"z"`),
		}, "[z]"},
		{"timestamp_override read when present", []string{"process.name"}, "event.ingested", []string{
			kqlEv(0, `"process.name":"x"`),
			kqlEv(125, `"process.name":"z","event.ingested":"2026-11-30T10:10:00Z"`), // inside the history window
		}, ""},
		{"two fields", []string{"host.name", "process.name"}, "", []string{
			kqlEv(0, `"host.name":"a","process.name":"x"`),
			kqlEv(120, `"host.name":"b","process.name":"x"`),
			kqlEv(180, `"host.name":"a","process.name":"x"`),
			kqlEv(190, `"process.name":"w"`), // a missing field: no combination
		}, "[b x]"},
		{"multi-valued: each value a term", []string{"process.args"}, "", []string{
			kqlEv(0, `"process.args":["p","q"]`),
			kqlEv(120, `"process.args":["q","r","s"]`),
		}, "[r] [s]"},
		{"multi-valued, two fields: each combination", []string{"host.name", "process.args"}, "", []string{
			kqlEv(0, `"host.name":"a","process.args":["p","q"]`),
			kqlEv(120, `"host.name":["a","b"],"process.args":"p"`),
		}, "[b p]"},
		{"more combinations than the implicit LIMIT", []string{"process.pid"}, "", manyPIDs(), "1500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			alerts := kqlSweep(t, &rule.Rule{Type: "new_terms", Query: "*", TimestampField: tc.override, NewTerms: &rule.NewTerms{Fields: tc.fields, HistoryWindowStart: "now-1h", History: time.Hour}}, tc.lines...)
			var got []string
			for _, a := range alerts {
				got = append(got, fmt.Sprint(a.Fields["kibana.alert.new_terms"]))
			}
			sort.Strings(got)
			if tc.name == "more combinations than the implicit LIMIT" {
				got = []string{strconv.Itoa(len(alerts))}
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("got %q, want %q", strings.Join(got, " "), tc.want)
			}
		})
	}
}

// manyPIDs is one known pid, then 1500 new ones after the history window.
func manyPIDs() []string {
	lines := []string{kqlEv(0, `"process.pid":1`)}
	for i := 0; i < 1500; i++ {
		lines = append(lines, kqlEv(120, fmt.Sprintf(`"process.pid":%d`, 1000+i)))
	}
	return lines
}

// A rule's KQL reaches KQL() intact through the ES|QL string it is lowered
// into: quotes, backslashes, newlines and triple quotes.
func TestLowerQuotesQuery(t *testing.T) {
	for _, c := range []struct{ query, value string }{
		{`process.command_line:"echo \"hi\""`, `echo \"hi\"`},
		{`file.path:C\:\\temp\\*`, `C:\\temp\\x.exe`},
		{"process.command_line:\"a\\\"\\\"\\\"b\" and\n\tnot file.path:q", `a\"\"\"b`},
	} {
		alerts := kqlSweep(t, &rule.Rule{Type: "query", Query: c.query},
			kqlEv(0, `"process.command_line":"x","file.path":"y","process.name":"z"`),
			`{"_index":"logs-test","_id":"hit","_source":{"@timestamp":"2026-11-30T10:00:00Z","process.command_line":"`+c.value+`","file.path":"`+c.value+`","process.name":"`+c.value+`"}}`)
		if len(alerts) != 1 || alerts[0].Fields["kibana.alert.ancestors"].([]Ancestor)[0].ID != "hit" {
			t.Errorf("%q: %d alerts\n%s", c.query, len(alerts), lower(&rule.Rule{Type: "query", Query: c.query}))
		}
	}
}
