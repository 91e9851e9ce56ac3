package supervisor

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// supervisor is the state of one supervisor process. Every field is owned
// by the supervisor's goroutine, except pending, which is shared with the
// handles (it has its own lock).
type supervisor struct {
	cfg      config
	n        *node.Node
	log      *slog.Logger
	p        *node.Proc
	parent   term.Pid      // zero for a supervisor started without a parent
	nested   bool          // a child of another supervisor
	children []*child      // in start order
	restarts []time.Time   // the restarts within the last period, oldest first
	pending  *pendingSpecs // children handed over by StartChild
}

// child is a child spec and the state of its current incarnation: a pid
// while a process runs, restarting while a failed restart waits to be
// retried, neither when it is not running (OTP's undefined).
type child struct {
	childSpec
	pid        term.Pid
	restarting bool
	starts     int // incarnations started so far (describe.go)
}

// Start starts a supervisor with no parent on n and returns once its
// children have started, in order. It returns an error wrapping
// ErrInvalidSpec for a spec that cannot work (nothing is started then), an
// error wrapping node.ErrNameTaken if spec.Name is taken, and one wrapping
// a *StartError if a child fails to start: the children already started
// are then terminated, in reverse order, and the supervisor exits with
// {shutdown, {failed_to_start_child, Id, Reason}}.
//
// A supervisor without a parent runs until Stop, until it exceeds its
// restart intensity, or until it is killed. Start may be called from any
// goroutine.
func Start(n *node.Node, spec Spec) (*Sup, error) {
	return start(n, nil, spec)
}

// StartLink is Start for a supervisor linked to parent, as OTP's
// supervisor:start_link: if parent exits, with any reason, the supervisor
// terminates its children and exits with the same reason; if the
// supervisor exits (its restart intensity exceeded), parent receives the
// exit signal shutdown. It must be called by parent's own goroutine. A
// start that fails unlinks the supervisor before it exits, so parent gets
// the error and no exit signal.
//
// As in erl, a supervisor linked to the shell's process goes down with it
// when an expression crashes the shell process; Start one there instead.
func StartLink(parent *node.Proc, spec Spec) (*Sup, error) {
	if parent == nil {
		return nil, fmt.Errorf("start supervisor: StartLink needs a parent process (Start starts one without)")
	}
	return start(parent.Node(), parent, spec)
}

func start(n *node.Node, parent *node.Proc, spec Spec) (*Sup, error) {
	cfg, err := spec.check()
	if err != nil {
		return nil, fmt.Errorf("start supervisor: %w", err)
	}
	s := newSupervisor(n, cfg, newPendingSpecs())
	if parent != nil {
		s.parent = parent.Self()
	}
	started := make(chan error, 1)
	opts := node.SpawnOptions{Link: parent != nil, Func: "supervisor"}
	pid, _, err := n.SpawnOpt(parent, opts, func(p *node.Proc) {
		s.run(p, func(err error) { started <- err })
	})
	if err != nil {
		return nil, fmt.Errorf("start supervisor: %w", err)
	}
	if err := <-started; err != nil {
		return nil, err
	}
	return &Sup{node: n, to: pid, pending: s.pending}, nil
}

// newSupervisor returns the state of a supervisor about to start, with its
// spec's children not running yet. pending is shared by every supervisor
// of a tree, so that a handle on any of them can hand over child specs.
func newSupervisor(n *node.Node, cfg config, pending *pendingSpecs) *supervisor {
	s := &supervisor{cfg: cfg, n: n, log: n.Logger(), pending: pending}
	for _, cs := range cfg.children {
		s.children = append(s.children, &child{childSpec: cs})
	}
	return s
}

