package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

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

// load returns the selected rules and reports skipped (unsupported) ones to w.
func (f *ruleFlags) load(w io.Writer) ([]*rule.Rule, error) {
	var rules []*rule.Rule
	if len(f.paths) == 0 {
		rules = rule.Builtin()
	} else {
		res, err := rule.Load(f.paths...)
		if err != nil {
			return nil, usageErr(err)
		}
		for _, s := range res.Skipped {
			fmt.Fprintln(w, "skipped:", s)
		}
		rules = res.Rules
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

func newRulesCmd() *cobra.Command {
	var rf ruleFlags
	cmd := &cobra.Command{Use: "rules", Short: "List and show detection rules"}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the loaded rules",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rules, err := rf.load(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RULE_ID\tNAME\tSEVERITY\tRISK\tINTERVAL\tFROM")
			for _, r := range rules {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", r.RuleID, r.Name, r.Severity, r.RiskScore, r.Interval, r.From)
			}
			return tw.Flush()
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
