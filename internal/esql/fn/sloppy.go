package fn

import (
	"math"
	"sync"
)

// Lucene's SloppyMath (org.apache.lucene.util.SloppyMath, Apache-2.0): the
// table-driven cosine and arc sine behind haversinMeters, which ES|QL's
// ST_DISTANCE uses for geo_points. Its results differ from an exact
// haversine in the last digits (Elasticsearch's docs: CPH airport to city
// 7339.573896618216 m), so the same algorithm is followed here: cos from a
// 2049-entry table over [0, 2π] with a 4th-order Taylor step, asin from an
// 8193-entry table over [0, sin 73°] with 4 derivative terms and fdlibm's
// rational approximation above it. The tables are built with fdlibm.go's
// ports of the fdlibm functions behind Java's StrictMath, which Lucene uses,
// so every entry is bit-identical (TestSloppyTablesAreStrictMath); Go's own
// math.Sin/Cos/Asin differ from them in a quarter of the entries.

const earthMeanRadius = 6_371_008.7714 // meters (WGS84 mean radius, as Lucene)

var sloppy struct {
	once sync.Once
	// cos/sin tables
	sinTab, cosTab []float64
	// asin tables: value and the first four derivatives over k!
	asinTab, asinD1, asinD2, asinD3, asinD4 []float64
}

const (
	sinCosTabsSize = 1<<11 + 1
	asinTabsSize   = 1<<13 + 1
)

var (
	pio2Hi        = math.Float64frombits(0x3FF921FB54400000)
	pio2Lo        = math.Float64frombits(0x3DD0B4611A626331)
	twoPiHi       = 4 * pio2Hi
	twoPiLo       = 4 * pio2Lo
	sinCosDeltaHi = twoPiHi / (sinCosTabsSize - 1)
	sinCosDeltaLo = twoPiLo / (sinCosTabsSize - 1)
	sinCosIndexer = 1 / (sinCosDeltaHi + sinCosDeltaLo)
	// above this, cos falls back to the exact function (int index range)
	sinCosMaxForIntModulo = (float64(math.MaxInt32>>9) / sinCosIndexer) * 0.99

	asinMaxForTabs = fdSin(73.0 * math.Pi / 180)
	asinDelta      = asinMaxForTabs / (asinTabsSize - 1)
	asinIndexer    = 1 / asinDelta

	asinPio2Hi = math.Float64frombits(0x3FF921FB54442D18)
	asinPio2Lo = math.Float64frombits(0x3C91A62633145C07)
	asinPS0    = math.Float64frombits(0x3fc5555555555555)
	asinPS1    = math.Float64frombits(0xbfd4d61203eb6f7d)
	asinPS2    = math.Float64frombits(0x3fc9c1550e884455)
	asinPS3    = math.Float64frombits(0xbfa48228b5688f3b)
	asinPS4    = math.Float64frombits(0x3f49efe07501b288)
	asinPS5    = math.Float64frombits(0x3f023de10dfdf709)
	asinQS1    = math.Float64frombits(0xc0033a271c8a2d4b)
	asinQS2    = math.Float64frombits(0x40002ae59c598ac8)
	asinQS3    = math.Float64frombits(0xbfe6066c1b8d0159)
	asinQS4    = math.Float64frombits(0x3fb3b8c5b12e9282)
)

