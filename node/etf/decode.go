package etf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/gerl-dev/gerl/node/term"
)

// ErrMalformed is matched (errors.Is) by every error about bytes that are
// not a valid encoding: a truncated term, an unknown tag, a length that
// passes the bytes present, an atom that is not UTF-8, nesting deeper than
// term.MaxDepth. A distribution connection that receives them is closed,
// as erts does.
var ErrMalformed = errors.New("malformed term")

// ErrUnsupported is matched by errors about valid encodings gerl does not
// take: compressed terms, atom cache references (gerl never negotiates
// the atom cache), the old FUN_EXT, LOCAL_EXT, and inputs over the
// Decoder's Limit.
var ErrUnsupported = errors.New("unsupported term encoding")

// DefaultLimit is the largest input a Decoder accepts unless told
// otherwise: gerl's own frame limit, 64 MiB.
const DefaultLimit = 64 << 20

// maxInterned bounds a Decoder's atom cache.
const maxInterned = 4096

// A Decoder decodes terms from the External Term Format into the values
// docs/terms.md lists ("Terms and Erlang"). It takes hostile bytes: every
// declared length and count is checked against the bytes present before
// anything is allocated, so a term allocates at most a small multiple of
// its own size (about 48 bytes of Go values per input byte at worst, for
// a list of empty lists); nesting is bounded by term.MaxDepth; it never
// panics. The values it returns share no memory with the input.
//
// A Decoder keeps a cache of the atoms it has seen, which repeat in
// nearly every message; it is not safe for concurrent use. The zero
// Decoder is ready to use. The package-level functions use a pool of
// them and are safe for concurrent use.
type Decoder struct {
	// Limit is the largest input, in bytes, the Decoder accepts; 0 means
	// DefaultLimit. Larger inputs are refused with ErrUnsupported.
	Limit int

	b     []byte
	pos   int
	atoms map[string]interned
}

// interned is a cached atom: the Atom, and the value it decodes to as a
// term (true, false and nil are Go's; others the Atom), boxed once.
type interned struct {
	atom  term.Atom
	value any
}

var decoders = sync.Pool{New: func() any { return new(Decoder) }}

// Decode decodes b, which must hold exactly one term after the version
// byte 131 (term_to_binary's output).
func Decode(b []byte) (any, error) {
	d := decoders.Get().(*Decoder)
	defer decoders.Put(d)
	return d.Decode(b)
}

// DecodeNext decodes the term that starts b (version byte 131 first) and
// returns the bytes after it: a pass-through distribution frame holds a
// control message and, for some, a message, each with its version byte.
func DecodeNext(b []byte) (v any, rest []byte, err error) {
	d := decoders.Get().(*Decoder)
	defer decoders.Put(d)
	return d.DecodeNext(b)
}

// DecodeRaw decodes the term that starts b, which has no version byte (the
// control message after a distribution header), and returns the bytes
// after it.
func DecodeRaw(b []byte) (v any, rest []byte, err error) {
	d := decoders.Get().(*Decoder)
	defer decoders.Put(d)
	return d.DecodeRaw(b)
}

// Decode is the package's Decode, with d's cache and limit.
func (d *Decoder) Decode(b []byte) (any, error) {
	v, rest, err := d.DecodeNext(b)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the term", ErrMalformed, len(rest))
	}
	return v, nil
}

// DecodeNext is the package's DecodeNext, with d's cache and limit.
func (d *Decoder) DecodeNext(b []byte) (any, []byte, error) {
	if len(b) == 0 {
		return nil, nil, fmt.Errorf("%w: empty input", ErrMalformed)
	}
	switch b[0] {
	case Version:
	case tagCompressed:
		return nil, nil, fmt.Errorf("%w: a compressed term (term_to_binary's compressed option)", ErrUnsupported)
	default:
		return nil, nil, fmt.Errorf("%w: version byte %d, want %d", ErrMalformed, b[0], Version)
	}
	if len(b) > 1 && b[1] == tagCompressed {
		return nil, nil, fmt.Errorf("%w: a compressed term (term_to_binary's compressed option)", ErrUnsupported)
	}
	v, rest, err := d.DecodeRaw(b[1:])
	if err != nil {
		var pe *posError
		if errors.As(err, &pe) {
			pe.pos++ // count the version byte
		}
	}
	return v, rest, err
}

