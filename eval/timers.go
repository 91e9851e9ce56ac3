package eval

import (
	"fmt"
	"sync"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Timers as messages, as erlang:send_after/3, erlang:cancel_timer/1 and
// timer:send_interval/3: send_after(ms, dest, msg) sends msg to dest (a
// pid or a name, here or on another node) after ms milliseconds and
// returns a Ref that names the timer; interval(ms, dest, msg) sends it
// every ms milliseconds until cancelled; cancel_timer(ref) stops one and
// reports whether it was still running. A timer belongs to the process
// that started it and stops when that process exits.
//
// Each timer is a small process (shown as "timer" by i()) that monitors
// its owner: it waits for the time, the owner's exit, or its cancel
// message, whichever comes first.

// timerTable maps running timers to their processes. Safe for concurrent
// use.
type timerTable struct {
	mu   sync.Mutex
	pids map[term.Ref]term.Pid
}

// cancelTimer is the message that stops a timer process.
type cancelTimer struct{}

func (t *timerTable) add(ref term.Ref, pid term.Pid) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pids == nil {
		t.pids = map[term.Ref]term.Pid{}
	}
	t.pids[ref] = pid
}

// take removes ref's timer and returns its process.
func (t *timerTable) take(ref term.Ref) (term.Pid, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	pid, ok := t.pids[ref]
	delete(t.pids, ref)
	return pid, ok
}

// startTimer starts the timer process of send_after (repeat false) and
// interval (repeat true).
func (e *Env) startTimer(what string, ms any, dest, msg any, repeat bool) term.Ref {
	d, err := timeoutArg(what, ms)
	raise(err)
	if d == node.Forever {
		panic(fmt.Errorf("%s: a timer needs a time, not infinity", what))
	}
	if repeat && d <= 0 {
		panic(fmt.Errorf("%s: an interval needs a time above 0", what))
	}
	owner := e.self(what)
	n := e.Node()
	ref := n.MakeRef()
	ready := make(chan struct{}) // the table has the timer
	pid, _, err := n.SpawnOpt(owner, node.SpawnOptions{Func: "timer"}, func(p *node.Proc) {
		<-ready
		defer e.timers.take(ref)
		mref := p.Monitor(owner.Self())
		stop := func(m any) bool {
			switch m := m.(type) {
			case cancelTimer:
				return true
			case term.Down:
				return m.Ref == mref
			}
			return false
		}
		for {
			if _, stopped := p.ReceiveMatch(stop, d); stopped {
				return
			}
			if !repeat {
				// Out of the table before the message goes: once it is
				// sent, cancel_timer says false (the timer had expired),
				// as erl's does; a cancel that came first sends nothing.
				if _, ok := e.timers.take(ref); ok {
					_ = p.Send(dest, msg) // as erl: to a name not registered, dropped
				}
				return
			}
			if err := p.Send(dest, msg); err != nil {
				return // as erl: a timer to a name not registered is dropped
			}
		}
	})
	raise(err)
	e.timers.add(ref, pid)
	close(ready)
	return ref
}

// sendAfter is send_after(ms, dest, msg).
func (b builtins) sendAfter(ms, dest, msg any) term.Ref {
	return b.e.startTimer("send_after", ms, dest, msg, false)
}

// interval is interval(ms, dest, msg): msg every ms milliseconds.
func (b builtins) interval(ms, dest, msg any) term.Ref {
	return b.e.startTimer("interval", ms, dest, msg, true)
}

// cancelTimer is cancel_timer(ref): true if the timer was running (a
// message it sent already stays in the mailbox), false otherwise.
func (b builtins) cancelTimer(ref term.Ref) bool {
	pid, ok := b.e.timers.take(ref)
	if !ok {
		return false
	}
	_ = b.e.Node().Send(pid, cancelTimer{})
	return true
}
