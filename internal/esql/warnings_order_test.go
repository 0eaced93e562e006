package esql

import (
	"reflect"
	"testing"
	"time"

	"vigil/internal/doc"
)

// orderCatalog resolves every pattern to the mapping of argOrderDoc.
type orderCatalog struct{}

func (orderCatalog) Resolve([]string) (*doc.Mapping, error) {
	m := doc.NewMapping()
	for name, t := range map[string]doc.Type{
		"mi": doc.Integer, "ml": doc.Long, "mk": doc.Keyword, "mt": doc.Date,
		"nl": doc.Long, "ni": doc.Integer, "nk": doc.Keyword, "nt": doc.Date,
	} {
		m.Add(doc.Field{Name: name, Type: t, ESType: t.String()})
	}
	return m, nil
}

// argOrderDoc has multi-valued m* fields; the n* fields are mapped but
// missing, so they read as null.
func argOrderDoc() *doc.Document {
	t1 := doc.TimeOf(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	t2 := doc.TimeOf(time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC))
	return &doc.Document{Index: "logs", ID: "1", Fields: map[string]doc.Value{
		"mi": doc.Multi(doc.Integer, []doc.Value{doc.Int(1), doc.Int(2)}),
		"ml": doc.Multi(doc.Long, []doc.Value{doc.Long64(1), doc.Long64(2)}),
		"mk": doc.Multi(doc.Keyword, []doc.Value{doc.KeywordOf("a"), doc.KeywordOf("b")}),
		"mt": doc.Multi(doc.Date, []doc.Value{t1, t2}),
	}}
}

// TestArgumentCheckOrder pins the order in which a single-value function or
// operator checks its arguments, per position and left to right, as
// Elasticsearch's generated evaluators do (AddIntsEvaluator,
// EqualsKeywordsEvaluator, InsensitiveEqualsEvaluator, DateDiffMillisEvaluator,
// ConcatEvaluator): a null
// argument gives null silently, a multi-valued one gives null with the
// multi-value warning, and the first argument that is either decides. So a
// multi-value before a null warns, a null before a multi-value does not.
func TestArgumentCheckOrder(t *testing.T) {
	const mvLine = "java.lang.IllegalArgumentException: single-value function encountered multi-value"
	warn := func(col, expr string) []string {
		return []string{
			"Line 1:" + col + ": evaluation of [" + expr + "] failed, treating result as null. Only first 20 failures recorded.",
			"Line 1:" + col + ": " + mvLine,
		}
	}
	cases := []struct {
		name, expr string
		warn       bool
	}{
		{"add multi then null", "mi + nl", true},
		{"add null then multi", "nl + mi", false},
		{"add long multi then int null", "ml + ni", true},
		{"sub multi then null", "mi - nl", true},
		{"mul null then multi", "ni * ml", false},
		{"eq multi then null", "mk == nk", true},
		{"eq null then multi", "nk == mk", false},
		{"eq numeric multi then null", "mi == nl", true},
		{"lt multi then null", "mi < nl", true},
		{"lt null then multi", "nl < mi", false},
		{"lt dates multi then null", "mt < nt", true},
		{"insensitive eq multi then null", "mk =~ nk", true},
		{"insensitive eq null then multi", "nk =~ mk", false},
		{"date_diff multi then null", `DATE_DIFF("second", mt, nt)`, true},
		{"date_diff null then multi", `DATE_DIFF("second", nt, mt)`, false},
		{"date_format multi then null", `DATE_FORMAT(mk, nt)`, true},
		{"date_format null then multi", `DATE_FORMAT(nk, mt)`, false},
		{"concat multi then null", "CONCAT(mk, nk)", true},
		{"concat null then multi", "CONCAT(nk, mk)", false},
		{"concat single, multi, null", `CONCAT("x", mk, nk)`, true},
		{"concat single, null, multi", `CONCAT("x", nk, mk)`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := "FROM logs | EVAL c = " + tc.expr + " | KEEP c"
			r, err := Run(q, orderCatalog{}, func(yield func(*doc.Document) bool) { yield(argOrderDoc()) }, Options{})
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			if len(r.Rows) != 1 || len(r.Rows[0]) != 1 || !r.Rows[0][0].IsNull() {
				t.Errorf("%s: rows %v, want one null", q, r.Rows)
			}
			var want []string
			if tc.warn {
				want = warn("22", tc.expr) // the expression starts after "FROM logs | EVAL c = "
			}
			if !reflect.DeepEqual(r.Warnings, want) && !(len(r.Warnings) == 0 && len(want) == 0) {
				t.Errorf("%s\n warnings %q\n     want %q", q, r.Warnings, want)
			}
		})
	}
}
