package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/global"
	"github.com/gerl-dev/gerl/node/supervisor"
	"github.com/gerl-dev/gerl/node/sys"
	"github.com/gerl-dev/gerl/node/term"
)

// Options configure a server.
type Options struct {
	// Name registers the server under this name on its node, before Init
	// runs; a name in use fails the start with {already_started, Pid}.
	Name term.Atom
	// GlobalName registers it under this global name (package global) too.
	GlobalName term.Atom
	// TrapExit makes the server trap exits, so that its parent's exit
	// (a supervisor shutting it down) calls Terminate.
	TrapExit bool
	// Upgrade returns a fresh Behaviour of the newest version of the
	// server's code, for a code change (sys.ChangeCode; the shell sets it
	// for servers started from a module's factory). Nil: the server keeps
	// its code.
	Upgrade func() (Behaviour, error)
	// Func names the server's process in process listings; empty: the
	// Behaviour's type.
	Func string
	// HibernateAfter makes the server hibernate (node.Proc.Hibernate) when
	// it has waited this long for a message, as OTP's hibernate_after: an
	// idle server then holds no goroutine, and the next message wakes it
	// on a new one. Zero: it never hibernates.
	HibernateAfter time.Duration
}

// Atoms of the protocol.
const (
	tagCast            = term.Atom("$gen_cast")
	tagStop            = term.Atom("$gen_stop")
	atomAlreadyStarted = term.Atom("already_started")
)

// Start starts a server on node n with behaviour b, calls b.Init(args) in
// it, and returns its pid once Init has returned; if Init fails (or the
// name is taken), a *StartError. b holds the server's state: give each
// server a value of its own.
func Start(n *node.Node, b Behaviour, args any, opts Options) (term.Pid, error) {
	return start(n, nil, b, args, opts)
}

// StartLink is Start with the server linked to parent (Erlang's
// start_link). A server whose Init fails is unlinked before it exits, so
// the failure is the error, not an exit signal.
func StartLink(parent *node.Proc, b Behaviour, args any, opts Options) (term.Pid, error) {
	return start(parent.Node(), parent, b, args, opts)
}

func start(n *node.Node, parent *node.Proc, b Behaviour, args any, opts Options) (term.Pid, error) {
	if b == nil {
		return term.Pid{}, fmt.Errorf("server: start: a nil Behaviour")
	}
	ready := make(chan error, 1)
	var parentPid term.Pid
	if parent != nil {
		parentPid = parent.Self()
	}
	pid, _, err := n.SpawnOpt(parent, node.SpawnOptions{Link: parent != nil, Func: funcName(b, opts)}, func(p *node.Proc) {
		serve(p, b, args, opts, parentPid, ready)
	})
	if err != nil {
		return term.Pid{}, fmt.Errorf("server: start: %w", err)
	}
	if err := <-ready; err != nil {
		return term.Pid{}, fmt.Errorf("server: start: %w", err)
	}
	return pid, nil
}

func funcName(b Behaviour, opts Options) string {
	if opts.Func != "" {
		return opts.Func
	}
	return fmt.Sprintf("server %T", stateOf(b))
}

// Serve runs a server in the calling process p (whose parent, for
// TrapExit, is the process it is linked to when Serve starts, if exactly
// one): it registers the names, calls Init, then handles messages until
// the server stops, and exits the process. It is how a supervisor's child
// runs a server (see Child).
func Serve(p *node.Proc, b Behaviour, args any, opts Options) {
	var parent term.Pid
	if links := p.Links(); len(links) == 1 {
		parent = links[0]
	}
	serve(p, b, args, opts, parent, nil)
}

// Child returns a supervisor child that runs a server: each (re)start
// makes a fresh Behaviour with factory and calls its Init with args. The
// child's Name is opts.Name (set opts.Name, not the Child's): the
// supervisor has each incarnation register it before it starts the next
// child or returns, so a call by name made once supervisor.Start returned
// finds the server, as in OTP, where a supervisor waits for its children's
// init.
func Child(id term.Atom, factory func() (Behaviour, error), args any, opts Options) supervisor.Child {
	return supervisor.Child{ID: id, Name: opts.Name, Start: func(p *node.Proc) {
		b, err := factory()
		if err != nil {
			p.ExitSelf(term.T(term.Atom("error"), term.ErrorText(err)))
		}
		Serve(p, b, args, opts)
	}}
}

// state is a running server, in its own process.
type state struct {
	p       *node.Proc
	b       Behaviour
	opts    Options
	parent  term.Pid
	name    string // for reports: the registered name, or the pid
	current any    // the message being handled, for reports
}

