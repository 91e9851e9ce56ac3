package node

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/gerl-dev/gerl/node/term"
)

// The mailbox is an unbounded queue in two halves: senders append to in
// under p.mu; the receiving goroutine moves everything from in to its
// private out slice in one step and then takes messages from out without
// locking. Many senders therefore contend only briefly on the lock, and a
// burst of messages costs the receiver one lock acquisition. The mailbox is
// allocated with the process's first message: an idle process that was
// never sent anything has none.
//
// A receiver with nothing to read parks on p.park (a parker, park.go):
// under p.mu it sets p.waiting, releases p.mu and waits. A waker (a
// sender, a kill, an expiring timer) that finds p.waiting set clears it
// under p.mu and wakes p.park once, so each park is ended exactly once;
// the wake may come before the wait, which then returns at once. This
// costs a process 16 bytes where a wake-up channel cost 104 (the channel
// and the pointer to it). A sync.Mutex locked by the receiver and
// unlocked by the waker does the same in 8 bytes, but its Lock spins
// before it parks: on two CPUs that spinning delays the very goroutine
// that would wake it (a local ping-pong round trip took 1.2-1.4 µs
// against 0.70). The parker was a sync.WaitGroup until the parker of
// park.go made a park and its wake-up cheaper (see there). Timed and
// cancellable waits arm a timer or a context callback that wakes the
// process the same way (alarm).
//
// The mailbox fits one cache line (64 bytes is one of Go's size classes, so
// it never straddles two). Splitting it in two lines, the senders' in and
// the receiver's out, was measured too: it made fan-in 3-5% faster and a
// local ping-pong 3% slower (one more line to move per message), so it is
// one line. What fixed fan-in (BenchmarkFanIn 415-545 -> 380-395 ns per
// message) is Proc's layout, and the receiver's claim living here rather
// than in the Proc.
type mailbox struct {
	in []any // guarded by Proc.mu

	// Owned by the receiving goroutine.
	out       []any
	outHead   int32
	outLen    atomic.Int32 // len(out)-outHead, for introspection
	receiving bool         // a goroutine receives from it (see claim)
}

// claim marks b as being received from, and reports the misuse of a
// second goroutine receiving as p at the same time. release ends it.
// The flag is a plain bool, not an atomic: a locked instruction at every
// receive made a local ping-pong round trip 9% slower. So a second
// receiver is refused when the first's claim is visible to it: when
// something orders them (a lock both took, a channel), and in practice
// whenever the first has been in its receive for more than an instant
// (a parked receiver always: parkLocked refuses a second parker too). Two
// receivers entering at the same instant may both pass; the race
// detector reports them.
func (b *mailbox) claim(p *Proc) {
	if b.receiving {
		p.concurrentReceive()
	}
	b.receiving = true
}

func (b *mailbox) release() { b.receiving = false }

// shrinkCap is the capacity above which an emptied mailbox buffer is
// dropped rather than kept, so a process that once had a huge backlog does
// not hold its memory forever.
const shrinkCap = 4096

// boxLocked returns p's mailbox, allocating it. Called with p.mu held.
func (p *Proc) boxLocked() *mailbox {
	b := p.box.Load()
	if b == nil {
		b = new(mailbox)
		p.box.Store(b)
	}
	return b
}

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
//
// Its frame is kept small: it is the deepest frame of a send, and a
// process woken from hibernation sends on a new goroutine's 2 KB stack,
// which a larger frame here made grow (a copy of the whole stack, most of
// a wake-up's cost).
func (p *Proc) enqueueLocked(msg any) bool {
	if _, ok := msg.(term.Reply); ok && p.unawaitedLocked(msg) {
		return false // the call timed out or its callee died: drop
	}
	b := p.boxLocked()
	b.in = append(b.in, msg)
	return p.wakeLocked()
}

// unawaitedLocked reports whether msg, a term.Reply, answers a call p no
// longer waits for. Called with p.mu held.
//
//go:noinline
func (p *Proc) unawaitedLocked(msg any) bool {
	return !p.awaitsLocked(msg.(term.Reply).Ref)
}

// wakeLocked clears p.waiting and reports whether the receiver was parked,
// in which case the caller must call signalWake(true) once p.mu is
// released. A hibernated process has no goroutine to wake: wakeLocked
// starts one (see Hibernate).
func (p *Proc) wakeLocked() bool {
	if !p.waiting {
		return false
	}
	p.waiting = false
	if p.hibernated {
		p.hibernated = false
		go p.run()
		return false
	}
	return true
}

// signalWake wakes a parked receiver after enqueueLocked, wakeLocked or
// dieLocked asked for it.
func (p *Proc) signalWake(wake bool) {
	if wake {
		p.park.wake()
	}
}

// parkLocked parks the calling receiver until a waker calls signalWake.
// Called with p.mu held; returns with it released.
func (p *Proc) parkLocked() {
	if p.waiting {
		// Another goroutine is parked as p (a receive and a Sleep at
		// once): one wake-up could not end both waits.
		p.mu.Unlock()
		p.concurrentReceive()
	}
	p.waiting = true
	p.parked = true
	p.park.prepare()
	p.mu.Unlock()
	p.park.wait()
}

