package supervisor

import (
	"fmt"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Sup is a handle on a supervisor process: the one Start and StartLink
// return, or one At makes from a pid or a registered name (possibly on
// another node). Its methods send the supervisor a request (see
// protocol.go) and wait for the answer, as OTP's supervisor functions do:
// as long as it takes, since a request may have to wait for a child's
// Shutdown; a supervisor that exits meanwhile ends the wait with an error
// holding its exit reason (*node.CallError).
//
// Concurrency: a Sup may be used from any goroutine, by many at once. Each
// request is made from a short-lived process of its own, so the caller
// needs no process and no message of the caller's is ever consumed.
type Sup struct {
	node    *node.Node
	to      any           // the supervisor's pid, or a name
	pending *pendingSpecs // nil for handles made by At
}

// At returns a handle on the supervisor target, which is anything
// node.Proc.Send accepts: a pid, a registered name (an Atom or string),
// or a term.Name on another node. StartChild needs the handle Start or
// StartLink returned, or one Sub made from it; every other method works on
// any.
func At(n *node.Node, target any) *Sup {
	return &Sup{node: n, to: target}
}

// Sub returns a handle on another supervisor of s's tree: a nested
// supervisor (Child.Supervisor), by its pid (ChildInfo.Pid) or registered
// name. It is At, except that StartChild works on it when it works on s.
func (s *Sup) Sub(target any) *Sup {
	return &Sup{node: s.node, to: target, pending: s.pending}
}

// Pid returns the supervisor's pid: the one it started with, or, for a
// handle on a registered name (an Atom or string), the name's current
// owner on this node (zero if none). A handle on a name of another node
// gives the zero pid.
func (s *Sup) Pid() term.Pid {
	switch t := s.to.(type) {
	case term.Pid:
		return t
	case term.Atom:
		pid, _ := s.node.Whereis(t)
		return pid
	case string:
		pid, _ := s.node.Whereis(term.Atom(t))
		return pid
	}
	return term.Pid{}
}

// String returns the pid or name the handle addresses.
func (s *Sup) String() string { return term.Format(s.to) }

// ChildInfo describes one child, as a line of OTP's which_children.
type ChildInfo struct {
	ID term.Atom
	// Pid is the running process, or zero: not running (OTP's undefined)
	// or, if Restarting, waiting for a failed restart to be retried.
	Pid        term.Pid
	Restarting bool
	Restart    Restart
	Name       term.Atom // the registered name, or ""
	// Supervisor is true for a child that is itself a supervisor
	// (Child.Supervisor); At(n, Pid) is a handle on it.
	Supervisor bool
}

// String renders the child as a term: {Id, Pid | restarting | undefined,
// Restart}, plus supervisor for a nested supervisor, plus the name when it
// has one.
func (c ChildInfo) String() string {
	t := term.T(c.ID, childTerm(c.Pid, c.Restarting), term.Atom(c.Restart.String()))
	if c.Supervisor {
		t = append(t, atomSupervisor)
	}
	if c.Name != "" {
		t = append(t, c.Name)
	}
	return term.Format(t)
}

// Counts is OTP's count_children: Specs children in the spec, Supervisors
// of them nested supervisors and Workers the others, Active the children
// with a live process.
type Counts struct {
	Specs, Active, Supervisors, Workers int
}

// WhichChildren lists the children in start order.
func (s *Sup) WhichChildren() ([]ChildInfo, error) {
	r, err := s.call("which_children", reqWhichChildren)
	if err != nil {
		return nil, err
	}
	list, ok := r.([]any)
	if !ok {
		return nil, s.errorf("which_children", "unexpected reply %s", term.Format(r))
	}
	out := make([]ChildInfo, 0, len(list))
	for _, e := range list {
		info, ok := decodeChild(e)
		if !ok {
			return nil, s.errorf("which_children", "unexpected entry %s", term.Format(e))
		}
		out = append(out, info)
	}
	return out, nil
}

func decodeChild(e any) (ChildInfo, bool) {
	t, ok := e.(term.Tuple)
	if !ok || len(t) != 5 {
		return ChildInfo{}, false
	}
	var info ChildInfo
	var ok1, ok2 bool
	info.ID, ok1 = term.AtomOf(t[0])
	switch x := t[1].(type) {
	case term.Pid:
		info.Pid = x
	case term.Atom:
		info.Restarting = x == atomRestarting
	}
	r, _ := term.AtomOf(t[2])
	info.Restart, ok2 = parseRestart(r)
	if name, _ := term.AtomOf(t[3]); name != term.Undefined {
		info.Name = name
	}
	typ, _ := term.AtomOf(t[4])
	info.Supervisor = typ == atomSupervisor
	return info, ok1 && ok2 && (typ == atomSupervisor || typ == atomWorker)
}

// CountChildren counts the children.
func (s *Sup) CountChildren() (Counts, error) {
	r, err := s.call("count_children", reqCountChildren)
	if err != nil {
		return Counts{}, err
	}
	list, ok := r.([]any)
	if !ok {
		return Counts{}, s.errorf("count_children", "unexpected reply %s", term.Format(r))
	}
	var c Counts
	fields := map[term.Atom]*int{"specs": &c.Specs, "active": &c.Active, "supervisors": &c.Supervisors, "workers": &c.Workers}
	for _, e := range list {
		t, ok := e.(term.Tuple)
		if !ok || len(t) != 2 {
			return Counts{}, s.errorf("count_children", "unexpected reply %s", term.Format(r))
		}
		k, _ := term.AtomOf(t[0])
		v, ok := intOf(t[1])
		if f := fields[k]; f != nil && ok {
			*f = v
		}
	}
	return c, nil
}

// TerminateChild terminates the child's process (see Child.Shutdown). The
// child stays in the spec, not running, unless it is temporary; a restart
// it was waiting for is called off. Errors: ErrNotFound.
func (s *Sup) TerminateChild(id term.Atom) error {
	return s.okCall("terminate_child", term.T(reqTerminateChild, id))
}

// RestartChild starts a child that is in the spec but not running (after
// TerminateChild, or a transient child that ended normally) and returns its
// pid. Errors: ErrNotFound, ErrRunning, ErrRestarting, *StartError.
func (s *Sup) RestartChild(id term.Atom) (term.Pid, error) {
	return s.pidCall("restart_child", term.T(reqRestartChild, id))
}

// DeleteChild removes a child that is not running from the spec. Errors:
// ErrNotFound, ErrRunning, ErrRestarting.
func (s *Sup) DeleteChild(id term.Atom) error {
	return s.okCall("delete_child", term.T(reqDeleteChild, id))
}

// StartChild adds c to the supervisor, last in start order, and starts it.
// Errors: ErrInvalidSpec, ErrAlreadyStarted (a child with that id runs),
// ErrAlreadyPresent (one is in the spec, not running), *StartError, and
// ErrNoSpecHandle on a handle made by At.
func (s *Sup) StartChild(c Child) (term.Pid, error) {
	cs, err := c.check()
	if err != nil {
		return term.Pid{}, fmt.Errorf("supervisor %s: start_child: %w", s, err)
	}
	if s.pending == nil {
		return term.Pid{}, fmt.Errorf("supervisor %s: start_child %s: %w", s, term.FormatAtom(c.ID), ErrNoSpecHandle)
	}
	ref := s.node.MakeRef()
	s.pending.put(ref, cs)
	defer s.pending.drop(ref) // if the supervisor never took it
	return s.pidCall("start_child", term.T(reqStartChild, ref))
}

// Stop terminates the children in reverse start order, then the
// supervisor, which exits with reason normal (OTP's gen_server:stop; a
// linked parent is not taken down). It waits at most timeout (node.Forever
// waits as long as it takes) for the supervisor to be gone, and returns an
// error matching node.ErrTimeout if it is not, or a *node.CallError if it
// had already exited or exits with another reason.
func (s *Sup) Stop(timeout time.Duration) error {
	return s.client("stop", func(p *node.Proc) error {
		ref := p.Monitor(s.to)
		// The reply is dropped (only Call waits for replies): the DOWN is
		// the answer, and comes once the supervisor is really gone.
		if err := p.Send(s.to, term.Request{From: p.Self(), Ref: ref, Body: reqStop}); err != nil {
			p.Demonitor(ref, true)
			return err
		}
		m, ok := p.ReceiveMatch(func(m any) bool {
			d, ok := m.(term.Down)
			return ok && d.Ref == ref
		}, timeout)
		if !ok {
			return fmt.Errorf("not stopped within %v: %w", timeout, node.ErrTimeout)
		}
		if reason := m.(term.Down).Reason; !term.IsNormal(reason) {
			return &node.CallError{To: s.to, Reason: reason}
		}
		return nil
	})
}

func (s *Sup) okCall(what string, req any) error {
	r, err := s.call(what, req)
	if err != nil {
		return err
	}
	if err := okAtom(r); err != nil {
		return fmt.Errorf("supervisor %s: %s %s: %w", s, what, term.Format(req.(term.Tuple)[1]), err)
	}
	return nil
}

func (s *Sup) pidCall(what string, req any) (term.Pid, error) {
	r, err := s.call(what, req)
	if err != nil {
		return term.Pid{}, err
	}
	pid, err := okPid(r)
	if err != nil {
		return term.Pid{}, fmt.Errorf("supervisor %s: %s: %w", s, what, err)
	}
	return pid, nil
}

// call makes one request and returns the reply.
func (s *Sup) call(what string, req any) (reply any, err error) {
	err = s.client(what, func(p *node.Proc) error {
		var err error
		reply, err = p.Call(s.to, req, node.Forever)
		return err
	})
	return reply, err
}

// client runs f in a fresh process attached to the calling goroutine, and
// ends that process afterwards. If the process is ended meanwhile (the
// node is stopping), f's wait unwinds with *node.ExitError, which becomes
// the error.
func (s *Sup) client(what string, f func(p *node.Proc) error) (err error) {
	switch s.to.(type) {
	case term.Pid, term.Atom, string, term.Name, term.Tuple:
	default:
		return fmt.Errorf("supervisor %s: %s: not a pid or a name", s, what)
	}
	p, err := s.node.Attach("supervisor client")
	if err != nil {
		return fmt.Errorf("supervisor %s: %s: %w", s, what, err)
	}
	defer func() {
		_ = s.node.Exit(p.Self(), term.Kill) // first: also when f panics
		if r := recover(); r != nil {
			ee, ok := r.(*node.ExitError)
			if !ok || ee.Pid != p.Self() {
				panic(r)
			}
			err = ee
		}
		if err != nil {
			err = fmt.Errorf("supervisor %s: %s: %w", s, what, err)
		}
	}()
	return f(p)
}

func (s *Sup) errorf(what, format string, args ...any) error {
	return fmt.Errorf("supervisor %s: %s: %s", s, what, fmt.Sprintf(format, args...))
}