// DecodeRaw is the package's DecodeRaw, with d's cache and limit.
func (d *Decoder) DecodeRaw(b []byte) (any, []byte, error) {
	limit := d.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	if len(b) > limit {
		return nil, nil, fmt.Errorf("%w: a term of %d bytes, over the limit of %d", ErrUnsupported, len(b), limit)
	}
	d.b, d.pos = b, 0
	v, err := d.term(0)
	rest := b[d.pos:]
	d.b = nil
	if err != nil {
		return nil, nil, err
	}
	return v, rest, nil
}

// posError is a decoding error at a byte offset of the input.
type posError struct {
	pos  int
	kind error // ErrMalformed or ErrUnsupported
	msg  string
}

func (e *posError) Error() string {
	return fmt.Sprintf("%v: at byte %d: %s", e.kind, e.pos, e.msg)
}

func (e *posError) Unwrap() error { return e.kind }

func (d *Decoder) bad(format string, args ...any) error {
	return &posError{pos: d.pos, kind: ErrMalformed, msg: fmt.Sprintf(format, args...)}
}

func (d *Decoder) unsupported(format string, args ...any) error {
	return &posError{pos: d.pos, kind: ErrUnsupported, msg: fmt.Sprintf(format, args...)}
}

func (d *Decoder) left() int { return len(d.b) - d.pos }

// need checks that n more bytes are present, for what.
func (d *Decoder) need(n int, what string) error {
	if n < 0 || n > d.left() {
		return d.bad("%s needs %d bytes, %d remain", what, n, d.left())
	}
	return nil
}

func (d *Decoder) u8(what string) (int, error) {
	if err := d.need(1, what); err != nil {
		return 0, err
	}
	d.pos++
	return int(d.b[d.pos-1]), nil
}

func (d *Decoder) u16(what string) (int, error) {
	if err := d.need(2, what); err != nil {
		return 0, err
	}
	d.pos += 2
	return int(binary.BigEndian.Uint16(d.b[d.pos-2:])), nil
}

func (d *Decoder) u32(what string) (uint32, error) {
	if err := d.need(4, what); err != nil {
		return 0, err
	}
	d.pos += 4
	return binary.BigEndian.Uint32(d.b[d.pos-4:]), nil
}

// count reads a 32-bit count of items that take at least min bytes each,
// and checks the input holds them.
func (d *Decoder) count(what string, min int) (int, error) {
	n, err := d.u32(what)
	if err != nil {
		return 0, err
	}
	if uint64(n)*uint64(min) > uint64(d.left()) {
		return 0, d.bad("%s declares %d items, but only %d bytes remain", what, n, d.left())
	}
	return int(n), nil
}

// take returns the next n bytes (a view of the input).
func (d *Decoder) take(n int, what string) ([]byte, error) {
	if err := d.need(n, what); err != nil {
		return nil, err
	}
	d.pos += n
	return d.b[d.pos-n : d.pos], nil
}

