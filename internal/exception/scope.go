package exception

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"vigil/internal/doc"
)

// View is what one rule lets its exceptions name.
type View struct {
	// Source is the mapping of the indices the rule reads: entries on its
	// fields filter source events before the query, as Kibana applies
	// exceptions (a filter on the rule's search).
	Source *doc.Mapping
	// Output are the rule's result columns (an ES|QL query's output, BY
	// keys and Esql.* aggregates included): items naming a column the
	// source does not have filter result rows, after the query.
	Output []string
}

// Applied is a rule's exceptions, split by where they apply.
type Applied struct {
	Source *Matcher // tested on each source event before the query
	Output *Matcher // tested on each result row (alert) after it
	// Rejected are items that cannot apply to the rule (a field it cannot
	// see), each with the reason; they are not applied. Kibana would run
	// them as a filter that matches nothing, so skipping them changes no
	// result, but an analyst should know.
	Rejected []error
	// Expired are items whose expire_time is not after the run's time.
	Expired []*Item
}

// Fields are the source fields the source-stage matcher reads.
func (a *Applied) Fields() []string {
	if a == nil {
		return nil
	}
	return a.Source.Fields()
}

// Resolve returns the items of the lists a rule references, in reference
// order, and an error per reference to a list that is not loaded.
func (s *Set) Resolve(refs []Ref) ([]*Item, []error) {
	var items []*Item
	var errs []error
	for _, r := range refs {
		its, ok := s.Items[r.ListID]
		if !ok {
			if _, isList := s.Lists[r.ListID]; !isList {
				errs = append(errs, fmt.Errorf("exceptions_list %q (type %s): no such list loaded", r.ListID, r.Type))
			}
			continue
		}
		items = append(items, its...)
	}
	return items, errs
}

// Apply splits a rule's items by stage and compiles them. An item applies
// to source events when every field it names is a source field (Kibana's
// semantics), otherwise to result rows when every field is an output
// column, otherwise it is rejected. Items expired at now are left out.
func Apply(items []*Item, v View, lists map[string][]string, now time.Time) (*Applied, error) {
	out := &Applied{}
	cols := map[string]bool{}
	for _, c := range v.Output {
		cols[c] = true
	}
	var src, row []*Item
	for _, it := range items {
		if it.ExpireTime != nil && !it.ExpireTime.After(now) {
			out.Expired = append(out.Expired, it)
			continue
		}
		var srcMissing, colMissing []string
		for _, f := range itemFields(it) {
			if f == osCaselessField {
				continue // an alternative to host.os.type, not required
			}
			if v.Source == nil || !hasSource(v.Source, f) {
				srcMissing = append(srcMissing, f)
			}
			if !cols[f] {
				colMissing = append(colMissing, f)
			}
		}
		switch {
		case len(srcMissing) == 0:
			src = append(src, it)
		case len(colMissing) == 0:
			row = append(row, it)
		default:
			out.Rejected = append(out.Rejected, rejection(it, srcMissing, colMissing))
		}
	}
	var err error
	if out.Source, err = Compile(src, v.Source, lists); err != nil {
		return nil, err
	}
	if out.Output, err = Compile(row, nil, lists); err != nil {
		return nil, err
	}
	return out, nil
}

// hasSource: a mapped field, or an object holding mapped fields (exists
// and nested entries may name one).
func hasSource(m *doc.Mapping, f string) bool {
	if _, ok := m.Lookup(f); ok {
		return true
	}
	_, ok := m.LookupObject(f)
	return ok
}

func rejection(it *Item, srcMissing, colMissing []string) error {
	var notes []string
	for _, f := range srcMissing {
		if strings.TrimSpace(f) != f {
			notes = append(notes, fmt.Sprintf("field %q has leading or trailing whitespace (Kibana does not trim it, so the item matches nothing there either)", f))
		}
	}
	var what string
	if slices.Equal(srcMissing, colMissing) {
		what = fmt.Sprintf("%s is neither a field of the rule's source indices nor a column of its result", quoteList(srcMissing))
	} else {
		what = fmt.Sprintf("%s is not a field of the rule's source indices and %s is not a column of its result", quoteList(srcMissing), quoteList(colMissing))
	}
	msg := fmt.Sprintf("%s not applied: %s (an item may name source fields, filtered before the query as Kibana does, or, when every field it names is one, result columns such as Esql.* and BY keys, filtered on alerts)", itemName(it), what)
	if len(notes) > 0 {
		msg += "; " + strings.Join(notes, "; ")
	}
	return fmt.Errorf("%s", msg)
}

func quoteList(fs []string) string {
	q := make([]string, len(fs))
	for i, f := range fs {
		q[i] = fmt.Sprintf("%q", f)
	}
	return strings.Join(q, ", ")
}

// itemFields are the fields an item names (nested entries' inner fields
// under their path), host.os.type when it has os_types.
func itemFields(it *Item) []string {
	var out []string
	if len(it.OSTypes) > 0 {
		out = append(out, osTypeField)
	}
	for _, e := range it.Entries {
		if e.Type == TypeNested {
			for _, in := range e.Entries {
				out = append(out, e.Field+"."+in.Field)
			}
			continue
		}
		out = append(out, e.Field)
	}
	return out
}
