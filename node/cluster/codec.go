package cluster

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/gerl-dev/gerl/node/term"
)

// The term encoding (docs/protocol.md, "Terms"). A term is one msgpack
// value. The types msgpack has natively map to fixed Go types:
//
//	nil <-> nil          bool <-> bool        int family <-> int
//	float32 <-> float32  float64 <-> float64  str <-> string
//	bin <-> []byte       array <-> []any      map (str keys) <-> map[string]any
//
// gerl's own types are extensions (the ext* codes below). Every other Go
// type a message may hold (int8, uint64, []int, map[int]string, [2]int, a
// nil []any...) travels as a Typed extension: its canonical type written in
// Go syntax (term.Canonical), then the value encoded by that type. So the
// decoder builds exactly the types term.Copy produces, and a receiver cannot
// tell a remote message from a local one.

const termMaxDepth = term.MaxDepth

// Extension type codes. Wire constants: append only, never renumber.
const (
	extAtom     int8 = 1  // raw UTF-8 bytes of the name
	extPid      int8 = 2  // str node, uint id, uint creation
	extRef      int8 = 3  // str node, uint id, uint creation [, uint words, uint word 2..] (codec_erlang.go)
	extTuple    int8 = 4  // array of terms
	extName     int8 = 5  // str name, str node
	extDown     int8 = 6  // Ref, Pid, str name, term reason
	extExit     int8 = 7  // Pid from, term reason
	extNodeUp   int8 = 8  // str node
	extNodeDown int8 = 9  // str node, term reason
	extCall     int8 = 10 // Pid from, Ref, term request [, term Erlang tag]
	extReply    int8 = 11 // Ref, term value [, term Erlang tag]
	extTyped    int8 = 12 // str type, value encoded by that type
	// Erlang's terms Go has no type for (codec_erlang.go).
	extBigInt    int8 = 13 // raw: sign byte, little-endian magnitude
	extBitString int8 = 14 // raw: tail bits byte, bytes
	extImproper  int8 = 15 // array of elements, tail term
	extPairMap   int8 = 16 // array of keys and values, alternating; empty payload: a nil term.Map
	extOpaque    int8 = 17 // raw: the term's External Term Format encoding
	extLast           = extOpaque
)

// Codec encodes and decodes terms. It caches type descriptors (bounded),
// and is safe for concurrent use; the zero value is not usable, use
// NewCodec.
type Codec struct {
	encPool sync.Pool // *encoder

	freeMu  sync.Mutex // protects free
	free    [][]byte   // frame buffers for reuse, see frameBuf
	decPool sync.Pool  // *decoder

	mu     sync.Mutex // protects following
	descOf map[reflect.Type]string
	typeOf map[string]reflect.Type
	made   int // types built from descriptors peers sent (see maxMadeTypes)
}

// maxTypeCache bounds the cache of descriptors of local types.
const maxTypeCache = 4096

// maxMadeTypes bounds how many slice, array and map types the descriptors
// peers send may make the codec build. Go keeps every type reflect builds
// for the life of the process, so without a bound a peer sending endless
// new descriptors ([1]int8, [2]int8, ...) would grow memory without end.
// A message whose descriptor would pass it is refused (the connection
// closes as on any malformed frame). Parsed descriptors are all cached, so
// the cache is bounded by the same number.
const maxMadeTypes = 4096

// NewCodec returns a Codec.
func NewCodec() *Codec {
	c := &Codec{descOf: map[reflect.Type]string{}, typeOf: map[string]reflect.Type{}}
	c.encPool.New = func() any { return newEncoder(c) }
	c.decPool.New = func() any { return newDecoder(c) }
	return c
}

// AppendTerm appends the encoding of v to dst. It fails, with exactly the
// error term.Copy(v) returns, for values that cannot be sent.
func (c *Codec) AppendTerm(dst []byte, v any) ([]byte, error) {
	e := c.getEncoder(dst)
	err := e.term(v, 0)
	out := e.w.b
	c.putEncoder(e)
	if err != nil {
		return dst, sendError(v, err)
	}
	return out, nil
}

// DecodeTerm decodes one term that fills b exactly. b is validated first;
// the result shares no memory with b.
func (c *Codec) DecodeTerm(b []byte) (any, error) {
	if err := validate(b); err != nil {
		return nil, err
	}
	d := c.getDecoder(b)
	defer c.putDecoder(d)
	v, err := d.term(0)
	if err != nil {
		return nil, err
	}
	if d.rd.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the term", ErrMalformed, d.rd.Len())
	}
	return v, nil
}

// sendError turns an encoder failure into the error term.Copy gives for the
// same value, so callers see one error whatever the destination.
func sendError(v any, err error) error {
	if _, cerr := term.Copy(v); cerr != nil {
		return cerr
	}
	return err
}

func (c *Codec) getEncoder(dst []byte) *encoder {
	e := c.encPool.Get().(*encoder)
	e.w.b = dst
	return e
}

func (c *Codec) putEncoder(e *encoder) {
	e.w.b = nil
	c.encPool.Put(e)
}

// frameBuf returns an empty buffer to encode a frame into: a recycled one
// when there is one. Frames go back with recycle once sent.
func (c *Codec) frameBuf() []byte {
	c.freeMu.Lock()
	if n := len(c.free); n > 0 {
		b := c.free[n-1]
		c.free[n-1] = nil
		c.free = c.free[:n-1]
		c.freeMu.Unlock()
		return b[:0]
	}
	c.freeMu.Unlock()
	return make([]byte, 0, 256)
}

// recycle takes back a frame buffer that nobody uses any more.
func (c *Codec) recycle(frame []byte) {
	if cap(frame) == 0 || cap(frame) > maxRecycled {
		return
	}
	c.freeMu.Lock()
	if len(c.free) < maxFree {
		c.free = append(c.free, frame)
	}
	c.freeMu.Unlock()
}

// maxFree is how many frame buffers a codec keeps for reuse.
const maxFree = 256

// maxRecycled is the largest frame buffer kept for reuse.
const maxRecycled = 64 << 10

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
