package eval

import (
	"io"

	"github.com/gerl-dev/gerl/node/term"
)

// What an observer (package observer) asks the Env: where the caller's
// shell prints, which shell a process belongs to, and which goroutine runs
// a process.

// CallerOutput returns the standard output of the shell whose code the
// calling goroutine runs (its input, or a process spawned from its
// prompt), or nil on any other goroutine. Built-ins that print later, from
// another goroutine (trace), keep it. Safe for concurrent use.
func (e *Env) CallerOutput() io.Writer {
	if s := e.owner(); s != nil {
		return s.out
	}
	return nil
}

// GroupLeader returns the shell process of the session pid belongs to:
// pid's own session if pid is a shell process, or the one whose prompt
// spawned the code pid runs. erl calls that process the group leader: it
// is where the process's output goes. ok is false for other processes,
// whose output goes to the node's standard output.
func (e *Env) GroupLeader(pid term.Pid) (leader term.Pid, ok bool) {
	e.mu.Lock()
	sp, found := e.shellProcs[pid]
	sessions := e.sessionList()
	e.mu.Unlock()
	if found {
		return sp.s.Proc().Self(), true
	}
	for _, s := range sessions {
		if p := s.Proc(); p != nil && p.Self() == pid {
			return pid, true
		}
	}
	return term.Pid{}, false
}

// Goroutine returns the id of the goroutine running the process pid (for
// a shell process, the one evaluating its input, if any), as Go's stack
// dumps name it. It looks at every goroutine the Env knows: call it for
// one process at a time, not in a loop. Safe for concurrent use.
func (e *Env) Goroutine(pid term.Pid) (id int64, ok bool) {
	e.gor.m.Range(func(k, v any) bool {
		if a := v.(actor); a.proc != nil && a.proc.Self() == pid {
			id, ok = k.(int64), true
			return false
		}
		return true
	})
	return id, ok
}
