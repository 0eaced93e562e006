package esql

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"vigil/internal/doc"
)

// voyager is Elasticsearch's voyager.csv test data set (stats_first_last.csv-spec),
// with multi-values as the index's doc values load them (sorted; keywords
// and ips also deduplicated).
func voyager() (*doc.Mapping, []*doc.Document) {
	m := doc.NewMapping()
	for name, t := range map[string]doc.Type{
		"row_no": doc.Integer, "@timestamp": doc.Date, "distance_to_earth": doc.Long, "active_instruments": doc.Integer,
		"collision_risk": doc.Double, "ack_station_ip": doc.IP, "low_power_mode": doc.Boolean, "status": doc.Keyword, "notes": doc.Text,
	} {
		m.Add(doc.Field{Name: name, Type: t, ESType: t.String()})
	}
	ts := func(s ...string) doc.Value {
		var vs []doc.Value
		for _, x := range s {
			t, _ := time.Parse(time.RFC3339, x)
			vs = append(vs, doc.TimeOf(t))
		}
		return doc.Multi(doc.Date, vs)
	}
	many := func(t doc.Type, vs ...doc.Value) doc.Value { return doc.Multi(t, vs) }
	ipv := func(s string) doc.Value { return doc.IPOf(netip.MustParseAddr(s)) }
	txt := func(s ...string) doc.Value {
		var vs []doc.Value
		for _, x := range s {
			vs = append(vs, doc.TextOf(x))
		}
		return doc.Multi(doc.Text, vs)
	}
	rows := []map[string]doc.Value{
		{"row_no": doc.Int(1), "distance_to_earth": doc.Long64(21190910703), "active_instruments": ints(3, 4), "collision_risk": doc.Float(0.0011),
			"ack_station_ip": ipv("173.21.3.13"), "low_power_mode": doc.Bool(false), "status": kw("yellow"), "notes": txt("everything's fine")},
		{"row_no": doc.Int(2), "@timestamp": ts("2025-12-25T00:00:20Z"), "distance_to_earth": doc.Long64(21190910704), "active_instruments": ints(6),
			"collision_risk": doc.Float(0.0012), "ack_station_ip": ipv("173.21.3.14"), "low_power_mode": doc.Bool(false), "status": kw("green"), "notes": txt("all clear")},
		{"row_no": doc.Int(3), "@timestamp": ts("2025-12-25T00:00:15Z", "2025-12-25T00:00:25Z"), "distance_to_earth": doc.Long64(21190910705),
			"collision_risk": doc.Float(0.0013), "ack_station_ip": ipv("173.21.3.15"), "low_power_mode": doc.Bool(false), "status": kw("green"), "notes": txt("aliens inspecting the golden record")},
		{"row_no": doc.Int(4), "@timestamp": ts("2025-12-25T00:00:10Z", "2025-12-25T00:00:20Z", "2025-12-25T00:00:30Z"),
			"distance_to_earth": many(doc.Long, doc.Long64(21190910701), doc.Long64(21190910702)), "active_instruments": ints(4, 4, 5),
			"collision_risk": many(doc.Double, doc.Float(0.0001), doc.Float(0.0002)), "ack_station_ip": many(doc.IP, ipv("173.21.3.11"), ipv("173.21.3.12")),
			"low_power_mode": many(doc.Boolean, doc.Bool(false), doc.Bool(true)), "status": kw("OK", "green"), "notes": txt("all clear", "nothing to report")},
		{"row_no": doc.Int(5), "@timestamp": ts("2025-12-25T00:00:20Z"), "distance_to_earth": doc.Long64(21190910706), "active_instruments": ints(7),
			"collision_risk": doc.Float(0.0014), "ack_station_ip": ipv("173.21.3.16"), "low_power_mode": doc.Bool(false), "status": kw("red"), "notes": txt("something's out there!!")},
		{"row_no": doc.Int(6)},
	}
	var docs []*doc.Document
	for i, f := range rows {
		docs = append(docs, &doc.Document{Index: "voyager", ID: string(rune('1' + i)), Fields: f})
	}
	return m, docs
}

