package supervisor

import (
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Terminating a child follows OTP's supervisor:shutdown/1. The supervisor
// monitors the child and sends it the exit signal shutdown (kill for
// BrutalKill), then waits for the DOWN, up to the child's Shutdown; a child
// still running then is killed. The wait is a selective receive on that
// monitor's DOWN, so every other message (an EXIT from another child, a
// request, the parent's exit) stays in the mailbox, in order, and is
// handled once the termination is over. Then the supervisor unlinks the
// child and takes the child's EXIT, if it came, out of the mailbox: its
// reason is the one reported, and no stale EXIT is left to be mistaken for
// a new crash. A child that was already dead is found the same way.
//
// Children are terminated one at a time, in reverse start order; the
// supervisor serves nothing else meanwhile. A child with Shutdown Infinity
// that never exits therefore blocks its supervisor, as in OTP.

// terminateList terminates the children of list in reverse order and
// returns the ones that stay in the spec, in start order: temporary
// children are removed (OTP's terminate_children).
func (s *supervisor) terminateList(list []*child) []*child {
	for i := len(list) - 1; i >= 0; i-- {
		s.terminate(list[i])
	}
	var kept []*child
	for _, c := range list {
		if c.restart == Temporary {
			s.remove(c)
			continue
		}
		kept = append(kept, c)
	}
	return kept
}

// terminate ends c's process, if it has one, and leaves c not running. An
// exit reason other than the one asked for is reported as shutdown_error.
func (s *supervisor) terminate(c *child) {
	c.restarting = false
	if c.pid.IsZero() {
		return
	}
	pid := c.pid
	c.pid = term.Pid{}
	reason := s.shutdown(pid, c.shutdown)
	if !terminatedAsAsked(reason, c) {
		s.report("shutdown_error", reason, c, pid, "")
	}
}

// shutdown stops the process pid, as described above, and returns its
// exit reason.
func (s *supervisor) shutdown(pid term.Pid, how time.Duration) any {
	p := s.p
	ref := p.Monitor(pid)
	isDown := func(m any) bool {
		d, ok := m.(term.Down)
		return ok && d.Ref == ref
	}
	var m any
	if how == BrutalKill {
		_ = p.Exit(pid, term.Kill)
		m, _ = p.ReceiveMatch(isDown, node.Forever)
	} else {
		_ = p.Exit(pid, term.Shutdown)
		var ok bool
		if m, ok = p.ReceiveMatch(isDown, how); !ok {
			_ = p.Exit(pid, term.Kill)
			m, _ = p.ReceiveMatch(isDown, node.Forever)
		}
	}
	return s.unlinkFlush(pid, m.(term.Down).Reason)
}

// unlinkFlush removes the link to the dead child pid and its EXIT, if one
// arrived: that EXIT's reason wins over the DOWN's (which is noproc when
// the child died before the monitor was set).
func (s *supervisor) unlinkFlush(pid term.Pid, downReason any) any {
	s.p.Unlink(pid)
	m, ok := s.p.ReceiveMatch(func(m any) bool {
		e, ok := m.(term.Exit)
		return ok && e.From == pid
	}, 0)
	if ok {
		return m.(term.Exit).Reason
	}
	return downReason
}

// terminatedAsAsked reports whether c exiting with reason is what its
// termination asked for, as OTP judges it: killed for BrutalKill, shutdown
// otherwise; for a child that is not permanent, also normal, shutdown and
// {shutdown, _}, since such a child may be ending on its own. Killed after
// the Shutdown timeout is not.
func terminatedAsAsked(reason any, c *child) bool {
	asked := term.Shutdown
	if c.shutdown == BrutalKill {
		asked = term.Killed
	}
	if a, ok := reason.(term.Atom); ok && a == asked {
		return true
	}
	return c.restart != Permanent && isShutdownReason(reason)
}
