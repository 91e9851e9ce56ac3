package eval

import (
	"io"

	"github.com/gerl-dev/gerl/node/term"
)

// What an observer (package observer) asks the Env: where the caller's
// shell prints, which shell a process belongs to, and which goroutine runs
// a process.

// CallerOutput returns the standard output of the shell the calling
// goroutine prints on (its group leader is that shell's, see output.go),
// or nil when it prints elsewhere. Built-ins that print later, from
// another goroutine (trace), keep it. Safe for concurrent use.
func (e *Env) CallerOutput() io.Writer {
	leader, _ := e.callerLeader()
	return e.leaderWriter(leader)
}

// GroupLeader returns the group leader of the local process pid (see
// node.Proc.GroupLeader): where its output goes. ok is false for a
// process with none, whose output goes to the node's standard output.
func (e *Env) GroupLeader(pid term.Pid) (leader term.Pid, ok bool) {
	info, found := e.node.Info(pid)
	if !found || info.GroupLeader == (term.Pid{}) {
		return term.Pid{}, false
	}
	return info.GroupLeader, true
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
