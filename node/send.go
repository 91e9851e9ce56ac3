package node

import (
	"fmt"

	"github.com/gerl-dev/gerl/node/term"
)

// Send sends msg from p to a process: a pid, a registered name on this node
// (an Atom or string), or a name on any node (term.Name, or the tuple
// {Name, Node}). The receiver gets its own copy. Sending never blocks on the
// receiver, and sending to a pid that has exited does nothing. Send returns
// an error when msg cannot be sent (see package term), when a local name is
// not registered, and when the target's node cannot be reached. A send to a
// process on another node may block while the connection is set up or while
// its send queue is full.
func (p *Proc) Send(to any, msg any) error {
	p.checkAlive()
	return p.node.send(p.Self(), to, msg)
}

// Send sends msg from outside any process (the message has no sender); see
// Proc.Send.
func (n *Node) Send(to any, msg any) error {
	return n.send(term.Pid{}, to, msg)
}

func (n *Node) send(from term.Pid, to any, msg any) error {
	if n.trace.on.Load() {
		n.traceSend(from, to, msg)
	}
	if pid, ok := to.(term.Pid); ok { // the common case, without resolve
		return n.sendPid(from, pid, msg)
	}
	pid, name, err := n.resolve(to)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	if name.Name == "" {
		return n.sendPid(from, pid, msg)
	}
	if name.Node != n.name {
		return n.remoteFor().SendName(from, name, msg)
	}
	c, err := term.Copy(msg)
	if err != nil {
		return fmt.Errorf("send to %s: %w", term.FormatAtom(name.Name), err)
	}
	q := n.reg.whereis(name.Name)
	if q == nil {
		return fmt.Errorf("send to %s: %w", term.FormatAtom(name.Name), ErrNotRegistered)
	}
	q.deliver(from, c)
	return nil
}

func (n *Node) sendPid(from, to term.Pid, msg any) error {
	if to.Node == n.name {
		c, err := term.Copy(msg)
		if err != nil {
			return fmt.Errorf("send to %s: %w", to, err)
		}
		if to.Creation != n.creation {
			return nil // a process of an earlier incarnation: gone
		}
		if q := n.procs.lookup(to.ID); q != nil {
			q.deliver(from, c)
		}
		return nil
	}
	if to.IsZero() {
		return fmt.Errorf("send: the zero pid names no process")
	}
	return n.remoteFor().Send(from, to, msg)
}
