package cluster

import (
	"encoding/binary"
	"fmt"

	"github.com/gerl-dev/gerl/node/etf"
	"github.com/gerl-dev/gerl/node/term"
)

// Erlang's control messages (erts/doc/guides/erl_dist_protocol.md,
// "Protocol between Connected Nodes"). gerl negotiates neither the atom
// cache nor fragments, so every frame from an Erlang node is a
// pass-through frame: the byte 'p', the control message as a term of its
// own (version byte first), and, for the messages that carry one, the
// message or exit reason as a second term. gerl sends the same.

// Erlang's control message ops (DOP_*). Wire constants.
const (
	dopLink            = 1
	dopSend            = 2
	dopExit            = 3
	dopUnlink          = 4 // the old link protocol: OTP 26 refuses it; tolerated
	dopNodeLink        = 5
	dopRegSend         = 6
	dopGroupLeader     = 7
	dopExit2           = 8
	dopSendTT          = 12
	dopExitTT          = 13
	dopRegSendTT       = 16
	dopExit2TT         = 18
	dopMonitorP        = 19
	dopDemonitorP      = 20
	dopMonitorPExit    = 21
	dopSpawnRequest    = 29
	dopSpawnRequestTT  = 30
	dopSpawnReply      = 31
	dopSpawnReplyTT    = 32
	dopAliasSend       = 33
	dopAliasSendTT     = 34
	dopUnlinkID        = 35
	dopUnlinkIDAck     = 36
	passThrough        = 'p'
	erlFrameHeaderSize = 4 + 1 // the length, then 'p'
)

// Spawn reply flags (SPAWN_REPLY's Flags).
const (
	spawnReplyLink    = 1
	spawnReplyMonitor = 2
)

// erlMsg is a decoded Erlang control message: the fields the op uses.
type erlMsg struct {
	op         int
	from, to   term.Pid  // the sender and the receiver processes
	name       term.Atom // REG_SEND's registered name; the name in MONITOR_P, DEMONITOR_P, MONITOR_P_EXIT
	ref        term.Ref  // monitors; SPAWN_REQUEST and SPAWN_REPLY's request id
	unlinkID   any       // UNLINK_ID's id: an integer, echoed as it came
	gl         term.Pid  // SPAWN_REQUEST's group leader
	mod, fun   term.Atom // SPAWN_REQUEST's function
	arity      int
	opts       []any // SPAWN_REQUEST's options
	flags      int   // SPAWN_REPLY's flags
	result     any   // SPAWN_REPLY's pid or error atom
	payload    any   // the message or exit reason
	hasPayload bool
}

// erlDecoder decodes the frames of one connection (its atom cache is the
// reader's own).
type erlDecoder struct {
	etf etf.Decoder
}

// decode decodes one frame's payload (the bytes after the length). It
// checks the shape of every control message, so that what it returns can
// be applied without further checks of types; it does not check which
// node the pids name (the caller does).
func (d *erlDecoder) decode(b []byte) (erlMsg, error) {
	var m erlMsg
	if len(b) == 0 {
		return m, fmt.Errorf("%w: an empty frame", ErrMalformed)
	}
	if b[0] != passThrough {
		if b[0] == etf.Version {
			return m, fmt.Errorf("%w: a distribution header (gerl negotiated neither the atom cache nor fragments)", ErrMalformed)
		}
		return m, fmt.Errorf("%w: a frame starting with byte %d, not a pass-through frame", ErrMalformed, b[0])
	}
	v, rest, err := d.etf.DecodeNext(b[1:])
	if err != nil {
		return m, fmt.Errorf("%w: control message: %v", ErrMalformed, err)
	}
	t, ok := v.(term.Tuple)
	if !ok || len(t) == 0 {
		return m, fmt.Errorf("%w: a control message that is not a tuple: %s", ErrMalformed, clip(v))
	}
	op, ok := t[0].(int)
	if !ok {
		return m, fmt.Errorf("%w: a control message without an operation: %s", ErrMalformed, clip(v))
	}
	m.op = op
	if err := m.fields(t); err != nil {
		return m, fmt.Errorf("%w: control message %s: %v", ErrMalformed, clip(v), err)
	}
	if m.hasPayload {
		if len(rest) == 0 {
			return m, fmt.Errorf("%w: control message %d without its message", ErrMalformed, op)
		}
		if m.payload, err = d.etf.Decode(rest); err != nil {
			return m, fmt.Errorf("%w: the message of control message %d: %v", ErrMalformed, op, err)
		}
	} else if len(rest) != 0 {
		return m, fmt.Errorf("%w: %d bytes after control message %d", ErrMalformed, len(rest), op)
	}
	return m, nil
}

