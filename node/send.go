package node

import (
	"context"
	"fmt"

	"github.com/gerl-dev/gerl/node/term"
)

// Send sends msg from p to a process: a pid, a registered name on this node
// (an Atom or string), or a name on any node (term.Name, or the tuple
// {Name, Node}). The receiver gets its own copy. Sending never blocks on the
// receiver, and sending to a pid that has exited does nothing. Send returns
// an error when msg cannot be sent (see package term), when a local name is
// not registered, and when the target names no node that could ever be
// reached (a node without distribution, a malformed node name). A send to
// a process on another node never waits for the connection to be set up
// (see Remote): a message to a node that cannot be reached, or whose
// connection is lost, is dropped, as in Erlang. It may wait while the queue
// to that node is over its limit (backpressure on a slow peer).
func (p *Proc) Send(to any, msg any) error {
	p.checkAlive()
	if pid, ok := to.(term.Pid); ok { // send's common case, one frame less (see sendToPid)
		return p.node.sendToPid(context.Background(), p.Self(), pid, msg, false)
	}
	return p.node.sendName(context.Background(), p.Self(), to, msg, false)
}

// SendContext is Send that gives up waiting for room in the queue to
// another node when ctx is done (the shell's Ctrl-C), returning ctx's
// error; the message is then not sent. Local sends never wait.
func (p *Proc) SendContext(ctx context.Context, to any, msg any) error {
	p.checkAlive()
	return p.node.send(ctx, p.Self(), to, msg, false)
}

// Send sends msg from outside any process (the message has no sender); see
// Proc.Send.
func (n *Node) Send(to any, msg any) error {
	return n.send(context.Background(), term.Pid{}, to, msg, false)
}

// send sends msg to a pid or name. fresh says msg is already a private
// value that nothing else refers to (a Call's request, a Reply, made by
// this package around a copy of the caller's value): a local receiver then
// gets it without another copy.
func (n *Node) send(ctx context.Context, from term.Pid, to any, msg any, fresh bool) error {
	if pid, ok := to.(term.Pid); ok { // the common case, without resolve
		return n.sendToPid(ctx, from, pid, msg, fresh)
	}
	return n.sendName(ctx, from, to, msg, fresh)
}

// sendName is send to anything but a pid. It is a function of its own to
// keep send's frame small: a process's stack starts at 2 KB, and a
// hibernated process starts a new one at each wake-up.
//
//go:noinline
func (n *Node) sendName(ctx context.Context, from term.Pid, to any, msg any, fresh bool) error {
	pid, name, err := n.resolve(to)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	if name.Name == "" {
		return n.sendToPid(ctx, from, pid, msg, fresh)
	}
	if n.trace.on.Load() {
		n.traceSend(from, targetCopy(to), msg)
	}
	if name.Node != n.name {
		return n.remoteFor().SendName(ctx, from, name, msg)
	}
	c, err := copyUnlessFresh(msg, fresh)
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

// sendToPid is send to a pid. It takes the pid as it is, not in an
// interface: a Reply would otherwise box its caller's pid, one allocation
// per Call.
//
// A local send's frames are kept small, the rare cases (tracing, another
// node, an error) in functions of their own: a process woken from
// hibernation sends on a new goroutine's 2 KB stack, and a send that
// outgrows it copies the whole stack, most of a wake-up's cost
// (BenchmarkPingPongHibernated; TestSendFitsTheFirstStack checks it).
func (n *Node) sendToPid(ctx context.Context, from, to term.Pid, msg any, fresh bool) error {
	if n.trace.on.Load() {
		n.traceSendPid(from, to, msg)
	}
	if to.Node != n.name {
		return n.sendRemote(ctx, from, to, msg)
	}
	c := msg
	if !fresh {
		var err error
		if c, err = term.Copy(msg); err != nil {
			return sendError(to, err)
		}
	}
	if to.Creation != n.creation {
		return nil // a process of an earlier incarnation: gone
	}
	if q := n.procs.lookup(to.ID); q != nil {
		q.deliver(from, c)
	}
	return nil
}

// sendError is the error of a send to a pid whose message cannot be sent.
//
//go:noinline
func sendError(to term.Pid, err error) error {
	return fmt.Errorf("send to %s: %w", to, err)
}

// sendRemote is sendToPid to a process of another node.
//
//go:noinline
func (n *Node) sendRemote(ctx context.Context, from, to term.Pid, msg any) error {
	if to.IsZero() {
		return fmt.Errorf("send: the zero pid names no process")
	}
	return n.remoteFor().Send(ctx, from, to, msg)
}

func copyUnlessFresh(msg any, fresh bool) (any, error) {
	if fresh {
		return msg, nil
	}
	return term.Copy(msg)
}
