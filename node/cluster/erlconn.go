package cluster

import (
	"fmt"
	"sync"

	"github.com/gerl-dev/gerl/node/erldist"
	"github.com/gerl-dev/gerl/node/term"
)

// erlProto is Erlang's distribution protocol on one connection: it turns
// the node's operations into Erlang's control messages and the peer's
// control messages into the node's Deliver calls, keeping the state
// Erlang's protocol needs beyond gerl's:
//
//   - the new link protocol (erl_dist_protocol.md, "Link Protocol"): an
//     unlink is UNLINK_ID, which the peer acknowledges; until it does,
//     the link is inactive (gerl's processes have forgotten it already)
//     and an exit signal or a LINK along it is ignored. An UNLINK_ID from
//     the peer is acknowledged before the link is removed here, so the
//     ack precedes any signal sent after it;
//   - the targets of the monitors local processes hold on the peer's
//     processes, which DEMONITOR_P must name, and the names the peer's
//     processes monitor local ones by, which MONITOR_P_EXIT must carry;
//   - the spawn requests and erpc calls of this node waiting for their
//     SPAWN_REPLY and the DOWN that carries their result (erlrpc.go).
//
// Control messages from outside any process (a send to a name, exit/2)
// carry the node's system pid, as Erlang requires a pid there (erts closes
// a connection that sends it anything else).
type erlProto struct {
	c         *conn
	d         *Dist
	peerFlags erldist.Flags
	dec       erlDecoder // the reader's

	mu         sync.Mutex            // protects following
	unlinking  map[[2]term.Pid]int64 // {local, remote} -> the id of our unlink awaiting its ack
	nextUnlink int64
	monTargets map[term.Ref]any       // monitors held here on the peer's processes: ref -> Pid or name
	monNames   map[term.Ref]term.Atom // monitors the peer's processes hold on local ones by name
	calls      map[term.Ref]*erlCall  // spawn requests and erpc calls of this node (erlrpc.go)
	closed     bool
}

func newErlProto(c *conn, flags erldist.Flags, maxFrame int) *erlProto {
	p := &erlProto{
		c: c, d: c.d, peerFlags: flags,
		unlinking:  map[[2]term.Pid]int64{},
		monTargets: map[term.Ref]any{},
		monNames:   map[term.Ref]term.Atom{},
		calls:      map[term.Ref]*erlCall{},
	}
	p.dec.etf.Limit = maxFrame
	return p
}

func (*erlProto) kind() string { return KindErlang }

// encode writes a control message of the node's (see message and
// Codec.encodeMessage) as Erlang's. A nil frame and no error means there
// is nothing to send: a demonitor of a monitor that already fired.
func (p *erlProto) encode(m *message) ([]byte, error) {
	buf := p.d.codec.frameBuf()
	switch m.op {
	case opSend:
		if alias, ok := replyAlias(m.payload); ok && p.peerFlags&erldist.FlagAlias != 0 {
			// The answer to a gen_server call goes to the caller's alias:
			// erts drops it if the caller gave up (a timeout) meanwhile.
			from, err := p.sender(m.from)
			if err != nil {
				return nil, err
			}
			return erlAliasSend(buf, from, alias, m.payload)
		}
		return erlSend(buf, m.to, m.payload)
	case opRegSend:
		from, err := p.sender(m.from)
		if err != nil {
			return nil, err
		}
		return erlRegSend(buf, from, m.name, m.payload)
	case opLink:
		p.mu.Lock()
		delete(p.unlinking, [2]term.Pid{m.from, m.to})
		p.mu.Unlock()
		return erlPair(buf, dopLink, m.from, m.to)
	case opUnlink:
		p.mu.Lock()
		p.nextUnlink++
		id := p.nextUnlink
		p.unlinking[[2]term.Pid{m.from, m.to}] = id
		p.mu.Unlock()
		return erlUnlinkID(buf, dopUnlinkID, int(id), m.from, m.to)
	case opLinkExit:
		return erlExit(buf, dopExit, m.from, m.to, m.payload)
	case opExit:
		from, err := p.sender(m.from)
		if err != nil {
			return nil, err
		}
		return erlExit(buf, dopExit2, from, m.to, m.payload)
	case opMonitor, opMonitorName:
		var target any = m.to
		if m.op == opMonitorName {
			target = m.name
		}
		p.mu.Lock()
		p.monTargets[m.ref] = target
		p.mu.Unlock()
		return erlMonitor(buf, dopMonitorP, m.from, target, m.ref)
	case opDemonitor:
		p.mu.Lock()
		target, ok := p.monTargets[m.ref]
		delete(p.monTargets, m.ref)
		p.mu.Unlock()
		if !ok {
			p.d.codec.recycle(buf)
			return nil, nil
		}
		return erlMonitor(buf, dopDemonitorP, m.from, target, m.ref)
	case opDown:
		var target any = m.from
		p.mu.Lock()
		if name, ok := p.monNames[m.ref]; ok {
			target = name
			delete(p.monNames, m.ref)
		}
		p.mu.Unlock()
		return erlMonitorExit(buf, target, m.to, m.ref, m.payload)
	case opRPCReq:
		return p.encodeCast(buf, m.fn, m.args)
	}
	p.d.codec.recycle(buf)
	return nil, fmt.Errorf("control message %d has no form in Erlang's protocol", m.op)
}

