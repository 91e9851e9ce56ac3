package supervisor

import (
	"sync"

	"github.com/gerl-dev/gerl/node/term"
)

// The supervisor's side of the requests listed in protocol.go. Each runs
// on the supervisor's goroutine, between two messages, so it sees the
// children in a settled state.

// handleCall answers one request. It returns false when the supervisor
// must stop (the children are terminated by then).
func (s *supervisor) handleCall(c term.Request) bool {
	reply := func(v any) { _ = s.p.Reply(c, v) }
	switch req := c.Body.(type) {
	case term.Atom:
		switch req {
		case reqWhichChildren:
			reply(s.whichChildren())
			return true
		case reqCountChildren:
			reply(s.countChildren())
			return true
		case reqDescribe:
			reply(s.describe())
			return true
		case reqStop:
			s.terminateList(s.children)
			reply(term.OK)
			return false
		}
	case term.Tuple:
		if len(req) != 2 {
			break
		}
		if req.Tag() == reqStartChild {
			if ref, ok := req[1].(term.Ref); ok {
				reply(s.startDynamic(ref))
				return true
			}
			break
		}
		id, ok := term.AtomOf(req[1])
		if !ok {
			break
		}
		switch req.Tag() {
		case reqTerminateChild:
			reply(s.terminateChild(id))
			return true
		case reqRestartChild:
			reply(s.restartChild(id))
			return true
		case reqDeleteChild:
			reply(s.deleteChild(id))
			return true
		}
	}
	reply(term.T(atomError, term.T(atomBadRequest, c.Body)))
	return true
}

// childTerm is a child's process as which_children shows it: its pid,
// restarting while a failed restart waits to be retried, or undefined.
func childTerm(pid term.Pid, restarting bool) any {
	switch {
	case !pid.IsZero():
		return pid
	case restarting:
		return atomRestarting
	}
	return term.Undefined
}

func (s *supervisor) whichChildren() []any {
	list := make([]any, 0, len(s.children))
	for _, c := range s.children {
		pid := childTerm(c.pid, c.restarting)
		var name any = term.Undefined
		if n := c.regName(); n != "" {
			name = n
		}
		list = append(list, term.T(c.id, pid, term.Atom(c.restart.String()), name, c.childType()))
	}
	return list
}

func (s *supervisor) countChildren() []any {
	active, sups := 0, 0
	for _, c := range s.children {
		if !c.pid.IsZero() && s.n.Alive(c.pid) {
			active++
		}
		if c.sup != nil {
			sups++
		}
	}
	return []any{
		term.T(term.Atom("specs"), len(s.children)),
		term.T(term.Atom("active"), active),
		term.T(term.Atom("supervisors"), sups),
		term.T(term.Atom("workers"), len(s.children)-sups),
	}
}

// terminateChild terminates the child's process and keeps its spec, unless
// it is temporary. A restart the child was waiting for is called off.
func (s *supervisor) terminateChild(id term.Atom) any {
	c := s.byID(id)
	if c == nil {
		return term.T(atomError, atomNotFound)
	}
	s.terminate(c)
	s.forget(c)
	return term.OK
}

// restartChild starts a child that is in the spec but not running. It does
// not count against the restart intensity (nothing crashed).
func (s *supervisor) restartChild(id term.Atom) any {
	c, refusal := s.stoppedChild(id)
	if refusal != nil {
		return refusal
	}
	pid, reason := s.startChild(c)
	if reason != nil {
		return term.T(atomError, failedToStart(c.id, reason))
	}
	c.pid = pid
	return term.T(term.OK, pid)
}

func (s *supervisor) deleteChild(id term.Atom) any {
	c, refusal := s.stoppedChild(id)
	if refusal != nil {
		return refusal
	}
	s.remove(c)
	return term.OK
}

// stoppedChild returns the child id if it is in the spec and not running
// (nor waiting to restart), or else the {error, Why} to answer.
func (s *supervisor) stoppedChild(id term.Atom) (*child, any) {
	c := s.byID(id)
	switch {
	case c == nil:
		return nil, term.T(atomError, atomNotFound)
	case c.restarting:
		return nil, term.T(atomError, atomRestarting)
	case !c.pid.IsZero():
		return nil, term.T(atomError, atomRunning)
	}
	return c, nil
}

// startDynamic adds the child the caller left under ref and starts it,
// last in start order. A child that fails to start is not added.
func (s *supervisor) startDynamic(ref term.Ref) any {
	cs, ok := s.pending.take(ref)
	if !ok {
		return term.T(atomError, term.T(atomBadRequest, term.T(reqStartChild, ref)))
	}
	if old := s.byID(cs.id); old != nil {
		if !old.pid.IsZero() {
			return term.T(atomError, term.T(atomAlreadyStarted, old.pid))
		}
		return term.T(atomError, atomAlreadyPresent)
	}
	c := &child{childSpec: cs}
	pid, reason := s.startChild(c)
	if reason != nil {
		return term.T(atomError, failedToStart(c.id, reason))
	}
	c.pid = pid
	s.children = append(s.children, c)
	return term.T(term.OK, pid)
}

// pendingSpecs holds the child specs StartChild hands over: the caller
// puts the checked spec under a fresh ref and sends only the ref, since a
// Go function cannot be sent. Safe for concurrent use.
type pendingSpecs struct {
	mu    sync.Mutex
	specs map[term.Ref]childSpec // guarded by mu
}

func newPendingSpecs() *pendingSpecs {
	return &pendingSpecs{specs: make(map[term.Ref]childSpec)}
}

func (ps *pendingSpecs) put(ref term.Ref, cs childSpec) {
	ps.mu.Lock()
	ps.specs[ref] = cs
	ps.mu.Unlock()
}

// take removes and returns the spec under ref; drop is take for a caller
// whose request did not get through.
func (ps *pendingSpecs) take(ref term.Ref) (childSpec, bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	cs, ok := ps.specs[ref]
	delete(ps.specs, ref)
	return cs, ok
}

func (ps *pendingSpecs) drop(ref term.Ref) { ps.take(ref) }
