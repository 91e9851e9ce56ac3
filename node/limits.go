package node

import (
	"runtime/debug"

	"github.com/gerl-dev/gerl/node/term"
)

// Limits: a process's mailbox limit, and the release of a dead process's
// flooded mailbox.

// MaxMailbox is the first element of the exit reason of a process killed
// because its mailbox passed its limit: {max_mailbox, Limit}.
const MaxMailbox term.Atom = "max_mailbox"

// bigMailbox is the number of messages above which the death of a process
// returns the memory of its mailbox to the system at once (releaseMemory)
// instead of at the garbage collector's next cycle, which may be minutes
// away on a node that then sits idle.
const bigMailbox = 1 << 16

// SetMaxMailbox sets the number of messages p's mailbox may hold, 0 for no
// limit, and returns the previous limit. A message that would pass the
// limit is not delivered: p is killed with reason {max_mailbox, Limit}
// (like Erlang's max_heap_size) and the node logs it. Safe for concurrent
// use.
func (p *Proc) SetMaxMailbox(n int) int {
	if n < 0 {
		n = 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.extLocked()
	old := e.maxMailbox
	e.maxMailbox = n
	return old
}

// overLimitLocked reports whether one more message would pass p's mailbox
// limit. Called with p.mu held.
func (p *Proc) overLimitLocked() bool {
	return p.ext != nil && p.ext.maxMailbox > 0 && len(p.in)+int(p.outLen.Load()) >= p.ext.maxMailbox
}

// killOverLimitLocked kills p because its mailbox is full. Called with
// p.mu held; releases it.
func (p *Proc) killOverLimitLocked() {
	limit := p.ext.maxMailbox
	reason := term.Tuple{MaxMailbox, limit}
	p.node.log.Error("process killed: its mailbox passed its limit",
		"pid", p.Self().String(), "func", p.ext.funcName, "limit", limit,
		"hint", `raise it with process_flag(A("max_mailbox"), n), or read the messages faster`)
	p.node.propagate(p.dieLocked(reason))
}

// bigMailboxLocked reports whether p's mailbox holds enough messages for
// its death to call for releaseMemory. Called with p.mu held.
func (p *Proc) bigMailboxLocked() bool {
	return len(p.in)+int(p.outLen.Load()) > bigMailbox
}

// releaseMemory runs a garbage collection and returns the free memory to
// the system, in the background, once at a time.
func (n *Node) releaseMemory() {
	if !n.freeing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer n.freeing.Store(false)
		debug.FreeOSMemory()
	}()
}
