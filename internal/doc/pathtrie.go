package doc

import (
	"math/bits"
	"strings"
	"unicode/utf8"
)

// This file is the field-path trie Decoder walks as it reads a line's
// keys: one node per dotted-name segment, holding the field plan or object
// mapping found there, so each JSON key costs one lookup of the key alone
// instead of several of full paths. Two shortcuts make that lookup cheaper
// than a map's, which is the cost of most keys at ~1 GB/s: under a
// projection, a node's few hot kids are found by one multiply (hotSlot);
// without one, the next key is predicted from the last line's (predict).
// keyScan reads a key and what these lookups need of it in one pass.

// pathNode is one dotted-name segment of the trie the decoder walks, so each
// JSON key costs one lookup of the key alone instead of several full-path ones.
type pathNode struct {
	plan int32   // field plan, -1 when none
	obj  *Object // container at this path, nil when none
	want bool    // something to decode lies here or below
	// stop: the value here is not walked (a disabled object, or a nested
	// field, whose objects nested decodes when set).
	stop   bool
	nested *nestedField
	kids   map[string]*pathNode
	// With a projection, hot lists the only kids an undotted key can reach
	// to some effect: wanted ones, and aliases and multi-fields, which
	// reject values even unread (any other kid's value is skipped). hotOK
	// is false when kids changed since. slots, when not nil, finds the one
	// hot kid a key can be with one multiply (see hotSlot): cheaper than
	// hashing the key for the map, or comparing it with each hot kid.
	hot   []hotKid
	hotOK bool
	slots *[64]uint8 // hot index by hotSlot
	mul   uint64
	// Without hot lists, lines of one source repeat their keys in the same
	// order: first is the kid the last object here began with, next the
	// sibling that followed this node last time. A key equal to the
	// prediction skips the map (see predict).
	firstName, nextName string
	first, next         *pathNode
}

// hotSlot hashes a key's head and length to a slot; NewDecoder picks for
// each node a multiplier that gives its hot kids distinct slots.
func hotSlot(head uint64, n int, mul uint64) uint {
	return uint(((head ^ uint64(n)) * mul) >> 58)
}

type hotKid struct {
	head uint64 // the name's first 8 bytes, zero-padded (see keyInfo)
	name string
	n    *pathNode
}

// lookup finds the kid named by an object key: head and dotted are its
// keyInfo. nil when unmapped, or when under a projection the value would
// only be skipped.
func (n *pathNode) lookup(key string, head uint64, dotted bool) *pathNode {
	if n == nil || n.slots == nil || dotted {
		return n.lookupSlow(key, head, dotted)
	}
	h := &n.hot[n.slots[hotSlot(head, len(key), n.mul)]]
	if h.head != head || len(h.name) != len(key) || (len(key) > 8 && h.name[8:] != key[8:]) {
		return nil
	}
	return h.n
}

// lookupSlow is lookup without slots.
func (n *pathNode) lookupSlow(key string, head uint64, dotted bool) *pathNode {
	if n == nil || !n.hotOK || dotted {
		// The full trie: member skips what a hot list would have left out.
		return n.lookupAll(key)
	}
	for _, h := range n.hot[1:] {
		if h.head == head && h.name == key {
			return h.n
		}
	}
	return nil
}

// lookupAll walks a (possibly dotted) key below n; nil when unmapped.
func (n *pathNode) lookupAll(key string) *pathNode {
	for n != nil {
		i := strings.IndexByte(key, '.')
		if i < 0 {
			return n.kids[key]
		}
		n = n.kids[key[:i]]
		key = key[i+1:]
	}
	return nil
}

// buildHot fills the hot lists at and below n.
func (d *Decoder) buildHot(n *pathNode) {
	// hot[0] matches no key (a key's head is 0 when it is empty): slots
	// point there when no hot kid has their hash.
	n.hot = append(n.hot[:0], hotKid{head: ^uint64(0)})
	for name, k := range n.kids {
		d.buildHot(k)
		if k.want || (k.plan >= 0 && (d.plans[k.plan].isAlias || d.plans[k.plan].isMulti)) {
			head, _, _ := keyInfo([]byte(name))
			n.hot = append(n.hot, hotKid{head, name, k})
		}
	}
	n.hotOK = true
	n.slots = nil
	var slots [64]uint8
	for try, mul := 0, uint64(0x9E3779B97F4A7C15); try < 64; try, mul = try+1, mul+0xC6A4A7935BD1E996 {
		clear(slots[:])
		ok := true
		for i, h := range n.hot[1:] {
			s := &slots[hotSlot(h.head, len(h.name), mul|1)]
			if *s != 0 {
				ok = false
				break
			}
			*s = uint8(i + 1)
		}
		if ok {
			n.slots, n.mul = &slots, mul|1
			return
		}
	}
}

// keyInfo reads a key: its first 8 bytes packed little-endian and
// zero-padded (hotKid.head), whether it is ASCII, and whether it holds a
// dot.
func keyInfo(k []byte) (head uint64, isASCII, dotted bool) {
	isASCII = true
	for i, c := range k {
		if i < 8 {
			head |= uint64(c) << (8 * i)
		}
		isASCII = isASCII && c < utf8.RuneSelf
		dotted = dotted || c == '.'
	}
	return head, isASCII, dotted
}

// keyScan is nextSpecial for a key starting at p, fused with keyInfo of
// data[p:e]: one pass, a word at a time.
func keyScan(data []byte, p int) (e int, head uint64, isASCII, dotted bool) {
	const dots = '.' * lanes01
	var acc, hits uint64
	for q := p; q+8 <= len(data); q += 8 {
		x := word(data, q)
		t := specialLanes(x)
		if t != 0 {
			x &= 1<<(8*(bits.TrailingZeros64(t)/8)) - 1
		}
		if q == p {
			head = x
		}
		acc |= x
		y := x ^ dots
		hits |= (y - lanes01) &^ y
		if t != 0 {
			return q + bits.TrailingZeros64(t)/8, head, acc&lanes80 == 0, hits&lanes80 != 0
		}
	}
	// Too near the end of the line for whole words.
	e = nextSpecial(data, p)
	head, isASCII, dotted = keyInfo(data[p:e])
	return e, head, isASCII, dotted
}

// node returns the trie node of a dotted name, creating it and its ancestors.
func (d *Decoder) node(name string) *pathNode {
	n := d.root
	for more := true; more; {
		var seg string
		seg, name, more = strings.Cut(name, ".")
		c := n.kids[seg]
		if c == nil {
			c = &pathNode{plan: -1, want: d.wanted == nil}
			if n.kids == nil {
				n.kids = map[string]*pathNode{}
			}
			n.kids[seg] = c
			n.hotOK, n.slots = false, nil // back to the map until hot lists are rebuilt
		}
		n = c
	}
	return n
}

// markWanted flags a name and its ancestors for a projection.
func (d *Decoder) markWanted(name string) {
	n := d.root
	for more := true; more && n != nil; {
		var seg string
		seg, name, more = strings.Cut(name, ".")
		if n = n.kids[seg]; n != nil {
			n.want = true
		}
	}
}

// predict is n.lookup of an undotted key on a map-backed node, for the key
// after prev (nil: the object's first key): the kid that came there last
// time is checked before the map is asked.
func predict(n, prev *pathNode, key string) *pathNode {
	name, kid := &n.firstName, &n.first
	if prev != nil {
		name, kid = &prev.nextName, &prev.next
	}
	if *kid != nil && *name == key {
		return *kid
	}
	found := n.kids[key]
	if found != nil {
		*name, *kid = strings.Clone(key), found // key may alias the line
	}
	return found
}
