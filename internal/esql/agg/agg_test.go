package agg

import (
	"bufio"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"vigil/internal/doc"
)

func k(s string) doc.Value   { return doc.KeywordOf(s) }
func i(n int32) doc.Value    { return doc.Int(n) }
func l(n int64) doc.Value    { return doc.Long64(n) }
func d(f float64) doc.Value  { return doc.Float(f) }
func ver(s string) doc.Value { return doc.VersionOf(s) }
func ip(s string) doc.Value  { return doc.IPOf(netip.MustParseAddr(s)) }
func mv(vs ...doc.Value) doc.Value {
	return doc.Multi(vs[0].T, vs)
}
func c(v doc.Value) *doc.Value { return &v }

// same compares results by type and by Elasticsearch's rendering.
func same(a, b doc.Value) bool {
	return a.T == b.T && a.Len() == b.Len() && a.String() == b.String()
}

func mustResolve(t testing.TB, name string, args []doc.Type, consts []*doc.Value) (doc.Type, Factory) {
	t.Helper()
	f, ok := Lookup(name)
	if !ok {
		t.Fatalf("no aggregate %s", name)
	}
	rt, fac, err := f.Resolve(args, consts)
	if err != nil {
		t.Fatalf("%s%v: %v", name, args, err)
	}
	return rt, fac
}

