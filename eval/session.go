package eval

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	yaegi "github.com/traefik/yaegi/interp"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// SessionConfig says how to build a Session.
type SessionConfig struct {
	Env *Env
	// Stdout receives what interpreted code prints (fmt.Print*, println)
	// and what built-ins such as flush() and i() print. Stderr receives
	// the log package's output. Both must be safe for concurrent use:
	// processes print while the shell reads input.
	Stdout, Stderr io.Writer
	// Messages receives what flush() prints (Shell got ...); nil means
	// Stdout. The shell colors it.
	Messages io.Writer
	// OnQuit is called by q() (halt false) and halt() (halt true).
	OnQuit func(halt bool)
	// Name is what i() shows as the shell process's function.
	Name string
	// Grace is how long an interrupted input may unwind by itself before
	// the interpreter's code is stopped; 0 means 200 ms.
	Grace time.Duration
	// GiveUp is how long a stopped input may take to return before the
	// shell leaves it behind (it is blocked in a call gerl cannot
	// interrupt); 0 means 2 s.
	GiveUp time.Duration
}

// Session is one shell: a yaegi interpreter with the gerl API and the erl
// built-ins, and the shell process its inputs run as. Inputs are evaluated
// one at a time, in order (EvalContext); processes spawned from them keep
// running between inputs. EvalContext, Bindings and Complete may be called
// from one goroutine at a time; Proc, Count and Close from any goroutine.
type Session struct {
	env    *Env
	out    io.Writer
	errw   io.Writer
	msgs   io.Writer
	onQuit func(bool)
	name   string
	grace  time.Duration
	giveUp time.Duration

	evalMu   sync.Mutex  // one input at a time; guards the fields up to mu
	stopping atomic.Bool // the interpreter's code is stopped (Ctrl-C)
	// yi is the interpreter inputs run in, ctl its run control, frame
	// its global frame and syms its table of global names (bindings.go).
	// They change only when an input is left behind (see abandon).
	yi    *yaegi.Interpreter
	ctl   *runControl
	frame *globalFrame
	syms  symbols
	// imported maps the package names imported at the prompt to their
	// paths.
	imported map[string]string
	stdPkgs  map[string]string
	// extensions counts the dot-imported packages of built-ins added
	// after the interpreter was built.
	extensions int

	mu          sync.Mutex // guards the fields below
	proc        *node.Proc // the shell process; replaced when it dies
	leader      term.Pid   // the group leader: the session's io server (ioserver.go)
	reported    *node.Proc // a shell process whose exit was already printed
	evaluating  bool       // an input is being evaluated
	exitCounted bool       // the shell process exited during it: counted in guard.shellExits
	n           int        // inputs evaluated so far
	history     history    // v(n)
	captured    []any      // what __gerl_result saw in this input
	shown       []string   // how to show captured values with methods (capture)
	didSet      bool
	docs        map[string]Doc
	closed      bool
	// pending are the packages and built-ins other packages added (see
	// later); applied with evalMu held.
	pending []func()
	// decls are the functions, types and constants typed at the prompt, by
	// name, which closures sent to other nodes take along (ship.go);
	// importsView is imported, for the processes that ship them.
	decls       map[string][]declSrc
	importsView map[string]string
	// instantiated are the generic functions and types an input that
	// ran named: yaegi has made instances of them, which a new
	// declaration would not replace (rewrite_generic.go).
	instantiated map[string]bool
}