// term decodes one term at container depth depth.
func (d *Decoder) term(depth int) (any, error) {
	if d.left() < 1 {
		return nil, d.bad("truncated: a term was due")
	}
	tag := d.b[d.pos]
	d.pos++
	switch tag {
	case tagSmallInteger:
		n, err := d.u8("SMALL_INTEGER_EXT")
		return n, err
	case tagInteger:
		n, err := d.u32("INTEGER_EXT")
		return int(int32(n)), err
	case tagSmallAtomUTF8, tagAtomUTF8, tagSmallAtom, tagAtom:
		a, err := d.atomBody(tag)
		return a.value, err
	case tagNewFloat:
		b, err := d.take(8, "NEW_FLOAT_EXT")
		if err != nil {
			return nil, err
		}
		return d.finite(math.Float64frombits(binary.BigEndian.Uint64(b)))
	case tagFloat:
		b, err := d.take(31, "FLOAT_EXT")
		if err != nil {
			return nil, err
		}
		text := strings.TrimSpace(strings.TrimRight(string(b), "\x00"))
		f, perr := strconv.ParseFloat(text, 64)
		if perr != nil {
			return nil, d.bad("FLOAT_EXT text %q is not a number", text)
		}
		return d.finite(f)
	case tagSmallTuple, tagLargeTuple:
		var n int
		var err error
		if tag == tagSmallTuple {
			n, err = d.u8("SMALL_TUPLE_EXT")
		} else {
			n, err = d.count("LARGE_TUPLE_EXT", 1)
		}
		if err != nil {
			return nil, err
		}
		if n > d.left() {
			return nil, d.bad("tuple of %d elements, but only %d bytes remain", n, d.left())
		}
		if depth >= term.MaxDepth {
			return nil, d.tooDeep()
		}
		t, v := term.NewTuple(n)
		for i := range t {
			if t[i], err = d.term(depth + 1); err != nil {
				return nil, err
			}
		}
		return v, nil
	case tagNil:
		return []any{}, nil
	case tagString:
		n, err := d.u16("STRING_EXT")
		if err != nil {
			return nil, err
		}
		b, err := d.take(n, "STRING_EXT")
		if err != nil {
			return nil, err
		}
		l := make([]any, n)
		for i, c := range b {
			l[i] = int(c)
		}
		return l, nil
	case tagList:
		return d.list(depth)
	case tagBinary:
		n, err := d.count("BINARY_EXT", 1)
		if err != nil {
			return nil, err
		}
		b, _ := d.take(n, "BINARY_EXT")
		return append(make([]byte, 0, n), b...), nil
	case tagBitBinary:
		return d.bitBinary()
	case tagSmallBig, tagLargeBig:
		return d.bigInt(tag)
	case tagMap:
		return d.mapBody(depth)
	case tagNewPid, tagPid:
		return d.pidBody(tag)
	case tagNewerReference, tagNewReference, tagReference:
		return d.refBody(tag)
	case tagNewPort, tagV4Port, tagPort, tagExport, tagNewFun:
		return d.opaque(tag, depth)
	case tagAtomCacheRef:
		return nil, d.unsupported("an atom cache reference (the atom cache is not in use on this connection)")
	case tagFun:
		return nil, d.unsupported("an old-style fun (FUN_EXT)")
	case tagLocal:
		return nil, d.unsupported("a LOCAL_EXT term (term_to_binary's local option), which only its own node can decode")
	case tagCompressed:
		return nil, d.unsupported("a compressed term")
	case Version:
		return nil, d.bad("a version byte (131) inside a term")
	}
	d.pos--
	return nil, d.bad("unknown tag %d", tag)
}

func (d *Decoder) tooDeep() error {
	return d.bad("nested deeper than %d levels", term.MaxDepth)
}

func (d *Decoder) finite(f float64) (any, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, d.bad("a float that is not finite (%v); Erlang has none", f)
	}
	return f, nil
}