func sloppyTables() {
	s := &sloppy
	s.sinTab = make([]float64, sinCosTabsSize)
	s.cosTab = make([]float64, sinCosTabsSize)
	piIndex := (sinCosTabsSize - 1) / 2
	for i := range sinCosTabsSize {
		angle := float64(float64(i)*sinCosDeltaHi) + float64(float64(i)*sinCosDeltaLo)
		sinA, cosA := fdSin(angle), fdCos(angle)
		// exact zeros where sine or cosine vanish
		switch i {
		case piIndex, 2 * piIndex:
			sinA = 0
		case piIndex / 2, 3 * piIndex / 2:
			cosA = 0
		}
		s.sinTab[i], s.cosTab[i] = sinA, cosA
	}
	s.asinTab = make([]float64, asinTabsSize)
	s.asinD1 = make([]float64, asinTabsSize)
	s.asinD2 = make([]float64, asinTabsSize)
	s.asinD3 = make([]float64, asinTabsSize)
	s.asinD4 = make([]float64, asinTabsSize)
	for i := range asinTabsSize {
		x := float64(i) * asinDelta
		s.asinTab[i] = fdAsin(x)
		inv := 1.0 / (1 - float64(x*x))
		inv05 := math.Sqrt(inv)
		inv15 := inv05 * inv
		inv25 := inv15 * inv
		inv35 := inv25 * inv
		s.asinD1[i] = inv05
		s.asinD2[i] = (x * inv15) * (1 / 2.0)
		s.asinD3[i] = ((1 + float64(2*x*x)) * inv25) * (1 / 6.0)
		s.asinD4[i] = ((5 + float64(2*x*(2+float64(x*(5-float64(2*x)))))) * inv35) * (1 / 24.0)
	}
}

// sloppyCos is SloppyMath.cos.
func sloppyCos(a float64) float64 {
	if a < 0 {
		a = -a
	}
	if a > sinCosMaxForIntModulo {
		return math.Cos(a)
	}
	index := int(float64(a*sinCosIndexer) + 0.5)
	delta := float64(a-float64(float64(index)*sinCosDeltaHi)) - float64(float64(index)*sinCosDeltaLo)
	index &= sinCosTabsSize - 2
	c, s := sloppy.cosTab[index], sloppy.sinTab[index]
	// float64() conversions keep the compiler from fusing multiply-adds
	// (as on arm64), which would round differently from Java.
	t := float64(float64(delta*c) * (1 / 24.0))
	t = float64(delta * (float64(s*(1/6.0)) + t))
	t = float64(delta * (float64(-c*(1/2.0)) + t))
	return c + float64(delta*(-s+t))
}

// sloppyAsin is SloppyMath.asin.
func sloppyAsin(a float64) float64 {
	neg := a < 0
	if neg {
		a = -a
	}
	var r float64
	switch {
	case a <= asinMaxForTabs:
		index := int(float64(a*asinIndexer) + 0.5)
		delta := a - float64(float64(index)*asinDelta)
		s := &sloppy
		t := float64(delta * s.asinD4[index])
		t = float64(delta * (s.asinD3[index] + t))
		t = float64(delta * (s.asinD2[index] + t))
		r = s.asinTab[index] + float64(delta*(s.asinD1[index]+t))
	case a < 1:
		t := (1.0 - a) * 0.5
		p := float64(t * asinPS5)
		for _, c := range [...]float64{asinPS4, asinPS3, asinPS2, asinPS1, asinPS0} {
			p = float64(t * (c + p))
		}
		q := float64(t * asinQS4)
		for _, c := range [...]float64{asinQS3, asinQS2, asinQS1} {
			q = float64(t * (c + q))
		}
		q = 1.0 + q
		s := math.Sqrt(t)
		z := s + float64(s*(p/q))
		r = asinPio2Hi - (float64(z+z) - asinPio2Lo)
	case a == 1:
		r = math.Pi / 2
	default:
		return math.NaN()
	}
	if neg {
		return -r
	}
	return r
}

// haversinMeters is SloppyMath.haversinMeters(lat1, lon1, lat2, lon2).
func haversinMeters(lat1, lon1, lat2, lon2 float64) float64 {
	sloppy.once.Do(sloppyTables)
	x1, x2 := toRadians(lat1), toRadians(lat2)
	h1 := 1 - sloppyCos(x1-x2)
	h2 := 1 - sloppyCos(toRadians(lon1-lon2))
	h := h1 + float64(float64(sloppyCos(x1)*sloppyCos(x2))*h2)
	// Lucene clears the low mantissa bits so rounding makes no ties
	h = math.Float64frombits(math.Float64bits(h) &^ 7)
	return earthMeanRadius * 2 * sloppyAsin(math.Min(1, math.Sqrt(h*0.5)))
}

// toRadians is Java's Math.toRadians (one multiplication by π/180).
func toRadians(deg float64) float64 { return deg * (math.Pi / 180) }
