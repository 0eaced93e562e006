package fn

import (
	"math"
	"strconv"
	"strings"

	"vigil/internal/doc"
)

// Spatial functions over points: ST_X, ST_Y, ST_DISTANCE, and the string
// conversions TO_GEOPOINT and TO_CARTESIANPOINT. A point value holds its WKT,
// "POINT (x y)" (x is the longitude of a geo_point), as ES|QL prints it.

// parseWKTPoint reads a WKT point as Elasticsearch's WellKnownText parser
// does for the shapes ES|QL can hold in a point column: the keyword is
// case-insensitive, the parentheses may touch it, and a third (z) coordinate
// is read and dropped. Errors are worded after SpatialCoordinateTypes.wktToWkb
// ("Failed to parse WKT: …"); other geometries are reported rather than held
// in a point column as Elasticsearch would.
func parseWKTPoint(s string) (x, y float64, err error) {
	fail := func(msg string) (float64, float64, error) {
		return 0, 0, EvalError("java.lang.IllegalArgumentException: Failed to parse WKT: " + msg)
	}
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= 'A' && t[i] <= 'Z' || t[i] >= 'a' && t[i] <= 'z') {
		i++
	}
	word := strings.ToUpper(t[:i])
	switch word {
	case "POINT":
	case "":
		return fail("expected word but found: " + firstToken(t))
	case "MULTIPOINT", "LINESTRING", "MULTILINESTRING", "POLYGON", "MULTIPOLYGON", "GEOMETRYCOLLECTION", "BBOX", "CIRCLE":
		return fail("unsupported geometry type [" + word + "] for a point")
	default:
		return fail("Unknown geometry type: " + strings.ToLower(word))
	}
	body := strings.TrimSpace(t[i:])
	if strings.EqualFold(body, "EMPTY") {
		return fail("empty point")
	}
	if len(body) < 2 || body[0] != '(' || body[len(body)-1] != ')' {
		return fail("expected ( but found: " + firstToken(body))
	}
	parts := strings.Fields(body[1 : len(body)-1])
	if len(parts) < 2 || len(parts) > 3 {
		return fail("expected number but found: " + strings.Join(parts, " "))
	}
	var c [2]float64
	for k := range c {
		f, perr := strconv.ParseFloat(parts[k], 64)
		if perr != nil || strings.ContainsAny(parts[k], "xXpP_") {
			return fail("expected number but found: " + parts[k])
		}
		c[k] = f
	}
	return c[0], c[1], nil
}

func firstToken(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return "EOF"
}

// pointOf renders a point value from coordinates.
func pointOf(t doc.Type, x, y float64) doc.Value {
	return doc.Value{T: t, S: "POINT (" + doc.FormatDouble(x) + " " + doc.FormatDouble(y) + ")"}
}

// wktPointConverter converts strings to points (TO_GEOPOINT,
// TO_CARTESIANPOINT, ::geo_point): EsqlDataTypeConverter.stringToSpatial,
// which parses WKT without validating coordinate ranges.
func wktPointConverter(to doc.Type) convFn {
	return func(v doc.Value) (doc.Value, error) {
		x, y, err := parseWKTPoint(v.S)
		if err != nil {
			return doc.Value{}, err
		}
		return pointOf(to, x, y), nil
	}
}

func isPoint(t doc.Type) bool { return t == doc.GeoPoint || t == doc.CartesianPoint }

// registerCoordinate registers ST_X / ST_Y: a ConvertEvaluator in
// Elasticsearch (StX.fromWellKnownBinary), so a multi-valued point gives a
// multi-valued double and null gives null.
func registerCoordinate(name string, pick func(x, y float64) float64) {
	register(&Func{Name: name, MinArgs: 1, MaxArgs: 1, Resolve: func(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
		switch {
		case args[0] == doc.Null:
			return doc.Double, nullEval, nil
		case !isPoint(args[0]):
			return doc.Null, nil, &TypeError{Arg: 0, Expected: "geo_point or cartesian_point", Found: args[0]}
		}
		return doc.Double, convEval(doc.Double, func(v doc.Value) (doc.Value, error) {
			x, y, err := parseWKTPoint(v.S)
			if err != nil {
				return doc.Value{}, err
			}
			return doc.Float(pick(x, y)), nil
		}), nil
	}})
}

