package eql

import (
	"testing"

	"vigil/internal/prefilter"
)

// TestEventConditionSound checks the prefilter contract on every event
// query of the construct table and on sequences: a line whose event the
// query keeps (or a sequence stage or until matches) passes the filter.
func TestEventConditionSound(t *testing.T) {
	m := mustMapping(t)
	docs, lines := testDocLines(t, m, testEvents)
	queries := []string{
		`sequence by process.pid [process where process.name == "bash"] [network where user.name : "ROOT"] until [file where startsWith(process.name, "C:")]`,
		`sequence [any where process.name in ("curl", "x")] [any where endsWith~(process.name, ".EXE")]`,
		`sequence by process.pid with maxspan=1h [process where process.name == "bash"] ![file where true] [network where true]`,
	}
	for _, tc := range eventCases {
		queries = append(queries, tc.q)
	}
	restricting := 0
	for _, src := range queries {
		q, err := Compile(src, m, Options{})
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		f := prefilter.New(q.EventCondition(), m)
		if q.EventCondition() != nil {
			restricting++
		}
		for i, d := range docs {
			keeps := q.Match(d)
			if q.IsSequence() {
				for _, st := range append(q.stages, q.until) {
					keeps = keeps || st != nil && st.match(d)
				}
			}
			if keeps && !f.Match([]byte(lines[i])) {
				t.Errorf("%s: event %d is used but the prefilter drops its line", src, i+1)
			}
		}
	}
	if restricting < 30 { // the test must exercise real conditions, not only nil
		t.Errorf("only %d of %d queries yield a condition", restricting, len(queries))
	}
}

func TestEventConditionShape(t *testing.T) {
	m := mustMapping(t)
	for _, tc := range []struct {
		q    string
		want string
	}{
		{`process where host.id == "x"`, `[event.category=process user.name=x]`},
		{`any where process.name : ("a*", "b")`, `[[process.name~a* process.name=~b]]`},
		{`any where not process.name == "x"`, `<nil>`},
		{`any where process.name != "x" or process.name == "y"`, `<nil>`},
		{`sequence [process where true] [file where true]`, `[[event.category=process] [event.category=file]]`},
		{`sequence [process where true] [any where true]`, `<nil>`},
	} {
		q, err := Compile(tc.q, m, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := render(q.EventCondition()); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.q, got, tc.want)
		}
	}
}

// render prints a condition compactly: = equals, ~ like, =~ folded equals.
func render(c prefilter.Cond) string {
	switch x := c.(type) {
	case nil:
		return "<nil>"
	case prefilter.And:
		return renderList(x)
	case prefilter.Or:
		return renderList(x)
	case *prefilter.FieldMatch:
		op := map[prefilter.MatchOp]string{prefilter.Equals: "=", prefilter.Like: "~", prefilter.Prefix: "^", prefilter.Suffix: "$", prefilter.Contains: "%"}[x.Op]
		if x.Fold && x.Op == prefilter.Equals {
			op = "=~"
		}
		return x.Field + op + x.Value
	}
	return "?"
}

func renderList[T ~[]prefilter.Cond](l T) string {
	s := "["
	for i, c := range l {
		if i > 0 {
			s += " "
		}
		s += render(c)
	}
	return s + "]"
}
