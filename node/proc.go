package node

import (
	"fmt"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gerl-dev/gerl/node/term"
)

// Proc is a process: a goroutine with a pid, an unbounded mailbox, links,
// monitors and an exit reason. A process function receives its own *Proc and
// uses it to receive messages and act as that process.
//
// Concurrency: Send, Exit, Link, Monitor and the other methods that act on
// other processes may be called from any goroutine. Receive and its variants
// take messages out of the mailbox and must be called by one goroutine at a
// time, normally the process's own; a second concurrent receiver panics.
//
// A process that has exited (it was killed, or a linked process died) stops
// the next time it calls into the runtime: a blocked Receive returns at once
// and the goroutine ends (runtime.Goexit, so deferred calls run). Go cannot
// preempt a goroutine, so a process stuck in a loop that never calls the
// runtime keeps running until it does; for everyone else it is already
// dead. Node.Exiting counts such goroutines, and Check is the call that
// ends them: the interpreter makes it at function entries and loop
// back-edges of interpreted code, so interpreted processes always stop.
//
// The fields are laid out for many senders to one process (TestProcLayout
// keeps it): a 96-byte Proc starts at a cache line or half-way through
// one, so its first 32 bytes (the lock and the wake-up, written by
// senders) never share a line with its last 32 (read by senders and the
// receiver at every message, and almost never written). At every message
// the receiving goroutine writes only its mailbox. Mixing them made
// BenchmarkFanIn take 415-545 ns per message instead of 380-395, by the
// Proc's alignment.
type Proc struct {
	// Written by senders: the lock and the wake-up.
	mu       sync.Mutex // guards reason, ext, the flags below, and box.in
	park     parker     // the receiver parks on it (see mailbox.go)
	waiting  bool       // the receiver is parked on park
	parked   bool       // written by the receiver under mu: it has parked before
	bigDrop  bool       // its death dropped a big mailbox (set by dieLocked)
	attached bool       // driven by a foreign goroutine (the shell); immutable
	// hibernating: the process called Hibernate and its goroutine is
	// unwinding; hibernated: it has no goroutine (waiting is set too), and
	// its waker starts one. See hibernate.go.
	hibernating bool
	hibernated  bool

	// Written rarely.
	node *Node
	// fn is what the process runs next: the function it was spawned with,
	// or the one it gave Hibernate. Written under mu; read under mu, or by
	// the goroutine started after the write. nil for an attached process.
	fn     func(*Proc)
	reason any // the exit reason, set when state becomes dead

	// Read by senders and the receiver at every message, written at
	// most a few times in the process's life.
	state atomic.Uint32
	// box is the mailbox, allocated (under mu) with the first message;
	// see mailbox.go.
	box atomic.Pointer[mailbox]
	ext *procExt // links, monitors, name, flags; nil until needed
	id  uint64
}

const (
	stateAlive uint32 = iota
	stateDead
)

// procExt holds what most processes never need, allocated on first use.
// Guarded by Proc.mu.
type procExt struct {
	leader     term.Pid                 // the group leader (zero: none, see GroupLeader)
	links      map[term.Pid]struct{}    // linked processes, local or remote
	monitors   map[term.Ref]term.Pid    // monitors on this process: ref -> watcher
	watching   map[term.Ref]watchTarget // monitors this process holds
	call       pendingCall              // the Call p waits in (call.go)
	name       term.Atom                // registered name
	funcName   string                   // what i() shows, if the spawner said
	trapExit   bool
	untraced   bool             // never traced (see Untraceable)
	onExit     func(reason any) // see OnExit
	maxMailbox int              // messages; 0: no limit (see SetMaxMailbox)
	busySince  time.Time        // an attached process's code started (see SetBusy)
}

type watchTarget struct {
	pid  term.Pid
	name term.Name // set for monitors taken on a registered name
}

func (p *Proc) extLocked() *procExt {
	if p.ext == nil {
		p.ext = &procExt{}
	}
	return p.ext
}

// Self returns the process's pid.
func (p *Proc) Self() term.Pid { return p.node.pidOf(p.id) }

// Node returns the node the process runs on.
func (p *Proc) Node() *Node { return p.node }

// String returns the pid's text.
func (p *Proc) String() string { return p.Self().String() }

// Alive reports whether the process has not exited.
func (p *Proc) Alive() bool { return p.state.Load() == stateAlive }

// ExitReason returns the reason the process exited with, or nil while it is
// alive.
func (p *Proc) ExitReason() any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reason
}

// ExitError is the panic value that unwinds an attached process (the
// shell's) when it has exited: erl prints it as ** exception exit: Reason.
type ExitError struct {
	Pid    term.Pid
	Reason any
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("process %s exited: %s", e.Pid, term.Format(e.Reason))
}

