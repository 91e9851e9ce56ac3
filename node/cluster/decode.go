package cluster

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"

	"github.com/gerl-dev/gerl/node/term"
	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// decoder reads terms from validated bytes with msgpack's low-level API.
// It checks every code before decoding (msgpack's own functions accept nil
// for a number, or a binary for a string) and that every extension's
// payload is consumed exactly. It interns atoms and node names, which
// repeat in nearly every message.
type decoder struct {
	c       *Codec
	rd      bytes.Reader
	buf     []byte // what rd reads
	dec     *msgpack.Decoder
	strs    map[string]string
	pids    [2]cachedIdent // the last pids decoded, by their wire bytes
	nextPid int
	alloc   uint64 // bytes typed values may still take in this frame (see charge)
}

// cachedIdent remembers the wire bytes of a pid and the pid they decode
// to: a stream of messages names the same two or three pids over and over.
type cachedIdent struct {
	raw []byte
	pid term.Pid
}

// maxInterned bounds a decoder's string cache.
const maxInterned = 1024

func newDecoder(c *Codec) *decoder {
	d := &decoder{c: c, strs: make(map[string]string)}
	d.dec = msgpack.NewDecoder(&d.rd) // bytes.Reader is a ByteScanner: no extra buffering
	return d
}

func (c *Codec) getDecoder(b []byte) *decoder {
	d := c.decPool.Get().(*decoder)
	d.rd.Reset(b)
	d.buf = b
	d.alloc = maxGoBytesPerWireByte*uint64(len(b)) + allocSlack
	return d
}

func (c *Codec) putDecoder(d *decoder) {
	d.rd.Reset(nil)
	d.buf = nil
	c.decPool.Put(d)
}

// pidBody decodes the n-byte body of a pid extension, from the cache when
// the same bytes were decoded recently.
func (d *decoder) pidBody(n int) (term.Pid, error) {
	start := d.pos()
	raw := d.buf[start : start+n]
	for i := range d.pids {
		if c := &d.pids[i]; c.raw != nil && bytes.Equal(c.raw, raw) {
			_, _ = d.rd.Seek(int64(n), io.SeekCurrent)
			return c.pid, nil
		}
	}
	node, id, cr, err := d.ident()
	if err != nil {
		return term.Pid{}, err
	}
	pid := term.Pid{Node: node, ID: id, Creation: cr}
	if d.pos()-start == n {
		c := &d.pids[d.nextPid]
		c.raw = append(c.raw[:0], raw...)
		c.pid = pid
		d.nextPid = (d.nextPid + 1) % len(d.pids)
	}
	return pid, nil
}

func (d *decoder) pos() int { return int(d.rd.Size()) - d.rd.Len() }

func (d *decoder) bad(format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", ErrMalformed, d.pos(), fmt.Sprintf(format, args...))
}

func (d *decoder) peek() (byte, error) {
	off := d.pos()
	if off >= len(d.buf) {
		return 0, d.bad("truncated")
	}
	return d.buf[off], nil
}

// fastInt reads the integer whose code c starts at the current position
// from the frame, returning its value and encoded size; ok is false when
// the bytes are not all there (the Decoder then reports it).
func (d *decoder) fastInt(c byte) (v int64, size int, ok bool) {
	off := d.pos()
	b := d.buf[off:]
	switch {
	case c <= msgpcode.PosFixedNumHigh:
		return int64(c), 1, true
	case c >= msgpcode.NegFixedNumLow:
		return int64(int8(c)), 1, true
	}
	switch c {
	case msgpcode.Uint8:
		if len(b) >= 2 {
			return int64(b[1]), 2, true
		}
	case msgpcode.Uint16:
		if len(b) >= 3 {
			return int64(binary.BigEndian.Uint16(b[1:])), 3, true
		}
	case msgpcode.Uint32:
		if len(b) >= 5 {
			return int64(binary.BigEndian.Uint32(b[1:])), 5, true
		}
	case msgpcode.Uint64:
		if len(b) >= 9 {
			return int64(binary.BigEndian.Uint64(b[1:])), 9, true
		}
	case msgpcode.Int8:
		if len(b) >= 2 {
			return int64(int8(b[1])), 2, true
		}
	case msgpcode.Int16:
		if len(b) >= 3 {
			return int64(int16(binary.BigEndian.Uint16(b[1:]))), 3, true
		}
	case msgpcode.Int32:
		if len(b) >= 5 {
			return int64(int32(binary.BigEndian.Uint32(b[1:]))), 5, true
		}
	case msgpcode.Int64:
		if len(b) >= 9 {
			return int64(binary.BigEndian.Uint64(b[1:])), 9, true
		}
	}
	return 0, 0, false
}

