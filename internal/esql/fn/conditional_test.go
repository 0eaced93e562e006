package fn

import (
	"testing"

	"vigil/internal/doc"
)

func TestConditionalFunctions(t *testing.T) {
	I, L, D := doc.Int, doc.Long64, doc.Float
	runCalls(t, []callCase{
		{name: "coalesce", fn: "COALESCE", args: []doc.Value{nullV, kwOf("b")}, want: "b", checkT: true, wantT: doc.Keyword},
		{name: "coalesce first", fn: "COALESCE", args: []doc.Value{kwOf("X"), kwOf("b")}, want: "X"},
		{name: "coalesce once", fn: "COALESCE", args: []doc.Value{I(1)}, want: "1", checkT: true, wantT: doc.Integer},
		{name: "coalesce all null", fn: "COALESCE", args: []doc.Value{nullV, nullV}, want: "null", checkT: true, wantT: doc.Null},
		{name: "coalesce mv passes", fn: "COALESCE", args: []doc.Value{nullV, intsOf(1, 2)}, want: "[1, 2]"},
		{name: "coalesce long int", fn: "COALESCE", args: []doc.Value{nullV, I(0)}, types: []doc.Type{doc.Long, doc.Integer}, want: "0", checkT: true, wantT: doc.Long},
		{name: "coalesce double int", fn: "COALESCE", args: []doc.Value{nullV, nullV, I(4)}, types: []doc.Type{doc.Double, doc.Null, doc.Integer}, want: "4.0", checkT: true, wantT: doc.Double},
		{name: "coalesce text", fn: "COALESCE", args: []doc.Value{doc.TextOf("t"), kwOf("k")}, want: "t", checkT: true, wantT: doc.Keyword},
		{name: "coalesce mismatch", fn: "COALESCE", args: []doc.Value{kwOf("a"), I(1)}, resErr: true, resErrS: "argument second must be [keyword], found type [integer]"},
		{name: "greatest", fn: "GREATEST", args: []doc.Value{I(10), I(20)}, want: "20", checkT: true, wantT: doc.Integer},
		{name: "greatest mixed", fn: "GREATEST", args: []doc.Value{I(10), D(2.5), L(3)}, want: "10.0", checkT: true, wantT: doc.Double},
		{name: "greatest mv", fn: "GREATEST", args: []doc.Value{intsOf(1, 30), I(20)}, want: "30"},
		{name: "greatest null", fn: "GREATEST", args: []doc.Value{I(1), nullV}, want: "null"},
		{name: "greatest kw", fn: "GREATEST", args: []doc.Value{kwOf("a"), kwOf("c"), kwOf("b")}, want: "c"},
		{name: "greatest bool", fn: "GREATEST", args: []doc.Value{doc.Bool(false), doc.Bool(true)}, want: "true"},
		{name: "least", fn: "LEAST", args: []doc.Value{I(10), intsOf(5, 40)}, want: "5"},
		{name: "least mismatch", fn: "LEAST", args: []doc.Value{I(10), kwOf("a")}, resErr: true},
		{name: "clamp kw", fn: "CLAMP", args: []doc.Value{kwOf("Georgi"), kwOf("Facello"), kwOf("M")}, want: "Georgi"},
		{name: "clamp_max kw", fn: "CLAMP_MAX", args: []doc.Value{kwOf("Georgi"), kwOf("Facello")}, want: "Facello"},
		{name: "clamp_min kw", fn: "CLAMP_MIN", args: []doc.Value{kwOf("Georgi"), kwOf("Facello")}, want: "Georgi"},
		{name: "clamp numeric", fn: "CLAMP", args: []doc.Value{I(15), I(0), I(10)}, want: "10"},
		{name: "clamp widen", fn: "CLAMP", args: []doc.Value{L(-5), I(0), I(10)}, want: "0", checkT: true, wantT: doc.Long},
		{name: "clamp double bounds", fn: "CLAMP", args: []doc.Value{I(5), D(0.5), D(2.5)}, want: "2.5", checkT: true, wantT: doc.Double},
		{name: "clamp null", fn: "CLAMP", args: []doc.Value{nullV, I(0), I(10)}, want: "null"},
	})
}
