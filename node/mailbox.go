package node

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/gerl-dev/gerl/node/term"
)

// The mailbox is an unbounded queue in two halves: senders append to in
// under p.mu; the receiving goroutine moves everything from in to its
// private out slice in one step and then takes messages from out without
// locking. Many senders therefore contend only briefly on the lock, and a
// burst of messages costs the receiver one lock acquisition. A receiver with
// nothing to read parks on the wake channel; a sender that finds it parked
// clears the flag and signals once.

// shrinkCap is the capacity above which an emptied mailbox buffer is
// dropped rather than kept, so a process that once had a huge backlog does
// not hold its memory forever.
const shrinkCap = 4096

// enqueue appends msg (already a private copy) to p's mailbox. It does
// nothing if p has exited, or if msg is a Reply nobody waits for any more.
func (p *Proc) enqueue(msg any) {
	p.mu.Lock()
	if p.state.Load() != stateAlive {
		p.mu.Unlock()
		return
	}
	if p.overLimitLocked() {
		p.killOverLimitLocked()
		return
	}
	wake := p.enqueueLocked(msg)
	p.mu.Unlock()
	p.signalWake(wake)
}

// enqueueLocked appends msg with p.mu held and reports whether the receiver
// must be woken (call signalWake after unlocking).
func (p *Proc) enqueueLocked(msg any) bool {
	if r, ok := msg.(term.Reply); ok {
		if p.ext == nil {
			return false
		}
		if _, waiting := p.ext.calls[r.Ref]; !waiting {
			return false // the call timed out or its callee died: drop
		}
	}
	p.in = append(p.in, msg)
	if p.waiting {
		p.waiting = false
		return true
	}
	return false
}

