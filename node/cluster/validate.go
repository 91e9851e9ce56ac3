package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrMalformed is matched by every error about bytes that do not follow the
// protocol: a frame that fails validation, a term the decoder refuses, a
// handshake message out of place. The connection that sent them is closed;
// the node carries on.
var ErrMalformed = errors.New("malformed distribution data")

// maxWireDepth bounds the nesting of msgpack containers in one frame: a
// term may nest term.MaxDepth containers, and each can cost two levels on
// the wire (an extension wrapping an array), plus the frame's own array.
const maxWireDepth = 2*termMaxDepth + 8

// validate walks one frame payload, a sequence of msgpack values, without
// allocating and without trusting any declared length: every string, binary
// and extension length is checked against the bytes that remain, every
// array or map count against the remaining bytes too (each element takes at
// least one byte), and nesting is bounded by maxWireDepth. Extension
// payloads are walked as well, by the rules of their type (see codec.go).
// Only a payload that passes is handed to the msgpack decoder, whose own
// allocations then cannot exceed the frame's size (the v5.4.1 decoder
// otherwise allocates whatever a 5-byte header declares).
func validate(b []byte) error {
	v := validator{b: b}
	for v.pos < len(v.b) {
		if err := v.value(0); err != nil {
			return err
		}
	}
	return nil
}

type validator struct {
	b   []byte
	pos int
}

func (v *validator) fail(format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", ErrMalformed, v.pos, fmt.Sprintf(format, args...))
}

func (v *validator) remaining() int { return len(v.b) - v.pos }

// need checks that n more bytes exist and consumes them.
func (v *validator) need(n int, what string) error {
	if n < 0 || n > v.remaining() {
		return v.fail("%s of %d bytes, but only %d remain", what, n, v.remaining())
	}
	v.pos += n
	return nil
}

// uintN reads a big-endian length of size bytes.
func (v *validator) uintN(size int) (int, error) {
	if size > v.remaining() {
		return 0, v.fail("truncated length")
	}
	var n uint64
	switch size {
	case 1:
		n = uint64(v.b[v.pos])
	case 2:
		n = uint64(binary.BigEndian.Uint16(v.b[v.pos:]))
	case 4:
		n = uint64(binary.BigEndian.Uint32(v.b[v.pos:]))
	}
	v.pos += size
	if n > uint64(len(v.b)) {
		return 0, v.fail("declared length %d exceeds the frame (%d bytes)", n, len(v.b))
	}
	return int(n), nil
}

// value validates one msgpack value at depth.
func (v *validator) value(depth int) error {
	if depth > maxWireDepth {
		return v.fail("nested deeper than %d levels", maxWireDepth)
	}
	if v.remaining() < 1 {
		return v.fail("truncated value")
	}
	c := v.b[v.pos]
	v.pos++
	switch {
	case c <= 0x7f || c >= 0xe0: // fixint
		return nil
	case c >= 0x80 && c <= 0x8f: // fixmap
		return v.items(2*int(c&0x0f), depth)
	case c >= 0x90 && c <= 0x9f: // fixarray
		return v.items(int(c&0x0f), depth)
	case c >= 0xa0 && c <= 0xbf: // fixstr
		return v.need(int(c&0x1f), "string")
	}
	switch c {
	case 0xc0, 0xc2, 0xc3: // nil, false, true
		return nil
	case 0xc1:
		return v.fail("reserved code 0xc1")
	case 0xc4, 0xd9: // bin8, str8
		n, err := v.uintN(1)
		if err != nil {
			return err
		}
		return v.need(n, "string or binary")
	case 0xc5, 0xda:
		n, err := v.uintN(2)
		if err != nil {
			return err
		}
		return v.need(n, "string or binary")
	case 0xc6, 0xdb:
		n, err := v.uintN(4)
		if err != nil {
			return err
		}
		return v.need(n, "string or binary")
	case 0xc7, 0xc8, 0xc9: // ext8/16/32
		size := 1
		if c == 0xc8 {
			size = 2
		} else if c == 0xc9 {
			size = 4
		}
		n, err := v.uintN(size)
		if err != nil {
			return err
		}
		return v.ext(n, depth)
	case 0xca: // float32
		return v.need(4, "float32")
	case 0xcb:
		return v.need(8, "float64")
	case 0xcc, 0xd0:
		return v.need(1, "integer")
	case 0xcd, 0xd1:
		return v.need(2, "integer")
	case 0xce, 0xd2:
		return v.need(4, "integer")
	case 0xcf, 0xd3:
		return v.need(8, "integer")
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1, 2, 4, 8, 16
		return v.ext(1<<(c-0xd4), depth)
	case 0xdc:
		n, err := v.uintN(2)
		if err != nil {
			return err
		}
		return v.items(n, depth)
	case 0xdd:
		n, err := v.uintN(4)
		if err != nil {
			return err
		}
		return v.items(n, depth)
	case 0xde:
		n, err := v.uintN(2)
		if err != nil {
			return err
		}
		return v.items(2*n, depth)
	case 0xdf:
		n, err := v.uintN(4)
		if err != nil {
			return err
		}
		return v.items(2*n, depth)
	}
	return v.fail("unknown code 0x%02x", c)
}

// items validates n values nested one level deeper.
func (v *validator) items(n, depth int) error {
	if n > v.remaining() {
		return v.fail("container of %d elements, but only %d bytes remain", n, v.remaining())
	}
	for i := 0; i < n; i++ {
		if err := v.value(depth + 1); err != nil {
			return err
		}
	}
	return nil
}

// ext validates an extension of n payload bytes: the type byte, then the
// payload. An Atom's payload is raw bytes; every other known type's payload
// is a sequence of msgpack values that fills it exactly. Unknown types are
// refused.
func (v *validator) ext(n, depth int) error {
	if v.remaining() < 1 {
		return v.fail("truncated extension type")
	}
	typ := int8(v.b[v.pos])
	v.pos++
	if n > v.remaining() {
		return v.fail("extension of %d bytes, but only %d remain", n, v.remaining())
	}
	switch {
	case typ == extAtom || typ == extBigInt || typ == extBitString || typ == extOpaque: // raw bytes
		v.pos += n
		return nil
	case typ < extAtom || typ > extLast:
		return v.fail("unknown extension type %d", typ)
	}
	inner := validator{b: v.b[v.pos : v.pos+n]}
	for inner.pos < len(inner.b) {
		if err := inner.value(depth + 1); err != nil {
			return fmt.Errorf("in extension %d at byte %d: %w", typ, v.pos, err)
		}
	}
	v.pos += n
	return nil
}
