package exception

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Set is every loaded list, item and value list, keyed by list id.
type Set struct {
	Lists      map[string]*List
	Items      map[string][]*Item // by list_id, in load order
	ValueLists map[string][]string
}

// NewSet returns an empty set.
func NewSet() *Set {
	return &Set{Lists: map[string]*List{}, Items: map[string][]*Item{}, ValueLists: map[string][]string{}}
}

// Problem is one line or file that could not be loaded (and was skipped).
type Problem struct {
	File string
	Line int
	Err  error
}

func (p Problem) Error() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", p.File, p.Line, p.Err)
	}
	return fmt.Sprintf("%s: %v", p.File, p.Err)
}

// Len is the number of items.
func (s *Set) Len() int {
	n := 0
	for _, its := range s.Items {
		n += len(its)
	}
	return n
}

// ParseNDJSON adds the lists and items of a Kibana export (one JSON object
// per line; rules, action connectors and the summary line are ignored, as
// are keys Vigil does not know). A line that is not a valid list or item is
// reported and skipped; the others load.
func (s *Set) ParseNDJSON(data []byte, file string) []Problem {
	var probs []Problem
	for num, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if err := s.parseObject(line, file, num+1); err != nil {
			probs = append(probs, Problem{File: file, Line: num + 1, Err: err})
		}
	}
	return probs
}

// probe holds the keys that say what a line is.
type probe struct {
	Type          string           `json:"type"`
	ListID        *string          `json:"list_id"`
	RuleID        *string          `json:"rule_id"`
	Entries       *json.RawMessage `json:"entries"`
	ExportedCount *json.RawMessage `json:"exported_count"`
}

// What a line of a Kibana export is (KindOf).
const (
	KindRule    = "rule"
	KindSummary = "summary" // the trailing exported_count line
	KindAction  = "action"  // an action connector
	KindItem    = "item"
	KindList    = "list"
)

// KindOf says what one line of a Kibana export is: one of the Kind
// constants, or "" for an object that is none of them.
func KindOf(line []byte) (string, error) {
	var p probe
	if err := json.Unmarshal(line, &p); err != nil {
		return "", fmt.Errorf("not a JSON object: %w", err)
	}
	switch {
	case p.RuleID != nil:
		return KindRule, nil
	case p.ExportedCount != nil:
		return KindSummary, nil
	case p.Type == "action":
		return KindAction, nil
	case p.Entries != nil || p.Type == "simple":
		return KindItem, nil
	case p.ListID != nil:
		return KindList, nil
	}
	return "", nil
}

func (s *Set) parseObject(line []byte, file string, num int) error {
	kind, err := KindOf(line)
	if err != nil {
		return err
	}
	switch kind {
	case KindRule, KindSummary, KindAction:
		return nil // rules, summaries and connectors are not exceptions
	case KindItem:
		var it Item
		if err := json.Unmarshal(line, &it); err != nil {
			return fmt.Errorf("exception item: %w", err)
		}
		if err := it.Validate(); err != nil {
			return fmt.Errorf("exception item %q: %w", it.ItemID, err)
		}
		it.File, it.Line = file, num
		s.Items[it.ListID] = append(s.Items[it.ListID], &it)
	case KindList:
		var l List
		if err := json.Unmarshal(line, &l); err != nil {
			return fmt.Errorf("exception list: %w", err)
		}
		if l.ListID == "" {
			return errors.New("exception list: empty list_id")
		}
		s.Lists[l.ListID] = &l
	default:
		return errors.New("neither an exception list (list_id) nor an item (entries) nor a rule")
	}
	return nil
}

// Validate checks an item as Kibana's schema does: ids, a non-empty entry
// list, and each entry's type, operator and value.
func (it *Item) Validate() error {
	if it.ItemID == "" {
		return errors.New("empty item_id")
	}
	if it.ListID == "" {
		return errors.New("empty list_id")
	}
	if len(it.Entries) == 0 {
		return errors.New("no entries")
	}
	for _, os := range it.OSTypes {
		if os != "windows" && os != "linux" && os != "macos" {
			return fmt.Errorf("os_types: %q is not windows, linux or macos", os)
		}
	}
	for i := range it.Entries {
		if err := it.Entries[i].validate(false); err != nil {
			return fmt.Errorf("entry %d: %w", i+1, err)
		}
	}
	return nil
}

func (e *Entry) validate(inNested bool) error {
	if e.Field == "" {
		return errors.New("empty field")
	}
	if e.Type != TypeNested && e.Operator != Included && e.Operator != Excluded {
		return fmt.Errorf("field %q: operator %q: want included or excluded", e.Field, e.Operator)
	}
	switch e.Type {
	case TypeMatch, TypeWildcard:
		if len(e.Value) != 1 || e.Value[0] == "" {
			return fmt.Errorf("field %q: %s wants one non-empty value", e.Field, e.Type)
		}
	case TypeMatchAny:
		if len(e.Value) == 0 {
			return fmt.Errorf("field %q: match_any wants values", e.Field)
		}
	case TypeExists:
	case TypeList:
		if e.List == nil || e.List.ID == "" {
			return fmt.Errorf("field %q: list entry without list.id", e.Field)
		}
	case TypeNested:
		if inNested {
			return fmt.Errorf("field %q: nested entries cannot nest", e.Field)
		}
		if len(e.Entries) == 0 {
			return fmt.Errorf("field %q: nested entry without entries", e.Field)
		}
		for i := range e.Entries {
			in := &e.Entries[i]
			if in.Type != TypeMatch && in.Type != TypeMatchAny && in.Type != TypeExists {
				return fmt.Errorf("field %q: nested entry %d: type %q (want match, match_any or exists)", e.Field, i+1, in.Type)
			}
			if err := in.validate(true); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("field %q: unknown entry type %q", e.Field, e.Type)
	}
	return nil
}

// ParseValueList adds a value list: one value per line, as Kibana imports
// them (blank lines skipped, values trimmed).
func (s *Set) ParseValueList(id string, data []byte) {
	var vals []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			vals = append(vals, l)
		}
	}
	s.ValueLists[id] = vals
}

// Load reads a file or a folder (recursively). Files ending .ndjson or
// .json hold lists and items, one JSON object per line; files ending .txt
// are value lists named by their base name (`blocked-ips.txt` is the list
// id `blocked-ips`). The problems are every line or file skipped; err is
// for a path that cannot be read at all.
func Load(path string) (*Set, []Problem, error) {
	s := NewSet()
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	var files []string
	if !st.IsDir() {
		files = []string{path}
	} else {
		err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				switch filepath.Ext(p) {
				case ".ndjson", ".json", ".txt":
					files = append(files, p)
				}
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		sort.Strings(files)
	}
	var probs []Problem
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			probs = append(probs, Problem{File: f, Err: err})
			continue
		}
		if filepath.Ext(f) == ".txt" {
			s.ParseValueList(strings.TrimSuffix(filepath.Base(f), ".txt"), data)
			continue
		}
		probs = append(probs, s.ParseNDJSON(data, f)...)
	}
	return s, probs, nil
}