// maxSpins is how many times a receive with nothing to take yields the
// processor before it parks.
const maxSpins = 2

// Forever is the timeout of a receive that waits as long as it takes.
const Forever time.Duration = -1

// Receive blocks until a message arrives and returns the oldest one.
func (p *Proc) Receive() any {
	m, _, _ := p.receive(context.Background(), nil, Forever, 0)
	return m
}

// ReceiveTimeout returns the oldest message, waiting at most d for one to
// arrive. ok is false if none came in time. d == 0 polls; Forever waits.
func (p *Proc) ReceiveTimeout(d time.Duration) (msg any, ok bool) {
	m, ok, _ := p.receive(context.Background(), nil, d, 0)
	return m, ok
}

// ReceiveMatch is selective receive: it returns the oldest message for which
// match returns true, leaving the others in the mailbox in their order,
// waiting at most d (Forever waits as long as it takes). match runs on the
// receiving goroutine and must not receive itself.
func (p *Proc) ReceiveMatch(match func(any) bool, d time.Duration) (msg any, ok bool) {
	m, ok, _ := p.receive(context.Background(), match, d, 0)
	return m, ok
}

// ReceiveContext is ReceiveMatch that also gives up when ctx is done, then
// returning ctx's error. A nil match takes any message.
func (p *Proc) ReceiveContext(ctx context.Context, match func(any) bool, d time.Duration) (msg any, ok bool, err error) {
	m, ok, cancelled := p.receive(ctx, match, d, 0)
	if cancelled {
		return nil, false, ctx.Err()
	}
	return m, ok, nil
}

