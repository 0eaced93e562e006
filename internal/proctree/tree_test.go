package proctree

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// ev is a process start event: entity id, parent id, start second, name.
func ev(id, parent string, sec int, name string) Event {
	pid := int64(1000 + sec)
	return Event{EntityID: id, ParentEntityID: parent, Time: int64(sec) * 1000, Name: name, PID: &pid, Host: "h1",
		Executable: "/bin/" + name, Args: []string{name}, CommandLine: name, User: "u", WorkingDir: "/"}
}

func index(evs ...Event) *Index {
	x := NewIndex()
	for _, e := range evs {
		x.Add(e)
	}
	return x
}

// shape renders a tree as "role:id" pairs in order, missing nodes starred.
func shape(t *Tree) string {
	var parts []string
	for _, n := range t.Nodes {
		s := n.Role + ":" + n.EntityID
		if n.Missing {
			s += "*"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestBuild(t *testing.T) {
	withAncestry := func(e Event, a ...string) Event { e.Ancestry = a; return e }
	ended := func(e Event, sec int) Event { e.End, e.Time = true, int64(sec)*1000; return e }
	var wide []Event
	wide = append(wide, ev("P", "", 0, "python"))
	for i := range 10_000 {
		wide = append(wide, ev(fmt.Sprintf("c%05d", i), "P", 1+i, "sh"))
	}
	tests := []struct {
		name      string
		src       *Index
		focus     string
		lim       Limits
		want      string
		truncated bool
	}{
		{name: "roles and order", focus: "P", src: index(
			ev("init", "", 0, "init"), ev("sshd", "init", 1, "sshd"), ev("bash", "sshd", 2, "bash"),
			ev("P", "bash", 3, "python"), ev("sib2", "bash", 9, "vim"), ev("sib1", "bash", 4, "ls"),
			ev("c2", "P", 6, "sh"), ev("c1", "P", 5, "sh"), ev("g1", "c1", 7, "curl"), ev("gg", "g1", 8, "x")),
			want: "ancestor:init ancestor:sshd ancestor:bash focus:P child:c1 child:c2 descendant:g1 descendant:gg sibling:sib1 sibling:sib2"},
		{name: "pid reuse: entity id is identity", focus: "P", src: func() *Index {
			a, b := ev("A", "P", 1, "sh"), ev("B", "P", 2, "curl")
			pid := int64(42)
			a.PID, b.PID = &pid, &pid
			return index(ev("P", "", 0, "python"), a, b)
		}(), want: "focus:P child:A child:B"},
		{name: "missing parent: stop and mark", focus: "P", src: index(
			func() Event { e := ev("P", "gone", 3, "python"); e.Parent.Name = "bash"; return e }(), ev("c1", "P", 4, "sh")),
			want: "ancestor:gone* focus:P child:c1"},
		{name: "missing focus: built from its children", focus: "P", src: index(ev("c1", "P", 4, "sh"), ev("c2", "P", 5, "sh")),
			want: "focus:P* child:c1 child:c2"},
		{name: "ancestry names ancestors that have no events", focus: "P", src: index(
			withAncestry(ev("P", "b", 3, "python"), "b", "a"), ev("a", "", 1, "init")),
			want: "ancestor:a ancestor:b* focus:P"},
		{name: "ancestry of the children when the focus has no events", focus: "P", src: index(
			withAncestry(ev("c1", "P", 4, "sh"), "P", "bash"), ev("bash", "", 1, "bash")),
			want: "ancestor:bash focus:P* child:c1"},
		{name: "cycle in the parent links", focus: "A", src: index(ev("A", "B", 1, "a"), ev("B", "C", 2, "b"), ev("C", "A", 3, "c")),
			want: "ancestor:C ancestor:B focus:A", truncated: true},
		{name: "process its own parent", focus: "A", src: index(ev("A", "A", 1, "a"), ev("c", "A", 2, "c")),
			want: "focus:A child:c", truncated: true},
		{name: "descendant cycle", focus: "A", src: index(ev("A", "", 1, "a"), ev("B", "A", 2, "b"), ev("C", "B", 3, "c"),
			Event{EntityID: "B", ParentEntityID: "C", Time: 4000, Name: "b"}),
			want: "focus:A child:B descendant:C"},
		{name: "10,000 children bounded", focus: "P", src: index(wide...), lim: Limits{Children: 3, Depth: 1},
			want: "focus:P child:c00000 child:c00001 child:c00002", truncated: true},
		{name: "node limit", focus: "P", src: index(ev("P", "", 0, "p"), ev("a", "P", 1, "a"), ev("b", "P", 2, "b"), ev("c", "a", 3, "c")),
			lim: Limits{Nodes: 2}, want: "focus:P child:a", truncated: true},
		{name: "depth limit", focus: "P", src: index(ev("P", "", 0, "p"), ev("a", "P", 1, "a"), ev("b", "a", 2, "b")),
			lim: Limits{Depth: 1}, want: "focus:P child:a"},
		{name: "ancestor limit", focus: "d", src: index(ev("a", "", 0, "a"), ev("b", "a", 1, "b"), ev("c", "b", 2, "c"), ev("d", "c", 3, "d")),
			lim: Limits{Ancestors: 2}, want: "ancestor:b ancestor:c focus:d", truncated: true},
		{name: "unknown focus", focus: "nope", src: index(), want: "focus:nope*"},
		{name: "ended process", focus: "P", src: index(ev("P", "", 0, "p"), ended(ev("P", "", 0, "p"), 9)), want: "focus:P"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan struct{})
			var tr *Tree
			var err error
			go func() { tr, err = Build(tc.src, tc.focus, tc.lim); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Build did not return")
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := shape(tr); got != tc.want {
				t.Errorf("tree\n got %s\nwant %s", got, tc.want)
			}
			if tr.Truncated != tc.truncated {
				t.Errorf("truncated = %v, want %v", tr.Truncated, tc.truncated)
			}
		})
	}
}

func TestNodeFields(t *testing.T) {
	fork := ev("P", "bash", 1, "python")
	exec := ev("P", "bash", 2, "sh")
	exec.Args = []string{"sh", "-c", "id"}
	end := ev("P", "bash", 5, "sh")
	end.End = true
	x := index(end, exec, fork, Event{EntityID: "c", ParentEntityID: "gone", Time: 1, Parent: ParentInfo{Name: "cron", Executable: "/usr/sbin/cron"}})
	tr, err := Build(x, "P", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	n := tr.Nodes[len(tr.Nodes)-1]
	if n.Role != RoleFocus || n.Name != "sh" || strings.Join(n.Args, " ") != "sh -c id" || *n.Start != "1970-01-01T00:00:01.000Z" ||
		n.End == nil || *n.End != "1970-01-01T00:00:05.000Z" || *n.ParentEntityID != "bash" || *n.PID != 1002 {
		t.Errorf("focus node = %+v", n)
	}
	m, _, err := Describe(x, "gone", Limits{})
	if err != nil || m == nil || !m.Missing || m.Name != "cron" || m.Executable != "/usr/sbin/cron" {
		t.Errorf("Describe(missing) = %+v, %v", m, err)
	}
	if m, _, _ := Describe(x, "nothing", Limits{}); m != nil {
		t.Errorf("Describe(unknown) = %+v, want nil", m)
	}
}

// endless is a hostile Source: every process has fresh children, forever.
type endless struct{ calls int }

func (e *endless) Process(id string, limit int) ([]Event, error) {
	return []Event{{EntityID: id, ParentEntityID: id + "^"}}, nil
}

func (e *endless) Children(id string, limit int) ([]Event, error) {
	e.calls++
	var out []Event
	for i := range min(limit, 50) {
		out = append(out, Event{EntityID: fmt.Sprintf("%s/%d", id, i), ParentEntityID: id})
	}
	return out, nil
}

func TestBuildBoundedOnEndlessData(t *testing.T) {
	src := &endless{}
	tr, err := Build(src, "x", Limits{Nodes: 300, Ancestors: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Nodes) > 300 || !tr.Truncated || src.calls > 400 {
		t.Errorf("%d nodes, truncated %v, %d queries", len(tr.Nodes), tr.Truncated, src.calls)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, src string
		ok        bool
		check     func(Event) bool
	}{
		{"nested", `{"@timestamp":"2026-11-20T09:00:03.748Z","event":{"category":["process"],"type":["start"]},"host":{"id":"h","name":"n"},
			"process":{"entity_id":"E","pid":7,"name":"sh","args":["sh","-c","id"],"Ext":{"ancestry":["P","G"]},"parent":{"entity_id":"P","name":"python3","pid":6}}}`, true,
			func(e Event) bool {
				return e.EntityID == "E" && e.ParentEntityID == "P" && e.Host == "h" && *e.PID == 7 && e.Time == 1795165203748 &&
					len(e.Ancestry) == 2 && e.Parent.Name == "python3" && *e.Parent.PID == 6 && len(e.Args) == 3
			}},
		{"dotted", `{"event.category":"process","event.type":"end","process.entity_id":"E","host.name":"n","process.parent":{"entity_id":"P"}}`, true,
			func(e Event) bool { return e.End && e.Host == "n" && e.ParentEntityID == "P" }},
		{"dataset only", `{"data_stream":{"dataset":"endpoint.events.process"},"process":{"entity_id":"E"}}`, true, nil},
		{"network event", `{"event":{"category":["network"]},"process":{"entity_id":"E"}}`, false, nil},
		{"no entity id", `{"event":{"category":["process"]},"process":{"pid":1}}`, false, nil},
		{"not JSON", `{"event":`, false, nil},
		{"huge ancestry", `{"event":{"category":"process"},"process":{"entity_id":"E","Ext":{"ancestry":[` + strings.Repeat(`"a",`, 999) + `"a"]}}}`, true,
			func(e Event) bool { return len(e.Ancestry) == maxAncestry }},
		{"wrong types", `{"event":{"category":"process"},"process":{"entity_id":"E","pid":"x","args":7,"Ext":{"ancestry":{}}},"@timestamp":true}`, true,
			func(e Event) bool { return e.PID == nil && e.Args == nil && e.Time == 0 }},
	}
	for _, tc := range tests {
		e, ok := Parse([]byte(tc.src))
		if ok != tc.ok || ok && tc.check != nil && !tc.check(e) {
			t.Errorf("%s: Parse = %+v, %v", tc.name, e, ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"event":{"category":["process"]},"process":{"entity_id":"E","parent":{"entity_id":"P"}}}`))
	f.Add([]byte(`{"process.entity_id":"E","event.dataset":"endpoint.events.process","process.Ext.ancestry":["a","b"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, ok := Parse(b)
		if ok && e.EntityID == "" {
			t.Fatal("ok without an entity id")
		}
	})
}
