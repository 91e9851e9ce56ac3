package etf

import (
	"encoding/binary"
	"math"
	"reflect"
	"strconv"
	"unicode/utf8"

	"github.com/gerl-dev/gerl/node/term"
)

// Append appends the encoding of v to dst, version byte 131 first (as
// term_to_binary writes it, and as each term of a pass-through
// distribution frame is written). v may be any value term.Copy accepts;
// see docs/terms.md ("Terms and Erlang") for what an Erlang node receives.
// A value Erlang has no form for is refused, never changed: an atom of
// more than 255 characters or not UTF-8, a NaN or infinite float, an
// invalid BitString or ImproperList, an Opaque whose bytes are not a
// port or fun, and everything term.Copy refuses. The error matches
// term.ErrUnsendable and names the value and where it sits (an
// *term.UnsendableError); dst is then returned unchanged. Append is safe
// for concurrent use.
func Append(dst []byte, v any) ([]byte, error) {
	return appendTerm(append(dst, Version), v, len(dst))
}

// AppendRaw appends the encoding of v without the version byte (the
// control message after a distribution header).
func AppendRaw(dst []byte, v any) ([]byte, error) {
	return appendTerm(dst, v, len(dst))
}

func appendTerm(dst []byte, v any, keep int) ([]byte, error) {
	e := encoder{b: dst}
	if err := e.term(v, 0); err != nil {
		return dst[:keep], finish(v, err)
	}
	return e.b, nil
}

// encodeError accumulates the path to a value that cannot be encoded
// while the recursion unwinds (innermost element first).
type encodeError struct {
	typ, why string
	rev      []string
	reflect  bool // a Go type term.Copy refuses: report Copy's own error
}

func (e *encodeError) Error() string { return e.why }

func refuse(typ, why string) error { return &encodeError{typ: typ, why: why} }

func at(err error, elem string) error {
	if ee, ok := err.(*encodeError); ok {
		ee.rev = append(ee.rev, elem)
	}
	return err
}

func index(i int) string { return "[" + strconv.Itoa(i) + "]" }

// finish turns an encoder failure into the exported error: term.Copy's
// own error when Copy refuses v too (one message whatever the
// destination), the encoder's with its path otherwise.
func finish(v any, err error) error {
	ee, ok := err.(*encodeError)
	if !ok {
		return err
	}
	if ee.reflect {
		if _, cerr := term.Copy(v); cerr != nil {
			return cerr
		}
	}
	path := "msg"
	for i := len(ee.rev) - 1; i >= 0; i-- {
		path += ee.rev[i]
	}
	return &term.UnsendableError{Type: ee.typ, Path: path, Why: ee.why}
}

func tooDeep() error {
	return refuse("value", "nested deeper than "+strconv.Itoa(term.MaxDepth)+" levels (a value that contains itself?)")
}

type encoder struct {
	b []byte
}

// Atoms the encoder writes for Go values.
const (
	atomTrue  term.Atom = "true"
	atomFalse term.Atom = "false"
	atomNil   term.Atom = "nil"
)

