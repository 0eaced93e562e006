package fn

import (
	"math"
	"testing"

	"vigil/internal/doc"
)

func geoOf(wkt string) doc.Value  { return doc.Value{T: doc.GeoPoint, S: wkt} }
func cartOf(wkt string) doc.Value { return doc.Value{T: doc.CartesianPoint, S: wkt} }

func TestSpatialFunctions(t *testing.T) {
	cph := geoOf("POINT (12.6493508684508 55.6285017221528)")
	cphCity := geoOf("POINT (12.5683 55.6761)")
	twoGeo := doc.Value{T: doc.GeoPoint, M: []doc.Value{geoOf("POINT (0.0 0.0)"), cphCity}}
	badWKT := "java.lang.IllegalArgumentException: Failed to parse WKT: "
	runCalls(t, []callCase{
		{name: "st_x", fn: "ST_X", args: []doc.Value{cphCity}, want: "12.5683", wantT: doc.Double, checkT: true},
		{name: "st_y", fn: "ST_Y", args: []doc.Value{cphCity}, want: "55.6761"},
		{name: "st_x cartesian", fn: "ST_X", args: []doc.Value{cartOf("POINT (1500.5 -2.0)")}, want: "1500.5"},
		{name: "st_y cartesian", fn: "ST_Y", args: []doc.Value{cartOf("POINT (1500.5 -2.0)")}, want: "-2.0"},
		{name: "st_x null", fn: "ST_X", args: []doc.Value{nullV}, types: []doc.Type{doc.GeoPoint}, want: "null"},
		{name: "st_x literal null", fn: "ST_X", args: []doc.Value{nullV}, want: "null"},
		// a ConvertEvaluator: element-wise, no warning
		{name: "st_x multi", fn: "ST_X", args: []doc.Value{twoGeo}, want: "[0.0, 12.5683]"},
		{name: "st_x keyword", fn: "ST_X", args: []doc.Value{kwOf("POINT (1 2)")}, resErr: true},

		// Elasticsearch's docs example (spatial.csv-spec st_distance-airports)
		{name: "st_distance cph", fn: "ST_DISTANCE", args: []doc.Value{cph, cphCity}, want: "7339.573896618216", wantT: doc.Double, checkT: true},
		{name: "st_distance symmetric", fn: "ST_DISTANCE", args: []doc.Value{cphCity, cph}, want: "7339.573896618216"},
		{name: "st_distance same", fn: "ST_DISTANCE", args: []doc.Value{cph, cph}, want: "0.0"},
		{name: "st_distance null", fn: "ST_DISTANCE", args: []doc.Value{cph, nullV}, types: []doc.Type{doc.GeoPoint, doc.GeoPoint}, want: "null"},
		// multi-values: the smallest distance over all pairs, no warning
		{name: "st_distance multi", fn: "ST_DISTANCE", args: []doc.Value{twoGeo, cph}, want: "7339.573896618216"},
		{name: "st_distance cartesian", fn: "ST_DISTANCE", args: []doc.Value{cartOf("POINT (0.0 0.0)"), cartOf("POINT (3.0 4.0)")}, want: "5.0"},
		{name: "st_distance crs mix", fn: "ST_DISTANCE", args: []doc.Value{cph, cartOf("POINT (3.0 4.0)")}, resErr: true},
		{name: "st_distance keyword", fn: "ST_DISTANCE", args: []doc.Value{cph, kwOf("POINT (3 4)")}, resErr: true},
		{name: "st_distance bad latitude", fn: "ST_DISTANCE", args: []doc.Value{geoOf("POINT (0.0 100.0)"), cph},
			err: "java.lang.IllegalArgumentException: invalid latitude 100.0; must be between -90.0 and 90.0"},

		{name: "to_geopoint", fn: "TO_GEOPOINT", args: []doc.Value{kwOf("POINT(42.97109630194 14.7552534413725)")}, want: "POINT (42.97109630194 14.7552534413725)", wantT: doc.GeoPoint, checkT: true},
		{name: "to_geopoint case and z", fn: "TO_GEOPOINT", args: []doc.Value{kwOf("  point ( 1 2 3 ) ")}, want: "POINT (1.0 2.0)"},
		{name: "to_geopoint no range check", fn: "TO_GEOPOINT", args: []doc.Value{kwOf("POINT (200 100)")}, want: "POINT (200.0 100.0)"},
		{name: "to_geopoint identity", fn: "TO_GEOPOINT", args: []doc.Value{cph}, want: cph.S},
		{name: "to_geopoint lat,lon is not WKT", fn: "TO_GEOPOINT", args: []doc.Value{kwOf("55.6,12.5")}, err: badWKT + "expected word but found: 55.6,12.5"},
		{name: "to_geopoint unknown", fn: "TO_GEOPOINT", args: []doc.Value{kwOf("PT (1 2)")}, err: badWKT + "Unknown geometry type: pt"},
		{name: "to_geopoint bad number", fn: "TO_GEOPOINT", args: []doc.Value{kwOf("POINT (1 x)")}, err: badWKT + "expected number but found: x"},
		{name: "to_geopoint multi all fail", fn: "TO_GEOPOINT", args: []doc.Value{kwsOf("nope", "POINT EMPTY")}, err: badWKT + "Unknown geometry type: nope"},
		{name: "to_geopoint long", fn: "TO_GEOPOINT", args: []doc.Value{doc.Long64(1)}, resErr: true,
			resErrS: "argument first must be [geo_point or keyword or text], found type [long]"},
		{name: "to_cartesianpoint", fn: "TO_CARTESIANPOINT", args: []doc.Value{kwOf("POINT (8455502.60394535 3613330.7325705294)")}, want: "POINT (8455502.60394535 3613330.7325705294)", wantT: doc.CartesianPoint, checkT: true},
	})
}

// TestGeoDistanceReference checks the sloppy haversine against an exact one:
// Lucene documents an error of at most 0.4 m (typically far smaller below
// 1000 km), and quantization moves a point by under a centimetre.
func TestGeoDistanceReference(t *testing.T) {
	exact := func(lat1, lon1, lat2, lon2 float64) float64 {
		r := math.Pi / 180
		h := math.Pow(math.Sin((lat2-lat1)*r/2), 2) + math.Cos(lat1*r)*math.Cos(lat2*r)*math.Pow(math.Sin((lon2-lon1)*r/2), 2)
		return 2 * earthMeanRadius * math.Asin(math.Min(1, math.Sqrt(h)))
	}
	for _, c := range [][4]float64{
		{0, 0, 0, 0}, {0, 0, 0, 1}, {55.6761, 12.5683, 40.4168, -3.7038}, {-33.9, 151.2, 51.5, -0.12},
		{89.9, 0, -89.9, 180}, {0, -179.9, 0, 179.9}, {10, 10, 10.00001, 10.00001}, {-90, -180, 90, 180},
	} {
		got, err := geoDistance(c[1], c[0], c[3], c[2])
		if err != nil {
			t.Fatal(err)
		}
		if want := exact(c[0], c[1], c[2], c[3]); math.Abs(got-want) > 0.5 {
			t.Errorf("%v: %v, exact %v", c, got, want)
		}
	}
}
