package cluster

import (
	"context"
	"fmt"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Dist implements node.Remote: what local processes do to processes on
// other nodes becomes a control message on the connection to that node,
// queued while the connection is set up (pending.go): no method waits for
// a handshake. Messages (Send, SendName) wait while the queue to their
// node is over its byte limit; signals (links, exits, monitors, downs) are
// small and never wait, so that a connection's reader, which sends some of
// them, never blocks on a writer.
var _ node.Remote = (*Dist)(nil)

// Send implements node.Remote.
func (d *Dist) Send(ctx context.Context, from, to term.Pid, msg any) error {
	m := message{op: opSend, from: from, to: to, payload: msg}
	if err := d.postMsg(ctx, to.Node, &m, true); err != nil {
		return fmt.Errorf("send to %s: %w", to, err)
	}
	return nil
}

// SendName implements node.Remote.
func (d *Dist) SendName(ctx context.Context, from term.Pid, to term.Name, msg any) error {
	m := message{op: opRegSend, from: from, name: to.Name, payload: msg}
	if err := d.postMsg(ctx, to.Node, &m, true); err != nil {
		return fmt.Errorf("send to {%s, %s}: %w", to.Name, to.Node, err)
	}
	return nil
}

// Link implements node.Remote.
func (d *Dist) Link(from, to term.Pid) error {
	m := message{op: opLink, from: from, to: to}
	return d.postMsg(context.Background(), to.Node, &m, true)
}

// Unlink implements node.Remote. Without a connection there is no link to
// remove.
func (d *Dist) Unlink(from, to term.Pid) error {
	m := message{op: opUnlink, from: from, to: to}
	return d.postMsg(context.Background(), to.Node, &m, false)
}

// Exit implements node.Remote.
func (d *Dist) Exit(from, to term.Pid, reason any) error {
	m := message{op: opExit, from: from, to: to, payload: reason}
	if err := d.postMsg(context.Background(), to.Node, &m, true); err != nil {
		return fmt.Errorf("exit %s: %w", to, err)
	}
	return nil
}

// LinkExit implements node.Remote. An exit along a link to a node that is
// not connected is dropped: the link died with the connection.
func (d *Dist) LinkExit(from, to term.Pid, reason any) error {
	m := message{op: opLinkExit, from: from, to: to, payload: reason}
	if err := d.postMsg(context.Background(), to.Node, &m, false); err != nil {
		// an unsendable reason still ends the link, as text
		m.payload = term.Format(reason)
		return d.postMsg(context.Background(), to.Node, &m, false)
	}
	return nil
}

// Monitor implements node.Remote.
func (d *Dist) Monitor(watcher, target term.Pid, ref term.Ref) error {
	m := message{op: opMonitor, from: watcher, to: target, ref: ref}
	return d.postMsg(context.Background(), target.Node, &m, true)
}

// MonitorName implements node.Remote.
func (d *Dist) MonitorName(watcher term.Pid, target term.Name, ref term.Ref) error {
	m := message{op: opMonitorName, from: watcher, name: target.Name, ref: ref}
	return d.postMsg(context.Background(), target.Node, &m, true)
}

// Demonitor implements node.Remote.
func (d *Dist) Demonitor(watcher term.Pid, nd term.Atom, ref term.Ref) error {
	m := message{op: opDemonitor, from: watcher, ref: ref}
	return d.postMsg(context.Background(), nd, &m, false)
}

// Down implements node.Remote.
func (d *Dist) Down(watcher term.Pid, ref term.Ref, target term.Pid, reason any) error {
	m := message{op: opDown, to: watcher, ref: ref, from: target, payload: reason}
	if err := d.postMsg(context.Background(), watcher.Node, &m, false); err != nil {
		// an unsendable reason still reports the exit, as text
		m.payload = term.Format(reason)
		return d.postMsg(context.Background(), watcher.Node, &m, false)
	}
	return nil
}

// postMsg sends control message m to node nd (see post for what happens
// without a connection). A connection that is up encodes it in its own
// protocol; otherwise it is encoded in gerl's, and a connection that turns
// out to speak Erlang's re-encodes it when it takes it over. Errors are
// post's, and the encoder's for a value that cannot be sent.
func (d *Dist) postMsg(ctx context.Context, nd term.Atom, m *message, connect bool) error {
	o := outgoing{op: m.op, from: m.from, to: m.to, ref: m.ref}
	if m.op == opDown || m.op == opDemonitor {
		o.from, o.to = term.Pid{}, term.Pid{} // nothing to report if lost
	}
	if c := d.mgr.up(nd); c != nil {
		var frame []byte
		var err error
		if p := c.erl(); p != nil {
			frame, err = p.encode(m)
		} else {
			frame, err = d.codec.encodeMessage(m)
		}
		if err != nil || frame == nil {
			return err
		}
		o.frame, o.native = frame, true
		return d.sendOn(ctx, c, &o)
	}
	frame, err := d.codec.encodeMessage(m)
	if err != nil {
		return err
	}
	o.frame = frame
	return d.post(ctx, nd, &o, connect)
}

// Connect implements node.Remote: it starts connecting to nd unless it is
// connected or being connected, and does not wait.
func (d *Dist) Connect(nd term.Atom) error {
	return d.mgr.want(nd)
}
