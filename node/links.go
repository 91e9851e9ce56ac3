package node

import (
	"errors"
	"fmt"

	"github.com/gerl-dev/gerl/node/term"
)

// Links join two processes' fates: when either exits with a reason other
// than normal, the other receives an exit signal (signals.go delivers it).
// Each side keeps the link in its own procExt.links; a link to a process
// on another node is also recorded in the node's remoteLinks (nodedown.go)
// so that losing that node fires it with noconnection.

// ErrNoProc is returned by Link when the process to link to does not exist.
var ErrNoProc = errors.New("noproc: no such process")

// addLink records a link to pid on p's side; false if p has exited.
func (p *Proc) addLink(pid term.Pid) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state.Load() != stateAlive {
		return false
	}
	e := p.extLocked()
	if e.links == nil {
		e.links = make(map[term.Pid]struct{})
	}
	e.links[pid] = struct{}{}
	return true
}

func (p *Proc) removeLink(pid term.Pid) {
	p.mu.Lock()
	if p.ext != nil {
		delete(p.ext.links, pid)
	}
	p.mu.Unlock()
}

// Link links p with the process to, in both directions: when either exits
// with a reason other than normal, the other receives an exit signal. If to
// is a local process that does not exist, Link returns ErrNoProc (or, when
// p traps exits, delivers Exit{to, noproc} and returns nil). For a remote
// process the link is set up asynchronously and Link does not wait, as in
// Erlang: if the process does not exist, p receives an exit signal with
// reason noproc; if its node cannot be reached, one with reason
// noconnection (either ends p unless it traps exits). On a node without
// distribution, linking to another node's process is an error.
func (p *Proc) Link(to term.Pid) error {
	p.checkAlive()
	self := p.Self()
	if to == self {
		return nil
	}
	if !p.addLink(to) {
		p.unwind()
	}
	n := p.node
	if n.IsLocal(to) {
		q := n.procs.lookup(to.ID)
		if q == nil || !q.addLink(self) {
			return p.linkFailed(to)
		}
	} else {
		if to.Node == n.name {
			return p.linkFailed(to) // an earlier incarnation of this node
		}
		n.links.addLink(self, to)
		if err := n.remoteFor().Link(self, to); err != nil {
			if errors.Is(err, ErrNotDistributed) {
				n.links.removeLink(self, to)
				if lerr := p.linkFailed(to); lerr != nil {
					return fmt.Errorf("link to %s: %w: %v", to, lerr, err)
				}
				return nil
			}
			// The node can never be reached (a bad name, distribution
			// closed): the link fails as it would if the connection did.
			n.propagate([]signal{{kind: sigLinkExit, from: to, to: self, reason: term.NoConnection}})
		}
	}
	if !p.Alive() {
		// p was killed while linking; its exit signal may have missed the
		// new link, so send it along the link now.
		n.propagate([]signal{{kind: sigLinkExit, from: self, to: to, reason: p.ExitReason()}})
		p.unwind()
	}
	return nil
}

// linkFailed undoes p's side of a link to a process that does not exist.
func (p *Proc) linkFailed(to term.Pid) error {
	p.mu.Lock()
	if p.ext != nil {
		delete(p.ext.links, to)
	}
	if p.ext != nil && p.ext.trapExit {
		wake := p.enqueueLocked(term.ExitSignal{From: to, Reason: term.NoProc})
		p.mu.Unlock()
		p.signalWake(wake)
		return nil
	}
	p.mu.Unlock()
	return fmt.Errorf("link to %s: %w", to, ErrNoProc)
}

// Unlink removes the link between p and to, if any. Once it returns, the
// link has no further effect on p.
func (p *Proc) Unlink(to term.Pid) {
	p.checkAlive()
	self := p.Self()
	p.removeLink(to)
	n := p.node
	if n.IsLocal(to) {
		if q := n.procs.lookup(to.ID); q != nil {
			q.removeLink(self)
		}
		return
	}
	n.links.removeLink(self, to)
	_ = n.remoteFor().Unlink(self, to) // nothing to undo if the node is gone
}

// Links returns the pids p is linked to.
func (p *Proc) Links() []term.Pid {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ext == nil {
		return nil
	}
	out := make([]term.Pid, 0, len(p.ext.links))
	for pid := range p.ext.links {
		out = append(out, pid)
	}
	return out
}
