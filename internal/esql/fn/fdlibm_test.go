package fn

import (
	"math"
	"testing"
)

// The constants must be fdlibm's exact bit patterns.
func TestFdlibmConstants(t *testing.T) {
	for _, c := range []struct {
		v    float64
		bits uint64
	}{
		{atanHi[0], 0x3FDDAC670561BB4F}, {atanHi[1], 0x3FE921FB54442D18},
		{atanHi[2], 0x3FEF730BD281F69B}, {atanHi[3], 0x3FF921FB54442D18},
		{atanLo[0], 0x3C7A2B7F222F65E2}, {atanLo[1], 0x3C81A62633145C07},
		{atanLo[2], 0x3C7007887AF0CBBD}, {atanLo[3], 0x3C91A62633145C07},
		{atanT[0], 0x3FD555555555550D}, {atanT[1], 0xBFC999999998EBC4},
		{atanT[2], 0x3FC24924920083FF}, {atanT[3], 0xBFBC71C6FE231671},
		{atanT[4], 0x3FB745CDC54C206E}, {atanT[5], 0xBFB3B0F2AF749A6D},
		{atanT[6], 0x3FB10D66A0D03D51}, {atanT[7], 0xBFADDE2D52DEFD9A},
		{atanT[8], 0x3FA97B4B24760DEB}, {atanT[9], 0xBFA2B4442C6A6C2F},
		{atanT[10], 0x3F90AD3AE322DA11}, {fdPiLo, 0x3CA1A62633145C07},
	} {
		if got := math.Float64bits(c.v); got != c.bits {
			t.Errorf("%v: bits %#x, want %#x", c.v, got, c.bits)
		}
	}
}

// Values Elasticsearch documents (ATAN, ATAN2 reference pages) and edge cases.
func TestFdlibmAtan(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{
		{12.9, 1.4934316673669235},
		{0, 0},
		{1, math.Pi / 4},
		{math.Inf(1), math.Pi / 2},
		{math.Inf(-1), -math.Pi / 2},
		{1e-30, 1e-30},
	} {
		if got := fdAtan(c.x); got != c.want {
			t.Errorf("atan(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	for _, c := range []struct{ y, x, want float64 }{
		{12.9, 0.6, 1.5243181954438936},
		{0, -1, math.Pi},
		{1, 0, math.Pi / 2},
		{-1, -1, -3 * math.Pi / 4},
	} {
		if got := fdAtan2(c.y, c.x); got != c.want {
			t.Errorf("atan2(%v, %v) = %v, want %v", c.y, c.x, got, c.want)
		}
	}
	// Away from the last bit, fdlibm and Go agree.
	for x := -20.0; x <= 20; x += 0.37 {
		if d := math.Abs(fdAtan(x) - math.Atan(x)); d > 1e-15 {
			t.Errorf("atan(%v) = %v, Go %v", x, fdAtan(x), math.Atan(x))
		}
	}
}
