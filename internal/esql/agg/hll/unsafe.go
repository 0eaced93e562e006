package hll

import "unsafe"

// unsafeBytes views a string's bytes for hashing; the hash never writes them.
func unsafeBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
