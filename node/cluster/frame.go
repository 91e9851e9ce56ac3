package cluster

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/gerl-dev/gerl/node/term"
)

// Frames (docs/protocol.md, "Frames"). After the handshake each direction
// of a connection is a stream of frames: a 4-byte big-endian length, then
// that many bytes of payload. A zero length is a tick. A payload is one
// msgpack array [op, fields...]: a control message.

// DefaultMaxFrame is the default largest frame payload accepted.
const DefaultMaxFrame = 64 << 20

// Control message ops. Wire constants: append only, never renumber.
const (
	opSend        = 1  // [1, from Pid, to Pid, msg]
	opRegSend     = 2  // [2, from Pid, name str, msg]
	opLink        = 3  // [3, from Pid, to Pid]
	opUnlink      = 4  // [4, from Pid, to Pid]
	opLinkExit    = 5  // [5, from Pid, to Pid, reason] along a link: from died (Erlang's EXIT)
	opExit        = 6  // [6, from Pid, to Pid, reason] explicit, erl's exit/2 (Erlang's EXIT2)
	opMonitor     = 7  // [7, watcher Pid, target Pid, ref Ref]
	opMonitorName = 8  // [8, watcher Pid, name str, ref Ref]
	opDemonitor   = 9  // [9, watcher Pid, ref Ref]
	opDown        = 10 // [10, watcher Pid, ref Ref, target Pid, reason]
	opNodes       = 11 // [11, [node str...]]
	opSpawnReq    = 12 // [12, id uint, from Pid, func str, args array, flags uint]
	opSpawnReply  = 13 // [13, id uint, status uint, pid Pid|nil, message str]
	opSpawnGo     = 14 // [14, id uint, run bool]
	opRPCReq      = 15 // [15, id uint, func str, args array]; id 0: a cast
	opRPCReply    = 16 // [16, id uint, status uint, value, message str]
	opSpawnFun    = 17 // [17, id uint, from Pid, fun, args array, flags uint, leader Pid|nil] (code.go)
	opRPCFun      = 18 // [18, id uint, fun, args array, leader Pid|nil]; id 0: a cast
	opLast        = opRPCFun
)

