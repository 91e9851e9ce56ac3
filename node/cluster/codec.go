package cluster

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"sync"

	"github.com/gerl-dev/gerl/node/term"
	"github.com/vmihailenco/msgpack/v5"
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
	extCall     int8 = 10 // Pid from, Ref, term request
	extReply    int8 = 11 // Ref, term value
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

func (c *Codec) putEncoder(e *encoder) {
	e.w.b = nil
	c.encPool.Put(e)
}

// wbuf is the encoder's output: a growable byte slice the msgpack Encoder
// writes into directly, so the codec can patch lengths in place.
type wbuf struct{ b []byte }

func (w *wbuf) Write(p []byte) (int, error)       { w.b = append(w.b, p...); return len(p), nil }
func (w *wbuf) WriteByte(c byte) error            { w.b = append(w.b, c); return nil }
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

func (e *encoder) ident(typ int8, node term.Atom, id uint64, creation uint32) {
	_ = e.enc.EncodeExtHeader(typ, strSize(len(node))+uintSize(id)+uintSize(uint64(creation)))
	_ = e.enc.EncodeString(string(node))
	_ = e.enc.EncodeUint(id)
	_ = e.enc.EncodeUint(uint64(creation))
}

func (e *encoder) pid(p term.Pid) {
	for i := range e.pids {
		if c := &e.pids[i]; c.raw != nil && c.pid == p {
			e.w.b = append(e.w.b, c.raw...)
			return
		}
	}
	start := len(e.w.b)
	e.ident(extPid, p.Node, p.ID, p.Creation)
	c := &e.pids[e.nextPid]
	c.pid, c.raw = p, append(c.raw[:0], e.w.b[start:]...)
	e.nextPid = (e.nextPid + 1) % len(e.pids)
}
func (e *encoder) ref(r term.Ref) {
	if r.NumWords() != 2 {
		e.erlangRef(r)
		return
	}
	e.ident(extRef, r.Node, r.ID, r.Creation)
}

func (e *encoder) atom(a term.Atom) {
	_ = e.enc.EncodeExtHeader(extAtom, len(a))
	e.w.b = append(e.w.b, a...)
}

func (e *encoder) tuple(t term.Tuple, depth int) error {
	if depth >= termMaxDepth {
		return errTooDeep
	}
	start := e.beginExt32(extTuple)
	_ = e.enc.EncodeArrayLen(len(t))
	for _, x := range t {
		if err := e.term(x, depth+1); err != nil {
			return err
		}
	}
	e.endExt(start)
	return nil
}

var errTooDeep = fmt.Errorf("term nested deeper than %d levels", termMaxDepth)

