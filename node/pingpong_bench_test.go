package node

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/gerl-dev/gerl/node/term"
)

// BenchmarkPingPongScalar measures the runtime's round trip with a message
// that needs no copy, BenchmarkPingPongTuple with workload 1's tuples.
func BenchmarkPingPongScalar(b *testing.B) { benchPingPong(b, false) }
func BenchmarkPingPongTuple(b *testing.B)  { benchPingPong(b, true) }

func benchPingPong(b *testing.B, tuple bool) {
	n := New(Config{})
	defer n.StopTimeout(waitTime)
	me, _ := n.Attach("bench")
	self := me.Self()
	ponger, _ := n.Spawn(func(p *Proc) {
		for {
			m := p.Receive()
			if t, ok := m.(term.Tuple); ok {
				p.Send(t[1], term.Tuple{term.Atom("pong"), t[2]})
				continue
			}
			if m == nil {
				return
			}
			p.Send(self, m)
		}
	})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if tuple {
			me.Send(ponger, term.Tuple{term.Atom("ping"), self, i})
		} else {
			me.Send(ponger, 1)
		}
		me.Receive()
	}
	b.StopTimer()
	me.Send(ponger, nil)
}

// BenchmarkFloorChanPingPong is Go's floor under a local round trip: two
// goroutines handing an int back and forth through channels, with no
// process, mailbox or copy.
func BenchmarkFloorChanPingPong(b *testing.B) {
	ping, pong := make(chan int, 1), make(chan int, 1)
	go func() {
		for v := range ping {
			pong <- v
		}
		close(pong)
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ping <- i
		<-pong
	}
	b.StopTimer()
	close(ping)
	<-pong
}

// BenchmarkFloorChanPingPongTuple is Go's floor under
// BenchmarkPingPongTuple: the same messages, built the same way, handed
// through channels with no mailbox and no copy.
func BenchmarkFloorChanPingPongTuple(b *testing.B) {
	ping, pong := make(chan any, 1), make(chan any, 1)
	go func() {
		for m := range ping {
			t := m.(term.Tuple)
			pong <- term.Tuple{term.Atom("pong"), t[2]}
		}
		close(pong)
	}()
	n := New(Config{}) // for a pid made at run time, as the workload's is
	defer n.StopTimeout(waitTime)
	me, _ := n.Attach("bench")
	self := me.Self()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ping <- term.Tuple{term.Atom("ping"), self, i}
		<-pong
	}
	b.StopTimer()
	close(ping)
	<-pong
}

// BenchmarkFloorCacheLine is the machine's floor under a round trip
// between two CPUs: two goroutines, each spinning on its own CPU, hand a
// counter back and forth, so each op is a cache line moving to the other
// CPU and back. Two processes that ping-pong from two CPUs pay it for
// every line a message touches (the mailbox, the Proc, the message);
// from one CPU they do not. It needs two CPUs free: with fewer it skips.
func BenchmarkFloorCacheLine(b *testing.B) {
	if runtime.GOMAXPROCS(0) < 2 {
		b.Skip("needs two CPUs (GOMAXPROCS >= 2)")
	}
	var turn atomic.Int64
	spinUntil := func(v int64) {
		for spins := 0; turn.Load() != v; spins++ {
			if spins%10_000 == 9_999 {
				runtime.Gosched() // the other goroutine shares this CPU
			}
		}
	}
	done := make(chan struct{})
	go func() {
		for i := range int64(b.N) {
			spinUntil(2*i + 1)
			turn.Add(1)
		}
		close(done)
	}()
	b.ResetTimer()
	for i := range int64(b.N) {
		turn.Add(1)
		spinUntil(2*i + 2)
	}
	<-done
}

// BenchmarkFanIn is workload 2 in one process: four senders send {seq, I}
// as fast as they can to one receiver; ns/op is per message. It found the
// fan-in regression docs/performance.md reports (on the project's VM: 280
// ns before 6003914, 415-545 after, 380-395 once Proc's layout was fixed).
func BenchmarkFanIn(b *testing.B) {
	const senders = 4
	n := New(Config{})
	defer n.StopTimeout(waitTime)
	me, _ := n.Attach("bench")
	per := b.N/senders + 1
	done := make(chan struct{})
	receiver, _ := n.Spawn(func(p *Proc) {
		for range per * senders {
			p.Receive()
		}
		close(done)
	})
	pids := make([]term.Pid, senders)
	for s := range pids {
		pids[s], _ = n.Spawn(func(p *Proc) {
			p.Receive() // go
			for i := 1; i <= per; i++ {
				p.Send(receiver, term.Tuple{term.Atom("seq"), i})
			}
		})
	}
	b.ResetTimer()
	for _, pid := range pids {
		me.Send(pid, "go")
	}
	<-done
}

// BenchmarkPingPongHibernated is BenchmarkPingPongScalar with a ponger
// that hibernates between messages: every round trip starts it a new
// goroutine (docs/concepts.md cites it).
func BenchmarkPingPongHibernated(b *testing.B) {
	n := New(Config{})
	defer n.StopTimeout(waitTime)
	me, _ := n.Attach("bench")
	self := me.Self()
	var pong func(p *Proc)
	pong = func(p *Proc) {
		if m := p.Receive(); m != nil {
			p.Send(self, m)
			p.Hibernate(pong)
		}
	}
	ponger, _ := n.Spawn(func(p *Proc) { p.Hibernate(pong) })
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		me.Send(ponger, 1)
		me.Receive()
	}
	b.StopTimer()
	me.Send(ponger, nil)
}
