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
	frame, err := d.codec.encodeSend(from, to, msg)
	if err != nil {
		return fmt.Errorf("send to %s: %w", to, err)
	}
	return d.post(ctx, to.Node, &outgoing{frame: frame, op: opSend}, true)
}

// SendName implements node.Remote.
func (d *Dist) SendName(ctx context.Context, from term.Pid, to term.Name, msg any) error {
	frame, err := d.codec.encodeRegSend(from, to.Name, msg)
	if err != nil {
		return fmt.Errorf("send to {%s, %s}: %w", to.Name, to.Node, err)
	}
	return d.post(ctx, to.Node, &outgoing{frame: frame, op: opRegSend}, true)
}

// Link implements node.Remote.
func (d *Dist) Link(from, to term.Pid) error {
	return d.post(context.Background(), to.Node, &outgoing{frame: d.codec.encodePair(opLink, from, to), op: opLink, from: from, to: to}, true)
}

// Unlink implements node.Remote. Without a connection there is no link to
// remove.
func (d *Dist) Unlink(from, to term.Pid) error {
	return d.post(context.Background(), to.Node, &outgoing{frame: d.codec.encodePair(opUnlink, from, to), op: opUnlink}, false)
}

// Exit implements node.Remote.
func (d *Dist) Exit(from, to term.Pid, reason any) error {
	frame, err := d.codec.encodeExit(opExit, from, to, reason)
	if err != nil {
		return fmt.Errorf("exit %s: %w", to, err)
	}
	return d.post(context.Background(), to.Node, &outgoing{frame: frame, op: opExit}, true)
}

// LinkExit implements node.Remote. An exit along a link to a node that is
// not connected is dropped: the link died with the connection.
func (d *Dist) LinkExit(from, to term.Pid, reason any) error {
	frame, err := d.codec.encodeExit(opLinkExit, from, to, reason)
	if err != nil {
		// an unsendable reason still ends the link, as text
		frame, _ = d.codec.encodeExit(opLinkExit, from, to, term.Format(reason))
	}
	return d.post(context.Background(), to.Node, &outgoing{frame: frame, op: opLinkExit}, false)
}

// Monitor implements node.Remote.
func (d *Dist) Monitor(watcher, target term.Pid, ref term.Ref) error {
	o := &outgoing{frame: d.codec.encodeMonitor(watcher, target, ref), op: opMonitor, from: watcher, to: target, ref: ref}
	return d.post(context.Background(), target.Node, o, true)
}

// MonitorName implements node.Remote.
func (d *Dist) MonitorName(watcher term.Pid, target term.Name, ref term.Ref) error {
	o := &outgoing{frame: d.codec.encodeMonitorName(watcher, target.Name, ref), op: opMonitorName, from: watcher, ref: ref}
	return d.post(context.Background(), target.Node, o, true)
}

// Demonitor implements node.Remote.
func (d *Dist) Demonitor(watcher term.Pid, nd term.Atom, ref term.Ref) error {
	return d.post(context.Background(), nd, &outgoing{frame: d.codec.encodeDemonitor(watcher, ref), op: opDemonitor}, false)
}

// Down implements node.Remote.
func (d *Dist) Down(watcher term.Pid, ref term.Ref, target term.Pid, reason any) error {
	frame, err := d.codec.encodeDown(watcher, ref, target, reason)
	if err != nil {
		// an unsendable reason still reports the exit, as text
		frame, _ = d.codec.encodeDown(watcher, ref, target, term.Format(reason))
	}
	return d.post(context.Background(), watcher.Node, &outgoing{frame: frame, op: opDown}, false)
}

// Connect implements node.Remote: it starts connecting to nd unless it is
// connected or being connected, and does not wait.
func (d *Dist) Connect(nd term.Atom) error {
	return d.mgr.want(nd)
}
