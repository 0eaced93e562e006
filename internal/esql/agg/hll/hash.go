package hll

import (
	"encoding/binary"
	"math/bits"
)

// Murmur3 returns the first 64-bit half (h1) of MurmurHash3 x64_128 of b
// with seed 0: the hash Elasticsearch's cardinality sketches use for
// keyword, text, ip and other byte-string values. Implemented from Austin
// Appleby's public-domain reference algorithm.
func Murmur3(b []byte) uint64 {
	const c1, c2 = 0x87c37b91114253d5, 0x4cf5ad432745937f
	var h1, h2 uint64
	n := len(b)
	for len(b) >= 16 {
		k1 := binary.LittleEndian.Uint64(b)
		k2 := binary.LittleEndian.Uint64(b[8:])
		b = b[16:]
		h1 ^= bits.RotateLeft64(k1*c1, 31) * c2
		h1 = (bits.RotateLeft64(h1, 27)+h2)*5 + 0x52dce729
		h2 ^= bits.RotateLeft64(k2*c2, 33) * c1
		h2 = (bits.RotateLeft64(h2, 31)+h1)*5 + 0x38495ab5
	}
	var k1, k2 uint64
	for i := len(b) - 1; i >= 0; i-- {
		if i >= 8 {
			k2 = k2<<8 | uint64(b[i])
		} else {
			k1 = k1<<8 | uint64(b[i])
		}
	}
	if len(b) > 8 {
		h2 ^= bits.RotateLeft64(k2*c2, 33) * c1
	}
	if len(b) > 0 {
		h1 ^= bits.RotateLeft64(k1*c1, 31) * c2
	}
	h1 ^= uint64(n)
	h2 ^= uint64(n)
	h1 += h2
	h2 += h1
	h1 = fmix64(h1)
	h2 = fmix64(h2)
	return h1 + h2
}

// Murmur3String is Murmur3 over a string's bytes without copying them.
func Murmur3String(s string) uint64 {
	return Murmur3(unsafeBytes(s))
}

func fmix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}

// Mix64 is the 64-bit bit mixer (HPPC's BitMixer.mix64, a variant of the
// MurmurHash3 finaliser with different constants) that Elasticsearch applies
// to long, integer, date and double-bit values before counting them.
func Mix64(z uint64) uint64 {
	z = (z ^ z>>32) * 0x4cd6944c5cc20b6d
	z = (z ^ z>>29) * 0xfc12c5b19d3259e9
	return z ^ z>>32
}
