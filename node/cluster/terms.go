package cluster

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"reflect"

	"github.com/gerl-dev/gerl/node/term"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Terms: nil, the native msgpack types, and gerl's own types as
// extensions (the ext* codes in codec.go): the encoder first, then the
// decoder. Typed values (any other Go type) are in typed.go.

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
	case term.ExitSignal:
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
	case term.Request:
		start := e.beginExt32(extCall)
		e.pid(x.From)
		e.ref(x.Ref)
		if err := e.term(x.Body, depth+1); err != nil {
			return err
		}
		if x.Tag != nil {
			if err := e.term(x.Tag, depth+1); err != nil {
				return err
			}
		}
		e.endExt(start)
		return nil
	case term.Reply:
		start := e.beginExt32(extReply)
		e.ref(x.Ref)
		if err := e.term(x.Value, depth+1); err != nil {
			return err
		}
		if x.Tag != nil {
			if err := e.term(x.Tag, depth+1); err != nil {
				return err
			}
		}
		e.endExt(start)
		return nil
	}
	if done, err := e.erlangTerm(v, depth); done {
		return err
	}
	return e.typed(reflect.ValueOf(v), depth)
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
		out, v := term.NewList(n)
		for i := range out {
			if out[i], err = d.term(depth + 1); err != nil {
				return nil, err
			}
		}
		return v, nil
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
		return d.atom(n)
	case extPid:
		return d.pidTerm(n)
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
		out, v := term.NewTuple(n)
		for i := range out {
			if out[i], err = d.term(depth + 1); err != nil {
				return nil, err
			}
		}
		return v, nil
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
		var x term.ExitSignal
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
		start := d.pos()
		var x term.Request
		var err error
		if x.From, err = d.pidExt(); err != nil {
			return nil, err
		}
		if x.Ref, err = d.refExt(); err != nil {
			return nil, err
		}
		if x.Body, err = d.term(depth + 1); err != nil {
			return nil, err
		}
		x.Tag, err = d.optionalTag(start, n, depth)
		return x, err
	case extReply:
		start := d.pos()
		var x term.Reply
		var err error
		if x.Ref, err = d.refExt(); err != nil {
			return nil, err
		}
		if x.Value, err = d.term(depth + 1); err != nil {
			return nil, err
		}
		x.Tag, err = d.optionalTag(start, n, depth)
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

// atom decodes the n-byte body of an atom extension as a term. Atoms
// repeat in nearly every message, so the short ones are kept boxed as
// terms: decoding a known one allocates nothing. (A boxed value cannot be
// changed, so every message that holds the atom can share the box.)
func (d *decoder) atom(n int) (any, error) {
	if n > maxInternedLen || n > d.rd.Len() {
		s, err := d.raw(n)
		return term.Atom(s), err
	}
	off := d.pos()
	if v, ok := d.atoms[string(d.buf[off:off+n])]; ok {
		d.skip(n)
		return v, nil
	}
	s, err := d.raw(n)
	if err != nil {
		return nil, err
	}
	var v any = term.Atom(s)
	if len(d.atoms) < maxInterned {
		d.atoms[s] = v
	}
	return v, nil
}

// pidBody decodes the n-byte body of a pid extension, from the cache when
// the same bytes were decoded recently.
func (d *decoder) pidBody(n int) (term.Pid, error) {
	_, pid, err := d.cachedPid(n)
	return pid, err
}

// pidTerm is pidBody for a pid held in a term: the pid boxed as a term,
// once per cached pid, as atom does for atoms.
func (d *decoder) pidTerm(n int) (any, error) {
	c, pid, err := d.cachedPid(n)
	switch {
	case err != nil:
		return nil, err
	case c == nil:
		return pid, nil
	}
	if c.boxed == nil {
		c.boxed = pid
	}
	return c.boxed, nil
}

// cachedPid decodes the n-byte body of a pid extension and returns the
// cache entry that now holds it (nil if the body was not a plain pid's).
func (d *decoder) cachedPid(n int) (*cachedIdent, term.Pid, error) {
	start := d.pos()
	raw := d.buf[start : start+n]
	for i := range d.pids {
		if c := &d.pids[i]; c.raw != nil && bytes.Equal(c.raw, raw) {
			_, _ = d.rd.Seek(int64(n), io.SeekCurrent)
			return c, c.pid, nil
		}
	}
	node, id, cr, err := d.ident()
	if err != nil {
		return nil, term.Pid{}, err
	}
	pid := term.Pid{Node: node, ID: id, Creation: cr}
	if d.pos()-start != n {
		return nil, pid, nil
	}
	c := &d.pids[d.nextPid]
	c.raw = append(c.raw[:0], raw...)
	c.pid, c.boxed = pid, nil
	d.nextPid = (d.nextPid + 1) % len(d.pids)
	return c, pid, nil
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

// optionalTag decodes the Erlang caller's tag that may end a Call or Reply
// extension of n bytes that started at start (see term.Request); nil when
// the extension has no more bytes.
func (d *decoder) optionalTag(start, n, depth int) (any, error) {
	if d.pos()-start >= n {
		return nil, nil
	}
	tag, err := d.term(depth + 1)
	if err == nil && tag == nil {
		return nil, d.bad("a nil call tag")
	}
	return tag, err
}