func TestAggregates(t *testing.T) {
	null := doc.Value{}
	cases := []struct {
		name     string
		args     []doc.Type
		consts   []*doc.Value
		in       []doc.Value
		wantType doc.Type
		want     doc.Value
	}{
		{"count", []doc.Type{doc.Null}, nil, []doc.Value{null, i(1), mv(i(1), i(2), i(3))}, doc.Long, l(3)},
		{"COUNT", []doc.Type{doc.Integer}, nil, []doc.Value{null, i(1), mv(i(1), i(2), i(3))}, doc.Long, l(4)},
		{"COUNT", []doc.Type{doc.Null}, []*doc.Value{c(null)}, []doc.Value{null, null}, doc.Long, l(0)},
		{"COUNT", []doc.Type{doc.Keyword}, nil, nil, doc.Long, l(0)},
		{"COUNT_DISTINCT", []doc.Type{doc.Keyword}, nil, []doc.Value{k("a"), k("b"), mv(k("a"), k("c")), null}, doc.Long, l(3)},
		{"count_distinct", []doc.Type{doc.Boolean}, nil, []doc.Value{doc.Bool(true), mv(doc.Bool(true), doc.Bool(false))}, doc.Long, l(2)},
		{"COUNT_DISTINCT", []doc.Type{doc.Boolean}, nil, []doc.Value{null, doc.Bool(false)}, doc.Long, l(1)},
		{"COUNT_DISTINCT", []doc.Type{doc.Null}, nil, []doc.Value{null}, doc.Long, l(0)},
		{"COUNT_DISTINCT", []doc.Type{doc.Double}, nil, []doc.Value{d(1), d(math.Copysign(0, -1)), d(0), d(1)}, doc.Long, l(3)},
		{"COUNT_DISTINCT", []doc.Type{doc.Integer, doc.Integer}, []*doc.Value{nil, c(i(100))}, []doc.Value{i(1), i(2), mv(i(2), i(3))}, doc.Long, l(3)},
		{"COUNT_DISTINCT", []doc.Type{doc.Date}, nil, []doc.Value{doc.DateMillis(1), doc.DateMillis(1), doc.DateMillis(2)}, doc.Long, l(2)},
		{"COUNT_DISTINCT", []doc.Type{doc.IP}, nil, []doc.Value{ip("127.0.0.1"), ip("::1"), ip("127.0.0.1")}, doc.Long, l(2)},
		{"COUNT_DISTINCT", []doc.Type{doc.Version}, nil, []doc.Value{ver("1.0"), ver("1.0"), ver("2.0")}, doc.Long, l(2)},
		{"MIN", []doc.Type{doc.Integer}, nil, []doc.Value{i(3), mv(i(1), i(5)), null}, doc.Integer, i(1)},
		{"MAX", []doc.Type{doc.Integer}, nil, []doc.Value{i(3), mv(i(1), i(5)), null}, doc.Integer, i(5)},
		{"MIN", []doc.Type{doc.Long}, nil, []doc.Value{null}, doc.Long, null},
		{"MIN", []doc.Type{doc.Null}, nil, []doc.Value{null}, doc.Null, null},
		{"MIN", []doc.Type{doc.Keyword}, nil, []doc.Value{k("b"), mv(k("ab"), k("c"))}, doc.Keyword, k("ab")},
		{"MAX", []doc.Type{doc.IP}, nil, []doc.Value{ip("::1"), ip("127.0.0.1"), ip("fe80::1")}, doc.IP, ip("fe80::1")},
		{"MIN", []doc.Type{doc.Boolean}, nil, []doc.Value{doc.Bool(true), doc.Bool(false)}, doc.Boolean, doc.Bool(false)},
		{"MAX", []doc.Type{doc.Date}, nil, []doc.Value{doc.DateMillis(5), doc.DateMillis(-5)}, doc.Date, doc.DateMillis(5)},
		{"MIN", []doc.Type{doc.Version}, nil, []doc.Value{ver("1.10.0"), ver("1.9.0"), ver("1.9.0-beta")}, doc.Version, ver("1.9.0-beta")},
		{"MAX", []doc.Type{doc.Version}, nil, []doc.Value{ver("1.10.0"), ver("1.9.0")}, doc.Version, ver("1.10.0")},
		{"MIN", []doc.Type{doc.Double}, nil, []doc.Value{d(1), d(math.NaN()), d(0)}, doc.Double, d(math.NaN())},
		{"MAX", []doc.Type{doc.Double}, nil, []doc.Value{d(-1.5), mv(d(2.5), d(-3))}, doc.Double, d(2.5)},
		{"SUM", []doc.Type{doc.Integer}, nil, []doc.Value{i(1), mv(i(2), i(3)), null}, doc.Long, l(6)},
		{"SUM", []doc.Type{doc.Long}, nil, []doc.Value{l(math.MaxInt64), l(1)}, doc.Long, null},
		{"SUM", []doc.Type{doc.Long}, nil, []doc.Value{null}, doc.Long, null},
		{"SUM", []doc.Type{doc.Double}, nil, []doc.Value{d(.1), d(.1), d(.1), d(.1), d(.1), d(.1), d(.1), d(.1), d(.1), d(.1)}, doc.Double, d(1)},
		{"AVG", []doc.Type{doc.Integer}, nil, []doc.Value{i(1), i(2), null}, doc.Double, d(1.5)},
		{"AVG", []doc.Type{doc.Long}, nil, []doc.Value{mv(l(40612), l(44428))}, doc.Double, d(42520)},
		{"AVG", []doc.Type{doc.Double}, nil, nil, doc.Double, null},
		{"MEDIAN", []doc.Type{doc.Integer}, nil, []doc.Value{i(4), mv(i(1), i(3)), i(2)}, doc.Double, d(2.5)},
		{"MEDIAN", []doc.Type{doc.Double}, nil, []doc.Value{d(7)}, doc.Double, d(7)},
		{"MEDIAN", []doc.Type{doc.Long}, nil, nil, doc.Double, null},
		{"PERCENTILE", []doc.Type{doc.Integer, doc.Integer}, []*doc.Value{nil, c(i(25))}, []doc.Value{i(5), i(4), i(3), i(2), i(1)}, doc.Double, d(2)},
		{"PERCENTILE", []doc.Type{doc.Integer, doc.Double}, []*doc.Value{nil, c(d(90))}, []doc.Value{i(1), i(2)}, doc.Double, d(1.9)},
		{"PERCENTILE", []doc.Type{doc.Long, doc.Integer}, []*doc.Value{nil, c(i(100))}, []doc.Value{l(1), l(9), l(3)}, doc.Double, d(9)},
		{"MEDIAN_ABSOLUTE_DEVIATION", []doc.Type{doc.Integer}, nil, []doc.Value{i(1), i(1), i(2), i(2), i(4), i(6), i(9)}, doc.Double, d(1)},
		{"VALUES", []doc.Type{doc.Keyword}, nil, []doc.Value{k("b"), mv(k("a"), k("b")), null, k("c")}, doc.Keyword, mv(k("b"), k("a"), k("c"))},
		{"VALUES", []doc.Type{doc.Integer}, nil, []doc.Value{i(3), i(1), i(3)}, doc.Integer, mv(i(3), i(1))},
		{"VALUES", []doc.Type{doc.Long}, nil, []doc.Value{l(3), l(3)}, doc.Long, l(3)},
		{"VALUES", []doc.Type{doc.Text}, nil, []doc.Value{null}, doc.Keyword, null},
		{"VALUES", []doc.Type{doc.Text}, nil, []doc.Value{doc.TextOf("b"), doc.TextOf("a")}, doc.Keyword, mv(k("b"), k("a"))},
		{"MAX", []doc.Type{doc.Text}, nil, []doc.Value{doc.TextOf("b"), doc.TextOf("a")}, doc.Keyword, k("b")},
		{"TOP", []doc.Type{doc.Text, doc.Integer}, []*doc.Value{nil, c(i(1))}, []doc.Value{doc.TextOf("b"), doc.TextOf("a")}, doc.Keyword, k("a")},
		{"MAX", []doc.Type{doc.UnsignedLong}, nil, []doc.Value{doc.ULong(1), doc.ULong(1 << 63)}, doc.UnsignedLong, doc.ULong(1 << 63)},
		{"VALUES", []doc.Type{doc.Boolean}, nil, []doc.Value{doc.Bool(true), doc.Bool(false), doc.Bool(true)}, doc.Boolean, mv(doc.Bool(true), doc.Bool(false))},
		{"TOP", []doc.Type{doc.Integer, doc.Integer, doc.Keyword}, []*doc.Value{nil, c(i(2)), c(k("DESC"))}, []doc.Value{i(1), mv(i(5), i(3)), i(5)}, doc.Integer, mv(i(5), i(5))},
		{"TOP", []doc.Type{doc.Integer, doc.Integer, doc.Keyword}, []*doc.Value{nil, c(i(3)), c(k("asc"))}, []doc.Value{i(9), mv(i(5), i(3)), i(1), null}, doc.Integer, mv(i(1), i(3), i(5))},
		{"TOP", []doc.Type{doc.Keyword, doc.Integer}, []*doc.Value{nil, c(i(5))}, []doc.Value{k("b")}, doc.Keyword, k("b")},
		{"TOP", []doc.Type{doc.Double, doc.Integer, doc.Keyword}, []*doc.Value{nil, c(i(5)), c(k("desc"))}, nil, doc.Double, null},
		{"STD_DEV", []doc.Type{doc.Integer}, nil, []doc.Value{i(2), i(4), i(4), i(4), mv(i(5), i(5)), i(7), i(9)}, doc.Double, d(2)},
		{"VARIANCE", []doc.Type{doc.Double}, nil, []doc.Value{d(2), d(4), d(4), d(4), d(5), d(5), d(7), d(9)}, doc.Double, d(4)},
		{"STD_DEV", []doc.Type{doc.Long}, nil, nil, doc.Double, null},
	}
	for _, tc := range cases {
		rt, fac := mustResolve(t, tc.name, tc.args, tc.consts)
		if rt != tc.wantType {
			t.Errorf("%s%v: type %s, want %s", tc.name, tc.args, rt, tc.wantType)
		}
		s := fac()
		for _, v := range tc.in {
			s.Add(v)
		}
		if got := s.Result(); !same(got, tc.want) {
			t.Errorf("%s%v over %v = %v (%s), want %v (%s)", tc.name, tc.args, tc.in, got, got.T, tc.want, tc.want.T)
		}
	}
}

