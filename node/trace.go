package node

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gerl-dev/gerl/node/term"
)

// Tracing reports what chosen processes do, as Erlang's trace flags send,
// 'receive' and procs: every message a traced process sends, every message
// delivered to its mailbox, and its exit. A process is traced by Trace, or
// every process at once by TraceAll; processes marked with Untraceable (the
// tracing machinery's own) never are. The node hands each event to the
// Tracer given to SetTracer.
//
// Cost: while nothing is traced, a send and a delivery each check one
// atomic flag (trace.on). While something is, they look the process's
// flags up (a lock, a map) and call the tracer on the sending or
// delivering goroutine: the tracer must be quick and must never block
// (drop events rather than wait; package observer's rate limit does).

// TraceKind says what a TraceEvent reports.
type TraceKind uint8

// The kinds of trace events.
const (
	TraceSend    TraceKind = iota + 1 // Pid sent Msg to To
	TraceReceive                      // Msg was delivered to Pid's mailbox, from From
	TraceExit                         // Pid exited; Msg is the reason
)

func (k TraceKind) String() string {
	switch k {
	case TraceSend:
		return "send"
	case TraceReceive:
		return "receive"
	case TraceExit:
		return "exit"
	}
	return fmt.Sprintf("TraceKind(%d)", uint8(k))
}

// TraceEvent is one thing a traced process did.
type TraceEvent struct {
	Kind TraceKind
	Time int64    // Unix nanoseconds, when the node saw it
	Pid  term.Pid // the traced process
	// From is the sender of a received message: a pid of any node, or the
	// zero pid for a message sent from outside any process.
	From term.Pid
	// To is the target of a sent message as the sender gave it: a pid, a
	// local name (Atom) or a term.Name.
	To any
	// Msg is the message, or the exit reason. It is shared with the
	// sender or the receiver: a tracer must not keep it past the call (it
	// formats or copies it).
	Msg any
}

// Tracer receives trace events, on the goroutine of the process that sent
// the message, of the connection that delivered it, or of the process
// that made another exit. It is called with no lock held and must not
// block or call back into tracing.
type Tracer func(ev *TraceEvent)

// traceState is the node's tracing configuration.
type traceState struct {
	on  atomic.Bool // all, or some process traced: the hooks' one check
	all atomic.Bool

	mu     sync.RWMutex // protects following
	pids   map[term.Pid]struct{}
	tracer Tracer
}

// ErrTraceRemote is returned by Trace for a process of another node: ask
// that node (package observer does, by rpc).
var ErrTraceRemote = errors.New("trace: the process is on another node")

// SetTracer installs the function trace events go to (nil: none; events
// are then not reported, though flags stay set). Safe for concurrent use.
func (n *Node) SetTracer(t Tracer) {
	n.trace.mu.Lock()
	n.trace.tracer = t
	n.trace.mu.Unlock()
}

// Trace sets (on) or clears the trace flag of the local process pid. It
// returns ErrNoProc when pid is not a live process of this node and
// ErrTraceRemote when it names another node's. The flag goes with the
// process: it ends when the process does.
func (n *Node) Trace(pid term.Pid, on bool) error {
	if pid.Node != n.name {
		return fmt.Errorf("trace %s: %w", pid, ErrTraceRemote)
	}
	p := n.lookup(pid)
	if p == nil {
		return fmt.Errorf("trace %s: %w", pid, ErrNoProc)
	}
	t := &n.trace
	t.mu.Lock()
	if on {
		if t.pids == nil {
			t.pids = make(map[term.Pid]struct{})
		}
		t.pids[pid] = struct{}{}
	} else {
		delete(t.pids, pid)
	}
	t.on.Store(t.all.Load() || len(t.pids) > 0)
	t.mu.Unlock()
	if on && !p.Alive() {
		// It died meanwhile: its exit may have missed the flag.
		n.traceForget(pid)
	}
	return nil
}

