package eval

import (
	"io"

	"github.com/petermattis/goid"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Output comes home, as in Erlang: what a process prints goes to its group
// leader (node/groupleader.go). Each Session runs a group leader process,
// its io server (ioserver.go); the shell process and everything started
// from its inputs, here or on other nodes (remote spawn and rpc carry the
// caller's leader), print on that session's terminal. A process with no
// group leader prints on the node's standard output (SetStdout): a
// -noshell node's own processes, the runtime's.
//
// Every interpreter of the Env (the sessions', the modules', the shipped
// closures') writes to Output, which routes each write by the calling
// goroutine: to the session directly when the leader is a session of this
// node, else as an Erlang io request ({io_request, From, ReplyAs,
// {put_chars, unicode, Chars}}) to the leader, waiting for its io_reply
// as erl's io:put_chars does, so that output is written before the
// function that printed it returns (an rpc's output comes before its
// result). A goroutine started with go prints where the process that
// started it prints.

// writerBox holds an io.Writer in an atomic.Pointer.
type writerBox struct{ w io.Writer }

// SetStdout sets the node's standard output, where processes without a
// group leader print (os.Stdout for the shell, the terminal once there is
// one). Safe for concurrent use.
func (e *Env) SetStdout(w io.Writer) { e.stdout.Store(&writerBox{orDiscard(w)}) }

// Stdout returns the node's standard output (see SetStdout); io.Discard
// until one is set.
func (e *Env) Stdout() io.Writer {
	if b := e.stdout.Load(); b != nil {
		return b.w
	}
	return io.Discard
}

// Output returns the writer every interpreter of the Env prints to
// (fmt.Print*, println): each write goes where the calling process's group
// leader prints. Safe for concurrent use.
func (e *Env) Output() io.Writer { return outputRouter{e} }

type outputRouter struct{ e *Env }

func (r outputRouter) Write(b []byte) (int, error) {
	leader, proc := r.e.callerLeader()
	return r.e.writeTo(leader, proc, b)
}

// CallerGroupLeader returns the group leader of the process the calling
// goroutine acts as (or of the process that started it with go), or the
// zero pid. It is the node's hook for spawns without a parent
// (node.Node.SetCallerLeader). Safe for concurrent use.
func (e *Env) CallerGroupLeader() term.Pid {
	l, _ := e.callerLeader()
	return l
}

// callerLeader returns the calling goroutine's group leader and the
// process it acts as (nil for a goroutine started with go, or none).
func (e *Env) callerLeader() (term.Pid, *node.Proc) {
	if a, ok := e.gor.current(); ok {
		return a.proc.GroupLeader(), a.proc
	}
	if v, ok := e.goLeaders.Load(goid.Get()); ok {
		return v.(term.Pid), nil
	}
	return term.Pid{}, nil
}

// leaderWriter returns the writer of a group leader that is a session of
// this node, or nil.
func (e *Env) leaderWriter(leader term.Pid) io.Writer {
	if leader == (term.Pid{}) || !e.node.IsLocal(leader) {
		return nil
	}
	e.mu.Lock()
	s := e.leaders[leader]
	e.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.out
}

// writeTo writes b where leader prints, as proc (nil: no process).
func (e *Env) writeTo(leader term.Pid, proc *node.Proc, b []byte) (int, error) {
	if leader == (term.Pid{}) {
		return e.Stdout().Write(b)
	}
	if w := e.leaderWriter(leader); w != nil {
		return w.Write(b)
	}
	if err := e.ioRequest(proc, leader, string(b)); err != nil {
		// The leader is gone (its node too, perhaps): print here rather
		// than lose it, as erl's user process would.
		return e.Stdout().Write(b)
	}
	return len(b), nil
}

func (e *Env) addLeader(pid term.Pid, s *Session) {
	e.mu.Lock()
	e.leaders[pid] = s
	e.mu.Unlock()
}

func (e *Env) dropLeader(pid term.Pid) {
	e.mu.Lock()
	delete(e.leaders, pid)
	e.mu.Unlock()
}
