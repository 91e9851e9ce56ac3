package node

import (
	"fmt"

	"github.com/gerl-dev/gerl/node/term"
)

// Signals are what processes do to each other besides sending messages: an
// exit signal along a link, an explicit exit signal, a DOWN for a monitor.
// Delivering a signal can end the receiver, whose own signals must then be
// delivered; propagate does that with a worklist, so a chain of a million
// linked processes does not grow any goroutine's stack.
//
// Delivery consumes the link or monitor it travels on (under the receiver's
// lock), so a signal that races with link or monitor setup, or that is
// re-sent by a spawner that saw the child die early, takes effect once.
//
// Ordering, which callers may rely on: the messages a process sent before it
// died are in their receivers' mailboxes before any of its exit signals;
// and a dying process delivers all its link exit signals before any of its
// monitors' DOWN messages (a supervisor that links and a client that
// monitors the same child see the EXIT first).

type sigKind uint8

const (
	sigLinkExit sigKind = iota // the sender died; it was linked to the receiver
	sigExit                    // an explicit Exit(to, reason)
	sigDown                    // a monitored process ended
)

type signal struct {
	kind   sigKind
	from   term.Pid // the dying or signalling process
	to     term.Pid // the receiver
	ref    term.Ref // sigDown: the monitor
	reason any
}

// propagate delivers sigs and every signal their delivery causes.
func (n *Node) propagate(sigs []signal) {
	for i := 0; i < len(sigs); i++ {
		sigs = append(sigs, n.deliverSignal(sigs[i])...)
		sigs[i] = signal{}
	}
}

// deliverSignal applies one signal and returns the signals it caused.
func (n *Node) deliverSignal(s signal) []signal {
	if !n.IsLocal(s.to) {
		n.sendRemoteSignal(s)
		return nil
	}
	p := n.procs.lookup(s.to.ID)
	if p == nil {
		return nil
	}
	if s.kind == sigDown {
		p.receiveDown(s)
		return nil
	}
	return p.receiveExit(s)
}

// receiveExit applies an exit signal to p, following Erlang's rules: kill
// cannot be trapped; a process that traps exits gets an Exit message; a
// normal reason is ignored unless a process signals itself; any other reason
// ends p with that reason.
func (p *Proc) receiveExit(s signal) []signal {
	p.mu.Lock()
	if p.state.Load() != stateAlive {
		p.mu.Unlock()
		return nil
	}
	reason := s.reason
	if s.kind == sigLinkExit {
		if p.ext == nil {
			p.mu.Unlock()
			return nil
		}
		if _, linked := p.ext.links[s.from]; !linked {
			p.mu.Unlock() // unlinked meanwhile, or already delivered
			return nil
		}
		delete(p.ext.links, s.from)
		if !p.node.IsLocal(s.from) {
			p.node.links.removeLink(p.Self(), s.from)
		}
		if a, ok := reason.(term.Atom); ok && a == term.Kill {
			reason = term.Killed
		}
	} else if a, ok := reason.(term.Atom); ok && a == term.Kill {
		return p.dieLocked(term.Killed)
	}
	if p.ext != nil && p.ext.trapExit {
		wake := p.enqueueLocked(term.ExitSignal{From: s.from, Reason: reason})
		p.mu.Unlock()
		p.signalWake(wake)
		return nil
	}
	if term.IsNormal(reason) && !(s.kind == sigExit && s.from == s.to) {
		p.mu.Unlock()
		return nil
	}
	return p.dieLocked(reason)
}

// terminate ends p with reason and delivers its exit signals. It reports
// whether this call ended p (false if p had already exited).
func (p *Proc) terminate(reason any) bool {
	p.mu.Lock()
	if p.state.Load() != stateAlive {
		p.mu.Unlock()
		return false
	}
	p.node.propagate(p.dieLocked(reason))
	return true
}

