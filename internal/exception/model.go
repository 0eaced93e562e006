// Package exception owns Kibana's detection-rule exception lists in Vigil:
// the model (lists and items as Kibana exports them, value lists), loading
// them from Kibana's export ndjson, an exceptions/ folder of the same JSON,
// and rule references (exceptions_list), and compiling an item to a document
// matcher with the semantics of Kibana's build_exception_filter (see
// docs/exceptions.md): AND within an item, OR across items, each entry the
// Elasticsearch query Kibana builds for it. It also decides, for one rule,
// which items filter source events (as Kibana applies them) and which filter
// the rule's output rows (Vigil's extension for ES|QL columns such as
// Esql.*), and rejects items naming fields the rule cannot see. It knows
// nothing of rules or engines: callers pass the fields each stage has.
package exception

import (
	"encoding/json"
	"time"
)

// List is an exception list container (`type` detection, rule_default,
// endpoint, …).
type List struct {
	ID            string   `json:"id,omitempty"`
	ListID        string   `json:"list_id"`
	Name          string   `json:"name,omitempty"`
	Description   string   `json:"description,omitempty"`
	Type          string   `json:"type"`
	NamespaceType string   `json:"namespace_type,omitempty"`
	OSTypes       []string `json:"os_types,omitempty"`
	Tags          []string `json:"tags,omitempty"`
}

// Item is an exception list item (`type: simple`).
type Item struct {
	ID            string     `json:"id,omitempty"`
	ItemID        string     `json:"item_id"`
	ListID        string     `json:"list_id"`
	Name          string     `json:"name,omitempty"`
	Description   string     `json:"description,omitempty"`
	Type          string     `json:"type"`
	NamespaceType string     `json:"namespace_type,omitempty"`
	OSTypes       []string   `json:"os_types,omitempty"`
	ExpireTime    *time.Time `json:"expire_time,omitempty"`
	Tags          []string   `json:"tags,omitempty"`
	Comments      []Comment  `json:"comments,omitempty"`
	Entries       []Entry    `json:"entries"`

	// Where it was read from, for messages.
	File string `json:"-"`
	Line int    `json:"-"`
}

// Comment is an item comment.
type Comment struct {
	ID        string `json:"id,omitempty"`
	Comment   string `json:"comment"`
	CreatedAt string `json:"created_at,omitempty"`
	CreatedBy string `json:"created_by,omitempty"`
}

// Entry types and operators (io-ts entriesMatch, entriesMatchAny,
// entriesMatchWildcard, entriesExists, entriesList, entriesNested).
const (
	TypeMatch    = "match"
	TypeMatchAny = "match_any"
	TypeWildcard = "wildcard"
	TypeExists   = "exists"
	TypeList     = "list"
	TypeNested   = "nested"

	Included = "included"
	Excluded = "excluded"
)

// Entry is one condition of an item.
type Entry struct {
	Type     string  `json:"type"`
	Field    string  `json:"field"`
	Operator string  `json:"operator,omitempty"`
	Value    Values  `json:"value,omitempty"`
	List     *ListOf `json:"list,omitempty"`
	Entries  []Entry `json:"entries,omitempty"`
}

// ListOf is a `list` entry's value list reference.
type ListOf struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// Values is an entry's value: one string (match, wildcard) or several
// (match_any); JSON gives either form.
type Values []string

func (v *Values) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = Values{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return err
	}
	*v = ss
	return nil
}

// Ref is a rule's reference to a list (exceptions_list entry).
type Ref struct {
	ID            string
	ListID        string
	NamespaceType string
	Type          string
}

// RefsOf reads a rule's exceptions_list tables (as the rule TOML or a
// Kibana rule object gives them); entries without a list_id are skipped.
func RefsOf(tables []map[string]any) []Ref {
	var out []Ref
	for _, t := range tables {
		s := func(k string) string { v, _ := t[k].(string); return v }
		if s("list_id") == "" {
			continue
		}
		out = append(out, Ref{ID: s("id"), ListID: s("list_id"), NamespaceType: s("namespace_type"), Type: s("type")})
	}
	return out
}