// term encodes v at container depth depth.
func (e *encoder) term(v any, depth int) error {
	switch x := v.(type) {
	case nil:
		e.atomUnchecked(atomNil)
	case bool:
		if x {
			e.atomUnchecked(atomTrue)
		} else {
			e.atomUnchecked(atomFalse)
		}
	case int:
		e.int(int64(x))
	case term.Atom:
		return e.atom(x)
	case term.Tuple:
		return e.tuple(x, depth)
	case string:
		e.binary(x)
	case []byte:
		e.b = appendBinary(e.b, x)
	case float64:
		return e.float(x, "float64")
	case term.Pid:
		return e.pid(x)
	case term.Ref:
		return e.ref(x)
	case []any:
		return e.list(x, depth)
	case map[string]any:
		if depth >= term.MaxDepth {
			return tooDeep()
		}
		e.b = append(e.b, tagMap)
		e.b = binary.BigEndian.AppendUint32(e.b, uint32(len(x)))
		for k, y := range x {
			e.binary(k)
			if err := e.term(y, depth+1); err != nil {
				return at(err, "["+strconv.Quote(k)+"]")
			}
		}
	case map[any]any:
		return e.anyMap(x, depth)
	case int64:
		e.int(x)
	case term.BigInt:
		e.bigInt(x)
	case term.ImproperList:
		return e.improper(x, depth)
	case term.BitString:
		if err := x.Check(); err != nil {
			return refuse("term.BitString", err.Error())
		}
		e.b = append(e.b, tagBitBinary)
		e.b = binary.BigEndian.AppendUint32(e.b, uint32(len(x.Bytes)))
		e.b = append(e.b, x.TailBits)
		e.b = append(e.b, x.Bytes[:len(x.Bytes)-1]...)
		e.b = append(e.b, x.LastByte())
	case term.Map:
		return e.pairMap(x, depth)
	case term.Opaque:
		enc := x.AppendETF(nil)
		if _, err := ParseOpaque(enc); err != nil {
			return refuse("term.Opaque", "its bytes are not the encoding of a port or fun: "+err.Error())
		}
		e.b = append(e.b, enc...)
	case term.Name:
		e.tupleHeader(2)
		if err := e.atom(x.Name); err != nil {
			return at(err, ".Name")
		}
		return at(e.atom(x.Node), ".Node")
	case term.Down:
		e.tupleHeader(5)
		e.atomUnchecked("DOWN")
		if err := e.ref(x.Ref); err != nil {
			return at(err, ".Ref")
		}
		e.atomUnchecked("process")
		if x.Name != "" {
			if err := e.term(term.Name{Name: x.Name, Node: x.Pid.Node}, depth+1); err != nil {
				return err
			}
		} else if err := e.pid(x.Pid); err != nil {
			return at(err, ".Pid")
		}
		return at(e.term(x.Reason, depth+1), ".Reason")
	case term.ExitSignal:
		e.tupleHeader(3)
		e.atomUnchecked("EXIT")
		if err := e.pid(x.From); err != nil {
			return at(err, ".From")
		}
		return at(e.term(x.Reason, depth+1), ".Reason")
	case term.NodeUp:
		e.tupleHeader(2)
		e.atomUnchecked("nodeup")
		return at(e.atom(x.Node), ".Node")
	case term.NodeDown:
		if x.Reason == nil {
			e.tupleHeader(2)
		} else {
			e.tupleHeader(3)
		}
		e.atomUnchecked("nodedown")
		if err := e.atom(x.Node); err != nil {
			return at(err, ".Node")
		}
		if x.Reason != nil {
			// [{nodedown_reason, Reason}], as net_kernel:monitor_nodes reports it
			e.b = append(e.b, tagList, 0, 0, 0, 1)
			e.tupleHeader(2)
			e.atomUnchecked("nodedown_reason")
			if err := e.term(x.Reason, depth+1); err != nil {
				return at(err, ".Reason")
			}
			e.b = append(e.b, tagNil)
		}
	case term.Request:
		e.tupleHeader(3)
		e.atomUnchecked("$gen_call")
		e.tupleHeader(2)
		if err := e.pid(x.From); err != nil {
			return at(err, ".From")
		}
		if err := e.tag(x.Ref, x.Tag, depth); err != nil {
			return err
		}
		return at(e.term(x.Body, depth+1), ".Body")
	case term.Reply:
		e.tupleHeader(2)
		if err := e.tag(x.Ref, x.Tag, depth); err != nil {
			return err
		}
		return at(e.term(x.Value, depth+1), ".Value")
	default:
		return e.value(reflect.ValueOf(v), depth)
	}
	return nil
}

// tag writes a call's tag: the Erlang caller's own when it gave one (see
// term.Call), else the ref.
func (e *encoder) tag(ref term.Ref, tag any, depth int) error {
	if tag != nil {
		return at(e.term(tag, depth+1), ".Tag")
	}
	return at(e.ref(ref), ".Ref")
}

