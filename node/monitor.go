package node

import (
	"fmt"
	"reflect"

	"github.com/gerl-dev/gerl/node/term"
)

// Monitor makes p watch target, a pid or a registered name (an Atom or
// string for a name on this node, a term.Name for a name on any node). When
// the target exits, p receives term.Down with the returned ref and the
// reason. A target that does not exist gives Down with reason noproc at
// once; a target on a node that cannot be reached, noconnection. Monitors
// stack: each call makes a new one. It panics if target is not a pid or a
// name.
func (p *Proc) Monitor(target any) term.Ref {
	p.checkAlive()
	n := p.node
	pid, name, err := n.resolve(target)
	if err != nil {
		panic(fmt.Errorf("monitor: %w", err))
	}
	ref := n.MakeRef()
	self := p.Self()
	byName := name.Name != ""
	if byName && name.Node == n.name {
		if q := n.reg.whereis(name.Name); q != nil {
			pid = q.Self()
		}
	}
	p.addWatch(ref, watchTarget{pid: pid, name: name})
	noproc := func(reason any) {
		from := pid
		if from.IsZero() {
			from = term.Pid{Node: name.Node} // a name nobody holds: Down shows {Name, Node}
		}
		n.propagate([]signal{{kind: sigDown, from: from, to: self, ref: ref, reason: reason}})
	}
	switch {
	case n.IsLocal(pid) || (byName && name.Node == n.name):
		q := n.lookup(pid)
		if q == nil || !q.addMonitor(ref, self) {
			noproc(term.NoProc)
		}
	case pid.Node == n.name:
		noproc(term.NoProc) // an earlier incarnation of this node
	default:
		node := pid.Node
		if byName {
			node = name.Node
		}
		n.links.addMonitorOut(node, ref, self)
		var err error
		if byName {
			err = n.remoteFor().MonitorName(self, name, ref)
		} else {
			err = n.remoteFor().Monitor(self, pid, ref)
		}
		if err != nil {
			n.links.removeMonitorOut(node, ref)
			noproc(term.NoConnection)
		}
	}
	if !p.Alive() {
		// p was killed while setting up: its exit may have missed the new
		// monitor, which would linger on the target until it exits.
		p.node.dropWatch(self, ref, watchTarget{pid: pid, name: name})
		p.unwind()
	}
	return ref
}

// Demonitor turns off the monitor ref. Once it returns, no Down for ref
// will be delivered; with flush, one that already arrived is removed from
// the mailbox too (flush must be called by the receiving goroutine). It
// reports whether the monitor was still active.
func (p *Proc) Demonitor(ref term.Ref, flush bool) bool {
	p.checkAlive()
	p.mu.Lock()
	t, active := p.unwatchLocked(ref)
	p.mu.Unlock()
	if active {
		p.node.dropWatch(p.Self(), ref, t)
	}
	if flush && !active {
		// An active monitor removed here has delivered nothing: only one
		// that fired can have left a Down behind.
		p.removeMatching(0, func(m any) bool {
			d, ok := m.(term.Down)
			return ok && d.Ref == ref
		}, nil)
	}
	return active
}

// addWatch records on p's side that p monitors something under ref.
func (p *Proc) addWatch(ref term.Ref, t watchTarget) {
	p.mu.Lock()
	e := p.extLocked()
	if e.watching == nil {
		e.watching = make(map[term.Ref]watchTarget)
	}
	e.watching[ref] = t
	p.mu.Unlock()
}

// unwatchLocked removes p's side of its monitor ref, whether it is in
// p.ext.watching or in the Call p waits in, and returns what it watched;
// ok is false if p holds no such monitor. Called with p.mu held.
func (p *Proc) unwatchLocked(ref term.Ref) (t watchTarget, ok bool) {
	e := p.ext
	if e == nil {
		return watchTarget{}, false
	}
	if e.call.watched && e.call.ref == ref {
		e.call.watched = false
		return watchTarget{pid: e.call.callee}, true
	}
	if t, ok = e.watching[ref]; ok {
		delete(e.watching, ref)
	}
	return t, ok
}

// addMonitor records that watcher monitors p under ref; false if p has
// exited.
func (p *Proc) addMonitor(ref term.Ref, watcher term.Pid) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state.Load() != stateAlive {
		return false
	}
	e := p.extLocked()
	if e.monitors == nil {
		e.monitors = make(map[term.Ref]term.Pid)
	}
	e.monitors[ref] = watcher
	return true
}