// extHead reads an extension header: the fixext and ext8 forms from the
// frame directly, the others through the msgpack Decoder.
func (d *decoder) extHead() (int8, int, error) {
	off := d.pos()
	if off >= len(d.buf) {
		return 0, 0, errTruncated
	}
	c := d.buf[off]
	var n, hdr int
	switch c {
	case msgpcode.FixExt1:
		n, hdr = 1, 1
	case msgpcode.FixExt2:
		n, hdr = 2, 1
	case msgpcode.FixExt4:
		n, hdr = 4, 1
	case msgpcode.FixExt8:
		n, hdr = 8, 1
	case msgpcode.FixExt16:
		n, hdr = 16, 1
	case msgpcode.Ext8:
		if off+1 >= len(d.buf) {
			return 0, 0, errTruncated
		}
		n, hdr = int(d.buf[off+1]), 2
	default:
		return d.dec.DecodeExtHeader()
	}
	if off+hdr >= len(d.buf) {
		return 0, 0, errTruncated
	}
	typ := int8(d.buf[off+hdr])
	d.skip(hdr + 1)
	return typ, n, nil
}

var errTruncated = errors.New("truncated")

// skip advances past n bytes the caller has parsed from d.buf itself: the
// fast paths below read the commonest msgpack codes straight from the
// frame, and leave the rest to the msgpack Decoder.
func (d *decoder) skip(n int) { _, _ = d.rd.Seek(int64(n), io.SeekCurrent) }

func isInt(c byte) bool {
	return msgpcode.IsFixedNum(c) || (c >= msgpcode.Uint8 && c <= msgpcode.Int64)
}

func isUint(c byte) bool {
	return c <= msgpcode.PosFixedNumHigh || (c >= msgpcode.Uint8 && c <= msgpcode.Uint64)
}

func isArray(c byte) bool {
	return msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32
}

func isMap(c byte) bool {
	return msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32
}

// int decodes a signed integer that must fit in an int64.
func (d *decoder) int() (int64, error) {
	c, err := d.peek()
	if err != nil {
		return 0, err
	}
	if !isInt(c) {
		return 0, d.bad("want an integer, got code 0x%02x", c)
	}
	if v, size, ok := d.fastInt(c); ok {
		d.skip(size)
		if c == msgpcode.Uint64 && v < 0 {
			return 0, d.bad("integer out of range")
		}
		return v, nil
	}
	n, err := d.dec.DecodeInt64()
	if err != nil {
		return 0, d.bad("%v", err)
	}
	if c == msgpcode.Uint64 && n < 0 {
		return 0, d.bad("integer out of range")
	}
	return n, nil
}

// uint decodes a non-negative integer written as an unsigned one.
func (d *decoder) uint() (uint64, error) {
	c, err := d.peek()
	if err != nil {
		return 0, err
	}
	if !isUint(c) {
		return 0, d.bad("want an unsigned integer, got code 0x%02x", c)
	}
	if v, size, ok := d.fastInt(c); ok && c != msgpcode.Uint64 {
		d.skip(size)
		return uint64(v), nil
	}
	n, err := d.dec.DecodeUint64()
	if err != nil {
		return 0, d.bad("%v", err)
	}
	return n, nil
}

