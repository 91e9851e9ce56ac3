package node

import (
	"fmt"

	"github.com/gerl-dev/gerl/node/term"
)

// Group leaders, as in Erlang: every process may have a group leader, the
// process its output goes to. A process gets its spawner's group leader
// (SpawnOptions.GroupLeader says otherwise; a remote spawn or rpc carries
// the caller's), so everything started from a shell input prints on that
// shell's terminal, on this node or another. The runtime only keeps the
// pid: what a process prints is routed by the interpreter side (package
// eval), which sends it to the leader as an Erlang io request when the
// leader is not a shell of this node. The zero pid means no group leader:
// such a process prints on its node's standard output.

// GroupLeader returns p's group leader, or the zero pid when it has none.
// Safe for concurrent use.
func (p *Proc) GroupLeader() term.Pid {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.leaderLocked()
}

// leaderLocked is GroupLeader with p.mu held.
func (p *Proc) leaderLocked() term.Pid {
	if p.ext == nil {
		return term.Pid{}
	}
	return p.ext.leader
}

// SetGroupLeader makes leader p's group leader (the zero pid: none), as
// erl's group_leader(Leader, Pid). Processes p spawns from then on get it.
// Safe for concurrent use.
func (p *Proc) SetGroupLeader(leader term.Pid) {
	p.mu.Lock()
	if leader != (term.Pid{}) || p.ext != nil {
		p.extLocked().leader = leader
	}
	p.mu.Unlock()
}

// SetGroupLeader sets the group leader of the local process pid.
func (n *Node) SetGroupLeader(pid, leader term.Pid) error {
	p := n.lookup(pid)
	if p == nil {
		return fmt.Errorf("group_leader: %s is not a live process of %s", pid, n.name)
	}
	p.SetGroupLeader(leader)
	return nil
}

// SetCallerLeader installs how the node learns the group leader of the
// goroutine that spawns a process with no parent and no
// SpawnOptions.GroupLeader (a supervisor or a server started from a
// process's code through Go's API): fn returns the leader of the process
// the calling goroutine acts as, or the zero pid. The interpreter side
// installs it (eval.Env.Attach), since only it knows which process a
// goroutine runs. Safe for concurrent use.
func (n *Node) SetCallerLeader(fn func() term.Pid) {
	n.leaderOf.Store(&fn)
}

// callerLeader is the group leader a process spawned by the calling
// goroutine with no parent inherits.
func (n *Node) callerLeader() term.Pid {
	if fn := n.leaderOf.Load(); fn != nil {
		return (*fn)()
	}
	return term.Pid{}
}

// SetUserFrames installs fn, which returns the lines of the user's own
// code (interpreted functions, module file:line) the calling goroutine's
// panic unwound, innermost first, or "". A process's crash report shows
// them before the Go stack. The interpreter side installs it
// (eval.Env.Attach). Safe for concurrent use.
func (n *Node) SetUserFrames(fn func() string) {
	n.userFrames.Store(&fn)
}

// crashStack is the stack a crash report shows: the user's own lines
// first (see SetUserFrames), then the Go stack.
func (n *Node) crashStack(goStack []byte) string {
	if fn := n.userFrames.Load(); fn != nil {
		if user := (*fn)(); user != "" {
			return user + "\n" + string(goStack)
		}
	}
	return string(goStack)
}
