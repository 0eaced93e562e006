package prefilter

import (
	"syscall"
	"testing"
)

// guarded returns a copy of s that ends where an unreadable page begins,
// and the function that unmaps it.
func guarded(t *testing.T, s []byte) ([]byte, func()) {
	t.Helper()
	page := syscall.Getpagesize()
	size := (len(s)/page + 2) * page
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mprotect(mem[size-page:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	end := size - page
	g := mem[end-len(s) : end : end]
	copy(g, s)
	return g, func() { syscall.Munmap(mem) }
}
