package kql

import (
	"reflect"
	"testing"

	"vigil/internal/prefilter"
)

func TestCondition(t *testing.T) {
	kw := func(f, v string) *prefilter.FieldMatch {
		return &prefilter.FieldMatch{Field: f, Op: prefilter.Equals, Value: v, Fold: true, KeywordOnly: true}
	}
	like := func(f, v string) *prefilter.FieldMatch {
		return &prefilter.FieldMatch{Field: f, Op: prefilter.Like, Value: v, Fold: true, KeywordOnly: true}
	}
	for _, tc := range []struct {
		q    string
		want prefilter.Cond
	}{
		{`a:b`, kw("a", "b")},
		{`a:"x y"`, kw("a", "x y")},
		{`a:py*on`, like("a", "py*on")},
		{`a:x?y*`, like("a", `x\?y*`)},
		{`a:py\*on*`, kw("a", "py*on*")}, // an escaped wildcard makes the value literal (Elasticsearch dialect)
		{`a:b and (c:d or not e:f)`, prefilter.And{kw("a", "b"), prefilter.Or{kw("c", "d"), nil}}},
		{`a:(b or c)`, prefilter.Or{kw("a", "b"), kw("a", "c")}},
		{`b`, nil},
		{`a*:b`, nil},
		{`a > 3`, nil},
		{`a:*`, nil},
		{`n:{ a:b }`, nil},
	} {
		n, err := Parse(tc.q, Elasticsearch)
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		if got := Condition(n); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %#v, want %#v", tc.q, got, tc.want)
		}
	}
}
