package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// ruleFlags are the rule-selection flags shared by hunt and rules.
type ruleFlags struct {
	paths []string
	pick  []string
}

func (f *ruleFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.paths, "rules", nil, "rule file or directory of *.toml rules (repeatable); default: the built-in rules")
	cmd.Flags().StringArrayVar(&f.pick, "rule", nil, "run only this rule: rule_id, name or path (repeatable)")
}

// load returns the selected rules. Files that are not valid rules and rules
// of unsupported types are reported to w and skipped; it is an error when
// no rule is left.
func (f *ruleFlags) load(w io.Writer) ([]*rule.Rule, error) {
	var rules []*rule.Rule
	if len(f.paths) == 0 {
		rules = rule.Builtin()
	} else {
		res, err := rule.Load(f.paths...)
		if err != nil {
			return nil, usageErr(err)
		}
		for _, err := range res.Invalid {
			reportInvalid(w, err)
		}
		for _, s := range res.Skipped {
			fmt.Fprintln(w, "skipped:", s)
		}
		rules = res.Rules
		if len(rules) == 0 {
			return nil, usageErr(fmt.Errorf("no runnable rule in %s (%d invalid, %d of unsupported types)",
				strings.Join(f.paths, ", "), len(res.Invalid), len(res.Skipped)))
		}
	}
	if len(f.pick) == 0 {
		return rules, nil
	}
	var out []*rule.Rule
	for _, key := range f.pick {
		got := rule.Select(rules, key)
		if len(got) == 0 {
			return nil, usageErr(fmt.Errorf("no loaded rule matches %q", key))
		}
		out = append(out, got...)
	}
	return out, nil
}

// listStatus is `rules list`'s verdict: ok, or why the rule cannot run
// (its first problem; `rules validate` lists them all).
func listStatus(v verdict) string {
	if len(v.Problems) == 0 {
		if v.CannotRun != nil {
			return esql.NoInferenceMsg
		}
		return "ok"
	}
	msg := v.Problems[0].Error()
	var re *rule.Error
	if errors.As(v.Problems[0], &re) {
		msg = re.Msg
	}
	if n := len(v.Problems) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more: see rules validate)", n)
	}
	return "cannot run: " + msg
}

// reportInvalid writes every problem of a rule that is skipped.
func reportInvalid(w io.Writer, err error) {
	for i, p := range problemList(err) {
		if i == 0 {
			fmt.Fprintln(w, "invalid rule skipped:", p)
		} else {
			fmt.Fprintln(w, "  "+p.Error())
		}
	}
}

// problemList flattens joined errors (errors.Join) into their problems.
func problemList(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, problemList(e)...)
		}
		return out
	}
	return []error{err}
}

func newRulesCmd() *cobra.Command {
	var rf ruleFlags
	cmd := &cobra.Command{Use: "rules", Short: "List, show and validate detection rules"}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the loaded rules",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			vs, err := checkRules(rf.paths, rf.pick, &engine.Catalog{}, esql.Options{NoSuggestions: true})
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RULE_ID\tNAME\tTYPE\tSEVERITY\tRISK\tINTERVAL\tFROM\tSTATUS")
			compiled := 0
			for _, v := range vs {
				r := v.Rule
				if r == nil {
					r = &rule.Rule{RuleID: "-", Name: v.Path, Type: "-"}
				}
				status := listStatus(v)
				if status == "ok" {
					compiled++
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.RuleID, r.Name, r.Type, r.Severity, r.RiskScore, r.Interval, r.From, status)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%d compiled, %d failed\n", compiled, len(vs)-compiled)
			return err
		},
	}
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a rule: metadata, query and investigation guide",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rules, err := rf.load(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			got := rule.Select(rules, args[0])
			if len(got) == 0 {
				return usageErr(fmt.Errorf("no loaded rule matches %q", args[0]))
			}
			for _, r := range got {
				showRule(cmd.OutOrStdout(), r, isTerminal(cmd.OutOrStdout()))
			}
			return nil
		},
	}
	for _, c := range []*cobra.Command{list, show} {
		rf.register(c)
		cmd.AddCommand(c)
	}
	cmd.AddCommand(newValidateCmd(), newImportCmd(), newExportCmd())
	return cmd
}

func showRule(w io.Writer, r *rule.Rule, terminal bool) {
	fmt.Fprintf(w, "%s\n%s\n\n", r.Name, strings.Repeat("=", len(r.Name)))
	fmt.Fprintf(w, "rule_id:      %s\nversion:      %d\ntype:         %s\nseverity:     %s (risk score %d)\n", r.RuleID, r.Version, r.Type, r.Severity, r.RiskScore)
	fmt.Fprintf(w, "schedule:     every %s, looking back to %s, at most %d alerts per run\n", r.Interval, r.From, r.MaxSignals)
	fmt.Fprintf(w, "tags:         %s\nauthor:       %s\nlicense:      %s\nsource:       %s\n", strings.Join(r.Tags, ", "), strings.Join(r.Author, ", "), r.License, r.Path)
	for _, t := range r.Threat {
		fmt.Fprintf(w, "threat:       %s %s %s", t.Framework, t.Tactic.ID, t.Tactic.Name)
		for _, tq := range t.Technique {
			fmt.Fprintf(w, " / %s %s", tq.ID, tq.Name)
			for _, st := range tq.Subtechnique {
				fmt.Fprintf(w, " / %s %s", st.ID, st.Name)
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\nDescription\n-----------\n%s\n\nQuery\n-----\n%s\n", r.Description, strings.TrimSpace(r.Query))
	if r.Note != "" {
		note := strings.TrimSpace(r.Note)
		if terminal {
			note = renderMarkdown(note)
		}
		fmt.Fprintf(w, "\nInvestigation guide\n-------------------\n%s\n", note)
	}
}
