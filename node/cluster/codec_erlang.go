package cluster

import (
	"github.com/gerl-dev/gerl/node/etf"
	"github.com/gerl-dev/gerl/node/term"
)

// The msgpack encoding of the term types that come from Erlang nodes
// (term.BigInt, BitString, ImproperList, Map, Opaque, and refs of other
// than two words), so that gerl nodes pass them to each other unchanged.
// See the ext* codes in codec.go.

// erlangTerm encodes v when it is one of these types; done is false for
// any other value.
func (e *encoder) erlangTerm(v any, depth int) (done bool, err error) {
	switch x := v.(type) {
	case term.BigInt:
		sign := byte(0)
		if x.Sign() < 0 {
			sign = 1
		}
		_ = e.enc.EncodeExtHeader(extBigInt, 1+x.Len())
		e.w.b = x.AppendBytes(append(e.w.b, sign))
	case term.BitString:
		if err := x.Check(); err != nil {
			return true, err
		}
		_ = e.enc.EncodeExtHeader(extBitString, 1+len(x.Bytes))
		e.w.b = append(e.w.b, x.TailBits)
		e.w.b = append(e.w.b, x.Bytes[:len(x.Bytes)-1]...)
		e.w.b = append(e.w.b, x.LastByte())
	case term.ImproperList:
		if err := x.Check(); err != nil {
			return true, err
		}
		if depth >= termMaxDepth {
			return true, errTooDeep
		}
		start := e.beginExt32(extImproper)
		_ = e.enc.EncodeArrayLen(len(x.Elems))
		for _, y := range x.Elems {
			if err := e.term(y, depth+1); err != nil {
				return true, err
			}
		}
		if err := e.term(x.Tail, depth+1); err != nil {
			return true, err
		}
		e.endExt(start)
	case term.Map:
		if depth >= termMaxDepth {
			return true, errTooDeep
		}
		start := e.beginExt32(extPairMap)
		if x != nil {
			_ = e.enc.EncodeArrayLen(2 * len(x))
			for _, p := range x {
				if err := e.term(p.Key, depth+1); err != nil {
					return true, err
				}
				if err := e.term(p.Value, depth+1); err != nil {
					return true, err
				}
			}
		}
		e.endExt(start)
	case term.Opaque:
		if x.Kind() == 0 {
			return true, &term.UnsendableError{Type: "term.Opaque", Path: "msg", Why: "the zero Opaque holds no term (an Opaque is a fun or port received from Erlang)"}
		}
		_ = e.enc.EncodeExtHeader(extOpaque, x.ETFLen())
		e.w.b = x.AppendETF(e.w.b)
	default:
		return false, nil
	}
	return true, nil
}

// erlangRef encodes a ref of other than two words: the gerl form, then the
// number of words and words 2 and up.
func (e *encoder) erlangRef(r term.Ref) {
	n := r.NumWords()
	size := strSize(len(r.Node)) + uintSize(r.ID) + uintSize(uint64(r.Creation)) + uintSize(uint64(n))
	for i := 2; i < n; i++ {
		size += uintSize(uint64(r.Word(i)))
	}
	_ = e.enc.EncodeExtHeader(extRef, size)
	_ = e.enc.EncodeString(string(r.Node))
	_ = e.enc.EncodeUint(r.ID)
	_ = e.enc.EncodeUint(uint64(r.Creation))
	_ = e.enc.EncodeUint(uint64(n))
	for i := 2; i < n; i++ {
		_ = e.enc.EncodeUint(uint64(r.Word(i)))
	}
}

// refRest finishes decoding a ref extension whose node, id and creation
// are read: rest bytes of it remain, holding an Erlang ref's word count
// and words 2 and up, or nothing for a gerl ref.
func (d *decoder) refRest(node term.Atom, id uint64, cr uint32, rest int) (term.Ref, error) {
	if rest == 0 {
		return term.Ref{Node: node, ID: id, Creation: cr}, nil
	}
	n, err := d.uint()
	if err != nil {
		return term.Ref{}, err
	}
	if n < 1 || n > term.MaxRefWords || n == 2 || n == 1 && id>>32 != 0 {
		return term.Ref{}, d.bad("reference of %d words (id %d)", n, id)
	}
	words := []uint32{uint32(id), uint32(id >> 32), 0, 0, 0}[:n]
	for i := 2; i < int(n); i++ {
		w, err := d.uint()
		if err != nil {
			return term.Ref{}, err
		}
		if w > 1<<32-1 {
			return term.Ref{}, d.bad("reference word out of range")
		}
		words[i] = uint32(w)
	}
	return term.RefFromWords(node, cr, words)
}

// erlangExt decodes the extensions erlangTerm writes; ok is false for any
// other type.
func (d *decoder) erlangExt(typ int8, n, depth int) (v any, ok bool, err error) {
	switch typ {
	case extBigInt:
		b, err := d.rawBytes(n)
		if err != nil || n < 1 || b[0] > 1 || b[0] == 1 && n == 1 {
			return nil, true, d.bad("bad big integer")
		}
		x := term.BigIntFromBytes(b[0] == 1, b[1:])
		if int(x.Len()) != n-1 {
			return nil, true, d.bad("big integer with trailing zero bytes")
		}
		return x, true, nil
	case extBitString:
		b, err := d.rawBytes(n)
		if err != nil || n < 2 {
			return nil, true, d.bad("bad bit string")
		}
		bs := term.BitString{Bytes: append([]byte(nil), b[1:]...), TailBits: b[0]}
		if err := bs.Check(); err != nil || bs.LastByte() != bs.Bytes[len(bs.Bytes)-1] {
			return nil, true, d.bad("bad bit string")
		}
		return bs, true, nil
	case extImproper:
		elems, err := d.terms(depth)
		if err != nil {
			return nil, true, err
		}
		tail, err := d.term(depth + 1)
		if err != nil {
			return nil, true, err
		}
		l := term.ImproperList{Elems: elems, Tail: tail}
		if err := l.Check(); err != nil {
			return nil, true, d.bad("%v", err)
		}
		return l, true, nil
	case extPairMap:
		if n == 0 {
			return term.Map(nil), true, nil
		}
		kv, err := d.terms(depth)
		if err != nil {
			return nil, true, err
		}
		if len(kv)%2 != 0 {
			return nil, true, d.bad("map of an odd number of keys and values")
		}
		m := make(term.Map, len(kv)/2)
		for i := range m {
			m[i] = term.Pair{Key: kv[2*i], Value: kv[2*i+1]}
		}
		return m, true, nil
	case extOpaque:
		b, err := d.rawBytes(n)
		if err != nil {
			return nil, true, err
		}
		o, err := etf.ParseOpaque(b)
		if err != nil {
			return nil, true, d.bad("%v", err)
		}
		return o, true, nil
	}
	return nil, false, nil
}

// rawBytes returns the next n bytes of the frame (a view).
func (d *decoder) rawBytes(n int) ([]byte, error) {
	if n > d.rd.Len() {
		return nil, d.bad("%d bytes, %d remain", n, d.rd.Len())
	}
	off := d.pos()
	d.skip(n)
	return d.buf[off : off+n], nil
}

// terms decodes a term that must be an array.
func (d *decoder) terms(depth int) ([]any, error) {
	if c, err := d.peek(); err != nil || !isArray(c) {
		return nil, d.bad("want an array")
	}
	v, err := d.term(depth)
	if err != nil {
		return nil, err
	}
	return v.([]any), nil
}