// sender is the pid a control message that needs one carries: the
// sending process's, or the node's system pid for a send or exit made
// from outside any process.
func (p *erlProto) sender(from term.Pid) (term.Pid, error) {
	if !from.IsZero() {
		return from, nil
	}
	if sys := p.d.systemPid(); !sys.IsZero() {
		return sys, nil
	}
	return term.Pid{}, fmt.Errorf("an Erlang node needs a sender pid, and this node's system process is not running")
}

// transcode re-encodes a frame in gerl's form (queued while the
// connection was set up) in Erlang's.
func (p *erlProto) transcode(frame []byte) ([]byte, error) {
	m, err := p.d.codec.decodeMessage(frame[4:])
	if err != nil {
		return nil, err
	}
	return p.encode(&m)
}

// receive applies one frame from the peer, on the reader.
func (p *erlProto) receive(frame []byte) error {
	m, err := p.dec.decode(frame)
	if err != nil {
		return err
	}
	return p.apply(&m)
}

// fromPeer checks that a signal that must come from a process of the peer
// does, as erts does.
func (p *erlProto) fromPeer(m *erlMsg) error {
	if m.from.Node != p.c.peer.name {
		return fmt.Errorf("%w: control message %d from %s names a process of %s", ErrMalformed, m.op, p.c.peer.name, m.from.Node)
	}
	return nil
}

// unlinkPending reports whether local has an unlink of remote that the
// peer has not acknowledged yet (the link is inactive).
func (p *erlProto) unlinkPending(local, remote term.Pid) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.unlinking[[2]term.Pid{local, remote}]
	return ok
}

// apply applies a decoded control message to the node.
func (p *erlProto) apply(m *erlMsg) error {
	n := p.d.node
	switch m.op {
	case dopSend, dopSendTT:
		n.DeliverSend(term.Pid{}, m.to, p.incoming(m.to, m.payload))
	case dopRegSend, dopRegSendTT:
		n.DeliverSendName(m.from, m.name, p.incoming(term.Pid{}, m.payload))
	case dopLink:
		if err := p.fromPeer(m); err != nil {
			return err
		}
		if !p.unlinkPending(m.to, m.from) {
			n.DeliverLink(m.from, m.to)
		}
	case dopUnlink:
		if err := p.fromPeer(m); err != nil {
			return err
		}
		if !p.unlinkPending(m.to, m.from) {
			n.DeliverUnlink(m.from, m.to)
		}
	case dopUnlinkID:
		if err := p.fromPeer(m); err != nil {
			return err
		}
		// The ack first: it must precede whatever the local process
		// sends the peer's after the unlink.
		if ack, err := erlUnlinkID(p.d.codec.frameBuf(), dopUnlinkIDAck, m.unlinkID, m.to, m.from); err == nil {
			p.signal(ack)
		}
		if !p.unlinkPending(m.to, m.from) {
			n.DeliverUnlink(m.from, m.to)
		}
	case dopUnlinkIDAck:
		if err := p.fromPeer(m); err != nil {
			return err
		}
		key := [2]term.Pid{m.to, m.from}
		p.mu.Lock()
		if id, ok := p.unlinking[key]; ok && m.unlinkID == any(int(id)) {
			delete(p.unlinking, key)
		}
		p.mu.Unlock()
	case dopExit, dopExitTT:
		if err := p.fromPeer(m); err != nil {
			return err
		}
		if n.IsLocal(m.to) && !p.unlinkPending(m.to, m.from) {
			n.DeliverLinkExit(m.from, m.to, m.payload)
		}
	case dopExit2, dopExit2TT:
		if err := p.fromPeer(m); err != nil {
			return err
		}
		if n.IsLocal(m.to) {
			n.DeliverExit(m.from, m.to, m.payload)
		}
	case dopMonitorP:
		if err := p.fromPeer(m); err != nil {
			return err
		}
		if m.name != "" {
			p.mu.Lock()
			p.monNames[m.ref] = m.name
			p.mu.Unlock()
		}
		n.DeliverMonitor(m.from, m.to, m.name, m.ref)
	case dopDemonitorP:
		if err := p.fromPeer(m); err != nil {
			return err
		}
		p.mu.Lock()
		delete(p.monNames, m.ref)
		p.mu.Unlock()
		n.DeliverDemonitor(m.from, m.ref)
	case dopMonitorPExit:
		if p.completeCall(m) {
			return nil
		}
		p.mu.Lock()
		delete(p.monTargets, m.ref)
		p.mu.Unlock()
		if n.IsLocal(m.to) {
			n.DeliverDown(m.to, m.ref, m.from, m.payload)
		}
	case dopSpawnRequest, dopSpawnRequestTT:
		return p.serveSpawn(m)
	case dopSpawnReply, dopSpawnReplyTT:
		p.spawnReplied(m)
	case dopAliasSend, dopAliasSendTT:
		// gerl hands out no aliases (it does not advertise ALIAS), so no
		// process here has one: dropped, as erts drops a message to an
		// inactive alias.
	case dopGroupLeader, dopNodeLink:
		// gerl has no group leaders (yet) and no node links.
	}
	return nil
}

