package doc

import "unsafe"

// This file holds the Decoder's memory slabs: storage for the strings and
// multi-values a document keeps, carved from allocations shared by several
// lines, so decoding costs a fraction of an allocation per line (a per-value
// allocation would cost more than the scan at ~1 GB/s) while a value kept
// for long pins no more than one small slab, never the line.

// strSlab is the size of one allocation of string storage (see keep).
const strSlab = 2048

// keep copies a string that aliases the line into storage shared by a few
// lines' values and never written again, so a kept value pins neither the
// line (a STATS VALUES over millions of events would otherwise hold every
// matching line) nor more than one slab, at a fraction of an allocation
// per line.
func (d *Decoder) keep(s string) string {
	if s == "" {
		return "" // not even a pointer into the line
	}
	i := len(d.strs)
	if cap(d.strs)-i < len(s) {
		d.strs, i = make([]byte, 0, max(len(s), strSlab)), 0
	}
	d.strs = append(d.strs, s...)
	return unsafe.String(&d.strs[i], len(s))
}

// multiSlab is how many values one allocation of multi-value storage
// holds: it serves several lines, and a kept multi-value pins one slab.
const multiSlab = 32 // 2 KB

// multi returns storage for a multi-value of n values. With Reuse it is
// the decoder's, rewritten each line; otherwise kept values own it.
func (d *Decoder) multi(n int) []Value {
	i := len(d.slab)
	if cap(d.slab)-i < n {
		size := multiSlab
		if d.opts.Reuse {
			size = 2 * cap(d.slab) // grows once to the largest line's need
		}
		d.slab, i = make([]Value, 0, max(n, size)), 0
	}
	d.slab = d.slab[:i+n]
	return d.slab[i : i+n : i+n]
}