func (p *Proc) removeMonitor(ref term.Ref) {
	p.mu.Lock()
	if p.ext != nil {
		delete(p.ext.monitors, ref)
	}
	p.mu.Unlock()
}

// dropWatch removes the monitored side of a monitor watcher held.
func (n *Node) dropWatch(watcher term.Pid, ref term.Ref, t watchTarget) {
	if n.IsLocal(t.pid) {
		if q := n.procs.lookup(t.pid.ID); q != nil {
			q.removeMonitor(ref)
		}
		return
	}
	node := t.pid.Node
	if t.name.Name != "" {
		node = t.name.Node
	}
	if node == "" || node == n.name {
		return
	}
	n.links.removeMonitorOut(node, ref)
	_ = n.remoteFor().Demonitor(watcher, node, ref)
}

// receiveDown delivers a Down to p if p still holds the monitor, consuming
// it, so a demonitored or already-reported monitor never yields a message.
func (p *Proc) receiveDown(s signal) {
	p.mu.Lock()
	if p.state.Load() != stateAlive || p.ext == nil {
		p.mu.Unlock()
		return
	}
	t, ok := p.unwatchLocked(s.ref)
	if !ok {
		p.mu.Unlock()
		return
	}
	pid := s.from
	if pid.IsZero() {
		pid = t.pid
	}
	if pid.IsZero() && t.name.Name != "" {
		pid = term.Pid{Node: t.name.Node} // the name was not registered
	}
	wake := p.enqueueLocked(term.Down{Ref: s.ref, Pid: pid, Name: t.name.Name, Reason: s.reason})
	p.mu.Unlock()
	p.signalWake(wake)
	if !p.node.IsLocal(pid) || (t.name.Name != "" && t.name.Node != p.node.name) {
		node := pid.Node
		if t.name.Name != "" {
			node = t.name.Node
		}
		p.node.links.removeMonitorOut(node, s.ref)
	}
}

// resolve turns a send, link or monitor target into a pid or a name: a Pid;
// an Atom or string (a name on this node); a term.Name; a two-element Tuple
// {Name, Node} as in Erlang; or a *Proc.
func (n *Node) resolve(target any) (term.Pid, term.Name, error) {
	switch t := target.(type) {
	case term.Pid:
		return t, term.Name{}, nil
	case *Proc:
		return t.Self(), term.Name{}, nil
	case term.Atom:
		return term.Pid{}, term.Name{Name: t, Node: n.name}, nil
	case string:
		return term.Pid{}, term.Name{Name: term.Atom(t), Node: n.name}, nil
	case term.Name:
		if t.Node == "" {
			t.Node = n.name
		}
		return term.Pid{}, t, nil
	case term.Tuple:
		if len(t) == 2 {
			name, ok1 := term.AtomOf(t[0])
			node, ok2 := term.AtomOf(t[1])
			if ok1 && ok2 {
				return term.Pid{}, term.Name{Name: name, Node: node}, nil
			}
		}
	}
	return term.Pid{}, term.Name{}, fmt.Errorf("%s is not a pid or a name (want a Pid, a registered name, or Name{name, node})", targetText(target))
}

// Send, Call and Monitor never keep their target (the interface itself:
// what it holds may be kept). A caller's pid, put in an interface to be
// passed, then stays on the caller's stack: a send to a pid in a variable
// costs no allocation. The functions below copy a target out of its
// interface when an error or a trace event must keep it.
// TestSendToPidAllocatesNothing checks it.

// targetCopy returns target's value in an interface of its own (a
// process's pid for a *Proc), or nil for a kind resolve does not know.
func targetCopy(target any) any {
	switch x := target.(type) {
	case term.Pid:
		return x
	case *Proc:
		return x.Self()
	case term.Atom:
		return x
	case string:
		return x
	case term.Name:
		return x
	case term.Tuple:
		return x
	case term.Ref:
		return x
	case int:
		return x
	case []any:
		return x
	}
	return nil
}

// targetText renders target for an error message: as term.Format does,
// or by its type for a kind resolve does not know.
func targetText(target any) string {
	if c := targetCopy(target); c != nil || target == nil {
		return term.Format(c)
	}
	return "a value of type " + reflect.TypeOf(target).String()
}