// atomBody decodes the body of an atom of the given tag: Latin-1 text for
// ATOM_EXT and SMALL_ATOM_EXT, UTF-8 for the _UTF8 forms, at most 255
// characters.
func (d *Decoder) atomBody(tag byte) (interned, error) {
	var n int
	var err error
	if tag == tagSmallAtomUTF8 || tag == tagSmallAtom {
		n, err = d.u8("atom length")
	} else {
		n, err = d.u16("atom length")
	}
	if err != nil {
		return interned{}, err
	}
	b, err := d.take(n, "atom")
	if err != nil {
		return interned{}, err
	}
	latin1 := tag == tagAtom || tag == tagSmallAtom
	if a, ok := d.atoms[string(b)]; ok && (!latin1 || isASCII(b)) {
		return a, nil
	}
	var s string
	if latin1 {
		if n > maxAtomChars {
			return interned{}, d.bad("an atom of %d characters (at most %d)", n, maxAtomChars)
		}
		s = latin1ToUTF8(b)
	} else {
		if !utf8.Valid(b) {
			return interned{}, d.bad("an atom that is not UTF-8")
		}
		if c := utf8.RuneCount(b); c > maxAtomChars {
			return interned{}, d.bad("an atom of %d characters (at most %d)", c, maxAtomChars)
		}
		s = string(b)
	}
	a := interned{atom: term.Atom(s), value: term.Atom(s)}
	switch s {
	case "true":
		a.value = true
	case "false":
		a.value = false
	case "nil":
		a.value = nil
	}
	if d.atoms == nil {
		d.atoms = make(map[string]interned)
	}
	if len(d.atoms) < maxInterned && (!latin1 || isASCII(b)) {
		d.atoms[s] = a
	}
	return a, nil
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func latin1ToUTF8(b []byte) string {
	if isASCII(b) {
		return string(b)
	}
	var s strings.Builder
	s.Grow(2 * len(b))
	for _, c := range b {
		s.WriteRune(rune(c))
	}
	return s.String()
}

// atomTerm decodes a term that must be an atom (a node name, a module).
func (d *Decoder) atomTerm(what string) (term.Atom, error) {
	if d.left() < 1 {
		return "", d.bad("truncated: %s was due", what)
	}
	switch tag := d.b[d.pos]; tag {
	case tagSmallAtomUTF8, tagAtomUTF8, tagSmallAtom, tagAtom:
		d.pos++
		a, err := d.atomBody(tag)
		return a.atom, err
	default:
		return "", d.bad("%s must be an atom, got tag %d", what, tag)
	}
}

// list decodes the body of a LIST_EXT: a proper list ([]any) when its tail
// is [], an ImproperList otherwise. A list as tail is joined to the list,
// as erts does.
func (d *Decoder) list(depth int) (any, error) {
	n, err := d.count("LIST_EXT", 1)
	if err != nil {
		return nil, err
	}
	if n+1 > d.left() {
		return nil, d.bad("list of %d elements and a tail, but only %d bytes remain", n, d.left())
	}
	if depth >= term.MaxDepth {
		return nil, d.tooDeep()
	}
	l := make([]any, n)
	for i := range l {
		if l[i], err = d.term(depth + 1); err != nil {
			return nil, err
		}
	}
	if d.left() > 0 && d.b[d.pos] == tagNil {
		d.pos++
		return l, nil
	}
	tail, err := d.term(depth + 1)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return tail, nil // [ | T] is T
	}
	switch t := tail.(type) {
	case []any:
		return append(l, t...), nil
	case term.ImproperList:
		return term.ImproperList{Elems: append(l, t.Elems...), Tail: t.Tail}, nil
	}
	return term.ImproperList{Elems: l, Tail: tail}, nil
}

// bitBinary decodes a BIT_BINARY_EXT body: []byte when its last byte is
// whole, a BitString otherwise.
func (d *Decoder) bitBinary() (any, error) {
	n, err := d.count("BIT_BINARY_EXT", 1)
	if err != nil {
		return nil, err
	}
	bits, err := d.u8("BIT_BINARY_EXT bits")
	if err != nil {
		return nil, err
	}
	b, err := d.take(n, "BIT_BINARY_EXT")
	if err != nil {
		return nil, err
	}
	switch {
	case n == 0 && bits == 0:
		return []byte{}, nil
	case n == 0 || bits < 1 || bits > 8:
		return nil, d.bad("BIT_BINARY_EXT of %d bytes with %d bits in the last", n, bits)
	case bits == 8:
		return append(make([]byte, 0, n), b...), nil
	}
	bs := term.BitString{Bytes: append(make([]byte, 0, n), b...), TailBits: uint8(bits)}
	bs.Bytes[n-1] = bs.LastByte()
	return bs, nil
}

// bigInt decodes a SMALL_BIG_EXT or LARGE_BIG_EXT body: an int when it
// fits one, a BigInt otherwise.
func (d *Decoder) bigInt(tag byte) (any, error) {
	var n int
	var err error
	if tag == tagSmallBig {
		n, err = d.u8("SMALL_BIG_EXT")
	} else {
		n, err = d.count("LARGE_BIG_EXT", 1)
	}
	if err != nil {
		return nil, err
	}
	sign, err := d.u8("big integer sign")
	if err != nil {
		return nil, err
	}
	mag, err := d.take(n, "big integer")
	if err != nil {
		return nil, err
	}
	b := term.BigIntFromBytes(sign != 0, mag)
	if v, ok := b.Int64(); ok && v >= math.MinInt && v <= math.MaxInt {
		return int(v), nil
	}
	return b, nil
}

