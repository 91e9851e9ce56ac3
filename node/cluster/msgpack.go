package cluster

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/gerl-dev/gerl/node/term"
	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// The msgpack layer under the term codec: the encoder writes with
// msgpack's low-level API into a byte slice it can patch in place (wbuf);
// the decoder reads from a validated frame, checking every code before
// decoding it (msgpack's own functions accept nil for a number, or a
// binary for a string), and reads the commonest codes straight from the
// frame without going through the msgpack Decoder.

// wbuf is the encoder's output: a growable byte slice the msgpack Encoder
// writes into directly, so the codec can patch lengths in place.
type wbuf struct{ b []byte }

func (w *wbuf) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

func (w *wbuf) WriteByte(c byte) error { w.b = append(w.b, c); return nil }

func (w *wbuf) WriteString(s string) (int, error) { w.b = append(w.b, s...); return len(s), nil }

// encoder writes terms with msgpack's low-level API; reflection is used
// only for typed containers and named types.
type encoder struct {
	c   *Codec
	w   wbuf
	enc *msgpack.Encoder
	// pids remembers how the last pids encoded look on the wire: a stream
	// of messages names the same few pids over and over.
	pids    [2]encodedPid
	nextPid int
}

type encodedPid struct {
	pid term.Pid
	raw []byte
}

func newEncoder(c *Codec) *encoder {
	e := &encoder{c: c}
	e.enc = msgpack.NewEncoder(&e.w)
	return e
}

// beginExt32 writes an ext32 header whose length is patched by endExt: the
// payload of a container extension is not known in advance.
func (e *encoder) beginExt32(typ int8) int {
	e.w.b = append(e.w.b, 0xc9, 0, 0, 0, 0, byte(typ))
	return len(e.w.b)
}

func (e *encoder) endExt(start int) {
	binary.BigEndian.PutUint32(e.w.b[start-5:], uint32(len(e.w.b)-start))
}

func strSize(n int) int {
	switch {
	case n < 32:
		return 1 + n
	case n < 256:
		return 2 + n
	case n <= 0xffff:
		return 3 + n
	}
	return 5 + n
}

func uintSize(x uint64) int {
	switch {
	case x <= 0x7f:
		return 1
	case x <= 0xff:
		return 2
	case x <= 0xffff:
		return 3
	case x <= 0xffffffff:
		return 5
	}
	return 9
}

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
	atoms   map[string]any // short atoms, boxed as terms (see atom)
	pids    [2]cachedIdent // the last pids decoded, by their wire bytes
	nextPid int
	alloc   uint64 // bytes typed values may still take in this frame (see charge)
}

// cachedIdent remembers the wire bytes of a pid and the pid they decode
// to: a stream of messages names the same two or three pids over and over.
type cachedIdent struct {
	raw   []byte
	pid   term.Pid
	boxed any // pid as a term, once a term held it (see pidTerm)
}

// maxInterned bounds a decoder's string cache and its atom cache;
// strings longer than maxInternedLen bytes are not cached.
const (
	maxInterned    = 1024
	maxInternedLen = 64
)

func newDecoder(c *Codec) *decoder {
	d := &decoder{c: c, strs: make(map[string]string), atoms: make(map[string]any)}
	d.dec = msgpack.NewDecoder(&d.rd) // bytes.Reader is a ByteScanner: no extra buffering
	return d
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

// skip advances past n bytes the caller has parsed from d.buf itself: the
// fast paths below read the commonest msgpack codes straight from the
// frame, and leave the rest to the msgpack Decoder.
func (d *decoder) skip(n int) { _, _ = d.rd.Seek(int64(n), io.SeekCurrent) }

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
	if n > maxInternedLen {
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