// TraceAll traces every process of the node, present and future, except
// untraceable ones (on), or stops doing so; flags set with Trace stay.
func (n *Node) TraceAll(on bool) {
	t := &n.trace
	t.mu.Lock()
	t.all.Store(on)
	t.on.Store(on || len(t.pids) > 0)
	t.mu.Unlock()
}

// UntraceAll clears every trace flag: TraceAll's and Trace's.
func (n *Node) UntraceAll() {
	t := &n.trace
	t.mu.Lock()
	t.all.Store(false)
	t.pids = nil
	t.on.Store(false)
	t.mu.Unlock()
}

// Tracing reports what is traced: every process (all), and the processes
// traced one by one.
func (n *Node) Tracing() (all bool, pids []term.Pid) {
	t := &n.trace
	t.mu.RLock()
	defer t.mu.RUnlock()
	for pid := range t.pids {
		pids = append(pids, pid)
	}
	return t.all.Load(), pids
}

// Untraceable marks p as never traced, TraceAll included: the processes
// that carry trace events must not report their own work. Call it from
// p's own goroutine before p sends or receives anything.
func (p *Proc) Untraceable() {
	p.mu.Lock()
	p.extLocked().untraced = true
	p.mu.Unlock()
}

// traced reports whether p is traced now.
func (n *Node) traced(p *Proc) bool {
	p.mu.Lock()
	exempt := p.ext != nil && p.ext.untraced
	p.mu.Unlock()
	if exempt {
		return false
	}
	if n.trace.all.Load() {
		return true
	}
	n.trace.mu.RLock()
	_, ok := n.trace.pids[p.Self()]
	n.trace.mu.RUnlock()
	return ok
}

// emit hands ev to the tracer, if any.
func (n *Node) emit(ev *TraceEvent) {
	n.trace.mu.RLock()
	t := n.trace.tracer
	n.trace.mu.RUnlock()
	if t != nil {
		ev.Time = time.Now().UnixNano()
		t(ev)
	}
}

// traceSend reports a send by from, if from is a traced local process.
// Called from send once trace.on was seen set.
func (n *Node) traceSend(from term.Pid, to any, msg any) {
	p := n.lookup(from)
	if p == nil || !n.traced(p) {
		return
	}
	n.emit(&TraceEvent{Kind: TraceSend, Pid: from, To: to, Msg: msg})
}

// traceSendPid is traceSend to a pid, which it boxes only when it
// reports: sendToPid's frame stays small (see there).
//
//go:noinline
func (n *Node) traceSendPid(from, to term.Pid, msg any) {
	n.traceSend(from, to, msg)
}

// deliver puts msg, sent by from, in p's mailbox, reporting it first if p
// is traced. Every message from a process (local or remote) arrives here.
func (p *Proc) deliver(from term.Pid, msg any) {
	if p.node.trace.on.Load() {
		p.traceReceive(from, msg)
	}
	p.enqueue(msg)
}

// traceReceive reports msg's arrival at p, if p is traced. It is deliver's
// rare case, in a function of its own to keep deliver's frame small (see
// sendToPid).
//
//go:noinline
func (p *Proc) traceReceive(from term.Pid, msg any) {
	if n := p.node; n.traced(p) {
		n.emit(&TraceEvent{Kind: TraceReceive, Pid: p.Self(), From: from, Msg: msg})
	}
}

// traceExit reports the exit of p, if traced, and forgets its flag. Called
// by dieLocked, once p is dead and its lock released.
func (n *Node) traceExit(p *Proc, reason any) {
	if !n.trace.on.Load() {
		return
	}
	if n.traced(p) {
		n.emit(&TraceEvent{Kind: TraceExit, Pid: p.Self(), Msg: reason})
	}
	n.traceForget(p.Self())
}

// traceForget drops the flag of a process that exited.
func (n *Node) traceForget(pid term.Pid) {
	t := &n.trace
	t.mu.RLock()
	_, ok := t.pids[pid]
	t.mu.RUnlock()
	if !ok {
		return
	}
	t.mu.Lock()
	delete(t.pids, pid)
	t.on.Store(t.all.Load() || len(t.pids) > 0)
	t.mu.Unlock()
}