// Check ends the calling goroutine if p has exited, as every runtime call
// does: runtime.Goexit for a spawned process (deferred calls run), a panic
// with *ExitError for an attached one. It costs one atomic load. The
// interpreter calls it when Node.Exiting says some process has exited
// while its goroutine runs on, from the checks it compiles into loops and
// function entries. It must be called on p's own goroutine.
func (p *Proc) Check() { p.checkAlive() }

// checkAlive unwinds the calling process if it has exited.
func (p *Proc) checkAlive() {
	if p.state.Load() != stateAlive {
		p.unwind()
	}
}

// unwind ends the goroutine of a dead process: Goexit for a spawned process,
// a panic with *ExitError for an attached one.
func (p *Proc) unwind() {
	if p.attached {
		panic(&ExitError{Pid: p.Self(), Reason: p.ExitReason()})
	}
	runtime.Goexit()
}

// SpawnOptions control how a process starts.
type SpawnOptions struct {
	// Link links the parent and the child before the child runs.
	Link bool
	// Monitor makes the parent monitor the child before the child runs; the
	// monitor's ref is returned.
	Monitor bool
	// Func is what introspection shows as the function the process started
	// in; by default the name of the Go function.
	Func string
	// GroupLeader is the new process's group leader (see
	// Proc.GroupLeader); zero means the parent's, or without a parent the
	// spawning goroutine's (SetCallerLeader).
	GroupLeader term.Pid
}

// Spawn starts fn as a new process with no parent and returns its pid.
func (n *Node) Spawn(fn func(*Proc)) (term.Pid, error) {
	pid, _, err := n.SpawnOpt(nil, SpawnOptions{}, fn)
	return pid, err
}

// SpawnOpt starts fn as a new process. With opts.Link or opts.Monitor the
// parent must be a live process of this node; the link or monitor is in
// place before fn starts, so the parent cannot miss the child's exit.
func (n *Node) SpawnOpt(parent *Proc, opts SpawnOptions, fn func(*Proc)) (term.Pid, term.Ref, error) {
	if fn == nil {
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn: nil function")
	}
	if (opts.Link || opts.Monitor) && parent == nil {
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn: link or monitor needs a parent process")
	}
	if parent != nil {
		parent.checkAlive()
	}
	p := &Proc{node: n, fn: fn}
	leader := opts.GroupLeader
	if leader == (term.Pid{}) {
		if parent != nil {
			leader = parent.GroupLeader()
		} else {
			leader = n.callerLeader()
		}
	}
	if leader != (term.Pid{}) {
		p.extLocked().leader = leader
	}
	if opts.Func != "" {
		p.extLocked().funcName = opts.Func
	}
	// The child's side of the link and monitor is in place before anyone
	// can see the child.
	var ref term.Ref
	if opts.Link {
		p.extLocked().links = map[term.Pid]struct{}{parent.Self(): {}}
	}
	if opts.Monitor {
		ref = n.MakeRef()
		p.extLocked().monitors = map[term.Ref]term.Pid{ref: parent.Self()}
	}
	if !n.admit(p, true) {
		return term.Pid{}, term.Ref{}, ErrStopped
	}
	child := p.Self()
	if opts.Link && !parent.addLink(child) {
		// The parent was killed while spawning: the child never runs.
		p.terminate(term.NoProc)
		n.exiting.Add(-1) // its goroutine never starts
		n.wg.Done()
		parent.unwind()
	}
	if opts.Monitor {
		parent.addWatch(ref, watchTarget{pid: child})
	}
	if !p.Alive() {
		// Killed between admit and now (Stop, or a pid guessed): its exit
		// signals found the parent's side missing, so deliver them here.
		// Delivery consumes the link or monitor, so nothing arrives twice.
		reason := p.ExitReason()
		var sigs []signal
		if opts.Link {
			sigs = append(sigs, signal{kind: sigLinkExit, from: child, to: parent.Self(), reason: reason})
		}
		if opts.Monitor {
			sigs = append(sigs, signal{kind: sigDown, from: child, to: parent.Self(), ref: ref, reason: reason})
		}
		n.propagate(sigs)
	}
	go p.run()
	return child, ref, nil
}

// Attach creates a process that no goroutine of the runtime runs: the caller
// drives it (the shell's evaluator is one). It receives, links and monitors
// like any process. When it exits, its next runtime call panics with
// *ExitError instead of ending the goroutine. End it with Exit.
func (n *Node) Attach(funcName string) (*Proc, error) {
	p := &Proc{node: n, attached: true}
	p.extLocked().funcName = funcName
	if !n.admit(p, false) {
		return nil, ErrStopped
	}
	return p, nil
}

