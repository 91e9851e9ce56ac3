package eval

import (
	"context"
	"sync"

	"github.com/petermattis/goid"

	"github.com/gerl-dev/gerl/node"
)

// Interpreted code calls gerl's API as plain functions (self(), receive(),
// gerl.Spawn(...)); those must act as the process whose goroutine calls
// them, as Erlang's BIFs do. The runtime tells us, through
// node.Config.OnGoroutine, which goroutine runs which process; the shell
// adds the goroutine that evaluates its input. A goroutine id costs a few
// nanoseconds to read (github.com/petermattis/goid, kept current with Go's
// runtime layout and checked against runtime.Stack by this package's tests).

// actor is what a goroutine acts as: a process, and for the shell's
// evaluating goroutine, the context that Ctrl-C cancels.
type actor struct {
	proc    *node.Proc
	ctx     context.Context // nil for ordinary processes
	session *Session        // the shell whose input this goroutine evaluates
	in      *input          // that input
	lim     *procLimits     // limits the process set itself, or nil
}

// goroutines maps goroutine ids to the process they run.
// Safe for concurrent use.
type goroutines struct {
	m sync.Map // int64 -> actor
}

// hook is installed as node.Config.OnGoroutine.
func (g *goroutines) hook(p *node.Proc, running bool) {
	if running {
		g.m.Store(goid.Get(), actor{proc: p})
	} else {
		g.m.Delete(goid.Get())
	}
}

// enter makes the calling goroutine act as s's shell process p, running
// input in, until leave.
func (g *goroutines) enter(s *Session, p *node.Proc, in *input) int64 {
	id := goid.Get()
	g.m.Store(id, actor{proc: p, ctx: in.ctx, session: s, in: in})
	return id
}

// update replaces what the calling goroutine acts as.
func (g *goroutines) update(a actor) { g.m.Store(goid.Get(), a) }

func (g *goroutines) leave(id int64) { g.m.Delete(id) }

// current returns what the calling goroutine acts as.
func (g *goroutines) current() (actor, bool) {
	v, ok := g.m.Load(goid.Get())
	if !ok {
		return actor{}, false
	}
	return v.(actor), true
}

// CurrentProc returns the process the calling goroutine acts as: the
// process whose goroutine it is, or the shell process for the goroutine
// evaluating a shell's input. ok is false on any other goroutine (one
// started with go). It is how native code called from interpreted code
// (hot loading's trampolines) knows which process calls it; it costs a
// goroutine id lookup (a few tens of nanoseconds). Safe for concurrent use.
func (e *Env) CurrentProc() (p *node.Proc, ok bool) {
	a, ok := e.gor.current()
	if !ok {
		return nil, false
	}
	return a.proc, true
}
