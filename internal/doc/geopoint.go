package doc

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// This file reads geo_point values: {"lat":…,"lon":…}, [lon, lat] (GeoJSON
// order), "lat,lon" and WKT "POINT (lon lat)", checking the ranges
// Elasticsearch checks. Geohashes are not supported. Rare and off the hot
// path, but read with the scanner like every value, so a line is read once.

// geoObject reads {"lat":…,"lon":…}.
func (d *Decoder) geoObject(pi int32) bool {
	off := d.pos
	d.pos++
	lat, lon := math.NaN(), math.NaN()
	for first := true; ; first = false {
		more, ok := d.objectNext(first)
		if !ok {
			return false
		}
		if !more {
			break
		}
		key, ok := d.readString()
		if !ok || !d.colon() {
			return false
		}
		kind, s, ok := d.scalarOrSkip()
		if !ok {
			return false
		}
		if kind == tokNumber || kind == tokString {
			f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err == nil {
				switch key {
				case "lat":
					lat = f
				case "lon":
					lon = f
				}
			}
		}
	}
	v, err := geoPoint(lat, lon)
	if err != nil {
		if d.opts.IgnoreMalformed {
			return true
		}
		return d.fieldFail(d.plans[pi].name, "field must be either [lat], [lon] or [geohash]: "+err.Error(), off)
	}
	if d.plans[pi].emit {
		d.push(pi, v)
	}
	return true
}

// geoArray recognises [lon, lat] (GeoJSON order). handled is false when the
// array holds something else (then it is a list of points).
func (d *Decoder) geoArray(pi int32) (v Value, ok, handled bool) {
	start := d.pos
	d.pos++
	var nums [3]float64
	n := 0
	for {
		d.skipWS()
		if d.pos >= len(d.data) {
			d.pos = start
			return Value{}, false, false
		}
		c := d.data[d.pos]
		if c == ']' {
			d.pos++
			break
		}
		if n > 0 {
			if c != ',' {
				d.pos = start
				return Value{}, false, false
			}
			d.pos++
			d.skipWS()
			if d.pos >= len(d.data) {
				d.pos = start
				return Value{}, false, false
			}
			c = d.data[d.pos]
		}
		if c != '-' && (c < '0' || c > '9') || n == 3 {
			d.pos = start
			return Value{}, false, false
		}
		s, good := d.readNumber()
		if !good {
			return Value{}, false, true
		}
		f, _ := strconv.ParseFloat(s, 64)
		nums[n] = f
		n++
	}
	if n < 2 {
		d.pos = start
		return Value{}, false, false
	}
	gv, err := geoPoint(nums[1], nums[0])
	if err != nil {
		if d.opts.IgnoreMalformed {
			return Value{}, true, true
		}
		d.fieldFail(d.plans[pi].name, err.Error(), start)
		return Value{}, false, true
	}
	return gv, true, true
}

// parseGeoString reads the string forms of a geo_point: "lat,lon" and WKT
// "POINT (lon lat)". ES|QL loads geo_point from _source and prints WKT.
func parseGeoString(s string) (Value, error) {
	t := strings.TrimSpace(s)
	if len(t) > 5 && strings.EqualFold(t[:5], "POINT") {
		body := strings.TrimSpace(t[5:])
		if len(body) < 2 || body[0] != '(' || body[len(body)-1] != ')' {
			return Value{}, errors.New("invalid WKT point [" + s + "]")
		}
		parts := strings.Fields(body[1 : len(body)-1])
		if len(parts) < 2 || len(parts) > 3 {
			return Value{}, errors.New("invalid WKT point [" + s + "]")
		}
		lon, err1 := strconv.ParseFloat(parts[0], 64)
		lat, err2 := strconv.ParseFloat(parts[1], 64)
		if err1 != nil || err2 != nil {
			return Value{}, errors.New("invalid WKT point [" + s + "]")
		}
		return geoPoint(lat, lon)
	}
	la, lo, ok := strings.Cut(t, ",")
	if !ok {
		return Value{}, errors.New("unsupported geo_point format [" + s + "] (geohash is not supported)")
	}
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(la), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
	if err1 != nil || err2 != nil {
		return Value{}, errors.New("invalid geo_point [" + s + "]")
	}
	return geoPoint(lat, lon)
}

func geoPoint(lat, lon float64) (Value, error) {
	if lat < -90 || lat > 90 || math.IsNaN(lat) {
		return Value{}, errors.New("illegal latitude value [" + FormatDouble(lat) + "]")
	}
	if lon < -180 || lon > 180 || math.IsNaN(lon) {
		return Value{}, errors.New("illegal longitude value [" + FormatDouble(lon) + "]")
	}
	return Value{T: GeoPoint, S: "POINT (" + FormatDouble(lon) + " " + FormatDouble(lat) + ")"}, nil
}