// traced is 1 for the *_TT variants of control messages, which carry a
// trace token as one more element, and 0 for the others.
func traced(op int) int {
	switch op {
	case dopSendTT, dopExitTT, dopRegSendTT, dopExit2TT, dopSpawnRequestTT, dopSpawnReplyTT, dopAliasSendTT:
		return 1
	}
	return 0
}

// clip formats a term for an error, cut short.
func clip(v any) string {
	s := term.Format(v)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// fields reads the fields of control message t into m, checking arity and
// types. The trace token of the *_TT variants is ignored.
func (m *erlMsg) fields(t term.Tuple) error {
	arity := func(n int) error {
		if len(t) != n {
			return fmt.Errorf("%d elements, want %d", len(t), n)
		}
		return nil
	}
	var err error
	pid := func(i int, p *term.Pid) {
		if err != nil {
			return
		}
		var ok bool
		if *p, ok = t[i].(term.Pid); !ok {
			err = fmt.Errorf("element %d is not a pid", i+1)
		}
	}
	pidOrName := func(i int, p *term.Pid, name *term.Atom) {
		if err != nil {
			return
		}
		switch x := t[i].(type) {
		case term.Pid:
			*p = x
		case term.Atom:
			*name = x
		default:
			err = fmt.Errorf("element %d is neither a pid nor a name", i+1)
		}
	}
	ref := func(i int, r *term.Ref) {
		if err != nil {
			return
		}
		var ok bool
		if *r, ok = t[i].(term.Ref); !ok {
			err = fmt.Errorf("element %d is not a reference", i+1)
		}
	}
	atom := func(i int, a *term.Atom) {
		if err != nil {
			return
		}
		var ok bool
		if *a, ok = t[i].(term.Atom); !ok {
			err = fmt.Errorf("element %d is not an atom", i+1)
		}
	}
	switch m.op {
	case dopLink, dopUnlink, dopGroupLeader:
		if err := arity(3); err != nil {
			return err
		}
		pid(1, &m.from)
		pid(2, &m.to)
	case dopNodeLink:
		return arity(1)
	case dopSend, dopSendTT:
		if err := arity(3 + traced(m.op)); err != nil {
			return err
		}
		pid(2, &m.to) // element 2 is unused ('' or the sender)
		m.hasPayload = true
	case dopRegSend, dopRegSendTT:
		if err := arity(4 + traced(m.op)); err != nil {
			return err
		}
		pid(1, &m.from)
		atom(3, &m.name)
		m.hasPayload = true
	case dopExit, dopExit2, dopExitTT, dopExit2TT:
		n := 4 + traced(m.op)
		if err := arity(n); err != nil {
			return err
		}
		pid(1, &m.from)
		pid(2, &m.to)
		if err == nil {
			m.payload = t[n-1] // the reason comes last, after the trace token if any
		}
	case dopMonitorP, dopDemonitorP:
		if err := arity(4); err != nil {
			return err
		}
		pid(1, &m.from)
		pidOrName(2, &m.to, &m.name)
		ref(3, &m.ref)
	case dopMonitorPExit:
		if err := arity(5); err != nil {
			return err
		}
		pidOrName(1, &m.from, &m.name)
		pid(2, &m.to)
		ref(3, &m.ref)
		if err == nil {
			m.payload = t[4]
		}
	case dopSpawnRequest, dopSpawnRequestTT:
		if err := arity(6 + traced(m.op)); err != nil {
			return err
		}
		ref(1, &m.ref)
		pid(2, &m.from)
		pid(3, &m.gl)
		if err != nil {
			return err
		}
		mfa, ok := t[4].(term.Tuple)
		if !ok || len(mfa) != 3 {
			return fmt.Errorf("element 5 is not {Module, Function, Arity}")
		}
		var ok1, ok2, ok3 bool
		m.mod, ok1 = mfa[0].(term.Atom)
		m.fun, ok2 = mfa[1].(term.Atom)
		m.arity, ok3 = mfa[2].(int)
		if !ok1 || !ok2 || !ok3 || m.arity < 0 || m.arity > 255 {
			return fmt.Errorf("element 5 is not {Module, Function, Arity}")
		}
		opts, ok := t[5].([]any)
		if !ok && t[5] != nil {
			return fmt.Errorf("element 6 is not an option list")
		}
		m.opts = opts
		m.hasPayload = true
	case dopSpawnReply, dopSpawnReplyTT:
		if err := arity(5 + traced(m.op)); err != nil {
			return err
		}
		ref(1, &m.ref)
		pid(2, &m.to)
		if err != nil {
			return err
		}
		flags, ok := t[3].(int)
		if !ok || flags < 0 {
			return fmt.Errorf("element 4 is not the flags")
		}
		m.flags = flags
		switch t[4].(type) {
		case term.Pid, term.Atom:
			m.result = t[4]
		default:
			return fmt.Errorf("element 5 is neither a pid nor an error")
		}
	case dopAliasSend, dopAliasSendTT:
		if err := arity(3 + traced(m.op)); err != nil {
			return err
		}
		pid(1, &m.from)
		ref(2, &m.ref)
		m.hasPayload = true
	case dopUnlinkID, dopUnlinkIDAck:
		if err := arity(4); err != nil {
			return err
		}
		switch t[1].(type) {
		case int, term.BigInt:
			m.unlinkID = t[1]
		default:
			return fmt.Errorf("element 2 is not an unlink id")
		}
		pid(2, &m.from)
		pid(3, &m.to)
	default:
		return fmt.Errorf("unknown operation %d", m.op)
	}
	return err
}

// erlFrame builds one outgoing pass-through frame: the length is reserved
// and patched by finish, the control message is written with the etf
// parts, and the message, if any, as a term of its own.
type erlFrame struct {
	b []byte
}

func newErlFrame(buf []byte, op, elems int) erlFrame {
	b := append(buf[:0], 0, 0, 0, 0, passThrough, etf.Version)
	b = etf.AppendTupleHeader(b, elems)
	b = etf.AppendInt(b, int64(op))
	return erlFrame{b: b}
}

func (f *erlFrame) pid(p term.Pid) error {
	var err error
	f.b, err = etf.AppendPid(f.b, p)
	return err
}

// target writes what a monitor names: a Pid, or a registered name (an
// Atom).
func (f *erlFrame) target(t any) error {
	switch x := t.(type) {
	case term.Pid:
		return f.pid(x)
	case term.Atom:
		return f.atom(x)
	}
	return fmt.Errorf("a monitor target %s", term.Format(t))
}

func (f *erlFrame) ref(r term.Ref) error {
	var err error
	f.b, err = etf.AppendRef(f.b, r)
	return err
}

func (f *erlFrame) atom(a term.Atom) error {
	var err error
	f.b, err = etf.AppendAtom(f.b, a)
	return err
}

func (f *erlFrame) int(n int64) { f.b = etf.AppendInt(f.b, n) }

// term appends v inside the control message (no version byte).
func (f *erlFrame) term(v any) error {
	var err error
	f.b, err = etf.AppendRaw(f.b, v)
	return err
}

// message appends the frame's second term, the message.
func (f *erlFrame) message(v any) error {
	var err error
	f.b, err = etf.Append(f.b, v)
	return err
}

func (f *erlFrame) finish() []byte {
	binary.BigEndian.PutUint32(f.b, uint32(len(f.b)-4))
	return f.b
}

// The encoders of the control messages gerl sends; each returns a frame
// (length included) or the error of a value Erlang cannot take.

func erlSend(buf []byte, to term.Pid, msg any) ([]byte, error) {
	f := newErlFrame(buf, dopSend, 3)
	if err := f.atom(""); err != nil {
		return nil, err
	}
	if err := f.pid(to); err != nil {
		return nil, err
	}
	if err := f.message(msg); err != nil {
		return nil, err
	}
	return f.finish(), nil
}

func erlRegSend(buf []byte, from term.Pid, name term.Atom, msg any) ([]byte, error) {
	f := newErlFrame(buf, dopRegSend, 4)
	if err := f.pid(from); err != nil {
		return nil, err
	}
	if err := f.atom(""); err != nil {
		return nil, err
	}
	if err := f.atom(name); err != nil {
		return nil, err
	}
	if err := f.message(msg); err != nil {
		return nil, err
	}
	return f.finish(), nil
}

// erlPair builds LINK.
func erlPair(buf []byte, op int, from, to term.Pid) ([]byte, error) {
	f := newErlFrame(buf, op, 3)
	if err := f.pid(from); err != nil {
		return nil, err
	}
	if err := f.pid(to); err != nil {
		return nil, err
	}
	return f.finish(), nil
}

// erlUnlinkID builds UNLINK_ID and UNLINK_ID_ACK.
func erlUnlinkID(buf []byte, op int, id any, from, to term.Pid) ([]byte, error) {
	f := newErlFrame(buf, op, 4)
	if err := f.term(id); err != nil {
		return nil, err
	}
	if err := f.pid(from); err != nil {
		return nil, err
	}
	if err := f.pid(to); err != nil {
		return nil, err
	}
	return f.finish(), nil
}

// erlExit builds EXIT (along a link) and EXIT2 (exit/2).
func erlExit(buf []byte, op int, from, to term.Pid, reason any) ([]byte, error) {
	f := newErlFrame(buf, op, 4)
	if err := f.pid(from); err != nil {
		return nil, err
	}
	if err := f.pid(to); err != nil {
		return nil, err
	}
	if err := f.term(reason); err != nil {
		return nil, err
	}
	return f.finish(), nil
}

// erlMonitor builds MONITOR_P and DEMONITOR_P: target is a Pid or, for a
// monitor of a registered name, an Atom.
func erlMonitor(buf []byte, op int, watcher term.Pid, target any, ref term.Ref) ([]byte, error) {
	f := newErlFrame(buf, op, 4)
	if err := f.pid(watcher); err != nil {
		return nil, err
	}
	if err := f.target(target); err != nil {
		return nil, err
	}
	if err := f.ref(ref); err != nil {
		return nil, err
	}
	return f.finish(), nil
}

// erlMonitorExit builds MONITOR_P_EXIT: target is the Pid, or the name the
// watcher monitored (an Atom).
func erlMonitorExit(buf []byte, target any, watcher term.Pid, ref term.Ref, reason any) ([]byte, error) {
	f := newErlFrame(buf, dopMonitorPExit, 5)
	if err := f.target(target); err != nil {
		return nil, err
	}
	if err := f.pid(watcher); err != nil {
		return nil, err
	}
	if err := f.ref(ref); err != nil {
		return nil, err
	}
	if err := f.term(reason); err != nil {
		return nil, err
	}
	return f.finish(), nil
}

// erlSpawnRequest builds SPAWN_REQUEST for mod:fun(args...).
func erlSpawnRequest(buf []byte, reqID term.Ref, from, gl term.Pid, mod, fun term.Atom, args []any, opts []any) ([]byte, error) {
	f := newErlFrame(buf, dopSpawnRequest, 6)
	if err := f.ref(reqID); err != nil {
		return nil, err
	}
	if err := f.pid(from); err != nil {
		return nil, err
	}
	if err := f.pid(gl); err != nil {
		return nil, err
	}
	if err := f.term(term.Tuple{mod, fun, len(args)}); err != nil {
		return nil, err
	}
	if err := f.term(opts); err != nil {
		return nil, err
	}
	if args == nil {
		args = []any{}
	}
	if err := f.message(args); err != nil {
		return nil, err
	}
	return f.finish(), nil
}

// erlSpawnReply builds SPAWN_REPLY: result is the new process's pid, or
// the error atom.
func erlSpawnReply(buf []byte, reqID term.Ref, to term.Pid, flags int, result any) ([]byte, error) {
	f := newErlFrame(buf, dopSpawnReply, 5)
	if err := f.ref(reqID); err != nil {
		return nil, err
	}
	if err := f.pid(to); err != nil {
		return nil, err
	}
	f.int(int64(flags))
	if err := f.term(result); err != nil {
		return nil, err
	}
	return f.finish(), nil
}

// erlAliasSend builds ALIAS_SEND: msg to the process whose alias is alias.
func erlAliasSend(buf []byte, from term.Pid, alias term.Ref, msg any) ([]byte, error) {
	f := newErlFrame(buf, dopAliasSend, 3)
	if err := f.pid(from); err != nil {
		return nil, err
	}
	if err := f.ref(alias); err != nil {
		return nil, err
	}
	if err := f.message(msg); err != nil {
		return nil, err
	}
	return f.finish(), nil
}
