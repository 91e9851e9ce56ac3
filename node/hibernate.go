package node

import (
	"runtime"
)

// Hibernate is erlang:hibernate/3: the process gives up its goroutine and
// its stack until a message arrives, then resumes in next, on a new
// goroutine with an empty stack; it ends when next returns. Hibernate
// never returns to its caller. If a message is already waiting, the
// process resumes at once.
//
// It is for processes that wait long between messages: a hibernated process
// keeps its pid, mailbox, links, monitors and registered name, and holds no
// goroutine (gerl bench million_hibernated: about 110 bytes per process,
// against 2.8 KB for one parked in Receive). Waking one costs a new
// goroutine (BenchmarkPingPongHibernated).
// The calling goroutine ends with runtime.Goexit: its deferred calls run,
// and nothing can recover from it. An exit signal treats a hibernated
// process as a waiting one: if it traps exits, the signal is a message
// that wakes it; if not, it dies without waking.
//
// Hibernate must be called by the process's own goroutine. An attached
// process (the shell's) has no goroutine of the runtime to give up:
// Hibernate panics there.
func (p *Proc) Hibernate(next func(*Proc)) {
	if next == nil {
		panic("gerl: Hibernate needs a function to resume in, got nil")
	}
	if p.attached {
		panic("gerl: the shell's process cannot hibernate: it runs on the shell's goroutine; spawn a process to hibernate")
	}
	p.checkAlive()
	p.mu.Lock()
	p.fn = next
	p.hibernating = true
	p.mu.Unlock()
	runtime.Goexit() // run's deferred settle takes over
}

// settle is called by a process goroutine that has ended, before it
// finishes the process. It reports whether the process is hibernating,
// in which case the goroutine ends without finishing it: a waker (a
// message, an exit signal) starts the next one (wakeLocked), or settle
// starts it at once if a message is already there. A process that died
// on the way (a kill during the unwind) is not hibernating: it finishes.
func (p *Proc) settle() bool {
	// Only this goroutine writes hibernating (Hibernate sets it, settle
	// clears it): reading it unlocked is safe here, and spares every
	// ending process a lock.
	if !p.hibernating {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hibernating = false
	if p.state.Load() != stateAlive {
		return false
	}
	b := p.box.Load()
	if b != nil && (len(b.in) > 0 || int(b.outHead) < len(b.out)) {
		go p.run()
		return true
	}
	if b != nil {
		// Empty: drop the buffers, as Erlang's hibernate shrinks the heap.
		b.in, b.out, b.outHead = nil, nil, 0
	}
	// Only now does a waker find it without a goroutine: a deferred call
	// that received during the unwind parked and was woken as usual.
	p.waiting, p.hibernated = true, true
	return true
}
