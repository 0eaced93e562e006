package fn

import (
	"testing"

	"vigil/internal/doc"
)

func TestMvSetsLarge(t *testing.T) {
	var a, b []int32
	for i := int32(0); i < 100; i++ {
		a = append(a, i)
		b = append(b, 2*i)
	}
	f, _ := Lookup("MV_INTERSECTION")
	_, ev, err := f.Resolve([]doc.Type{doc.Integer, doc.Integer}, []*doc.Value{nil, nil})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := ev([]doc.Value{intsOf(a...), intsOf(b...)})
	if got.Len() != 50 || got.At(0).I != 0 || got.At(49).I != 98 {
		t.Fatalf("intersection = %s", got)
	}
	f, _ = Lookup("MV_UNION")
	_, ev, _ = f.Resolve([]doc.Type{doc.Integer, doc.Integer}, []*doc.Value{nil, nil})
	if got, _ := ev([]doc.Value{intsOf(a...), intsOf(b...)}); got.Len() != 150 {
		t.Fatalf("union has %d values", got.Len())
	}
}

func TestMvFunctions(t *testing.T) {
	I := doc.Int
	mvErr := ErrMultiValue.Error()
	texts := doc.Value{T: doc.Text, M: []doc.Value{doc.TextOf("b"), doc.TextOf("a")}}
	runCalls(t, []callCase{
		{name: "first", fn: "MV_FIRST", args: []doc.Value{intsOf(3, 1, 2)}, want: "3", checkT: true, wantT: doc.Integer},
		{name: "first single", fn: "MV_FIRST", args: []doc.Value{kwOf("x")}, want: "x"},
		{name: "first null", fn: "MV_FIRST", args: []doc.Value{nullV}, want: "null", checkT: true, wantT: doc.Null},
		{name: "first text", fn: "MV_FIRST", args: []doc.Value{texts}, want: "b", checkT: true, wantT: doc.Keyword},
		{name: "last", fn: "MV_LAST", args: []doc.Value{intsOf(3, 1, 2)}, want: "2"},
		{name: "min", fn: "MV_MIN", args: []doc.Value{intsOf(3, -1, 2)}, want: "-1"},
		{name: "max kw", fn: "MV_MAX", args: []doc.Value{kwsOf("bar", "foo", "baz")}, want: "foo"},
		{name: "max ip", fn: "MV_MAX", args: []doc.Value{doc.Multi(doc.IP, []doc.Value{ipOf("10.0.0.1"), ipOf("9.9.9.9")})}, want: "10.0.0.1"},
		{name: "min text", fn: "MV_MIN", args: []doc.Value{texts}, want: "a", checkT: true, wantT: doc.Keyword},
		{name: "count", fn: "MV_COUNT", args: []doc.Value{kwsOf("a", "b", "c")}, want: "3", checkT: true, wantT: doc.Integer},
		{name: "count null", fn: "MV_COUNT", args: []doc.Value{nullV}, want: "null"},
		{name: "concat", fn: "MV_CONCAT", args: []doc.Value{kwsOf("a", "b", "c"), kwOf(", ")}, want: "a, b, c"},
		{name: "concat single", fn: "MV_CONCAT", args: []doc.Value{kwOf("a"), kwOf(",")}, want: "a"},
		{name: "concat mv delim", fn: "MV_CONCAT", args: []doc.Value{kwOf("a"), kwsOf(",", ";")}, err: mvErr},
		{name: "concat int", fn: "MV_CONCAT", args: []doc.Value{intsOf(1, 2), kwOf(",")}, resErr: true},
		{name: "dedupe", fn: "MV_DEDUPE", args: []doc.Value{kwsOf("foo", "bar", "foo", "baz")}, want: "[foo, bar, baz]"},
		{name: "dedupe large sorts", fn: "MV_DEDUPE", args: []doc.Value{kwsOf("z", "y", "x", "w", "v", "u", "t", "s", "r", "q", "p", "o", "n", "m", "l", "k", "j", "i", "h", "g", "z")}, want: "[g, h, i, j, k, l, m, n, o, p, q, r, s, t, u, v, w, x, y, z]"},
		{name: "dedupe to single", fn: "MV_DEDUPE", args: []doc.Value{intsOf(2, 2)}, want: "2"},
		{name: "slice", fn: "MV_SLICE", args: []doc.Value{intsOf(1, 2, 2, 3), I(1), I(2)}, want: "[2, 2]"},
		{name: "slice one", fn: "MV_SLICE", args: []doc.Value{intsOf(1, 2, 3), I(1)}, want: "2"},
		{name: "slice negative", fn: "MV_SLICE", args: []doc.Value{intsOf(1, 2, 2, 3), I(-2), I(-1)}, want: "[2, 3]"},
		{name: "slice clamps", fn: "MV_SLICE", args: []doc.Value{intsOf(1, 2, 3), I(1), I(10)}, want: "[2, 3]"},
		{name: "slice out of range", fn: "MV_SLICE", args: []doc.Value{intsOf(1, 2, 3), I(5), I(10)}, want: "null"},
		{name: "slice single value", fn: "MV_SLICE", args: []doc.Value{I(7), I(0), I(0)}, want: "7"},
		{name: "slice bad order", fn: "MV_SLICE", args: []doc.Value{intsOf(1, 2), I(2), I(1)}, err: "org.elasticsearch.xpack.esql.core.InvalidArgumentException: Start offset is greater than end offset"},
		{name: "slice signs", fn: "MV_SLICE", args: []doc.Value{intsOf(1, 2), I(-1), I(1)}, err: "org.elasticsearch.xpack.esql.core.InvalidArgumentException: Start and end offset have different signs"},
		{name: "slice bad order const", fn: "MV_SLICE", args: []doc.Value{intsOf(1, 2), I(2), I(1)}, consts: true, resErr: true},
		{name: "sort", fn: "MV_SORT", args: []doc.Value{intsOf(4, 2, -3, 2)}, want: "[-3, 2, 2, 4]"},
		{name: "sort desc", fn: "MV_SORT", args: []doc.Value{intsOf(4, 2, -3, 2), kwOf("desc")}, consts: true, want: "[4, 2, 2, -3]"},
		{name: "sort bad order", fn: "MV_SORT", args: []doc.Value{intsOf(4, 2), kwOf("up")}, consts: true, resErr: true},
		{name: "sum int", fn: "MV_SUM", args: []doc.Value{intsOf(3, 5, 6)}, want: "14", checkT: true, wantT: doc.Integer},
		{name: "sum int overflow", fn: "MV_SUM", args: []doc.Value{intsOf(2147483647, 1)}, err: "java.lang.ArithmeticException: integer overflow"},
		{name: "sum long overflow", fn: "MV_SUM", args: []doc.Value{longsOf(9223372036854775807, 1)}, err: "java.lang.ArithmeticException: long overflow"},
		{name: "sum double", fn: "MV_SUM", args: []doc.Value{doublesOf(0.1, 0.2, 0.3)}, want: "0.6"},
		{name: "sum kw", fn: "MV_SUM", args: []doc.Value{kwOf("a")}, resErr: true},
		{name: "avg", fn: "MV_AVG", args: []doc.Value{intsOf(3, 5, 6)}, want: "4.666666666666667", checkT: true, wantT: doc.Double},
		{name: "avg single", fn: "MV_AVG", args: []doc.Value{I(3)}, want: "3.0"},
		{name: "median odd", fn: "MV_MEDIAN", args: []doc.Value{intsOf(3, 5, 1)}, want: "3"},
		{name: "median even int rounds down", fn: "MV_MEDIAN", args: []doc.Value{intsOf(-3, 0)}, want: "-2"},
		{name: "median even double", fn: "MV_MEDIAN", args: []doc.Value{doublesOf(1, 2)}, want: "1.5"},
		{name: "mad", fn: "MV_MEDIAN_ABSOLUTE_DEVIATION", args: []doc.Value{intsOf(0, 2, 5, 6)}, want: "2"},
		{name: "mad double", fn: "MV_MEDIAN_ABSOLUTE_DEVIATION", args: []doc.Value{doublesOf(1, 2, 3, 4, 100)}, want: "1.0"},
		{name: "mad single", fn: "MV_MEDIAN_ABSOLUTE_DEVIATION", args: []doc.Value{I(4)}, want: "0"},
		{name: "percentile", fn: "MV_PERCENTILE", args: []doc.Value{intsOf(5, 5, 10, 12, 5000), I(50)}, want: "10"},
		{name: "percentile interpolates", fn: "MV_PERCENTILE", args: []doc.Value{doublesOf(1, 2, 3, 4), doc.Float(50)}, want: "2.5"},
		{name: "percentile range", fn: "MV_PERCENTILE", args: []doc.Value{intsOf(1, 2), I(101)}, err: "java.lang.IllegalArgumentException: Percentile parameter must be a number between 0 and 100, found [101.0]"},
		{name: "percentile int truncates", fn: "MV_PERCENTILE", args: []doc.Value{intsOf(1, 4), I(50)}, want: "2"},
		{name: "percentile ulong", fn: "MV_PERCENTILE", args: []doc.Value{doc.ULong(1), I(50)}, resErr: true},
		{name: "pseries", fn: "MV_PSERIES_WEIGHTED_SUM", args: []doc.Value{doublesOf(70.0, 45.0, 21.0, 21.0, 21.0), doc.Float(1.5)}, want: "94.45465156212452"},
		{name: "append", fn: "MV_APPEND", args: []doc.Value{intsOf(1, 2), I(3)}, want: "[1, 2, 3]"},
		{name: "append null", fn: "MV_APPEND", args: []doc.Value{nullV, I(3)}, want: "null"},
		{name: "append mixed", fn: "MV_APPEND", args: []doc.Value{I(1), kwOf("a")}, resErr: true},
		{name: "zip", fn: "MV_ZIP", args: []doc.Value{kwsOf("x", "y", "z"), kwsOf("1", "2"), kwOf("-")}, want: "[x-1, y-2, z]"},
		{name: "zip default delim", fn: "MV_ZIP", args: []doc.Value{kwOf("a"), kwOf("b")}, want: "a,b"},
		{name: "zip null", fn: "MV_ZIP", args: []doc.Value{kwsOf("a", "b"), nullV}, want: "[a, b]"},
		{name: "intersection", fn: "MV_INTERSECTION", args: []doc.Value{kwsOf("a", "b", "c"), kwsOf("c", "a", "d")}, want: "[a, c]"},
		{name: "intersection none", fn: "MV_INTERSECTION", args: []doc.Value{kwsOf("a", "b"), kwOf("x")}, want: "null"},
		{name: "intersection null", fn: "MV_INTERSECTION", args: []doc.Value{kwsOf("a", "b"), nullV}, want: "null"},
		{name: "union", fn: "MV_UNION", args: []doc.Value{intsOf(1, 2, 3), intsOf(2, 4)}, want: "[1, 2, 3, 4]"},
		{name: "difference", fn: "MV_DIFFERENCE", args: []doc.Value{kwsOf("a", "b", "c"), kwOf("a")}, want: "[b, c]"},
		{name: "difference null second", fn: "MV_DIFFERENCE", args: []doc.Value{kwsOf("a", "b"), nullV}, want: "[a, b]"},
	})
}