func TestSumOverflowFails(t *testing.T) {
	for _, name := range []string{"SUM", "AVG"} {
		_, fac := mustResolve(t, name, []doc.Type{doc.Long}, nil)
		s := fac()
		s.Add(mv(l(math.MaxInt64), l(1)))
		s.Add(l(-5)) // a failed group stays failed
		if !s.Result().IsNull() || s.(Failer).Err() != ErrLongOverflow {
			t.Errorf("%s: %v, %v", name, s.Result(), s.(Failer).Err())
		}
		if ErrLongOverflow.Error() != "java.lang.ArithmeticException: long overflow" {
			t.Error(ErrLongOverflow)
		}
		ok := fac()
		ok.Add(l(math.MinInt64))
		ok.Add(l(math.MaxInt64))
		if ok.(Failer).Err() != nil {
			t.Errorf("%s: spurious overflow", name)
		}
	}
}

func TestResolveErrors(t *testing.T) {
	cases := []struct {
		name   string
		args   []doc.Type
		consts []*doc.Value
		want   string
	}{
		{"SUM", []doc.Type{doc.Keyword}, nil, "found type [keyword]"},
		{"AVG", []doc.Type{doc.UnsignedLong}, nil, "numeric except unsigned_long"},
		{"MIN", []doc.Type{doc.GeoPoint}, nil, "found type [geo_point]"},
		{"COUNT_DISTINCT", []doc.Type{doc.UnsignedLong}, nil, "unsigned_long"},
		{"COUNT_DISTINCT", []doc.Type{doc.Keyword, doc.Integer}, []*doc.Value{nil, nil}, "must be a constant"},
		{"COUNT_DISTINCT", []doc.Type{doc.Keyword, doc.Keyword}, []*doc.Value{nil, c(k("x"))}, "found type [keyword]"},
		{"PERCENTILE", []doc.Type{doc.Integer, doc.Integer}, []*doc.Value{nil, c(i(101))}, "[0, 100]"},
		{"PERCENTILE", []doc.Type{doc.Integer, doc.Integer}, []*doc.Value{nil, nil}, "must be a constant"},
		{"TOP", []doc.Type{doc.Integer, doc.Integer, doc.Keyword}, []*doc.Value{nil, c(i(0)), c(k("asc"))}, "greater than 0"},
		{"TOP", []doc.Type{doc.Integer, doc.Integer, doc.Keyword}, []*doc.Value{nil, c(i(1)), c(k("up"))}, "expected [ASC, DESC] but got [up]"},
		{"MEDIAN", []doc.Type{doc.Date}, nil, "found type [datetime]"},
		{"VALUES", []doc.Type{doc.UnsignedLong}, nil, "except unsigned_long"},
		{"TOP", []doc.Type{doc.Integer, doc.Keyword}, []*doc.Value{nil, c(k("1"))}, "found type [keyword]"},
	}
	for _, tc := range cases {
		f, _ := Lookup(tc.name)
		_, _, err := f.Resolve(tc.args, tc.consts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s%v: error %v, want one containing %q", tc.name, tc.args, err, tc.want)
		}
	}
}

