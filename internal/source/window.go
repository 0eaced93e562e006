package source

import (
	"errors"
	"sync/atomic"
	"unsafe"
)

// ErrFileChanged is reported when a mapped file shrank while it was read:
// its vanished pages fault instead of reading as data.
var ErrFileChanged = errors.New("file truncated while being read")

// window is a read-only mapping of part of a file that chunks point into.
// The reader holds one reference while it cuts the window and every chunk
// cut from it holds another; the last release unmaps it. Only the reader's
// current window and those with chunks still out are mapped, so the pool's
// bound on chunks bounds the windows too.
type window struct {
	mem    []byte
	refs   atomic.Int32
	report func(Problem) // the reader's OnProblem, for faults seen in Lines
}

func (w *window) release() {
	if w.refs.Add(-1) == 0 {
		unmap(w.mem)
	}
}

// faulted reports whether a recovered panic value is a memory fault inside
// w (see debug.SetPanicOnFault).
func (w *window) faulted(v any) bool {
	f, ok := v.(interface{ Addr() uintptr })
	if !ok {
		return false
	}
	return f.Addr()-uintptr(unsafe.Pointer(unsafe.SliceData(w.mem))) < uintptr(len(w.mem))
}

// recoverFault, deferred by Chunk.Lines, turns a fault on the window into
// a Problem at the line being read; any other panic goes on.
func (w *window) recoverFault(file string, line *int) {
	v := recover()
	if v == nil {
		return
	}
	if !w.faulted(v) {
		panic(v)
	}
	p := Problem{File: file, Line: *line, Err: ErrFileChanged}
	if w.report == nil {
		panic(p.Error())
	}
	w.report(p)
}