// term encodes v, a value of any sendable type.
func (e *encoder) term(v any, depth int) error {
	switch x := v.(type) {
	case nil:
		return e.enc.EncodeNil()
	case int:
		return e.enc.EncodeInt(int64(x))
	case term.Atom:
		e.atom(x)
		return nil
	case term.Pid:
		e.pid(x)
		return nil
	case term.Tuple:
		return e.tuple(x, depth)
	case string:
		return e.enc.EncodeString(x)
	case []byte:
		if x == nil {
			break // typed nil
		}
		return e.enc.EncodeBytes(x)
	case bool:
		return e.enc.EncodeBool(x)
	case float64:
		return e.enc.EncodeFloat64(x)
	case float32:
		return e.enc.EncodeFloat32(x)
	case term.Ref:
		e.ref(x)
		return nil
	case []any:
		if x == nil {
			break
		}
		if depth >= termMaxDepth {
			return errTooDeep
		}
		_ = e.enc.EncodeArrayLen(len(x))
		for _, y := range x {
			if err := e.term(y, depth+1); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		if x == nil {
			break
		}
		if depth >= termMaxDepth {
			return errTooDeep
		}
		_ = e.enc.EncodeMapLen(len(x))
		for k, y := range x {
			_ = e.enc.EncodeString(k)
			if err := e.term(y, depth+1); err != nil {
				return err
			}
		}
		return nil
	case term.Name:
		_ = e.enc.EncodeExtHeader(extName, strSize(len(x.Name))+strSize(len(x.Node)))
		_ = e.enc.EncodeString(string(x.Name))
		return e.enc.EncodeString(string(x.Node))
	case term.NodeUp:
		_ = e.enc.EncodeExtHeader(extNodeUp, strSize(len(x.Node)))
		return e.enc.EncodeString(string(x.Node))
	case term.Down:
		start := e.beginExt32(extDown)
		e.ref(x.Ref)
		e.pid(x.Pid)
		_ = e.enc.EncodeString(string(x.Name))
		if err := e.term(x.Reason, depth+1); err != nil {
			return err
		}
		e.endExt(start)
		return nil
	case term.Exit:
		start := e.beginExt32(extExit)
		e.pid(x.From)
		if err := e.term(x.Reason, depth+1); err != nil {
			return err
		}
		e.endExt(start)
		return nil
	case term.NodeDown:
		start := e.beginExt32(extNodeDown)
		_ = e.enc.EncodeString(string(x.Node))
		if err := e.term(x.Reason, depth+1); err != nil {
			return err
		}
		e.endExt(start)
		return nil
	case term.Call:
		start := e.beginExt32(extCall)
		e.pid(x.From)
		e.ref(x.Ref)
		if err := e.term(x.Request, depth+1); err != nil {
			return err
		}
		e.endExt(start)
		return nil
	case term.Reply:
		start := e.beginExt32(extReply)
		e.ref(x.Ref)
		if err := e.term(x.Value, depth+1); err != nil {
			return err
		}
		e.endExt(start)
		return nil
	}
	if done, err := e.erlangTerm(v, depth); done {
		return err
	}
	return e.typed(reflect.ValueOf(v), depth)
}

// typed encodes a value whose type has no native form: a Typed extension
// holding its canonical type and the value. A named type whose canonical
// type has a native form (type S string) is converted and encoded natively.
func (e *encoder) typed(rv reflect.Value, depth int) error {
	ct, err := term.Canonical(rv.Type())
	if err != nil {
		return err
	}
	if ct != rv.Type() && native(ct) {
		nilContainer := (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Map) && rv.IsNil()
		if !nilContainer {
			return e.term(rv.Convert(ct).Interface(), depth)
		}
	}
	if depth >= termMaxDepth {
		return errTooDeep
	}
	desc := e.c.desc(ct)
	start := e.beginExt32(extTyped)
	_ = e.enc.EncodeString(desc)
	if err := e.value(rv, ct, depth); err != nil {
		return err
	}
	e.endExt(start)
	return nil
}

// native reports whether values of canonical type t encode without a type
// descriptor (nil slices and maps aside).
func native(t reflect.Type) bool {
	switch t {
	case anyType, atomType, pidType, refType, tupleType, nameType, downType, exitType,
		nodeUpType, nodeDownType, callType, replyType,
		bigIntType, bitStringType, improperType, pairMapType, opaqueType,
		reflect.TypeFor[int](), reflect.TypeFor[string](), reflect.TypeFor[bool](),
		reflect.TypeFor[float64](), reflect.TypeFor[float32](), reflect.TypeFor[[]byte](),
		reflect.TypeFor[[]any](), reflect.TypeFor[map[string]any]():
		return true
	}
	return false
}

// value encodes rv as a value of canonical type t (rv's own type may be a
// named type with t as its canonical form).
func (e *encoder) value(rv reflect.Value, t reflect.Type, depth int) error {
	if t == anyType {
		if rv.Kind() == reflect.Interface {
			if rv.IsNil() {
				return e.enc.EncodeNil()
			}
			rv = rv.Elem()
		}
		return e.term(rv.Interface(), depth+1)
	}
	if isOwn(t) {
		if t == tupleType && rv.IsNil() {
			return e.enc.EncodeNil() // Copy keeps a nil Tuple inside a typed container
		}
		return e.term(rv.Interface(), depth+1)
	}
	switch t.Kind() {
	case reflect.Bool:
		return e.enc.EncodeBool(rv.Bool())
	case reflect.String:
		return e.enc.EncodeString(rv.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return e.enc.EncodeInt(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return e.enc.EncodeUint(rv.Uint())
	case reflect.Float32:
		return e.enc.EncodeFloat32(float32(rv.Float()))
	case reflect.Float64:
		return e.enc.EncodeFloat64(rv.Float())
	}
	if depth+1 >= termMaxDepth {
		return errTooDeep
	}
	switch t.Kind() {
	case reflect.Slice:
		if rv.IsNil() {
			return e.enc.EncodeNil()
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return e.enc.EncodeBytes(rv.Bytes())
		}
		return e.elems(rv, t.Elem(), depth)
	case reflect.Array:
		return e.elems(rv, t.Elem(), depth)
	case reflect.Map:
		if rv.IsNil() {
			return e.enc.EncodeNil()
		}
		_ = e.enc.EncodeMapLen(rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			if err := e.value(iter.Key(), t.Key(), depth+1); err != nil {
				return err
			}
			if err := e.value(iter.Value(), t.Elem(), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("cannot encode %s", t)
}

func (e *encoder) elems(rv reflect.Value, et reflect.Type, depth int) error {
	n := rv.Len()
	_ = e.enc.EncodeArrayLen(n)
	for i := 0; i < n; i++ {
		if err := e.value(rv.Index(i), et, depth+1); err != nil {
			return err
		}
	}
	return nil
}

var (
	anyType      = reflect.TypeFor[any]()
	atomType     = reflect.TypeFor[term.Atom]()
	pidType      = reflect.TypeFor[term.Pid]()
	refType      = reflect.TypeFor[term.Ref]()
	tupleType    = reflect.TypeFor[term.Tuple]()
	nameType     = reflect.TypeFor[term.Name]()
	downType     = reflect.TypeFor[term.Down]()
	exitType     = reflect.TypeFor[term.Exit]()
	nodeUpType   = reflect.TypeFor[term.NodeUp]()
	nodeDownType = reflect.TypeFor[term.NodeDown]()
	callType     = reflect.TypeFor[term.Call]()
	replyType    = reflect.TypeFor[term.Reply]()

	bigIntType    = reflect.TypeFor[term.BigInt]()
	bitStringType = reflect.TypeFor[term.BitString]()
	improperType  = reflect.TypeFor[term.ImproperList]()
	pairMapType   = reflect.TypeFor[term.Map]()
	opaqueType    = reflect.TypeFor[term.Opaque]()
)

// ownType returns the gerl type a descriptor names term.X (see writeDesc).
func ownType(name string) (reflect.Type, bool) {
	for _, t := range [...]reflect.Type{atomType, pidType, refType, tupleType, nameType, downType,
		exitType, nodeUpType, nodeDownType, callType, replyType,
		bigIntType, bitStringType, improperType, pairMapType, opaqueType} {
		if name == "term."+t.Name() {
			return t, true
		}
	}
	return nil, false
}

func isOwn(t reflect.Type) bool {
	switch t {
	case atomType, pidType, refType, tupleType, nameType, downType, exitType,
		nodeUpType, nodeDownType, callType, replyType,
		bigIntType, bitStringType, improperType, pairMapType, opaqueType:
		return true
	}
	return false
}