// receive is the one receive loop: scan what the receiver already holds,
// pull in what senders appended, park until woken, a timeout, or ctx is
// done (then cancelled is true). skip is how many of the oldest messages
// it does not look at: a Call skips the messages that were there before
// its request went out, which cannot be its answer (mailboxMark). Its
// frame is kept small (the timed wait lives in arm): every parked
// process's goroutine holds it on its stack.
func (p *Proc) receive(ctx context.Context, match func(any) bool, d time.Duration, skip int) (msg any, ok, cancelled bool) {
	p.checkAlive()
	var al *alarm
	var b *mailbox // claimed as soon as it exists
	defer func() {
		if b != nil {
			b.release()
		}
	}()
	// b is set only once claimed: a refused claim must not release the
	// other receiver's. (A helper for the three claims costs a call here:
	// it does not inline.)
	if nb := p.box.Load(); nb != nil {
		nb.claim(p)
		b = nb
	}
	scan := skip
	if b != nil {
		scan += int(b.outHead)
	}
	spins := 0
	for {
		if b != nil {
			for ; scan < len(b.out); scan++ {
				if m := b.out[scan]; match == nil || match(m) {
					p.take(b, scan)
					al.stop()
					return m, true, false
				}
			}
		}
		p.mu.Lock()
		if p.state.Load() != stateAlive {
			p.mu.Unlock()
			al.stop()
			p.unwind()
		}
		if b == nil {
			if nb := p.box.Load(); nb != nil {
				p.mu.Unlock()
				nb.claim(p)
				b = nb
				scan += int(b.outHead)
				continue
			}
		}
		if b != nil && len(b.in) > 0 {
			scan = p.pullLocked(b, scan)
			p.mu.Unlock()
			continue
		}
		if d == 0 {
			p.mu.Unlock()
			al.stop()
			return nil, false, false
		}
		if spins < maxSpins && p.parked {
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
		if d > 0 || (ctx != nil && ctx.Done() != nil) {
			if al == nil {
				al = p.arm(ctx, d)
			}
			switch al.rung {
			case alarmTimeout:
				d = 0 // one last look: a message may have raced the timer
				p.mu.Unlock()
				continue
			case alarmCancelled:
				p.mu.Unlock()
				al.stop()
				return nil, false, true
			}
		}
		p.parkLocked()
	}
}

// alarm wakes a parked process when a timeout passes or a context is done.
// rung is guarded by the process's mu.
type alarm struct {
	p      *Proc
	rung   uint8
	timer  *time.Timer
	unhook func() bool
}

const (
	alarmNone uint8 = iota
	alarmTimeout
	alarmCancelled
)

// arm starts an alarm for a wait of d (none if d < 0) that ctx (if it can
// be done) also ends. Called with p.mu held.
//
//go:noinline
func (p *Proc) arm(ctx context.Context, d time.Duration) *alarm {
	a := &alarm{p: p}
	if ctx != nil && ctx.Done() != nil {
		if ctx.Err() != nil {
			a.rung = alarmCancelled
			return a
		}
		a.unhook = context.AfterFunc(ctx, func() { a.ring(alarmCancelled) })
	}
	if d > 0 {
		a.timer = time.AfterFunc(d, func() { a.ring(alarmTimeout) })
	}
	return a
}

// ring records why the alarm went off and wakes the process if it is
// parked. A process no longer waiting for this alarm sees at worst one
// spurious wake-up, after which it looks at its mailbox and parks again.
func (a *alarm) ring(why uint8) {
	p := a.p
	p.mu.Lock()
	if a.rung == alarmNone {
		a.rung = why
	}
	wake := p.wakeLocked()
	p.mu.Unlock()
	p.signalWake(wake)
}

// stop disarms a (which may be nil).
func (a *alarm) stop() {
	if a == nil {
		return
	}
	if a.timer != nil {
		a.timer.Stop()
	}
	if a.unhook != nil {
		a.unhook()
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
func (p *Proc) pullLocked(b *mailbox, scan int) int {
	if int(b.outHead) == len(b.out) {
		// Everything in out was taken: swap buffers instead of copying.
		// The scan position keeps its place in the combined sequence.
		scan -= len(b.out)
		old := b.out[:0]
		if cap(old) > shrinkCap {
			old = nil
		}
		b.out, b.in = b.in, old
		b.outHead = 0
	} else {
		b.out = append(b.out, b.in...)
		clear(b.in)
		b.in = b.in[:0]
		if cap(b.in) > shrinkCap {
			b.in = nil
		}
	}
	b.outLen.Store(int32(len(b.out) - int(b.outHead)))
	return scan
}

// take removes out[i], keeping the order of the rest.
func (p *Proc) take(b *mailbox, i int) {
	if i == int(b.outHead) {
		b.out[i] = nil
		b.outHead++
		if int(b.outHead) == len(b.out) {
			b.out = b.out[:0]
			if cap(b.out) > shrinkCap {
				b.out = nil
			}
			b.outHead = 0
		}
	} else {
		copy(b.out[i:], b.out[i+1:])
		b.out[len(b.out)-1] = nil
		b.out = b.out[:len(b.out)-1]
	}
	b.outLen.Store(int32(len(b.out) - int(b.outHead)))
}

// mailboxMark returns the number of messages in p's mailbox: a receive
// given it as skip looks only at messages that arrive later. Called by the
// receiving goroutine.
func (p *Proc) mailboxMark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mailboxMarkLocked()
}

// mailboxMarkLocked is mailboxMark with p.mu held.
func (p *Proc) mailboxMarkLocked() int {
	b := p.box.Load()
	if b == nil {
		return 0
	}
	return len(b.in) + len(b.out) - int(b.outHead)
}

// Drain removes every message from p's mailbox and returns them oldest
// first. The shell's flush() is built on it. Like Receive, it must be called
// by the receiving goroutine.
func (p *Proc) Drain() []any {
	var out []any
	p.removeMatching(0, func(any) bool { return true }, func(m any) { out = append(out, m) })
	return out
}

// removeMatching removes every message for which match is true, except
// the skip oldest ones, calling took for each in order. Called by the
// receiving goroutine.
func (p *Proc) removeMatching(skip int, match func(any) bool, took func(any)) {
	p.checkAlive()
	b := p.box.Load() // never nil again once set
	if b == nil {
		return
	}
	b.claim(p)
	defer b.release()
	p.mu.Lock()
	if len(b.in) > 0 {
		p.pullLocked(b, int(b.outHead))
	}
	p.mu.Unlock()
	from := int(b.outHead) + skip
	if from >= len(b.out) {
		return
	}
	kept := b.out[:from]
	for _, m := range b.out[from:] {
		if match(m) {
			if took != nil {
				took(m)
			}
			continue
		}
		kept = append(kept, m)
	}
	clear(b.out[len(kept):])
	b.out = kept
	b.outLen.Store(int32(len(b.out) - int(b.outHead)))
}

// MailboxLen returns the number of messages waiting in p's mailbox. It may
// be called from any goroutine; the answer may be stale at once.
func (p *Proc) MailboxLen() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mailboxLenLocked()
}

func (p *Proc) mailboxLenLocked() int {
	b := p.box.Load()
	if b == nil {
		return 0
	}
	return len(b.in) + int(b.outLen.Load())
}

// Sleep pauses p for d. Unlike time.Sleep, it ends at once when p is killed
// (the process then stops), and leaves the mailbox untouched.
func (p *Proc) Sleep(d time.Duration) {
	_ = p.SleepContext(context.Background(), d)
}

// SleepContext is Sleep that also ends when ctx is done, returning ctx's
// error.
func (p *Proc) SleepContext(ctx context.Context, d time.Duration) error {
	p.mu.Lock()
	al := p.arm(ctx, max(d, 1))
	defer al.stop()
	for {
		if p.state.Load() != stateAlive {
			p.mu.Unlock()
			al.stop()
			p.unwind()
		}
		switch al.rung {
		case alarmTimeout:
			p.mu.Unlock()
			return nil
		case alarmCancelled:
			p.mu.Unlock()
			return ctx.Err()
		}
		// A message, a kill or the alarm wakes us: the loop checks which.
		p.parkLocked()
		p.mu.Lock()
	}
}
