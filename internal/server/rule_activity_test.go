package server

import (
	"fmt"
	"testing"
	"time"

	"vigil/internal/engine"
	"vigil/internal/esql"
	pf "vigil/internal/prefilter"
	"vigil/internal/rule"
)

// TestRuleActivityExact: the rules page's events matched is the count of
// events each rule's per-event condition passed — for an ES|QL rule whose
// WHERE the byte-level prefilter cannot decide (it passes every line of
// the test; the WHERE keeps half), and for EQL event and sequence rules,
// which show last evaluation and errors too.
func TestRuleActivityExact(t *testing.T) {
	r := &rule.Rule{RuleID: "long-sh", Name: "Long sh command line", Type: "esql", Language: "esql", Severity: "low", RiskScore: 21,
		MaxSignals: 100, Interval: 5 * time.Minute, Lookback: 6 * time.Minute,
		Query: `FROM logs-endpoint.events.process-* | WHERE process.name == "sh" AND LENGTH(process.command_line) > 12 | STATS c = COUNT(*) BY host.name`}
	cr, err := engine.Compile(r, &engine.Catalog{}, esql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	er := &rule.Rule{RuleID: "eql-cat", Name: "EQL cat", Type: "eql", Language: "eql", Severity: "low", RiskScore: 21,
		MaxSignals: 100, Interval: 5 * time.Minute, Lookback: 6 * time.Minute, Index: []string{"logs-endpoint.events.*"},
		Query: `process where process.command_line : "*cat*"`}
	eqlCat, err := engine.CompileEQL(er, &engine.Catalog{})
	if err != nil {
		t.Fatal(err)
	}
	ts := start(t, "", nil, func(o *Options) {
		o.Rules, o.EQLRules = []*engine.CompiledRule{cr}, []*engine.EQLRule{eqlCat, eqlSequenceRule(t)}
	})
	defer ts.stop(t)

	// "sh -c " + cmd is longer than 12 bytes for the last three commands.
	cmds := []string{"id", "whoami", "ls", "uname -a", "cat /etc/passwd", "curl x.example"}
	base := time.Now().Add(-time.Minute)
	var evs []string
	for i := range 12 {
		evs = append(evs, execEvent(base.Add(time.Duration(i)*time.Second), fmt.Sprintf("h%d", i%3), "P", cmds[i%len(cmds)]))
	}
	qm, err := (&engine.Catalog{}).Resolve(cr.Query.IndexPatterns())
	if err != nil {
		t.Fatal(err)
	}
	filter := pf.New(cr.Query.Plan().EventCondition(), qm, (&engine.Catalog{}).DecoderMapping())
	for _, e := range evs {
		if filter != nil && !filter.Match([]byte(e)) {
			t.Fatalf("the prefilter decides this WHERE (rejects %s): the test needs one it passes", e)
		}
	}
	if code, _, body := do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex, evs...)); code != 200 {
		t.Fatalf("bulk: %d %s", code, body)
	}
	eqlBulk(t, ts.url, eqlEvent(base, "network", "P"), eqlEvent(base, "network", "Q"))
	ts.Sync()

	_, body := getJSON(t, ts, "", "/api/rules")
	want := map[string]float64{
		"long-sh": 6,  // 12 events, half with a long command line
		"eql-cat": 2,  // cat /etc/passwd, twice
		"eql-seq": 14, // every sh start (stage 1) and both network events (stage 2)
	}
	for _, x := range body["rules"].([]any) {
		m := x.(map[string]any)
		id := m["rule_id"].(string)
		if m["events_matched"] != want[id] || m["last_evaluation"] == nil || fmt.Sprint(m["errors"]) != "[]" {
			t.Errorf("%s: events_matched %v (want %v), last_evaluation %v, errors %v", id, m["events_matched"], want[id], m["last_evaluation"], m["errors"])
		}
		delete(want, id)
	}
	if len(want) != 0 {
		t.Errorf("rules missing from the page: %v", want)
	}
}