// mapBody decodes a MAP_EXT body: map[any]any when every key can be a Go
// map key (binary keys become strings), a term.Map otherwise, with the
// pairs in the order they were sent.
func (d *Decoder) mapBody(depth int) (any, error) {
	n, err := d.count("MAP_EXT", 2)
	if err != nil {
		return nil, err
	}
	if depth >= term.MaxDepth {
		return nil, d.tooDeep()
	}
	var small [8]term.Pair // most maps are small: no allocation for the pairs
	var pairs []term.Pair
	if n <= len(small) {
		pairs = small[:n]
	} else {
		pairs = make([]term.Pair, n)
	}
	scalar := true
	for i := range pairs {
		k, err := d.term(depth + 1)
		if err != nil {
			return nil, err
		}
		v, err := d.term(depth + 1)
		if err != nil {
			return nil, err
		}
		pairs[i] = term.Pair{Key: k, Value: v}
		scalar = scalar && scalarKey(k)
	}
	if scalar {
		m := make(map[any]any, n)
		for _, p := range pairs {
			k := p.Key
			if b, ok := k.([]byte); ok {
				k = string(b)
			}
			if _, dup := m[k]; dup {
				if f, ok := k.(float64); ok && f == 0 {
					scalar = false // 0.0 and -0.0: distinct keys since OTP 27, one in Go
					break
				}
				return nil, d.bad("map with the key %s twice", term.Format(p.Key))
			}
			m[k] = p.Value
		}
		if scalar {
			return m, nil
		}
	}
	out := make(term.Map, n)
	copy(out, pairs)
	return out, nil
}

// scalarKey reports whether a decoded key can be a Go map key.
func scalarKey(k any) bool {
	switch k.(type) {
	case nil, bool, int, float64, []byte, term.Atom, term.Pid, term.Ref, term.BigInt, term.Opaque:
		return true
	}
	return false
}

// pidBody decodes a NEW_PID_EXT or PID_EXT body; the pid's ID holds the
// wire ID in its low 32 bits and the Serial in its high 32.
func (d *Decoder) pidBody(tag byte) (term.Pid, error) {
	node, err := d.atomTerm("a pid's node")
	if err != nil {
		return term.Pid{}, err
	}
	id, err := d.u32("pid id")
	if err != nil {
		return term.Pid{}, err
	}
	serial, err := d.u32("pid serial")
	if err != nil {
		return term.Pid{}, err
	}
	var creation uint32
	if tag == tagNewPid {
		creation, err = d.u32("pid creation")
	} else {
		var c int
		c, err = d.u8("pid creation")
		creation = uint32(c)
	}
	return term.Pid{Node: node, ID: uint64(id) | uint64(serial)<<32, Creation: creation}, err
}

// refBody decodes a NEWER_REFERENCE_EXT, NEW_REFERENCE_EXT or
// REFERENCE_EXT body.
func (d *Decoder) refBody(tag byte) (term.Ref, error) {
	n := 1
	var err error
	if tag != tagReference {
		if n, err = d.u16("reference length"); err != nil {
			return term.Ref{}, err
		}
		if n < 1 || n > term.MaxRefWords {
			return term.Ref{}, d.bad("a reference of %d words (1 to %d)", n, term.MaxRefWords)
		}
	}
	node, err := d.atomTerm("a reference's node")
	if err != nil {
		return term.Ref{}, err
	}
	var creation uint32
	if tag == tagNewerReference {
		creation, err = d.u32("reference creation")
		if err != nil {
			return term.Ref{}, err
		}
	}
	var words [term.MaxRefWords]uint32
	if tag == tagReference {
		if words[0], err = d.u32("reference id"); err != nil {
			return term.Ref{}, err
		}
	}
	if tag != tagNewerReference {
		c, err := d.u8("reference creation")
		if err != nil {
			return term.Ref{}, err
		}
		creation = uint32(c)
	}
	if tag != tagReference {
		for i := 0; i < n; i++ {
			if words[i], err = d.u32("reference id"); err != nil {
				return term.Ref{}, err
			}
		}
	}
	return term.RefFromWords(node, creation, words[:n])
}
