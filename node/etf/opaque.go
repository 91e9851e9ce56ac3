package etf

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/gerl-dev/gerl/node/term"
)

// opaque decodes a port, export fun or fun into a term.Opaque holding its
// encoding, after checking the encoding's structure; tag has been read.
func (d *Decoder) opaque(tag byte, depth int) (term.Opaque, error) {
	start := d.pos - 1
	var kind term.OpaqueKind
	var text string
	var err error
	switch tag {
	case tagNewPort, tagV4Port, tagPort:
		kind = term.OpaquePort
		text, err = d.portBody(tag)
	case tagExport:
		kind = term.OpaqueExport
		text, err = d.exportBody()
	case tagNewFun:
		kind = term.OpaqueFun
		text, err = d.funBody(depth)
	}
	if err != nil {
		return term.Opaque{}, err
	}
	return term.MakeOpaque(kind, text, d.b[start:d.pos]), nil
}

func (d *Decoder) portBody(tag byte) (string, error) {
	node, err := d.atomTerm("a port's node")
	if err != nil {
		return "", err
	}
	var id uint64
	switch tag {
	case tagV4Port:
		b, err := d.take(8, "port id")
		if err != nil {
			return "", err
		}
		id = binary.BigEndian.Uint64(b)
	default:
		n, err := d.u32("port id")
		if err != nil {
			return "", err
		}
		id = uint64(n)
	}
	if tag == tagPort {
		_, err = d.u8("port creation")
	} else {
		_, err = d.u32("port creation")
	}
	return "#Port<" + string(node) + "." + strconv.FormatUint(id, 10) + ">", err
}

func (d *Decoder) exportBody() (string, error) {
	m, err := d.atomTerm("an export fun's module")
	if err != nil {
		return "", err
	}
	f, err := d.atomTerm("an export fun's function")
	if err != nil {
		return "", err
	}
	if d.left() < 2 || d.b[d.pos] != tagSmallInteger {
		return "", d.bad("an export fun's arity must be a small integer")
	}
	arity := int(d.b[d.pos+1])
	d.pos += 2
	return "fun " + term.FormatAtom(m) + ":" + term.FormatAtom(f) + "/" + strconv.Itoa(arity), nil
}

// funBody checks a NEW_FUN_EXT body: Size:32 (counting itself), Arity:8,
// Uniq:128, Index:32, NumFree:32, Module, OldIndex, OldUniq, Pid, and
// NumFree free variables, which must fill Size exactly.
func (d *Decoder) funBody(depth int) (string, error) {
	start := d.pos
	size, err := d.u32("NEW_FUN_EXT size")
	if err != nil {
		return "", err
	}
	if size < 4+1+16+4+4 || int64(size)-4 > int64(d.left()) {
		return "", d.bad("NEW_FUN_EXT of %d bytes, %d remain", size, d.left()+4)
	}
	end := start + int(size)
	if _, err := d.take(1+16+4, "NEW_FUN_EXT"); err != nil {
		return "", err
	}
	free, err := d.count("NEW_FUN_EXT free variables", 1)
	if err != nil {
		return "", err
	}
	module, err := d.atomTerm("a fun's module")
	if err != nil {
		return "", err
	}
	oldIndex, err := d.term(depth + 1)
	if err != nil {
		return "", err
	}
	oldUniq, err := d.term(depth + 1)
	if err != nil {
		return "", err
	}
	_, isIndex := oldIndex.(int)
	_, isUniq := oldUniq.(int)
	if !isIndex || !isUniq {
		return "", d.bad("a fun's OldIndex and OldUniq must be integers")
	}
	if d.left() < 1 || (d.b[d.pos] != tagNewPid && d.b[d.pos] != tagPid) {
		return "", d.bad("a fun's creator must be a pid")
	}
	d.pos++
	if _, err := d.pidBody(d.b[d.pos-1]); err != nil {
		return "", err
	}
	if depth >= term.MaxDepth {
		return "", d.tooDeep()
	}
	for i := 0; i < free; i++ {
		if _, err := d.term(depth + 1); err != nil {
			return "", err
		}
	}
	if d.pos != end {
		return "", d.bad("NEW_FUN_EXT declares %d bytes but its fields take %d", size, d.pos-start)
	}
	return fmt.Sprintf("#Fun<%s.%d.%d>", term.FormatAtom(module), oldIndex, oldUniq), nil
}

// ParseOpaque returns the term.Opaque of enc, the encoding of a port, an
// export fun or a fun without its version byte, after checking it. It is
// how a codec rebuilds an Opaque it carried as bytes.
func ParseOpaque(enc []byte) (term.Opaque, error) {
	d := decoders.Get().(*Decoder)
	defer decoders.Put(d)
	v, rest, err := d.DecodeRaw(enc)
	if err != nil {
		return term.Opaque{}, err
	}
	o, ok := v.(term.Opaque)
	if !ok || len(rest) != 0 {
		return term.Opaque{}, fmt.Errorf("%w: not the encoding of a port or fun", ErrMalformed)
	}
	return o, nil
}
