package engine

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/rule"
	"vigil/internal/sample"
	"vigil/internal/source"
)

const sharedEQLRules = "../../../shared/rules/eql"

// The EQL scenario set (sample.EQLScenarios, `vigil sample --eql`): every
// scenario rule, run through the hunt's EQL path (prefilter, projected
// decoding, EQLHunt) over the generated data, alerts on exactly the events
// of its injected attack — every one of them, as one sequence for a
// sequence rule — and on none of its near misses, the other scenarios or
// the background.
func TestEQLScenarios(t *testing.T) {
	if _, err := os.Stat(sharedEQLRules); err != nil {
		t.Skip("shared rules absent")
	}
	set := sample.EQLScenarios
	sequences := 0
	for _, s := range set {
		q := loadScenarioRule(t, s).Query
		if !isSequence(q) {
			continue
		}
		sequences++
		// Cases are played sample.MaxRuleSpan and more apart.
		m := regexp.MustCompile(`maxspan\s*=\s*(\d+[smh])`).FindStringSubmatch(q)
		if m == nil {
			t.Errorf("%s: a sequence without maxspan", s.Name())
		} else if d, err := time.ParseDuration(m[1]); err != nil || d > sample.MaxRuleSpan {
			t.Errorf("%s: maxspan %s, longer than %v", s.Name(), m[1], sample.MaxRuleSpan)
		}
	}
	if len(set) < 20 || sequences < 5 {
		t.Errorf("%d scenario rules, %d sequences: want at least 20 and 5", len(set), sequences)
	}
	for _, prefilter := range []bool{true, false} {
		for _, problem := range checkEQLScenarios(t, set, set, sample.DefaultConfig(), prefilter) {
			t.Errorf("prefilter %v: %s", prefilter, problem)
		}
	}
}

// The check can fail: with one stage of a sequence attack, or the one
// event of an event-query attack, removed, the scenario's rule does not
// alert and the check says so for that rule alone.
func TestEQLScenariosBrokenAttack(t *testing.T) {
	if _, err := os.Stat(sharedEQLRules); err != nil {
		t.Skip("shared rules absent")
	}
	for _, name := range []string{"cross-platform__execution_nodejs_pre_or_post_install_script_execution", "linux__defense_evasion_clear_kernel_ring_buffer"} {
		t.Run(name, func(t *testing.T) {
			gen := slices.Clone(sample.EQLScenarios)
			i := slices.IndexFunc(gen, func(s sample.EQLScenario) bool { return s.Name() == name })
			if i < 0 {
				t.Fatalf("no scenario %s", name)
			}
			broken := gen[i].Attack
			broken.Events = broken.Events[:len(broken.Events)-1]
			gen[i].Attack = broken
			cfg := sample.DefaultConfig()
			cfg.Duration = 10 * time.Minute
			problems := checkEQLScenarios(t, sample.EQLScenarios, gen, cfg, true)
			if len(problems) != 1 || !strings.Contains(problems[0], name+": attack") {
				t.Errorf("problems %q, want one: the attack of %s not alerted", problems, name)
			}
		})
	}
}

