package supervisor

import (
	"slices"

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
	case isShutdownReason(reason):
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
	kept := s.terminateList(slices.Clone(group))
	failed, _ := s.startList(kept)
	return failed
}

// tryAgain retries a restart that failed, if the child still waits for
// one: TerminateChild, DeleteChild or a restart of its group may have
// settled it meanwhile.
func (s *supervisor) tryAgain(id any) {
	a, ok := atomOf(id)
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