// dieLocked marks p dead and returns the signals its death sends. It is
// called with p.mu held and releases it.
func (p *Proc) dieLocked(reason any) []signal {
	if p.state.Load() != stateAlive {
		p.mu.Unlock()
		return nil
	}
	p.state.Store(stateDead)
	if !p.attached {
		p.node.exiting.Add(1) // until its goroutine ends (finish)
	}
	p.reason = reason
	self := p.Self()
	var sigs []signal
	var watching map[term.Ref]watchTarget
	var callWatch watchTarget // the monitor of the Call p waited in, if any
	var callRef term.Ref
	var name term.Atom
	var onExit func(any)
	if e := p.ext; e != nil {
		onExit = e.onExit
		for pid := range e.links {
			sigs = append(sigs, signal{kind: sigLinkExit, from: self, to: pid, reason: reason})
		}
		for ref, watcher := range e.monitors {
			sigs = append(sigs, signal{kind: sigDown, from: self, to: watcher, ref: ref, reason: reason})
		}
		watching, name = e.watching, e.name
		if e.call.watched {
			callWatch, callRef = watchTarget{pid: e.call.callee}, e.call.ref
		}
		e.links, e.monitors, e.watching, e.call = nil, nil, nil, pendingCall{}
	}
	wake := p.wakeLocked()
	big := p.bigMailboxLocked()
	p.bigDrop = big
	if b := p.box.Load(); b != nil {
		b.in = nil
	}
	p.mu.Unlock()
	p.signalWake(wake)

	n := p.node
	n.procs.remove(p)
	if name != "" {
		n.reg.release(name, p)
	}
	for ref, t := range watching {
		n.dropWatch(self, ref, t)
	}
	if !callWatch.pid.IsZero() {
		n.dropWatch(self, callRef, callWatch)
	}
	n.monNode.removeProc(self)
	n.traceExit(p, reason)
	if onExit != nil {
		go onExit(reason)
	}
	if big && p.attached {
		n.releaseMemory() // spawned processes: when their goroutine ends
	}
	return sigs
}

// TrapExit sets whether p turns exit signals into Exit messages, and
// returns the previous setting. Kill is never trapped.
func (p *Proc) TrapExit(on bool) bool {
	p.checkAlive()
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.extLocked()
	old := e.trapExit
	e.trapExit = on
	return old
}

// Exit sends an exit signal with reason from p to the process to (which may
// be p itself): Kill ends it unconditionally with reason killed; a process
// trapping exits receives Exit{p, reason}; normal is ignored by others; any
// other reason ends it. Exiting an unknown pid does nothing. If the signal
// ends p, Exit does not return.
func (p *Proc) Exit(to term.Pid, reason any) error {
	p.checkAlive()
	if err := p.node.exitFrom(p.Self(), to, reason); err != nil {
		return err
	}
	p.checkAlive()
	return nil
}

// ExitSelf ends p with reason, as Erlang's exit(Reason): the exit cannot be
// trapped or recovered, p's links and monitors fire, and the call does not
// return (the goroutine ends, running its deferred calls).
func (p *Proc) ExitSelf(reason any) {
	p.checkAlive()
	if c, err := term.Copy(reason); err == nil {
		reason = c
	} else {
		reason = term.Format(reason)
	}
	p.terminate(reason)
	p.unwind()
}

// Exit sends an exit signal to pid from outside any process (the signal's
// sender is the zero pid). Exit(pid, term.Kill) kills pid.
func (n *Node) Exit(to term.Pid, reason any) error {
	return n.exitFrom(term.Pid{}, to, reason)
}

func (n *Node) exitFrom(from, to term.Pid, reason any) error {
	c, err := term.Copy(reason)
	if err != nil {
		return fmt.Errorf("exit %s: reason: %w", to, err)
	}
	if !n.IsLocal(to) && to.Node != n.name {
		return n.remoteFor().Exit(from, to, c)
	}
	n.propagate([]signal{{kind: sigExit, from: from, to: to, reason: c}})
	return nil
}

// sendRemoteSignal hands a signal for a process on another node to the
// distribution layer, and forgets the link or monitor it travels on.
func (n *Node) sendRemoteSignal(s signal) {
	if s.to.Node == n.name {
		return // an earlier incarnation of this node: nobody to tell
	}
	r := n.remoteFor()
	switch s.kind {
	case sigLinkExit:
		n.links.removeLink(s.from, s.to)
		_ = r.LinkExit(s.from, s.to, s.reason)
	case sigExit:
		_ = r.Exit(s.from, s.to, s.reason)
	case sigDown:
		n.links.removeMonitorIn(s.to.Node, s.ref)
		_ = r.Down(s.to, s.ref, s.from, s.reason)
	}
}
