package eval

import (
	"fmt"
	"reflect"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// The shell process is the process a session's inputs run as: an attached
// process (node.Attach), driven by the goroutine that evaluates the input
// rather than by a goroutine of its own. Like erl's shell evaluator, it is
// replaced when it dies, and the variables stay.

// renewProc attaches a new shell process if the current one has exited,
// and says so.
func (s *Session) renewProc() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc.Alive() || s.closed {
		return nil
	}
	old := s.proc
	p, err := s.env.node.Attach(s.name)
	if err != nil {
		return []string{fmt.Sprintf("the shell process %s exited and no new one can start: %v", old.Self(), err)}
	}
	s.proc = p
	s.watch(p)
	if s.reported == old {
		return nil // said when it happened
	}
	return []string{fmt.Sprintf("the shell process %s exited (%s); the new shell process is %s",
		old.Self(), term.Format(old.ExitReason()), p.Self())}
}

// watch reports at once, as erl does, a shell process that exits between
// inputs (killed, or ended by a linked process): the next input would
// otherwise be the first to notice, after it ran on a new process.
func (s *Session) watch(p *node.Proc) {
	p.OnExit(func(reason any) {
		s.mu.Lock()
		quiet := s.evaluating || s.closed || s.proc != p
		if s.evaluating && s.proc == p && !s.exitCounted {
			// The input's guards must end it (guard.shellExits).
			s.exitCounted = true
			s.env.guard.shellExits.Add(1)
		}
		if !quiet {
			s.reported = p
		}
		s.mu.Unlock()
		if !quiet {
			fmt.Fprintf(s.out, "** exception exit: %s (the shell process %s exited; the next input runs in a new one)\n",
				term.Format(reason), p.Self())
		}
	})
}

// Processes that run code typed at a shell's prompt share the fate of that
// shell's interpreter: when Ctrl-C has to stop the interpreter to end a
// busy input, their interpreted code stops too, and it must not look like
// a normal exit. The Env remembers which session each such process belongs
// to: a process spawned with an interpreted function from the shell, or
// from another such process.

// InterruptedReason is the exit reason of a process whose interpreted code was
// stopped by Ctrl-C at the shell.
const InterruptedReason term.Atom = "interrupted"

// owner returns the session whose code the calling goroutine runs, if any.
func (e *Env) owner() *Session {
	a, ok := e.gor.current()
	if !ok {
		return nil
	}
	if a.session != nil {
		return a.session
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.shellProcs[a.proc.Self()].s
}

// shellProc is a process running code typed at session s's prompt; input
// is the number of the input being evaluated when its function started.
type shellProc struct {
	s     *Session
	input int
}

// wrapShellFunc returns fn wrapped so that the process running it is known
// to belong to session s while it runs, and exits with reason interrupted
// if its function returned because s stopped its interpreter.
func (e *Env) wrapShellFunc(s *Session, fn any) any {
	fv := reflect.ValueOf(fn)
	return reflect.MakeFunc(fv.Type(), func(in []reflect.Value) []reflect.Value {
		var self term.Pid
		if a, ok := e.gor.current(); ok {
			self = a.proc.Self()
			sp := shellProc{s: s, input: s.Count()} // Session.mu, not under Env.mu
			e.mu.Lock()
			e.shellProcs[self] = sp
			e.mu.Unlock()
			defer func() {
				e.mu.Lock()
				delete(e.shellProcs, self)
				e.mu.Unlock()
			}()
		}
		var out []reflect.Value
		if fv.Type().IsVariadic() {
			out = fv.CallSlice(in)
		} else {
			out = fv.Call(in)
		}
		if s.stopping.Load() {
			if a, ok := e.gor.current(); ok {
				a.proc.ExitSelf(InterruptedReason)
			}
		}
		return out
	}).Interface()
}

// shellCodeRunning reports whether a process running s's interpreted code
// is running (not parked in a receive or a sleep). It looks at processes
// (Node.Info) under Env.mu.
func (e *Env) shellCodeRunning(s *Session) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for pid, sp := range e.shellProcs {
		if sp.s != s {
			continue
		}
		if info, ok := e.node.Info(pid); ok && info.Status == "running" {
			return true
		}
	}
	return false
}

// stopShellProcesses ends every process running s's interpreted code with
// reason interrupted and returns their pids.
func (e *Env) stopShellProcesses(s *Session) []term.Pid {
	return e.stopProcesses(func(sp shellProc) bool { return sp.s == s })
}

// stopInputProcesses ends, with reason interrupted, the processes of s
// whose function started during input n, and returns them. An input that
// Ctrl-C stopped leaves its frames with a closed channel-cancel signal in
// yaegi: their next channel operation would give up and their function
// return as if normally. Better say so than let them vanish.
func (e *Env) stopInputProcesses(s *Session, n int) []term.Pid {
	return e.stopProcesses(func(sp shellProc) bool { return sp.s == s && sp.input == n })
}

// stopProcesses ends, with reason interrupted, the shell processes which
// returns true for, and returns them.
func (e *Env) stopProcesses(which func(shellProc) bool) []term.Pid {
	e.mu.Lock()
	var victims []term.Pid
	for pid, sp := range e.shellProcs {
		if which(sp) {
			victims = append(victims, pid)
		}
	}
	e.mu.Unlock()
	for _, pid := range victims {
		_ = e.node.Exit(pid, InterruptedReason)
	}
	return victims
}