func TestLookupAndNames(t *testing.T) {
	for _, n := range Names() {
		f, ok := Lookup(strings.ToLower(n))
		if !ok || f.Name != n {
			t.Errorf("Lookup(%q) failed", strings.ToLower(n))
		}
	}
	if _, ok := Lookup("NOPE"); ok {
		t.Error("Lookup(NOPE) succeeded")
	}
	if len(Names()) != 16 {
		t.Errorf("Names() = %v", Names())
	}
}

// splitCase is one aggregate fed random rows for the merge and
// serialisation properties.
type splitCase struct {
	name      string
	args      []doc.Type
	consts    []*doc.Value
	n         int
	gen       func(r *rand.Rand) doc.Value
	approx    bool // floating results compared with a tolerance
	unordered bool // multi-value order depends on the split (VALUES)
}

func genInt(r *rand.Rand) doc.Value {
	switch r.IntN(6) {
	case 0:
		return doc.Value{}
	case 1:
		return mv(i(r.Int32N(1000)-500), i(r.Int32N(1000)-500))
	}
	return i(r.Int32N(1000) - 500)
}

func genKeyword(r *rand.Rand) doc.Value {
	switch r.IntN(6) {
	case 0:
		return doc.Value{}
	case 1:
		return mv(k(strconv.Itoa(r.IntN(300))), k(strconv.Itoa(r.IntN(300))))
	}
	return k(strconv.Itoa(r.IntN(300)))
}