// nestedChild returns the process function of one incarnation of a child that
// is itself a supervisor (Child.Supervisor): a fresh supervisor for cfg,
// the child of s, which tells s it has started with {tagStarted, ack}, or
// exits with its failure's reason.
func (s *supervisor) nestedChild(cfg *config, ack term.Ref) func(*node.Proc) {
	parent, pending := s.p.Self(), s.pending
	return func(p *node.Proc) {
		sub := newSupervisor(p.Node(), *cfg, pending)
		sub.parent, sub.nested = parent, true
		sub.run(p, func(err error) {
			if err == nil {
				_ = p.Send(parent, term.T(tagStarted, ack))
			}
		})
	}
}

// run is the supervisor process: it registers the supervisor's name,
// starts the children, tells ready how that went (exactly once, also if
// the process is killed meanwhile), and serves until it stops.
func (s *supervisor) run(p *node.Proc, ready func(error)) {
	s.p = p
	acked := false
	defer func() {
		if !acked {
			ready(fmt.Errorf("start supervisor: it exited while starting: %s", term.Format(p.ExitReason())))
		}
	}()
	// fail ends a supervisor whose start failed. One started by Start or
	// StartLink unlinks from its parent first, so the parent learns of it
	// from the error alone; a nested one's parent learns of it from its
	// exit, as of any child that fails to start.
	fail := func(err error, reason any) {
		if !s.parent.IsZero() && !s.nested {
			p.Unlink(s.parent) // if this finds p killed, the defer answers
		}
		acked = true
		ready(err)
		p.ExitSelf(reason)
	}
	p.TrapExit(true)
	if s.cfg.name != "" {
		if err := p.Register(s.cfg.name); err != nil {
			var reason any = term.T(atomError, err.Error())
			if owner, ok := s.n.Whereis(s.cfg.name); ok {
				reason = term.T(atomAlreadyStarted, owner)
			}
			fail(fmt.Errorf("start supervisor: %w", err), reason)
		}
	}
	if failed, reason := s.startList(s.children); failed != nil {
		s.terminateList(s.children)
		if s.cfg.name != "" {
			_ = s.n.Unregister(s.cfg.name) // so that a retry does not find it taken
		}
		err := fmt.Errorf("start supervisor %s: %w", s, &StartError{ID: failed.id, Reason: reason})
		fail(err, term.T(term.Shutdown, failedToStart(failed.id, reason)))
	}
	acked = true
	ready(nil)
	s.loop()
}

// loop serves the supervisor's mailbox: exits of children and of the
// parent, requests, retries of failed restarts. It returns when asked to
// stop; every other way out ends the process inside (ExitSelf).
func (s *supervisor) loop() {
	for {
		switch m := s.p.Receive().(type) {
		case term.ExitSignal:
			if !s.parent.IsZero() && m.From == s.parent {
				s.terminateList(s.children)
				s.p.ExitSelf(m.Reason)
			}
			s.childExited(m.From, m.Reason)
		case term.Request:
			if !s.handleCall(m) {
				return
			}
		case term.Tuple:
			if m.Tag() == tagTryAgain && len(m) == 2 {
				s.tryAgain(m[1])
				continue
			}
			s.unexpected(m)
		default:
			s.unexpected(m)
		}
	}
}

func (s *supervisor) unexpected(m any) {
	s.log.Error("supervisor received unexpected message", "supervisor", s.String(), "message", term.Format(m))
}

// startList starts the children of list in order. It stops at the first
// that fails to start, which it returns with the reason; the children after
// it are left not running.
func (s *supervisor) startList(list []*child) (failed *child, reason any) {
	for _, c := range list {
		pid, reason := s.startChild(c)
		if reason != nil {
			return c, reason
		}
		c.pid, c.restarting = pid, false
	}
	return nil, nil
}

