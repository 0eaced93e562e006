package ruletest

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"time"

	"vigil/internal/engine"
	"vigil/internal/exception"
	"vigil/internal/rule"
)

// testList is the list_id given to inline exception items without one.
const testList = "vigil-test"

// loadExceptions reads a test's (or the file's) exceptions: inline Kibana
// exception items (TOML tables or JSON object strings, item_id, list_id and
// type defaulted), Kibana export ndjson files and the value lists `list`
// entries name (by list id: an array of values, or a file of one value per
// line, read as `hunt --exceptions` reads a folder's .txt files), paths
// relative to the test file's dir. Every item is checked as Kibana's
// schema checks it.
func loadExceptions(fsys fs.FS, dir string, inline []any, files []string, lists map[string]any) (*exception.Set, error) {
	set := exception.NewSet()
	for _, id := range slices.Sorted(maps.Keys(lists)) {
		switch x := lists[id].(type) {
		case string:
			data, err := fs.ReadFile(fsys, path.Join(dir, x))
			if err != nil {
				return nil, fmt.Errorf("value_lists.%s: %v", id, unwrapPath(err))
			}
			set.ParseValueList(id, data)
		case []any:
			vals := []string{}
			for i, v := range x {
				s, ok := v.(string)
				if !ok {
					return nil, fmt.Errorf("value_lists.%s[%d]: want a string, got %T", id, i, v)
				}
				vals = append(vals, s)
			}
			set.ValueLists[id] = vals // as written: no line splitting or trimming
		default:
			return nil, fmt.Errorf("value_lists.%s: want an array of values or a file path, got %T", id, x)
		}
	}
	for i, x := range inline {
		var data []byte
		switch x := x.(type) {
		case string:
			data = []byte(x)
		case map[string]any:
			b, err := json.Marshal(x)
			if err != nil {
				return nil, fmt.Errorf("exceptions[%d]: %v", i, err)
			}
			data = b
		default:
			return nil, fmt.Errorf("exceptions[%d]: want a table or a JSON object string, got %T", i, x)
		}
		it := &exception.Item{ItemID: fmt.Sprintf("exceptions[%d]", i), ListID: testList, Type: "simple"}
		if err := json.Unmarshal(data, it); err != nil {
			return nil, fmt.Errorf("exceptions[%d]: not a Kibana exception item: %v", i, err)
		}
		if err := it.Validate(); err != nil {
			return nil, fmt.Errorf("exceptions[%d]: %v", i, err)
		}
		set.Items[it.ListID] = append(set.Items[it.ListID], it)
	}
	for _, file := range files {
		if file == "" {
			continue
		}
		p := path.Join(dir, file)
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("exceptions_file %s: %v", file, unwrapPath(err))
		}
		// A bad line fails the test file rather than being skipped, as
		// `vigil hunt --exceptions` does: a test must not pass by accident.
		if probs := set.ParseNDJSON(data, file); len(probs) > 0 {
			return nil, fmt.Errorf("exceptions_file: %v", probs[0])
		}
	}
	if set.Len() == 0 {
		return nil, nil
	}
	return set, nil
}

// applyExceptions attaches a test's exceptions to the rule through the
// engine path `vigil hunt --exceptions` uses (CompiledRule.ApplyExceptions):
// the rule references every list the test loaded. Items the rule cannot
// apply (a field it cannot see) and lists not loaded are errors here, where
// hunt only warns: a test must say what it means. orig is the rule as
// loaded; a nil set restores it, removing the previous test's exceptions
// (from the matchers and from the alerts' kibana.alert.rule.exceptions_list).
func applyExceptions(cr *engine.CompiledRule, orig *rule.Rule, set *exception.Set, cat *engine.Catalog, now time.Time) error {
	cr.Rule, cr.Exceptions = orig, nil
	if set == nil {
		return nil
	}
	cr.Rule = referencingAll(orig, set)
	return firstProblem(cr.ApplyExceptions(set, cat, now))
}

// applyEQLExceptions is applyExceptions for an EQL rule
// (EQLRule.ApplyExceptions, the path hunt uses for EQL rules).
func applyEQLExceptions(er *engine.EQLRule, orig *rule.Rule, set *exception.Set, now time.Time) error {
	er.Rule, er.Exceptions = orig, nil
	if set == nil {
		return nil
	}
	er.Rule = referencingAll(orig, set)
	return firstProblem(er.ApplyExceptions(set, now))
}

// referencingAll is a copy of orig (which may be shared, built-in: never
// edit it) whose exceptions_list names every list of set.
func referencingAll(orig *rule.Rule, set *exception.Set) *rule.Rule {
	r := *orig
	r.ExceptionsList = nil
	for _, id := range slices.Sorted(maps.Keys(set.Items)) {
		r.ExceptionsList = append(r.ExceptionsList, map[string]any{
			"id": id, "list_id": id, "type": "detection", "namespace_type": "single"})
	}
	return &r
}

// firstProblem makes an ApplyExceptions problem an error.
func firstProblem(problems []error, err error) error {
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return problems[0]
	}
	return nil
}
