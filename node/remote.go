package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/gerl-dev/gerl/node/term"
)

// Remote carries what local processes do to processes on other nodes. The
// distribution layer implements it and installs it with SetRemote; a node
// without distribution uses one that reports every other node unreachable.
//
// Contract: every method may be called from any goroutine, concurrently,
// and none waits for a connection to be set up. Towards a node that is not
// connected, Send, SendName, Link, Exit, Monitor and MonitorName start
// connecting (connect on first use) and what they send is queued; it goes
// out, in order, once the connection is up. If the connection cannot be
// set up, or is lost with signals still queued, queued messages are
// dropped (as Erlang drops messages to a node it cannot reach) and the
// links and monitors they carried fire with reason noconnection, through
// the Deliver methods (DeliverLinkExit, DeliverDown). Unlink, LinkExit,
// Demonitor and Down do not connect: without a connection, the link or
// monitor they concern is already gone.
//
// A message send (Send, SendName) may wait while the queue to its node is
// over its byte limit (backpressure, visible in the node's log); signals
// never wait. A method returns an error only when the node can never be
// reached (this node is not distributed, the name is not a node name, the
// distribution layer is closed) or the value cannot be encoded; a
// connection that fails or drops later is reported as above, never as an
// error of the call. Signals from one local process to one remote process
// are delivered in the order the calls were made. The receiving node
// applies them through the Node's Deliver methods.
type Remote interface {
	// Send delivers msg to the remote pid to. If it has to wait for room
	// (backpressure), it gives up when ctx is done and returns ctx's
	// error: msg is then not sent.
	Send(ctx context.Context, from, to term.Pid, msg any) error
	// SendName delivers msg to the process registered as to.Name on
	// to.Node; the remote node drops it if the name is unknown. ctx as
	// for Send.
	SendName(ctx context.Context, from term.Pid, to term.Name, msg any) error
	// Link asks to's node to link to with from (DeliverLink there).
	Link(from, to term.Pid) error
	// Unlink asks to's node to remove the link (DeliverUnlink there).
	Unlink(from, to term.Pid) error
	// Exit sends an exit signal from from to to, as erl's exit/2
	// (DeliverExit there).
	Exit(from, to term.Pid, reason any) error
	// LinkExit sends the exit signal of from, which ended with reason,
	// along its link to to (DeliverLinkExit there).
	LinkExit(from, to term.Pid, reason any) error
	// Monitor asks target's node to report target's exit to watcher
	// under ref (DeliverMonitor there).
	Monitor(watcher, target term.Pid, ref term.Ref) error
	// MonitorName is Monitor for a registered name on another node.
	MonitorName(watcher term.Pid, target term.Name, ref term.Ref) error
	// Demonitor cancels the monitor ref held on a process of node.
	Demonitor(watcher term.Pid, node term.Atom, ref term.Ref) error
	// Down tells a remote watcher that the local process target, which it
	// monitored under ref, ended with reason (DeliverDown there).
	Down(watcher term.Pid, ref term.Ref, target term.Pid, reason any) error
	// Connect starts connecting to node unless it is connected or being
	// connected, and returns without waiting; if the attempt fails, the
	// layer calls ConnectFailed.
	Connect(node term.Atom) error
	// Close shuts the distribution layer down; the node calls it from Stop.
	Close()
}

// ErrNotDistributed is returned for operations on other nodes by a node
// started without distribution.
var ErrNotDistributed = errors.New("this node is not distributed (start it with -sname or -name)")

type remoteHolder struct{ Remote Remote }

// SetRemote installs the distribution layer. Call it once, before processes
// talk to other nodes.
func (n *Node) SetRemote(r Remote) {
	n.remote.Store(&remoteHolder{Remote: r})
}

func (n *Node) remoteFor() Remote {
	if h := n.remote.Load(); h != nil {
		return h.Remote
	}
	return noRemote{}
}

// noRemote is the Remote of a node without distribution.
type noRemote struct{}