// startChild spawns one incarnation of c, linked to the supervisor. A named
// child registers its name first thing and reports to the supervisor,
// which waits for that (or for the child's exit) before it goes on: so the
// name is in place before the next child starts, and a taken name is a
// failed start, as in OTP. It returns the pid, or the reason the start
// failed (then logged as a start_error report).
func (s *supervisor) startChild(c *child) (term.Pid, any) {
	var fn func(*node.Proc)
	var ack term.Ref // set when the child tells when it has started
	if c.sup != nil {
		ack = s.n.MakeRef()
		fn = s.nestedChild(c.sup, ack)
	} else {
		fn = c.start
		if c.name != "" {
			ack = s.n.MakeRef()
			fn = registering(fn, c.name, s.p.Self(), ack)
		}
	}
	pid, _, err := s.n.SpawnOpt(s.p, node.SpawnOptions{Link: true, Func: c.funcName}, fn)
	if err != nil { // the node is stopping, which ends the supervisor too
		return term.Pid{}, s.startFailed(c, term.Shutdown)
	}
	if ack != (term.Ref{}) {
		m, _ := s.p.ReceiveMatch(func(m any) bool {
			switch x := m.(type) {
			case term.Tuple:
				return len(x) == 2 && x.Tag() == tagStarted && x[1] == ack
			case term.ExitSignal:
				return x.From == pid
			}
			return false
		}, node.Forever)
		if e, ok := m.(term.ExitSignal); ok {
			return term.Pid{}, s.startFailed(c, e.Reason)
		}
	}
	s.log.Info("supervisor progress", "supervisor", s.String(), "started", term.FormatAtom(c.id), "pid", pid.String(),
		"restart", c.restart.String(), "shutdown", term.Format(c.shutdownTerm()))
	c.starts++
	return pid, nil
}

func (s *supervisor) startFailed(c *child, reason any) any {
	s.report("start_error", reason, c, term.Pid{}, "")
	return reason
}

// registering wraps a named child's function: register, tell the
// supervisor, then run. A taken name ends the child with
// {already_started, Owner}, the reason OTP's behaviours give.
func registering(fn func(*node.Proc), name term.Atom, sup term.Pid, ack term.Ref) func(*node.Proc) {
	return func(p *node.Proc) {
		if err := p.Register(name); err != nil {
			if owner, ok := p.Node().Whereis(name); ok {
				p.ExitSelf(term.T(atomAlreadyStarted, owner))
			}
			p.ExitSelf(term.T(atomError, err.Error()))
		}
		_ = p.Send(sup, term.T(tagStarted, ack))
		fn(p)
	}
}

// report logs a supervisor report, as OTP's SUPERVISOR REPORT: the
// context (start_error, child_terminated, shutdown_error, shutdown), the
// reason, the offending child and what the supervisor does about it.
func (s *supervisor) report(context string, reason any, c *child, pid term.Pid, action string) {
	attrs := []any{"supervisor", s.String(), "context", context, "reason", term.Format(reason),
		"child", term.FormatAtom(c.id)}
	if !pid.IsZero() {
		attrs = append(attrs, "pid", pid.String())
	}
	attrs = append(attrs, "restart", c.restart.String())
	if action != "" {
		attrs = append(attrs, "action", action)
	}
	s.log.Error("supervisor report", attrs...)
}

// String names the supervisor in reports: its registered name, or its pid.
func (s *supervisor) String() string {
	if s.cfg.name != "" {
		return term.FormatAtom(s.cfg.name)
	}
	return s.p.Self().String()
}

// byPid returns the running child pid. (The zero pid, which an exit signal
// sent from outside any process carries, matches nobody: children that are
// not running hold it.)
func (s *supervisor) byPid(pid term.Pid) *child {
	if pid.IsZero() {
		return nil
	}
	for _, c := range s.children {
		if c.pid == pid {
			return c
		}
	}
	return nil
}

func (s *supervisor) byID(id term.Atom) *child {
	for _, c := range s.children {
		if c.id == id {
			return c
		}
	}
	return nil
}

// remove drops c from the children.
func (s *supervisor) remove(c *child) {
	for i, x := range s.children {
		if x == c {
			s.children = append(s.children[:i], s.children[i+1:]...)
			return
		}
	}
}