func splitCases() []splitCase {
	wide := func(r *rand.Rand) doc.Value { return k("v" + strconv.Itoa(r.IntN(1<<30))) }
	return []splitCase{
		{"COUNT", []doc.Type{doc.Null}, nil, 2000, genInt, false, false},
		{"COUNT", []doc.Type{doc.Integer}, nil, 2000, genInt, false, false},
		{"COUNT_DISTINCT", []doc.Type{doc.Keyword}, nil, 2000, genKeyword, false, false},
		{"COUNT_DISTINCT", []doc.Type{doc.Keyword}, nil, 30000, wide, false, false},                                         // above 3000: dense
		{"COUNT_DISTINCT", []doc.Type{doc.Keyword, doc.Integer}, []*doc.Value{nil, c(i(40000))}, 60000, wide, false, false}, // p = 18, dense
		{"COUNT_DISTINCT", []doc.Type{doc.Integer, doc.Integer}, []*doc.Value{nil, c(i(5))}, 500, genInt, false, false},
		{"COUNT_DISTINCT", []doc.Type{doc.Boolean}, nil, 50, func(r *rand.Rand) doc.Value { return doc.Bool(r.IntN(2) == 0) }, false, false},
		{"MIN", []doc.Type{doc.Integer}, nil, 2000, genInt, false, false},
		{"MAX", []doc.Type{doc.Keyword}, nil, 2000, genKeyword, false, false},
		{"SUM", []doc.Type{doc.Integer}, nil, 2000, genInt, false, false},
		{"SUM", []doc.Type{doc.Double}, nil, 2000, func(r *rand.Rand) doc.Value { return d(float64(r.IntN(100))) }, false, false},
		{"AVG", []doc.Type{doc.Integer}, nil, 2000, genInt, false, false},
		{"AVG", []doc.Type{doc.Double}, nil, 2000, func(r *rand.Rand) doc.Value { return d(r.Float64()) }, true, false},
		{"MEDIAN", []doc.Type{doc.Integer}, nil, 2000, genInt, false, false},
		{"PERCENTILE", []doc.Type{doc.Integer, doc.Integer}, []*doc.Value{nil, c(i(90))}, 2000, genInt, false, false},
		{"MEDIAN_ABSOLUTE_DEVIATION", []doc.Type{doc.Integer}, nil, 2000, genInt, false, false},
		{"VALUES", []doc.Type{doc.Keyword}, nil, 2000, genKeyword, false, true},
		{"VALUES", []doc.Type{doc.Integer}, nil, 2000, genInt, false, true},
		{"TOP", []doc.Type{doc.Integer, doc.Integer, doc.Keyword}, []*doc.Value{nil, c(i(7)), c(k("desc"))}, 2000, genInt, false, false},
		{"TOP", []doc.Type{doc.Keyword, doc.Integer, doc.Keyword}, []*doc.Value{nil, c(i(3)), c(k("asc"))}, 2000, genKeyword, false, false},
		{"STD_DEV", []doc.Type{doc.Integer}, nil, 2000, genInt, true, false},
		{"VARIANCE", []doc.Type{doc.Integer}, nil, 2000, genInt, true, false},
	}
}

func approxEqual(a, b doc.Value) bool {
	if a.T != doc.Double || b.T != doc.Double || a.M != nil || b.M != nil {
		return same(a, b)
	}
	return math.Abs(a.F-b.F) <= 1e-9*math.Max(1, math.Abs(a.F))
}