func loadScenarioRule(t *testing.T, s sample.EQLScenario) *rule.Rule {
	t.Helper()
	r, err := rule.LoadFile(filepath.Join(sharedEQLRules, s.Rule+".toml"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Type != "eql" {
		t.Fatalf("%s: type %q, want eql", s.Rule, r.Type)
	}
	return r
}

// checkEQLScenarios generates cfg's data with the scenarios gen, hunts it
// with the rules of set as `vigil hunt` does, and returns where the alerts
// differ from set's attacks, one line per rule.
func checkEQLScenarios(t *testing.T, set, gen []sample.EQLScenario, cfg sample.Config, prefilter bool) []string {
	t.Helper()
	cfg.EQL = gen
	var rules []*rule.Rule
	for _, s := range set {
		rules = append(rules, loadScenarioRule(t, s))
	}
	var problems []string
	for i, got := range huntScenarioData(t, writeSample(t, cfg), rules, prefilter) {
		want := expectedGroups(rules[i], caseEventIDs(set[i], 0))
		if !slices.EqualFunc(got, want, slices.Equal) {
			problems = append(problems, fmt.Sprintf("%s: attack %v alerted as %v", set[i].Name(), want, got))
		}
	}
	return problems
}

// Each near miss misses by the condition it names: with the rule's query
// loosened there (NearMiss.Relax), it alerts — every one of its events,
// as one sequence for a sequence rule.
func TestEQLScenarioNearMissesAreNear(t *testing.T) {
	if _, err := os.Stat(sharedEQLRules); err != nil {
		t.Skip("shared rules absent")
	}
	type relaxed struct {
		s    sample.EQLScenario
		miss int
	}
	var rules []*rule.Rule
	var which []relaxed
	for _, s := range sample.EQLScenarios {
		for m, nm := range s.NearMisses {
			if len(nm.Relax) == 0 {
				continue // a missing stage: no looser query has it
			}
			r := loadScenarioRule(t, s)
			for k := 0; k < len(nm.Relax); k += 2 {
				if !strings.Contains(r.Query, nm.Relax[k]) {
					t.Fatalf("%s near miss %d: the query has no %q to loosen", s.Name(), m+1, nm.Relax[k])
				}
			}
			r.Query = strings.NewReplacer(nm.Relax...).Replace(r.Query)
			rules = append(rules, r)
			which = append(which, relaxed{s, m + 1})
		}
	}
	cfg := sample.DefaultConfig()
	cfg.EQL = sample.EQLScenarios
	for i, got := range huntScenarioData(t, writeSample(t, cfg), rules, true) {
		want := expectedGroups(rules[i], caseEventIDs(which[i].s, which[i].miss))
		for _, w := range want {
			if !slices.ContainsFunc(got, func(g []string) bool { return slices.Equal(g, w) }) {
				t.Errorf("%s near miss %d (%s) loosened: %v not among the alerts %v", which[i].s.Name(), which[i].miss,
					which[i].s.NearMisses[which[i].miss-1].Why, w, got)
			}
		}
	}
}

// huntScenarioData hunts the file with the rules (`vigil hunt`'s EQL path:
// prefilter, projected decoding, EQLHunt) and returns per rule its alerts
// as the event.ids of their events: one group per sequence, or per event
// for an event query.
func huntScenarioData(t *testing.T, path string, rules []*rule.Rule, prefilter bool) [][][]string {
	t.Helper()
	// event.id by _id: a scenario event's id names its case.
	eventIDs := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var d struct {
			Event struct{ ID string } `json:"event"`
		}
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		eventIDs[doc.AutoID(sc.Bytes())] = d.Event.ID
	}
	f.Close()

	cat := &Catalog{}
	var compiled []*EQLRule
	for _, r := range rules {
		er, err := CompileEQL(r, cat)
		if err != nil {
			t.Fatal(err)
		}
		compiled = append(compiled, er)
	}
	h := NewEQLHunt(compiled)
	dec := doc.NewDecoder(cat.DecoderMapping(), doc.DecodeOptions{Dynamic: true, AutoID: true, Fields: h.Fields()})
	if prefilter {
		h.Prefilter(cat.DecoderMapping())
	}
	if _, err := h.Read(&source.Reader{}, []string{path}, dec); err != nil {
		t.Fatal(err)
	}
	var out [][][]string
	for _, rr := range h.Finish(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), "x") {
		groups := map[string][]string{}
		var order []string
		for _, a := range rr.Alerts {
			g, _ := a.Fields["kibana.alert.group.id"].(string)
			if g == a.ID {
				continue // a sequence's shell alert: its building blocks follow it
			}
			if g == "" {
				g = a.ID
			}
			if groups[g] == nil {
				order = append(order, g)
			}
			anc := a.Fields["kibana.alert.ancestors"].([]Ancestor)
			groups[g] = append(groups[g], eventIDs[anc[0].ID])
		}
		var got [][]string
		for _, g := range order {
			got = append(got, groups[g])
		}
		out = append(out, got)
	}
	return out
}

// caseEventIDs are the event.ids of a scenario's case (0: the attack).
func caseEventIDs(s sample.EQLScenario, miss int) []string {
	var ids []string
	for i := range s.Cases()[miss].Events {
		ids = append(ids, sample.EventID(s, miss, i))
	}
	return ids
}

// expectedGroups are the alerts a case's events make, as huntScenarioData
// returns them: one sequence of them all, or one alert per event.
func expectedGroups(r *rule.Rule, ids []string) [][]string {
	if isSequence(r.Query) {
		return [][]string{ids}
	}
	var out [][]string
	for _, id := range ids {
		out = append(out, []string{id})
	}
	return out
}

func isSequence(q string) bool { return strings.HasPrefix(strings.TrimSpace(q), "sequence") }

// The EQL scenario data leaves the seed rule's alerts as they are: its
// events (process events of Python-spawned shells) are all still there,
// and none of the new ones joins them. Only the execution range, the
// input's time span, grows.
func TestEQLScenariosKeepSeedAlerts(t *testing.T) {
	alerts := func(eql []sample.EQLScenario) []string {
		cfg := sample.DefaultConfig()
		cfg.EQL = eql
		out, _, _ := sweepFile(t, seedRules(t), writeSample(t, cfg), 1, true, 0, time.Hour)
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var a map[string]any
			if json.Unmarshal([]byte(l), &a) == nil {
				delete(a, "vigil.execution.range.lte")
				b, _ := json.Marshal(a)
				l = string(b)
			}
			lines = append(lines, l)
		}
		return lines
	}
	plain, withEQL := alerts(nil), alerts(sample.EQLScenarios)
	if len(plain) < 4 || !slices.Equal(plain, withEQL) {
		t.Errorf("seed alerts differ with the EQL scenarios:\n%s\n---\n%s", strings.Join(plain, "\n"), strings.Join(withEQL, "\n"))
	}
}
