package supervisor

import (
	"slices"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// What happens when a child exits, as in OTP's supervisor (restart_child,
// do_restart, restart/2):
//
//   - permanent: reported as child_terminated and restarted, whatever the
//     reason, normal included;
//   - transient: after normal, shutdown or {shutdown, _} nothing is
//     reported and the child stays in the spec, not running; after any
//     other reason, reported and restarted;
//   - temporary: never restarted; an abnormal exit is reported; the child
//     is removed from the spec.
//
// A restart first counts against the intensity: more than Intensity
// restarts within Period and the supervisor reports shutdown with reason
// reached_max_restart_intensity, terminates the remaining children in
// reverse start order, and exits with reason shutdown. Otherwise the
// strategy decides which children start again. A start that fails during a
// restart leaves the child restarting and queues a retry behind the
// messages already waiting (so requests, a Stop, and the parent's exit are
// served in between); each retry counts against the intensity again.

// childExited handles the exit of the process pid. An EXIT from a process
// that is not (or no longer) a child is ignored, as in OTP.
func (s *supervisor) childExited(pid term.Pid, reason any) {
	c := s.byPid(pid)
	if c == nil {
		return
	}
	c.pid = term.Pid{}
	switch {
	case c.restart == Permanent:
		s.report("child_terminated", reason, c, pid, "restart")
	case term.IsShutdown(reason):
		s.forget(c)
		return
	case c.restart == Transient:
		s.report("child_terminated", reason, c, pid, "restart")
	default:
		s.report("child_terminated", reason, c, pid, "remove (temporary)")
		s.forget(c)
		return
	}
	s.restart(c)
}

// restart restarts the child c, which is not running, with the children
// the strategy takes along.
func (s *supervisor) restart(c *child) {
	if !s.addRestart() {
		s.report("shutdown", term.Atom("reached_max_restart_intensity"), c, term.Pid{}, "stop supervisor")
		s.forget(c)
		s.terminateList(s.children)
		s.p.ExitSelf(term.Shutdown)
	}
	var failed *child
	switch s.cfg.strategy {
	case OneForOne:
		failed, _ = s.startList([]*child{c})
	case OneForAll:
		failed = s.restartGroup(s.children)
	case RestForOne:
		failed = s.restartGroup(s.children[slices.Index(s.children, c):])
	}
	if failed != nil {
		failed.restarting = true
		_ = s.p.Send(s.p.Self(), term.T(tagTryAgain, failed.id))
	}
}

// restartGroup terminates the children of group in reverse start order and
// starts them again in start order, except the temporary ones, which are
// removed (OTP's restart_multiple_children). It returns the child that
// failed to start, if any; the ones after it are left not running.
func (s *supervisor) restartGroup(group []*child) *child {
	kept := s.terminateList(group)
	failed, _ := s.startList(kept)
	return failed
}

// tryAgain retries a restart that failed, if the child still waits for
// one: TerminateChild, DeleteChild or a restart of its group may have
// settled it meanwhile.
func (s *supervisor) tryAgain(id any) {
	a, ok := term.AtomOf(id)
	if !ok {
		return
	}
	if c := s.byID(a); c != nil && c.restarting {
		s.restart(c)
	}
}

// addRestart records a restart now and reports whether it is within the
// intensity: at most Intensity restarts in the Period up to now, bounds
// included, as OTP's add_restart.
func (s *supervisor) addRestart() bool {
	now := s.cfg.now()
	threshold := now.Add(-s.cfg.period)
	i := 0
	for i < len(s.restarts) && s.restarts[i].Before(threshold) {
		i++
	}
	s.restarts = append(s.restarts[i:], now)
	return len(s.restarts) <= s.cfg.intensity
}

// forget records that c is not running and will not be restarted: a
// temporary child is removed, others stay in the spec (OTP's del_child).
func (s *supervisor) forget(c *child) {
	c.pid, c.restarting = term.Pid{}, false
	if c.restart == Temporary {
		s.remove(c)
	}
}

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
	list = slices.Clone(list) // often s.children itself, which remove edits
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
		e, ok := m.(term.ExitSignal)
		return ok && e.From == pid
	}, 0)
	if ok {
		return m.(term.ExitSignal).Reason
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
	return c.restart != Permanent && term.IsShutdown(reason)
}
