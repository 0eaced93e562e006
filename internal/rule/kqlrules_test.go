package rule

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The KQL rule types' own keys: threshold and new_terms tables, language,
// and what makes such a rule unrunnable (Lucene, unsupported filters) or
// invalid; rule.filters read as KQL.
func TestParseKQLRuleTypes(t *testing.T) {
	const head = "[rule]\nname = \"r\"\nrule_id = \"x\"\nrisk_score = 1\nseverity = \"low\"\n"
	cases := []struct {
		name, body  string
		unsupported string // substring of the ErrUnsupportedType message
		invalid     string // substring of the error
		check       func(t *testing.T, r *Rule)
	}{
		{name: "query, language defaults to kuery", body: "type = \"query\"\nquery = \"a:b\"\n", check: func(t *testing.T, r *Rule) {
			if r.Language != "kuery" || r.QueryLine != 7 {
				t.Errorf("language %q, query line %d", r.Language, r.QueryLine)
			}
		}},
		{name: "threshold with cardinality", body: "type = \"threshold\"\nlanguage = \"kuery\"\nquery = \"a:b\"\n[rule.threshold]\nfield = [\"host.id\", \"user.name\"]\nvalue = 3\n[[rule.threshold.cardinality]]\nfield = \"process.args\"\nvalue = 10\n",
			check: func(t *testing.T, r *Rule) {
				want := &Threshold{Fields: []string{"host.id", "user.name"}, Value: 3, Cardinality: []Cardinality{{"process.args", 10}}}
				if !reflect.DeepEqual(r.Threshold, want) {
					t.Errorf("threshold %+v", r.Threshold)
				}
			}},
		{name: "threshold field as a string", body: "type = \"threshold\"\nquery = \"\"\n[rule.threshold]\nfield = \"host.id\"\nvalue = 1\n", check: func(t *testing.T, r *Rule) {
			if !reflect.DeepEqual(r.Threshold.Fields, []string{"host.id"}) {
				t.Errorf("fields %v", r.Threshold.Fields)
			}
		}},
		{name: "threshold without value", body: "type = \"threshold\"\nquery = \"a:b\"\n[rule.threshold]\nfield = []\n", invalid: "threshold.value must be"},
		{name: "threshold without table", body: "type = \"threshold\"\nquery = \"a:b\"\n", invalid: "needs a [rule.threshold] table"},
		{name: "new_terms", body: "type = \"new_terms\"\nquery = \"a:b\"\n[rule.new_terms]\nfield = \"new_terms_fields\"\nvalue = [\"host.id\", \"process.name\"]\n[[rule.new_terms.history_window_start]]\nfield = \"history_window_start\"\nvalue = \"now-7d\"\n",
			check: func(t *testing.T, r *Rule) {
				want := &NewTerms{Fields: []string{"host.id", "process.name"}, HistoryWindowStart: "now-7d", History: 7 * 24 * time.Hour}
				if !reflect.DeepEqual(r.NewTerms, want) {
					t.Errorf("new_terms %+v", r.NewTerms)
				}
			}},
		{name: "new_terms with four fields", body: "type = \"new_terms\"\nquery = \"a:b\"\n[rule.new_terms]\nfield = \"new_terms_fields\"\nvalue = [\"a\", \"b\", \"c\", \"d\"]\n[[rule.new_terms.history_window_start]]\nfield = \"history_window_start\"\nvalue = \"now-7d\"\n", invalid: "1 to 3 fields"},
		{name: "new_terms without history", body: "type = \"new_terms\"\nquery = \"a:b\"\n[rule.new_terms]\nfield = \"new_terms_fields\"\nvalue = [\"a\"]\n", invalid: "history_window_start"},
		{name: "query without query", body: "type = \"query\"\n", invalid: "a query rule needs rule.query"},
		{name: "lucene", body: "type = \"query\"\nlanguage = \"lucene\"\nquery = \"a:b\"\n", unsupported: "Lucene query syntax"},
		{name: "filters", body: "type = \"query\"\nquery = \"a:b\"\nfilters = [{query = {match_phrase = {\"host.name\" = \"h\"}}}]\n", check: func(t *testing.T, r *Rule) {
			if r.Filter == nil || r.Filter.String() != `host.name:"h"` {
				t.Errorf("filter %v", r.Filter)
			}
		}},
		{name: "filters as TOML tables, disabled and negated", body: "type = \"eql\"\nquery = \"any where true\"\n[[rule.filters]]\nmeta = {disabled = true}\nquery = {term = {a = \"x\"}}\n[[rule.filters]]\n[rule.filters.meta]\nnegate = true\n[rule.filters.query.range.\"process.pid\"]\ngte = 4\n", check: func(t *testing.T, r *Rule) {
			if r.Filter == nil || r.Filter.String() != `not process.pid >= 4` {
				t.Errorf("filter %v", r.Filter)
			}
		}},
		{name: "empty filters", body: "type = \"threshold\"\nquery = \"a:b\"\nfilters = []\n[rule.threshold]\nfield = []\nvalue = 1\n", check: func(t *testing.T, r *Rule) {
			if r.Filter != nil {
				t.Errorf("filter %v", r.Filter)
			}
		}},
		{name: "unsupported filter", body: "type = \"query\"\nquery = \"a:b\"\nfilters = [{query = {regexp = {a = \"x.*\"}}}]\n", unsupported: "filters[0].query.regexp: regexp queries are not supported"},
		{name: "unsupported eql filter", body: "type = \"eql\"\nquery = \"any where true\"\nfilters = [{query = {query_string = {query = \"a:b\"}}}]\n", unsupported: "query_string"},
		{name: "malformed filter", body: "type = \"query\"\nquery = \"a:b\"\nfilters = [{query = {term = {a = \"x\", b = \"y\"}}}]\n", invalid: "rule.filters[0].query.term: names one field"},
		{name: "filters not an array", body: "type = \"query\"\nquery = \"a:b\"\nfilters = \"x\"\n", invalid: "must be an array"},
		{name: "machine_learning unsupported", body: "type = \"machine_learning\"\n", unsupported: "type \"machine_learning\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Parse([]byte(head+c.body), "r.toml")
			switch {
			case c.unsupported != "":
				if !errors.Is(err, ErrUnsupportedType) || !strings.Contains(err.Error(), c.unsupported) {
					t.Fatalf("err %v, want unsupported %q", err, c.unsupported)
				}
			case c.invalid != "":
				if err == nil || errors.Is(err, ErrUnsupportedType) || !strings.Contains(err.Error(), c.invalid) {
					t.Fatalf("err %v, want %q", err, c.invalid)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				c.check(t, r)
			}
		})
	}
}
