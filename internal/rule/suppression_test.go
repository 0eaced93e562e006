package rule

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseSuppression(t *testing.T) {
	base := "[rule]\nrule_id = \"x\"\nname = \"n\"\ntype = \"esql\"\nseverity = \"low\"\nrisk_score = 21\nquery = \"FROM a\"\n[rule.alert_suppression]\n"
	tests := []struct {
		body string
		want *Suppression
		err  string
	}{
		{"group_by = [\"a\"]\n", &Suppression{GroupBy: []string{"a"}, SuppressMissing: true}, ""},
		{"group_by = [\"a\", \"b\", \"c\"]\nmissing_fields_strategy = \"doNotSuppress\"\nduration = {value = 5, unit = \"m\"}\n",
			&Suppression{GroupBy: []string{"a", "b", "c"}, Duration: 5 * time.Minute}, ""},
		{"group_by = [\"a\"]\nduration = {value = 2, unit = \"h\"}\nmissing_fields_strategy = \"suppress\"\n",
			&Suppression{GroupBy: []string{"a"}, Duration: 2 * time.Hour, SuppressMissing: true}, ""},
		{"group_by = []\n", nil, "needs 1 to 3 fields, not 0"},
		{"group_by = [\"a\", \"b\", \"c\", \"d\"]\n", nil, "needs 1 to 3 fields, not 4"},
		{"group_by = [\"a\"]\nduration = {value = 5, unit = \"d\"}\n", nil, "duration must be"},
		{"group_by = [\"a\"]\nduration = {value = 0, unit = \"s\"}\n", nil, "duration must be"},
		{"group_by = [\"a\"]\nmissing_fields_strategy = \"drop\"\n", nil, "is not suppress or doNotSuppress"},
	}
	for _, tc := range tests {
		r, err := Parse([]byte(base+tc.body), "a.toml")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.body, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.body, err)
			continue
		}
		if !reflect.DeepEqual(r.Suppression, tc.want) {
			t.Errorf("%q: got %+v, want %+v", tc.body, r.Suppression, tc.want)
		}
	}
}
