package node

import (
	"runtime"
	"sort"

	"github.com/gerl-dev/gerl/node/term"
)

// ProcInfo is a snapshot of one process, for i() and friends.
type ProcInfo struct {
	Pid        term.Pid
	Name       term.Atom // registered name, or ""
	Func       string    // the function it started in
	MailboxLen int
	// Status is "waiting" (parked in a receive), "hibernated" (waiting
	// with no goroutine, see Proc.Hibernate), "running", or "exited".
	Status   string
	Links    []term.Pid
	Monitors int // monitors held on this process
	Watching int // monitors this process holds
	TrapExit bool
	Attached bool // driven by a foreign goroutine (the shell)
	// GroupLeader is where the process's output goes (see
	// Proc.GroupLeader); the zero pid when it has none.
	GroupLeader term.Pid
	// Memory estimates the bytes the process holds in the runtime's
	// structures and its mailbox's slots; not its goroutine's stack nor
	// the contents of its messages (see memoryLocked).
	Memory int
}

// Info returns a snapshot of the local process pid.
func (n *Node) Info(pid term.Pid) (ProcInfo, bool) {
	p := n.lookup(pid)
	if p == nil {
		return ProcInfo{}, false
	}
	return p.Info(), true
}

// Info returns a snapshot of p.
func (p *Proc) Info() ProcInfo {
	fn := p.FuncName()
	p.mu.Lock()
	info := ProcInfo{
		Pid:         p.Self(),
		Func:        fn,
		MailboxLen:  p.mailboxLenLocked(),
		Status:      "running",
		Attached:    p.attached,
		Memory:      p.memoryLocked(),
		GroupLeader: p.leaderLocked(),
	}
	switch {
	case p.state.Load() != stateAlive:
		info.Status = "exited"
	case p.waiting && p.hibernated:
		info.Status = "hibernated"
	case p.waiting:
		info.Status = "waiting"
	}
	if e := p.ext; e != nil {
		info.Name = e.name
		info.TrapExit = e.trapExit
		info.Monitors = len(e.monitors)
		info.Watching = len(e.watching)
		if e.call.watched {
			info.Watching++ // the monitor of the Call it waits in
		}
		for pid := range e.links {
			info.Links = append(info.Links, pid)
		}
	}
	p.mu.Unlock()
	sort.Slice(info.Links, func(i, j int) bool { return info.Links[i].ID < info.Links[j].ID })
	return info
}

// Processes returns a snapshot of every live process, by pid.
func (n *Node) Processes() []ProcInfo {
	var out []ProcInfo
	n.procs.each(func(p *Proc) bool {
		out = append(out, p.Info())
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Pid.ID < out[j].Pid.ID })
	return out
}

// Memory is what memory() reports, in bytes, from the Go runtime's view of
// the node's process (gerl processes share one Go heap).
type Memory struct {
	Total      uint64 // memory obtained from the OS (runtime Sys)
	Heap       uint64 // live heap objects
	Stacks     uint64 // goroutine stacks in use
	Processes  int    // live gerl processes
	Goroutines int    // all goroutines, gerl's and the runtime's
	GCCycles   uint32
}

// Memory reads the runtime's memory statistics. It briefly stops the world;
// do not call it in a hot loop.
func (n *Node) Memory() Memory {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return Memory{
		Total:      ms.Sys,
		Heap:       ms.HeapAlloc,
		Stacks:     ms.StackInuse,
		Processes:  n.ProcessCount(),
		Goroutines: runtime.NumGoroutine(),
		GCCycles:   ms.NumGC,
	}
}
