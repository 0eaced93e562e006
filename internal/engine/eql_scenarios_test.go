package engine

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
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
		if isSequence(loadScenarioRule(t, s).Query) {
			sequences++
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
	path := writeSample(t, cfg)
	// event.id by _id: the scenario events' ids say which case they are.
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
	var rules []*EQLRule
	for _, s := range set {
		r, err := CompileEQL(loadScenarioRule(t, s), cat)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, r)
	}
	h := NewEQLHunt(rules)
	dec := doc.NewDecoder(cat.DecoderMapping(), doc.DecodeOptions{Dynamic: true, AutoID: true, Fields: h.Fields()})
	if prefilter {
		h.Prefilter(cat.DecoderMapping())
	}
	if _, err := h.Read(&source.Reader{}, []string{path}, dec); err != nil {
		t.Fatal(err)
	}
	var problems []string
	for i, rr := range h.Finish(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), "x") {
		s := set[i]
		var got []string // event.id of each alerted event, in alert order
		shells := 0
		for _, a := range rr.Alerts {
			anc := a.Fields["kibana.alert.ancestors"].([]Ancestor)
			if a.Fields["kibana.alert.group.id"] == a.ID {
				shells++
				continue
			}
			got = append(got, eventIDs[anc[0].ID])
		}
		var want []string
		for j := range s.Attack.Events {
			want = append(want, sample.EventID(s, 0, j))
		}
		wantShells := 0
		if isSequence(rr.Rule.Query) {
			wantShells = 1
		}
		if !slices.Equal(got, want) || shells != wantShells {
			problems = append(problems, s.Name()+": attack "+strings.Join(want, ",")+" alerted as ["+strings.Join(got, ",")+"] in "+itoa(int64(shells))+" sequences")
		}
	}
	return problems
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
