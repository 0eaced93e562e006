package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
)

func TestProcessEvents(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pe := func(id string, time int64, host, entity, parent string) ProcessEvent {
		return ProcessEvent{DocID: id, Index: "i", Time: time, Host: host, EntityID: entity, ParentEntityID: parent, Source: []byte(`{"id":"` + id + `"}`)}
	}
	evs := []ProcessEvent{pe("a", 30, "h1", "A", "P"), pe("b", 10, "h1", "B", "P"), pe("c", 20, "h1", "A", "P"), pe("d", 5, "h2", "P", "")}
	if err := st.PutProcesses(evs); err != nil {
		t.Fatal(err)
	}
	// The same documents again (a resend, a spool replay) are stored once.
	if err := st.PutProcesses(evs[:2]); err != nil {
		t.Fatal(err)
	}
	ids := func(evs []ProcessEvent, err error) string {
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, e := range evs {
			s += e.DocID
		}
		return s
	}
	for _, tc := range []struct {
		name, got, want string
	}{
		{"process", ids(st.ProcessEvents("A", 10)), "ca"},
		{"process limit", ids(st.ProcessEvents("A", 1)), "c"},
		{"children", ids(st.ChildEvents("P", 10)), "bca"},
		{"no parent", ids(st.ChildEvents("", 10)), ""},
		{"host range", ids(st.HostEvents("h1", 10, 20, 10)), "bc"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}

	if _, err := st.Evidence("x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("no evidence: %v", err)
	}
	set := EvidenceSet{AlertID: "x", Total: 3, Truncated: true, Focus: "P", Host: "h1", Time: 7, Stored: 100,
		Events: []EvidenceEvent{{DocID: "c", Time: 20, EntityID: "A", Source: []byte(`{}`)}, {DocID: "b", Time: 10, EntityID: "B", Source: []byte(`{}`)}}}
	if err := st.PutEvidence(set); err != nil {
		t.Fatal(err)
	}
	set.Events = set.Events[:1] // an update replaces the set
	if err := st.PutEvidence(set); err != nil {
		t.Fatal(err)
	}
	got, err := st.Evidence("x")
	if err != nil || len(got.Events) != 1 || got.Events[0].DocID != "c" || !got.Truncated || got.Total != 3 || got.Focus != "P" {
		t.Errorf("evidence: %+v %v", got, err)
	}
	if err := st.PutEvidence(EvidenceSet{AlertID: "y", Focus: "A", Stored: 200}); err != nil {
		t.Fatal(err)
	}
	inv, err := st.AlertsOfProcesses([]string{"A", "B", "P", "Q"})
	if want := map[string][]string{"A": {"x", "y"}, "P": {"x"}}; err != nil || !reflect.DeepEqual(inv, want) {
		t.Errorf("alerts of processes: %v %v", inv, err)
	}
	many := make([]string, 1200) // more ids than one statement binds
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	many[1100] = "A"
	if inv, err := st.AlertsOfProcesses(many); err != nil || len(inv["A"]) != 2 {
		t.Errorf("1,200 ids: %v %v", inv, err)
	}

	// Prune: events before 20, evidence stored before 150, in batches.
	n, err := st.PruneInvestigation(20, 150, 1)
	if err != nil || n != 3 { // one event, x's one evidence row, one set
		t.Errorf("first prune batch: %d %v", n, err)
	}
	for {
		n, err := st.PruneInvestigation(20, 150, 1)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	if got := ids(st.HostEvents("h1", 0, 100, 10)) + ids(st.HostEvents("h2", 0, 100, 10)); got != "ca" {
		t.Errorf("after prune: %q", got)
	}
	if _, err := st.Evidence("x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("x's evidence not pruned: %v", err)
	}
	if _, err := st.Evidence("y"); err != nil {
		t.Errorf("y's evidence pruned: %v", err)
	}
}