// signalWake wakes a parked receiver after enqueueLocked or dieLocked asked
// for it. The channel has room for one token; a stale token only costs the
// receiver one extra look at its queue.
func (p *Proc) signalWake(wake bool) {
	if !wake {
		return
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// maxSpins is how many times a receive with nothing to take yields the
// processor before it parks.
const maxSpins = 2

// Forever is the timeout of a receive that waits as long as it takes.
const Forever time.Duration = -1

// Receive blocks until a message arrives and returns the oldest one.
func (p *Proc) Receive() any {
	m, _, _ := p.receive(nil, nil, Forever)
	return m
}

// ReceiveTimeout returns the oldest message, waiting at most d for one to
// arrive. ok is false if none came in time. d == 0 polls; Forever waits.
func (p *Proc) ReceiveTimeout(d time.Duration) (msg any, ok bool) {
	m, ok, _ := p.receive(nil, nil, d)
	return m, ok
}

// ReceiveMatch is selective receive: it returns the oldest message for which
// match returns true, leaving the others in the mailbox in their order,
// waiting at most d (Forever waits as long as it takes). match runs on the
// receiving goroutine and must not receive itself.
func (p *Proc) ReceiveMatch(match func(any) bool, d time.Duration) (msg any, ok bool) {
	m, ok, _ := p.receive(nil, match, d)
	return m, ok
}

// ReceiveContext is ReceiveMatch that also gives up when ctx is done, then
// returning ctx's error. A nil match takes any message.
func (p *Proc) ReceiveContext(ctx context.Context, match func(any) bool, d time.Duration) (msg any, ok bool, err error) {
	m, ok, cancelled := p.receive(ctx.Done(), match, d)
	if cancelled {
		return nil, false, ctx.Err()
	}
	return m, ok, nil
}

// receive is the one receive loop: scan what the receiver already holds,
// pull in what senders appended, park until woken, a timeout, or done
// (then cancelled is true). Its frame is kept small (the timed wait lives
// in waitTimed): every parked process's goroutine holds it on its stack,
// and the runtime sizes new goroutines' stacks by the average it sees.
func (p *Proc) receive(done <-chan struct{}, match func(any) bool, d time.Duration) (msg any, ok, cancelled bool) {
	p.checkAlive()
	if !p.receiving.CompareAndSwap(false, true) {
		p.concurrentReceive()
	}
	defer p.receiving.Store(false)
	var timer *time.Timer
	scan := int(p.outHead)
	spins := 0
	for {
		for ; scan < len(p.out); scan++ {
			if m := p.out[scan]; match == nil || match(m) {
				p.take(scan)
				stopTimer(timer)
				return m, true, false
			}
		}
		p.mu.Lock()
		if p.state.Load() != stateAlive {
			p.mu.Unlock()
			stopTimer(timer)
			p.unwind()
		}
		if len(p.in) > 0 {
			scan = p.pullLocked(scan)
			p.mu.Unlock()
			continue
		}
		if d == 0 {
			p.mu.Unlock()
			stopTimer(timer)
			return nil, false, false
		}
		if spins < maxSpins && p.wake != nil {
			// A reply is often a few hundred nanoseconds away: yield to
			// the other runnable goroutines (the sender) before paying
			// for a park and a wake-up. Not before the first park: a
			// process that waits as soon as it starts (a server) would
			// only delay the spawner.
			spins++
			p.mu.Unlock()
			runtime.Gosched()
			continue
		}
		spins = 0
		if p.wake == nil {
			p.wake = make(chan struct{}, 1)
		}
		p.waiting = true
		wake := p.wake
		p.mu.Unlock()
		if d < 0 && done == nil {
			<-wake // the common case, cheaper than a select
			continue
		}
		switch p.waitTimed(wake, d, &timer, done) {
		case waitTimedOut:
			d = 0 // one last look: a message may have raced the timer
		case waitCancelled:
			stopTimer(timer)
			return nil, false, true
		}
	}
}

type waitResult uint8

const (
	waitWoken waitResult = iota
	waitTimedOut
	waitCancelled
)

// waitTimed parks until wake, the timeout d (a timer started on the first
// call and kept in *timer), or done.
//
//go:noinline
func (p *Proc) waitTimed(wake chan struct{}, d time.Duration, timer **time.Timer, done <-chan struct{}) waitResult {
	var timeout <-chan time.Time
	if d > 0 {
		if *timer == nil {
			*timer = time.NewTimer(d)
		}
		timeout = (*timer).C
	}
	select {
	case <-wake:
		return waitWoken
	case <-timeout:
		p.mu.Lock()
		p.waiting = false
		p.mu.Unlock()
		return waitTimedOut
	case <-done:
		p.mu.Lock()
		p.waiting = false
		p.mu.Unlock()
		return waitCancelled
	}
}

func stopTimer(t *time.Timer) {
	if t != nil {
		t.Stop()
	}
}

// concurrentReceive reports the misuse of two receivers at once.
//
//go:noinline
func (p *Proc) concurrentReceive() {
	panic(fmt.Sprintf("gerl: two goroutines receive on process %s at once; only the process itself may receive", p.Self()))
}

// pullLocked moves the senders' messages into out and returns where an
// in-progress scan continues. Called by the receiver with p.mu held.
func (p *Proc) pullLocked(scan int) int {
	if int(p.outHead) == len(p.out) {
		// Everything in out was taken: swap buffers instead of copying.
		old := p.out[:0]
		if cap(old) > shrinkCap {
			old = nil
		}
		p.out, p.in = p.in, old
		p.outHead = 0
		scan = 0
	} else {
		p.out = append(p.out, p.in...)
		clear(p.in)
		p.in = p.in[:0]
		if cap(p.in) > shrinkCap {
			p.in = nil
		}
	}
	p.outLen.Store(int32(len(p.out) - int(p.outHead)))
	return scan
}

// take removes out[i], keeping the order of the rest.
func (p *Proc) take(i int) {
	if i == int(p.outHead) {
		p.out[i] = nil
		p.outHead++
		if int(p.outHead) == len(p.out) {
			p.out = p.out[:0]
			if cap(p.out) > shrinkCap {
				p.out = nil
			}
			p.outHead = 0
		}
	} else {
		copy(p.out[i:], p.out[i+1:])
		p.out[len(p.out)-1] = nil
		p.out = p.out[:len(p.out)-1]
	}
	p.outLen.Store(int32(len(p.out) - int(p.outHead)))
}

// Drain removes every message from p's mailbox and returns them oldest
// first. The shell's flush() is built on it. Like Receive, it must be called
// by the receiving goroutine.
func (p *Proc) Drain() []any {
	var out []any
	p.removeMatching(func(any) bool { return true }, func(m any) { out = append(out, m) })
	return out
}

// removeMatching removes every message for which match is true, calling
// took for each in order. Called by the receiving goroutine.
func (p *Proc) removeMatching(match func(any) bool, took func(any)) {
	p.checkAlive()
	if !p.receiving.CompareAndSwap(false, true) {
		p.concurrentReceive()
	}
	defer p.receiving.Store(false)
	p.mu.Lock()
	if len(p.in) > 0 {
		p.pullLocked(int(p.outHead))
	}
	p.mu.Unlock()
	kept := p.out[:p.outHead]
	for _, m := range p.out[p.outHead:] {
		if match(m) {
			if took != nil {
				took(m)
			}
			continue
		}
		kept = append(kept, m)
	}
	clear(p.out[len(kept):])
	p.out = kept
	p.outLen.Store(int32(len(p.out) - int(p.outHead)))
}

// MailboxLen returns the number of messages waiting in p's mailbox. It may
// be called from any goroutine; the answer may be stale at once.
func (p *Proc) MailboxLen() int {
	p.mu.Lock()
	n := len(p.in)
	p.mu.Unlock()
	return n + int(p.outLen.Load())
}

// Sleep pauses p for d. Unlike time.Sleep, it ends at once when p is killed
// (the process then stops), and leaves the mailbox untouched.
func (p *Proc) Sleep(d time.Duration) {
	_ = p.SleepContext(context.Background(), d)
}

// SleepContext is Sleep that also ends when ctx is done, returning ctx's
// error.
func (p *Proc) SleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		p.mu.Lock()
		if p.state.Load() != stateAlive {
			p.mu.Unlock()
			p.unwind()
		}
		if p.wake == nil {
			p.wake = make(chan struct{}, 1)
		}
		p.waiting = true // so that a kill (or a message) wakes us
		wake := p.wake
		p.mu.Unlock()
		select {
		case <-t.C:
			p.mu.Lock()
			p.waiting = false
			p.mu.Unlock()
			return nil
		case <-ctx.Done():
			p.mu.Lock()
			p.waiting = false
			p.mu.Unlock()
			return ctx.Err()
		case <-wake:
			// A message or a kill: the loop checks which.
		}
	}
}