// Examples from the MV_CONTAINS reference page, and the edges around it.
func TestMvContains(t *testing.T) {
	runCalls(t, []callCase{
		{name: "mv_contains element", fn: "MV_CONTAINS", args: []doc.Value{kwsOf("a", "b", "c"), kwOf("a")}, want: "true"},
		{name: "mv_contains subset", fn: "MV_CONTAINS", args: []doc.Value{kwsOf("a", "b", "c"), kwsOf("a", "c")}, want: "true"},
		{name: "mv_contains superset", fn: "MV_CONTAINS", args: []doc.Value{kwsOf("a", "c"), kwsOf("a", "b", "c")}, want: "false"},
		{name: "mv_contains null subset", fn: "MV_CONTAINS", args: []doc.Value{kwsOf("a"), nullV}, types: []doc.Type{doc.Keyword, doc.Keyword}, want: "true"},
		{name: "mv_contains null superset", fn: "MV_CONTAINS", args: []doc.Value{nullV, kwOf("a")}, types: []doc.Type{doc.Keyword, doc.Keyword}, want: "false"},
		{name: "mv_contains ints", fn: "MV_CONTAINS", args: []doc.Value{intsOf(1, 2, 3), intsOf(3, 1)}, want: "true"},
		{name: "mv_contains mixed types", fn: "MV_CONTAINS", args: []doc.Value{intsOf(1), kwOf("a")}, resErr: true},
	})
}
