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

// fdSin, fdCos and fdAsin are fdlibm's s_sin.c, s_cos.c (with k_sin.c,
// k_cos.c and the medium-size branch of e_rem_pio2.c) and e_asin.c, for
// StrictMath-exact tables (sloppy.go). Arguments beyond 2^19·π/2, which
// need the Payne-Hanek reduction, fall back to Go's math (never the case
// for the tables, whose angles stay within [0, 2π]).

var (
	ksS = [6]float64{ // k_sin.c S1…S6
		math.Float64frombits(0xBFC5555555555549), math.Float64frombits(0x3F8111111110F8A6),
		math.Float64frombits(0xBF2A01A019C161D5), math.Float64frombits(0x3EC71DE357B1FE7D),
		math.Float64frombits(0xBE5AE5E68A2B9CEB), math.Float64frombits(0x3DE5D93A5ACFD57C),
	}
	kcC = [6]float64{ // k_cos.c C1…C6
		math.Float64frombits(0x3FA555555555554C), math.Float64frombits(0xBF56C16C16C15177),
		math.Float64frombits(0x3EFA01A019CB1590), math.Float64frombits(0xBE927E4F809C52AD),
		math.Float64frombits(0x3E21EE9EBDB4B1C4), math.Float64frombits(0xBDA8FAE9BE8838D4),
	}
	rpInvPio2 = math.Float64frombits(0x3FE45F306DC9C883)
	rpPio2_1  = math.Float64frombits(0x3FF921FB54400000)
	rpPio2_1t = math.Float64frombits(0x3DD0B4611A626331)
	rpPio2_2  = math.Float64frombits(0x3DD0B4611A600000)
	rpPio2_2t = math.Float64frombits(0x3BA3198A2E037073)
	rpPio2_3  = math.Float64frombits(0x3BA3198A2E000000)
	rpPio2_3t = math.Float64frombits(0x397B839A252049C1)
	// high words of n·π/2 for n = 1…4 (e_rem_pio2.c npio2_hw; larger n
	// take the checked path, which is exact either way)
	rpNpio2HW = [4]int32{0x3FF921FB, 0x400921FB, 0x4012D97C, 0x401921FB}
)

func highWord(x float64) int32 { return int32(math.Float64bits(x) >> 32) }

func kernelSin(x, y float64, iy int) float64 {
	if highWord(x)&0x7fffffff < 0x3e400000 && int(x) == 0 {
		return x
	}
	z := float64(x * x)
	v := float64(z * x)
	r := ksS[1] + float64(z*(ksS[2]+float64(z*(ksS[3]+float64(z*(ksS[4]+float64(z*ksS[5])))))))
	if iy == 0 {
		return x + float64(v*(ksS[0]+float64(z*r)))
	}
	return x - ((float64(z*(float64(0.5*y)-float64(v*r))) - y) - float64(v*ksS[0]))
}

func kernelCos(x, y float64) float64 {
	ix := highWord(x) & 0x7fffffff
	if ix < 0x3e400000 && int(x) == 0 {
		return 1
	}
	z := float64(x * x)
	r := float64(z * (kcC[0] + float64(z*(kcC[1]+float64(z*(kcC[2]+float64(z*(kcC[3]+float64(z*(kcC[4]+float64(z*kcC[5])))))))))))
	if ix < 0x3FD33333 {
		return 1 - (float64(0.5*z) - (float64(z*r) - float64(x*y)))
	}
	qx := 0.28125
	if ix <= 0x3fe90000 {
		qx = math.Float64frombits(uint64(uint32(ix-0x00200000)) << 32)
	}
	hz := float64(0.5*z) - qx
	a := 1 - qx
	return a - (hz - (float64(z*r) - float64(x*y)))
}