// runSplit runs q over docs in one execution, and again for every split
// into two contiguous parts merged in input order (as the parallel sweep
// merges), failing when a split changes the result.
func runSplit(t *testing.T, q string, m *doc.Mapping, docs []*doc.Document) *Result {
	t.Helper()
	cq, err := Compile(q, testCatalog{m}, Options{})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var want *Result
	for cut := 0; cut <= len(docs); cut++ {
		a, b := cq.NewExecution(), cq.NewExecution()
		for i, d := range docs {
			if i < cut {
				a.Push(d)
			} else {
				b.Push(d)
			}
		}
		a.Merge(b)
		r, err := a.Finish()
		if err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = r
		} else if !reflect.DeepEqual(render(r), render(want)) {
			t.Fatalf("%s: split at %d gives %q, unsplit %q", q, cut, render(r), render(want))
		}
	}
	return want
}

// TestFirstLast ports Elasticsearch's stats_first_last.csv-spec cases.
func TestFirstLast(t *testing.T) {
	m, docs := voyager()
	cases := []struct {
		name, q string
		want    []string
	}{
		{"multi-values", `FROM voyager | STATS f_distance = FIRST(distance_to_earth, @timestamp), f_active_instruments = FIRST(active_instruments, @timestamp),
			f_collision_risk = FIRST(collision_risk, @timestamp), f_ack_station_ip = FIRST(ack_station_ip, @timestamp),
			f_low_power_mode = FIRST(low_power_mode, @timestamp), f_status = FIRST(status, @timestamp), f_notes = FIRST(notes, @timestamp),
			l_distance = LAST(distance_to_earth, @timestamp), l_notes = LAST(notes, @timestamp)`,
			[]string{"f_distance:long|f_active_instruments:integer|f_collision_risk:double|f_ack_station_ip:ip|f_low_power_mode:boolean|f_status:keyword|f_notes:keyword|l_distance:long|l_notes:keyword",
				"[21190910701, 21190910702]|[4, 4, 5]|[1.0E-4, 2.0E-4]|[173.21.3.11, 173.21.3.12]|[false, true]|[OK, green]|[all clear, nothing to report]|[21190910701, 21190910702]|[all clear, nothing to report]"}},
		{"nulls", `FROM voyager | WHERE row_no IN (6, -1) | STATS f = FIRST(distance_to_earth, @timestamp), l = LAST(notes, @timestamp)`,
			[]string{"f:long|l:keyword", "null|null"}},
		{"groups", `FROM voyager | STATS distance = FIRST(distance_to_earth, @timestamp) BY status | SORT status ASC`,
			[]string{"distance:long|status:keyword", "[21190910701, 21190910702]|OK", "[21190910701, 21190910702]|green", "21190910706|red", "21190910703|yellow", "null|null"}},
		{"empty ungrouped", `FROM voyager | WHERE row_no == -1 | STATS d1 = FIRST(distance_to_earth, @timestamp), d2 = LAST(distance_to_earth, @timestamp)`,
			[]string{"d1:long|d2:long", "null|null"}},
		{"empty grouped", `FROM voyager | WHERE row_no == -1 | STATS d1 = FIRST(distance_to_earth, @timestamp) BY status`,
			[]string{"d1:long|status:keyword"}},
		{"dates as values", `FROM voyager | STATS f_date = FIRST(@timestamp, distance_to_earth), l_date = LAST(@timestamp, distance_to_earth)`,
			[]string{"f_date:datetime|l_date:datetime", "[2025-12-25T00:00:10.000Z, 2025-12-25T00:00:20.000Z, 2025-12-25T00:00:30.000Z]|2025-12-25T00:00:20.000Z"}},
		{"same field twice", `FROM voyager | STATS x = FIRST(@timestamp, @timestamp), y = LAST(distance_to_earth, distance_to_earth)`,
			[]string{"x:datetime|y:long", "[2025-12-25T00:00:10.000Z, 2025-12-25T00:00:20.000Z, 2025-12-25T00:00:30.000Z]|21190910706"}},
		{"foldable values", `FROM voyager | EVAL p = 3, q = null | STATS a1 = FIRST(p, @timestamp), a2 = LAST(p, @timestamp), b1 = FIRST(null, @timestamp)`,
			[]string{"a1:integer|a2:integer|b1:null", "3|3|null"}},
		// every sort value ties (or is null): the first row wins
		{"foldable sort", `FROM voyager | EVAL p = 7::long, q = null | STATS x01 = FIRST(@timestamp, p), x03 = FIRST(active_instruments, p),
			x04 = LAST(active_instruments, p), x07 = FIRST(distance_to_earth, 7::long), x11 = FIRST(collision_risk, null), x14 = LAST(ack_station_ip, q)`,
			[]string{"x01:datetime|x03:integer|x04:integer|x07:long|x11:double|x14:ip", "null|[3, 4]|[3, 4]|21190910703|0.0011|173.21.3.13"}},
		{"integer sort", `FROM voyager | STATS f_distance = FIRST(distance_to_earth, row_no), f_notes = FIRST(notes, row_no), l_distance = LAST(distance_to_earth, row_no)`,
			[]string{"f_distance:long|f_notes:keyword|l_distance:long", "21190910703|everything's fine|null"}},
		{"foldable value by group", `FROM voyager | EVAL p = 3.14 | STATS x = FIRST(p, null) BY status | SORT status ASC NULLS FIRST`,
			[]string{"x:double|status:keyword", "3.14|null", "3.14|OK", "3.14|green", "3.14|red", "3.14|yellow"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runSplit(t, tc.q, m, docs)
			if got := render(r); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			if len(r.Warnings) != 0 {
				t.Errorf("warnings %q", r.Warnings)
			}
		})
	}
}

