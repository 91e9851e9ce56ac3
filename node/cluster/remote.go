package cluster

import (
	"fmt"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Dist implements node.Remote: what local processes do to processes on
// other nodes becomes a control message on the connection to that node,
// connecting first when there is none. Messages (Send, SendName) wait
// while the connection's queue is over its byte limit; signals (links,
// exits, monitors, downs) are small and never wait, so that a connection's
// reader, which sends some of them, never blocks on a writer.
var _ node.Remote = (*Dist)(nil)

// Send implements node.Remote.
func (d *Dist) Send(from, to term.Pid, msg any) error {
	c, err := d.connFor(to.Node)
	if err != nil {
		return err
	}
	frame, err := d.codec.encodeSend(from, to, msg)
	if err != nil {
		return fmt.Errorf("send to %s: %w", to, err)
	}
	return c.send(frame, true)
}

// SendName implements node.Remote.
func (d *Dist) SendName(from term.Pid, to term.Name, msg any) error {
	c, err := d.connFor(to.Node)
	if err != nil {
		return err
	}
	frame, err := d.codec.encodeRegSend(from, to.Name, msg)
	if err != nil {
		return fmt.Errorf("send to {%s, %s}: %w", to.Name, to.Node, err)
	}
	return c.send(frame, true)
}

// Link implements node.Remote.
func (d *Dist) Link(from, to term.Pid) error {
	c, err := d.connFor(to.Node)
	if err != nil {
		return err
	}
	return c.send(d.codec.encodePair(opLink, from, to), false)
}

// Unlink implements node.Remote.
func (d *Dist) Unlink(from, to term.Pid) error {
	c := d.mgr.up(to.Node)
	if c == nil {
		return nil // no connection, no link
	}
	return c.send(d.codec.encodePair(opUnlink, from, to), false)
}

// Exit implements node.Remote. An exit along a link to a node that is not
// connected is dropped: the link died with the connection.
func (d *Dist) Exit(from, to term.Pid, reason any, link bool) error {
	var c *conn
	var err error
	if link {
		if c = d.mgr.up(to.Node); c == nil {
			return nil
		}
	} else if c, err = d.connFor(to.Node); err != nil {
		return err
	}
	frame, err := d.codec.encodeExit(link, from, to, reason)
	if err != nil {
		return fmt.Errorf("exit %s: %w", to, err)
	}
	return c.send(frame, false)
}

// Monitor implements node.Remote.
func (d *Dist) Monitor(watcher, target term.Pid, ref term.Ref) error {
	c, err := d.connFor(target.Node)
	if err != nil {
		return err
	}
	return c.send(d.codec.encodeMonitor(watcher, target, ref), false)
}

// MonitorName implements node.Remote.
func (d *Dist) MonitorName(watcher term.Pid, target term.Name, ref term.Ref) error {
	c, err := d.connFor(target.Node)
	if err != nil {
		return err
	}
	return c.send(d.codec.encodeMonitorName(watcher, target.Name, ref), false)
}

// Demonitor implements node.Remote.
func (d *Dist) Demonitor(watcher term.Pid, nd term.Atom, ref term.Ref) error {
	c := d.mgr.up(nd)
	if c == nil {
		return nil
	}
	return c.send(d.codec.encodeDemonitor(watcher, ref), false)
}

// Down implements node.Remote.
func (d *Dist) Down(watcher term.Pid, ref term.Ref, target term.Pid, reason any) error {
	c := d.mgr.up(watcher.Node)
	if c == nil {
		return nil // the watcher's node is gone; it saw noconnection
	}
	frame, err := d.codec.encodeDown(watcher, ref, target, reason)
	if err != nil {
		// an unsendable reason still reports the exit, as text
		frame, _ = d.codec.encodeDown(watcher, ref, target, term.Format(reason))
	}
	return c.send(frame, false)
}

// Connect implements node.Remote: it connects to nd if needed, within the
// handshake timeout.
func (d *Dist) Connect(nd term.Atom) error {
	_, err := d.connFor(nd)
	return err
}
