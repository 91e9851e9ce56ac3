package hotload

import (
	"reflect"
	"sync"

	"github.com/gerl-dev/gerl/interp"
)

// Publishing. A loaded module becomes a package of every shell session
// (counter.Inc(1) at the prompt) through Env.AddPackage. AddPackage waits
// for each session to be between two inputs, so it must not run on the
// goroutine of a load that a shell input started (c("counter") at the
// prompt: that input is the one it would wait for), and a busy session
// must not hold up a load or the watcher. So the server hands packages to
// one publisher goroutine, in load order, and never waits for it; Sync
// waits for it.
//
// Until then the prompt does not know the package's new names (a first
// load, a new function, a changed type); calls through names it knows
// already go to the new version at once, through the trampolines.

type publication struct {
	name string
	syms map[string]reflect.Value
}

// publisher applies publications in order on its own goroutine.
type publisher struct {
	env *interp.Env
	wg  sync.WaitGroup

	mu     sync.Mutex    // protects following
	wake   chan struct{} // 1 slot: the queue is not empty; closed by close
	done   *sync.Cond    // signalled with mu when applied moves
	queue  []publication
	queued uint64 // publications accepted
	apply  uint64 // publications applied
	closed bool
}

func newPublisher(env *interp.Env) *publisher {
	p := &publisher{env: env, wake: make(chan struct{}, 1)}
	p.done = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.run()
	return p
}

// publish queues a package; it never blocks.
func (p *publisher) publish(name string, syms map[string]reflect.Value) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.queue = append(p.queue, publication{name, syms})
	p.queued++
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// sync waits until everything queued before the call is applied, or the
// publisher is closed.
func (p *publisher) sync() {
	p.mu.Lock()
	defer p.mu.Unlock()
	target := p.queued
	for p.apply < target && !p.closed {
		p.done.Wait()
	}
}

func (p *publisher) run() {
	defer p.wg.Done()
	for range p.wake {
		for {
			p.mu.Lock()
			if p.closed || len(p.queue) == 0 {
				p.mu.Unlock()
				break
			}
			next := p.queue[0]
			p.queue = p.queue[1:]
			p.mu.Unlock()
			p.env.AddPackage(next.name, next.syms)
			p.mu.Lock()
			p.apply++
			p.done.Broadcast()
			p.mu.Unlock()
		}
		p.mu.Lock()
		closed := p.closed
		p.mu.Unlock()
		if closed {
			return
		}
	}
}

// close drops what is still queued and waits for the goroutine, which
// finishes the publication it is applying, if any.
func (p *publisher) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.queue = nil
	p.done.Broadcast()
	close(p.wake) // under mu: publish sends to it under mu
	p.mu.Unlock()
	p.wg.Wait()
}