// TestFirstLastRow is the csv-spec's ROW-built data set: a null value on the
// earliest row is FIRST's answer, and TO_LONG's failures warn as usual.
func TestFirstLastRow(t *testing.T) {
	q := `ROW row = ["2025-11-25T00:00:00.000Z | alpha | ", "2025-11-25T00:00:01.000Z | alpha | 2", "2025-11-25T00:00:02.000Z | bravo | ",
  "2025-11-25T00:00:03.000Z | alpha | 4", "2025-11-25T00:00:04.000Z | bravo | 5", "2025-11-25T00:00:05.000Z | charlie | 6", "2025-11-25T00:00:06.000Z | delta | "]
| MV_EXPAND row
| DISSECT row """%{@timestamp} | %{name} | %{number}"""
| KEEP @timestamp, name, number
| EVAL @timestamp = TO_DATETIME(@timestamp), name = TRIM(name), number = TO_LONG(number)
| STATS `
	warns := []string{
		"Line 6:74: evaluation of [TO_LONG(number)] failed, treating result as null. Only first 20 failures recorded.",
		"Line 6:74: org.elasticsearch.xpack.esql.core.InvalidArgumentException: Cannot parse number []",
	}
	for _, tc := range []struct {
		stats string
		want  []string
	}{
		{"first_val = FIRST(number, @timestamp)", []string{"first_val:long", "null"}},
		{"last_val = LAST(number, @timestamp) BY name | SORT name", []string{"last_val:long|name:keyword", "4|alpha", "5|bravo", "6|charlie", "null|delta"}},
		{"first_val = FIRST(@timestamp, number), last_val = LAST(@timestamp, number)", []string{"first_val:datetime|last_val:datetime", "2025-11-25T00:00:01.000Z|2025-11-25T00:00:05.000Z"}},
	} {
		r, err := Run(q+tc.stats, testCatalog{doc.NewMapping()}, seq(nil), Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.stats, err)
		}
		if got := render(r); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %q want %q", tc.stats, got, tc.want)
		}
		if !reflect.DeepEqual(r.Warnings, warns) {
			t.Errorf("%s: warnings %q want %q", tc.stats, r.Warnings, warns)
		}
	}
}

func TestFirstLastErrors(t *testing.T) {
	m, _ := voyager()
	for _, tc := range []struct{ q, want string }{
		{"FROM v | STATS x = FIRST(status, status)", "line 1:20: second argument of [FIRST(status, status)] must be [int or long or date_nanos or datetime], found value [status] type [keyword]"},
		{"FROM v | STATS x = LAST(collision_risk, collision_risk)", "line 1:20: second argument of [LAST(collision_risk, collision_risk)] must be [int or long or date_nanos or datetime], found value [collision_risk] type [double]"},
		{"FROM v | EVAL x = FIRST(status, row_no)", "line 1:19: aggregate function [FIRST(status, row_no)] not allowed outside STATS command"},
	} {
		_, err := Compile(tc.q, testCatalog{m}, Options{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got  %v\n want %s", tc.q, err, tc.want)
		}
	}
}
