package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gerl-dev/gerl/node/term"
)

// Config says how to build a Node.
type Config struct {
	// Name is the node's name, e.g. "foo@vm". Empty means a node without
	// distribution, named nonode@nohost as in erl.
	Name term.Atom
	// Creation tells this incarnation of the name from earlier ones; it is
	// part of every pid and ref. The distribution layer takes it from the
	// port mapper.
	Creation uint32
	// Logger receives crash reports and runtime events. Nil discards them.
	Logger *slog.Logger
	// OnGoroutine, if set, is called on a process's own goroutine just
	// before its function starts (running true) and just after it ends
	// (running false). The interpreter uses it to know which process the
	// calling goroutine is, so self() works in any process.
	OnGoroutine func(p *Proc, running bool)
}

// Node is a gerl node: the processes, their registry, and the hooks the
// distribution layer plugs into. Every method is safe for concurrent use.
type Node struct {
	name       term.Atom
	creation   uint32
	log        *slog.Logger
	onGo       func(*Proc, bool)
	leaderOf   atomic.Pointer[func() term.Pid] // see SetCallerLeader
	userFrames atomic.Pointer[func() string]   // see SetUserFrames

	procs   procTable
	refs    atomic.Uint64
	reg     registry
	remote  atomic.Pointer[remoteHolder]
	links   remoteLinks
	monNode nodeMonitors
	trace   traceState // see trace.go
	ext     sync.Map   // Extension's values, by key

	wg       sync.WaitGroup // one per process goroutine
	exiting  atomic.Int64   // spawned processes dead whose goroutine has not ended
	freeing  atomic.Bool    // releaseMemory is running
	spawnMu  sync.RWMutex   // spawns hold it shared; Stop exclusive to set stopping
	stopping atomic.Bool
	stopOnce sync.Once
	done     chan struct{} // closed when Stop begins
}

// New returns a running node with no processes.
func New(cfg Config) *Node {
	name := cfg.Name
	if name == "" {
		name = term.NoNode
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	n := &Node{name: name, creation: cfg.Creation, log: log, onGo: cfg.OnGoroutine, done: make(chan struct{})}
	n.reg.names = make(map[term.Atom]*Proc)
	n.links.byNode = make(map[term.Atom]*nodeLinkSet)
	return n
}

// Name returns the node's name, e.g. foo@vm, or nonode@nohost.
func (n *Node) Name() term.Atom { return n.name }

// Creation returns the node's creation number.
func (n *Node) Creation() uint32 { return n.creation }

// Logger returns the node's logger.
func (n *Node) Logger() *slog.Logger { return n.log }

// Done is closed when the node starts stopping.
func (n *Node) Done() <-chan struct{} { return n.done }

// MakeRef returns a new ref, unique on this node's incarnation.
func (n *Node) MakeRef() term.Ref {
	return term.Ref{Node: n.name, ID: n.refs.Add(1), Creation: n.creation}
}

// IsLocal reports whether pid names a process of this node's incarnation.
func (n *Node) IsLocal(pid term.Pid) bool {
	return pid.Node == n.name && pid.Creation == n.creation
}

// pidOf returns the pid of the local process with id.
func (n *Node) pidOf(id uint64) term.Pid {
	return term.Pid{Node: n.name, ID: id, Creation: n.creation}
}

// lookup returns the live local process named by pid, or nil.
func (n *Node) lookup(pid term.Pid) *Proc {
	if !n.IsLocal(pid) {
		return nil
	}
	return n.procs.lookup(pid.ID)
}

// Alive reports whether pid names a live local process. For a remote pid
// it reports false; ask the process's node (rpc) for that.
func (n *Node) Alive(pid term.Pid) bool { return n.lookup(pid) != nil }

// ProcessCount returns the number of live processes.
func (n *Node) ProcessCount() int { return int(n.procs.count.Load()) }

// Exiting returns the number of spawned processes that have exited but
// whose goroutine has not ended yet: most for an instant, on their way
// out; a process killed while busy in a loop until its next runtime call
// (see Proc.Check). It is one atomic load, made to be checked often: the
// interpreter's checks look further only when it is not zero.
func (n *Node) Exiting() int64 { return n.exiting.Load() }

// ErrStopped is returned by Spawn once the node is stopping.
var ErrStopped = errors.New("node is stopping")

// Stop ends every process with reason shutdown and waits until their
// goroutines have returned, or until ctx is done. A process stuck in a
// busy loop or a blocking call that is not gerl's (Go cannot preempt a
// goroutine) keeps Stop waiting; Stop then returns an error naming those
// processes. Stop is idempotent; later calls wait again.
func (n *Node) Stop(ctx context.Context) error {
	n.stopOnce.Do(func() {
		n.spawnMu.Lock()
		n.stopping.Store(true)
		n.spawnMu.Unlock()
		close(n.done)
		if r := n.remote.Load(); r != nil {
			r.Remote.Close()
		}
	})
	// Processes spawned while we kill others are caught by the loop.
	for {
		var victims []*Proc
		n.procs.each(func(p *Proc) bool {
			victims = append(victims, p)
			return true
		})
		if len(victims) == 0 {
			break
		}
		for _, p := range victims {
			p.terminate(term.Shutdown)
		}
	}
	waited := make(chan struct{})
	go func() {
		n.wg.Wait()
		close(waited)
	}()
	select {
	case <-waited:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop node %s: %w: some process goroutines did not return (busy loop or a blocking call gerl cannot interrupt)", n.name, ctx.Err())
	}
}

// StopTimeout is Stop with a deadline of d.
func (n *Node) StopTimeout(d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return n.Stop(ctx)
}