// serve is the server's process. ready, if not nil, gets Init's outcome.
func serve(p *node.Proc, b Behaviour, args any, opts Options, parent term.Pid, ready chan<- error) {
	s := &state{p: p, b: b, opts: opts, parent: parent, name: p.Self().String()}
	fail := func(reason any, err error) {
		if ready != nil {
			if !parent.IsZero() {
				p.Unlink(parent)
			}
			ready <- &StartError{Reason: reason, Err: err}
		}
		p.ExitSelf(reason)
	}
	if opts.TrapExit {
		p.TrapExit(true)
	}
	if opts.Name != "" {
		// A supervisor's child has its name already (see Child).
		if owner, ok := p.Node().Whereis(opts.Name); !ok || owner != p.Self() {
			if err := p.Register(opts.Name); err != nil {
				if owner, ok := p.Node().Whereis(opts.Name); ok {
					fail(term.T(atomAlreadyStarted, owner), nil)
				}
				fail(term.T(term.Atom("error"), term.ErrorText(err)), nil)
			}
		}
		s.name = string(opts.Name)
	}
	if opts.GlobalName != "" {
		g, err := global.Of(p.Node())
		if err == nil {
			err = g.RegisterName(opts.GlobalName, p.Self(), nil)
		}
		if err != nil {
			if owner, ok := globalOwner(p.Node(), opts.GlobalName); ok {
				fail(term.T(atomAlreadyStarted, owner), nil)
			}
			fail(term.T(term.Atom("error"), term.ErrorText(err)), nil)
		}
	}
	err := s.guard(func() error { return b.Init(args) })
	if err != nil && !errors.Is(err, Hibernate) {
		fail(reasonOf(err), err)
	}
	if ready != nil {
		ready <- nil
	}
	if err != nil {
		p.Hibernate(s.resume)
	}
	s.loop()
}

func globalOwner(n *node.Node, name term.Atom) (term.Pid, bool) {
	g, err := global.Of(n)
	if err != nil {
		return term.Pid{}, false
	}
	return g.WhereisName(name)
}

func (s *state) loop() {
	for {
		var msg any
		if s.opts.HibernateAfter > 0 {
			m, ok := s.p.ReceiveTimeout(s.opts.HibernateAfter)
			if !ok {
				s.p.Hibernate(s.resume)
			}
			msg = m
		} else {
			msg = s.p.Receive()
		}
		s.current = msg
		err := s.handle(msg)
		if err != nil && !errors.Is(err, Hibernate) {
			s.stop(reasonOf(err))
		}
		s.current = nil
		if err != nil {
			s.p.Hibernate(s.resume)
		}
	}
}

// resume is where a hibernated server's process starts again.
func (s *state) resume(*node.Proc) {
	growStack()
	s.loop()
}

// growStack grows a woken server's new stack while it is shallow. A
// goroutine starts on 2 KB, and a server's frames (its loop, the dispatch,
// the behaviour's handler, the reply's send) need more: the stack would
// grow in the middle of the handler, and a growth copies the stack frame
// by frame (each one looked up in the binary's tables), which made a call
// that wakes a hibernated server three times the cost of one to an awake
// server. Grown here, with a few frames on it, the copy costs less
// (BenchmarkCallHibernating: 2.35 µs against 2.76, alternating runs).
//
//go:noinline
func growStack() {
	var buf [growTo]byte
	keep(buf[:])
}

// growTo is the frame growStack makes: with the runtime's guard it does
// not fit in 2 KB, and does in 4 KB, the next size.
const growTo = 1536

//go:noinline
func keep(b []byte) { b[0] = 0 }

// handle handles one message; an error other than Hibernate stops the
// server.
func (s *state) handle(msg any) error {
	switch m := msg.(type) {
	case term.Request:
		if sys.Handle(s.p, m, s) {
			return nil
		}
		var reply any
		err := s.guard(func() error {
			var err error
			reply, err = s.b.HandleCall(m.Body, m)
			return err
		})
		if reply != NoReply && (err == nil || isStop(err) || errors.Is(err, Hibernate)) {
			_ = s.p.Reply(m, reply)
		}
		return err
	case term.Tuple:
		switch {
		case len(m) == 2 && m.Tag() == tagCast:
			return s.guard(func() error { return s.b.HandleCast(m[1]) })
		case len(m) == 3 && m.Tag() == tagStop:
			s.stop(m[1])
		case sys.IsCodeChange(m):
			if err := s.SystemCodeChange(); err != nil {
				s.p.Node().Logger().Error("server code change failed", "server", s.name, "error", err.Error())
			}
			return nil
		}
	case term.ExitSignal:
		if s.opts.TrapExit && m.From == s.parent && !s.parent.IsZero() {
			s.stop(m.Reason)
		}
	}
	return s.info(msg)
}

func isStop(err error) bool {
	_, ok := err.(*StopError)
	return ok
}

// info hands a message to HandleInfo, or logs it.
func (s *state) info(msg any) error {
	if h, ok := s.b.(InfoHandler); ok {
		return s.guard(func() error { return h.HandleInfo(msg) })
	}
	s.p.Node().Logger().Warn("server received an unexpected message (it has no HandleInfo)",
		"server", s.name, "message", term.Format(msg))
	return nil
}

// guard runs a method; if it panics, the server terminates with the panic
// as its reason (and the node reports the crash).
func (s *state) guard(f func() error) error {
	ok := false
	defer func() {
		if !ok {
			r := recover()
			s.terminate(term.PanicReason(r))
			panic(r)
		}
	}()
	err := f()
	ok = true
	return err
}

// stop terminates the server and exits its process with reason.
func (s *state) stop(reason any) {
	s.terminate(reason)
	if !term.IsShutdown(reason) {
		s.p.Node().Logger().Error("server terminating", "server", s.name,
			"last message", term.Format(s.current), "reason", term.Format(reason))
	}
	s.p.ExitSelf(reason)
}

// terminate calls Terminate, if the behaviour has it; a panic in it is
// logged, and the server exits with its original reason.
func (s *state) terminate(reason any) {
	t, ok := s.b.(Terminator)
	if !ok {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			s.p.Node().Logger().Error("server Terminate panicked", "server", s.name, "panic", term.Format(term.PanicReason(r)))
		}
	}()
	t.Terminate(reason)
}
