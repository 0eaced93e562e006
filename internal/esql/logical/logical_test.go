package logical

import (
	"reflect"
	"testing"

	"vigil/internal/doc"
	"vigil/internal/prefilter"
)

// A hand-built plan: FROM | EVAL x = f, y = TO_LOWER(x) | MV_EXPAND g |
// WHERE y == "a" AND g IN ("b", "c") | STATS n = COUNT(*) BY k = x | LIMIT 5.
func handPlan() (*Plan, map[string]*Col) {
	f := &Col{Name: "f", Type: doc.Keyword, Field: "f"}
	g := &Col{Name: "g", Type: doc.Keyword, Field: "g"}
	ev := &Eval{}
	x := &Col{Name: "x", Type: doc.Keyword, Expr: &Ref{Col: f}, By: ev}
	y := &Col{Name: "y", Type: doc.Keyword, Expr: &Call{Kind: Function, Name: "TO_LOWER", Args: []Expr{&Ref{Col: x}}, T: doc.Keyword}, By: ev}
	ev.Cols = []*Col{x, y}
	mv := &MvExpand{In: g}
	g2 := &Col{Name: "g", Type: doc.Keyword, By: mv}
	mv.Out = g2
	lit := func(s string) Expr { return &Lit{Val: doc.KeywordOf(s), T: doc.Keyword} }
	where := &Where{Cond: &Logical{And: true,
		L: &Call{Kind: Operator, Name: "==", Args: []Expr{&Ref{Col: y}, lit("a")}, T: doc.Boolean},
		R: &In{X: &Ref{Col: g2}, List: []Expr{lit("b"), lit("c")}}}}
	st := &Stats{}
	k := &Col{Name: "k", Type: doc.Keyword, Expr: &Ref{Col: x}, By: st}
	n := &Col{Name: "n", Type: doc.Long, Expr: &Agg{Name: "COUNT", T: doc.Long}, By: st, Aggregated: true}
	st.By, st.Aggs = []*Col{k}, []*Col{n}
	p := &Plan{Commands: []Command{&Source{Patterns: []string{"i"}}, ev, mv, where, st, &Limit{N: 5}}, Head: 4, Output: []*Col{n, k}}
	return p, map[string]*Col{"f": f, "x": x, "y": y, "k": k, "g2": g2}
}

func TestPlanAccessors(t *testing.T) {
	p, cols := handPlan()
	if p.LastStats() != p.Commands[4] || p.Limit() != 5 || p.Window() != nil || len(p.PerEvent()) != 4 || len(p.After()) != 1 {
		t.Error("accessors")
	}
	if cols["x"].Origin() != cols["f"] || cols["y"].Origin() != cols["y"] {
		t.Error("Origin follows EVAL aliases only")
	}
	if cols["k"].Origin() != cols["k"] {
		t.Error("Origin must not follow a STATS key")
	}
	var seen []string
	Walk(p.Commands[3].(*Where).Cond, func(e Expr) bool {
		seen = append(seen, e.Source())
		_, in := e.(*In)
		return !in // skip In's children
	})
	if len(seen) != 5 { // Logical, ==, Ref y, Lit a, In (whose children are skipped)
		t.Errorf("walk saw %d nodes", len(seen))
	}
}

func TestEventCondition(t *testing.T) {
	p, _ := handPlan()
	want := prefilter.And{prefilter.And{
		&prefilter.FieldMatch{Field: "f", Op: prefilter.Equals, Value: "a", Fold: true},
		prefilter.Or{
			&prefilter.FieldMatch{Field: "g", Op: prefilter.Equals, Value: "b"},
			&prefilter.FieldMatch{Field: "g", Op: prefilter.Equals, Value: "c"},
		},
	}}
	if got := p.EventCondition(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v", got)
	}
	p.Commands[0] = &Source{} // ROW
	if p.EventCondition() != nil {
		t.Error("ROW has no events")
	}
}
