// Command parkstress drives every way a parked process is woken, many
// times over, on the parker gerl ships: TestParkerOutsideTheRaceDetector
// (node/park_test.go) builds it without the race detector, under which a
// parker is a WaitGroup instead. The wakers: a message (ping-pong pairs),
// a timer racing messages (receives with a timeout of a millisecond), a
// message ending a Sleep early or not, a kill. It exits 0 when every
// process finished its work and was seen to end, and 1 with what is
// missing when it has not within a minute.
package main

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

const (
	pairs     = 8
	rounds    = 20_000
	timed     = 8
	timedMsgs = 2_000
	sleepers  = 8
	killed    = 1_000
	deadline  = time.Minute
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "parkstress:", err)
		buf := make([]byte, 1<<20)
		os.Stderr.Write(buf[:runtime.Stack(buf, true)])
		os.Exit(1)
	}
}

func run() error {
	nd := node.New(node.Config{})
	defer nd.StopTimeout(10 * time.Second)
	me, err := nd.Attach("parkstress")
	if err != nil {
		return err
	}
	self := me.Self()
	done := term.Atom("done")
	want := 0

	// A message wakes: ping-pong pairs.
	for range pairs {
		ponger, _ := nd.Spawn(func(p *node.Proc) {
			for {
				m := p.Receive()
				from, ok := m.(term.Pid)
				if !ok {
					return
				}
				p.Send(from, term.Atom("pong"))
			}
		})
		nd.Spawn(func(p *node.Proc) {
			for range rounds {
				p.Send(ponger, p.Self())
				p.Receive()
			}
			p.Send(ponger, term.Atom("stop"))
			p.Send(self, done)
		})
		want++
	}

	// A timer or a message wakes, whichever comes first.
	for range timed {
		receiver, _ := nd.Spawn(func(p *node.Proc) {
			got := 0
			for got < timedMsgs {
				if _, ok := p.ReceiveTimeout(time.Millisecond); ok {
					got++
				}
			}
			p.Send(self, done)
		})
		nd.Spawn(func(p *node.Proc) {
			for i := range timedMsgs {
				p.Send(receiver, i)
				if i%64 == 0 {
					p.Sleep(time.Millisecond)
				}
			}
		})
		want++
	}

	// A message wakes a Sleep, which sleeps on to its end.
	for range sleepers {
		sleeper, _ := nd.Spawn(func(p *node.Proc) {
			for range 200 {
				p.Sleep(100 * time.Microsecond)
			}
			for range 200 {
				p.Receive()
			}
			p.Send(self, done)
		})
		nd.Spawn(func(p *node.Proc) {
			for i := range 200 {
				p.Send(sleeper, i)
				runtime.Gosched()
			}
		})
		want++
	}

	// A kill wakes: processes parked in Receive, watched by monitors.
	refs := map[term.Ref]bool{}
	for range killed {
		pid, _ := nd.Spawn(func(p *node.Proc) { p.Receive() })
		refs[me.Monitor(pid)] = true
		nd.Exit(pid, term.Atom("kill"))
	}

	end := time.Now().Add(deadline)
	for want > 0 || len(refs) > 0 {
		m, ok := me.ReceiveTimeout(time.Until(end))
		if !ok {
			return fmt.Errorf("within %v: %d workers and %d killed processes still to report", deadline, want, len(refs))
		}
		switch m := m.(type) {
		case term.Atom:
			want--
		case term.Down:
			delete(refs, m.Ref)
		}
	}
	return nil
}