// stDistance is ST_DISTANCE (StDistance.java): both arguments points of the
// same coordinate system; null when either is null; for multi-valued
// arguments the smallest distance over all pairs, without a warning.
func stDistance(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	for i, t := range args {
		if t != doc.Null && !isPoint(t) {
			return doc.Null, nil, &TypeError{Arg: i, Expected: "geo_point or cartesian_point", Found: t}
		}
	}
	if args[0] == doc.Null || args[1] == doc.Null {
		return doc.Double, nullEval, nil
	}
	if args[0] != args[1] {
		return doc.Null, nil, &TypeError{Arg: 1, Expected: args[0].String(), Found: args[1]}
	}
	dist := cartesianDistance
	if args[0] == doc.GeoPoint {
		dist = geoDistance
	}
	return doc.Double, func(a []doc.Value) (doc.Value, error) {
		if a[0].T == doc.Null || a[1].T == doc.Null {
			return doc.Value{}, nil
		}
		best := math.MaxFloat64
		var failed error
		for _, l := range elems(a[0]) {
			lx, ly, err := parseWKTPoint(l.S)
			if err != nil {
				failed = err
				continue
			}
			for _, r := range elems(a[1]) {
				rx, ry, err := parseWKTPoint(r.S)
				if err != nil {
					failed = err
					continue
				}
				d, err := dist(lx, ly, rx, ry)
				if err != nil {
					failed = err
					continue
				}
				best = min(best, d)
			}
		}
		if failed != nil {
			return doc.Value{}, failed
		}
		return doc.Float(best), nil
	}, nil
}

// elems lists a non-null value's elements.
func elems(v doc.Value) []doc.Value {
	if v.M != nil {
		return v.M
	}
	return []doc.Value{v}
}

// cartesianDistance is Elasticsearch's pythagorean distance, which first
// rounds the coordinates to float as Lucene stores them.
func cartesianDistance(x1, y1, x2, y2 float64) (float64, error) {
	dx := float64(float32(x1)) - float64(float32(x2))
	dy := float64(float32(y1)) - float64(float32(y2))
	return math.Sqrt(dx*dx + dy*dy), nil
}

// geoDistance is StDistance's GeoDistanceCalculator: the coordinates are
// quantized to Lucene's 32-bit encoding (GeoUtils.quantizeLat/Lon), then
// measured with Lucene's SloppyMath.haversinMeters on a sphere of the mean
// earth radius 6,371,008.7714 m (see sloppy.go). Quantizing checks the
// ranges (TO_GEOPOINT does not), failing as Lucene's checkLatitude does.
func geoDistance(lon1, lat1, lon2, lat2 float64) (float64, error) {
	for _, c := range [...]struct {
		v, lim float64
		what   string
	}{{lat1, 90, "latitude"}, {lon1, 180, "longitude"}, {lat2, 90, "latitude"}, {lon2, 180, "longitude"}} {
		if !(c.v >= -c.lim && c.v <= c.lim) {
			return 0, EvalError("java.lang.IllegalArgumentException: invalid " + c.what + " " + doc.FormatDouble(c.v) +
				"; must be between " + doc.FormatDouble(-c.lim) + " and " + doc.FormatDouble(c.lim))
		}
	}
	return haversinMeters(quantizeLat(lat1), quantizeLon(lon1), quantizeLat(lat2), quantizeLon(lon2)), nil
}

// Lucene's GeoEncodingUtils: 2^32 steps over 180 degrees of latitude and 360
// of longitude, rounding down; the top value is nudged below the range end.
var (
	latDecode = 1 / (float64(int64(1)<<32) / 180.0)
	lonDecode = 1 / (float64(int64(1)<<32) / 360.0)
)

func quantizeLat(lat float64) float64 {
	if lat == 90 {
		lat = math.Nextafter(lat, 0)
	}
	return float64(int32(math.Floor(lat/latDecode))) * latDecode
}

func quantizeLon(lon float64) float64 {
	if lon == 180 {
		lon = math.Nextafter(lon, 0)
	}
	return float64(int32(math.Floor(lon/lonDecode))) * lonDecode
}

func init() {
	registerCoordinate("ST_X", func(x, _ float64) float64 { return x })
	registerCoordinate("ST_Y", func(_, y float64) float64 { return y })
	register(&Func{Name: "ST_DISTANCE", MinArgs: 2, MaxArgs: 2, Resolve: stDistance})
	registerConversion(doc.GeoPoint, "TO_GEOPOINT")
	registerConversion(doc.CartesianPoint, "TO_CARTESIANPOINT")
}
