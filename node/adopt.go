package node

import (
	"github.com/gerl-dev/gerl/node/term"
)

// What a distribution layer needs when the other node's protocol does part
// of a process's work on its own side (Erlang's: a spawn request sets up
// the link or monitor on the spawned process's node, and gen_server
// replies travel as plain {Ref, Value} tuples).

// AwaitsReply reports whether the local process pid waits for the reply to
// a Call under ref (Proc.Call). A distribution layer that receives replies
// as plain {Ref, Value} tuples, as Erlang's gen_server sends them, turns
// such a tuple into a term.Reply only then.
func (n *Node) AwaitsReply(pid term.Pid, ref term.Ref) bool {
	p := n.lookup(pid)
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ext == nil {
		return false
	}
	_, ok := p.ext.calls[ref]
	return ok
}

// AdoptMonitor records that the local process watcher monitors the
// remote process target under ref, a monitor that target's node set up on
// its side already (Erlang's spawn_request with the monitor option): the
// watcher gets a term.Down with ref when target exits or its node is
// lost, and Demonitor(ref) cancels it, as for a monitor of Proc.Monitor's
// making. It records nothing and reports false when watcher is not a live
// process of this node.
func (n *Node) AdoptMonitor(watcher, target term.Pid, ref term.Ref) bool {
	p := n.lookup(watcher)
	if p == nil || n.IsLocal(target) {
		return false
	}
	// The node's table first, as in Monitor: a Down that comes at once
	// finds the monitor there.
	n.links.addMonitorOut(target.Node, ref, watcher)
	p.mu.Lock()
	if p.state.Load() != stateAlive {
		p.mu.Unlock()
		n.links.removeMonitorOut(target.Node, ref)
		return false
	}
	e := p.extLocked()
	if e.watching == nil {
		e.watching = make(map[term.Ref]watchTarget)
	}
	e.watching[ref] = watchTarget{pid: target}
	p.mu.Unlock()
	return true
}