// str decodes a msgpack str (not bin), interning short ones.
func (d *decoder) str() (string, error) {
	c, err := d.peek()
	if err != nil {
		return "", err
	}
	if !msgpcode.IsString(c) {
		return "", d.bad("want a string, got code 0x%02x", c)
	}
	if msgpcode.IsFixedString(c) {
		d.skip(1)
		return d.raw(int(c & msgpcode.FixedStrMask))
	}
	n, err := d.dec.DecodeBytesLen()
	if err != nil {
		return "", d.bad("%v", err)
	}
	return d.raw(n)
}

// raw reads n bytes as a string, interned when short.
func (d *decoder) raw(n int) (string, error) {
	if n > d.rd.Len() {
		return "", d.bad("string of %d bytes, %d remain", n, d.rd.Len())
	}
	off := d.pos()
	if n > 64 {
		s := string(d.buf[off : off+n])
		d.skip(n)
		return s, nil
	}
	b := d.buf[off : off+n]
	d.skip(n)
	if s, ok := d.strs[string(b)]; ok {
		return s, nil
	}
	s := string(b)
	if len(d.strs) < maxInterned {
		d.strs[s] = s
	}
	return s, nil
}

// length decodes an array (or map) header.
func (d *decoder) arrayLen() (int, error) {
	c, err := d.peek()
	if err != nil {
		return 0, err
	}
	if !isArray(c) {
		return 0, d.bad("want an array, got code 0x%02x", c)
	}
	if msgpcode.IsFixedArray(c) {
		d.skip(1)
		n := int(c & msgpcode.FixedArrayMask)
		if n > d.rd.Len() {
			return 0, d.bad("bad array length")
		}
		return n, nil
	}
	n, err := d.dec.DecodeArrayLen()
	if err != nil || n > d.rd.Len() {
		return 0, d.bad("bad array length")
	}
	return n, nil
}

func (d *decoder) mapLen() (int, error) {
	c, err := d.peek()
	if err != nil {
		return 0, err
	}
	if !isMap(c) {
		return 0, d.bad("want a map, got code 0x%02x", c)
	}
	n, err := d.dec.DecodeMapLen()
	if err != nil || 2*n > d.rd.Len() {
		return 0, d.bad("bad map length")
	}
	return n, nil
}

