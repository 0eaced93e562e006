package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// verdict is what checking one rule file found.
type verdict struct {
	Path     string
	Rule     *rule.Rule // nil when the file is not TOML
	Problems []error    // file and query problems, in file order; none: the rule is valid
	// CannotRun is why a valid rule cannot run in Vigil (COMPLETION: no
	// LLM inference endpoint), nil when it can.
	CannotRun error
	Warnings  []*rule.Error
}

// checkRules checks every rule file paths name (the built-in rules when
// none) against the catalog's mappings, independent of any input: the
// file's schema and values, then its query (syntax, fields, types, feature
// gates), every problem of each. pick selects rules as --rule does.
func checkRules(paths, pick []string, cat *engine.Catalog, opts esql.Options) ([]verdict, error) {
	var vs []verdict
	if len(paths) == 0 {
		for _, r := range rule.Builtin() {
			vs = append(vs, verdict{Path: r.Path, Rule: r})
		}
	} else {
		files, err := rule.Files(paths...)
		if err != nil {
			return nil, usageErr(err)
		}
		for _, f := range files {
			r, err := rule.LoadFile(f)
			v := verdict{Path: f, Rule: r, Problems: problemList(err)}
			if r != nil {
				v.Warnings = r.Warnings
			}
			vs = append(vs, v)
		}
	}
	if len(pick) > 0 {
		var kept []verdict
		for _, key := range pick {
			n := 0
			for _, v := range vs {
				if v.Rule != nil && len(rule.Select([]*rule.Rule{v.Rule}, key)) > 0 {
					kept, n = append(kept, v), n+1
				}
			}
			if n == 0 {
				return nil, usageErr(fmt.Errorf("no rule matches %q", key))
			}
		}
		vs = kept
	}
	for i := range vs {
		v := &vs[i]
		// A query is worth compiling even when the file has other problems:
		// the user gets every problem in one pass.
		if v.Rule == nil || strings.TrimSpace(v.Rule.Query) == "" {
			continue
		}
		if v.Rule.Type == "eql" && len(v.Problems) == 0 {
			if _, err := engine.CompileEQL(v.Rule, cat); err != nil {
				v.Problems = append(v.Problems, problemList(err)...)
			}
			continue
		}
		if v.Rule.Type != "esql" {
			continue
		}
		cr, err := engine.Compile(v.Rule, cat, opts)
		if err != nil {
			v.Problems = append(v.Problems, problemList(err)...)
		} else if len(v.Problems) == 0 {
			v.CannotRun = cr.CannotRun()
		}
	}
	return vs, nil
}

func newValidateCmd() *cobra.Command {
	var format string
	var pick, mappings []string
	cmd := &cobra.Command{
		Use:   "validate [PATH...]",
		Short: "Check rules against the mappings, without input: schema, query, fields, types",
		Long: `Checks every rule file (PATH: a file or a directory searched for *.toml;
default: the built-in rules) without reading any input: the detection-rules
TOML schema (keys and types; unknown keys are warnings), required values, the
query's syntax, its fields against the built-in mappings (and --mapping), types and
unsupported features. Every problem of every rule is reported as
file:line:col; the last line counts valid and invalid rules. The exit status
is 2 when any rule is invalid.`,
		Example: `  vigil rules validate rules/
  vigil rules validate --format json rules/ > report.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usageErr(fmt.Errorf("--format %q: want text or json", format))
			}
			user, err := loadMapping(mappings)
			if err != nil {
				return err
			}
			vs, err := checkRules(args, pick, &engine.Catalog{User: user}, esql.Options{})
			if err != nil {
				return err
			}
			valid, cannotRun := 0, 0
			for _, v := range vs {
				if len(v.Problems) == 0 {
					valid++
				}
				if v.CannotRun != nil {
					cannotRun++
				}
			}
			invalid := len(vs) - valid
			out, summary := cmd.OutOrStdout(), cmd.OutOrStdout()
			if format == "json" {
				summary = cmd.ErrOrStderr()
				if err := writeVerdictsJSON(out, vs, valid, invalid); err != nil {
					return err
				}
			} else {
				writeVerdicts(out, vs)
			}
			fmt.Fprintf(summary, "%d valid, %d invalid", valid, invalid)
			if cannotRun > 0 {
				fmt.Fprintf(summary, " (%d of the valid cannot run: COMPLETION needs an LLM inference endpoint)", cannotRun)
			}
			fmt.Fprintln(summary)
			if invalid > 0 {
				return usageErr(fmt.Errorf("%d invalid rule(s)", invalid))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text, or json (one document, for CI)")
	cmd.Flags().StringArrayVar(&pick, "rule", nil, "check only this rule: rule_id, name or path (repeatable)")
	cmd.Flags().StringArrayVar(&mappings, "mapping", nil, mappingFlagHelp)
	return cmd
}

func writeVerdicts(w io.Writer, vs []verdict) {
	for _, v := range vs {
		for _, p := range v.Problems {
			fmt.Fprintln(w, p)
		}
		if v.CannotRun != nil {
			fmt.Fprintln(w, v.CannotRun)
		}
		for _, wn := range v.Warnings {
			fmt.Fprintf(w, "%s (warning)\n", wn)
		}
	}
}

// jsonProblem is one problem in `rules validate --format json`.
type jsonProblem struct {
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

func toJSONProblem(err error) jsonProblem {
	var re *rule.Error
	if errors.As(err, &re) {
		return jsonProblem{Line: re.Line, Column: re.Col, Message: re.Msg}
	}
	return jsonProblem{Message: err.Error()}
}

func writeVerdictsJSON(w io.Writer, vs []verdict, valid, invalid int) error {
	type jsonRule struct {
		Path   string `json:"path"`
		RuleID string `json:"rule_id,omitempty"`
		Name   string `json:"name,omitempty"`
		Valid  bool   `json:"valid"`
		// CannotRun is why a valid rule cannot run in Vigil.
		CannotRun *jsonProblem  `json:"cannot_run,omitempty"`
		Problems  []jsonProblem `json:"problems"`
		Warnings  []jsonProblem `json:"warnings"`
	}
	doc := struct {
		Rules   []jsonRule `json:"rules"`
		Valid   int        `json:"valid"`
		Invalid int        `json:"invalid"`
	}{Rules: []jsonRule{}, Valid: valid, Invalid: invalid}
	for _, v := range vs {
		jr := jsonRule{Path: v.Path, Valid: len(v.Problems) == 0, Problems: []jsonProblem{}, Warnings: []jsonProblem{}}
		if v.Rule != nil {
			jr.RuleID, jr.Name = v.Rule.RuleID, v.Rule.Name
		}
		for _, p := range v.Problems {
			jr.Problems = append(jr.Problems, toJSONProblem(p))
		}
		if v.CannotRun != nil {
			p := toJSONProblem(v.CannotRun)
			jr.CannotRun = &p
		}
		for _, wn := range v.Warnings {
			jr.Warnings = append(jr.Warnings, toJSONProblem(wn))
		}
		doc.Rules = append(doc.Rules, jr)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