// TestMergeAndMarshal: N partial states (each serialised and restored on the
// way) merged together give the single state's answer.
func TestMergeAndMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for _, tc := range splitCases() {
		_, fac := mustResolve(t, tc.name, tc.args, tc.consts)
		rows := make([]doc.Value, tc.n)
		for j := range rows {
			rows[j] = tc.gen(r)
		}
		for trial := 0; trial < 3; trial++ {
			single := fac()
			parts := make([]State, 1+r.IntN(8))
			for j := range parts {
				parts[j] = fac()
			}
			for _, v := range rows {
				single.Add(v)
				parts[r.IntN(len(parts))].Add(v)
			}
			merged := fac()
			for _, p := range parts {
				b, err := Marshal(p)
				if err != nil {
					t.Fatal(err)
				}
				back, err := Restore(fac, b)
				if err != nil {
					t.Fatalf("%s%v: restore: %v", tc.name, tc.args, err)
				}
				merged.Merge(back)
			}
			want, got := single.Result(), merged.Result()
			ok := same(want, got)
			if tc.approx {
				ok = approxEqual(want, got)
			}
			if tc.unordered {
				ok = same(sorted(want), sorted(got))
			}
			if !ok {
				t.Errorf("%s%v over %d parts: merged %v, single %v", tc.name, tc.args, len(parts), got, want)
			}
		}
	}
}

func TestSample(t *testing.T) {
	_, fac := mustResolve(t, "SAMPLE", []doc.Type{doc.Text, doc.Integer}, []*doc.Value{nil, c(i(3))})
	in := map[string]bool{}
	parts := []State{fac(), fac(), fac()}
	for j := range 100 {
		s := strconv.Itoa(j)
		in[s] = true
		parts[j%3].Add(doc.TextOf(s))
	}
	parts[0].Add(doc.Value{})
	b, err := Marshal(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	restored, err := Restore(fac, b)
	if err != nil {
		t.Fatal(err)
	}
	parts[0].Merge(restored)
	parts[0].Merge(parts[2])
	got := parts[0].Result()
	if got.Len() != 3 || got.T != doc.Keyword {
		t.Fatalf("SAMPLE = %v (%s), want 3 keyword values", got, got.T)
	}
	for j := range got.Len() {
		if !in[got.At(j).S] {
			t.Errorf("SAMPLE returned %v, not an input", got.At(j))
		}
	}
	few := fac()
	few.Add(mv(k("a"), k("a")))
	if r := few.Result(); r.Len() != 2 {
		t.Errorf("SAMPLE of 2 values with limit 3 = %v", r)
	}
	if r := fac().Result(); !r.IsNull() {
		t.Errorf("empty SAMPLE = %v", r)
	}
}

func sorted(v doc.Value) doc.Value {
	if v.M != nil {
		v.M = slices.Clone(v.M)
		slices.SortFunc(v.M, cmpValues)
	}
	return v
}

// TestValuesContiguousMerge: merging contiguous partitions in input order
// reproduces the sequential first-seen order exactly.
func TestValuesContiguousMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	_, fac := mustResolve(t, "VALUES", []doc.Type{doc.Keyword}, nil)
	rows := make([]doc.Value, 3000)
	for j := range rows {
		rows[j] = genKeyword(r)
	}
	single := fac()
	for _, v := range rows {
		single.Add(v)
	}
	merged := fac()
	for start := 0; start < len(rows); {
		end := min(len(rows), start+1+r.IntN(500))
		p := fac()
		for _, v := range rows[start:end] {
			p.Add(v)
		}
		merged.Merge(p)
		start = end
	}
	if want, got := single.Result(), merged.Result(); !same(want, got) {
		t.Errorf("contiguous merge: %v, want %v", got, want)
	}
}

