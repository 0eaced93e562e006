package main

// `vigil rules import` and `vigil rules export`: Kibana's saved-objects
// export (rules, exception lists and items, summary line) to and from a
// rules folder Vigil runs (one detection-rules TOML per rule, exception
// lists and items in DIR/exceptions/). Exception lines are kept verbatim
// (an entry field with a leading space stays as Kibana stored it; loading
// reports it), after internal/exception has validated them.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"vigil/internal/exception"
	"vigil/internal/rule"
)

// importCounts is what an import or export wrote.
type importCounts struct {
	Rules, Lists, Items, Skipped, Bad int
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// importKibana writes the rules of a Kibana export into dir (rule_id.toml)
// and its exception lists and items into dir/exceptions/<base>.ndjson. Bad
// lines are reported to w as file:line and skipped.
func importKibana(path, dir string, w io.Writer) (importCounts, error) {
	var c importCounts
	data, err := os.ReadFile(path)
	if err != nil {
		return c, inputErr(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "exceptions"), 0o755); err != nil {
		return c, err
	}
	var exc bytes.Buffer
	bad := func(num int, err error) {
		c.Bad++
		fmt.Fprintf(w, "%s:%d: %v\n", path, num, err)
	}
	for i, line := range bytes.Split(data, []byte("\n")) {
		num := i + 1
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		k, err := exception.KindOf(line)
		if err != nil {
			bad(num, err)
			continue
		}
		switch k {
		case exception.KindRule:
			t, err := rule.KibanaToTOML(line)
			if err != nil {
				bad(num, err)
				continue
			}
			var id struct {
				RuleID string `json:"rule_id"`
			}
			json.Unmarshal(line, &id) //nolint:errcheck // KibanaToTOML decoded it
			name := unsafeName.ReplaceAllString(id.RuleID, "_") + ".toml"
			if err := os.WriteFile(filepath.Join(dir, name), t, 0o644); err != nil {
				return c, err
			}
			c.Rules++
		case exception.KindList, exception.KindItem:
			if probs := exception.NewSet().ParseNDJSON(line, path); len(probs) > 0 {
				bad(num, probs[0].Err)
				continue
			}
			exc.Write(line)
			exc.WriteByte('\n')
			if k == exception.KindList {
				c.Lists++
			} else {
				c.Items++
			}
		case exception.KindSummary:
		default:
			c.Skipped++
			fmt.Fprintf(w, "%s:%d: skipped: %s\n", path, num, describeSkipped(k))
		}
	}
	if exc.Len() > 0 {
		base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		if err := os.WriteFile(filepath.Join(dir, "exceptions", base+".ndjson"), exc.Bytes(), 0o644); err != nil {
			return c, err
		}
	}
	return c, nil
}

func describeSkipped(kind string) string {
	if kind == exception.KindAction {
		return "action connector (Vigil runs no actions)"
	}
	return "neither a rule, an exception list or item, nor the summary"
}

// importTOML copies detection-rules TOML files (a file or folder) into dir,
// skipping (and reporting) files that are not valid rules.
func importTOML(path, dir string, w io.Writer) (importCounts, error) {
	var c importCounts
	files, err := rule.Files(path)
	if err != nil {
		return c, inputErr(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return c, err
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err == nil {
			_, err = rule.Parse(data, f)
		}
		if err != nil {
			c.Bad++
			reportInvalid(w, err)
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
			return c, err
		}
		c.Rules++
	}
	return c, nil
}

// kibanaSummary is the export's last line, keys in Kibana's order.
type kibanaSummary struct {
	ExportedCount                  int   `json:"exported_count"`
	ExportedRulesCount             int   `json:"exported_rules_count"`
	MissingRules                   []any `json:"missing_rules"`
	MissingRulesCount              int   `json:"missing_rules_count"`
	ExportedExceptionListCount     int   `json:"exported_exception_list_count"`
	ExportedExceptionListItemCount int   `json:"exported_exception_list_item_count"`
	MissingExceptionListItemCount  int   `json:"missing_exception_list_item_count"`
	MissingExceptionListItems      []any `json:"missing_exception_list_items"`
	MissingExceptionLists          []any `json:"missing_exception_lists"`
	MissingExceptionListsCount     int   `json:"missing_exception_lists_count"`
	ExportedActionConnectorCount   int   `json:"exported_action_connector_count"`
	MissingActionConnectionCount   int   `json:"missing_action_connection_count"`
	MissingActionConnections       []any `json:"missing_action_connections"`
	ExcludedActionConnectionCount  int   `json:"excluded_action_connection_count"`
	ExcludedActionConnections      []any `json:"excluded_action_connections"`
}

// exportKibana writes the rules of rulesDir and the exception lists and
// items under excPath (a file or folder of ndjson) as a Kibana export.
func exportKibana(out, w io.Writer, rulesDir, excPath string) (importCounts, error) {
	var c importCounts
	bw := bufio.NewWriter(out)
	files, err := rule.Files(rulesDir)
	if err != nil {
		return c, inputErr(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		var obj map[string]any
		if err == nil {
			obj, err = rule.TOMLToKibana(data)
		}
		var line []byte
		if err == nil {
			line, err = json.Marshal(obj)
		}
		if err != nil {
			c.Bad++
			fmt.Fprintf(w, "%s: %v\n", f, err)
			continue
		}
		bw.Write(line)
		bw.WriteByte('\n')
		c.Rules++
	}
	if excPath != "" {
		if err := exportExceptions(bw, w, excPath, &c); err != nil {
			return c, err
		}
	}
	empty := []any{}
	sum, _ := json.Marshal(kibanaSummary{
		ExportedCount: c.Rules + c.Lists + c.Items, ExportedRulesCount: c.Rules,
		ExportedExceptionListCount: c.Lists, ExportedExceptionListItemCount: c.Items,
		MissingRules: empty, MissingExceptionListItems: empty, MissingExceptionLists: empty,
		MissingActionConnections: empty, ExcludedActionConnections: empty,
	})
	bw.Write(sum)
	bw.WriteByte('\n')
	return c, bw.Flush()
}

// exportExceptions copies the valid list and item lines of the ndjson
// files at path, lists first as Kibana writes them.
func exportExceptions(bw *bufio.Writer, w io.Writer, path string, c *importCounts) error {
	files := []string{path}
	if st, err := os.Stat(path); err != nil {
		return inputErr(err)
	} else if st.IsDir() {
		files, _ = filepath.Glob(filepath.Join(path, "*.ndjson"))
	}
	var lists, items bytes.Buffer
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return inputErr(err)
		}
		for i, line := range bytes.Split(data, []byte("\n")) {
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			k, err := exception.KindOf(line)
			if err != nil {
				c.Bad++
				fmt.Fprintf(w, "%s:%d: %v\n", f, i+1, err)
				continue
			}
			if k != exception.KindList && k != exception.KindItem {
				continue // rules and summaries of a whole export
			}
			if probs := exception.NewSet().ParseNDJSON(line, f); len(probs) > 0 {
				c.Bad++
				fmt.Fprintf(w, "%s:%d: %v\n", f, i+1, probs[0].Err)
				continue
			}
			buf := &items
			if k == exception.KindList {
				buf, c.Lists = &lists, c.Lists+1
			} else {
				c.Items++
			}
			buf.Write(line)
			buf.WriteByte('\n')
		}
	}
	bw.Write(lists.Bytes())
	bw.Write(items.Bytes())
	return nil
}

func newImportCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "import FILE.ndjson|DIR|FILE.toml --out DIR",
		Short: "Import a Kibana rules export (rules, exception lists) or detection-rules TOML into a rules folder",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return usageErr(fmt.Errorf("--out DIR is required"))
			}
			var c importCounts
			var err error
			if strings.HasSuffix(args[0], ".ndjson") || strings.HasSuffix(args[0], ".json") {
				c, err = importKibana(args[0], dir, cmd.ErrOrStderr())
			} else {
				c, err = importTOML(args[0], dir, cmd.ErrOrStderr())
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "imported %d rules, %d exception lists, %d exception items into %s (%d lines skipped, %d bad)\n",
				c.Rules, c.Lists, c.Items, dir, c.Skipped, c.Bad)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "out", "", "rules folder to write (created if missing)")
	return cmd
}

func newExportCmd() *cobra.Command {
	var rulesDir, excPath string
	cmd := &cobra.Command{
		Use:   "export [--rules DIR] [--exceptions PATH] > out.ndjson",
		Short: "Write a rules folder (and its exception lists) as Kibana-importable ndjson",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if excPath == "" {
				if st, err := os.Stat(filepath.Join(rulesDir, "exceptions")); err == nil && st.IsDir() {
					excPath = filepath.Join(rulesDir, "exceptions")
				}
			}
			c, err := exportKibana(cmd.OutOrStdout(), cmd.ErrOrStderr(), rulesDir, excPath)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "exported %d rules, %d exception lists, %d exception items (%d bad)\n", c.Rules, c.Lists, c.Items, c.Bad)
			return nil
		},
	}
	cmd.Flags().StringVar(&rulesDir, "rules", "rules", "rules folder to export")
	cmd.Flags().StringVar(&excPath, "exceptions", "", "exception ndjson file or folder (default: DIR/exceptions)")
	return cmd
}
