package registry

import (
	"reflect"
	"testing"
)

func TestTable(t *testing.T) {
	tab := New[int]("thing")
	tab.Add("B", 2)
	tab.Add("A_1", 1)
	for _, c := range []struct {
		name string
		want int
		ok   bool
	}{
		{"A_1", 1, true}, {"a_1", 1, true}, {"b", 2, true}, {"B", 2, true}, {"c", 0, false}, {"", 0, false},
		{"ä_1", 0, false}, // non-ASCII letters are not folded
	} {
		got, ok := tab.Lookup(c.name)
		if got != c.want || ok != c.ok {
			t.Errorf("Lookup(%q) = %d, %v; want %d, %v", c.name, got, ok, c.want, c.ok)
		}
	}
	if got := tab.Names(); !reflect.DeepEqual(got, []string{"A_1", "B"}) {
		t.Errorf("Names() = %q", got)
	}
	defer func() {
		if r := recover(); r != "registry: duplicate thing B" {
			t.Errorf("duplicate Add: recovered %v", r)
		}
	}()
	tab.Add("B", 3)
}

func TestUpper(t *testing.T) {
	for in, want := range map[string]string{"": "", "ABC": "ABC", "abc": "ABC", "mV_Avg": "MV_AVG", "to_ä": "TO_ä", "x1y": "X1Y"} {
		if got := Upper(in); got != want {
			t.Errorf("Upper(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestElasticsearchFunctions(t *testing.T) {
	names := ElasticsearchFunctions()
	for i, n := range names {
		if Upper(n) != n {
			t.Errorf("%q is not upper case", n)
		}
		if i > 0 && names[i-1] >= n {
			t.Errorf("not sorted or duplicated: %q then %q", names[i-1], n)
		}
	}
	for name, want := range map[string]bool{"st_x": true, "Match": true, "FIRST": true, "mv_union": true, "foo": false, "": false, "MVAPPEND": false} {
		if got := ElasticsearchFunction(name); got != want {
			t.Errorf("ElasticsearchFunction(%q) = %v", name, got)
		}
	}
}