// OnExit asks for fn to be called, on a goroutine of its own, when p
// exits. It is for attached processes, whose driver (the shell) is not
// blocked in a runtime call when another process ends them: it learns of
// it at once. fn runs once; setting it again replaces it.
func (p *Proc) OnExit(fn func(reason any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.extLocked().onExit = fn
}

// Spawn starts fn as a process; see Node.Spawn. If the node is stopping,
// p ends too (reason shutdown); any other failure to spawn panics.
func (p *Proc) Spawn(fn func(*Proc)) term.Pid {
	pid, _, err := p.node.SpawnOpt(p, SpawnOptions{}, fn)
	p.mustSpawn(err)
	return pid
}

// SpawnLink starts fn as a process linked to p, atomically.
func (p *Proc) SpawnLink(fn func(*Proc)) term.Pid {
	pid, _, err := p.node.SpawnOpt(p, SpawnOptions{Link: true}, fn)
	p.mustSpawn(err)
	return pid
}

// SpawnMonitor starts fn as a process monitored by p, atomically.
func (p *Proc) SpawnMonitor(fn func(*Proc)) (term.Pid, term.Ref) {
	pid, ref, err := p.node.SpawnOpt(p, SpawnOptions{Monitor: true}, fn)
	p.mustSpawn(err)
	return pid, ref
}

// mustSpawn handles the only spawn failure a live process can see: the node
// is stopping, which will end the caller too.
func (p *Proc) mustSpawn(err error) {
	if err == nil {
		return
	}
	if err == ErrStopped {
		p.terminate(term.Shutdown)
		p.unwind()
	}
	panic(err)
}

// admit gives p an id and publishes it, unless the node is stopping. With
// goroutine set, it also counts the goroutine the caller will start, so
// Stop waits for it.
func (n *Node) admit(p *Proc, goroutine bool) bool {
	n.spawnMu.RLock()
	defer n.spawnMu.RUnlock()
	if n.stopping.Load() {
		return false
	}
	if goroutine {
		n.wg.Add(1)
	}
	n.procs.insert(p)
	return true
}

// run is the body of a process goroutine: the one it was spawned with, or
// the one that resumes it after Hibernate.
func (p *Proc) run() {
	defer func() {
		r := recover()
		if r == nil && p.settle() {
			return // hibernated: a waker starts the next goroutine
		}
		p.finish(r)
	}()
	if h := p.node.onGo; h != nil {
		h(p, true)
		defer h(p, false)
	}
	p.checkAlive() // killed before it started, or while it hibernated
	p.fn(p)
}

// finish decides the exit reason of a process whose function has ended:
// normal on return, the panic wrapped as {panic, Value} on a panic, or the
// reason it was given if it was killed or called Exit.
func (p *Proc) finish(r any) {
	defer p.node.wg.Done()
	defer p.node.exiting.Add(-1) // counted when it died (dieLocked)
	switch {
	case r != nil:
		if ee, ok := r.(*ExitError); ok && ee.Pid == p.Self() {
			break // an attached-style unwind of p itself: already dead
		}
		reason := term.PanicReason(r)
		if p.Alive() {
			// Report before the exit signals go out, so the crash report
			// precedes every DOWN and EXIT it causes.
			p.node.log.Error("process crashed",
				"pid", p.Self().String(), "func", p.FuncName(),
				"reason", term.Format(reason), "stack", p.node.crashStack(debug.Stack()))
		}
		p.terminate(reason)
	default:
		// Returned; or runtime.Goexit, where p.Exit or a kill has already
		// set the reason (terminate is then a no-op) and a Goexit the
		// process made itself (t.FailNow in a test) counts as normal.
		p.terminate(term.Normal)
	}
	p.mu.Lock()
	big := p.bigMailboxLocked() || p.bigDrop
	if b := p.box.Load(); b != nil {
		b.out, b.outHead = nil, 0
		b.outLen.Store(0)
	}
	p.mu.Unlock()
	if big {
		p.node.releaseMemory()
	}
}

// FuncName returns what introspection shows as the process's function: the
// name its spawner gave, or else the function it runs (after Hibernate,
// the one it resumes in).
func (p *Proc) FuncName() string {
	p.mu.Lock()
	if p.ext != nil && p.ext.funcName != "" {
		name := p.ext.funcName
		p.mu.Unlock()
		return name
	}
	fn := p.fn
	p.mu.Unlock()
	if fn == nil {
		return pcName(0)
	}
	return pcName(reflect.ValueOf(fn).Pointer())
}

// pcName names the function at pc: its Go name, "fun" for a function the
// interpreter made (they all run through reflect's trampoline, whose name
// would say nothing), or "unknown".
func pcName(pc uintptr) string {
	if pc == 0 {
		return "unknown"
	}
	f := runtime.FuncForPC(pc)
	switch {
	case f == nil:
		return "unknown"
	case strings.HasPrefix(f.Name(), "reflect."):
		return "fun"
	}
	return f.Name()
}
