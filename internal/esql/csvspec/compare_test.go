package csvspec

import (
	"net/netip"
	"strings"
	"testing"

	"vigil/internal/doc"
	"vigil/internal/esql"
)

func mustTest(t *testing.T, src string) *Test {
	t.Helper()
	tests, err := ParseSpec("c.csv-spec", []byte(src))
	if err != nil || len(tests) != 1 {
		t.Fatalf("parse: %v (%d tests)", err, len(tests))
	}
	return tests[0]
}

func TestCompare(t *testing.T) {
	ip := doc.IPOf(netip.MustParseAddr("127.0.0.1"))
	kw := doc.KeywordOf
	cols := []esql.Column{{Name: "a", Type: doc.Integer}, {Name: "d", Type: doc.Date}, {Name: "x", Type: doc.Double}, {Name: "k", Type: doc.Keyword}}
	rows := [][]doc.Value{
		{doc.Int(1), doc.DateMillis(1698069600000), doc.Float(3.181719481e8), doc.Multi(doc.Keyword, []doc.Value{kw("a"), kw("b")})},
		{doc.Int(2), {}, doc.Float(2), kw("")},
	}
	const head = "t\nrow a=1;\n"
	const table = "a:i | d:date | x:d | k:k\n"
	cases := []struct {
		name    string
		spec    string
		cols    []esql.Column
		rows    [][]doc.Value
		warn    []string
		wantErr string // substring; "" means a match
	}{
		{"match with normalised cells", head + table + "1 | 2023-10-23T14:00:00 | 318171948.1 | [a, b]\n2 | null | 2.0 |\n;\n", cols, rows, nil, ""},
		{"row order matters", head + table + "2 | null | 2.0 |\n1 | 2023-10-23T14:00:00 | 318171948.1 | [a, b]\n;\n", cols, rows, nil,
			"row 1 (spec line 4) column a: expected 2, got 1"},
		{"ignoreOrder", head + "ignoreOrder:true\n" + table + "2 | null | 2.0 |\n1 | 2023-10-23T14:00:00.000Z | 3.181719481E8 | [a, b]\n;\n", cols, rows, nil, ""},
		{"ignoreOrder missing", head + "ignoreOrder:true\n" + table + "2 | null | 2.0 | x\n1 | 2023-10-23T14:00:00.000Z | 3.181719481E8 | [a, b]\n;\n", cols, rows, nil,
			"1 expected rows missing, first: (spec line 5) 2 | null | 2.0 | x\n1 unexpected rows, first: 2 | null | 2.0 | "},
		{"null is not the empty string", head + table + "1 | 2023-10-23T14:00:00 | 318171948.1 | [a, b]\n2 | null | 2.0 | null\n;\n", cols, rows, nil,
			"row 2 (spec line 5) column k: expected null, got "},
		{"multi order matters", head + table + "1 | 2023-10-23T14:00:00 | 318171948.1 | [b, a]\n2 | null | 2.0 |\n;\n", cols, rows, nil,
			"column k: expected [b, a], got [a, b]"},
		{"fewer rows", head + table + "1 | 2023-10-23T14:00:00 | 318171948.1 | [a, b]\n;\n", cols, rows, nil,
			"expected 1 rows, got 2; first extra row 2: 2 | null | 2.0 | "},
		{"more rows", head + table + "1 | 2023-10-23T14:00:00 | 318171948.1 | [a, b]\n2 | null | 2.0 |\n3 | null | 2.0 |\n;\n", cols, rows, nil,
			"expected 3 rows, got 2; first missing row 3 (spec line 6): 3 | null | 2.0 | "},
		{"column type", head + "a:l | d:date | x:d | k:k\n;\n", cols, nil, nil,
			"column 1: expected a:long, got a:integer"},
		{"column name", head + "b:i | d:date | x:d | k:k\n;\n", cols, nil, nil, "column 1: expected b:integer, got a:integer"},
		{"column count", head + "a:i\n;\n", cols, nil, nil, "expected 1 columns, got 4"},
		{"text is not keyword", head + "k:text\n;\n", []esql.Column{{Name: "k", Type: doc.Keyword}}, nil, nil, "expected k:text, got k:keyword"},
		{"ip and bool", head + "i:ip | b:bool\n127.0.0.1 | true\n;\n", []esql.Column{{Name: "i", Type: doc.IP}, {Name: "b", Type: doc.Boolean}},
			[][]doc.Value{{ip, doc.Bool(true)}}, nil, ""},
		{"points compare as geometries", head + "p:geo_point | c:cartesian_point\nPOINT(1 2.5) | POINT (3.0 4)\n;\n",
			[]esql.Column{{Name: "p", Type: doc.GeoPoint}, {Name: "c", Type: doc.CartesianPoint}},
			[][]doc.Value{{{T: doc.GeoPoint, S: "POINT (1.0 2.5)"}, {T: doc.CartesianPoint, S: "POINT (3.0 4.0)"}}}, nil, ""},
		{"points differ", head + "p:geo_point\nPOINT(1 2.5)\n;\n", []esql.Column{{Name: "p", Type: doc.GeoPoint}},
			[][]doc.Value{{{T: doc.GeoPoint, S: "POINT (1.0 2.0)"}}}, nil, "column p: expected POINT (1.0 2.5), got POINT (1.0 2.0)"},
		{"bad expected value", head + "a:i\nx\n;\n", []esql.Column{{Name: "a", Type: doc.Integer}}, [][]doc.Value{{doc.Int(1)}}, nil,
			`spec line 4: column a: bad expected value "x"`},
		{"null column", head + "n:null\nnull\n;\n", []esql.Column{{Name: "n", Type: doc.Null}}, [][]doc.Value{{{}}}, nil, ""},
		{"unexpected warning", head + "a:i\n;\n", []esql.Column{{Name: "a", Type: doc.Integer}}, nil, []string{"Line 1:1: boom"},
			"unexpected warning: Line 1:1: boom"},
		{"escaped literal warning", head + "warning:Line 1:5: evaluation of [f(\\\"x\\\")] failed\na:i\n;\n",
			[]esql.Column{{Name: "a", Type: doc.Integer}}, nil, []string{`Line 1:5: evaluation of [f("x")] failed`}, ""},
		{"missing warning", head + "warning:w1\na:i\n;\n", []esql.Column{{Name: "a", Type: doc.Integer}}, nil, nil, "missing warning: w1"},
		{"regex warnings", head + "warningRegex:evaluation of \\[x like \\\\\\\"A\\*\\\\\\\"\\] failed\nwarningRegex:java.lang.Illegal.*\na:i\n;\n",
			[]esql.Column{{Name: "a", Type: doc.Integer}}, nil,
			[]string{`Line 1:3: evaluation of [x like "A*"] failed, treating result as null`, "Line 1:3: java.lang.IllegalArgumentException: x"}, ""},
		{"regex unmatched", head + "warningRegex:nope\na:i\n;\n", []esql.Column{{Name: "a", Type: doc.Integer}}, nil, []string{"w"},
			"warnings differ\nunexpected warning: w"},
		{"regexes only allow", head + "warningRegex:nope\na:i\n;\n", []esql.Column{{Name: "a", Type: doc.Integer}}, nil, nil, ""},
		{"exact warnings are a set", head + "warning:w2\nwarning:w1\na:i\n;\n", []esql.Column{{Name: "a", Type: doc.Integer}}, nil,
			[]string{"w1", "w2", "w1"}, ""},
		{"duplicate expected warning", head + "warning:w1\nwarning:w1\na:i\n;\n", []esql.Column{{Name: "a", Type: doc.Integer}}, nil,
			[]string{"w1"}, "missing warning: w1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tc := mustTest(t, c.spec)
			err := Compare(tc, &esql.Result{Columns: c.cols, Rows: c.rows, Warnings: c.warn})
			switch {
			case c.wantErr == "" && err != nil:
				t.Errorf("unexpected mismatch: %v", err)
			case c.wantErr != "" && err == nil:
				t.Errorf("no mismatch reported, want %q", c.wantErr)
			case c.wantErr != "" && !strings.Contains(err.Error(), c.wantErr):
				t.Errorf("got  %q\nwant %q", err.Error(), c.wantErr)
			}
		})
	}
}

func TestSpecType(t *testing.T) {
	cases := map[string]doc.Type{
		"i": doc.Integer, "integer": doc.Integer, "L": doc.Long, "d": doc.Double, "k": doc.Keyword,
		"s": doc.Keyword, "string": doc.Keyword, "txt": doc.Text, "text": doc.Text, "date": doc.Date,
		"datetime": doc.Date, "dt": doc.Date, "bool": doc.Boolean, "ul": doc.UnsignedLong,
		"date_nanos": doc.DateNanos, "v": doc.Version, "n": doc.Null, "ip": doc.IP, "short": doc.Integer,
	}
	for in, want := range cases {
		if got, ok := SpecType(in); !ok || got != want {
			t.Errorf("SpecType(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	if _, ok := SpecType("ip_range"); ok {
		t.Error("ip_range should be unsupported")
	}
}
