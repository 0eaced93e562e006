package fn

import (
	"math"
	"net/netip"
	"testing"

	"vigil/internal/doc"
)

func TestComparisons(t *testing.T) {
	ip := func(s string) doc.Value { return doc.IPOf(netip.MustParseAddr(s)) }
	multi := doc.Value{T: doc.Keyword, M: []doc.Value{doc.KeywordOf("a"), doc.KeywordOf("b")}}
	cases := []struct {
		op      Op
		a, b    doc.Value
		want    string
		wantErr bool
	}{
		{Lt, doc.Int(1), doc.Long64(2), "true", false},
		{Eq, doc.Int(1), doc.Float(1.0), "true", false},
		{Gt, doc.Float(math.NaN()), doc.Float(1), "false", false},
		{Neq, doc.Float(math.NaN()), doc.Float(math.NaN()), "true", false},
		{Gt, doc.ULong(math.MaxUint64), doc.ULong(5), "true", false},
		{Lt, doc.KeywordOf("B"), doc.TextOf("a"), "true", false},
		{Lt, doc.KeywordOf("é"), doc.KeywordOf("z"), "false", false},
		{Eq, doc.Bool(true), doc.Bool(true), "true", false},
		{Lt, ip("10.0.0.1"), ip("::1"), "false", false},
		{Lt, ip("9.0.0.1"), ip("10.0.0.1"), "true", false},
		{Lt, doc.VersionOf("1.2.10"), doc.VersionOf("1.10.0"), "true", false},
		{Lt, doc.VersionOf("1.0.0-alpha"), doc.VersionOf("1.0.0"), "true", false},
		{Lt, doc.DateMillis(1), doc.DateNano(1_000_001), "true", false},
		{Eq, doc.DateMillis(1), doc.DateNano(1_000_000), "true", false},
		{Lt, doc.DateMillis(478_483_199_999), doc.KeywordOf("1985-03-01T00:00:00Z"), "true", false},
		{Lt, doc.DateMillis(0), doc.KeywordOf("nope"), "null", true},
		{Eq, ip("10.0.0.1"), doc.KeywordOf("10.0.0.1"), "true", false},
		{Eq, doc.Int(1), doc.Value{}, "null", false},
		{Eq, multi, doc.KeywordOf("a"), "null", true},
	}
	for _, c := range cases {
		typ, ev, err := Binary(c.op, c.a.T, c.b.T)
		if err != nil {
			t.Fatalf("%v %v %v: %v", c.a, c.op, c.b, err)
		}
		if typ != doc.Boolean {
			t.Errorf("%v %v %v: type %v", c.a, c.op, c.b, typ)
		}
		v, err := ev([]doc.Value{c.a, c.b})
		if v.String() != c.want || (err != nil) != c.wantErr {
			t.Errorf("%v %v %v = %v, %v; want %v", c.a, c.op, c.b, v, err, c.want)
		}
	}
}

func TestCompareOrder(t *testing.T) {
	vs := func(s ...string) []doc.Value {
		out := make([]doc.Value, len(s))
		for i := range s {
			out[i] = doc.VersionOf(s[i])
		}
		return out
	}
	// Each list is in ascending order; the version lists follow Elasticsearch's VersionEncoderTests.
	lists := [][]doc.Value{
		vs("1", "1.0", "1.0.0", "1.0.0.0.0.0.0.0.0.1", "2.0", "2.0.0", "2.1.0", "2.1.1", "2.1.1.0", "11.0.0"),
		vs("1.0.0-1.0.0", "1.0.0-2.0", "1.0.0-a", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-b", "1.0.0-beta",
			"1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-beta11", "1.0.0-beta2", "1.0.0-rc.1", "1.0.0", "1.0.0+build", "2.0.0-pre127",
			"2.0.0-pre128", "2.0.0-pre128-somethingelse"),
		vs("2.0.0-pre20201231z110026", "2.0.0-pre227"),
		vs("99999.99999.99999", "", "1.2.3-0123", "1.invalid", "9.8.7+meta+meta", "a"),
		{doc.Float(math.Inf(-1)), doc.Long64(-5), doc.Float(math.Copysign(0, -1)), doc.Int(0), doc.Float(0.5), doc.ULong(1 << 63), doc.Float(math.NaN())},
		{doc.KeywordOf(""), doc.KeywordOf("A"), doc.TextOf("a"), doc.KeywordOf("ab"), doc.KeywordOf("é")},
		{doc.Bool(false), doc.Bool(true)},
		{doc.VersionOf("1.0.0-alpha"), doc.VersionOf("1.0.0-alpha.1"), doc.VersionOf("1.0.0-beta"), doc.VersionOf("1.0.0"), doc.VersionOf("1.2"), doc.VersionOf("1.2.0"), doc.VersionOf("1.11.0"), doc.VersionOf("abc")},
		{doc.DateNano(0), doc.DateMillis(1), doc.DateNano(1_000_001)},
	}
	for _, l := range lists {
		for i := range l {
			for j := range l {
				want := 0
				if i < j {
					want = -1
				} else if i > j {
					want = 1
				}
				if got := Compare(l[i], l[j]); got != want {
					t.Errorf("Compare(%v, %v) = %d, want %d", l[i], l[j], got, want)
				}
			}
		}
	}
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"1.2.3", "1.0.0-alpha+b1", "01.2", "1..2", "", "1.2.3-", "x"} {
		f.Add(s, "1.2.3")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		x, y := compareVersions(a, b), compareVersions(b, a)
		if x != -y {
			t.Fatalf("asymmetric: %q %q: %d %d", a, b, x, y)
		}
		if compareVersions(a, a) != 0 {
			t.Fatalf("not reflexive: %q", a)
		}
	})
}

func TestCompareFamilies(t *testing.T) {
	cases := []struct {
		a, b doc.Value
		want int
	}{
		{doc.Int(1), doc.Int(2), -1},
		{doc.Long64(5), doc.Int(5), 0},
		{doc.Float(math.Copysign(0, -1)), doc.Float(0), -1},
		{doc.Float(1), doc.Int(2), -1},
		{doc.ULong(1 << 63), doc.Long64(1), 1},
		{kwOf("b"), kwOf("a"), 1},
		{doc.VersionOf("1.10.0"), doc.VersionOf("1.9.0"), 1},
		{ipOf("10.0.0.1"), ipOf("9.0.0.1"), 1},
	}
	for _, c := range cases {
		if got := Compare(c.a, c.b); got != c.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
