package prefilter

import (
	"sync"
	"syscall"
	"testing"
)

// guardMem is one mapping, grown on demand, whose last page is unreadable;
// every guarded call reuses it (a mapping per call made the exhaustive
// kernel sweeps spend most of their time in mmap/munmap). guardMu is held
// from guarded until its free.
var (
	guardMu  sync.Mutex
	guardMem []byte
)

// guarded returns a copy of s that ends where an unreadable page begins,
// and the function that releases it.
func guarded(t *testing.T, s []byte) ([]byte, func()) {
	t.Helper()
	guardMu.Lock()
	page := syscall.Getpagesize()
	if size := (len(s)/page + 2) * page; len(guardMem) < size {
		if guardMem != nil {
			syscall.Munmap(guardMem)
			guardMem = nil
		}
		mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
		if err == nil {
			if err = syscall.Mprotect(mem[size-page:], syscall.PROT_NONE); err != nil {
				syscall.Munmap(mem)
			}
		}
		if err != nil {
			guardMu.Unlock()
			t.Fatal(err)
		}
		guardMem = mem
	}
	end := len(guardMem) - page
	g := guardMem[end-len(s) : end : end]
	copy(g, s)
	return g, guardMu.Unlock
}