// NewSession starts a shell session on env's node: it attaches the shell
// process and prepares the interpreter (about 5 ms, mostly loading the
// standard library's symbols).
func NewSession(cfg SessionConfig) (_ *Session, err error) {
	if cfg.Env == nil || cfg.Env.node == nil {
		return nil, errors.New("new session: an Env attached to a node is required")
	}
	s := &Session{
		env:      cfg.Env,
		out:      orDiscard(cfg.Stdout),
		errw:     orDiscard(cfg.Stderr),
		onQuit:   cfg.OnQuit,
		name:     cfg.Name,
		grace:    cfg.Grace,
		giveUp:   cfg.GiveUp,
		docs:     builtinDocs(),
		stdPkgs:  stdlibPackages(),
		imported: map[string]string{"gerl": GerlPath},
	}
	s.msgs = cfg.Messages
	if s.msgs == nil {
		s.msgs = s.out
	}
	for name, path := range gerlPackages() {
		s.stdPkgs[name] = path // imported on first use, as standard packages
	}
	for name, d := range serviceDocs() {
		s.docs[name] = d
	}
	if s.name == "" {
		s.name = "shell"
	}
	if s.grace == 0 {
		s.grace = 200 * time.Millisecond
	}
	if s.giveUp == 0 {
		s.giveUp = 2 * time.Second
	}
	p, err := cfg.Env.node.Attach(s.name)
	if err != nil {
		return nil, fmt.Errorf("new session: %w", err)
	}
	s.proc = p
	// A session that fails to start leaves nothing behind: no process, no
	// place in the Env's sessions.
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if err := s.startLeader(); err != nil {
		return nil, fmt.Errorf("new session: %w", err)
	}
	s.watch(p)
	// Once registered, the session gets packages and built-ins from other
	// goroutines (later); they wait for the construction to end.
	s.evalMu.Lock()
	defer s.evalMu.Unlock()
	builtins, packages := cfg.Env.addSession(s)
	if err := s.newInterpreter(builtins, packages); err != nil {
		return nil, fmt.Errorf("new session: %w", err)
	}
	s.applyPending()
	return s, nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// Proc returns the shell process.
func (s *Session) Proc() *node.Proc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc
}

// Env returns the session's Env.
func (s *Session) Env() *Env { return s.env }

// Count returns how many inputs have been evaluated; the prompt shows
// Count()+1.
func (s *Session) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// Close ends the shell process and detaches the session from its Env.
func (s *Session) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	p, l := s.proc, s.leader
	s.mu.Unlock()
	s.env.removeSession(s)
	_ = s.env.node.Exit(p.Self(), term.Kill)
	if l != (term.Pid{}) {
		s.env.dropLeader(l)
		_ = s.env.node.Exit(l, term.Kill)
	}
}

// startLeader starts the session's group leader (its io server) if it
// has none or it died, and makes it the shell process's.
func (s *Session) startLeader() error {
	s.mu.Lock()
	l, p := s.leader, s.proc
	s.mu.Unlock()
	if l == (term.Pid{}) || !s.env.node.Alive(l) {
		out := s.out
		pid, _, err := s.env.node.SpawnOpt(nil, node.SpawnOptions{Func: "group_leader", GroupLeader: p.Self()},
			func(p *node.Proc) { serveIO(p, out) })
		if err != nil {
			return err
		}
		if l != (term.Pid{}) {
			s.env.dropLeader(l)
		}
		s.env.addLeader(pid, s)
		l = pid
		s.mu.Lock()
		s.leader = l
		s.mu.Unlock()
	}
	p.SetGroupLeader(l)
	return nil
}

// GroupLeader returns the session's group leader: the process its shell
// process, and everything started from its inputs, print through.
func (s *Session) GroupLeader() term.Pid {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leader
}

// Bindings returns the shell's variables and their current values.
func (s *Session) Bindings() map[string]any {
	s.evalMu.Lock()
	defer s.evalMu.Unlock()
	out := map[string]any{}
	for name, v := range s.globals() {
		if v.IsValid() && v.CanInterface() {
			out[name] = v.Interface()
		} else {
			out[name] = nil
		}
	}
	return out
}

// globals returns the interpreter's global variables. yaegi's Globals
// panics after some failed compilations (its frame is shorter than its
// scope); then there is nothing reliable to report. The caller holds
// evalMu, or evaluates the input that holds it.
func (s *Session) globals() (g map[string]reflect.Value) {
	defer func() {
		if recover() != nil {
			g = map[string]reflect.Value{}
		}
	}()
	return s.yi.Globals()
}