// signal queues a control frame of the reader's (an ack, a reply): it
// never waits, and is lost with the connection if that is going down.
func (p *erlProto) signal(frame []byte) {
	_ = p.c.send(p.d.ctx, frame, false)
}

// incoming turns a message from an Erlang process into what a gerl
// receiver expects: a gen_server call, {'$gen_call', {Pid, Tag}, Request},
// becomes a term.Request (which Proc.Reply answers with the tag Erlang
// waits for), and {Ref, Value} sent to a process waiting for the reply to
// its call under Ref becomes that call's term.Reply.
func (p *erlProto) incoming(to term.Pid, msg any) any {
	t, ok := msg.(term.Tuple)
	if !ok {
		return msg
	}
	switch {
	case len(t) == 3 && t[0] == term.Atom("$gen_call"):
		from, ok := t[1].(term.Tuple)
		if !ok || len(from) != 2 {
			return msg
		}
		pid, ok := from[0].(term.Pid)
		if !ok {
			return msg
		}
		if ref, ok := from[1].(term.Ref); ok {
			return term.Request{From: pid, Ref: ref, Body: t[2]}
		}
		// A tag of another shape: gen:call's [alias | Ref] (OTP 24 and
		// later), gen_server:multi_call's {Ref, Node}... Ref is the ref
		// inside it, if any; the reply echoes the tag itself.
		return term.Request{From: pid, Ref: tagRef(from[1]), Body: t[2], Tag: from[1]}
	case len(t) == 2 && !to.IsZero():
		if ref, ok := t[0].(term.Ref); ok && p.d.node.AwaitsReply(to, ref) {
			return term.Reply{Ref: ref, Value: t[1]}
		}
	}
	return msg
}

// replyAlias returns the alias a reply answers a gen:call through: the
// Ref of its tag [alias | Ref].
func replyAlias(msg any) (term.Ref, bool) {
	r, ok := msg.(term.Reply)
	if !ok {
		return term.Ref{}, false
	}
	l, ok := r.Tag.(term.ImproperList)
	if !ok || len(l.Elems) != 1 || l.Elems[0] != any(term.Atom("alias")) {
		return term.Ref{}, false
	}
	alias, ok := l.Tail.(term.Ref)
	return alias, ok
}

// tagRef returns the ref in a call tag of gen's making ([alias | Ref],
// {Ref, Node}), or the zero Ref.
func tagRef(tag any) term.Ref {
	switch x := tag.(type) {
	case term.ImproperList:
		if r, ok := x.Tail.(term.Ref); ok {
			return r
		}
	case term.Tuple:
		for _, e := range x {
			if r, ok := e.(term.Ref); ok {
				return r
			}
		}
	}
	return term.Ref{}
}

// down fails what waits for the peer: the connection is gone.
func (p *erlProto) down() {
	p.mu.Lock()
	p.closed = true
	calls := p.calls
	p.calls = map[term.Ref]*erlCall{}
	p.mu.Unlock()
	for _, c := range calls {
		c.fail()
	}
}