func TestRestoreRejectsOtherStates(t *testing.T) {
	_, minF := mustResolve(t, "MIN", []doc.Type{doc.Integer}, nil)
	_, maxF := mustResolve(t, "MAX", []doc.Type{doc.Integer}, nil)
	_, cdF := mustResolve(t, "COUNT_DISTINCT", []doc.Type{doc.Keyword, doc.Integer}, []*doc.Value{nil, c(i(100))})
	_, cd2F := mustResolve(t, "COUNT_DISTINCT", []doc.Type{doc.Keyword}, nil)
	s := minF()
	s.Add(i(4))
	b, _ := Marshal(s)
	if _, err := Restore(maxF, b); err == nil {
		t.Error("MAX restored MIN's state")
	}
	cd := cdF()
	cd.Add(k("x"))
	b, _ = Marshal(cd)
	if _, err := Restore(cd2F, b); err == nil {
		t.Error("COUNT_DISTINCT restored a state of another precision")
	}
	if _, err := Restore(cdF, b[:len(b)-1]); err == nil {
		t.Error("truncated state restored")
	}
}

// TestConformanceHosts replays stats_count_distinct.csv-spec's tests over the
// hosts data set (countDistinctOfIp, countDistinctOfIpPrecision,
// countDistinctOfIpGroupByKeyword).
func TestConformanceHosts(t *testing.T) {
	f, err := os.Open("../../../../shared/conformance/esql/data/hosts.csv")
	if err != nil {
		t.Skip("shared conformance data absent")
	}
	defer f.Close()
	type row struct {
		host     string
		ip0, ip1 doc.Value
	}
	var rows []row
	sc := bufio.NewScanner(f)
	sc.Scan() // schema
	for sc.Scan() {
		cells := splitCSV(sc.Text())
		rows = append(rows, row{strings.TrimSpace(cells[0]), parseIPs(cells[4]), parseIPs(cells[5])})
	}
	count := func(pick func(row) doc.Value, consts []*doc.Value, host string) int64 {
		args := []doc.Type{doc.IP}
		if consts != nil {
			args = append(args, doc.Integer)
		}
		_, fac := mustResolve(t, "COUNT_DISTINCT", args, consts)
		s := fac()
		for _, r := range rows {
			if host == "" || r.host == host {
				s.Add(pick(r))
			}
		}
		return s.Result().I
	}
	ip0 := func(r row) doc.Value { return r.ip0 }
	ip1 := func(r row) doc.Value { return r.ip1 }
	for _, tc := range []struct {
		name      string
		got, want int64
	}{
		{"COUNT_DISTINCT(ip0)", count(ip0, nil, ""), 7},
		{"COUNT_DISTINCT(ip1)", count(ip1, nil, ""), 8},
		{"COUNT_DISTINCT(ip0, 80000)", count(ip0, []*doc.Value{nil, c(i(80000))}, ""), 7},
		{"COUNT_DISTINCT(ip1, 5)", count(ip1, []*doc.Value{nil, c(i(5))}, ""), 9},
		{"alpha ip0", count(ip0, nil, "alpha"), 2}, {"alpha ip1", count(ip1, nil, "alpha"), 2},
		{"beta ip0", count(ip0, nil, "beta"), 1}, {"beta ip1", count(ip1, nil, "beta"), 3},
		{"epsilon ip0", count(ip0, nil, "epsilon"), 5}, {"epsilon ip1", count(ip1, nil, "epsilon"), 6},
		{"gamma ip0", count(ip0, nil, "gamma"), 1}, {"gamma ip1", count(ip1, nil, "gamma"), 2},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}

// splitCSV splits a csv-spec data line on commas outside [...].
func splitCSV(line string) []string {
	var out []string
	depth, start := 0, 0
	for j := 0; j < len(line); j++ {
		switch line[j] {
		case '[':
			depth++
		case ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, line[start:j])
				start = j + 1
			}
		}
	}
	return append(out, line[start:])
}

func parseIPs(cell string) doc.Value {
	cell = strings.Trim(strings.TrimSpace(cell), "[]")
	var vs []doc.Value
	for _, p := range strings.Split(cell, ",") {
		if p = strings.TrimSpace(p); p != "" {
			vs = append(vs, ip(p))
		}
	}
	return doc.Multi(doc.IP, vs)
}

