package esql

import (
	"slices"
	"strings"
	"testing"
)

// COMPLETION compiles (columns, types, validation) and marks the query as
// needing an inference endpoint; run anyway, its answer is null.
func TestCompletion(t *testing.T) {
	cases := []struct {
		name, q string
		want    []string // rendered result; nil when compilation fails
		err     string
	}{
		{"default_target", `ROW p = "hi" | COMPLETION p WITH { "inference_id": "e" }`,
			[]string{"p:keyword|completion:keyword", "hi|null"}, ""},
		{"named_target", `ROW p = "hi" | COMPLETION Esql.r = CONCAT(p, "!") WITH {"inference_id": ".anthropic-claude-4.6-sonnet-completion"} | KEEP Esql.r`,
			[]string{"Esql.r:keyword", "null"}, ""},
		{"older_form", `ROW p = "hi" | COMPLETION r = p WITH my_endpoint`,
			[]string{"p:keyword|r:keyword", "hi|null"}, ""},
		{"task_settings", `ROW p = "hi" | COMPLETION p WITH {"inference_id": "e", "task_settings": {"temperature": 0.5}} | KEEP completion`,
			[]string{"completion:keyword", "null"}, ""},
		{"target_replaces_column", `ROW completion = 1, p = "x" | COMPLETION p WITH {"inference_id": "e"}`,
			[]string{"p:keyword|completion:keyword", "x|null"}, ""},
		{"then_dissect", `ROW p = "x" | COMPLETION r = p WITH {"inference_id": "e"} | DISSECT r "verdict=%{v}" | KEEP v`,
			[]string{"v:keyword", "null"}, ""},
		{"prompt_not_string", `ROW n = 1 | COMPLETION n WITH {"inference_id": "e"}`, nil,
			"1:24: prompt must be of type [text] but is [integer]"},
		{"missing_id", `ROW p = "x" | COMPLETION p WITH {"task_settings": {}}`, nil,
			"Missing mandatory option [inference_id] in [COMPLETION]"},
		{"id_not_string", `ROW p = "x" | COMPLETION p WITH {"inference_id": 3}`, nil,
			"Option [inference_id] must be a valid string, found [3]"},
		{"unknown_option", `ROW p = "x" | COMPLETION p WITH {"inference_id": "e", "model": "m"}`, nil,
			"Invalid option [model] in [COMPLETION], expected one of [[inference_id, task_settings]]"},
		{"no_with", `ROW p = "x" | COMPLETION p`, nil, "'with'"},
		{"unknown_prompt", `ROW p = "x" | COMPLETION nosuch WITH {"inference_id": "e"}`, nil, "Unknown column [nosuch]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := Compile(c.q, nil, Options{})
			if c.want == nil {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e := q.CannotRun()
			if e == nil || e.Line != 1 || e.Col != strings.Index(c.q, "COMPLETION")+1 || !strings.Contains(e.Msg, "COMPLETION needs an LLM inference endpoint") {
				t.Errorf("CannotRun = %+v", e)
			}
			r, err := Run(c.q, nil, nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := render(r); !slices.Equal(got, c.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
	q, err := Compile(`ROW p = "completion"`, nil, Options{})
	if err != nil || q.CannotRun() != nil {
		t.Errorf("a query without COMPLETION: %v, %v", err, q.CannotRun())
	}
}