func (noRemote) fail(node term.Atom) error {
	return fmt.Errorf("node %s: %w", term.FormatAtom(node), ErrNotDistributed)
}
func (r noRemote) Send(_ context.Context, _, to term.Pid, _ any) error { return r.fail(to.Node) }
func (r noRemote) SendName(_ context.Context, _ term.Pid, to term.Name, _ any) error {
	return r.fail(to.Node)
}
func (r noRemote) Link(_, to term.Pid) error               { return r.fail(to.Node) }
func (r noRemote) Unlink(_, to term.Pid) error             { return r.fail(to.Node) }
func (r noRemote) Exit(_, to term.Pid, _ any) error        { return r.fail(to.Node) }
func (r noRemote) LinkExit(_, to term.Pid, _ any) error    { return r.fail(to.Node) }
func (r noRemote) Monitor(_, t term.Pid, _ term.Ref) error { return r.fail(t.Node) }
func (r noRemote) MonitorName(_ term.Pid, t term.Name, _ term.Ref) error {
	return r.fail(t.Node)
}
func (r noRemote) Demonitor(_ term.Pid, node term.Atom, _ term.Ref) error { return r.fail(node) }
func (r noRemote) Down(w term.Pid, _ term.Ref, _ term.Pid, _ any) error   { return r.fail(w.Node) }
func (r noRemote) Connect(node term.Atom) error                           { return r.fail(node) }
func (noRemote) Close()                                                   {}

// The Deliver methods apply, on this node, what a remote node's process did.
// The distribution layer calls them from its connection goroutines, in the
// order the frames arrived. Values passed in are fresh from the decoder and
// are not copied again.

// DeliverSend puts msg, sent by from (the zero pid if no process sent
// it), in the mailbox of the local process to.
func (n *Node) DeliverSend(from, to term.Pid, msg any) {
	if p := n.lookup(to); p != nil {
		p.deliver(from, msg)
	}
}

// DeliverSendName puts msg, sent by from, in the mailbox of the process
// registered as name; unknown names drop the message, as in Erlang.
func (n *Node) DeliverSendName(from term.Pid, name term.Atom, msg any) {
	if p := n.reg.whereis(name); p != nil {
		p.deliver(from, msg)
	}
}

// DeliverLink links the remote process from with the local process to. If
// to does not exist, from receives an exit signal with reason noproc.
func (n *Node) DeliverLink(from, to term.Pid) {
	// The node's table first: if to dies right after addLink, its exit
	// finds the entry there and removes it.
	n.links.addLink(to, from)
	p := n.lookup(to)
	if p == nil || !p.addLink(from) {
		n.links.removeLink(to, from)
		_ = n.remoteFor().LinkExit(to, from, term.NoProc)
	}
}

// DeliverUnlink removes the link between remote from and local to.
func (n *Node) DeliverUnlink(from, to term.Pid) {
	n.links.removeLink(to, from)
	if p := n.lookup(to); p != nil {
		p.removeLink(from)
	}
}

// DeliverExit applies an explicit exit signal (erl's exit/2) from the
// remote process from (the zero pid: from outside any process) to the
// local process to.
func (n *Node) DeliverExit(from, to term.Pid, reason any) {
	n.propagate([]signal{{kind: sigExit, from: from, to: to, reason: reason}})
}

// DeliverLinkExit applies the exit signal of the remote process from,
// which ended with reason (or could not be reached: noconnection), along
// its link to the local process to. It does nothing unless the link is
// still there; delivering it removes the link.
func (n *Node) DeliverLinkExit(from, to term.Pid, reason any) {
	n.propagate([]signal{{kind: sigLinkExit, from: from, to: to, reason: reason}})
}

// DeliverMonitor makes the remote watcher monitor the local target, given
// by pid or, when name is not empty, by registered name. A target that does
// not exist is reported at once with a Down with reason noproc.
func (n *Node) DeliverMonitor(watcher term.Pid, target term.Pid, name term.Atom, ref term.Ref) {
	var p *Proc
	if name != "" {
		p = n.reg.whereis(name)
	} else {
		p = n.lookup(target)
	}
	if p != nil {
		target = p.Self()
	}
	// The node's table first, as in DeliverLink.
	n.links.addMonitorIn(watcher.Node, ref, target)
	if p == nil || !p.addMonitor(ref, watcher) {
		n.links.removeMonitorIn(watcher.Node, ref)
		_ = n.remoteFor().Down(watcher, ref, target, term.NoProc)
	}
}

// DeliverDemonitor cancels the monitor ref a remote watcher held.
func (n *Node) DeliverDemonitor(watcher term.Pid, ref term.Ref) {
	if target, ok := n.links.removeMonitorIn(watcher.Node, ref); ok {
		if p := n.lookup(target); p != nil {
			p.removeMonitor(ref)
		}
	}
}

// DeliverDown reports to the local watcher that the remote target it
// monitored under ref ended with reason (or could not be reached:
// noconnection). It does nothing unless the monitor is still there;
// delivering it removes the monitor.
func (n *Node) DeliverDown(watcher term.Pid, ref term.Ref, target term.Pid, reason any) {
	n.propagate([]signal{{kind: sigDown, from: target, to: watcher, ref: ref, reason: reason}})
}
