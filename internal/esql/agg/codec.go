package agg

import (
	"encoding"
	"encoding/binary"
	"errors"
	"math"

	"vigil/internal/doc"
)

// Serializable is what every state in this package implements, so that a
// checkpoint can persist partial aggregations and resume them.
// UnmarshalBinary must be called on a fresh state from the same Factory
// (same aggregate and parameters); it rejects encodings of another kind.
type Serializable interface {
	State
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// Marshal encodes a state made by this package.
func Marshal(s State) ([]byte, error) {
	m, ok := s.(encoding.BinaryMarshaler)
	if !ok {
		return nil, errors.New("agg: state is not serializable")
	}
	return m.MarshalBinary()
}

// Restore rebuilds a state from Marshal's bytes using the factory that made
// the original (Resolve is deterministic, so re-resolving the query gives it).
func Restore(f Factory, data []byte) (State, error) {
	s := f()
	u, ok := s.(encoding.BinaryUnmarshaler)
	if !ok {
		return nil, errors.New("agg: state is not serializable")
	}
	if err := u.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	return s, nil
}

// State encodings start with one of these tags and the state's parameters,
// so bytes restored into a state of another kind or configuration are
// rejected instead of misread.
const (
	tagNull byte = iota + 1
	tagCount
	tagCountDistinct
	tagCountDistinctBool
	tagMin
	tagMax
	tagSumLong
	tagSumDouble
	tagAvgLong
	tagAvgDouble
	tagPercentile
	tagMAD
	tagValues
	tagTop
	tagVariance
	tagSample
	tagFirstLast
)

var errCorrupt = errors.New("agg: corrupt state encoding")

func expectOnly(b []byte, tag byte) error {
	if len(b) != 1 || b[0] != tag {
		return errCorrupt
	}
	return nil
}

// enc appends primitives; every state builds its bytes with it.
type enc struct{ b []byte }

func (e *enc) byte(c byte)      { e.b = append(e.b, c) }
func (e *enc) uvarint(u uint64) { e.b = binary.AppendUvarint(e.b, u) }
func (e *enc) varint(i int64)   { e.b = binary.AppendVarint(e.b, i) }
func (e *enc) float(f float64)  { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(f)) }
func (e *enc) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *enc) bool(v bool) {
	if v {
		e.byte(1)
	} else {
		e.byte(0)
	}
}

// value encodes a null or single value (a state holding a multi-value,
// FIRST's, writes its elements one by one).
func (e *enc) value(v doc.Value) {
	e.byte(byte(v.T))
	switch v.T {
	case doc.Null:
	case doc.Double:
		e.float(v.F)
	case doc.Keyword, doc.Text, doc.IP, doc.Version, doc.GeoPoint, doc.CartesianPoint, doc.Source:
		e.str(v.S)
	case doc.DatePeriod:
		e.varint(v.I)
		e.float(v.F)
	default:
		e.varint(v.I)
	}
}

// dec reads primitives with a sticky error, bounds-checked so hostile input
// can neither panic nor make it allocate more than the input's size.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func (d *dec) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *dec) uvarint() uint64 {
	u, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return u
}

func (d *dec) varint() int64 {
	i, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return i
}

func (d *dec) float() float64 {
	if len(d.b) < 8 {
		d.fail()
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return f
}

func (d *dec) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *dec) bool() bool {
	switch d.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail()
	return false
}

// expect checks a state's tag.
func (d *dec) expect(tag byte) {
	if d.byte() != tag {
		d.fail()
	}
}

// count64 reads a number of rows, which cannot be negative.
func (d *dec) count64() int64 {
	n := d.varint()
	if n < 0 {
		d.fail()
		return 0
	}
	return n
}

// count reads a length whose items each take at least minSize bytes.
func (d *dec) count(minSize int) int {
	n := d.uvarint()
	if n > uint64(len(d.b)/minSize) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *dec) value() doc.Value {
	t := doc.Type(d.byte())
	if d.err != nil {
		return doc.Value{}
	}
	v := doc.Value{T: t}
	switch t {
	case doc.Null:
	case doc.Double:
		v.F = d.float()
	case doc.Keyword, doc.Text, doc.IP, doc.Version, doc.GeoPoint, doc.CartesianPoint, doc.Source:
		v.S = d.str()
	case doc.DatePeriod:
		v.I = d.varint()
		v.F = d.float()
	case doc.Boolean, doc.Integer, doc.Long, doc.UnsignedLong, doc.Date, doc.DateNanos, doc.TimeDuration:
		v.I = d.varint()
	default:
		d.fail()
	}
	return v
}

// header checks the tag and the state's type parameter.
func (d *dec) header(tag byte, t doc.Type) {
	if d.byte() != tag || doc.Type(d.byte()) != t {
		d.fail()
	}
}

// done reports the sticky error or trailing bytes.
func (d *dec) done() error {
	if d.err != nil {
		return d.err
	}
	if len(d.b) != 0 {
		return errCorrupt
	}
	return nil
}