// remPio2 reduces x by multiples of π/2 (|x| ≤ 2^19·π/2): x = n·π/2 + y0 + y1.
func remPio2(x float64) (n int, y0, y1 float64) {
	hx := highWord(x)
	ix := hx & 0x7fffffff
	if ix <= 0x3fe921fb {
		return 0, x, 0
	}
	if ix < 0x4002d97c { // |x| < 3π/4: n = ±1
		if hx > 0 {
			z := x - rpPio2_1
			if ix != 0x3ff921fb {
				y0 = z - rpPio2_1t
				return 1, y0, (z - y0) - rpPio2_1t
			}
			z -= rpPio2_2
			y0 = z - rpPio2_2t
			return 1, y0, (z - y0) - rpPio2_2t
		}
		z := x + rpPio2_1
		if ix != 0x3ff921fb {
			y0 = z + rpPio2_1t
			return -1, y0, (z - y0) + rpPio2_1t
		}
		z += rpPio2_2
		y0 = z + rpPio2_2t
		return -1, y0, (z - y0) + rpPio2_2t
	}
	t := math.Abs(x)
	n = int(float64(t*rpInvPio2) + 0.5)
	fn := float64(n)
	r := t - float64(fn*rpPio2_1)
	w := float64(fn * rpPio2_1t)
	if n <= len(rpNpio2HW) && ix != rpNpio2HW[n-1] {
		y0 = r - w
	} else {
		j := ix >> 20
		y0 = r - w
		if i := j - (highWord(y0)>>20)&0x7ff; i > 16 {
			t = r
			w = float64(fn * rpPio2_2)
			r = t - w
			w = float64(fn*rpPio2_2t) - ((t - r) - w)
			y0 = r - w
			if i = j - (highWord(y0)>>20)&0x7ff; i > 49 {
				t = r
				w = float64(fn * rpPio2_3)
				r = t - w
				w = float64(fn*rpPio2_3t) - ((t - r) - w)
				y0 = r - w
			}
		}
	}
	y1 = (r - y0) - w
	if hx < 0 {
		return -n, -y0, -y1
	}
	return n, y0, y1
}

func fdSin(x float64) float64 {
	if highWord(x)&0x7fffffff > 0x413921fb || math.IsNaN(x) || math.IsInf(x, 0) {
		return math.Sin(x)
	}
	n, y0, y1 := remPio2(x)
	switch n & 3 {
	case 0:
		if n == 0 && y1 == 0 {
			return kernelSin(y0, 0, 0)
		}
		return kernelSin(y0, y1, 1)
	case 1:
		return kernelCos(y0, y1)
	case 2:
		return -kernelSin(y0, y1, 1)
	}
	return -kernelCos(y0, y1)
}

func fdCos(x float64) float64 {
	if highWord(x)&0x7fffffff > 0x413921fb || math.IsNaN(x) || math.IsInf(x, 0) {
		return math.Cos(x)
	}
	n, y0, y1 := remPio2(x)
	switch n & 3 {
	case 0:
		return kernelCos(y0, y1)
	case 1:
		return -kernelSin(y0, y1, 1)
	case 2:
		return -kernelCos(y0, y1)
	}
	return kernelSin(y0, y1, 1)
}

// asinPQ is e_asin.c's rational approximation p(t)/q(t) (pS0…pS5, qS1…qS4:
// the same constants as SloppyMath's, sloppy.go).
func asinPQ(t float64) (p, q float64) {
	p = float64(t * (asinPS0 + float64(t*(asinPS1+float64(t*(asinPS2+float64(t*(asinPS3+float64(t*(asinPS4+float64(t*asinPS5)))))))))))
	q = 1 + float64(t*(asinQS1+float64(t*(asinQS2+float64(t*(asinQS3+float64(t*asinQS4)))))))
	return p, q
}

func fdAsin(x float64) float64 {
	hx := highWord(x)
	ix := hx & 0x7fffffff
	switch {
	case ix >= 0x3ff00000:
		if x == 1 || x == -1 {
			return float64(x*asinPio2Hi) + float64(x*asinPio2Lo)
		}
		return math.NaN()
	case ix < 0x3fe00000: // |x| < 0.5
		if ix < 0x3e400000 {
			return x
		}
		p, q := asinPQ(float64(x * x))
		return x + float64(x*(p/q))
	}
	w := 1 - math.Abs(x)
	t := float64(w * 0.5)
	p, q := asinPQ(t)
	s := math.Sqrt(t)
	if ix >= 0x3FEF3333 { // |x| > 0.975
		w = p / q
		t = asinPio2Hi - (float64(2.0*(s+float64(s*w))) - asinPio2Lo)
	} else {
		w = math.Float64frombits(math.Float64bits(s) &^ 0xffffffff)
		c := (t - float64(w*w)) / (s + w)
		r := p / q
		p = float64(float64(2.0*s)*r) - (asinPio2Lo - float64(2.0*c))
		q = pio4Hi - float64(2.0*w)
		t = pio4Hi - (p - q)
	}
	if hx > 0 {
		return t
	}
	return -t
}

var pio4Hi = math.Float64frombits(0x3FE921FB54442D18)
