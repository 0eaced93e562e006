package fn

import "math"

// Java's Math.atan and Math.atan2 are StrictMath's, i.e. fdlibm's s_atan.c
// and e_atan2.c (no HotSpot intrinsic), and Go's math.Atan is a different
// polynomial that can differ in the last bit (ATAN(12.9): Go
// 1.4934316673669232, Elasticsearch 1.4934316673669235 per the ATAN
// reference page). These follow fdlibm's published algorithm (Sun's freely
// redistributable fdlibm 5.3) so the results are bit-identical. float64()
// conversions keep Go from fusing multiply-adds, which would change rounding.

var (
	atanHi = [4]float64{
		4.63647609000806093515e-01, // atan(0.5) hi
		7.85398163397448278999e-01, // atan(1.0) hi
		9.82793723247329054082e-01, // atan(1.5) hi
		1.57079632679489655800e+00, // atan(inf) hi
	}
	atanLo = [4]float64{
		2.26987774529616870924e-17,
		3.06161699786838301793e-17,
		1.39033110312309984516e-17,
		6.12323399573676603587e-17,
	}
	atanT = [11]float64{
		3.33333333333329318027e-01,
		-1.99999999998764832476e-01,
		1.42857142725034663711e-01,
		-1.11111104054623557880e-01,
		9.09088713343650656196e-02,
		-7.69187620504482999495e-02,
		6.66107313738753120669e-02,
		-5.83357013379057348645e-02,
		4.97687799461593236017e-02,
		-3.65315727442169155270e-02,
		1.62858201153657823623e-02,
	}
)

// fdAtan is fdlibm's atan.
func fdAtan(x float64) float64 {
	hx := int32(math.Float64bits(x) >> 32)
	ix := hx & 0x7fffffff
	var id int
	switch {
	case ix >= 0x44100000: // |x| >= 2^66
		if math.IsNaN(x) {
			return x
		}
		if hx > 0 {
			return atanHi[3] + atanLo[3]
		}
		return -atanHi[3] - atanLo[3]
	case ix < 0x3fdc0000: // |x| < 0.4375
		if ix < 0x3e200000 { // |x| < 2^-29: atan(x) rounds to x
			return x
		}
		id = -1
	default:
		x = math.Abs(x)
		switch {
		case ix < 0x3fe60000: // 7/16 <= |x| < 11/16
			id, x = 0, (2.0*x-1.0)/(2.0+x)
		case ix < 0x3ff30000: // 11/16 <= |x| < 19/16
			id, x = 1, (x-1.0)/(x+1.0)
		case ix < 0x40038000: // |x| < 2.4375
			id, x = 2, (x-1.5)/(1.0+float64(1.5*x))
		default: // 2.4375 <= |x| < 2^66
			id, x = 3, -1.0/x
		}
	}
	z := float64(x * x)
	w := float64(z * z)
	t := atanT
	// Horner form, each product rounded on its own as in C.
	s1 := t[10]
	for _, c := range [...]float64{t[8], t[6], t[4], t[2], t[0]} {
		s1 = c + float64(w*s1)
	}
	s1 = float64(z * s1)
	s2 := t[9]
	for _, c := range [...]float64{t[7], t[5], t[3], t[1]} {
		s2 = c + float64(w*s2)
	}
	s2 = float64(w * s2)
	if id < 0 {
		return x - float64(x*(s1+s2))
	}
	r := atanHi[id] - ((float64(x*(s1+s2)) - atanLo[id]) - x)
	if hx < 0 {
		return -r
	}
	return r
}

const (
	fdPiO4 = 7.8539816339744827900e-01
	fdPiO2 = 1.5707963267948965580e+00
	fdPi   = 3.1415926535897931160e+00
	fdPiLo = 1.2246467991473531772e-16
)

// fdAtan2 is fdlibm's atan2 (tiny offsets that only raise the inexact flag
// are left out: they do not change the rounded result).
func fdAtan2(y, x float64) float64 {
	if math.IsNaN(x) || math.IsNaN(y) {
		return x + y
	}
	if x == 1.0 {
		return fdAtan(y)
	}
	// m = 2*sign(x) + sign(y)
	m := 0
	if math.Signbit(y) {
		m |= 1
	}
	if math.Signbit(x) {
		m |= 2
	}
	if y == 0 {
		switch m {
		case 0, 1:
			return y
		case 2:
			return fdPi
		}
		return -fdPi
	}
	if x == 0 {
		if y < 0 {
			return -fdPiO2
		}
		return fdPiO2
	}
	if math.IsInf(x, 0) {
		if math.IsInf(y, 0) {
			switch m {
			case 0:
				return fdPiO4
			case 1:
				return -fdPiO4
			case 2:
				return 3.0 * fdPiO4
			}
			return -3.0 * fdPiO4
		}
		switch m {
		case 0:
			return 0
		case 1:
			return math.Copysign(0, -1)
		case 2:
			return fdPi
		}
		return -fdPi
	}
	if math.IsInf(y, 0) {
		if y < 0 {
			return -fdPiO2
		}
		return fdPiO2
	}
	hx := int32(math.Float64bits(x) >> 32)
	ix := hx & 0x7fffffff
	iy := int32(math.Float64bits(y)>>32) & 0x7fffffff
	var z float64
	k := (iy - ix) >> 20
	switch {
	case k > 60: // |y/x| > 2^60
		z = fdPiO2 + 0.5*fdPiLo
	case hx < 0 && k < -60: // |y|/x < -2^60
		z = 0
	default:
		z = fdAtan(math.Abs(y / x))
	}
	switch m {
	case 0:
		return z
	case 1:
		return -z
	case 2:
		return fdPi - (z - fdPiLo)
	}
	return (z - fdPiLo) - fdPi
}