// int writes an integer as erts does: SMALL_INTEGER_EXT for 0..255,
// INTEGER_EXT for 32-bit values, SMALL_BIG_EXT beyond.
func (e *encoder) int(n int64) {
	switch {
	case n >= 0 && n <= 255:
		e.b = append(e.b, tagSmallInteger, byte(n))
	case n >= math.MinInt32 && n <= math.MaxInt32:
		e.b = append(e.b, tagInteger)
		e.b = binary.BigEndian.AppendUint32(e.b, uint32(int32(n)))
	case n < 0:
		e.big(true, uint64(-n)) // -MinInt64 wraps to 1<<63, as wanted
	default:
		e.big(false, uint64(n))
	}
}

func (e *encoder) uint(n uint64) {
	if n <= math.MaxInt64 {
		e.int(int64(n))
		return
	}
	e.big(false, n)
}

// big writes a SMALL_BIG_EXT of sign neg and magnitude mag.
func (e *encoder) big(neg bool, mag uint64) {
	var le [8]byte
	binary.LittleEndian.PutUint64(le[:], mag)
	n := 8
	for n > 0 && le[n-1] == 0 {
		n--
	}
	sign := byte(0)
	if neg {
		sign = 1
	}
	e.b = append(e.b, tagSmallBig, byte(n), sign)
	e.b = append(e.b, le[:n]...)
}

func (e *encoder) bigInt(x term.BigInt) {
	if v, ok := x.Int64(); ok {
		e.int(v)
		return
	}
	sign := byte(0)
	if x.Sign() < 0 {
		sign = 1
	}
	if n := x.Len(); n <= 255 {
		e.b = append(e.b, tagSmallBig, byte(n), sign)
	} else {
		e.b = append(e.b, tagLargeBig)
		e.b = binary.BigEndian.AppendUint32(e.b, uint32(n))
		e.b = append(e.b, sign)
	}
	e.b = x.AppendBytes(e.b)
}

func (e *encoder) float(f float64, typ string) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return refuse(typ, term.FormatFloat(f, 64)+" has no Erlang form (Erlang floats are finite)")
	}
	e.b = append(e.b, tagNewFloat)
	e.b = binary.BigEndian.AppendUint64(e.b, math.Float64bits(f))
	return nil
}

func (e *encoder) binary(s string) { e.b = appendBinary(e.b, s) }

func appendBinary[T string | []byte](b []byte, s T) []byte {
	b = append(b, tagBinary)
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// checkAtom returns why a cannot be an Erlang atom, or "".
func checkAtom(a term.Atom) string {
	if len(a) > maxAtomChars {
		if !utf8.ValidString(string(a)) {
			return "atoms are UTF-8 text; this one is not"
		}
		if n := utf8.RuneCountInString(string(a)); n > maxAtomChars {
			return "an Erlang atom has at most 255 characters; this one has " + strconv.Itoa(n)
		}
	} else if !utf8.ValidString(string(a)) {
		return "atoms are UTF-8 text; this one is not"
	}
	return ""
}

func (e *encoder) atom(a term.Atom) error {
	if why := checkAtom(a); why != "" {
		return refuse("term.Atom", why)
	}
	e.atomUnchecked(a)
	return nil
}

// atomUnchecked writes a valid atom: SMALL_ATOM_UTF8_EXT, or ATOM_UTF8_EXT
// when it takes more than 255 bytes.
func (e *encoder) atomUnchecked(a term.Atom) {
	if len(a) <= 255 {
		e.b = append(e.b, tagSmallAtomUTF8, byte(len(a)))
	} else {
		e.b = append(e.b, tagAtomUTF8, byte(len(a)>>8), byte(len(a)))
	}
	e.b = append(e.b, a...)
}

func (e *encoder) node(n term.Atom, what string) error {
	if why := checkAtom(n); why != "" {
		return at(refuse("term.Atom", why), what)
	}
	e.atomUnchecked(n)
	return nil
}

// pid writes NEW_PID_EXT: the low 32 bits of the ID, then the high 32 as
// the Serial.
func (e *encoder) pid(p term.Pid) error {
	e.b = append(e.b, tagNewPid)
	if err := e.node(p.Node, ".Node"); err != nil {
		return err
	}
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(p.ID))
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(p.ID>>32))
	e.b = binary.BigEndian.AppendUint32(e.b, p.Creation)
	return nil
}