func FuzzUnmarshal(f *testing.F) {
	var facs []Factory
	r := rand.New(rand.NewPCG(1, 1))
	for _, tc := range splitCases() {
		_, fac := mustResolve(f, tc.name, tc.args, tc.consts)
		facs = append(facs, fac)
		s := fac()
		for range 5 {
			s.Add(tc.gen(r))
		}
		b, _ := Marshal(s)
		f.Add(b)
	}
	_, sample := mustResolve(f, "SAMPLE", []doc.Type{doc.Keyword, doc.Integer}, []*doc.Value{nil, c(i(2))})
	facs = append(facs, sample)
	ss := sample()
	ss.Add(mv(k("a"), k("b"), k("c")))
	b, _ := Marshal(ss)
	f.Add(b)
	f.Add([]byte{tagValues, byte(doc.Keyword), 1, byte(doc.Keyword), 1, 'a'})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, fac := range facs {
			s, err := Restore(fac, b)
			if err != nil {
				continue
			}
			_ = s.Result()
			again, err := Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			s2, err := Restore(fac, again)
			if err != nil {
				t.Fatalf("re-encoding rejected: %v", err)
			}
			if !same(s.Result(), s2.Result()) && !(s.Result().T == doc.Double && math.IsNaN(s.Result().F)) {
				t.Fatalf("round trip changed the result: %v vs %v", s.Result(), s2.Result())
			}
			s2.Merge(s)
		}
	})
}

func BenchmarkCountDistinct(b *testing.B) {
	_, fac := mustResolve(b, "COUNT_DISTINCT", []doc.Type{doc.Keyword}, nil)
	vals := make([]doc.Value, 1<<16)
	for j := range vals {
		vals[j] = k("/usr/bin/python3." + strconv.Itoa(j))
	}
	s := fac()
	b.ResetTimer()
	for j := 0; b.Loop(); j++ {
		s.Add(vals[j&(len(vals)-1)])
	}
}

// TestNoPerRowAllocation: the hot aggregates fold repeated values without allocating.
func TestNoPerRowAllocation(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []doc.Type
		v    doc.Value
	}{
		{"COUNT", []doc.Type{doc.Keyword}, k("x")},
		{"COUNT_DISTINCT", []doc.Type{doc.Keyword}, mv(k("x"), k("y"))},
		{"COUNT_DISTINCT", []doc.Type{doc.Boolean}, doc.Bool(true)},
		{"MIN", []doc.Type{doc.Keyword}, k("x")},
		{"MAX", []doc.Type{doc.Long}, l(5)},
		{"SUM", []doc.Type{doc.Long}, l(5)},
		{"AVG", []doc.Type{doc.Double}, d(5)},
		{"VALUES", []doc.Type{doc.Keyword}, k("x")},
		{"STD_DEV", []doc.Type{doc.Double}, d(5)},
	} {
		_, fac := mustResolve(t, tc.name, tc.args, nil)
		s := fac()
		s.Add(tc.v)
		if n := testing.AllocsPerRun(100, func() { s.Add(tc.v) }); n != 0 {
			t.Errorf("%s%v: %v allocations per row", tc.name, tc.args, n)
		}
	}
}

// VALUES de-duplicates the same way below and above the size where it
// switches from scanning to a hash set, keeping first-seen order.
func TestValuesAcrossLinearLimit(t *testing.T) {
	f, _ := Lookup("VALUES")
	_, factory, err := f.Resolve([]doc.Type{doc.Long}, []*doc.Value{nil})
	if err != nil {
		t.Fatal(err)
	}
	st := factory()
	var want []int64
	for i := 0; i < 3*valuesLinear; i++ {
		n := int64((i * 7) % (2 * valuesLinear)) // every value twice, interleaved
		st.Add(doc.Long64(n))
		if !slices.Contains(want, n) {
			want = append(want, n)
		}
	}
	got := st.Result()
	if got.Len() != len(want) {
		t.Fatalf("%d values, want %d", got.Len(), len(want))
	}
	for i, n := range want {
		if got.At(i).I != n {
			t.Fatalf("value %d = %d, want %d (first-seen order)", i, got.At(i).I, n)
		}
	}
}