// term decodes one term.
func (d *decoder) term(depth int) (any, error) {
	if depth > maxWireDepth {
		return nil, d.bad("nested too deep")
	}
	c, err := d.peek()
	if err != nil {
		return nil, err
	}
	switch {
	case isInt(c):
		n, err := d.int()
		return int(n), err
	case msgpcode.IsExt(c):
		return d.ext(depth)
	case msgpcode.IsString(c):
		return d.str()
	case isArray(c):
		n, err := d.arrayLen()
		if err != nil {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = d.term(depth + 1); err != nil {
				return nil, err
			}
		}
		return out, nil
	case c == msgpcode.Bin8:
		off := d.pos()
		if off+2 > len(d.buf) || off+2+int(d.buf[off+1]) > len(d.buf) {
			return nil, d.bad("truncated binary")
		}
		n := int(d.buf[off+1])
		b := append(make([]byte, 0, n), d.buf[off+2:off+2+n]...)
		d.skip(2 + n)
		return b, nil
	case msgpcode.IsBin(c):
		b, err := d.dec.DecodeBytes()
		if err != nil {
			return nil, d.bad("%v", err)
		}
		return b, nil
	case isMap(c):
		n, err := d.mapLen()
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, n)
		for i := 0; i < n; i++ {
			k, err := d.str()
			if err != nil {
				return nil, err
			}
			if out[k], err = d.term(depth + 1); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	switch c {
	case msgpcode.Nil:
		_ = d.dec.DecodeNil()
		return nil, nil
	case msgpcode.True, msgpcode.False:
		return d.dec.DecodeBool()
	case msgpcode.Double:
		return d.dec.DecodeFloat64()
	case msgpcode.Float:
		return d.dec.DecodeFloat32()
	}
	return nil, d.bad("unexpected code 0x%02x", c)
}

// ext decodes an extension term and checks its payload was used exactly.
func (d *decoder) ext(depth int) (any, error) {
	typ, n, err := d.extHead()
	if err != nil || n > d.rd.Len() {
		return nil, d.bad("bad extension header")
	}
	start := d.pos()
	v, err := d.extBody(typ, n, depth)
	if err != nil {
		return nil, err
	}
	if used := d.pos() - start; used != n {
		return nil, d.bad("extension %d declared %d bytes, its fields used %d", typ, n, used)
	}
	return v, nil
}

func (d *decoder) extBody(typ int8, n, depth int) (any, error) {
	switch typ {
	case extAtom:
		s, err := d.raw(n)
		return term.Atom(s), err
	case extPid:
		return d.pidBody(n)
	case extRef:
		start := d.pos()
		node, id, cr, err := d.ident()
		if err != nil {
			return nil, err
		}
		return d.refRest(node, id, cr, n-(d.pos()-start))
	case extTuple:
		n, err := d.arrayLen()
		if err != nil {
			return nil, err
		}
		out := make(term.Tuple, n)
		for i := range out {
			if out[i], err = d.term(depth + 1); err != nil {
				return nil, err
			}
		}
		return out, nil
	case extName:
		name, err := d.str()
		if err != nil {
			return nil, err
		}
		node, err := d.str()
		return term.Name{Name: term.Atom(name), Node: term.Atom(node)}, err
	case extNodeUp:
		node, err := d.str()
		return term.NodeUp{Node: term.Atom(node)}, err
	case extDown:
		var x term.Down
		var err error
		if x.Ref, err = d.refExt(); err != nil {
			return nil, err
		}
		if x.Pid, err = d.pidExt(); err != nil {
			return nil, err
		}
		name, err := d.str()
		if err != nil {
			return nil, err
		}
		x.Name = term.Atom(name)
		x.Reason, err = d.term(depth + 1)
		return x, err
	case extExit:
		var x term.Exit
		var err error
		if x.From, err = d.pidExt(); err != nil {
			return nil, err
		}
		x.Reason, err = d.term(depth + 1)
		return x, err
	case extNodeDown:
		node, err := d.str()
		if err != nil {
			return nil, err
		}
		reason, err := d.term(depth + 1)
		return term.NodeDown{Node: term.Atom(node), Reason: reason}, err
	case extCall:
		var x term.Call
		var err error
		if x.From, err = d.pidExt(); err != nil {
			return nil, err
		}
		if x.Ref, err = d.refExt(); err != nil {
			return nil, err
		}
		x.Request, err = d.term(depth + 1)
		return x, err
	case extReply:
		var x term.Reply
		var err error
		if x.Ref, err = d.refExt(); err != nil {
			return nil, err
		}
		x.Value, err = d.term(depth + 1)
		return x, err
	case extTyped:
		desc, err := d.str()
		if err != nil {
			return nil, err
		}
		t, err := d.c.parse(desc)
		if err != nil {
			return nil, d.bad("%v", err)
		}
		v, err := d.value(t, depth+1)
		if err != nil {
			return nil, err
		}
		return v.Interface(), nil
	}
	if v, ok, err := d.erlangExt(typ, n, depth); ok {
		return v, err
	}
	return nil, d.bad("unknown extension type %d", typ)
}

func (d *decoder) ident() (term.Atom, uint64, uint32, error) {
	node, err := d.str()
	if err != nil {
		return "", 0, 0, err
	}
	id, err := d.uint()
	if err != nil {
		return "", 0, 0, err
	}
	cr, err := d.uint()
	if err != nil {
		return "", 0, 0, err
	}
	if cr > math.MaxUint32 {
		return "", 0, 0, d.bad("creation out of range")
	}
	return term.Atom(node), id, uint32(cr), nil
}

// pidExt decodes a field that must be a Pid.
func (d *decoder) pidExt() (term.Pid, error) {
	n, err := d.extHeader(extPid)
	if err != nil {
		return term.Pid{}, err
	}
	start := d.pos()
	pid, err := d.pidBody(n)
	if err != nil {
		return term.Pid{}, err
	}
	if d.pos()-start != n {
		return term.Pid{}, d.bad("extension %d declared %d bytes, its fields used %d", extPid, n, d.pos()-start)
	}
	return pid, nil
}

// extHeader reads the header of an extension that must be of type want
// and returns its length.
func (d *decoder) extHeader(want int8) (int, error) {
	c, err := d.peek()
	if err != nil {
		return 0, err
	}
	if !msgpcode.IsExt(c) {
		return 0, d.bad("want extension %d, got code 0x%02x", want, c)
	}
	typ, n, err := d.extHead()
	if err != nil || n > d.rd.Len() {
		return 0, d.bad("bad extension header")
	}
	if typ != want {
		return 0, d.bad("want extension %d, got %d", want, typ)
	}
	return n, nil
}

func (d *decoder) refExt() (term.Ref, error) {
	v, err := d.typedExt(extRef)
	if err != nil {
		return term.Ref{}, err
	}
	return v.(term.Ref), nil
}

// typedExt decodes an extension that must be of type want.
func (d *decoder) typedExt(want int8) (any, error) {
	c, err := d.peek()
	if err != nil {
		return nil, err
	}
	if !msgpcode.IsExt(c) {
		return nil, d.bad("want extension %d, got code 0x%02x", want, c)
	}
	typ, n, err := d.extHead()
	if err != nil || n > d.rd.Len() {
		return nil, d.bad("bad extension header")
	}
	if typ != want {
		return nil, d.bad("want extension %d, got %d", want, typ)
	}
	start := d.pos()
	v, err := d.extBody(typ, n, 0)
	if err != nil {
		return nil, err
	}
	if d.pos()-start != n {
		return nil, d.bad("extension %d declared %d bytes, its fields used %d", typ, n, d.pos()-start)
	}
	return v, nil
}

// maxGoBytesPerWireByte bounds the memory the typed values (slices,
// arrays, maps of Go types) of one frame may take, per byte of the frame:
// every element costs at least one byte on the wire, and the largest
// honest ratio, [N][M]any counted once for the outer array and once for
// each inner one, is 32. allocSlack is added for small frames.
const (
	maxGoBytesPerWireByte = 64
	allocSlack            = 64 << 10
)

// value decodes a value of canonical type t written by encoder.value.
func (d *decoder) value(t reflect.Type, depth int) (reflect.Value, error) {
	if depth > maxWireDepth {
		return reflect.Value{}, d.bad("nested too deep")
	}
	if t == anyType || isOwn(t) {
		v, err := d.term(depth + 1)
		if err != nil {
			return reflect.Value{}, err
		}
		out := reflect.New(t).Elem()
		if v == nil {
			if t != anyType && t != tupleType {
				return reflect.Value{}, d.bad("nil for %s", t)
			}
			return out, nil
		}
		rv := reflect.ValueOf(v)
		if t != anyType && rv.Type() != t {
			return reflect.Value{}, d.bad("%s for %s", rv.Type(), t)
		}
		out.Set(rv)
		return out, nil
	}
	c, err := d.peek()
	if err != nil {
		return reflect.Value{}, err
	}
	if t.Kind() == reflect.Array {
		// The length on the wire first: the array is allocated only for
		// a frame that holds that many elements.
		n, err := d.arrayLen()
		if err != nil {
			return reflect.Value{}, err
		}
		if n != t.Len() {
			return reflect.Value{}, d.bad("array of %d elements for %s", n, t)
		}
		if !d.holds(n, t.Elem()) || !d.charge(t.Size(), 1) {
			return reflect.Value{}, d.bad("%s is too large for a frame of %d bytes", t, len(d.buf))
		}
		out := reflect.New(t).Elem()
		return out, d.elems(out, t.Elem(), depth)
	}
	out := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.Bool:
		if c != msgpcode.True && c != msgpcode.False {
			return reflect.Value{}, d.bad("want a bool")
		}
		b, _ := d.dec.DecodeBool()
		out.SetBool(b)
		return out, nil
	case reflect.String:
		s, err := d.str()
		out.SetString(s)
		return out, err
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := d.int()
		if err != nil {
			return reflect.Value{}, err
		}
		if out.OverflowInt(n) {
			return reflect.Value{}, d.bad("%d overflows %s", n, t)
		}
		out.SetInt(n)
		return out, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := d.uint()
		if err != nil {
			return reflect.Value{}, err
		}
		if out.OverflowUint(n) {
			return reflect.Value{}, d.bad("%d overflows %s", n, t)
		}
		out.SetUint(n)
		return out, nil
	case reflect.Float32:
		if c != msgpcode.Float {
			return reflect.Value{}, d.bad("want a float32")
		}
		f, _ := d.dec.DecodeFloat32()
		out.SetFloat(float64(f))
		return out, nil
	case reflect.Float64:
		if c != msgpcode.Double {
			return reflect.Value{}, d.bad("want a float64")
		}
		f, _ := d.dec.DecodeFloat64()
		out.SetFloat(f)
		return out, nil
	case reflect.Slice:
		if c == msgpcode.Nil {
			_ = d.dec.DecodeNil()
			return out, nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			if !msgpcode.IsBin(c) {
				return reflect.Value{}, d.bad("want a binary")
			}
			b, err := d.dec.DecodeBytes()
			if err != nil {
				return reflect.Value{}, d.bad("%v", err)
			}
			return reflect.ValueOf(b).Convert(t), nil
		}
		n, err := d.arrayLen()
		if err != nil {
			return reflect.Value{}, err
		}
		if !d.holds(n, t.Elem()) || !d.charge(t.Elem().Size(), n) {
			return reflect.Value{}, d.bad("%d elements of %s are too large for a frame of %d bytes", n, t.Elem(), len(d.buf))
		}
		out = reflect.MakeSlice(t, n, n)
		return out, d.elems(out, t.Elem(), depth)
	case reflect.Map:
		if c == msgpcode.Nil {
			_ = d.dec.DecodeNil()
			return out, nil
		}
		n, err := d.mapLen()
		if err != nil {
			return reflect.Value{}, err
		}
		if !d.holds(n, t.Elem()) || !d.charge(t.Key().Size()+t.Elem().Size(), n) {
			return reflect.Value{}, d.bad("%d entries of %s are too large for a frame of %d bytes", n, t, len(d.buf))
		}
		out = reflect.MakeMapWithSize(t, n)
		for i := 0; i < n; i++ {
			k, err := d.value(t.Key(), depth+1)
			if err != nil {
				return reflect.Value{}, err
			}
			if t.Key() == anyType && !k.IsNil() && !isKeyType(k.Elem().Type()) {
				return reflect.Value{}, d.bad("map key of type %s", k.Elem().Type())
			}
			v, err := d.value(t.Elem(), depth+1)
			if err != nil {
				return reflect.Value{}, err
			}
			out.SetMapIndex(k, v)
		}
		return out, nil
	}
	return reflect.Value{}, d.bad("cannot decode %s", t)
}

func (d *decoder) elems(out reflect.Value, et reflect.Type, depth int) error {
	for i := 0; i < out.Len(); i++ {
		v, err := d.value(et, depth+1)
		if err != nil {
			return err
		}
		out.Index(i).Set(v)
	}
	return nil
}

// holds reports whether the rest of the frame is long enough for n values
// of type t, each taking at least minWire(t) bytes.
func (d *decoder) holds(n int, t reflect.Type) bool {
	return n == 0 || uint64(minWire(t)) <= uint64(d.rd.Len())/uint64(n)
}

// minWire is the fewest bytes a value of type t takes on the wire: one,
// except for a fixed-size array, which holds all its elements.
func minWire(t reflect.Type) uint64 {
	if t.Kind() != reflect.Array {
		return 1
	}
	return min(1+uint64(t.Len())*minWire(t.Elem()), 1<<40)
}

// charge takes n values of size bytes each from what typed values may
// still allocate for this frame (see maxGoBytesPerWireByte), or reports
// that they would pass it.
func (d *decoder) charge(size uintptr, n int) bool {
	if n == 0 || size == 0 {
		return true
	}
	if uint64(size) > d.alloc/uint64(n) {
		return false
	}
	d.alloc -= uint64(size) * uint64(n)
	return true
}