// ref writes NEWER_REFERENCE_EXT with the ref's words.
func (e *encoder) ref(r term.Ref) error {
	n := r.NumWords()
	e.b = append(e.b, tagNewerReference, byte(n>>8), byte(n))
	if err := e.node(r.Node, ".Node"); err != nil {
		return err
	}
	e.b = binary.BigEndian.AppendUint32(e.b, r.Creation)
	for i := 0; i < n; i++ {
		e.b = binary.BigEndian.AppendUint32(e.b, r.Word(i))
	}
	return nil
}

func (e *encoder) tupleHeader(n int) {
	if n < 256 {
		e.b = append(e.b, tagSmallTuple, byte(n))
	} else {
		e.b = append(e.b, tagLargeTuple)
		e.b = binary.BigEndian.AppendUint32(e.b, uint32(n))
	}
}

func (e *encoder) tuple(t term.Tuple, depth int) error {
	if depth >= term.MaxDepth {
		return tooDeep()
	}
	e.tupleHeader(len(t))
	for i, x := range t {
		if err := e.term(x, depth+1); err != nil {
			return at(err, index(i))
		}
	}
	return nil
}

// list writes a proper list: NIL_EXT when empty, STRING_EXT when every
// element is an int from 0 to 255 (as erts writes such lists), LIST_EXT
// otherwise.
func (e *encoder) list(l []any, depth int) error {
	if len(l) == 0 {
		e.b = append(e.b, tagNil)
		return nil
	}
	if depth >= term.MaxDepth {
		return tooDeep()
	}
	if len(l) <= math.MaxUint16 && byteInts(l) {
		e.b = append(e.b, tagString, byte(len(l)>>8), byte(len(l)))
		for _, x := range l {
			e.b = append(e.b, byte(x.(int)))
		}
		return nil
	}
	e.b = append(e.b, tagList)
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(len(l)))
	for i, x := range l {
		if err := e.term(x, depth+1); err != nil {
			return at(err, index(i))
		}
	}
	e.b = append(e.b, tagNil)
	return nil
}

func byteInts(l []any) bool {
	for _, x := range l {
		if n, ok := x.(int); !ok || n < 0 || n > 255 {
			return false
		}
	}
	return true
}

func (e *encoder) improper(l term.ImproperList, depth int) error {
	if err := l.Check(); err != nil {
		return refuse("term.ImproperList", err.Error())
	}
	if depth >= term.MaxDepth {
		return tooDeep()
	}
	e.b = append(e.b, tagList)
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(len(l.Elems)))
	for i, x := range l.Elems {
		if err := e.term(x, depth+1); err != nil {
			return at(at(err, index(i)), ".Elems")
		}
	}
	return at(e.term(l.Tail, depth+1), ".Tail")
}

func (e *encoder) anyMap(m map[any]any, depth int) error {
	if depth >= term.MaxDepth {
		return tooDeep()
	}
	e.b = append(e.b, tagMap)
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(len(m)))
	for k, y := range m {
		if !keyType(k) {
			return &encodeError{typ: reflect.TypeOf(k).String(), why: "map keys must be bools, numbers, strings, atoms, pids or refs (use term.Map for other keys)", reflect: true}
		}
		if err := e.term(k, depth+1); err != nil {
			return at(err, "[key "+term.Format(k)+"]")
		}
		if err := e.term(y, depth+1); err != nil {
			return at(err, "["+term.Format(k)+"]")
		}
	}
	return nil
}

// keyType reports whether a key of a map[any]any is one term.Copy takes.
func keyType(k any) bool {
	switch k.(type) {
	case nil, bool, string, int, int64, float64, term.Atom, term.Pid, term.Ref, term.BigInt, term.Opaque:
		return true
	}
	_, err := term.Copy(map[any]any{k: nil})
	return err == nil
}

func (e *encoder) pairMap(m term.Map, depth int) error {
	if depth >= term.MaxDepth {
		return tooDeep()
	}
	e.b = append(e.b, tagMap)
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(len(m)))
	for i, p := range m {
		if err := e.term(p.Key, depth+1); err != nil {
			return at(err, index(i)+".Key")
		}
		if err := e.term(p.Value, depth+1); err != nil {
			return at(err, index(i)+".Value")
		}
	}
	return nil
}