// readFrame reads one frame from r into buf (grown as needed) and returns
// the payload, empty for a tick. A length above max is refused before
// anything is allocated.
func readFrame(r *bufio.Reader, buf []byte, max int) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if uint64(n) > uint64(max) {
		return nil, fmt.Errorf("%w: frame of %d bytes exceeds the limit of %d", ErrMalformed, n, max)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// frameEncoder builds one frame: the length is reserved, the control
// message encoded, and the length patched by finish.
type frameEncoder struct {
	*encoder
}

func (c *Codec) newFrame(op int, fields int) frameEncoder {
	e := c.getEncoder(nil)
	e.w.b = append(c.frameBuf(), 0, 0, 0, 0)
	_ = e.enc.EncodeArrayLen(fields + 1)
	_ = e.enc.EncodeUint(uint64(op))
	return frameEncoder{e}
}

// finish patches the length and returns the frame, releasing the encoder.
func (f frameEncoder) finish() []byte {
	b := f.w.b
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	f.c.putEncoder(f.encoder)
	return b
}

// abort releases the encoder after an encoding error.
func (f frameEncoder) abort() { f.c.putEncoder(f.encoder) }

func (f frameEncoder) str(s string)        { _ = f.enc.EncodeString(s) }
func (f frameEncoder) uint(x uint64)       { _ = f.enc.EncodeUint(x) }
func (f frameEncoder) boolean(b bool)      { _ = f.enc.EncodeBool(b) }
func (f frameEncoder) pidField(p term.Pid) { f.pid(p) }
func (f frameEncoder) refField(r term.Ref) { f.ref(r) }

// termField encodes a message or reason; on error the frame is aborted.
func (f frameEncoder) termField(v any) error {
	if err := f.term(v, 0); err != nil {
		f.abort()
		return sendError(v, err)
	}
	return nil
}

// encodeSend builds a SEND (to a pid) frame.
func (c *Codec) encodeSend(from, to term.Pid, msg any) ([]byte, error) {
	f := c.newFrame(opSend, 3)
	f.pidField(from)
	f.pidField(to)
	if err := f.termField(msg); err != nil {
		return nil, err
	}
	return f.finish(), nil
}

// encodeRegSend builds a REG_SEND (to a registered name) frame.
func (c *Codec) encodeRegSend(from term.Pid, name term.Atom, msg any) ([]byte, error) {
	f := c.newFrame(opRegSend, 3)
	f.pidField(from)
	f.str(string(name))
	if err := f.termField(msg); err != nil {
		return nil, err
	}
	return f.finish(), nil
}

// encodePair builds LINK and UNLINK frames.
func (c *Codec) encodePair(op int, from, to term.Pid) []byte {
	f := c.newFrame(op, 2)
	f.pidField(from)
	f.pidField(to)
	return f.finish()
}

// encodeExit builds LINK_EXIT (along a link) and EXIT (explicit) frames.
func (c *Codec) encodeExit(op int, from, to term.Pid, reason any) ([]byte, error) {
	f := c.newFrame(op, 3)
	f.pidField(from)
	f.pidField(to)
	if err := f.termField(reason); err != nil {
		return nil, err
	}
	return f.finish(), nil
}

func (c *Codec) encodeMonitor(watcher, target term.Pid, ref term.Ref) []byte {
	f := c.newFrame(opMonitor, 3)
	f.pidField(watcher)
	f.pidField(target)
	f.refField(ref)
	return f.finish()
}

func (c *Codec) encodeMonitorName(watcher term.Pid, name term.Atom, ref term.Ref) []byte {
	f := c.newFrame(opMonitorName, 3)
	f.pidField(watcher)
	f.str(string(name))
	f.refField(ref)
	return f.finish()
}

func (c *Codec) encodeDemonitor(watcher term.Pid, ref term.Ref) []byte {
	f := c.newFrame(opDemonitor, 2)
	f.pidField(watcher)
	f.refField(ref)
	return f.finish()
}

func (c *Codec) encodeDown(watcher term.Pid, ref term.Ref, target term.Pid, reason any) ([]byte, error) {
	f := c.newFrame(opDown, 4)
	f.pidField(watcher)
	f.refField(ref)
	f.pidField(target)
	if err := f.termField(reason); err != nil {
		return nil, err
	}
	return f.finish(), nil
}

func (c *Codec) encodeNodes(nodes []term.Atom) []byte {
	f := c.newFrame(opNodes, 1)
	_ = f.enc.EncodeArrayLen(len(nodes))
	for _, n := range nodes {
		f.str(string(n))
	}
	return f.finish()
}

// message is a decoded control message. Fields unused by an op are zero.
type message struct {
	op      int
	from    term.Pid // from, watcher
	to      term.Pid // to, target, spawned pid
	name    term.Atom
	ref     term.Ref
	payload any // msg, reason, rpc value
	id      uint64
	status  uint64
	fn      string
	args    []any
	flags   uint64
	text    string
	nodes   []term.Atom
	run     bool
	code    *Code    // SPAWN_FUN, RPC_FUN: the code, or nil for fn
	leader  term.Pid // SPAWN_FUN, RPC_FUN: the caller's group leader
}

// decodeMessage validates and decodes one frame payload.
func (c *Codec) decodeMessage(b []byte) (message, error) {
	var m message
	if err := validate(b); err != nil {
		return m, err
	}
	d := c.getDecoder(b)
	defer c.putDecoder(d)
	m, err := d.message()
	if err != nil {
		return m, err
	}
	if d.rd.Len() != 0 {
		return m, d.bad("%d bytes after the control message", d.rd.Len())
	}
	return m, nil
}

func (d *decoder) message() (m message, err error) {
	n, err := d.arrayLen()
	if err != nil {
		return m, err
	}
	op, err := d.uint()
	if err != nil {
		return m, err
	}
	m.op = int(op)
	want := fieldsOf(m.op)
	if want == 0 {
		return m, d.bad("unknown control message %d", op)
	}
	if n != want {
		return m, d.bad("control message %d with %d fields, want %d", op, n, want)
	}
	str := func() (term.Atom, error) { s, err := d.str(); return term.Atom(s), err }
	switch m.op {
	case opSend, opLinkExit, opExit:
		if m.from, err = d.pidExt(); err != nil {
			return
		}
		if m.to, err = d.pidExt(); err != nil {
			return
		}
		m.payload, err = d.term(1)
	case opRegSend:
		if m.from, err = d.pidExt(); err != nil {
			return
		}
		if m.name, err = str(); err != nil {
			return
		}
		m.payload, err = d.term(1)
	case opLink, opUnlink:
		if m.from, err = d.pidExt(); err != nil {
			return
		}
		m.to, err = d.pidExt()
	case opMonitor:
		if m.from, err = d.pidExt(); err != nil {
			return
		}
		if m.to, err = d.pidExt(); err != nil {
			return
		}
		m.ref, err = d.refExt()
	case opMonitorName:
		if m.from, err = d.pidExt(); err != nil {
			return
		}
		if m.name, err = str(); err != nil {
			return
		}
		m.ref, err = d.refExt()
	case opDemonitor:
		if m.from, err = d.pidExt(); err != nil {
			return
		}
		m.ref, err = d.refExt()
	case opDown:
		if m.to, err = d.pidExt(); err != nil { // the watcher
			return
		}
		if m.ref, err = d.refExt(); err != nil {
			return
		}
		if m.from, err = d.pidExt(); err != nil { // the target
			return
		}
		m.payload, err = d.term(1)
	case opNodes:
		var k int
		if k, err = d.arrayLen(); err != nil {
			return
		}
		m.nodes = make([]term.Atom, k)
		for i := range m.nodes {
			if m.nodes[i], err = str(); err != nil {
				return
			}
		}
	case opSpawnReq:
		if m.id, err = d.uint(); err != nil {
			return
		}
		if m.from, err = d.pidExt(); err != nil {
			return
		}
		if m.fn, err = d.str(); err != nil {
			return
		}
		if m.args, err = d.args(); err != nil {
			return
		}
		m.flags, err = d.uint()
	case opSpawnReply:
		if m.id, err = d.uint(); err != nil {
			return
		}
		if m.status, err = d.uint(); err != nil {
			return
		}
		var v any
		if v, err = d.term(1); err != nil {
			return
		}
		if v != nil {
			pid, ok := v.(term.Pid)
			if !ok {
				return m, d.bad("spawn reply without a pid")
			}
			m.to = pid
		}
		m.text, err = d.str()
	case opSpawnGo:
		if m.id, err = d.uint(); err != nil {
			return
		}
		var c byte
		if c, err = d.peek(); err != nil {
			return
		}
		if c != 0xc2 && c != 0xc3 {
			return m, d.bad("want a bool")
		}
		m.run, err = d.dec.DecodeBool()
	case opRPCReq:
		if m.id, err = d.uint(); err != nil {
			return
		}
		if m.fn, err = d.str(); err != nil {
			return
		}
		m.args, err = d.args()
	case opRPCReply:
		if m.id, err = d.uint(); err != nil {
			return
		}
		if m.status, err = d.uint(); err != nil {
			return
		}
		if m.payload, err = d.term(1); err != nil {
			return
		}
		m.text, err = d.str()
	case opSpawnFun:
		if m.id, err = d.uint(); err != nil {
			return
		}
		if m.from, err = d.pidExt(); err != nil {
			return
		}
		if err = d.fun(&m); err != nil {
			return
		}
		if m.args, err = d.args(); err != nil {
			return
		}
		if m.flags, err = d.uint(); err != nil {
			return
		}
		m.leader, err = d.leader()
	case opRPCFun:
		if m.id, err = d.uint(); err != nil {
			return
		}
		if err = d.fun(&m); err != nil {
			return
		}
		if m.args, err = d.args(); err != nil {
			return
		}
		m.leader, err = d.leader()
	}
	return
}

// fun decodes the fun field of SPAWN_FUN and RPC_FUN into m.fn or m.code.
func (d *decoder) fun(m *message) error {
	v, err := d.term(1)
	if err != nil {
		return err
	}
	f, err := funOf(v)
	if err != nil {
		return d.bad("%v", err)
	}
	m.fn, m.code = f.Name, f.Code
	return nil
}

// leader decodes a group leader field: a pid, or nil for none.
func (d *decoder) leader() (term.Pid, error) {
	v, err := d.term(1)
	if err != nil || v == nil {
		return term.Pid{}, err
	}
	pid, ok := v.(term.Pid)
	if !ok {
		return term.Pid{}, d.bad("a group leader is a pid or nil")
	}
	return pid, nil
}

// args decodes an argument list: an array of terms.
func (d *decoder) args() ([]any, error) {
	n, err := d.arrayLen()
	if err != nil {
		return nil, err
	}
	out := make([]any, n)
	for i := range out {
		if out[i], err = d.term(1); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fieldsOf returns the length of a control message's array, op included,
// or 0 for an unknown op.
func fieldsOf(op int) int {
	switch op {
	case opLink, opUnlink, opDemonitor, opSpawnGo:
		return 3
	case opSend, opRegSend, opLinkExit, opExit, opMonitor, opMonitorName, opRPCReq:
		return 4
	case opDown, opSpawnReply, opRPCReply, opRPCFun:
		return 5
	case opNodes:
		return 2
	case opSpawnReq:
		return 6
	case opSpawnFun:
		return 7
	}
	return 0
}

// encodeMessage builds the frame of a control message that Remote sends
// (node.Remote's operations, and a cast's RPC_REQ): the ops from opSend to
// opDown, and opRPCReq.
func (c *Codec) encodeMessage(m *message) ([]byte, error) {
	switch m.op {
	case opSend:
		return c.encodeSend(m.from, m.to, m.payload)
	case opRegSend:
		return c.encodeRegSend(m.from, m.name, m.payload)
	case opLink, opUnlink:
		return c.encodePair(m.op, m.from, m.to), nil
	case opLinkExit, opExit:
		return c.encodeExit(m.op, m.from, m.to, m.payload)
	case opMonitor:
		return c.encodeMonitor(m.from, m.to, m.ref), nil
	case opMonitorName:
		return c.encodeMonitorName(m.from, m.name, m.ref), nil
	case opDemonitor:
		return c.encodeDemonitor(m.from, m.ref), nil
	case opDown:
		return c.encodeDown(m.to, m.ref, m.from, m.payload)
	case opRPCReq:
		return c.encodeRPCReq(m.id, m.fn, m.args)
	}
	return nil, fmt.Errorf("encode control message %d: not one a node sends on its own", m.op)
}
