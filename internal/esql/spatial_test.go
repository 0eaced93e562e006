package esql

import (
	"reflect"
	"testing"

	"vigil/internal/doc"
)

// TestSpatial runs the point functions through the engine, csv-spec style:
// Elasticsearch's documented examples (spatial.csv-spec st_x_y,
// to_geopoint-str, st_distance-airports) plus nulls, multi-values and
// warnings. Points come from ROW literals and from geo_point fields decoded
// out of JSON (lat/lon object, "lat,lon" string, [lon, lat] array, WKT).
func TestSpatial(t *testing.T) {
	m := doc.NewMapping()
	m.Add(doc.Field{Name: "location", Type: doc.GeoPoint, ESType: "geo_point"})
	m.Add(doc.Field{Name: "city_location", Type: doc.GeoPoint, ESType: "geo_point"})
	m.Add(doc.Field{Name: "abbrev", Type: doc.Keyword, ESType: "keyword"})
	dec := doc.NewDecoder(m, doc.DecodeOptions{})
	var docs []*doc.Document
	for _, line := range []string{
		`{"abbrev":"CPH","location":{"lat":55.6285017221528,"lon":12.6493508684508},"city_location":"55.6761,12.5683"}`,
		`{"abbrev":"TWO","location":[[12.6493508684508,55.6285017221528],"POINT (0 0)"],"city_location":"POINT (12.5683 55.6761)"}`,
		`{"abbrev":"NUL","city_location":"POINT (12.5683 55.6761)"}`,
	} {
		d, err := dec.Decode([]byte(line))
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		docs = append(docs, d)
	}
	cases := []struct {
		name, q string
		want    []string
		warns   []string
	}{
		{"st_x_y", `ROW point = TO_GEOPOINT("POINT(42.97109629958868 14.7552534006536)") | EVAL x = ST_X(point), y = ST_Y(point)`,
			[]string{"point:geo_point|x:double|y:double", "POINT (42.97109629958868 14.7552534006536)|42.97109629958868|14.7552534006536"}, nil},
		{"to_geopoint-str", `ROW wkt = "POINT(42.97109630194 14.7552534413725)" | EVAL pt = TO_GEOPOINT(wkt)`,
			[]string{"wkt:keyword|pt:geo_point", "POINT(42.97109630194 14.7552534413725)|POINT (42.97109630194 14.7552534413725)"}, nil},
		{"cast", `ROW pt = "POINT(1 2)"::geo_point | EVAL x = ST_X(pt)`, []string{"pt:geo_point|x:double", "POINT (1.0 2.0)|1.0"}, nil},
		{"st_distance-airports", `FROM airports | WHERE abbrev == "CPH" | EVAL distance = ST_DISTANCE(location, city_location) | KEEP abbrev, location, city_location, distance`,
			[]string{"abbrev:keyword|location:geo_point|city_location:geo_point|distance:double",
				"CPH|POINT (12.6493508684508 55.6285017221528)|POINT (12.5683 55.6761)|7339.573896618216"}, nil},
		// a multi-valued point: ST_X of each value; ST_DISTANCE the nearest; null stays null
		{"fields", `FROM airports | EVAL x = ST_X(location), d = ST_DISTANCE(location, city_location), near = d < 10000 | KEEP abbrev, x, d, near`,
			[]string{"abbrev:keyword|x:double|d:double|near:boolean", "CPH|12.6493508684508|7339.573896618216|true",
				"TWO|[12.6493508684508, 0.0]|7339.573896618216|true", "NUL|null|null|null"}, nil},
		{"constant point", `FROM airports | WHERE ST_DISTANCE(city_location, TO_GEOPOINT("POINT(12.5683 55.6761)")) == 0 | STATS n = COUNT(*)`,
			[]string{"n:long", "3"}, nil},
		{"bad wkt warns", `ROW s = ["POINT (1 2)", "foo"] | EVAL p = TO_GEOPOINT(s)`,
			[]string{"s:keyword|p:geo_point", "[POINT (1 2), foo]|POINT (1.0 2.0)"},
			[]string{"Line 1:43: evaluation of [TO_GEOPOINT(s)] failed, treating result as null. Only first 20 failures recorded.",
				"Line 1:43: java.lang.IllegalArgumentException: Failed to parse WKT: Unknown geometry type: foo"}},
		{"first of points", `FROM airports | STATS p = FIRST(city_location, 1::long), l = LAST(ST_X(location), 1::long)`,
			[]string{"p:geo_point|l:double", "POINT (12.5683 55.6761)|12.6493508684508"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Run(tc.q, testCatalog{m}, seq(docs), Options{})
			if err != nil {
				t.Fatalf("%s: %v", tc.q, err)
			}
			if got := render(r); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			if !reflect.DeepEqual(r.Warnings, tc.warns) && len(r.Warnings)+len(tc.warns) > 0 {
				t.Errorf("warnings %q\n    want %q", r.Warnings, tc.warns)
			}
		})
	}
}

func TestSpatialErrors(t *testing.T) {
	m := doc.NewMapping()
	m.Add(doc.Field{Name: "location", Type: doc.GeoPoint, ESType: "geo_point"})
	m.Add(doc.Field{Name: "name", Type: doc.Keyword, ESType: "keyword"})
	for _, tc := range []struct{ q, want string }{
		{"FROM x | EVAL v = ST_X(name)", "line 1:19: argument of [ST_X(name)] must be [geo_point or cartesian_point], found value [name] type [keyword]"},
		{"FROM x | EVAL v = ST_DISTANCE(location, name)", "line 1:19: second argument of [ST_DISTANCE(location, name)] must be [geo_point or cartesian_point], found value [name] type [keyword]"},
		{"FROM x | EVAL v = TO_GEOPOINT(1)", "line 1:19: argument of [TO_GEOPOINT(1)] must be [geo_point or keyword or text], found value [1] type [integer]"},
	} {
		_, err := Compile(tc.q, testCatalog{m}, Options{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got  %v\n want %s", tc.q, err, tc.want)
		}
	}
}
